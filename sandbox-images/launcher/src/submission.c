#include "submission.h"

#include <errno.h>
#include <fcntl.h>
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

void start_job(struct launcher *L) {
    struct job *j = &L->job;
    j->lim = L->cfg.base;
    free_argv(j->compile_argv);
    free_argv(j->run_argv);
    free_argv(j->prepared_args);
    j->compile_argv = j->run_argv = j->prepared_args = NULL;
    run_input_reset(&L->in);
    close_fd(&j->workspace_fd);

    if (L->cfg.jail) {
        j->uid = (uid_t)(JAIL_UID_BASE + j->seq % JAIL_UIDS);
        snprintf(j->dir, sizeof j->dir, WORKSPACE "/.jail-%lu", j->seq);
    } else {
        j->uid = RUNNER_UID;
        snprintf(j->dir, sizeof j->dir, "%s", WORKSPACE);
    }
    /* Files are written, and later wiped, with the submission's own uid as our effective uid:
     * nothing the launcher makes belongs to root. No process of that uid exists while we do. */
    become(j->uid);
    snprintf(j->home_env, sizeof j->home_env, "HOME=%s", j->dir);
    if (L->cfg.jail && mkdir(j->dir, 0700) < 0) fatal("making %s: %s", j->dir, strerror(errno));
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
    if ((!memchr("FCRALG", h[0], 6) || h[0] == 0) && !late)
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
        case 'G':
            if (len != 0) fatal("protocol error: G frame with a payload");
            if (!L->job.run_argv) fatal("protocol error: G before R");
            return 1;
        default:
            fatal("protocol error: frame type 0x%02x not allowed before G", (unsigned char)type);
        }
    }
}

void end_job(struct launcher *L) {
    struct job *j = &L->job;
    run_input_finish_frame(&L->in, STDIN_FILENO);
    discard_prepared(L);
    kill_everything(L);
    close_fd(&j->workspace_fd);
    become(j->uid);
    /* Only this submission's uid can have written anything: the folders are wiped as it. */
    if (L->cfg.jail) wipe(j->dir, 1);
    else wipe(WORKSPACE, 0);
    wipe("/tmp", 0);
    wipe("/dev/shm", 0);
    become(0);
    emit('z', "", 0);
    j->seq++;
}
