/*
 * C-level tests of the launcher's parts that need no sandbox: the frame parsers, the limits,
 * the path checks, file writing and wiping, and the confinement of a step (rlimits, privilege
 * drop, seccomp filter) applied in a forked child on the host kernel.
 *
 *   launcher-test --list     the case names, one a line
 *   launcher-test <case>     runs one case: exit 0 and "ok", or exit 1 and what failed
 *
 * Built with the host's gcc by tests/integration/launcher-c.test.ts, which runs every case.
 * Cases that end in a protocol error run it in a forked child and check its exit status 3 and
 * message. The confinement cases need root (to switch uids), as the suite runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "artifacts.h"
#include "confine.h"
#include "fault.h"
#include "frames.h"
#include "limits.h"
#include "workspace.h"

/* ---- a tiny harness ---------------------------------------------------------------------- */

static const char *current;

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", current);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) fail("%s:%d: check failed: %s", __FILE__, __LINE__, #cond); \
    } while (0)

/* Runs fn(arg) in a child with stderr captured; returns its wait status, stderr in out. */
static int in_child(void (*fn)(void *), void *arg, char *out, size_t out_len) {
    int p[2];
    CHECK(pipe(p) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], STDERR_FILENO);
        fn(arg);
        _exit(0);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < out_len && (n = read(p[0], out + got, out_len - 1 - got)) > 0) got += (size_t)n;
    out[got] = '\0';
    close(p[0]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

/* fn(arg) ends the launcher as a protocol fault: exit status 3 and a message with want. */
static void expect_fatal(void (*fn)(void *), void *arg, const char *want) {
    char err[1024];
    int status = in_child(fn, arg, err, sizeof err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 3) fail("expected exit 3 (%s), got status 0x%x: %s", want, status, err);
    if (!strstr(err, want)) fail("expected a message with \"%s\", got \"%s\"", want, err);
}

/* A pipe holding bytes, its read end returned (the write end closed: EOF after them). */
static int pipe_with(const void *data, size_t len) {
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(len < 65536);
    CHECK(write_full(p[1], data, len) == 0);
    close(p[1]);
    return p[0];
}

/* A fresh folder under /tmp, its descriptor returned and its path in path. */
static int temp_dir(char path[64]) {
    snprintf(path, 64, "/tmp/launcher-test-XXXXXX");
    CHECK(mkdtemp(path) != NULL);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    return fd;
}

static char *read_text(int dirfd, const char *name, char *buf, size_t len) {
    int fd = openat(dirfd, name, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, len - 1);
    CHECK(n >= 0);
    buf[n] = '\0';
    close(fd);
    return buf;
}

/* ---- frames: output -------------------------------------------------------------------------- */

/* What emit() writes, captured from stdout into buf; returns the byte count. */
static size_t capture_emit(char type, const void *data, size_t len, unsigned char *buf, size_t cap) {
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(fcntl(p[1], F_SETPIPE_SZ, 1 << 20) >= 0);
    int saved = dup(STDOUT_FILENO);
    dup2(p[1], STDOUT_FILENO);
    emit(type, data, len);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(p[1]);
    size_t got = 0;
    ssize_t n;
    while (got < cap && (n = read(p[0], buf + got, cap - got)) > 0) got += (size_t)n;
    close(p[0]);
    return got;
}

static void test_emit_frame(void) {
    unsigned char buf[64];
    size_t n = capture_emit('o', "hi\n", 3, buf, sizeof buf);
    CHECK(n == 8);
    CHECK(memcmp(buf, "o\0\0\0\3hi\n", 8) == 0);
    n = capture_emit('z', "", 0, buf, sizeof buf);
    CHECK(n == 5);
    CHECK(memcmp(buf, "z\0\0\0\0", 5) == 0);
}

static void test_emit_splits_at_chunk(void) {
    static char data[CHUNK + 10];
    static unsigned char buf[CHUNK + 64];
    memset(data, 'a', sizeof data);
    size_t n = capture_emit('e', data, sizeof data, buf, sizeof buf);
    CHECK(n == 2 * FRAME_HEADER + sizeof data);
    CHECK(buf[0] == 'e' && frame_length(buf) == CHUNK);
    unsigned char *second = buf + FRAME_HEADER + CHUNK;
    CHECK(second[0] == 'e' && frame_length(second) == 10);
}

/* ---- frames: setup payloads --------------------------------------------------------------- */

static void too_long(void *arg) {
    (void)arg;
    const unsigned char h[FRAME_HEADER] = {'F', 0x04, 0x00, 0x00, 0x01};
    frame_length(h);
}

static void test_frame_length(void) {
    const unsigned char h[FRAME_HEADER] = {'F', 0x04, 0x00, 0x00, 0x00}; /* exactly 64 MiB */
    CHECK(frame_length(h) == MAX_PAYLOAD);
    const unsigned char small[FRAME_HEADER] = {'I', 0x00, 0x01, 0x02, 0x03};
    CHECK(frame_length(small) == 0x010203);
    expect_fatal(too_long, NULL, "F frame of 67108865 bytes is over 64 MiB");
}

struct argv_case {
    const char *payload;
    uint32_t len;
};

static void parse_argv_of(void *arg) {
    struct argv_case *c = arg;
    char *p = malloc(c->len + 1);
    memcpy(p, c->payload, c->len);
    parse_argv(p, c->len, 'R');
}

static void test_parse_argv(void) {
    char *p = malloc(20);
    memcpy(p, "python3\0-u\0main.py\0", 19);
    char **argv = parse_argv(p, 19, 'R');
    CHECK(!strcmp(argv[0], "python3") && !strcmp(argv[1], "-u") && !strcmp(argv[2], "main.py") && argv[3] == NULL);
    free_argv(argv);
    char *q = malloc(8);
    memcpy(q, "a\0\0b\0", 5);
    argv = parse_argv(q, 5, 'A'); /* an empty argument is fine, only the program name may not be */
    CHECK(!strcmp(argv[0], "a") && argv[1][0] == '\0' && !strcmp(argv[2], "b") && argv[3] == NULL);
    free_argv(argv);

    struct argv_case empty = {"", 0}, unterminated = {"ls\0-l", 5}, no_name = {"\0x\0", 3};
    expect_fatal(parse_argv_of, &empty, "R frame must be NUL-terminated arguments");
    expect_fatal(parse_argv_of, &unterminated, "R frame must be NUL-terminated arguments");
    expect_fatal(parse_argv_of, &no_name, "R frame has an empty program name");
}

static void test_read_payload(void) {
    int fd = pipe_with("abc", 3);
    char *p = read_payload(fd, 3);
    CHECK(!strcmp(p, "abc"));
    free(p);
    close(fd);
}

static void short_payload(void *arg) {
    (void)arg;
    int fd = pipe_with("ab", 2);
    read_payload(fd, 3);
}

static void test_short_payload(void) {
    expect_fatal(short_payload, NULL, "stdin ended inside a frame");
}

/* ---- limits ------------------------------------------------------------------------------- */

static void test_parse_limits(void) {
    struct limits lim = default_limits;
    char text[] = "run_wall_ms=1500\nnproc=8\nsomething_new=abc\nstdout_max=0\n";
    parse_limits(&lim, text);
    CHECK(lim.run_wall_ms == 1500 && lim.nproc == 8 && lim.stdout_max == 0);
    CHECK(lim.run_cpu_ms == default_limits.run_cpu_ms && lim.nofile == default_limits.nofile);
    char big[] = "fsize_bytes=1000000000000000000";
    parse_limits(&lim, big);
    CHECK(lim.fsize_bytes == 1000000000000000000ull);
    struct limits other = lim;
    CHECK(same_rlimits(&lim, &other));
    other.run_wall_ms = 1; /* not an rlimit: a prepared step still fits */
    CHECK(same_rlimits(&lim, &other));
    other.nofile = 1;
    CHECK(!same_rlimits(&lim, &other));
}

static void parse_limits_of(void *arg) {
    struct limits lim = default_limits;
    char *text = strdup(arg);
    parse_limits(&lim, text);
}

static void test_bad_limits(void) {
    expect_fatal(parse_limits_of, "nproc", "L line without '='");
    expect_fatal(parse_limits_of, "nproc=", "empty value for nproc");
    expect_fatal(parse_limits_of, "nproc=-1", "bad value for nproc");
    expect_fatal(parse_limits_of, "nproc=0x10", "bad value for nproc");
    expect_fatal(parse_limits_of, "nproc= 5", "bad value for nproc");
    expect_fatal(parse_limits_of, "nproc=18446744073709551616", "bad value for nproc");
}

/* ---- frames: run-phase input ---------------------------------------------------------------- */

static const char run_bytes[] = "I\0\0\0\5hello"
                                "I\0\0\0\0"
                                "I\0\0\0\1!"
                                "E\0\0\0\0";
#define RUN_BYTES_LEN (sizeof run_bytes - 1)

static void test_run_input_whole(void) {
    struct run_input in = {.stdin_open = 1};
    run_input_parse(&in, run_bytes, RUN_BYTES_LEN);
    CHECK(in.pending_len == 6 && memcmp(in.pending, "hello!", 6) == 0);
    CHECK(in.closed && !in.cancelled && in.hdr_len == 0);
    run_input_consumed(&in, 2);
    CHECK(in.pending_len == 4 && memcmp(in.pending, "llo!", 4) == 0);
}

static void test_run_input_byte_by_byte(void) {
    /* Frames may arrive split anywhere, headers included. */
    struct run_input in = {.stdin_open = 1};
    for (size_t i = 0; i < RUN_BYTES_LEN; i++) {
        CHECK(!in.closed);
        run_input_parse(&in, run_bytes + i, 1);
    }
    CHECK(in.pending_len == 6 && memcmp(in.pending, "hello!", 6) == 0 && in.closed);
}

static void test_run_input_cancel_and_eof(void) {
    struct run_input in = {.stdin_open = 1};
    run_input_parse(&in, "I\0\0\0\2abK\0\0\0\0", 12);
    CHECK(in.cancelled && !in.closed && in.pending_len == 2);
    run_input_eof(&in); /* EOF is E, never K */
    CHECK(in.closed && !in.stdin_open);
    run_input_reset(&in);
    CHECK(!in.cancelled && !in.closed && in.pending_len == 0 && !in.stdin_open);
}

static void test_run_input_dropped(void) {
    struct run_input in = {.stdin_open = 1};
    in.dropped = 1; /* the program closed its stdin */
    run_input_parse(&in, "I\0\0\0\3abc", 8);
    CHECK(in.pending_len == 0 && in.hdr_len == 0);
}

static void run_input_of(void *arg) {
    struct run_input in = {.stdin_open = 1};
    const char *s = arg;
    run_input_parse(&in, s + 1, (size_t)s[0]);
}

static void eof_inside_frame(void *arg) {
    (void)arg;
    struct run_input in = {.stdin_open = 1};
    run_input_parse(&in, "I\0\0", 3);
    run_input_eof(&in);
}

static void test_run_input_errors(void) {
    expect_fatal(run_input_of, "\x05" "F\0\0\0\0", "frame type 0x46 not allowed after G");
    expect_fatal(run_input_of, "\x05" "G\0\0\0\0", "frame type 0x47 not allowed after G");
    expect_fatal(run_input_of, "\x06" "E\0\0\0\1x", "E frame with a payload");
    expect_fatal(run_input_of, "\x05" "K\0\0\0\7", "K frame with a payload");
    expect_fatal(run_input_of, "\x0b" "E\0\0\0\0I\0\0\0\1x", "I frame after E");
    expect_fatal(run_input_of, "\x05" "I\x05\0\0\0", "I frame of 83886080 bytes is over 64 MiB");
    expect_fatal(eof_inside_frame, NULL, "stdin ended inside a frame");
}

static void test_run_input_finish_frame(void) {
    /* The step ended inside an I frame: the rest is read, and the next frame starts clean. */
    struct run_input in = {.stdin_open = 1};
    run_input_parse(&in, "I\0\0\0\5he", 7);
    int fd = pipe_with("lloF", 4);
    run_input_finish_frame(&in, fd);
    CHECK(in.hdr_len == 0 && in.left == 0);
    char next;
    CHECK(read(fd, &next, 1) == 1 && next == 'F');
    close(fd);
    /* Inside a header: the header's rest and then its payload. */
    run_input_reset(&in);
    run_input_parse(&in, "I\0", 2);
    fd = pipe_with("\0\0\3xyzG", 7);
    run_input_finish_frame(&in, fd);
    CHECK(read(fd, &next, 1) == 1 && next == 'G');
    close(fd);
}

/* ---- workspace: paths and files ------------------------------------------------------------- */

static void test_path_ok(void) {
    const char *good[] = {"a", "main.py", "src/a/b.c", "./a", "a/./b", "...", "..a", "a..", ".hidden", "a/.b/c"};
    const char *bad[] = {"", "/", "/a", "/etc/passwd", "a/", "a//b", "..", "../a", "a/..", "a/../b", "a/b/../../.."};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!path_ok(good[i], strlen(good[i]))) fail("path_ok refused \"%s\"", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (path_ok(bad[i], strlen(bad[i]))) fail("path_ok took \"%s\"", bad[i]);
    /* The length counts, not a NUL: "a/.." cut to "a/." is fine, "a/" is not. */
    CHECK(path_ok("a/..", 3));
    CHECK(!path_ok("a/b", 2));
}

/* An F frame's payload in a pipe: path NUL content. */
static int file_frame(const char *path, const char *content, uint32_t *len) {
    char buf[512];
    size_t pl = strlen(path) + 1, cl = strlen(content);
    memcpy(buf, path, pl);
    memcpy(buf + pl, content, cl);
    *len = (uint32_t)(pl + cl);
    return pipe_with(buf, *len);
}

static void test_write_file_frame(void) {
    char dir[64], text[64];
    int dirfd = temp_dir(dir);
    uint32_t len;
    int fd = file_frame("src/deep/main.py", "print(1)\n", &len);
    write_file_frame(fd, dirfd, len);
    close(fd);
    CHECK(!strcmp(read_text(dirfd, "src/deep/main.py", text, sizeof text), "print(1)\n"));
    struct stat st;
    CHECK(fstatat(dirfd, "src/deep/main.py", &st, 0) == 0 && (st.st_mode & 07777) == 0644);
    CHECK(fstatat(dirfd, "src/deep", &st, 0) == 0 && (st.st_mode & 07777) == 0755);
    /* A file that existed is truncated and made 0644. */
    CHECK(fchmodat(dirfd, "src/deep/main.py", 0600, 0) == 0);
    fd = file_frame("src/deep/main.py", "x", &len);
    write_file_frame(fd, dirfd, len);
    close(fd);
    CHECK(!strcmp(read_text(dirfd, "src/deep/main.py", text, sizeof text), "x"));
    CHECK(fstatat(dirfd, "src/deep/main.py", &st, 0) == 0 && (st.st_mode & 07777) == 0644);
    wipe(dir, 1);
}

struct frame_case {
    int dirfd;
    const char *payload;
    uint32_t len;      /* bytes in the pipe */
    uint32_t declared; /* the frame's length, if more (0: len) */
};

static void write_frame_of(void *arg) {
    struct frame_case *c = arg;
    int fd = pipe_with(c->payload, c->len);
    write_file_frame(fd, c->dirfd, c->declared ? c->declared : c->len);
}

static void test_write_file_frame_errors(void) {
    char dir[64];
    int dirfd = temp_dir(dir);
    struct frame_case dotdot = {dirfd, "../x\0a", 6, 0}, absolute = {dirfd, "/tmp/x\0a", 8, 0},
                      empty_seg = {dirfd, "a//b\0a", 6, 0}, no_nul = {dirfd, "main.py", 7, 0},
                      short_content = {dirfd, "a\0bc", 4, 9};
    expect_fatal(write_frame_of, &dotdot, "bad file path \"../x\"");
    expect_fatal(write_frame_of, &absolute, "bad file path \"/tmp/x\"");
    expect_fatal(write_frame_of, &empty_seg, "bad file path \"a//b\"");
    expect_fatal(write_frame_of, &no_nul, "F frame without NUL after the path");
    expect_fatal(write_frame_of, &short_content, "stdin ended inside a frame");
    /* A symlink where the file goes is not followed. */
    CHECK(symlinkat("/tmp/launcher-test-outside", dirfd, "link") == 0);
    struct frame_case link = {dirfd, "link\0owned", 10, 0};
    expect_fatal(write_frame_of, &link, "creating file link");
    CHECK(access("/tmp/launcher-test-outside", F_OK) < 0 && errno == ENOENT);
    wipe(dir, 1);
}

static void test_wipe(void) {
    char dir[64];
    int dirfd = temp_dir(dir);
    CHECK(mkdirat(dirfd, "a", 0755) == 0 && mkdirat(dirfd, "a/locked", 0755) == 0);
    int fd = openat(dirfd, "a/locked/f", O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    close(fd);
    CHECK(fchmodat(dirfd, "a/locked", 0, 0) == 0); /* the program made it unreadable */
    CHECK(mkfifoat(dirfd, "fifo", 0600) == 0);
    CHECK(symlinkat("/etc", dirfd, "etc") == 0);
    wipe(dir, 0);
    CHECK(access(dir, F_OK) == 0);
    CHECK(access("/etc/hostname", F_OK) == 0 || errno == ENOENT); /* the link was removed, not followed */
    char sub[128];
    snprintf(sub, sizeof sub, "%s/a", dir);
    CHECK(access(sub, F_OK) < 0 && errno == ENOENT);
    wipe(dir, 1);
    CHECK(access(dir, F_OK) < 0 && errno == ENOENT);
    wipe(dir, 1); /* nothing there: nothing to do */
}

static void test_fresh_tmpfs(void) {
    if (geteuid() != 0) fail("needs root (the suite runs as root)");
    char dir[64], file[96];
    close(temp_dir(dir));
    snprintf(file, sizeof file, "%s/left", dir);
    int mounted = 0;
    fresh_tmpfs(dir, "size=64k,mode=0700,uid=20003,gid=20003", &mounted);
    CHECK(mounted == 1);
    CHECK(mount_size(dir) == 64 * 1024);
    struct stat st;
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700 && st.st_uid == 20003 && st.st_gid == 20003);
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    close(fd);
    /* The next one replaces it (not on top of it): what the last left is gone. */
    fresh_tmpfs(dir, "size=32k,mode=1777", &mounted);
    CHECK(access(file, F_OK) < 0 && errno == ENOENT);
    CHECK(mount_size(dir) == 32 * 1024);
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 01777 && st.st_uid == 0);
    CHECK(umount2(dir, 0) == 0);
    /* Only one of ours was there: the folder underneath is the plain one again. */
    CHECK(umount2(dir, 0) < 0);
    CHECK(rmdir(dir) == 0);
}

