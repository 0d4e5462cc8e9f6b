#include "workspace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fault.h"
#include "frames.h"

int path_ok(const char *path, size_t len) {
    if (len == 0 || path[0] == '/') return 0;
    const char *seg = path;
    const char *end = path + len;
    while (seg <= end) {
        const char *slash = memchr(seg, '/', (size_t)(end - seg));
        const char *stop = slash ? slash : end;
        size_t n = (size_t)(stop - seg);
        if (n == 0) return 0;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') return 0;
        if (!slash) break;
        seg = slash + 1;
    }
    return 1;
}

/* mkdir -p of the parents of path, relative to dirfd. */
static void make_parents(int dirfd, char *path) {
    for (char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdirat(dirfd, path, 0755) < 0 && errno != EEXIST) fatal("making folder %s: %s", path, strerror(errno));
        *p = '/';
    }
}

/* The path part of an F frame, up to its NUL; returns how many payload bytes are left. */
static uint32_t read_path(int in_fd, char path[PATH_MAX], uint32_t len) {
    size_t plen = 0;
    while (1) {
        if (len == 0) fatal("protocol error: F frame without NUL after the path");
        if (plen == PATH_MAX) fatal("protocol error: F frame path too long");
        if (read_full(in_fd, path + plen, 1) != 1) fatal("protocol error: stdin ended inside a frame");
        len--;
        if (path[plen] == '\0') break;
        plen++;
    }
    if (!path_ok(path, plen)) fatal("protocol error: bad file path \"%s\"", path);
    return len;
}

void write_file_frame(int in_fd, int dirfd, uint32_t len) {
    char path[PATH_MAX];
    uint32_t left = read_path(in_fd, path, len);
    make_parents(dirfd, path);
    int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) fatal("creating file %s: %s", path, strerror(errno));
    /* The umask is 022, but be explicit: the file is 0644 whatever existed before. */
    if (fchmod(fd, 0644) < 0) fatal("chmod %s: %s", path, strerror(errno));
    static char buf[CHUNK];
    while (left > 0) {
        size_t n = left > sizeof buf ? sizeof buf : left;
        if (read_full(in_fd, buf, n) != n) fatal("protocol error: stdin ended inside a frame");
        if (write_full(fd, buf, n) < 0) fatal("writing file %s: %s", path, strerror(errno));
        left -= (uint32_t)n;
    }
    /* close() is where a full tmpfs can still report its error. */
    if (close(fd) < 0) fatal("writing file %s: %s", path, strerror(errno));
}

/* Removes everything inside dirfd (not dirfd itself); closes dirfd. */
static void empty_dir(int dirfd, const char *what) {
    DIR *d = fdopendir(dirfd);
    if (!d) fatal("wiping %s: %s", what, strerror(errno));
    struct dirent *e;
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (unlinkat(dirfd, e->d_name, 0) == 0) continue;
        if (errno != EISDIR && errno != EPERM) fatal("wiping %s/%s: %s", what, e->d_name, strerror(errno));
        fchmodat(dirfd, e->d_name, 0700, 0);
        int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) fatal("wiping %s/%s: %s", what, e->d_name, strerror(errno));
        empty_dir(sub, what);
        if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0) fatal("wiping %s/%s: %s", what, e->d_name, strerror(errno));
        rewinddir(d);
    }
    if (errno) fatal("wiping %s: %s", what, strerror(errno));
    closedir(d);
}

void wipe(const char *path, int remove_itself) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;
        fatal("wiping %s: %s", path, strerror(errno));
    }
    empty_dir(fd, path);
    if (remove_itself && rmdir(path) < 0) fatal("removing %s: %s", path, strerror(errno));
}

unsigned long long mount_size(const char *path) {
    struct statvfs st;
    if (statvfs(path, &st) < 0) fatal("statvfs %s: %s", path, strerror(errno));
    return (unsigned long long)st.f_blocks * st.f_frsize;
}

void fresh_tmpfs(const char *path, const char *opts, int *mounted) {
    if (*mounted && umount2(path, MNT_DETACH) < 0) fatal("unmounting %s: %s", path, strerror(errno));
    *mounted = 0;
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        fatal("mounting a tmpfs on %s: %s", path, strerror(errno));
    *mounted = 1;
}

void remove_device(const char *path, const char *folder) {
    if (unlink(path) < 0 && errno != ENOENT) fatal("removing %s: %s", path, strerror(errno));
    if (folder && rmdir(folder) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
        fatal("removing %s: %s", folder, strerror(errno));
}
