/*
 * MUSCode sandbox launcher: the first process of a sandbox container (PID 1, root inside
 * gVisor with a handful of capabilities). It takes the files, commands and limits of a
 * submission as frames on stdin, runs the optional compile step and the run step as an
 * unprivileged uid without capabilities, and streams their output back as frames on stdout.
 * With `reuse=1` it wipes the sandbox afterwards and serves the next submission; with `jail=1`
 * every step runs in fresh PID, network, UTS and IPC namespaces under a uid of its own. The wire format and the rules
 * are in PROTOCOL.md next to this file. Where it leaves room, this file decides:
 *  - Frames outside their phase (I/E/K before G, F/C/R/A/L/G after it), a second C, R or A, a
 *    payload on E/K/G, I after E, and EOF before G or inside a frame are protocol errors.
 *  - compile_output_max works like stdout_max: past it the compiler is killed, output_limit=1.
 *  - "." path segments are allowed (harmless); "..", empty segments and absolute paths are not.
 *  - wall_ms runs from fork to the main process's exit (not the 100 ms drain); cpu_ms and
 *    maxrss_kb are the main process's wait4() figures (with the children it waited for).
 *  - cpu_limit follows the rule literally, so a SIGKILL from the wall limit, the output cap or
 *    K also counts when the CPU time was already past the limit.
 *  - K after the main process exited still marks that step's x cancelled=1 and ends the
 *    session; every exec failure is exit 127; the launcher refuses to start unless PID 1.
 *  - kill(-1) is called by the launcher itself rather than a forked helper: Linux and gVisor
 *    both skip the caller as well as PID 1, so the effect is the same without a fork.
 *  - Between submissions of a reused sandbox, late I/E/K frames of the previous one are
 *    skipped; EOF between submissions ends the launcher with status 0.
 *
 *  - A prepared run step (MUSCODE_PREPARE) is started while the launcher waits for a
 *    submission, with the submission's uid, workspace, jail and rlimits of MUSCODE_LIMITS; it is
 *    used only when the submission sent A, has no compile step and asks for the same rlimits;
 *    otherwise it is killed and the run step starts as usual. Its wall_ms runs from the go.
 *
 * Single-threaded by design: one poll() loop owns every descriptor, and every frame is written
 * to stdout whole before the next one starts, so frames can never interleave.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sched.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKSPACE "/workspace"
#define MAX_PAYLOAD (64u * 1024u * 1024u)
#define CHUNK 65536
#define DRAIN_MS 100
#define EXEC_FAILED 127
/* The uid of sandbox and owner mode (the image's `runner` user); jail mode uses JAIL_UID_BASE
 * plus the submission's number, so no two submissions of one sandbox share a uid. */
#define RUNNER_UID 1000
#define JAIL_UID_BASE 20000
#define JAIL_UIDS 40000

extern char **environ;

/* ------------------------------------------------------------------------------------------ */
/* Faults                                                                                      */

/* Launcher faults (bad frames, I/O errors on our own streams, fork failures) end the sandbox:
 * the agent treats exit status 3 plus the message on stderr as an internal error, never as the
 * user's fault. Whatever the user started must not outlive us, so everything is killed first
 * (as PID 1 our exit would take the namespace down anyway; this just makes it explicit). */
static void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fatal(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kill(-1, SIGKILL);
    dprintf(STDERR_FILENO, "launcher: %s\n", msg);
    _exit(3);
}

/* ------------------------------------------------------------------------------------------ */
/* Small I/O helpers                                                                           */

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A short write or an EINTR must never cut a frame in half: the agent would lose sync. */
static int write_full(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads exactly len bytes; returns the count read before EOF (less than len only at EOF). */
static size_t read_full(int fd, void *buf, size_t len) {
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            fatal("reading stdin: %s", strerror(errno));
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    return got;
}

static void set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) fatal("fcntl: %s", strerror(errno));
}

static void close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* One output frame, header and payload in a single buffer so it goes out in one write when the
 * pipe allows it; write_full covers the rest. */