static void test_remove_device(void) {
    char dir[64], net[96], tun[128], fuse[96];
    close(temp_dir(dir));
    snprintf(net, sizeof net, "%s/net", dir);
    snprintf(tun, sizeof tun, "%s/tun", net);
    snprintf(fuse, sizeof fuse, "%s/fuse", dir);
    CHECK(mkdir(net, 0755) == 0);
    CHECK(mkfifo(tun, 0666) == 0 && mkfifo(fuse, 0666) == 0);
    remove_device(fuse, NULL);
    remove_device(tun, net);
    CHECK(access(fuse, F_OK) < 0 && access(net, F_OK) < 0 && errno == ENOENT);
    remove_device(tun, net); /* nothing there: nothing to do */
    CHECK(rmdir(dir) == 0);
}

/* ---- confinement (in a forked child, on the host kernel) ------------------------------------- */

static void rlimits_child(void *arg) {
    (void)arg;
    struct confinement c = {.uid = 20000, .cpu_ms = 1500, .fsize_bytes = 4096, .nofile = 32, .nproc = 7};
    apply_rlimits(&c);
    struct rlimit rl;
    if (getrlimit(RLIMIT_CPU, &rl) || rl.rlim_cur != 2 || rl.rlim_max != 3) _exit(10);
    if (getrlimit(RLIMIT_FSIZE, &rl) || rl.rlim_cur != 4096 || rl.rlim_max != 4096) _exit(11);
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != 32 || rl.rlim_max != 32) _exit(12);
    if (getrlimit(RLIMIT_NPROC, &rl) || rl.rlim_cur != 7) _exit(13);
    if (getrlimit(RLIMIT_CORE, &rl) || rl.rlim_cur != 0 || rl.rlim_max != 0) _exit(14);
    c.cpu_ms = 0; /* at least a second */
    apply_rlimits(&c);
    if (getrlimit(RLIMIT_CPU, &rl) || rl.rlim_cur != 1 || rl.rlim_max != 2) _exit(15);
}

