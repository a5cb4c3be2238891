/* File-system helpers shared by every writer and reader: atomic replacement
 * of a file or a whole folder, recursive mkdir, path joining, appends and
 * whole-file reads that refuse what is not a regular file or is larger than
 * its format allows. No open() here can block: what is not a regular file
 * (a FIFO planted in a run folder) is refused, never waited on.
 *
 * An atomic write goes to "<dir>/.<name>.tmp.<host>.<pid>" in the final
 * file's own folder, is flushed and fsync'ed, then renamed over the final
 * name (and the folder fsync'ed), so a crash, a full disk or a Ctrl-C never
 * leaves a half-written file under the final name. The host and pid in the
 * name say whose it is: a temporary file is removed by its owner, or by
 * fs_remove_stale_temps once its owner is provably dead.
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
    char tmp_path[PATH_MAX + 128];
} atomic_file_t;

/* The checks atomic_begin makes of final_path (a regular file or a new
 * name in an existing folder), without creating anything: for a writer
 * that must fail before its work, not at the end of it. */
int fs_check_output(const char *final_path, gan_err_t *err);

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

/* A folder published whole (gan sample --format=dir, gan export): its
 * files are written into the private sibling folder "<DIR>.tmp.<host>.<pid>"
 * (tmp_path), and commit makes them durable with one syncfs() and renames
 * the folder into place, so DIR is never seen half-written. A crash leaves
 * the .tmp folder (never a half-filled DIR).
 *
 * DIR may be missing (its parents are created), an empty folder (rename
 * replaces it), or, when the caller's is_earlier says so, a folder holding
 * an earlier output of the same kind: it is replaced whole, atomically
 * (renameat2 RENAME_EXCHANGE, then the old one is removed), so a kill leaves
 * the old output or the new one, never a mix. On a file system without
 * RENAME_EXCHANGE the old folder is renamed aside to "<DIR>.old.<host>.<pid>"
 * first; a kill between the two renames then leaves both there and no DIR.
 * A symlink to a folder is written through (its target is replaced). */
typedef struct {
    char final_path[PATH_MAX];     /* a symlink's target when given a symlink */
    char tmp_path[PATH_MAX + 128]; /* write the files here */
    int replace;                   /* final_path holds an earlier output */
} atomic_dir_t;

/* Creates the private folder. is_earlier (NULL: none) tells whether a
 * non-empty folder is an earlier output that may be replaced whole;
 * not_empty_fix is said after "<DIR>: folder is not empty (N entries); "
 * for any other non-empty folder. GAN_ERR_INPUT for an empty path, a
 * non-folder (a FIFO, a file, a dangling symlink; named), a non-empty
 * folder; GAN_ERR_RUNTIME if a folder cannot be created. */
int atomic_dir_begin(atomic_dir_t *ad, const char *path, int (*is_earlier)(const char *dir),
                     const char *not_empty_fix, gan_err_t *err);
/* Flushes every file of tmp_path to disk and puts the folder in place (see
 * above). On error the private folder is removed and DIR is as it was. */
int atomic_dir_commit(atomic_dir_t *ad, gan_err_t *err);
/* Removes the private folder and what is in it; safe after a failed begin
 * or a commit (then it does nothing). */
void atomic_dir_abort(atomic_dir_t *ad);

/* Removes path and, if it is a folder, everything under it (symlinks are
 * removed, never followed). Best effort: what cannot be removed stays. */
void fs_remove_tree(const char *path);

/* This host as temporary names carry it: gethostname() with every byte
 * other than a letter, digit or '-' as '_', at most 64 bytes (so the name
 * parses back: no '.'). */
void fs_temp_host(char *out, size_t size);

/* Removes the temporary files of atomic writes in dir whose owner is
 * provably dead: ".<name>.tmp.<host>.<pid>" of this host whose pid no
 * longer exists (kill(pid, 0) fails with ESRCH). A temporary file of
 * another host, of a live pid or of this process is never removed.
 * Old-style names ".<name>.tmp.<pid>" (written before names carried the
 * host) are removed only when that pid is dead on this host.
 *
 * Caveats: a dead owner's pid reused by another process keeps its file
 * (a leak, never a loss); two pid namespaces sharing one host name (e.g.
 * containers with the host's UTS namespace) cannot see each other's pids,
 * so such setups must not share a run folder while a writer is live.
 * Returns how many it removed. */
int fs_remove_stale_temps(const char *dir);

/* mkdir -p. GAN_ERR_INPUT when path or one of its parents exists and is
 * not a folder (a file, a FIFO, a dangling symlink: named, with the fix);
 * GAN_ERR_RUNTIME when a folder cannot be created. */
int fs_mkdirs(const char *path, gan_err_t *err);
/* GAN_OK if path is missing, a folder or a symlink to one: a folder can
 * be made or used there. Else GAN_ERR_INPUT as fs_mkdirs says it (a file,
 * a FIFO, a dangling symlink and where it points). For a check before any
 * work; creates nothing. */
int fs_check_folder(const char *path, gan_err_t *err);
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

/* Opens path for appending into *fd, creating it (0644) if missing,
 * without ever blocking: a FIFO, device, directory or socket is refused
 * (GAN_ERR_INPUT, "<path>: not a regular file (a FIFO); ..."), checked
 * before the open and again on the file opened. GAN_ERR_RUNTIME with the
 * errno text if it cannot be opened. The caller closes *fd (-1 on error). */
int fs_open_append(const char *path, int *fd, gan_err_t *err);

/* Appends text (all of it, NUL excluded) to path and makes it durable
 * (fsync) before returning, so a crash right after loses nothing that was
 * reported written: the rows of a run's CSV logs, a line of its claims
 * journal. The file is opened with fs_open_append (created if missing; a
 * FIFO or device is refused with its errors, never waited on).
 * GAN_ERR_RUNTIME "<path>: write failed (<why>)" when a write, the fsync or
 * the close fails (what was written before may stay). */
int fs_append_durably(const char *path, const char *text, gan_err_t *err);

/* Reads a whole regular file of at most max_bytes into a malloc'ed buffer
 * (NUL-terminated for text use; *n excludes the NUL). Caller frees.
 * GAN_ERR_INPUT if missing, not a regular file (fs_open_regular) or larger
 * than max_bytes ("<path>: larger than <max_bytes> bytes, ..."), checked
 * before anything is read; GAN_ERR_RUNTIME on a read error or out of
 * memory. */
int fs_read_all(const char *path, size_t max_bytes, char **data, size_t *n, gan_err_t *err);

#endif
