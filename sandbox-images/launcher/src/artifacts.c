#include "artifacts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "frames.h"

struct walk {
    const struct artifact_limits *lim;
    uint64_t count, bytes, skipped;
};

static void skip(struct walk *w, const char *path, const char *reason) {
    w->skipped++;
    if (w->skipped > ARTIFACTS_MAX_SKIP_FRAMES) return;
    char buf[PATH_MAX + 32];
    int n = snprintf(buf, sizeof buf, "%s%c%s", path, '\0', reason);
    emit('s', buf, (size_t)n);
}

/* Reads exactly size bytes of fd into a new buffer; NULL if the file is not that size now. */
static char *read_exact(int fd, size_t size) {
    char *buf = malloc(size ? size : 1);
    if (!buf) fatal("out of memory reading an artifact");
    size_t got = 0;
    while (1) {
        /* One byte more than expected tells a file that grew from one that did not. */
        char extra;
        ssize_t n = got < size ? read(fd, buf + got, size - got) : read(fd, &extra, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || (got == size && n > 0)) break;
        if (n == 0) {
            if (got == size) return buf;
            break;
        }
        got += (size_t)n;
    }
    free(buf);
    return NULL;
}

/* Whether one more file of size bytes fits; if not, the reason it is left out. */
static const char *over_limit(const struct walk *w, uint64_t size) {
    if (w->count >= w->lim->max_count) return "count_limit";
    if (size > w->lim->max_file_bytes) return "too_large";
    if (w->bytes + size > w->lim->max_bytes) return "total_limit";
    return NULL;
}

static void send_file(struct walk *w, int dirfd, const char *name, const char *path) {
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        skip(w, path, errno == ELOOP ? "symlink" : "unreadable");
        return;
    }
    struct stat st;
    /* What was checked by name may have been swapped since: the descriptor decides. */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        skip(w, path, "not_regular");
        close(fd);
        return;
    }
    const char *why = over_limit(w, (uint64_t)st.st_size);
    char *data = why ? NULL : read_exact(fd, (size_t)st.st_size);
    close(fd);
    if (why || !data) {
        skip(w, path, why ? why : "changed");
        return;
    }
    char head[PATH_MAX + 32];
    int n = snprintf(head, sizeof head, "%s%c%lld", path, '\0', (long long)st.st_size);
    emit('a', head, (size_t)n);
    if (st.st_size > 0) emit('b', data, (size_t)st.st_size);
    free(data);
    w->count++;
    w->bytes += (uint64_t)st.st_size;
}

static void walk_dir(struct walk *w, int dirfd, const char *prefix, int depth);

static void walk_entry(struct walk *w, int dirfd, const char *name, const char *path, int depth) {
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        skip(w, path, "unreadable");
        return;
    }
    if (S_ISREG(st.st_mode)) {
        send_file(w, dirfd, name, path);
        return;
    }
    /* Devices, FIFOs and sockets are never opened: an open alone can block or act. */
    const char *why = S_ISLNK(st.st_mode)            ? "symlink"
                      : !S_ISDIR(st.st_mode)         ? "not_regular"
                      : depth >= ARTIFACTS_MAX_DEPTH ? "too_deep"
                                                     : NULL;
    int sub = why ? -1 : openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0) walk_dir(w, sub, path, depth + 1);
    else skip(w, path, why ? why : errno == ELOOP || errno == ENOTDIR ? "symlink" : "unreadable");
}

/* Every entry of dirfd (closed here), names sorted so the order is the same on every run. */
static void walk_dir(struct walk *w, int dirfd, const char *prefix, int depth) {
    struct dirent **names;
    int n = scandirat(dirfd, ".", &names, NULL, alphasort);
    if (n < 0) {
        close(dirfd);
        skip(w, *prefix ? prefix : ".", "unreadable");
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char path[PATH_MAX];
        int len = snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "/" : "", name);
        if (strcmp(name, ".") && strcmp(name, "..")) {
            if (len < 0 || (size_t)len >= sizeof path) skip(w, name, "path_too_long");
            else walk_entry(w, dirfd, name, path, depth);
        }
        free(names[i]);
    }
    free(names);
    close(dirfd);
}

void collect_artifacts(int workspace_fd, const struct artifact_limits *lim) {
    if (lim->max_count == 0) return;
    struct walk w = {.lim = lim};
    int fd = openat(workspace_fd, ARTIFACTS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) walk_dir(&w, fd, "", 0);
    else if (errno != ENOENT) skip(&w, ".", errno == ELOOP || errno == ENOTDIR ? "not_a_folder" : "unreadable");
    char y[96];
    int n = snprintf(y, sizeof y, "count=%llu bytes=%llu skipped=%llu", (unsigned long long)w.count,
                     (unsigned long long)w.bytes, (unsigned long long)w.skipped);
    emit('y', y, (size_t)n);
}