static void expect_child_ok(void (*fn)(void *), void *arg) {
    char err[1024];
    int status = in_child(fn, arg, err, sizeof err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("child ended with status 0x%x: %s", status, err);
}

static void test_rlimits(void) {
    expect_child_ok(rlimits_child, NULL);
}

static void drop_child(void *arg) {
    (void)arg;
    drop_privileges(20001);
    uid_t r, e, s;
    gid_t gr, ge, gs;
    if (getresuid(&r, &e, &s) || r != 20001 || e != 20001 || s != 20001) _exit(10);
    if (getresgid(&gr, &ge, &gs) || gr != 20001 || ge != 20001 || gs != 20001) _exit(11);
    if (getgroups(0, NULL) != 0) _exit(12);
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) _exit(13);
    if (setuid(0) == 0 || errno != EPERM) _exit(14);
    if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) _exit(15);
    if (kill(1, 0) == 0 || errno != EPERM) _exit(16); /* not root: cannot signal init */
}

static void test_drop_privileges(void) {
    if (geteuid() != 0) fail("needs root (the suite runs as root)");
    expect_child_ok(drop_child, NULL);
}

/* A syscall's errno after the filter (0 if it succeeded). */
static int errno_of(long rc) {
    return rc < 0 ? errno : 0;
}

