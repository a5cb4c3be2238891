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
 * drops its flock when it dies, whatever happened to its pid). On another
 * host a claim is stale when it has not been refreshed for stale_seconds
 * (its mtime, which assumes clocks agree to well within that time, as NTP
 * gives). A stale claim is broken by renaming it away (atomic: of several
 * breakers only one succeeds) and the run is taken over.
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
 * default) and any sane clock skew, and short next to a run's length. */
#define RUN_LOCK_STALE_SECONDS 300.0
#define RUN_LOCK_REFRESH_SECONDS 30.0

/* Takes dir's lock (dir must exist). GAN_OK: *out holds it. RUN_LOCK_BUSY:
 * another live process holds it; err names it ("<dir>: in use by pid P on
 * HOST since T") and *out is NULL. GAN_ERR_RUNTIME on I/O failure. A stale
 * lock is taken over. */
#define RUN_LOCK_BUSY 4
int run_lock_acquire(run_lock_t **out, const char *dir, double stale_seconds, gan_err_t *err);

/* Rewrites the claim with a new refresh time (and bumps its mtime).
 * GAN_ERR_RUNTIME if the claim is no longer ours (another process broke it
 * as stale): the caller must stop writing the run at once. */
int run_lock_refresh(run_lock_t *lock, gan_err_t *err);

/* Removes the claim (only if it is still ours) and frees lock; NULL is
 * fine. */
void run_lock_release(run_lock_t *lock);

/* 1 when acquiring the lock broke a stale claim; *previous gets its
 * holder (may be NULL). */
int run_lock_took_over(const run_lock_t *lock, run_holder_t *previous);

/* Appends one line to the run's claims.log: "<UTC time> <host> <pid>
 * <what>", made durable. Only the lock's holder calls it, so lines of
 * several machines never interleave. */
int run_lock_journal(const run_lock_t *lock, const char *what, gan_err_t *err);

/* Reads dir's claim, if any: 1 and *h filled when there is one, 0 when
 * there is none (or it cannot be read). */
int run_lock_read(run_holder_t *h, const char *dir);

/* 1 when dir's claim, if any, is held by a live process (this host: its
 * flock is held; other hosts: refreshed within stale_seconds). */
int run_lock_held(const char *dir, double stale_seconds);

#endif
