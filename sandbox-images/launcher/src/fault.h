/* Launcher faults: a message on the container's stderr and exit status 3. */
#ifndef LAUNCHER_FAULT_H
#define LAUNCHER_FAULT_H

/* Ends the launcher: runs the cleanup set with fault_cleanup() (main sets it to kill every
 * process of the sandbox), prints "launcher: <message>" on stderr, exits 3. The agent treats
 * exit status 3 plus that message as an internal error, never as the user's fault. */
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* What fatal() does before it exits. Unset (the C tests), it only prints and exits. */
void fault_cleanup(void (*fn)(void));

#endif