static void seccomp_child(void *arg) {
    drop_privileges(20002);
    confine_syscalls();
    if (errno_of(unshare(CLONE_NEWUSER)) != EPERM) _exit(10);
    if (errno_of(unshare(CLONE_NEWNET)) != EPERM) _exit(11);
    if (errno_of(syscall(SYS_setns, 0, 0)) != EPERM) _exit(12);
    if (errno_of(mount("none", "/tmp", "tmpfs", 0, NULL)) != EPERM) _exit(13);
    if (errno_of(umount2("/tmp", 0)) != EPERM) _exit(14);
    if (errno_of(chroot("/tmp")) != EPERM) _exit(15);
    if (errno_of(syscall(SYS_clone3, NULL, 0)) != ENOSYS) _exit(16);
    if (errno_of(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)) != EPERM) _exit(17);
    if (errno_of(syscall(SYS_bpf, 0, NULL, 0)) != EPERM) _exit(18);
    if (errno_of(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0)) != EPERM) _exit(19);
    /* No device nodes (both calls; mknod is x86-64 only), FIFOs still; no negative nice. */
    const char *node = arg;
    if (errno_of(mknodat(AT_FDCWD, node, S_IFCHR | 0666, makedev(1, 3))) != EPERM) _exit(21);
    if (errno_of(mknodat(AT_FDCWD, node, S_IFBLK | 0666, makedev(7, 0))) != EPERM) _exit(22);
