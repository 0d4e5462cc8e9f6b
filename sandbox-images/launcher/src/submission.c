#include "submission.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "children.h"
#include "confine.h"
#include "fault.h"
#include "prepared.h"
#include "workspace.h"

/* owner and jail: nothing a submission wrote or made may reach the next one. Every writable
 * place of the sandbox (the root filesystem is read-only; /dev is root's) gets a tmpfs no one
 * used, the old one unmounted (its processes are dead), and the launcher a new IPC namespace,
 * so SysV shared memory, semaphores, message queues and POSIX message queues start empty (in
 * jail mode every step also gets one of its own). The workspace belongs to the submission's
 * uid: 0755 as in Docker's mount in owner mode, 0700 in jail mode. */
static void fresh_sandbox(struct launcher *L) {
    const struct config *c = &L->cfg;
    uid_t uid = L->job.uid;
    char opts[128];
    snprintf(opts, sizeof opts, "size=%lluk,mode=%s,uid=%u,gid=%u", c->workspace_bytes / 1024,
             c->jail ? "0700" : "0755", (unsigned)uid, (unsigned)uid);
    fresh_tmpfs(WORKSPACE, opts, &L->mounts.workspace);
    snprintf(opts, sizeof opts, "size=%lluk,mode=1777", c->tmp_bytes / 1024);
    fresh_tmpfs("/tmp", opts, &L->mounts.tmp);
    snprintf(opts, sizeof opts, "size=%lluk,mode=1777", c->shm_bytes / 1024);
    fresh_tmpfs("/dev/shm", opts, &L->mounts.shm);
    if (unshare(CLONE_NEWIPC) < 0) fatal("new IPC namespace: %s", strerror(errno));
}

void start_job(struct launcher *L) {
    struct job *j = &L->job;
    j->lim = L->cfg.base;
    free_argv(j->compile_argv);
    free_argv(j->run_argv);
    free_argv(j->prepared_args);
    j->compile_argv = j->run_argv = j->prepared_args = NULL;
    j->graded = 0;
    run_input_reset(&L->in);
    close_fd(&j->workspace_fd);

    /* end_job() ended the sandbox before a jail's uids run out. */
    j->uid = L->cfg.jail ? (uid_t)(JAIL_UID_BASE + j->seq) : RUNNER_UID;
    snprintf(j->dir, sizeof j->dir, "%s", WORKSPACE);
    if (L->cfg.reuse) {
        fresh_sandbox(L);
        if (j->seq > 0) emit('z', "", 0);
    }
    /* Files are written with the submission's own uid as our effective uid: nothing the
     * launcher makes belongs to root. No process of that uid exists while we do. */
    become(j->uid);
    snprintf(j->home_env, sizeof j->home_env, "HOME=%s", j->dir);
    j->workspace_fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->workspace_fd < 0) fatal("opening %s: %s", j->dir, strerror(errno));
    if (L->cfg.prepare_argv) {
        become(0);
        prepare(L);
        become(j->uid);
    }
}

/* Returns 0 at a clean EOF between submissions of a reused sandbox. I, E and K are allowed
 * (and skipped) in a later submission: late input or a late cancel of the previous one. */
static int read_header(struct launcher *L, char *type, uint32_t *len, int first) {
    unsigned char h[FRAME_HEADER];
    await_frame(L);
    size_t n = read_full(STDIN_FILENO, h, sizeof h);
    if (n == 0 && first && L->job.seq > 0) return 0;
    if (n == 0) fatal("protocol error: stdin ended before G");
    if (n != sizeof h) fatal("protocol error: stdin ended inside a frame header");
    int late = L->job.seq > 0 && memchr("IEK", h[0], 3) && h[0] != 0;
    if ((!memchr("FCRALGT", h[0], 7) || h[0] == 0) && !late)
        fatal("protocol error: frame type 0x%02x not allowed before G", h[0]);
    *type = (char)h[0];
    *len = frame_length(h);
    return 1;
}

static void argv_frame(struct launcher *L, char type, uint32_t len) {
    struct job *j = &L->job;
    char ***slot = type == 'C' ? &j->compile_argv : type == 'R' ? &j->run_argv : &j->prepared_args;
    if (*slot) fatal("protocol error: second %c frame", type);
    *slot = parse_argv(read_payload(STDIN_FILENO, len), len, type);
}

static void limits_frame(struct launcher *L, uint32_t len) {
    char *p = read_payload(STDIN_FILENO, len);
    if (memchr(p, '\0', len)) fatal("protocol error: NUL in L frame");
    parse_limits(&L->job.lim, p);
    free(p);
}

/* Plain blocking reads: nothing runs yet, so there is nothing else to watch. Reads never go
 * past G, so the run phase starts exactly at the next frame. */
int setup_phase(struct launcher *L) {
    int first = 1; /* no frame of this submission yet */
    while (1) {
        char type;
        uint32_t len;
        if (!read_header(L, &type, &len, first)) return 0;
        first = type == 'I' || type == 'E' || type == 'K';
        switch (type) {
        case 'I':
        case 'E':
        case 'K':
            skip_payload(STDIN_FILENO, len);
            break;
        case 'F':
            write_file_frame(STDIN_FILENO, L->job.workspace_fd, len);
            break;
        case 'C':
        case 'R':
        case 'A':
            argv_frame(L, type, len);
            break;
        case 'L':
            limits_frame(L, len);
            break;
        case 'T':
            if (len != 0) fatal("protocol error: T frame with a payload");
            L->job.graded = 1;
            break;
        case 'G':
            if (len != 0) fatal("protocol error: G frame with a payload");
            if (!L->job.run_argv) fatal("protocol error: G before R");
            return 1;
        default:
            fatal("protocol error: frame type 0x%02x not allowed before G", (unsigned char)type);
        }
    }
}

int end_job(struct launcher *L) {
    struct job *j = &L->job;
    run_input_finish_frame(&L->in, STDIN_FILENO);
    discard_prepared(L);
    kill_everything(L);
    close_fd(&j->workspace_fd);
    j->seq++;
    /* A jail's uid is never used twice: past the last one the sandbox ends (no `z`). */
    return !L->cfg.jail || j->seq < L->cfg.jail_uids;
}
