/* The run lock: the claim file, its flock, staleness by the observer's own
 * clock, the check before every write, and the claims journal; see
 * run_lock.h for the contract and why the lock is a claim file plus a
 * flock. */
#include "gan/run_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gan/clock.h"
#include "gan/fsutil.h"
#include "gan/json.h"
#include "gan/run_dir.h"

struct run_lock {
    int fd;
    char path[PATH_MAX];   /* DIR/lock */
    char claims[PATH_MAX]; /* DIR/claims.log */
    char dir[PATH_MAX];
    ino_t ino;
    dev_t dev;
    run_holder_t me;
    int took_over;
    run_holder_t previous; /* the stale claim broken, when took_over */
};

/* A claim is one short line of JSON. */
#define CLAIM_MAX 1024

/* Every open here: never blocks (a FIFO, a device), never follows a
 * symbolic link (the lock is refused, not the file it points at). */
#define OPEN_SAFE (O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)

static void this_host(char *out, size_t size)
{
    if (gethostname(out, size) != 0 || out[0] == '\0')
        snprintf(out, size, "unknown");
    out[size - 1] = '\0';
}

static void sleep_seconds(double s)
{
    struct timespec pause = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&pause, NULL);
}

static int write_claim(int fd, const run_holder_t *h)
{
    char text[CLAIM_MAX];
    int n = snprintf(text, sizeof text,
                     "{\"host\": \"%s\", \"pid\": %ld, \"started\": %lld, \"refreshed\": %lld, "
                     "\"beats\": %ld}\n",
                     h->host, h->pid, h->started, h->refreshed, h->beats);
    if (n < 0 || n >= (int)sizeof text)
        return -1;
    if (pwrite(fd, text, (size_t)n, 0) != n || ftruncate(fd, n) != 0 || fsync(fd) != 0)
        return -1;
    return 0;
}

static int parse_claim(run_holder_t *h, const char *text)
{
    memset(h, 0, sizeof *h);
    double pid, started, refreshed, beats;
    if (json_get_string(text, "host", h->host, sizeof h->host) ||
        json_get_number(text, "pid", &pid) || json_get_number(text, "started", &started) ||
        json_get_number(text, "refreshed", &refreshed) || json_get_number(text, "beats", &beats))
        return -1;
    h->pid = (long)pid;
    h->started = (long long)started;
    h->refreshed = (long long)refreshed;
    h->beats = (long)beats;
    return 0;
}

/* The first bytes of the claim open at fd, NUL-terminated; their count. */
static size_t read_text(char text[CLAIM_MAX], int fd)
{
    ssize_t n = pread(fd, text, CLAIM_MAX - 1, 0);
    if (n < 0)
        n = 0;
    text[n] = '\0';
    return (size_t)n;
}

/* What a lock or journal that is not a regular file is, for messages. */
static const char *kind_of(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a file";
}

static int not_regular(gan_err_t *err, const char *path, mode_t mode)
{
    return gan_err_set(err, GAN_ERR_INPUT, "%s: not a regular file (%s); remove it if no gan "
                       "process is using this run", path, kind_of(mode));
}

/* GAN_OK when path is missing or a regular file (lstat: a symbolic link is
 * refused, not followed). */
static int regular_or_missing(const char *path, gan_err_t *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? GAN_OK
                               : gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot look at it (%s)",
                                             path, strerror(errno));
    return S_ISREG(st.st_mode) ? GAN_OK : not_regular(err, path, st.st_mode);
}

int run_lock_read(run_holder_t *h, const char *dir)
{
    char path[PATH_MAX];
    if (run_path(path, dir, RUN_LOCK, NULL))
        return 0;
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    int fd = open(path, O_RDONLY | OPEN_SAFE);
    if (fd < 0)
        return 0;
    char text[CLAIM_MAX];
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read_text(text, fd) > 0 &&
             parse_claim(h, text) == 0;
    close(fd);
    return ok;
}