#ifdef SYS_mknod
    if (errno_of(syscall(SYS_mknod, node, S_IFCHR | 0666, makedev(1, 3))) != EPERM) _exit(23);
    if (errno_of(syscall(SYS_mknod, node, S_IFBLK | 0666, makedev(7, 0))) != EPERM) _exit(24);
#endif
    if (errno_of(mknodat(AT_FDCWD, node, S_IFIFO | 0600, 0)) != 0) _exit(25);
    if (errno_of(setpriority(PRIO_PROCESS, 0, -20)) != EPERM) _exit(26);
    if (errno_of(setpriority(PRIO_PROCESS, 0, -1)) != EPERM) _exit(27);
    if (errno_of(setpriority(PRIO_PROCESS, 0, 5)) != 0) _exit(28);
    /* A plain fork (clone without namespace flags) still works. */
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) _exit(20);
}

static void test_seccomp(void) {
    if (geteuid() != 0) fail("needs root (the suite runs as root)");
    /* A folder the child's uid may write in, for the nodes it tries to make. */
    char dir[64], node[96];
    close(temp_dir(dir));
    CHECK(chmod(dir, 01777) == 0);
    snprintf(node, sizeof node, "%s/node", dir);
    expect_child_ok(seccomp_child, node);
    wipe(dir, 1);
}