static void emit(char type, const void *data, size_t len) {
    static char buf[5 + CHUNK];
    while (1) {
        size_t n = len > CHUNK ? CHUNK : len;
        buf[0] = type;
        buf[1] = (char)((n >> 24) & 0xff);
        buf[2] = (char)((n >> 16) & 0xff);
        buf[3] = (char)((n >> 8) & 0xff);
        buf[4] = (char)(n & 0xff);
        if (n) memcpy(buf + 5, data, n);
        if (write_full(STDOUT_FILENO, buf, 5 + n) < 0) fatal("writing stdout: %s", strerror(errno));
        data = (const char *)data + n;
        len -= n;
        if (len == 0) break;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Setup state                                                                                 */

struct limits {
    uint64_t compile_wall_ms, compile_cpu_ms, run_wall_ms, run_cpu_ms;
    uint64_t nproc, nofile, fsize_bytes;
    uint64_t stdout_max, stderr_max, compile_output_max;
};

static const struct limits default_limits = {
    .compile_wall_ms = 10000,
    .compile_cpu_ms = 10000,
    .run_wall_ms = 5000,
    .run_cpu_ms = 5000,
    .nproc = 64,
    .nofile = 256,
    .fsize_bytes = 16777216,
    .stdout_max = 65536,
    .stderr_max = 65536,
    .compile_output_max = 65536,
};
static struct limits lim;
/* The limits every submission starts from: the defaults above, with MUSCODE_LIMITS (same
 * format as an L frame) on top, set by the agent to its pool's limits. */
static struct limits base_limits;

/* Per submission: its number (from 0), the uid its steps run as, and the workspace folder the
 * launcher writes its files into (/workspace itself, or /workspace/.jail-<n> in jail mode). */
static unsigned long job_seq;
/* The sandbox's mode, from MUSCODE_LAUNCHER_MODE in the container's environment (set by the
 * agent, never by a submission): reuse = serve submissions one after another, jail = run
 * each in namespaces of its own. */
static int mode_reuse, mode_jail;
static uid_t job_uid = RUNNER_UID;
static char job_dir[64];

static char **compile_argv; /* NULL: no compile step */
static char **run_argv;
static char **prepared_args; /* A frame: the arguments a prepared run step gets at the go */

/* The prepared run step: MUSCODE_PREPARE's command (split at spaces), started as soon as the
 * launcher waits for a submission, in that submission's uid, folder and jail, with rlimits
 * from base_limits. Descriptor 3 is a socket to the launcher: the step writes "r" there once
 * its interpreter is loaded (the launcher then sends a `p` frame), and blocks reading it; the
 * go is the A frame's arguments written there, NUL-terminated, then the end of that stream. */
static char **prepare_argv;
static struct {
    pid_t pid;          /* -1: none */
    int in_fd, out_fd, err_fd, go_fd;
    int dead;           /* reaped before its go: it cannot be used */
    int ready;          /* 0: not yet, 1: said "r" (p sent), -1: said something else or nothing */
} prep = {-1, -1, -1, -1, -1, 0, 0};
static int workspace_fd = -1;

/* ------------------------------------------------------------------------------------------ */
/* Children and signals                                                                        */

/* SIGCHLD only wakes the poll loop (self-pipe); the reaping itself happens in the loop, where
 * it is safe to touch state. */
static int wake_pipe[2] = {-1, -1};

static void on_sigchld(int sig) {
    (void)sig;
    int saved = errno;
    char c = 0;
    ssize_t r = write(wake_pipe[1], &c, 1); /* full pipe: a wake-up is already pending */
    (void)r;
    errno = saved;
}

static pid_t main_pid = -1; /* the step's main process while it runs */
static int main_status;
static struct rusage main_usage;
static int main_reaped;

/* As PID 1 every orphan of the sandbox becomes our child; each must be reaped or it stays a
 * zombie (and counts against RLIMIT_NPROC). The main process's status and rusage are kept. */
static void reap(void) {
    while (1) {
        int status;
        struct rusage ru;
        pid_t pid = wait4(-1, &status, WNOHANG, &ru);
        if (pid < 0 && errno == EINTR) continue;
        if (pid <= 0) return;
        if (pid == main_pid && !main_reaped) {
            main_status = status;
            main_usage = ru;
            main_reaped = 1;
        } else if (pid == prep.pid) {
            prep.dead = 1;
        }
    }
}

/* Kills every process but the launcher. kill(-1) never reaches the caller nor PID 1, and the
 * launcher is root with CAP_KILL, so this is the step's process group and anything that left
 * it (setsid, daemons, double forks, a jail's whole PID namespace). Returns 0 once nothing is
 * left. Processes that are still dying (or zombies not yet reaped) count as left, so the
 * callers repeat it from their loop until it reports nothing, which also catches a child
 * forked while the previous sweep ran. */
static int kill_all(void) {
    reap();
    if (kill(-1, SIGKILL) == 0) return 1;
    return 0; /* ESRCH: nothing left */
}

/* Sweeps until nothing is left; a process that will not die ends the sandbox (never handed on
 * to another step or submission). */
static void kill_everything(void) {
    for (int i = 0; i < 2000; i++) {
        if (!kill_all()) return;
        usleep(1000);
    }
    fatal("processes of the step survived SIGKILL for 2 s");
}

/* ------------------------------------------------------------------------------------------ */
/* Files                                                                                       */

/* Validates a workspace-relative path as the protocol demands: relative, no empty segment (so
 * no leading, trailing or double slash), no "..". */
static int path_ok(const char *path, size_t len) {
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

/* mkdir -p of the parents of path, relative to the workspace. */
static void make_parents(char *path) {
    for (char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdirat(workspace_fd, path, 0755) < 0 && errno != EEXIST)
            fatal("making folder %s: %s", path, strerror(errno));
        *p = '/';
    }
}

/* F frame: "path NUL content". The content is streamed from stdin to the file, so a large file
 * never has to fit in memory. */
static void read_file_frame(uint32_t len) {
    char path[PATH_MAX];
    size_t plen = 0;
    uint32_t left = len;
    while (1) {
        if (left == 0) fatal("protocol error: F frame without NUL after the path");
        if (plen == sizeof path) fatal("protocol error: F frame path too long");
        if (read_full(STDIN_FILENO, path + plen, 1) != 1) fatal("protocol error: stdin ended inside a frame");
        left--;
        if (path[plen] == '\0') break;
        plen++;
    }
    if (!path_ok(path, plen)) fatal("protocol error: bad file path \"%s\"", path);
    make_parents(path);
    int fd = openat(workspace_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) fatal("creating file %s: %s", path, strerror(errno));
    /* The umask is 022, but be explicit: the file is 0644 whatever existed before. */
    if (fchmod(fd, 0644) < 0) fatal("chmod %s: %s", path, strerror(errno));
    static char buf[CHUNK];
    while (left > 0) {
        size_t n = left > sizeof buf ? sizeof buf : left;
        if (read_full(STDIN_FILENO, buf, n) != n) fatal("protocol error: stdin ended inside a frame");
        if (write_full(fd, buf, n) < 0) fatal("writing file %s: %s", path, strerror(errno));
        left -= (uint32_t)n;
    }
    /* close() is where a full tmpfs can still report its error. */
    if (close(fd) < 0) fatal("writing file %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------------------------------ */
/* Setup frames                                                                                */

static char *read_payload(uint32_t len) {
    char *p = malloc((size_t)len + 1);
    if (!p) fatal("out of memory");
    if (read_full(STDIN_FILENO, p, len) != len) fatal("protocol error: stdin ended inside a frame");
    p[len] = '\0';
    return p;
}

/* C and R: every argument NUL-terminated. The payload buffer is kept; argv points into it. */
static char **parse_argv(char *p, uint32_t len, char type) {
    if (len == 0 || p[len - 1] != '\0') fatal("protocol error: %c frame must be NUL-terminated arguments", type);
    size_t argc = 0;
    for (uint32_t i = 0; i < len; i++)
        if (p[i] == '\0') argc++;
    char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv) fatal("out of memory");
    size_t k = 0;
    for (char *s = p; s < p + len; s += strlen(s) + 1) argv[k++] = s;
    if (argv[0][0] == '\0') fatal("protocol error: %c frame has an empty program name", type);
    return argv;
}

static void parse_limits(char *p) {
    static const struct {
        const char *key;
        uint64_t *val;
    } keys[] = {
        {"compile_wall_ms", &lim.compile_wall_ms},
        {"compile_cpu_ms", &lim.compile_cpu_ms},
        {"run_wall_ms", &lim.run_wall_ms},
        {"run_cpu_ms", &lim.run_cpu_ms},
        {"nproc", &lim.nproc},
        {"nofile", &lim.nofile},
        {"fsize_bytes", &lim.fsize_bytes},
        {"stdout_max", &lim.stdout_max},
        {"stderr_max", &lim.stderr_max},
        {"compile_output_max", &lim.compile_output_max},
    };
    char *save = NULL;
    for (char *line = strtok_r(p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) fatal("protocol error: L line without '=': %.64s", line);
        *eq = '\0';
        const char *val = eq + 1;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            if (strcmp(line, keys[i].key) != 0) continue;
            /* Plain decimal only: strtoull would also take signs, spaces and hex. */
            uint64_t v = 0;
            if (*val == '\0') fatal("protocol error: empty value for %s", line);
            for (const char *c = val; *c; c++) {
                if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10)
                    fatal("protocol error: bad value for %s: %.32s", line, val);
                v = v * 10 + (uint64_t)(*c - '0');
            }
            *keys[i].val = v;
        }
        /* Unknown keys are ignored, so the agent can be newer than the image. */
    }
}

/* Between frames of the setup phase: waits until stdin has something, and meanwhile tells the
 * agent (a `p` frame with the submission's number) when the prepared step is loaded, so it can
 * prefer this sandbox. Anything but "r" on the socket (EOF: the step died) ends the watch;
 * prepared_fits() decides at G. */
static void await_frame(void) {
    while (prep.pid > 0 && prep.ready == 0) {
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {prep.go_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            fatal("poll: %s", strerror(errno));
        }
        if (fds[1].revents) {
            char c;
            ssize_t n = read(prep.go_fd, &c, 1);
            if (n < 0 && errno == EINTR) continue;
            prep.ready = n == 1 && c == 'r' ? 1 : -1;
            if (prep.ready == 1) {
                char seq[24];
                int len = snprintf(seq, sizeof seq, "%lu", job_seq);
                emit('p', seq, (size_t)len);
            }
        }
        if (fds[0].revents) return;
    }
}

/* The prepared step can serve this submission: still alive, asked for (A), no compile step,
 * and the rlimits it was started with are the ones the submission wants. */
static int prepared_fits(void) {
    reap();
    return prep.pid > 0 && !prep.dead && prepared_args && !compile_argv &&
           lim.run_cpu_ms == base_limits.run_cpu_ms && lim.nproc == base_limits.nproc &&
           lim.nofile == base_limits.nofile && lim.fsize_bytes == base_limits.fsize_bytes;
}

/* Returns 0 at a clean EOF between submissions of a reused sandbox. */
static int read_header(char *type, uint32_t *len, int first) {
    unsigned char h[5];
    await_frame();
    size_t n = read_full(STDIN_FILENO, h, sizeof h);
    if (n == 0 && first && job_seq > 0) return 0;
    if (n == 0) fatal("protocol error: stdin ended before G");
    if (n != sizeof h) fatal("protocol error: stdin ended inside a frame header");
    int late = job_seq > 0 && memchr("IEK", h[0], 3) && h[0] != 0;
    if ((!memchr("FCRALG", h[0], 6) || h[0] == 0) && !late)
        fatal("protocol error: frame type 0x%02x not allowed before G", h[0]);
    *type = (char)h[0];
    *len = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | (uint32_t)h[4];
    if (*len > MAX_PAYLOAD) fatal("protocol error: %c frame of %u bytes is over 64 MiB", *type, *len);
    return 1;
}

static void skip_payload(uint32_t len) {
    static char buf[CHUNK];
    while (len > 0) {
        size_t n = len > sizeof buf ? sizeof buf : len;
        if (read_full(STDIN_FILENO, buf, n) != n) fatal("protocol error: stdin ended inside a frame");
        len -= (uint32_t)n;
    }
}

/* Reads frames until G, with plain blocking reads: nothing runs yet, so there is nothing else
 * to watch. Reads never go past G, so the run phase starts exactly at the next frame. Returns
 * 0 if stdin ended cleanly before the first frame of a later submission. */
static int setup_phase(void) {
    int first = 1; /* no frame of this submission yet */
    while (1) {
        char type;
        uint32_t len;
        if (!read_header(&type, &len, first)) return 0;
        first = type == 'I' || type == 'E' || type == 'K';
        switch (type) {
        case 'I':
        case 'E':
        case 'K':
            /* Input or a cancel that reached us after the previous submission ended. */
            skip_payload(len);
            break;
        case 'F':
            read_file_frame(len);
            break;
        case 'C':
        case 'R':
        case 'A': {
            char ***slot = type == 'C' ? &compile_argv : type == 'R' ? &run_argv : &prepared_args;
            if (*slot) fatal("protocol error: second %c frame", type);
            *slot = parse_argv(read_payload(len), len, type);
            break;
        }
        case 'L': {
            char *p = read_payload(len);
            if (memchr(p, '\0', len)) fatal("protocol error: NUL in L frame");
            parse_limits(p);
            free(p);
            break;
        }
        case 'G':
            if (len != 0) fatal("protocol error: G frame with a payload");
            if (!run_argv) fatal("protocol error: G before R");
            return 1;
        default:
            fatal("protocol error: frame type 0x%02x not allowed before G", (unsigned char)type);
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Run phase input: I, E, K frames, parsed incrementally from whatever poll() says is there.  */

static int stdin_open = 1; /* launcher stdin not yet at EOF */
static int cancelled;      /* K received */
static int input_closed;   /* E (or EOF) received: the run step's stdin closes once drained */

/* Bytes for the run step's stdin, in order, not yet written to its pipe. */
static char *pending;
static size_t pending_len, pending_cap;
static int input_dropped; /* the run step closed its stdin: further input goes nowhere */

static void queue_input(const char *p, size_t n) {
    if (input_dropped || n == 0) return;
    if (pending_len + n > pending_cap) {
        size_t cap = pending_cap ? pending_cap : CHUNK;
        while (cap < pending_len + n) cap *= 2;
        char *q = realloc(pending, cap);
        if (!q) fatal("out of memory buffering stdin");
        pending = q;
        pending_cap = cap;
    }
    memcpy(pending + pending_len, p, n);
    pending_len += n;
}

static struct {
    unsigned char hdr[5];
    size_t hdr_len;
    char type;
    uint32_t left; /* payload bytes of the current frame still to come */
} in;

static void frame_done(void) {
    if (in.type == 'E') input_closed = 1;
    if (in.type == 'K') cancelled = 1;
    in.hdr_len = 0;
}

static void parse_run_input(const char *p, size_t n) {
    while (n > 0) {
        if (in.hdr_len < sizeof in.hdr) {
            size_t take = sizeof in.hdr - in.hdr_len;
            if (take > n) take = n;
            memcpy(in.hdr + in.hdr_len, p, take);
            in.hdr_len += take;
            p += take;
            n -= take;
            if (in.hdr_len < sizeof in.hdr) return;
            in.type = (char)in.hdr[0];
            in.left = (uint32_t)in.hdr[1] << 24 | (uint32_t)in.hdr[2] << 16 | (uint32_t)in.hdr[3] << 8 |
                      (uint32_t)in.hdr[4];
            if (in.type != 'I' && in.type != 'E' && in.type != 'K')
                fatal("protocol error: frame type 0x%02x not allowed after G", in.hdr[0]);
            if (in.left > MAX_PAYLOAD) fatal("protocol error: %c frame of %u bytes is over 64 MiB", in.type, in.left);
            if (in.type != 'I' && in.left != 0) fatal("protocol error: %c frame with a payload", in.type);
            if (in.type == 'I' && input_closed) fatal("protocol error: I frame after E");
            if (in.left == 0) frame_done();
            continue;
        }
        size_t take = in.left < n ? in.left : n;
        queue_input(p, take);
        p += take;
        n -= take;
        in.left -= (uint32_t)take;
        if (in.left == 0) frame_done();
    }
}

static void read_launcher_stdin(void) {
    static char buf[CHUNK];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) return;
        fatal("reading stdin: %s", strerror(errno));
    }
    if (n == 0) {
        /* EOF is E, never K: the agent may close its side as soon as it has sent everything. */
        if (in.hdr_len != 0) fatal("protocol error: stdin ended inside a frame");
        stdin_open = 0;
        input_closed = 1;
        return;
    }
    parse_run_input(buf, (size_t)n);
}

/* ------------------------------------------------------------------------------------------ */
/* Steps                                                                                       */

static char home_env[80] = "HOME=" WORKSPACE;
static char *fresh_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    home_env,
    "TMPDIR=/tmp",
    "LANG=C.UTF-8",
    NULL,
};

static void child_limit(int resource, uint64_t soft, uint64_t hard) {
    struct rlimit rl = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
    if (setrlimit(resource, &rl) < 0) {
        dprintf(STDERR_FILENO, "launcher: setrlimit(%d): %s\n", resource, strerror(errno));
        _exit(EXEC_FAILED);
    }
}

/* The step's process becomes job_uid with no supplementary groups and no capability left in
 * any set: the effective and permitted sets empty on the switch away from uid 0, the ambient
 * and bounding sets cleared first, and no-new-privileges (set by Docker, set again here) keeps
 * setuid binaries from giving any back. Every failure ends the child before exec. */
static void drop_privileges(void) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) goto fail;
    /* gVisor may not know every capability number the headers do: EINVAL past its last. */
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) goto fail;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) goto fail;
    if (setgroups(0, NULL) < 0) goto fail;
    if (setresgid(job_uid, job_uid, job_uid) < 0) goto fail;
    if (setresuid(job_uid, job_uid, job_uid) < 0) goto fail;
    uid_t r, e, s;
    if (getresuid(&r, &e, &s) < 0 || r != job_uid || e != job_uid || s != job_uid) goto fail;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) < 0) goto fail;
    for (int i = 0; i < 2; i++)
        if (data[i].effective || data[i].permitted || data[i].inheritable) goto fail;
    return;
