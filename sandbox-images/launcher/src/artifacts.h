/* Artifacts: the regular files a program left under /workspace/output, sent to the agent after
 * the run step (PROTOCOL.md, "Artifacts"). */
#ifndef LAUNCHER_ARTIFACTS_H
#define LAUNCHER_ARTIFACTS_H

#include <stdint.h>

#define ARTIFACTS_DIR "output"
/* Folders below output/ that are walked; deeper ones are skipped (too_deep). */
#define ARTIFACTS_MAX_DEPTH 16
/* At most this many `s` frames per run; `y` counts every skipped entry. */
#define ARTIFACTS_MAX_SKIP_FRAMES 100

struct artifact_limits {
    uint64_t max_count;      /* files sent; 0: artifacts are off (no frames at all) */
    uint64_t max_file_bytes; /* bytes of one file */
    uint64_t max_bytes;      /* bytes of all files of the run */
};

/* Walks workspace_fd's output/ folder and emits an `a` frame and its `b` content frames per
 * file within the limits, an `s` frame per entry left out (with why), then one `y` frame.
 * Nothing is followed: symlinks, devices, FIFOs and sockets are skipped without being opened,
 * a file is opened O_NOFOLLOW|O_NONBLOCK and checked again with fstat on its descriptor before
 * a byte is read from that descriptor. Run it with the submission's uid as the effective uid
 * (the workspace may be its 0700 folder) and after the step's processes are dead. A missing
 * output/ folder gives just `y` with count=0. Nothing here is fatal but an output error. */
void collect_artifacts(int workspace_fd, const struct artifact_limits *lim);

#endif