/* ---- main ------------------------------------------------------------------------------------ */

/* ---- artifacts ------------------------------------------------------------------------------ */

/* The frames collect_artifacts() wrote (stdout sent to a temporary file), as one text line per
 * frame: "a <path> <size> <content>" (content of the b frames after it), "s <path> <reason>",
 * "y <payload>", joined by '\n' into out. */
static void collect_into(int workspace_fd, const struct artifact_limits *lim, char *out, size_t cap) {
    FILE *tmp = tmpfile();
    CHECK(tmp != NULL);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(tmp), STDOUT_FILENO);
    collect_artifacts(workspace_fd, lim);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    long size = lseek(fileno(tmp), 0, SEEK_END);
    unsigned char *raw = malloc((size_t)size + 1);
    CHECK(raw && pread(fileno(tmp), raw, (size_t)size, 0) == size);
    fclose(tmp);
    size_t used = 0;
    out[0] = '\0';
    for (long at = 0; at < size;) {
        CHECK(size - at >= FRAME_HEADER);
        uint32_t len = frame_length(raw + at);
        char type = (char)raw[at];
        const char *p = (const char *)raw + at + FRAME_HEADER;
        at += FRAME_HEADER + (long)len;
        CHECK(at <= size);
        if (type == 'b') {
            CHECK(used + len < cap);
            memcpy(out + used, p, len);
            used += len;
        } else {
            const char *second = memchr(p, '\0', len) ? p + strlen(p) + 1 : "";
            int n = type == 'y' ? snprintf(out + used, cap - used, "%sy %.*s", used ? "\n" : "", (int)len, p)
                                : snprintf(out + used, cap - used, "%s%c %s %.*s%s", used ? "\n" : "", type, p,
                                           (int)(len - (size_t)(second - p)), second, type == 'a' ? " " : "");
            CHECK(n > 0 && used + (size_t)n < cap);
            used += (size_t)n;
        }
        out[used] = '\0';
    }
    free(raw);
}

