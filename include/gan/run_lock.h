/* The run lock: the claim file DIR/lock that makes one process the only
 * writer of a run folder, the flock its holder keeps on it, staleness, and
 * the claims journal (DIR/claims.log). File names and paths come from
 * run_dir.h (run_path).
 *
 * The lock is a file, DIR/lock, created with O_CREAT|O_EXCL (atomic on local
 * filesystems and on NFS v3 and later) that names its holder (host, pid,
 * start time) and is refreshed while the run trains. Whoever writes a run
 * (train, resume, --force) holds it for the life of the process. Why a file
 * and not only flock(): a flock is known to one kernel (and to NFS only
 * through its lock manager), while a claim file is visible to every machine
 * sharing the folder and says who holds it. The holder also keeps a flock on
 * the file, so on one host a dead holder is recognised exactly (the kernel
 * drops its flock when it dies, whatever happened to its pid).
 *
 * Staleness on another host is judged by the OBSERVER's own clock, never by
 * comparing the file's mtime with the local time (clocks of two machines
 * may disagree by hours): a claim is stale once this process has seen the
 * very same claim (same file, same bytes, same mtime and size) unchanged
 * for stale_seconds of its monotonic clock. A live holder rewrites its
 * claim (a new refresh time and beat count) every RUN_LOCK_REFRESH_SECONDS,
 * so stale_seconds must be well above that (the default is ten refreshes).
 * What this process has seen is kept in a table private to the process,
 * keyed by the lock's path: every run_lock_acquire, run_lock_probe and
 * run_lock_held call looks at the claim and updates its entry, so a worker
 * that polls (experiment_work) measures how long a claim stayed unchanged
 * across its polls, and a one-shot caller (gan train --resume), which looks
 * once, always finds a foreign claim live and says how to take it over.
 * The rule therefore never breaks a claim that changed within stale_seconds
 * and never waits forever: a dead holder's claim stops changing, and a
 * polling observer takes it over stale_seconds after its first look. The
 * table is not thread-safe (one thread of a process calls these functions;
 * workers and experiment jobs are processes).
 *
 * A claim file that cannot be read (created, its line not yet written) is
 * judged the same way with RUN_LOCK_CREATE_SECONDS instead of stale_seconds;
 * callers wait that long in the call rather than report a busy run.
 *
 * A stale claim is broken by renaming it away (atomic: of several breakers
 * only one succeeds) and the run is taken over. The old holder, if it still
 * runs, finds at its next write or refresh (run_lock_check) that the claim
 * is no longer its own and stops without writing anything more.
 *
 * A lock or claims.log that is not a regular file (a folder, a FIFO, a
 * symbolic link, a device) is refused at once (GAN_ERR_INPUT naming it and
 * the fix); nothing here opens a file in a way that can block.
 *
 * Nothing here prints; errors are one line in gan_err_t. */
#ifndef GAN_RUN_LOCK_H
#define GAN_RUN_LOCK_H

#include "gan/error.h"

/* The lock. */
typedef struct run_lock run_lock_t;

/* Who holds a run's lock, as its file says. */
typedef struct {
    char host[256];
    long pid;
    long long started;   /* unix seconds when the claim was made */
    long long refreshed; /* unix seconds of the last refresh */
    long beats;          /* refreshes so far */
} run_holder_t;

/* The default of stale_seconds: a holder refreshes at least every
 * RUN_LOCK_REFRESH_SECONDS while training, so 300 s means ten missed
 * refreshes, far above an NFS client's attribute cache (60 s at most by
 * default), and short next to a run's length. */
#define RUN_LOCK_STALE_SECONDS 300.0
#define RUN_LOCK_REFRESH_SECONDS 30.0
/* How long a claim file may stay unreadable (a holder between creating it
 * and writing its line, a matter of microseconds) before it is stale. */
#define RUN_LOCK_CREATE_SECONDS 2.0

/* Takes dir's lock (dir must exist). GAN_OK: *out holds it. RUN_LOCK_BUSY:
 * another live process holds it; err names it ("<dir>: in use by gan pid P
 * on HOST since T; ...", with how to take it over when the holder is on
 * another host) and *out is NULL. GAN_ERR_INPUT when DIR/lock or
 * DIR/claims.log is not a regular file (nothing is left behind).
 * GAN_ERR_RUNTIME on I/O failure. A stale lock is taken over. */
#define RUN_LOCK_BUSY 4
int run_lock_acquire(run_lock_t **out, const char *dir, double stale_seconds, gan_err_t *err);

/* GAN_OK while DIR/lock is still the claim this process made: the same file
 * (device and inode) and its content still naming us (host, pid, start
 * time). Otherwise GAN_ERR_RUNTIME with "<dir>: lost its lock (now held by
 * pid P on HOST | the lock file was removed); stopping without writing":
 * the caller must write nothing more to the run. Call it before every
 * write. Looks twice, 100 ms apart, before giving up (a breaker that moved
 * our claim by mistake puts it back at once). */
int run_lock_check(const run_lock_t *lock, gan_err_t *err);

/* run_lock_check, then rewrites the claim with a new refresh time and
 * beat count (and so a new mtime). GAN_ERR_RUNTIME if the claim is no
 * longer ours (the message of run_lock_check) or cannot be rewritten: the
 * caller must stop writing the run at once. */
int run_lock_refresh(run_lock_t *lock, gan_err_t *err);

/* Removes the claim (only if it is still ours) and frees lock; NULL is
 * fine. */
void run_lock_release(run_lock_t *lock);

/* 1 when acquiring the lock broke a stale claim; *previous gets its
 * holder (may be NULL). */
int run_lock_took_over(const run_lock_t *lock, run_holder_t *previous);

/* Appends one line to the run's claims.log: "<UTC time> <host> <pid>
 * <what>", made durable, after run_lock_check (a lost lock writes no line:
 * its error). Only the lock's holder calls it, so lines of several
 * machines never interleave. GAN_ERR_INPUT when claims.log is not a
 * regular file (it is never opened in a way that can block). */
int run_lock_journal(const run_lock_t *lock, const char *what, gan_err_t *err);

/* Reads dir's claim, if any: 1 and *h filled when there is one, 0 when
 * there is none (or it cannot be read). */
int run_lock_read(run_holder_t *h, const char *dir);

/* Looks at dir's claim without taking it: GAN_OK when there is none or it
 * is stale, RUN_LOCK_BUSY (the message of run_lock_acquire) when a live
 * process holds it, GAN_ERR_INPUT when DIR/lock is not a regular file.
 * Counts as an observation (see the top). */
int run_lock_probe(const char *dir, double stale_seconds, gan_err_t *err);

/* 1 when run_lock_probe says RUN_LOCK_BUSY. */
int run_lock_held(const char *dir, double stale_seconds);

#endif
