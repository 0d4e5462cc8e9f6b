#include "steps.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "confine.h"
#include "fault.h"
#include "prepared.h"

extern char **environ;

/* ------------------------------------------------------------------------------------------ */
/* Starting a step                                                                             */

/* In the forked child: default signal handling, its own process group, and the step's pipes
 * on 0..2 (and 3, the go socket of a prepared step). */
static void child_stdio(int in_fd, int out_fd, int err_fd, int go_fd) {
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
}

/* In the forked child, before exec. Only async-signal-safe calls matter here in principle; the
 * launcher is single-threaded, so the rest is safe too. */
static void exec_child(struct launcher *L, char **argv, uint64_t cpu_ms) {
    const struct limits *lim = &L->job.lim;
    struct confinement c = {
        .uid = L->job.uid,
        .jail = L->cfg.jail,
        .cpu_ms = cpu_ms,
        .fsize_bytes = lim->fsize_bytes,
        .nofile = lim->nofile,
        .nproc = lim->nproc,
    };
    confine_step(&c);
    /* After the drop: the workspace may be the submission's own 0700 folder. */
    if (chdir(L->job.dir) < 0) {
        dprintf(STDERR_FILENO, "launcher: cannot enter %s: %s\n", L->job.dir, strerror(errno));
        _exit(EXEC_FAILED);
    }
    /* A fresh environment; execvp searches the PATH of the one it runs in, so switch first. */
    char *env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        L->job.home_env,
        "TMPDIR=/tmp",
        "LANG=C.UTF-8",
        NULL,
    };
    environ = env;
    execvp(argv[0], argv);
    dprintf(STDERR_FILENO, "launcher: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(EXEC_FAILED);
}

pid_t spawn_step(struct launcher *L, char **argv, int is_compile, uint64_t cpu_ms, int with_go, struct step_io *io) {
    /* Pipes: [0] read end, [1] write end. Compile: one pipe for stdout and stderr together,
     * stdin from /dev/null. Run: three pipes (and the go socket of a prepared step). */
    int p_in[2] = {-1, -1}, p_out[2] = {-1, -1}, p_err[2] = {-1, -1}, p_go[2] = {-1, -1};
    /* The pipes are made with the submission's uid as our effective uid, so they belong to it:
     * a program that reopens its own stdio through /dev/stdin (/proc/self/fd/0) may, where a
     * root-owned 0600 pipe would answer EACCES (gVisor ignores fchmod on pipes). Our own ends
     * stay out of its reach: /proc/1/fd needs ptrace rights on the launcher, which is root. */
    become(L->job.uid);
    if (pipe2(p_out, O_CLOEXEC) < 0) fatal("pipe: %s", strerror(errno));
    if (is_compile) {
        p_in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (p_in[0] < 0) fatal("opening /dev/null: %s", strerror(errno));
    } else if (pipe2(p_in, O_CLOEXEC) < 0 || pipe2(p_err, O_CLOEXEC) < 0) {
        fatal("pipe: %s", strerror(errno));
    }
    /* [0] the step's end (its descriptor 3), [1] ours. */
    if (with_go && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p_go) < 0) fatal("socketpair: %s", strerror(errno));
    become(0);

    pid_t pid = fork();
    if (pid < 0) fatal("fork: %s", strerror(errno));
    if (pid == 0) {
        child_stdio(p_in[0], p_out[1], is_compile ? p_out[1] : p_err[1], p_go[0]);
        exec_child(L, argv, cpu_ms);
    }
    setpgid(pid, pid); /* may fail with EACCES once the child has exec'd; it did it itself then */

    /* Keep only our ends, so the pipes reach EOF when the last process of the step is gone. */
    close_fd(&p_in[0]);
    close_fd(&p_out[1]);
    close_fd(&p_err[1]);
    close_fd(&p_go[0]);
    *io = (struct step_io){p_in[1], p_out[0], p_err[0], p_go[1]};
    if (io->in_fd >= 0) set_nonblock(io->in_fd);
    set_nonblock(io->out_fd);
    if (io->err_fd >= 0) set_nonblock(io->err_fd);
    return pid;
}

/* ------------------------------------------------------------------------------------------ */
/* Output and input of a running step                                                          */