/* --- what this process has seen (staleness by our own clock) ------------ */

/* One claim as this process last saw it, and since when (clock_seconds())
 * it has looked exactly so. Keyed by the lock's path; see run_lock.h. */
typedef struct {
    char *path;
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
    off_t size;
    size_t len;
    char text[CLAIM_MAX];
    double since;
} sighting_t;

static sighting_t *sightings;
static size_t n_sightings, max_sightings;

static sighting_t *sighting_of(const char *path)
{
    for (size_t i = 0; i < n_sightings; i++)
        if (strcmp(sightings[i].path, path) == 0)
            return &sightings[i];
    if (n_sightings == max_sightings) {
        size_t max = max_sightings ? 2 * max_sightings : 16;
        sighting_t *grown = realloc(sightings, max * sizeof *grown);
        if (!grown)
            return NULL;
        sightings = grown;
        max_sightings = max;
    }
    sighting_t *s = &sightings[n_sightings];
    memset(s, 0, sizeof *s);
    s->path = strdup(path);
    if (!s->path)
        return NULL;
    s->len = (size_t)-1; /* matches no claim: the first look starts the count */
    n_sightings++;
    return s;
}

/* Seconds this process has seen the claim at path exactly as it is now
 * (same file, mtime, size and bytes): 0 at the first look and after any
 * change. Out of memory: always 0, so a claim is never judged stale
 * without having been watched. */
static double seen_unchanged(const char *path, const struct stat *st, const char *text,
                             size_t len)
{
    double now = clock_seconds();
    sighting_t *s = sighting_of(path);
    if (!s)
        return 0;
    int same = s->dev == st->st_dev && s->ino == st->st_ino &&
               s->mtime.tv_sec == st->st_mtim.tv_sec && s->mtime.tv_nsec == st->st_mtim.tv_nsec &&
               s->size == st->st_size && s->len == len && memcmp(s->text, text, len) == 0;
    if (!same) {
        s->dev = st->st_dev;
        s->ino = st->st_ino;
        s->mtime = st->st_mtim;
        s->size = st->st_size;
        s->len = len;
        memcpy(s->text, text, len);
        s->since = now;
    }
    return now - s->since;
}

/* --- judging a claim ---------------------------------------------------- */

typedef enum { CLAIM_GONE, CLAIM_LIVE, CLAIM_STALE, CLAIM_NOT_REGULAR } claim_verdict_t;

typedef struct {
    claim_verdict_t verdict;
    run_holder_t holder; /* when readable */
    int readable;        /* the file holds a claim */
    int foreign;         /* readable, and made on another host */
    ino_t ino;           /* the file judged */
    mode_t mode;         /* CLAIM_NOT_REGULAR: what it is */
    double wait;         /* CLAIM_LIVE only because it has not been watched
                            long enough: seconds until it would be stale;
                            else -1 */
} claim_look_t;

/* Judges the claim at path once: live (its holder's flock is held on this
 * host, or it changed within the last stale_seconds this process watched
 * it), stale, gone, or not a regular file. */
