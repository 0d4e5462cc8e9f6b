#include "graded.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "steps.h"

/* The next test's limits: the submission's own (its L frame), then the N frame's lines. */
static void test_limits(struct launcher *L, const struct limits *base, uint32_t len) {
    char *p = read_payload(STDIN_FILENO, len);
    if (memchr(p, '\0', len)) fatal("protocol error: NUL in N frame");
    L->job.lim = *base;
    parse_limits(&L->job.lim, p);
    free(p);
}

/* Between tests. I and E frames left over from the previous test are skipped: its program may
 * have ended before the launcher read all of its input. K ends the submission (nothing runs),
 * and so do D and EOF. Returns 1 when an N frame announced the next test. */
static int next_test(struct launcher *L, const struct limits *base) {
    run_input_finish_frame(&L->in, STDIN_FILENO);
    if (L->in.cancelled || !L->in.stdin_open) return 0;
    while (1) {
        unsigned char h[FRAME_HEADER];
        size_t n = read_full(STDIN_FILENO, h, sizeof h);
        if (n == 0) return 0;
        if (n != sizeof h) fatal("protocol error: stdin ended inside a frame header");
        uint32_t len = frame_length(h);
        if (h[0] == 'N') {
            test_limits(L, base, len);
            run_input_reset(&L->in);
            return 1;
        }
        if (h[0] != 'I' && h[0] != 'E' && h[0] != 'K' && h[0] != 'D')
            fatal("protocol error: frame type 0x%02x not allowed between tests", h[0]);
        if (h[0] != 'I' && len != 0) fatal("protocol error: %c frame with a payload", h[0]);
        skip_payload(STDIN_FILENO, len);
        if (h[0] == 'K') L->in.cancelled = 1;
        if (h[0] == 'K' || h[0] == 'D') return 0;
    }
}

void run_tests(struct launcher *L) {
    struct limits base = L->job.lim;
    while (next_test(L, &base)) run_step(L, 0);
}