struct stream {
    int fd;
    char type;    /* output frame type */
    uint64_t max; /* bytes that may be forwarded */
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

/* Writes as much pending stdin as the step's pipe takes without blocking; closes it once E
 * came and everything is written. */
static void feed(struct run_input *in, int *fd) {
    while (*fd >= 0 && in->pending_len > 0) {
        ssize_t n = write(*fd, in->pending, in->pending_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            /* EPIPE: the program closed its stdin (or exited). Its choice; drop the rest. */
            close_fd(fd);
            in->dropped = 1;
            in->pending_len = 0;
            return;
        }
        run_input_consumed(in, (size_t)n);
    }
    if (*fd >= 0 && in->pending_len == 0 && in->closed) close_fd(fd);
}

/* The launcher's stdin during a step: I, E and K frames. */
static void read_launcher_stdin(struct run_input *in) {
    static char buf[CHUNK];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) return;
        fatal("reading stdin: %s", strerror(errno));
    }
    /* EOF is E, never K: the agent may close its side as soon as it has sent everything. */
    if (n == 0) run_input_eof(in);
    else run_input_parse(in, buf, (size_t)n);
}

/* ------------------------------------------------------------------------------------------ */
/* Running a step                                                                              */

struct step_run {
    int is_compile;
    int prepared;
    uint64_t cpu_ms;
    struct stream out, err;
    int in_fd, go_fd;
    int64_t start;
    int64_t deadline;
    int64_t end_ms;   /* when the main process was reaped; 0 before */
    int killing;      /* kill_all() issued; repeat it until nothing is left */
    int timeout, output_limit;
};

/* The prepared step if it can take the go, else a new process of the step's command. */
static void start_step(struct launcher *L, struct step_run *s, int is_compile) {
    const struct limits *lim = &L->job.lim;
    uint64_t wall_ms = is_compile ? lim->compile_wall_ms : lim->run_wall_ms;
    struct step_io io;
    *s = (struct step_run){.is_compile = is_compile, .cpu_ms = is_compile ? lim->compile_cpu_ms : lim->run_cpu_ms};
    L->kids.main_reaped = 0;
    L->kids.main_status = 0;
    memset(&L->kids.main_usage, 0, sizeof L->kids.main_usage);
    s->prepared = !is_compile && L->prep.pid > 0 && go_prepared(L);
    s->start = now_ms();
    if (s->prepared) {
        L->kids.main_pid = take_prepared(L, &io);
    } else {
        char **argv = is_compile ? L->job.compile_argv : L->job.run_argv;
        L->kids.main_pid = spawn_step(L, argv, is_compile, s->cpu_ms, 0, &io);
    }
    s->in_fd = io.in_fd;
    s->go_fd = io.go_fd;
    s->out = (struct stream){io.out_fd, is_compile ? 'c' : 'o', is_compile ? lim->compile_output_max : lim->stdout_max, 0};
    s->err = (struct stream){io.err_fd, 'e', lim->stderr_max, 0};
    s->deadline = s->start + (int64_t)(wall_ms > INT32_MAX ? INT32_MAX : wall_ms);
}

/* Limits and the main process's end: decides what to kill. Returns 1 once the step is over
 * (its main process reaped, and its output drained or the drain time spent). */
static int check_step(struct launcher *L, struct step_run *s, int64_t now) {
    reap(L);
    if (!L->kids.main_reaped) {
        if (L->in.cancelled) s->killing = 1;
        if (now >= s->deadline && !s->killing) {
            s->timeout = 1;
            s->killing = 1;
        }
    } else if (!s->end_ms) {
        /* The main process is gone: nothing else of the step may go on running. */
        s->end_ms = now;
        s->killing = 1;
    }
    if (s->killing) s->killing = kill_all(L) || !L->kids.main_reaped;
    if (!L->kids.main_reaped) return 0;
    /* kill_all() above may have reaped it in this very iteration. */
    if (!s->end_ms) s->end_ms = now;
    int pipes_open = s->out.fd >= 0 || s->err.fd >= 0;
    return !pipes_open || now >= s->end_ms + DRAIN_MS;
}

/* How long poll may sleep: until the deadline or the end of the drain, 5 ms while killing. */
static int poll_timeout(const struct launcher *L, const struct step_run *s, int64_t now) {
    int64_t wait = L->kids.main_reaped ? s->end_ms + DRAIN_MS - now : s->deadline - now;
    if (s->killing && wait > 5) wait = 5; /* sweep again soon */
    if (wait < 0) wait = 0;
    return (int)wait;
}

