/* Graded submissions (PROTOCOL.md, "Graded submissions"): the compile step once, then the run
 * step once per test, each with its own stdin and limits, in the same workspace. */
#ifndef LAUNCHER_GRADED_H
#define LAUNCHER_GRADED_H

#include "launcher.h"

/* Runs the tests the agent announces with N frames until D, EOF or a cancel. */
void run_tests(struct launcher *L);

#endif
