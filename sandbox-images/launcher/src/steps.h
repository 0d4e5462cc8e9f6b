/* Steps: starting a step's process and running it to its end (output, stdin, limits, the
 * result line). */
#ifndef LAUNCHER_STEPS_H
#define LAUNCHER_STEPS_H

#include <stdint.h>
#include <sys/types.h>

#include "launcher.h"

/* The launcher's ends of a step's pipes: the write end of its stdin (-1 for compile, whose
 * stdin is /dev/null), the read ends of its stdout and stderr (compile: one pipe for both,
 * err_fd -1), and for a prepared step the socket to its descriptor 3 (else -1). */
struct step_io {
    int in_fd, out_fd, err_fd, go_fd;
};

/* Forks the step's process, confined as the job's uid (and jail), and returns its pid. */
pid_t spawn_step(struct launcher *L, char **argv, int is_compile, uint64_t cpu_ms, int with_go, struct step_io *io);

/* Runs the compile (is_compile) or run step to its end, the prepared one if it is there, and
 * sends its `x` frame. Returns 1 if it exited 0 and was not cancelled. */
int run_step(struct launcher *L, int is_compile);

#endif