static void judge_claim(claim_look_t *c, const char *path, double stale_seconds)
{
    memset(c, 0, sizeof *c);
    c->wait = -1;
    if (stale_seconds <= 0)
        stale_seconds = RUN_LOCK_STALE_SECONDS;
    struct stat st;
    /* lstat first: a FIFO or device is refused without being opened. */
    if (lstat(path, &st) != 0) {
        c->verdict = errno == ENOENT ? CLAIM_GONE : CLAIM_LIVE;
        return;
    }
    int fd = S_ISREG(st.st_mode) ? open(path, O_RDONLY | OPEN_SAFE) : -1;
    if (S_ISREG(st.st_mode) && fd < 0) {
        c->verdict = errno == ENOENT ? CLAIM_GONE : CLAIM_LIVE;
        return;
    }
    if (fd >= 0 && fstat(fd, &st) != 0) {
        close(fd);
        c->verdict = CLAIM_LIVE;
        return;
    }
    if (!S_ISREG(st.st_mode)) { /* also when swapped for one after lstat */
        if (fd >= 0)
            close(fd);
        c->verdict = CLAIM_NOT_REGULAR;
        c->mode = st.st_mode;
        return;
    }
    c->ino = st.st_ino;
    char text[CLAIM_MAX];
    size_t len = read_text(text, fd);
    c->readable = len > 0 && parse_claim(&c->holder, text) == 0;
    char host[256];
    this_host(host, sizeof host);
    c->foreign = c->readable && strcmp(c->holder.host, host) != 0;
    int flock_free = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd); /* drops the test flock */
    if (!flock_free) {
        c->verdict = CLAIM_LIVE;
        return;
    }
    if (c->readable && !c->foreign) {
        c->verdict = CLAIM_STALE; /* same host and nobody holds the flock: the holder is gone */
        return;
    }
    /* Another host's claim, or one not written yet: stale only once we have
     * watched it stay exactly the same long enough (see run_lock.h). */
    double limit = c->readable ? stale_seconds : RUN_LOCK_CREATE_SECONDS;
    double seen = seen_unchanged(path, &st, text, len);
    if (seen >= limit) {
        c->verdict = CLAIM_STALE;
    } else {
        c->verdict = CLAIM_LIVE;
        c->wait = limit - seen;
    }
}

/* judge_claim, waiting in the call (at most 2 RUN_LOCK_CREATE_SECONDS)
 * while the claim would be stale within RUN_LOCK_CREATE_SECONDS of
 * watching: an unreadable claim, or a short stale_seconds, is settled here
 * instead of being reported busy. */
static void judge_waiting(claim_look_t *c, const char *path, double stale_seconds)
{
    double give_up = clock_seconds() + 2 * RUN_LOCK_CREATE_SECONDS;
    judge_claim(c, path, stale_seconds);
    while (c->verdict == CLAIM_LIVE && c->wait >= 0 && c->wait <= RUN_LOCK_CREATE_SECONDS &&
           clock_seconds() < give_up) {
        sleep_seconds(c->wait < 0.1 ? c->wait + 0.001 : 0.1);
        judge_claim(c, path, stale_seconds);
    }
}

static int busy(gan_err_t *err, const char *dir, const claim_look_t *c)
{
    const run_holder_t *h = &c->holder;
    if (!c->readable)
        return gan_err_set(err, RUN_LOCK_BUSY, "%s: in use by another gan process (%s/lock); "
                           "wait for it to finish", dir, dir);
    char since[32];
    time_t t = (time_t)h->started;
    strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S", localtime(&t));
    if (c->foreign)
        return gan_err_set(err, RUN_LOCK_BUSY,
                           "%s: in use by gan pid %ld on %s since %s; wait for it to finish or "
                           "stop that process (if it is gone, remove %s/lock; workers take such "
                           "a claim over by themselves once they have seen it unchanged for "
                           "--stale seconds)",
                           dir, h->pid, h->host, since, dir);
    return gan_err_set(err, RUN_LOCK_BUSY,
                       "%s: in use by gan pid %ld on %s since %s; wait for it to finish or stop "
                       "that process",
                       dir, h->pid, h->host, since);
}

/* Moves a stale claim out of the way. Of several processes doing this at
 * once only one renames the file it judged; a process that finds it moved a
 * different file (a fresh claim made in between) puts it back. */
