/* The launcher's state, in one struct that main() owns and passes down. */
#ifndef LAUNCHER_LAUNCHER_H
#define LAUNCHER_LAUNCHER_H

#include <sys/resource.h>
#include <sys/types.h>

#include "frames.h"
#include "limits.h"

#define WORKSPACE "/workspace"
/* The uid of sandbox and owner mode (the image's `runner` user); jail mode uses JAIL_UID_BASE
 * plus the submission's number, so no two submissions of one sandbox ever share a uid. A jail
 * sandbox serves at most JAIL_UIDS submissions (MUSCODE_JAIL_UIDS may lower it), then ends. */
#define RUNNER_UID 1000
#define JAIL_UID_BASE 20000
#define JAIL_UIDS 1000000
/* Output still in the pipes after a step's main process ended is forwarded for this long. */
#define DRAIN_MS 100

/* What the agent set for the sandbox's whole life (its environment; never a submission). */
struct config {
    int reuse;            /* owner or jail: serve submissions one after another */
    int jail;             /* jail: each step in namespaces and a uid of its own */
    struct limits base;   /* every submission's limits start here (defaults + MUSCODE_LIMITS) */
    char **prepare_argv;  /* MUSCODE_PREPARE split at spaces, or NULL */
    unsigned long jail_uids; /* jail: how many submissions (uids) the sandbox may serve */
    /* owner and jail: the sizes of Docker's tmpfs mounts, which every submission gets afresh */
    unsigned long long workspace_bytes, tmp_bytes, shm_bytes;
};

/* owner and jail: which of the writable places already hold a tmpfs of ours. */
struct mounts {
    int workspace, tmp, shm;
};

/* One submission. */
struct job {
    unsigned long seq;    /* its number, from 0 */
    uid_t uid;            /* the uid its steps run as */
    char dir[64];         /* its workspace: /workspace */
    char home_env[80];    /* "HOME=<dir>" for the steps' environment */
    int workspace_fd;     /* dir, open while its files are written */
    struct limits lim;
    char **compile_argv;  /* NULL: no compile step */
    char **run_argv;
    char **prepared_args; /* A frame: the arguments a prepared run step gets at the go */
    int graded;           /* T frame: the run step runs once per test (graded.c) */
};

/* The prepared run step: MUSCODE_PREPARE's command, started as soon as the launcher waits for
 * a submission, in that submission's uid, folder and jail, with the rlimits of cfg.base.
 * go_fd is a socket to its descriptor 3: it writes "r" there once its interpreter is loaded
 * (the launcher then sends a `p` frame), and blocks reading it; the go is the A frame's
 * arguments written there, NUL-terminated, then the end of that stream. */
struct prepared {
    pid_t pid; /* -1: none */
    int in_fd, out_fd, err_fd, go_fd;
    int dead;  /* reaped before its go: it cannot be used */
    int ready; /* 0: not yet, 1: said "r" (p sent), -1: said something else or nothing */
};

/* The running step's main process, as reaped. */
struct children {
    pid_t main_pid; /* -1 between steps */
    int main_status;
    struct rusage main_usage;
    int main_reaped;
};

struct launcher {
    struct config cfg;
    struct job job;
    struct run_input in;
    struct prepared prep;
    struct children kids;
    struct mounts mounts;
};

#endif
