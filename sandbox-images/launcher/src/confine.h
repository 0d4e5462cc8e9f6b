/* Confinement: what stands between the user's program and the launcher, the next submission
 * and the rest of the sandbox. Everything security-critical about a step is in confine.c:
 * the uid switch, the capability drop, the seccomp filter, the jail's namespaces, rlimits.
 * (The launcher's own effective uid while it touches a submission's files is here too.) */
#ifndef LAUNCHER_CONFINE_H
#define LAUNCHER_CONFINE_H

#include <stdint.h>
#include <sys/types.h>

#define EXEC_FAILED 127

/* What a step's process is confined to. */
struct confinement {
    uid_t uid;            /* the step runs as uid:uid, no supplementary groups */
    int jail;             /* new PID, network, UTS and IPC namespaces */
    uint64_t cpu_ms;      /* RLIMIT_CPU, rounded up to whole seconds */
    uint64_t fsize_bytes; /* RLIMIT_FSIZE */
    uint64_t nofile;      /* RLIMIT_NOFILE */
    uint64_t nproc;       /* RLIMIT_NPROC */
};

/* In the forked child, before exec: enters the jail (if asked), sets the rlimits, drops every
 * privilege and installs the seccomp filter. Any failure ends the child with EXEC_FAILED and
 * a message on its stderr; it never execs half-confined. */
void confine_step(const struct confinement *c);

/* The parts of confine_step, each on its own (the C tests call them one by one). */
void apply_rlimits(const struct confinement *c);
void drop_privileges(uid_t uid);
void confine_syscalls(void);
void enter_jail(void);

/* The launcher's effective uid and gid: uid while it touches a submission's files (it has no
 * CAP_DAC_OVERRIDE, and gVisor no setfsuid), 0 again (and with it the effective capabilities,
 * kept in the permitted set) while it runs steps. Fatal on failure. */
void become(uid_t uid);

#endif
