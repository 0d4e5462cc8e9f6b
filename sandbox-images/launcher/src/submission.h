/* One submission's life: fresh state (in a reused sandbox, fresh mounts and IPC), the setup
 * frames up to G, and the end of everything it started. */
#ifndef LAUNCHER_SUBMISSION_H
#define LAUNCHER_SUBMISSION_H

#include "launcher.h"

/* Fresh per-submission state; in owner and jail mode fresh tmpfs mounts and a new IPC
 * namespace, then `z` (from the second submission on); in jail mode a new uid. Starts the
 * prepared run step if the sandbox has one. */
void start_job(struct launcher *L);
/* Reads frames until G. Returns 0 if stdin ended cleanly before the first frame of a later
 * submission. */
int setup_phase(struct launcher *L);
/* After a submission of a reused sandbox: every process of it killed. Returns 0 if the sandbox
 * must end instead of serving another (a jail that used its last uid). */
int end_job(struct launcher *L);

#endif
