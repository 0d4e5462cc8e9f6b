/* The prepared run step (PROTOCOL.md, "Prepared run step"). */
#ifndef LAUNCHER_PREPARED_H
#define LAUNCHER_PREPARED_H

#include "launcher.h"
#include "steps.h"

/* Starts the prepared run step of the submission start_job() just set up. */
void prepare(struct launcher *L);
/* Kills the prepared step (nothing else of the submission runs yet) and forgets it. */
void discard_prepared(struct launcher *L);
/* Between frames of the setup phase: waits until stdin has something, and meanwhile tells
 * the agent (a `p` frame with the submission's number) when the prepared step is loaded. */
void await_frame(struct launcher *L);
/* The prepared step can serve this submission: still alive, asked for (A), no compile step,
 * and the rlimits it was started with are the ones the submission wants. */
int prepared_fits(struct launcher *L);
/* The go: returns 0 if the prepared step is gone (it is then discarded). */
int go_prepared(struct launcher *L);
/* After the go: the prepared step becomes the run step; returns its pid and hands over its
 * descriptors. */
pid_t take_prepared(struct launcher *L, struct step_io *io);

#endif
