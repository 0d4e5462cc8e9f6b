#include "confine.h"

#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

static void child_fail(const char *what) __attribute__((noreturn));
static void child_fail(const char *what) {
    dprintf(STDERR_FILENO, "launcher: %s: %s\n", what, strerror(errno));
    _exit(EXEC_FAILED);
}

static void child_limit(int resource, uint64_t soft, uint64_t hard) {
    struct rlimit rl = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
    if (setrlimit(resource, &rl) < 0) {
        dprintf(STDERR_FILENO, "launcher: setrlimit(%d): %s\n", resource, strerror(errno));
        _exit(EXEC_FAILED);
    }
}

/* RLIMIT_CPU counts whole seconds: round up so the step gets at least what it asked for.
 * SIGXCPU at the soft limit is the polite stop; the hard limit one second later is SIGKILL
 * for a program that catches or ignores SIGXCPU. RLIMIT_NPROC counts the processes of the
 * step's uid, which only this submission uses. */
void apply_rlimits(const struct confinement *c) {
    uint64_t cpu_s = (c->cpu_ms + 999) / 1000;
    if (cpu_s == 0) cpu_s = 1;
    child_limit(RLIMIT_CPU, cpu_s, cpu_s + 1);
    child_limit(RLIMIT_FSIZE, c->fsize_bytes, c->fsize_bytes);
    child_limit(RLIMIT_NOFILE, c->nofile, c->nofile);
    child_limit(RLIMIT_NPROC, c->nproc, c->nproc);
    child_limit(RLIMIT_CORE, 0, 0);
}

/* The process becomes uid with no supplementary groups and no capability left in any set: the
 * effective and permitted sets empty on the switch away from uid 0, the ambient and bounding
 * sets cleared first, and no-new-privileges (set by Docker, set again here) keeps setuid
 * binaries from giving any back. Every failure ends the child before exec. */
void drop_privileges(uid_t uid) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) goto fail;
    /* gVisor may not know every capability number the headers do: EINVAL past its last. */
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) goto fail;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) goto fail;
    if (setgroups(0, NULL) < 0) goto fail;
    if (setresgid(uid, uid, uid) < 0) goto fail;
    if (setresuid(uid, uid, uid) < 0) goto fail;
    uid_t r, e, s;
    if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid) goto fail;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) < 0) goto fail;
    for (int i = 0; i < 2; i++)
        if (data[i].effective || data[i].permitted || data[i].inheritable) goto fail;
    return;
fail:
    child_fail("cannot drop privileges");
}

/* A seccomp filter for the program: no new namespaces (unshare, setns, clone with CLONE_NEW*;
 * clone3, whose flags a filter cannot read, answers ENOSYS so libc falls back to clone), no
 * mounts, no chroot, no BPF or perf. An unprivileged process may otherwise make a user
 * namespace and be "root" in it, and on gVisor 2022-12 a mount made in a child mount namespace
 * shows up in the parent's: in a reused sandbox that would outlive the submission.
 * Also EPERM, because gVisor 2022-12 grants them to any uid (measured): mknod/mknodat of a
 * character or block device (a device node opens the device whatever /dev holds; FIFOs and
 * sockets stay allowed), and setpriority to a negative nice value (which needs CAP_SYS_NICE on
 * Linux; under gVisor a nice value only orders the sandbox's own tasks, so this is belt and
 * braces, not a fix for another tenant's CPU share: that is the cgroup's). */
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
#define LOAD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]))
#define RET_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define RET_EPERM BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
/* With the mode argument loaded: EPERM for a character or block device, else allowed. */
#define DEVICE_CHECK                                                                        \
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, S_IFMT), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, S_IFCHR, 2, 0), \
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, S_IFBLK, 1, 0), RET_ALLOW, RET_EPERM

void confine_syscalls(void) {
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
        /* mknodat(dirfd, path, mode, dev): mode is its third argument. */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mknodat, 0, 6),
        LOAD_ARG(2),
        DEVICE_CHECK,
#ifdef __NR_mknod
        /* mknod(path, mode, dev), x86-64 only: mode is its second argument. */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mknod, 0, 6),
        LOAD_ARG(1),
        DEVICE_CHECK,
#endif
        /* setpriority(which, who, prio): a negative prio (its low word's sign bit; the kernel
         * reads it as an int) is EPERM. */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setpriority, 0, 4),
        LOAD_ARG(2),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80000000u, 0, 1),
        RET_EPERM,
        RET_ALLOW,
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0),
        RET_ALLOW,
        /* clone's flags are its first argument on both architectures. */
        LOAD_ARG(0),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_ANY, 0, 1),
        RET_EPERM,
        RET_ALLOW,
    };
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) child_fail("seccomp");
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

/* New PID, network, UTS and IPC namespaces. The forked child stays outside as a keeper that
 * waits for the program and mirrors its end (the launcher's wait4 then sees the program's
 * status, and the rusage of everything the keeper reaped); the program is PID 1 of its
 * namespace, so when it ends, the kernel kills whatever it left. No mount namespace: on gVisor
 * 2022-12 a mount made in a child mount namespace shows up in the parent's (measured), so the
 * jail's files are kept apart by uid instead: its own 0700 folder and its own uid. */
void enter_jail(void) {
    if (unshare(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC) < 0) child_fail("unshare");
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
    if (sethostname("jail", 4) < 0) child_fail("jail hostname");
}

void confine_step(const struct confinement *c) {
    if (c->jail) enter_jail();
    apply_rlimits(c);
    drop_privileges(c->uid);
    confine_syscalls();
}

void become(uid_t uid) {
    if (uid != 0) {
        if (setresgid((gid_t)-1, uid, (gid_t)-1) < 0 || setresuid((uid_t)-1, uid, (uid_t)-1) < 0)
            fatal("switching to uid %u: %s", (unsigned)uid, strerror(errno));
    } else if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0 || setresgid((gid_t)-1, 0, (gid_t)-1) < 0) {
        fatal("switching back to root: %s", strerror(errno));
    }
}