fail:
    dprintf(STDERR_FILENO, "launcher: cannot drop privileges: %s\n", strerror(errno));
    _exit(EXEC_FAILED);
}

/* A seccomp filter for the program: no new namespaces (unshare, setns, clone with CLONE_NEW*;
 * clone3, whose flags a filter cannot read, answers ENOSYS so libc falls back to clone), no
 * mounts, no chroot, no BPF or perf. An unprivileged process may otherwise make a user
 * namespace and be "root" in it, and on gVisor 2022-12 a mount made in a child mount namespace
 * shows up in the parent's: in a reused sandbox that would outlive the submission. */
#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#else
#error "no seccomp architecture for this target"
#endif
#define CLONE_NEW_ANY                                                                               \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
     CLONE_NEWNET)
#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)

static void confine_syscalls(void) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        DENY(__NR_unshare),
        DENY(__NR_setns),
        DENY(__NR_mount),
        DENY(__NR_umount2),
        DENY(__NR_pivot_root),
        DENY(__NR_chroot),
        DENY(__NR_bpf),
        DENY(__NR_perf_event_open),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* clone's flags are its first argument on both architectures. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_ANY, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
        dprintf(STDERR_FILENO, "launcher: seccomp: %s\n", strerror(errno));
        _exit(EXEC_FAILED);
    }
}