static void output_passed_cap(struct step_run *s) {
    if (s->output_limit) return;
    s->output_limit = 1;
    s->killing = 1;
}

/* One poll over the wake-up pipe, the launcher's stdin, the step's output and its stdin, and
 * whatever is ready handled. */
static void wait_step(struct launcher *L, struct step_run *s, int64_t now) {
    struct pollfd fds[5];
    int nfds = 0;
    int i_stdin = -1, i_out = -1, i_err = -1, i_in = -1;
    fds[nfds++] = (struct pollfd){wake_fd(), POLLIN, 0};
    if (L->in.stdin_open && !L->in.cancelled) {
        i_stdin = nfds;
        fds[nfds++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    }
    if (s->out.fd >= 0) {
        i_out = nfds;
        fds[nfds++] = (struct pollfd){s->out.fd, POLLIN, 0};
    }
    if (s->err.fd >= 0) {
        i_err = nfds;
        fds[nfds++] = (struct pollfd){s->err.fd, POLLIN, 0};
    }
    if (s->in_fd >= 0 && L->in.pending_len > 0) {
        i_in = nfds;
        fds[nfds++] = (struct pollfd){s->in_fd, POLLOUT, 0};
    }
    if (poll(fds, (nfds_t)nfds, poll_timeout(L, s, now)) < 0) {
        if (errno == EINTR) return;
        fatal("poll: %s", strerror(errno));
    }
    if (fds[0].revents) drain_wake();
    if (i_stdin >= 0 && fds[i_stdin].revents) read_launcher_stdin(&L->in);
    if (i_out >= 0 && fds[i_out].revents && pump(&s->out)) output_passed_cap(s);
    if (i_err >= 0 && fds[i_err].revents && pump(&s->err)) output_passed_cap(s);
    if (i_in >= 0 && fds[i_in].revents) feed(&L->in, &s->in_fd);
}

/* The step's `x` frame (PROTOCOL.md, "Launcher → agent"). */
static void report_step(const struct launcher *L, const struct step_run *s) {
    const struct rusage *ru = &L->kids.main_usage;
    int64_t used_ms = (int64_t)ru->ru_utime.tv_sec * 1000 + ru->ru_utime.tv_usec / 1000 +
                      (int64_t)ru->ru_stime.tv_sec * 1000 + ru->ru_stime.tv_usec / 1000;
    int st = L->kids.main_status;
    int exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    /* Literally: a SIGKILL from the wall limit, the output cap or K also counts when the CPU
     * time was already past the limit. */
    int cpu_limit = sig == SIGXCPU || (sig == SIGKILL && (uint64_t)used_ms >= s->cpu_ms);
    char x[320];
    int n = snprintf(x, sizeof x,
                     "step=%s exit=%d signal=%d cpu_ms=%lld wall_ms=%lld maxrss_kb=%ld timeout=%d cpu_limit=%d "
                     "output_limit=%d cancelled=%d prepared=%d",
                     s->is_compile ? "compile" : "run", exit_code, sig, (long long)used_ms,
                     (long long)(s->end_ms - s->start), ru->ru_maxrss, s->timeout, cpu_limit, s->output_limit,
                     L->in.cancelled, s->prepared);
    emit('x', x, (size_t)n);
}

int run_step(struct launcher *L, int is_compile) {
    struct step_run s;
    start_step(L, &s, is_compile);
    while (1) {
        int64_t now = now_ms();
        if (check_step(L, &s, now)) break;
        /* The run step's stdin: write what we have; it closes once E came and all is written. */
        if (s.in_fd >= 0) feed(&L->in, &s.in_fd);
        if (L->kids.main_reaped) close_fd(&s.in_fd);
        wait_step(L, &s, now);
    }
    close_fd(&s.in_fd);
    close_fd(&s.out.fd);
    close_fd(&s.err.fd);
    close_fd(&s.go_fd);
    /* Leftovers cannot survive into the next step, the next submission or our exit. */
    kill_everything(L);
    L->kids.main_pid = -1;
    report_step(L, &s);
    int st = L->kids.main_status;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 && !L->in.cancelled;
}
