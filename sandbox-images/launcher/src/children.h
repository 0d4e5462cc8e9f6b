/* Children and signals: reaping (as PID 1, every orphan of the sandbox is ours) and killing
 * everything but the launcher. */
#ifndef LAUNCHER_CHILDREN_H
#define LAUNCHER_CHILDREN_H

#include "launcher.h"

/* SIGCHLD only wakes the poll loop through a self-pipe; the reaping happens in the loop. */
void children_init(void);
int wake_fd(void);
void drain_wake(void);

/* Reaps every child that ended; keeps the main process's status and rusage, and notes a
 * prepared step that died before its go. */
void reap(struct launcher *L);
/* One sweep of kill(-1, SIGKILL); returns 0 once nothing is left. */
int kill_all(struct launcher *L);
/* Sweeps until nothing is left; a process that survives SIGKILL for 2 s ends the sandbox. */
void kill_everything(struct launcher *L);
/* fatal()'s cleanup in the sandbox: whatever the user started must not outlive the launcher. */
void kill_sandbox(void);

#endif