static void put_file(int dirfd, const char *name, const void *data, size_t len) {
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write_full(fd, data, len) == 0);
    close(fd);
}

/* A workspace with output/: two files, one in a sub-folder, an empty one, and everything that
 * must not be followed or opened: a symlink to a file outside, a symlink to a folder outside,
 * a FIFO (opening it would block), a socket. */
static int artifacts_workspace(char path[64]) {
    int ws = temp_dir(path);
    CHECK(mkdirat(ws, "output", 0755) == 0);
    int out = openat(ws, "output", O_RDONLY | O_DIRECTORY);
    CHECK(out >= 0);
    put_file(out, "data.csv", "a,b\n1,2\n", 8);
    put_file(out, "plot.png", "\x89PNG\r\n\x1a\n\0\xff", 10);
    put_file(out, "empty.txt", "", 0);
    CHECK(mkdirat(out, "sub", 0755) == 0);
    put_file(out, "sub/deep.txt", "deep", 4);
    CHECK(symlinkat("/etc/passwd", out, "passwd") == 0);
    CHECK(symlinkat("/etc", out, "etc") == 0);
    CHECK(mkfifoat(out, "fifo", 0644) == 0);
    CHECK(mknodat(out, "sock", S_IFSOCK | 0644, 0) == 0);
    close(out);
    return ws;
}

static void test_artifacts_collected(void) {
    char path[64];
    int ws = artifacts_workspace(path);
    struct artifact_limits lim = {100, 1 << 20, 1 << 20};
    static char got[4096];
    collect_into(ws, &lim, got, sizeof got);
    const char want[] = "a data.csv 8 a,b\n1,2\n\n"
                        "a empty.txt 0 \n"
                        "s etc symlink\n"
                        "s fifo not_regular\n"
                        "s passwd symlink\n"
                        "a plot.png 10 \x89PNG\r\n\x1a\n\0\xff\n"
                        "s sock not_regular\n"
                        "a sub/deep.txt 4 deep\n"
                        "y count=4 bytes=22 skipped=4";
    CHECK(memcmp(got, want, sizeof want) == 0);
    close(ws);
    wipe(path, 1);
}

static void test_artifacts_limits(void) {
    char path[64];
    int ws = artifacts_workspace(path);
    static char got[4096];
    /* Per file 9 bytes: plot.png (10) is too large; in all 11: deep.txt (8 + 4) passes it. */
    struct artifact_limits lim = {100, 9, 11};
    collect_into(ws, &lim, got, sizeof got);
    CHECK(strstr(got, "a data.csv 8 ") && strstr(got, "a empty.txt 0 "));
    CHECK(strstr(got, "s plot.png too_large") && strstr(got, "s sub/deep.txt total_limit"));
    CHECK(strstr(got, "\ny count=2 bytes=8 skipped=6"));
    /* Count 1: the first file by name only. */
    struct artifact_limits one = {1, 1 << 20, 1 << 20};
    collect_into(ws, &one, got, sizeof got);
    CHECK(!strncmp(got, "a data.csv 8 ", 13) && strstr(got, "s empty.txt count_limit"));
    CHECK(strstr(got, "\ny count=1 bytes=8 skipped=7"));
    /* Count 0: artifacts are off, not a single frame. */
    struct artifact_limits off = {0, 1 << 20, 1 << 20};
    collect_into(ws, &off, got, sizeof got);
    CHECK(got[0] == '\0');
    close(ws);
    wipe(path, 1);
}

