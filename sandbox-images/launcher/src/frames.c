#include "frames.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"

int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int write_full(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

size_t read_full(int fd, void *buf, size_t len) {
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            fatal("reading stdin: %s", strerror(errno));
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    return got;
}

void set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) fatal("fcntl: %s", strerror(errno));
}

void close_fd(int *fd) {
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Header and payload in a single buffer, so a frame goes out in one write when the pipe
 * allows it; write_full covers the rest. */
void emit(char type, const void *data, size_t len) {
    static char buf[FRAME_HEADER + CHUNK];
    while (1) {
        size_t n = len > CHUNK ? CHUNK : len;
        buf[0] = type;
        buf[1] = (char)((n >> 24) & 0xff);
        buf[2] = (char)((n >> 16) & 0xff);
        buf[3] = (char)((n >> 8) & 0xff);
        buf[4] = (char)(n & 0xff);
        if (n) memcpy(buf + FRAME_HEADER, data, n);
        if (write_full(STDOUT_FILENO, buf, FRAME_HEADER + n) < 0) fatal("writing stdout: %s", strerror(errno));
        data = (const char *)data + n;
        len -= n;
        if (len == 0) break;
    }
}

uint32_t frame_length(const unsigned char hdr[FRAME_HEADER]) {
    uint32_t len = (uint32_t)hdr[1] << 24 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 8 | (uint32_t)hdr[4];
    if (len > MAX_PAYLOAD) fatal("protocol error: %c frame of %u bytes is over 64 MiB", hdr[0], len);
    return len;
}

char *read_payload(int fd, uint32_t len) {
    char *p = malloc((size_t)len + 1);
    if (!p) fatal("out of memory");
    if (read_full(fd, p, len) != len) fatal("protocol error: stdin ended inside a frame");
    p[len] = '\0';
    return p;
}

void skip_payload(int fd, uint32_t len) {
    static char buf[CHUNK];
    while (len > 0) {
        size_t n = len > sizeof buf ? sizeof buf : len;
        if (read_full(fd, buf, n) != n) fatal("protocol error: stdin ended inside a frame");
        len -= (uint32_t)n;
    }
}

char **parse_argv(char *p, uint32_t len, char type) {
    if (len == 0 || p[len - 1] != '\0') fatal("protocol error: %c frame must be NUL-terminated arguments", type);
    size_t argc = 0;
    for (uint32_t i = 0; i < len; i++)
        if (p[i] == '\0') argc++;
    char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv) fatal("out of memory");
    size_t k = 0;
    for (char *s = p; s < p + len; s += strlen(s) + 1) argv[k++] = s;
    if (argv[0][0] == '\0') fatal("protocol error: %c frame has an empty program name", type);
    return argv;
}

void free_argv(char **argv) {
    if (!argv) return;
    free(argv[0]);
    free(argv);
}

/* ------------------------------------------------------------------------------------------ */
/* Run-phase input                                                                             */

void run_input_reset(struct run_input *in) {
    in->cancelled = in->closed = in->dropped = 0;
    in->pending_len = 0;
    in->hdr_len = 0;
    in->type = 0;
    in->left = 0;
}

static void queue_input(struct run_input *in, const char *p, size_t n) {
    if (in->dropped || n == 0) return;
    if (in->pending_len + n > in->pending_cap) {
        size_t cap = in->pending_cap ? in->pending_cap : CHUNK;
        while (cap < in->pending_len + n) cap *= 2;
        char *q = realloc(in->pending, cap);
        if (!q) fatal("out of memory buffering stdin");
        in->pending = q;
        in->pending_cap = cap;
    }
    memcpy(in->pending + in->pending_len, p, n);
    in->pending_len += n;
}

static void frame_done(struct run_input *in) {
    if (in->type == 'E') in->closed = 1;
    if (in->type == 'K') in->cancelled = 1;
    in->hdr_len = 0;
}

/* The header is complete: check it against what the run phase allows. */
static void header_done(struct run_input *in) {
    in->type = (char)in->hdr[0];
    if (in->type != 'I' && in->type != 'E' && in->type != 'K')
        fatal("protocol error: frame type 0x%02x not allowed after G", in->hdr[0]);
    in->left = frame_length(in->hdr);
    if (in->type != 'I' && in->left != 0) fatal("protocol error: %c frame with a payload", in->type);
    if (in->type == 'I' && in->closed) fatal("protocol error: I frame after E");
    if (in->left == 0) frame_done(in);
}

void run_input_parse(struct run_input *in, const char *p, size_t n) {
    while (n > 0) {
        if (in->hdr_len < FRAME_HEADER) {
            size_t take = FRAME_HEADER - in->hdr_len;
            if (take > n) take = n;
            memcpy(in->hdr + in->hdr_len, p, take);
            in->hdr_len += take;
            p += take;
            n -= take;
            if (in->hdr_len == FRAME_HEADER) header_done(in);
            continue;
        }
        size_t take = in->left < n ? in->left : n;
        queue_input(in, p, take);
        p += take;
        n -= take;
        in->left -= (uint32_t)take;
        if (in->left == 0) frame_done(in);
    }
}

void run_input_eof(struct run_input *in) {
    if (in->hdr_len != 0) fatal("protocol error: stdin ended inside a frame");
    in->stdin_open = 0;
    in->closed = 1;
}

void run_input_consumed(struct run_input *in, size_t n) {
    memmove(in->pending, in->pending + n, in->pending_len - n);
    in->pending_len -= n;
}

void run_input_finish_frame(struct run_input *in, int fd) {
    if (in->hdr_len == 0) return;
    if (in->hdr_len < FRAME_HEADER) {
        size_t want = FRAME_HEADER - in->hdr_len;
        if (read_full(fd, in->hdr + in->hdr_len, want) != want) fatal("protocol error: stdin ended inside a frame");
        in->left = frame_length(in->hdr);
    }
    skip_payload(fd, in->left);
    in->hdr_len = 0;
    in->left = 0;
}