static int break_claim(const char *path, ino_t judged)
{
    char tomb[PATH_MAX + 64];
    snprintf(tomb, sizeof tomb, "%s.stale.%ld", path, (long)getpid());
    if (rename(path, tomb) != 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    if (lstat(tomb, &st) == 0 && st.st_ino != judged) {
        if (link(tomb, path) != 0) {
            unlink(tomb);
            return -1;
        }
        unlink(tomb);
        return -1;
    }
    unlink(tomb);
    return 0;
}

/* --- holding the lock --------------------------------------------------- */

int run_lock_acquire(run_lock_t **out, const char *dir, double stale_seconds, gan_err_t *err)
{
    *out = NULL;
    run_lock_t *lock = calloc(1, sizeof *lock);
    if (!lock)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    lock->fd = -1;
    snprintf(lock->dir, sizeof lock->dir, "%s", dir);
    int rc = run_path(lock->path, dir, RUN_LOCK, err);
    if (!rc)
        rc = run_path(lock->claims, dir, RUN_CLAIMS, err);
    /* A journal that would block or mislead is refused before the lock is
     * made, so nothing is left behind. */
    if (!rc)
        rc = regular_or_missing(lock->claims, err);
    if (rc) {
        free(lock);
        return rc;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        int fd = open(lock->path, O_RDWR | O_CREAT | O_EXCL | OPEN_SAFE, 0644);
        if (fd >= 0) {
            struct stat st;
            /* The flock first: from here on a tester on this host sees us live. */
            if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &st) != 0) {
                int e = errno;
                close(fd);
                unlink(lock->path);
                rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot lock (%s)", lock->path,
                                 strerror(e));
                free(lock);
                return rc;
            }
            lock->fd = fd;
            lock->ino = st.st_ino;
            lock->dev = st.st_dev;
            this_host(lock->me.host, sizeof lock->me.host);
            lock->me.pid = (long)getpid();
            lock->me.started = lock->me.refreshed = (long long)time(NULL);
            if (write_claim(fd, &lock->me) != 0) {
                int e = errno;
                /* Not run_lock_release: the half-written claim does not
                 * name us yet, and it is ours to remove. */
                unlink(lock->path);
                close(fd);
                free(lock);
                return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot write the claim (%s)",
                                   dir, strerror(e));
            }
            *out = lock;
            return GAN_OK;
        }
        if (errno != EEXIST) {
            int e = errno;
            free(lock);
            return gan_err_set(err, GAN_ERR_RUNTIME, "%s/lock: cannot create (%s)", dir,
                               strerror(e));
        }
        claim_look_t c;
        judge_waiting(&c, lock->path, stale_seconds);
        if (c.verdict == CLAIM_NOT_REGULAR) {
            rc = not_regular(err, lock->path, c.mode);
            free(lock);
            return rc;
        }
        if (c.verdict == CLAIM_LIVE || (c.verdict == CLAIM_STALE &&
                                        break_claim(lock->path, c.ino) != 0)) {
            free(lock);
            return busy(err, dir, &c);
        }
        if (c.verdict == CLAIM_STALE) {
            lock->took_over = 1;
            lock->previous = c.holder;
        }
    }
    free(lock);
    return gan_err_set(err, RUN_LOCK_BUSY, "%s: its lock keeps changing hands; try again", dir);
}

typedef enum { OWN_YES, OWN_GONE, OWN_OTHER, OWN_UNKNOWN } own_t;

/* Looks at DIR/lock once: still our claim (same file, content naming us)?
 * *h gets the holder the file names when it is another claim; *e the
 * errno of OWN_UNKNOWN. Opened afresh every time, so that an NFS client
 * revalidates what it has cached (close-to-open consistency). */
static own_t look_at_own(const run_lock_t *lock, run_holder_t *h, int *e)
{
    memset(h, 0, sizeof *h);
    struct stat st;
    if (lstat(lock->path, &st) != 0) {
        *e = errno;
        return errno == ENOENT ? OWN_GONE : OWN_UNKNOWN;
    }
    if (!S_ISREG(st.st_mode))
        return OWN_OTHER;
    int fd = open(lock->path, O_RDONLY | OPEN_SAFE);
    if (fd < 0) {
        *e = errno;
        return errno == ENOENT ? OWN_GONE : errno == ELOOP ? OWN_OTHER : OWN_UNKNOWN;
    }
    char text[CLAIM_MAX];
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read_text(text, fd) > 0 &&
             parse_claim(h, text) == 0;
    close(fd);
    if (!ok)
        memset(h, 0, sizeof *h);
    if (!ok || st.st_ino != lock->ino || st.st_dev != lock->dev)
        return OWN_OTHER;
    return strcmp(h->host, lock->me.host) == 0 && h->pid == lock->me.pid &&
                   h->started == lock->me.started
               ? OWN_YES
               : OWN_OTHER;
}

