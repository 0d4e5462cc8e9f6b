/* The submission's files: checking the paths the agent sends, writing them into the
 * workspace, and emptying folders between submissions of a reused sandbox. */
#ifndef LAUNCHER_WORKSPACE_H
#define LAUNCHER_WORKSPACE_H

#include <stddef.h>
#include <stdint.h>

/* A workspace-relative path as the protocol demands: not empty, relative, no empty segment
 * (so no leading, trailing or double slash), no ".." segment ("." is harmless). */
int path_ok(const char *path, size_t len);

/* The F frame of len payload bytes: "path NUL content", read from in_fd, the content streamed
 * into the file (so a large file never has to fit in memory), relative to dirfd. Parent
 * folders are made 0755, the file is 0644 whatever existed before; an existing symlink at the
 * path is not followed. A bad path or a short frame is a protocol error (fatal). */
void write_file_frame(int in_fd, int dirfd, uint32_t len);

/* Removes everything inside path (and path itself if remove_itself); a missing path is
 * nothing to do. Runs with the caller's effective uid: a folder the program made unreadable
 * is opened up first (its owner may always chmod it). */
void wipe(const char *path, int remove_itself);

/* The size in bytes of the filesystem mounted at path (what Docker's tmpfs there was given);
 * fatal if it cannot be read. */
unsigned long long mount_size(const char *path);

/* A tmpfs of its own at path, nosuid and nodev, with options opts (size, mode, uid, gid):
 * *mounted says whether one of ours is there already, which is unmounted first (detached: its
 * memory is freed with its last open file). Needs CAP_SYS_ADMIN; fatal on failure. */
void fresh_tmpfs(const char *path, const char *opts, int *mounted);

/* Removes a device node from the sandbox's /dev (and then folder, if not NULL and left empty),
 * so the program cannot open it; a missing one is nothing to do. Fatal on any other failure. */
void remove_device(const char *path, const char *folder);

#endif
