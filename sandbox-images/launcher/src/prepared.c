#include "prepared.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "children.h"
#include "fault.h"

void prepare(struct launcher *L) {
    struct step_io io;
    L->prep.dead = 0;
    L->prep.ready = 0;
    L->prep.pid = spawn_step(L, L->cfg.prepare_argv, 0, L->job.lim.run_cpu_ms, 1, &io);
    L->prep.in_fd = io.in_fd;
    L->prep.out_fd = io.out_fd;
    L->prep.err_fd = io.err_fd;
    L->prep.go_fd = io.go_fd;
}

static void forget(struct prepared *p) {
    p->pid = -1;
    p->in_fd = p->out_fd = p->err_fd = p->go_fd = -1;
    p->dead = 0;
    p->ready = 0;
}

void discard_prepared(struct launcher *L) {
    if (L->prep.pid < 0) return;
    kill_everything(L);
    close_fd(&L->prep.in_fd);
    close_fd(&L->prep.out_fd);
    close_fd(&L->prep.err_fd);
    close_fd(&L->prep.go_fd);
    forget(&L->prep);
}

/* Anything but "r" on the socket (EOF: the step died) ends the watch; prepared_fits()
 * decides at G. */
static void read_ready(struct launcher *L) {
    char c;
    ssize_t n = read(L->prep.go_fd, &c, 1);
    if (n < 0 && errno == EINTR) return;
    L->prep.ready = n == 1 && c == 'r' ? 1 : -1;
    if (L->prep.ready == 1) {
        char seq[24];
        int len = snprintf(seq, sizeof seq, "%lu", L->job.seq);
        emit('p', seq, (size_t)len);
    }
}

void await_frame(struct launcher *L) {
    while (L->prep.pid > 0 && L->prep.ready == 0) {
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {L->prep.go_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            fatal("poll: %s", strerror(errno));
        }
        if (fds[1].revents) read_ready(L);
        if (fds[0].revents) return;
    }
}

int prepared_fits(struct launcher *L) {
    reap(L);
    return L->prep.pid > 0 && !L->prep.dead && L->job.prepared_args && !L->job.compile_argv &&
           same_rlimits(&L->job.lim, &L->cfg.base);
}

/* The A frame's arguments, NUL-terminated, then the end of our side of the stream (shutdown,
 * not close: closing a socket with the unread "r" would reset the step's side). */
int go_prepared(struct launcher *L) {
    char **args = L->job.prepared_args;
    size_t len = 0;
    for (char **a = args; *a; a++) len += strlen(*a) + 1;
    int ok = write_full(L->prep.go_fd, args[0], len) == 0 && shutdown(L->prep.go_fd, SHUT_WR) == 0;
    if (!ok) discard_prepared(L);
    return ok;
}

pid_t take_prepared(struct launcher *L, struct step_io *io) {
    pid_t pid = L->prep.pid;
    *io = (struct step_io){L->prep.in_fd, L->prep.out_fd, L->prep.err_fd, L->prep.go_fd};
    forget(&L->prep);
    return pid;
}
