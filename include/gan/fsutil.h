/* File-system helpers shared by every writer and reader: atomic replacement
 * of a file, recursive mkdir, path joining, and whole-file reads that refuse
 * what is not a regular file or is larger than its format allows.
 *
 * An atomic write goes to "<dir>/.<name>.tmp.<pid>" in the final file's own
 * folder, is flushed and fsync'ed, then renamed over the final name (and the
 * folder fsync'ed), so a crash, a full disk or a Ctrl-C never leaves a
 * half-written file under the final name.
 *
 * The final name must be a regular file or a new name: a device, FIFO,
 * socket or folder given as an output is refused (renaming over it would
 * replace it, e.g. /dev/null, with a regular file). A symlink is written
 * through: its target is replaced, the link stays. */
#ifndef GAN_FSUTIL_H
#define GAN_FSUTIL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gan/error.h"

typedef struct {
    FILE *fp;             /* write here between begin and commit */
    char final_path[PATH_MAX];      /* a symlink's target when given a symlink */
    char tmp_path[PATH_MAX + 64];
} atomic_file_t;

/* Opens the temporary file. GAN_ERR_INPUT when final_path is not a regular
 * file or a new name, or its folder does not exist (naming the folder);
 * GAN_ERR_RUNTIME (with the path and errno text) if it cannot be created. */
int atomic_begin(atomic_file_t *af, const char *final_path, gan_err_t *err);
/* atomic_begin for the file named name in folder dir; af->final_path then
 * holds the joined path. */
int atomic_begin_in(atomic_file_t *af, const char *dir, const char *name, gan_err_t *err);
/* Flushes, fsyncs, closes and renames into place. Any write error seen on
 * the stream (e.g. disk full) fails here with the final path named, and the
 * temporary file is removed. */
int atomic_commit(atomic_file_t *af, gan_err_t *err);
/* Closes and removes the temporary file; safe to call after a failed begin
 * or a commit (then it does nothing). */
void atomic_abort(atomic_file_t *af);

/* Writes n bytes to path atomically. */
int atomic_write_bytes(const char *path, const void *data, size_t n, gan_err_t *err);

/* Removes the files of dir whose names match (match returns non-zero);
 * returns how many it removed. A missing dir removes nothing. */
int fs_remove_files(const char *dir, int (*match)(const char *name));

/* Removes the temporary files of atomic writes that a killed process left
 * in dir (".<name>.tmp.<pid>"); returns how many it removed. */
int fs_remove_stale_temps(const char *dir);

/* mkdir -p; GAN_ERR_RUNTIME on failure. */
int fs_mkdirs(const char *path, gan_err_t *err);
/* 1 if path exists (any type), else 0. */
int fs_exists(const char *path);
/* 1 if path is a directory. */
int fs_is_dir(const char *path);

/* The folder part of path ("." when it has none, "/" for the root),
 * truncated to out_size. */
void fs_dirname(char *out, size_t size, const char *path);

/* out = a + "/" + b; GAN_ERR_INPUT if it does not fit in out_size. */
int fs_join(char *out, size_t out_size, const char *a, const char *b, gan_err_t *err);

/* Opens path read-only into *fd if it is a regular file (symlinks are
 * followed), without ever blocking: a FIFO, device, directory or socket is
 * refused before it is opened. GAN_ERR_INPUT with "<path>: not found",
 * "<path>: not a regular file (a FIFO)" or "<path>: cannot open (<why>)";
 * fix is appended to the first two as "; <fix>" (NULL: nothing after "not
 * found", a generic fix after "not a regular file"). *size (may be NULL)
 * gets the size of the file opened. The caller closes *fd (-1 on error). */
int fs_open_regular(const char *path, const char *fix, int *fd, uint64_t *size, gan_err_t *err);

/* Reads a whole regular file of at most max_bytes into a malloc'ed buffer
 * (NUL-terminated for text use; *n excludes the NUL). Caller frees.
 * GAN_ERR_INPUT if missing, not a regular file (fs_open_regular) or larger
 * than max_bytes ("<path>: larger than <max_bytes> bytes, ..."), checked
 * before anything is read; GAN_ERR_RUNTIME on a read error or out of
 * memory. */
int fs_read_all(const char *path, size_t max_bytes, char **data, size_t *n, gan_err_t *err);

#endif