/* Mirrors a child's end as our own, so the launcher's wait4 sees what the jailed program did. */
static void exit_like(int status) {
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    int sig = WTERMSIG(status);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(sig, &dfl, NULL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(sig);
    _exit(128 + sig);
}

/* Jail mode: new PID, network, UTS and IPC namespaces. The forked child stays outside as a
 * keeper that waits for the program and mirrors its end (the launcher's wait4 then sees the
 * program's status, and the rusage of everything the keeper reaped); the program is PID 1 of
 * its namespace, so when it ends, the kernel kills whatever it left. No mount namespace: on
 * gVisor 2022-12 a mount made in a child mount namespace shows up in the parent's (measured),
 * so the jail's files are kept apart by uid instead: its own 0700 folder and its own uid. */
static void enter_jail(void) {
    if (unshare(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC) < 0) {
        dprintf(STDERR_FILENO, "launcher: unshare: %s\n", strerror(errno));
        _exit(EXEC_FAILED);
    }
    pid_t pid = fork();
    if (pid < 0) _exit(EXEC_FAILED);
    if (pid > 0) {
        /* The keeper holds no descriptor: the step's pipes end when the program's processes do. */
        for (int fd = 0; fd < 1024; fd++) close(fd);
        int status;
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) _exit(EXEC_FAILED);
        exit_like(status);
    }
    if (sethostname("jail", 4) < 0) {
        dprintf(STDERR_FILENO, "launcher: jail hostname: %s\n", strerror(errno));
        _exit(EXEC_FAILED);
    }
}