int run_lock_check(const run_lock_t *lock, gan_err_t *err)
{
    run_holder_t h;
    int e = 0;
    own_t own = look_at_own(lock, &h, &e);
    if (own == OWN_YES)
        return GAN_OK;
    /* A breaker that moved our claim by mistake puts it back at once; look
     * twice before giving up. */
    sleep_seconds(0.1);
    own = look_at_own(lock, &h, &e);
    if (own == OWN_YES)
        return GAN_OK;
    if (own == OWN_GONE)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: lost its lock (the lock file was removed); "
                           "stopping without writing", lock->dir);
    if (own == OWN_UNKNOWN)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot check its lock (%s); stopping "
                           "without writing", lock->dir, strerror(e));
    if (h.host[0])
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: lost its lock (now held by pid %ld on %s); "
                           "stopping without writing", lock->dir, h.pid, h.host);
    return gan_err_set(err, GAN_ERR_RUNTIME, "%s: lost its lock (the lock file was replaced); "
                       "stopping without writing", lock->dir);
}

int run_lock_refresh(run_lock_t *lock, gan_err_t *err)
{
    int rc = run_lock_check(lock, err);
    if (rc)
        return rc;
    lock->me.refreshed = (long long)time(NULL);
    lock->me.beats++;
    if (write_claim(lock->fd, &lock->me) != 0)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot refresh (%s)", lock->path,
                           strerror(errno));
    return GAN_OK;
}

void run_lock_release(run_lock_t *lock)
{
    if (!lock)
        return;
    run_holder_t h;
    int e;
    if (look_at_own(lock, &h, &e) == OWN_YES)
        unlink(lock->path);
    if (lock->fd >= 0)
        close(lock->fd);
    free(lock);
}

int run_lock_took_over(const run_lock_t *lock, run_holder_t *previous)
{
    if (lock->took_over && previous)
        *previous = lock->previous;
    return lock->took_over;
}

int run_lock_journal(const run_lock_t *lock, const char *what, gan_err_t *err)
{
    int rc = run_lock_check(lock, err);
    /* lstat first: a symbolic link is refused (with the lock's fix), not
     * followed; fs_append_durably refuses what became a FIFO meanwhile. */
    if (!rc)
        rc = regular_or_missing(lock->claims, err);
    if (rc)
        return rc;
    char stamp[32];
    time_t t = time(NULL);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    char line[1024];
    int n = snprintf(line, sizeof line, "%s %s %ld %s\n", stamp, lock->me.host, lock->me.pid,
                     what);
    if (n >= (int)sizeof line)
        line[sizeof line - 2] = '\n';
    return fs_append_durably(lock->claims, line, err);
}

/* --- looking without taking --------------------------------------------- */

int run_lock_probe(const char *dir, double stale_seconds, gan_err_t *err)
{
    char path[PATH_MAX];
    int rc = run_path(path, dir, RUN_LOCK, err);
    if (rc)
        return rc;
    claim_look_t c;
    judge_waiting(&c, path, stale_seconds);
    if (c.verdict == CLAIM_NOT_REGULAR)
        return not_regular(err, path, c.mode);
    return c.verdict == CLAIM_LIVE ? busy(err, dir, &c) : GAN_OK;
}

int run_lock_held(const char *dir, double stale_seconds)
{
    return run_lock_probe(dir, stale_seconds, NULL) == RUN_LOCK_BUSY;
}