static void test_artifacts_output_not_a_folder(void) {
    char path[64];
    int ws = temp_dir(path);
    struct artifact_limits lim = {10, 100, 100};
    static char got[1024];
    collect_into(ws, &lim, got, sizeof got);
    CHECK(!strcmp(got, "y count=0 bytes=0 skipped=0")); /* no output/ at all */
    CHECK(symlinkat("/etc", ws, "output") == 0);
    collect_into(ws, &lim, got, sizeof got);
    CHECK(!strcmp(got, "s . not_a_folder\ny count=0 bytes=0 skipped=1"));
    close(ws);
    wipe(path, 1);
}

/* 10,000 files with a count limit of 3: three sent, the rest counted, at most 100 `s` frames. */
static void test_artifacts_many_files(void) {
    char path[64];
    int ws = temp_dir(path);
    CHECK(mkdirat(ws, "output", 0755) == 0);
    int out = openat(ws, "output", O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 10000; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%05d", i);
        put_file(out, name, "x", 1);
    }
    close(out);
    struct artifact_limits lim = {3, 100, 100};
    static char got[65536];
    collect_into(ws, &lim, got, sizeof got);
    CHECK(!strncmp(got, "a f00000 1 x\na f00001 1 x\na f00002 1 x\ns f00003 count_limit\n", 60));
    size_t skips = 0;
    for (const char *p = got; (p = strstr(p, "\ns ")); p++) skips++;
    CHECK(skips == ARTIFACTS_MAX_SKIP_FRAMES);
    CHECK(strstr(got, "\ny count=3 bytes=3 skipped=9997"));
    close(ws);
    wipe(path, 1);
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    {"emit writes one frame: type, big-endian length, payload", test_emit_frame},
    {"emit splits a payload larger than a chunk", test_emit_splits_at_chunk},
    {"frame length is big-endian, at most 64 MiB", test_frame_length},
    {"parse_argv: NUL-terminated arguments, errors name the frame", test_parse_argv},
    {"read_payload reads exactly the length", test_read_payload},
    {"a payload cut short is a protocol error", test_short_payload},
    {"parse_limits: known keys, decimal values, unknown keys ignored", test_parse_limits},
    {"parse_limits: malformed lines and values are protocol errors", test_bad_limits},
    {"run input: I frames queue stdin, E closes it", test_run_input_whole},
    {"run input: frames split at every byte", test_run_input_byte_by_byte},
    {"run input: K cancels, EOF counts as E", test_run_input_cancel_and_eof},
    {"run input: dropped once the program closed its stdin", test_run_input_dropped},
    {"run input: wrong types, payloads and lengths are protocol errors", test_run_input_errors},
    {"run input: a frame cut by the step's end is read to its end", test_run_input_finish_frame},
    {"path_ok: relative, no empty or .. segment", test_path_ok},
    {"F frame: parents made, file 0644, existing file truncated", test_write_file_frame},
    {"F frame: bad paths, a missing NUL, short content, a symlink", test_write_file_frame_errors},
    {"wipe: everything inside, unreadable folders too, symlinks not followed", test_wipe},
    {"fresh_tmpfs: size, mode and owner as asked; the next replaces the last and its files", test_fresh_tmpfs},
    {"remove_device: the node and its emptied folder; a missing one is nothing to do", test_remove_device},
    {"rlimits: CPU rounded up to seconds, hard limit a second later, no core", test_rlimits},
    {"drop_privileges: one uid and gid, no groups, no capability, no new privileges", test_drop_privileges},
    {"artifacts: files sent sorted, symlinks, FIFOs and sockets skipped unopened", test_artifacts_collected},
    {"artifacts: per-file, total and count limits skip with a reason; count 0 sends nothing", test_artifacts_limits},
    {"artifacts: no output folder, or a symlink in its place", test_artifacts_output_not_a_folder},
    {"artifacts: 10,000 files past the count limit: counted, at most 100 skip frames", test_artifacts_many_files},
    {"seccomp: no namespaces, mounts, chroot, bpf, perf, device nodes or negative nice; fork still works", test_seccomp},
};

int main(int argc, char **argv) {
    size_t n = sizeof cases / sizeof cases[0];
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < n; i++) printf("%s\n", cases[i].name);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s --list | <case>\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], cases[i].name) != 0) continue;
        current = cases[i].name;
        cases[i].fn();
        printf("ok\n");
        return 0;
    }
    fprintf(stderr, "no case \"%s\"\n", argv[1]);
    return 2;
}
