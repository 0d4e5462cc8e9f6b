#include "fault.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static void (*cleanup)(void);

void fault_cleanup(void (*fn)(void)) {
    cleanup = fn;
}

void fatal(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cleanup) cleanup();
    dprintf(STDERR_FILENO, "launcher: %s\n", msg);
    _exit(3);
}