/* In the forked child, before exec. Only async-signal-safe calls matter here in principle; we
 * are single-threaded, so the rest is safe too. */
static void exec_child(char **argv, int in_fd, int out_fd, int err_fd, int go_fd, uint64_t cpu_ms) {
    /* Back to defaults: an ignored SIGPIPE would survive exec and change how programs fail
     * (e.g. `yes | head`), and our SIGCHLD handler means nothing after exec. */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGPIPE, &dfl, NULL);
    sigaction(SIGCHLD, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* Its own process group, so the step can be told apart; the parent sets it too, to win
     * the race either way. */
    setpgid(0, 0);

    /* Pipes may sit on 0..2 only if the launcher's own 0..2 were closed, which main() rules
     * out; dup2 clears close-on-exec, every other descriptor of ours has it set. */
    if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0)
        _exit(EXEC_FAILED);
    /* A prepared step reads its go on descriptor 3 (dup2 onto itself would keep close-on-exec). */
    if (go_fd >= 0) {
        if (go_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(go_fd, 3) < 0) _exit(EXEC_FAILED);
    }

    if (mode_jail) enter_jail();

    /* RLIMIT_CPU counts whole seconds: round up so the step gets at least what it asked for.
     * SIGXCPU at the soft limit is the polite stop; the hard limit one second later is
     * SIGKILL for a program that catches or ignores SIGXCPU. RLIMIT_NPROC counts the
     * processes of job_uid, which only this submission uses. */
    uint64_t cpu_s = (cpu_ms + 999) / 1000;
    if (cpu_s == 0) cpu_s = 1;
    child_limit(RLIMIT_CPU, cpu_s, cpu_s + 1);
    child_limit(RLIMIT_FSIZE, lim.fsize_bytes, lim.fsize_bytes);
    child_limit(RLIMIT_NOFILE, lim.nofile, lim.nofile);
    child_limit(RLIMIT_NPROC, lim.nproc, lim.nproc);
    child_limit(RLIMIT_CORE, 0, 0);
    drop_privileges();
    confine_syscalls();
    /* After the drop: the workspace may be the submission's own 0700 folder. */
    if (chdir(job_dir) < 0) {
        dprintf(STDERR_FILENO, "launcher: cannot enter %s: %s\n", job_dir, strerror(errno));
        _exit(EXEC_FAILED);
    }

    /* execvp searches the PATH of the environment it runs in, so switch environments first. */
    environ = fresh_env;
    execvp(argv[0], argv);
    dprintf(STDERR_FILENO, "launcher: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(EXEC_FAILED);
}

struct stream {
    int fd;
    char type;         /* output frame type */
    uint64_t max;      /* bytes that may be forwarded */
    uint64_t sent;
};

/* Forwards what a pipe holds, up to the stream's cap. Returns 1 if the cap was passed. */
static int pump(struct stream *s) {
    static char buf[CHUNK];
    while (s->fd >= 0) {
        ssize_t n = read(s->fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            close_fd(&s->fd); /* cannot happen on a pipe; treat as its end */
            return 0;
        }
        if (n == 0) {
            close_fd(&s->fd);
            return 0;
        }
        uint64_t room = s->max - s->sent;
        size_t fwd = (uint64_t)n < room ? (size_t)n : (size_t)room;
        if (fwd) emit(s->type, buf, fwd);
        s->sent += fwd;
        if ((size_t)n > fwd) return 1;
        /* One read per wake-up for fairness between the streams and stdin. */
        return 0;
    }
    return 0;
}

