#include "limits.h"

#include <stddef.h>
#include <string.h>

#include "fault.h"

const struct limits default_limits = {
    .compile_wall_ms = 10000,
    .compile_cpu_ms = 10000,
    .run_wall_ms = 5000,
    .run_cpu_ms = 5000,
    .nproc = 64,
    .nofile = 256,
    .fsize_bytes = 16777216,
    .stdout_max = 65536,
    .stderr_max = 65536,
    .compile_output_max = 65536,
    .artifacts_max_count = 0,
    .artifacts_max_file_bytes = 8388608,
    .artifacts_max_bytes = 33554432,
};

static const struct {
    const char *key;
    size_t offset;
} keys[] = {
    {"compile_wall_ms", offsetof(struct limits, compile_wall_ms)},
    {"compile_cpu_ms", offsetof(struct limits, compile_cpu_ms)},
    {"run_wall_ms", offsetof(struct limits, run_wall_ms)},
    {"run_cpu_ms", offsetof(struct limits, run_cpu_ms)},
    {"nproc", offsetof(struct limits, nproc)},
    {"nofile", offsetof(struct limits, nofile)},
    {"fsize_bytes", offsetof(struct limits, fsize_bytes)},
    {"stdout_max", offsetof(struct limits, stdout_max)},
    {"stderr_max", offsetof(struct limits, stderr_max)},
    {"compile_output_max", offsetof(struct limits, compile_output_max)},
    {"artifacts_max_count", offsetof(struct limits, artifacts_max_count)},
    {"artifacts_max_file_bytes", offsetof(struct limits, artifacts_max_file_bytes)},
    {"artifacts_max_bytes", offsetof(struct limits, artifacts_max_bytes)},
};

/* Plain decimal only: strtoull would also take signs, spaces and hex. */
static uint64_t parse_value(const char *key, const char *val) {
    uint64_t v = 0;
    if (*val == '\0') fatal("protocol error: empty value for %s", key);
    for (const char *c = val; *c; c++) {
        if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10) fatal("protocol error: bad value for %s: %.32s", key, val);
        v = v * 10 + (uint64_t)(*c - '0');
    }
    return v;
}

void parse_limits(struct limits *lim, char *text) {
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) fatal("protocol error: L line without '=': %.64s", line);
        *eq = '\0';
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            if (strcmp(line, keys[i].key) != 0) continue;
            *(uint64_t *)((char *)lim + keys[i].offset) = parse_value(line, eq + 1);
        }
    }
}

int same_rlimits(const struct limits *a, const struct limits *b) {
    return a->run_cpu_ms == b->run_cpu_ms && a->nproc == b->nproc && a->nofile == b->nofile &&
           a->fsize_bytes == b->fsize_bytes;
}
