/* One submission's life: fresh state, the setup frames up to G, and (in a reused sandbox) the
 * wipe afterwards. */
#ifndef LAUNCHER_SUBMISSION_H
#define LAUNCHER_SUBMISSION_H

#include "launcher.h"

/* Fresh per-submission state; in jail mode a new uid and a new folder for the files. Starts
 * the prepared run step if the sandbox has one. */
void start_job(struct launcher *L);
/* Reads frames until G. Returns 0 if stdin ended cleanly before the first frame of a later
 * submission. */
int setup_phase(struct launcher *L);
/* After a submission of a reused sandbox: nothing of it may reach the next one. Sends `z`. */
void end_job(struct launcher *L);

#endif