/* Writes as much pending stdin as the run step's pipe takes without blocking. */
static void feed(int *fd) {
    while (*fd >= 0 && pending_len > 0) {
        ssize_t n = write(*fd, pending, pending_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            /* EPIPE: the program closed its stdin (or exited). Its choice; drop the rest. */
            close_fd(fd);
            input_dropped = 1;
            pending_len = 0;
            return;
        }
        memmove(pending, pending + n, pending_len - (size_t)n);
        pending_len -= (size_t)n;
    }
    if (*fd >= 0 && pending_len == 0 && input_closed) close_fd(fd);
}

static void become(uid_t uid);

/* Makes the step's pipes and forks its process; the launcher keeps its own ends (the write end
 * of the step's stdin, -1 for compile; the read ends of its output; the write end of the go
 * pipe of a prepared step). */
static pid_t spawn_step(char **argv, int is_compile, uint64_t cpu_ms, int *in_fd, int *out_fd, int *err_fd,
                        int *go_fd) {
    /* Pipes: [0] read end, [1] write end. Compile: one pipe for stdout and stderr together,
     * stdin from /dev/null. Run: three pipes (four with the go pipe of a prepared step). */
    int p_in[2] = {-1, -1}, p_out[2] = {-1, -1}, p_err[2] = {-1, -1}, p_go[2] = {-1, -1};
    /* The pipes are made with the submission's uid as our effective uid, so they belong to it:
     * a program that reopens its own stdio through /dev/stdin (/proc/self/fd/0) may, where a
     * root-owned 0600 pipe would answer EACCES (gVisor ignores fchmod on pipes). Our own ends
     * stay out of its reach: /proc/1/fd needs ptrace rights on the launcher, which is root. */
    become(job_uid);
    if (pipe2(p_out, O_CLOEXEC) < 0) fatal("pipe: %s", strerror(errno));
    if (is_compile) {
        p_in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (p_in[0] < 0) fatal("opening /dev/null: %s", strerror(errno));
    } else {
        if (pipe2(p_in, O_CLOEXEC) < 0 || pipe2(p_err, O_CLOEXEC) < 0) fatal("pipe: %s", strerror(errno));
    }
    /* [0] the step's end (its descriptor 3), [1] ours. */
    if (go_fd && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p_go) < 0) fatal("socketpair: %s", strerror(errno));
    become(0);

    pid_t pid = fork();
    if (pid < 0) fatal("fork: %s", strerror(errno));
    if (pid == 0) exec_child(argv, p_in[0], p_out[1], is_compile ? p_out[1] : p_err[1], p_go[0], cpu_ms);
    setpgid(pid, pid); /* may fail with EACCES once the child has exec'd; it did it itself then */

    /* Keep only our ends, so the pipes reach EOF when the last process of the step is gone. */
    close_fd(&p_in[0]);
    close_fd(&p_out[1]);
    close_fd(&p_err[1]);
    close_fd(&p_go[0]);
    *in_fd = p_in[1];
    *out_fd = p_out[0];
    *err_fd = p_err[0];
    if (go_fd) *go_fd = p_go[1];
    if (*in_fd >= 0) set_nonblock(*in_fd);
    set_nonblock(*out_fd);
    if (*err_fd >= 0) set_nonblock(*err_fd);
    return pid;
}

/* Starts the prepared run step of the submission start_job() just set up. */
static void prepare(void) {
    prep.dead = 0;
    prep.ready = 0;
    prep.pid = spawn_step(prepare_argv, 0, lim.run_cpu_ms, &prep.in_fd, &prep.out_fd, &prep.err_fd, &prep.go_fd);
}

/* Kills the prepared step (nothing else of the submission runs yet) and forgets it. */
static void discard_prepared(void) {
    if (prep.pid < 0) return;
    kill_everything();
    close_fd(&prep.in_fd);
    close_fd(&prep.out_fd);
    close_fd(&prep.err_fd);
    close_fd(&prep.go_fd);
    prep.pid = -1;
    prep.dead = 0;
    prep.ready = 0;
}

/* The go: the A frame's arguments, NUL-terminated, then the end of our side of the stream
 * (shutdown, not close: closing a socket with the unread "r" would reset the step's side).
 * Returns 0 if the prepared step is gone (EPIPE), and then it is discarded. */
static int go_prepared(void) {
    size_t len = 0;
    for (char **a = prepared_args; *a; a++) len += strlen(*a) + 1;
    int ok = write_full(prep.go_fd, prepared_args[0], len) == 0 && shutdown(prep.go_fd, SHUT_WR) == 0;
    if (!ok) discard_prepared();
    return ok;
}

