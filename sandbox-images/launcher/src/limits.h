/* A submission's limits: the L frame (PROTOCOL.md, "Limits"). */
#ifndef LAUNCHER_LIMITS_H
#define LAUNCHER_LIMITS_H

#include <stdint.h>

struct limits {
    uint64_t compile_wall_ms, compile_cpu_ms, run_wall_ms, run_cpu_ms;
    uint64_t nproc, nofile, fsize_bytes;
    uint64_t stdout_max, stderr_max, compile_output_max;
    /* Artifacts (artifacts.h): artifacts_max_count 0 means none are collected. */
    uint64_t artifacts_max_count, artifacts_max_file_bytes, artifacts_max_bytes;
};

extern const struct limits default_limits;

/* Applies "key=value\n" lines to lim (the text is modified). Values are plain decimal; a line
 * without '=', an empty or non-decimal value is a protocol error (fatal). Unknown keys are
 * ignored, so the agent can be newer than the image. */
void parse_limits(struct limits *lim, char *text);

/* The limits a prepared run step was started with still hold for a submission that asks for
 * lim (the rlimits only: wall time and output caps apply from the go). */
int same_rlimits(const struct limits *a, const struct limits *b);

#endif
