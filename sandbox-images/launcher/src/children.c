#include "children.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

/* The one piece of state a signal handler must reach. */
static int wake_pipe[2] = {-1, -1};

static void on_sigchld(int sig) {
    (void)sig;
    int saved = errno;
    char c = 0;
    ssize_t r = write(wake_pipe[1], &c, 1); /* full pipe: a wake-up is already pending */
    (void)r;
    errno = saved;
}

void children_init(void) {
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) fatal("pipe: %s", strerror(errno));
    struct sigaction chld = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&chld.sa_mask);
    sigaction(SIGCHLD, &chld, NULL);
}

int wake_fd(void) {
    return wake_pipe[0];
}

void drain_wake(void) {
    char drain[64];
    while (read(wake_pipe[0], drain, sizeof drain) > 0) {
    }
}

/* Every orphan must be reaped or it stays a zombie (and counts against RLIMIT_NPROC). */
void reap(struct launcher *L) {
    while (1) {
        int status;
        struct rusage ru;
        pid_t pid = wait4(-1, &status, WNOHANG, &ru);
        if (pid < 0 && errno == EINTR) continue;
        if (pid <= 0) return;
        if (pid == L->kids.main_pid && !L->kids.main_reaped) {
            L->kids.main_status = status;
            L->kids.main_usage = ru;
            L->kids.main_reaped = 1;
        } else if (pid == L->prep.pid) {
            L->prep.dead = 1;
        }
    }
}

/* kill(-1) never reaches the caller nor PID 1, and the launcher is root with CAP_KILL, so this
 * is the step's process group and anything that left it (setsid, daemons, double forks, a
 * jail's whole PID namespace). Processes still dying (or zombies not yet reaped) count as
 * left, so the callers repeat it until it reports nothing, which also catches a child forked
 * while the previous sweep ran. kill(-1) is called by the launcher itself rather than a
 * forked helper: Linux and gVisor both skip the caller as well as PID 1. */
int kill_all(struct launcher *L) {
    reap(L);
    if (kill(-1, SIGKILL) == 0) return 1;
    return 0; /* ESRCH: nothing left */
}

/* Never handed on to another step or submission. */
void kill_everything(struct launcher *L) {
    for (int i = 0; i < 2000; i++) {
        if (!kill_all(L)) return;
        usleep(1000);
    }
    fatal("processes of the step survived SIGKILL for 2 s");
}

void kill_sandbox(void) {
    kill(-1, SIGKILL);
}