static int run_step(int is_compile) {
    uint64_t wall_ms = is_compile ? lim.compile_wall_ms : lim.run_wall_ms;
    uint64_t cpu_ms = is_compile ? lim.compile_cpu_ms : lim.run_cpu_ms;
    int in_fd, out_fd, err_fd, go_fd = -1;

    main_reaped = 0;
    main_status = 0;
    memset(&main_usage, 0, sizeof main_usage);
    int prepared = !is_compile && prep.pid > 0 && go_prepared();
    int64_t start = now_ms();
    if (prepared) {
        main_pid = prep.pid;
        in_fd = prep.in_fd;
        out_fd = prep.out_fd;
        err_fd = prep.err_fd;
        go_fd = prep.go_fd;
        prep.pid = -1;
        prep.in_fd = prep.out_fd = prep.err_fd = prep.go_fd = -1;
    } else {
        main_pid = spawn_step(is_compile ? compile_argv : run_argv, is_compile, cpu_ms, &in_fd, &out_fd, &err_fd, NULL);
    }

    struct stream out = {out_fd, is_compile ? 'c' : 'o', is_compile ? lim.compile_output_max : lim.stdout_max, 0};
    struct stream err = {err_fd, 'e', lim.stderr_max, 0};

    int timeout = 0, output_limit = 0;
    int killing = 0;      /* kill_all() issued; repeat it until nothing is left */
    int64_t end_ms = 0;   /* when the main process was reaped */
    int64_t deadline = start + (int64_t)(wall_ms > INT32_MAX ? INT32_MAX : wall_ms);

    while (1) {
        reap();
        int64_t now = now_ms();

        if (!main_reaped) {
            if (cancelled && !killing) killing = 1;
            if (now >= deadline && !killing) {
                timeout = 1;
                killing = 1;
            }
        } else if (!end_ms) {
            /* The main process is gone: nothing else of the step may go on running. */
            end_ms = now;
            killing = 1;
        }
        if (killing) killing = kill_all() || !main_reaped;

        if (main_reaped) {
            /* kill_all() above may have reaped it in this very iteration. */
            if (!end_ms) end_ms = now;
            int pipes_open = out.fd >= 0 || err.fd >= 0;
            if (!pipes_open || now >= end_ms + DRAIN_MS) break;
        }

        /* The run step's stdin: write what we have, close it once E came and all is written. */
        if (in_fd >= 0) feed(&in_fd);
        if (main_reaped) close_fd(&in_fd);

        struct pollfd fds[5];
        int nfds = 0;
        int i_wake = nfds;
        fds[nfds++] = (struct pollfd){wake_pipe[0], POLLIN, 0};
        int i_stdin = -1, i_out = -1, i_err = -1, i_in = -1;
        if (stdin_open && !cancelled) {
            i_stdin = nfds;
            fds[nfds++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
        }
        if (out.fd >= 0) {
            i_out = nfds;
            fds[nfds++] = (struct pollfd){out.fd, POLLIN, 0};
        }
        if (err.fd >= 0) {
            i_err = nfds;
            fds[nfds++] = (struct pollfd){err.fd, POLLIN, 0};
        }
        if (in_fd >= 0 && pending_len > 0) {
            i_in = nfds;
            fds[nfds++] = (struct pollfd){in_fd, POLLOUT, 0};
        }

        int64_t wait;
        if (main_reaped) wait = end_ms + DRAIN_MS - now;
        else wait = deadline - now;
        if (killing && wait > 5) wait = 5; /* sweep again soon */
        if (wait < 0) wait = 0;

        int r = poll(fds, (nfds_t)nfds, (int)wait);
        if (r < 0) {
            if (errno == EINTR) continue;
            fatal("poll: %s", strerror(errno));
        }
        if (fds[i_wake].revents) {
            char drain[64];
            while (read(wake_pipe[0], drain, sizeof drain) > 0) {
            }
        }
        if (i_stdin >= 0 && fds[i_stdin].revents) read_launcher_stdin();
        if (i_out >= 0 && fds[i_out].revents && pump(&out) && !output_limit) {
            output_limit = 1;
            killing = 1;
        }
        if (i_err >= 0 && fds[i_err].revents && pump(&err) && !output_limit) {
            output_limit = 1;
            killing = 1;
        }
        if (i_in >= 0 && fds[i_in].revents) feed(&in_fd);
    }

    close_fd(&in_fd);
    close_fd(&out.fd);
    close_fd(&err.fd);
    close_fd(&go_fd);
    /* Leftovers cannot survive into the next step, the next submission or our exit. */
    kill_everything();
    main_pid = -1;

    struct rusage *ru = &main_usage;
    int64_t used_ms = (int64_t)ru->ru_utime.tv_sec * 1000 + ru->ru_utime.tv_usec / 1000 +
                      (int64_t)ru->ru_stime.tv_sec * 1000 + ru->ru_stime.tv_usec / 1000;
    int st = main_status;
    int exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    int cpu_limit = sig == SIGXCPU || (sig == SIGKILL && (uint64_t)used_ms >= cpu_ms);

    char x[320];
    int n = snprintf(x, sizeof x,
                     "step=%s exit=%d signal=%d cpu_ms=%lld wall_ms=%lld maxrss_kb=%ld timeout=%d cpu_limit=%d "
                     "output_limit=%d cancelled=%d prepared=%d",
                     is_compile ? "compile" : "run", exit_code, sig, (long long)used_ms, (long long)(end_ms - start),
                     ru->ru_maxrss, timeout, cpu_limit, output_limit, cancelled, prepared);
    emit('x', x, (size_t)n);
    return exit_code == 0 && !cancelled;
}

/* ------------------------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------------------------ */
/* Between submissions of a reused sandbox                                                      */

/* Removes everything inside dirfd (not dirfd itself), as the submission's fsuid. A folder the
 * program made unreadable is opened up first: its owner may always chmod it. */
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

static void wipe(const char *path, int remove_itself) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;
        fatal("wiping %s: %s", path, strerror(errno));
    }
    empty_dir(fd, path);
    if (remove_itself && rmdir(path) < 0) fatal("removing %s: %s", path, strerror(errno));
}

/* An I frame the run phase had begun to read when the step ended: read the rest, so the next
 * submission's frames start at a frame boundary. */
static void finish_partial_frame(void) {
    if (in.hdr_len == 0) return;
    if (in.hdr_len < sizeof in.hdr) {
        size_t want = sizeof in.hdr - in.hdr_len;
        if (read_full(STDIN_FILENO, in.hdr + in.hdr_len, want) != want) fatal("protocol error: stdin ended inside a frame");
        in.left = (uint32_t)in.hdr[1] << 24 | (uint32_t)in.hdr[2] << 16 | (uint32_t)in.hdr[3] << 8 | (uint32_t)in.hdr[4];
        if (in.left > MAX_PAYLOAD) fatal("protocol error: frame of %u bytes is over 64 MiB", in.left);
    }
    skip_payload(in.left);
    in.hdr_len = 0;
    in.left = 0;
}


