/*
 * MUSCode sandbox launcher: the first process of a sandbox container (PID 1, root inside
 * gVisor with a handful of capabilities). It takes the files, commands and limits of a
 * submission as frames on stdin, runs the optional compile step and the run step as an
 * unprivileged uid without capabilities, and streams their output back as frames on stdout.
 * In owner and jail mode every submission gets fresh tmpfs mounts on every writable place and
 * a new IPC namespace, and the next submission is served after the last one's processes are
 * dead; in jail mode every step runs in fresh PID, network, UTS and IPC namespaces under a uid
 * never used before in the sandbox. The wire format and the rules are in PROTOCOL.md. Where it leaves room, this program
 * decides:
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
 *  - Between submissions of a reused sandbox, late I/E/K frames of the previous one are
 *    skipped; EOF between submissions ends the launcher with status 0.
 *  - A graded submission (T) runs the run step once per N frame; between tests late I/E frames
 *    are skipped, K, D and EOF end it, anything else is a protocol error; it never uses the
 *    prepared run step.
 *  - A prepared run step (MUSCODE_PREPARE) is started while the launcher waits for a
 *    submission, with the submission's uid, workspace, jail and rlimits of MUSCODE_LIMITS; it is
 *    used only when the submission sent A, has no compile step and asks for the same rlimits;
 *    otherwise it is killed and the run step starts as usual. Its wall_ms runs from the go.
 *
 * Single-threaded by design: one poll() loop owns every descriptor, and every frame is written
 * to stdout whole before the next one starts, so frames can never interleave.
 *
 * The parts: frames.c (wire format and payload parsers), limits.c, workspace.c (paths, files,
 * mounts, /dev), confine.c (privilege drop, seccomp, jail, rlimits), children.c (reaping, killing),
 * steps.c (spawn, output, stdin, the step loop), prepared.c, submission.c, graded.c (one run
 * step per test), artifacts.c (files under /workspace/output after the run), and this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.h"
#include "children.h"
#include "confine.h"
#include "fault.h"
#include "graded.h"
#include "launcher.h"
#include "prepared.h"
#include "steps.h"
#include "submission.h"
#include "workspace.h"

/* MUSCODE_LAUNCHER_MODE: sandbox (default), owner or jail. Returns 0 for an unknown mode. */
static int read_mode(struct config *cfg) {
    const char *mode = getenv("MUSCODE_LAUNCHER_MODE");
    if (!mode || !strcmp(mode, "sandbox")) return 1;
    if (!strcmp(mode, "owner")) {
        cfg->reuse = 1;
        return 1;
    }
    if (!strcmp(mode, "jail")) {
        cfg->reuse = cfg->jail = 1;
        return 1;
    }
    dprintf(STDERR_FILENO, "launcher: unknown MUSCODE_LAUNCHER_MODE %s\n", mode);
    return 0;
}

/* MUSCODE_LIMITS (the L format) on top of the defaults, and MUSCODE_PREPARE split at spaces:
 * both set by the agent for its pool (PROTOCOL.md). */
static void read_pool_settings(struct config *cfg) {
    cfg->base = default_limits;
    const char *env_limits = getenv("MUSCODE_LIMITS");
    if (env_limits) {
        char *copy = strdup(env_limits);
        if (!copy) fatal("out of memory");
        if (*copy) parse_limits(&cfg->base, copy);
        free(copy);
    }
    cfg->jail_uids = JAIL_UIDS;
    const char *env_uids = getenv("MUSCODE_JAIL_UIDS");
    if (env_uids && *env_uids) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(env_uids, &end, 10);
        if (errno || *end || n == 0 || n > JAIL_UIDS || env_uids[0] == '-')
            fatal("MUSCODE_JAIL_UIDS must be 1..%d", JAIL_UIDS);
        cfg->jail_uids = n;
    }
    const char *env_prepare = getenv("MUSCODE_PREPARE");
    if (!env_prepare || !*env_prepare) return;
    char *copy = strdup(env_prepare);
    if (!copy) fatal("out of memory");
    size_t n = 0;
    for (char *c = copy; *c; c++)
        if (*c == ' ') n++;
    cfg->prepare_argv = calloc(n + 2, sizeof *cfg->prepare_argv);
    if (!cfg->prepare_argv) fatal("out of memory");
    n = 0;
    char *save = NULL;
    for (char *a = strtok_r(copy, " ", &save); a; a = strtok_r(NULL, " ", &save)) cfg->prepare_argv[n++] = a;
    if (n == 0) cfg->prepare_argv = NULL;
}

/* Descriptors 0..2 open (so no pipe of ours can land there and be dup2'ed over), SIGPIPE
 * ignored (a dead reader gives EPIPE, handled), and the launcher not dumpable. */
static int harden_process(void) {
    /* Belt and braces: a non-dumpable process cannot be ptraced or have its /proc entries
     * opened by other users, on top of the uid and capability barrier. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fatal("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, NULL);
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) < 0) {
            int nfd = open("/dev/null", O_RDWR);
            if (nfd != fd) return 0;
        }
    }
    return 1;
}

/* After the run step's `x` (its processes are dead): the files under /workspace/output, read
 * with the submission's uid (its workspace may be 0700). */
static void send_artifacts(struct launcher *L) {
    const struct limits *lim = &L->job.lim;
    struct artifact_limits a = {lim->artifacts_max_count, lim->artifacts_max_file_bytes, lim->artifacts_max_bytes};
    become(L->job.uid);
    collect_artifacts(L->job.workspace_fd, &a);
    become(0);
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
    static struct launcher L = {
        .job = {.uid = RUNNER_UID, .workspace_fd = -1},
        .in = {.stdin_open = 1},
        .prep = {.pid = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1, .go_fd = -1},
        .kids = {.main_pid = -1},
    };
    if (!read_mode(&L.cfg)) return 3;
    fault_cleanup(kill_sandbox);
    if (!harden_process()) return 3;
    read_pool_settings(&L.cfg);
    umask(022);
    children_init();
    /* Out of Docker's working directory: a tmpfs we replace must not stay busy. */
    if (chdir("/") < 0) fatal("chdir /: %s", strerror(errno));
    /* gVisor's /dev has them, 0666; no program needs them (a mknod of a device is denied). */
    remove_device("/dev/fuse", NULL);
    remove_device("/dev/net/tun", "/dev/net");
    if (L.cfg.reuse) {
        L.cfg.workspace_bytes = mount_size(WORKSPACE);
        L.cfg.tmp_bytes = mount_size("/tmp");
        L.cfg.shm_bytes = mount_size("/dev/shm");
    }

    while (1) {
        start_job(&L);
        if (!setup_phase(&L)) return 0;
        become(0);
        /* Each test's N frame may change the rlimits the prepared step was started with. */
        if (L.job.graded || !prepared_fits(&L)) discard_prepared(&L);
        if (!L.job.compile_argv || run_step(&L, 1)) {
            if (L.job.graded) {
                run_tests(&L);
            } else if (!L.in.cancelled) {
                run_step(&L, 0);
                /* A cancelled run ends the session at once (its `x` says cancelled=1). */
                if (!L.in.cancelled) send_artifacts(&L);
            }
        }
        if (!L.cfg.reuse || !end_job(&L)) return 0;
    }
}
