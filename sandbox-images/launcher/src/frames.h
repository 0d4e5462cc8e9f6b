/* The wire format (PROTOCOL.md, "Frames"): a type byte, a 4-byte big-endian length, the
 * payload. Reading and writing whole frames, and the parsers of the payloads. */
#ifndef LAUNCHER_FRAMES_H
#define LAUNCHER_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER 5
#define MAX_PAYLOAD (64u * 1024u * 1024u)
#define CHUNK 65536

int64_t now_ms(void);
/* A short write or an EINTR must never cut a frame in half: 0, or -1 with errno. */
int write_full(int fd, const void *buf, size_t len);
/* Exactly len bytes; fewer only at EOF (the count read). A read error is fatal. */
size_t read_full(int fd, void *buf, size_t len);
void set_nonblock(int fd);
/* Closes *fd if open and marks it closed (-1). */
void close_fd(int *fd);

/* Writes one output frame (more than one if len passes CHUNK) to stdout. Fatal on error. */
void emit(char type, const void *data, size_t len);

/* The payload length of a header; over MAX_PAYLOAD is a protocol error. */
uint32_t frame_length(const unsigned char hdr[FRAME_HEADER]);

/* Blocking reads of the setup phase (frames before G) from fd. */
char *read_payload(int fd, uint32_t len); /* malloc'ed, NUL-terminated */
void skip_payload(int fd, uint32_t len);

/* C, R and A payloads: every argument NUL-terminated. argv points into p (kept by the
 * caller); argv[0] is p. An empty payload, a missing final NUL or an empty program name is a
 * protocol error naming the frame type. */
char **parse_argv(char *p, uint32_t len, char type);
/* Frees what parse_argv returned (and its payload). */
void free_argv(char **argv);

/* Run-phase input (I, E, K after G), parsed incrementally from whatever a read returned. */
struct run_input {
    int stdin_open;   /* the launcher's stdin is not yet at EOF */
    int cancelled;    /* K received */
    int closed;       /* E (or EOF) received: the step's stdin closes once drained */
    int dropped;      /* the step closed its stdin: further input goes nowhere */
    char *pending;    /* bytes for the step's stdin, in order, not yet written to its pipe */
    size_t pending_len, pending_cap;
    /* The frame being read: its header, and the payload bytes still to come. */
    unsigned char hdr[FRAME_HEADER];
    size_t hdr_len;
    char type;
    uint32_t left;
};

/* A new submission's input: open, nothing pending (the buffer is kept for reuse). */
void run_input_reset(struct run_input *in);
/* Parses n bytes of the launcher's stdin; frames other than I/E/K, a payload on E/K and I
 * after E are protocol errors. */
void run_input_parse(struct run_input *in, const char *p, size_t n);
/* EOF on the launcher's stdin: E, never K (inside a frame: a protocol error). */
void run_input_eof(struct run_input *in);
/* Drops n bytes from the front of the pending input (they were written to the step). */
void run_input_consumed(struct run_input *in, size_t n);
/* Reads the rest of a frame the run phase had begun, blocking, so the next submission's
 * frames start at a frame boundary. */
void run_input_finish_frame(struct run_input *in, int fd);

#endif