/* Fresh per-submission state; in jail mode a new uid and a new folder for the files. */
static void start_job(void) {
    lim = base_limits;
    free(compile_argv ? compile_argv[0] : NULL);
    free(compile_argv);
    free(run_argv ? run_argv[0] : NULL);
    free(run_argv);
    free(prepared_args ? prepared_args[0] : NULL);
    free(prepared_args);
    compile_argv = run_argv = prepared_args = NULL;
    cancelled = input_closed = input_dropped = 0;
    pending_len = 0;
    memset(&in, 0, sizeof in);
    if (workspace_fd >= 0) close_fd(&workspace_fd);

    if (mode_jail) {
        job_uid = (uid_t)(JAIL_UID_BASE + job_seq % JAIL_UIDS);
        snprintf(job_dir, sizeof job_dir, WORKSPACE "/.jail-%lu", job_seq);
    } else {
        job_uid = RUNNER_UID;
        snprintf(job_dir, sizeof job_dir, "%s", WORKSPACE);
    }
    /* Files are written, and later wiped, with the submission's own uid as our effective uid
     * (gVisor has no setfsuid): the launcher has no CAP_DAC_OVERRIDE, and nothing it makes
     * belongs to root. No process of that uid exists while we do. */
    become(job_uid);
    snprintf(home_env, sizeof home_env, "HOME=%s", job_dir);
    if (mode_jail && mkdir(job_dir, 0700) < 0) fatal("making %s: %s", job_dir, strerror(errno));
    workspace_fd = open(job_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (workspace_fd < 0) fatal("opening %s: %s", job_dir, strerror(errno));
    if (prepare_argv) {
        become(0);
        prepare();
        become(job_uid);
    }
}

/* Effective uid and gid: job_uid while the launcher touches the submission's files, 0 (and
 * with it the effective capabilities, kept in the permitted set) while it runs steps. */
static void become(uid_t uid) {
    if (uid != 0) {
        if (setresgid((gid_t)-1, uid, (gid_t)-1) < 0 || setresuid((uid_t)-1, uid, (uid_t)-1) < 0)
            fatal("switching to uid %u: %s", (unsigned)uid, strerror(errno));
    } else if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0 || setresgid((gid_t)-1, 0, (gid_t)-1) < 0) {
        fatal("switching back to root: %s", strerror(errno));
    }
}

/* After a submission of a reused sandbox: nothing of it may reach the next one. */
static void end_job(void) {
    finish_partial_frame();
    discard_prepared();
    kill_everything();
    close_fd(&workspace_fd);
    become(job_uid);
    /* Only this submission's uid can have written anything: the folders are wiped as it. */
    if (mode_jail) wipe(job_dir, 1);
    else wipe(WORKSPACE, 0);
    wipe("/tmp", 0);
    wipe("/dev/shm", 0);
    become(0);
    emit('z', "", 0);
    job_seq++;
}

int main(void) {
    /* kill(-1) would reach far more than a sandbox outside a fresh PID namespace: refuse. */
    if (getpid() != 1) {
        dprintf(STDERR_FILENO, "launcher: must run as PID 1 of its own PID namespace (a sandbox container)\n");
        return 3;
    }
    /* The submission must run as another uid than ours, or it could open our descriptors (the
     * agent's stdin and stdout) through /proc/1/fd and forge frames. */
    if (getuid() != 0 || geteuid() != 0) {
        dprintf(STDERR_FILENO, "launcher: must start as root inside the sandbox (it runs submissions as uid %d)\n",
                RUNNER_UID);
        return 3;
    }
    const char *mode = getenv("MUSCODE_LAUNCHER_MODE");
    if (!mode || !strcmp(mode, "sandbox")) {
    } else if (!strcmp(mode, "owner")) {
        mode_reuse = 1;
    } else if (!strcmp(mode, "jail")) {
        mode_reuse = mode_jail = 1;
    } else {
        dprintf(STDERR_FILENO, "launcher: unknown MUSCODE_LAUNCHER_MODE %s\n", mode);
        return 3;
    }

    /* Belt and braces: a non-dumpable process cannot be ptraced or have its /proc entries
     * opened by other users, on top of the uid and capability barrier. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fatal("prctl(PR_SET_DUMPABLE): %s", strerror(errno));

    /* A dead reader must give us EPIPE (handled), not kill the launcher silently. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, NULL);

    /* Make sure 0..2 are open, so no pipe of ours can land there and be dup2'ed over. */
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) < 0) {
            int nfd = open("/dev/null", O_RDWR);
            if (nfd != fd) return 3;
        }
    }

    /* The limits every submission starts from, and the prepared run step (both set by the
     * agent for its pool; PROTOCOL.md). */
    lim = default_limits;
    const char *env_limits = getenv("MUSCODE_LIMITS");
    if (env_limits) {
        char *copy = strdup(env_limits);
        if (!copy) fatal("out of memory");
        if (*copy) parse_limits(copy);
        free(copy);
    }
    base_limits = lim;
    const char *env_prepare = getenv("MUSCODE_PREPARE");
    if (env_prepare && *env_prepare) {
        char *copy = strdup(env_prepare);
        size_t n = 0;
        if (!copy) fatal("out of memory");
        for (char *c = copy; *c; c++)
            if (*c == ' ') n++;
        prepare_argv = calloc(n + 2, sizeof *prepare_argv);
        if (!prepare_argv) fatal("out of memory");
        n = 0;
        char *save = NULL;
        for (char *a = strtok_r(copy, " ", &save); a; a = strtok_r(NULL, " ", &save)) prepare_argv[n++] = a;
        if (n == 0) prepare_argv = NULL;
    }

    umask(022);
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) fatal("pipe: %s", strerror(errno));
    struct sigaction chld = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&chld.sa_mask);
    sigaction(SIGCHLD, &chld, NULL);

    while (1) {
        start_job();
        if (!setup_phase()) return 0;
        become(0);
        if (!prepared_fits()) discard_prepared();
        if (!compile_argv || run_step(1)) {
            if (!cancelled) run_step(0);
        }
        if (!mode_reuse) return 0;
        end_job();
    }
}
