/* The run lock: the claim file, its flock, staleness and the claims
 * journal; see run_lock.h for the contract and why the lock is a claim file
 * plus a flock. */
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

#include "gan/fsutil.h"
#include "gan/json.h"
#include "gan/run_dir.h"

struct run_lock {
    int fd;
    char path[PATH_MAX];
    char dir[PATH_MAX];
    ino_t ino;
    dev_t dev;
    run_holder_t me;
    int took_over;
    run_holder_t previous; /* the stale claim broken, when took_over */
};

/* A claim is one short line of JSON. */
#define CLAIM_MAX 1024

static void this_host(char *out, size_t size)
{
    if (gethostname(out, size) != 0 || out[0] == '\0')
        snprintf(out, size, "unknown");
    out[size - 1] = '\0';
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

/* Reads the claim at path through an open fd; 0 on success. */
static int read_claim_fd(run_holder_t *h, int fd)
{
    char text[CLAIM_MAX];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    return parse_claim(h, text);
}

int run_lock_read(run_holder_t *h, const char *dir)
{
    char path[PATH_MAX];
    if (run_path(path, dir, RUN_LOCK, NULL))
        return 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    struct stat st;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read_claim_fd(h, fd) == 0;
    close(fd);
    return ok;
}

typedef enum { CLAIM_GONE, CLAIM_LIVE, CLAIM_STALE } claim_verdict_t;

/* Judges the claim at path: live (its holder's flock is held, or another
 * host refreshed it within stale_seconds), stale, or gone. *ino gets the
 * inode judged, *h the holder when the claim could be read. */
static claim_verdict_t judge_claim(const char *path, double stale_seconds, run_holder_t *h,
                                   ino_t *ino)
{
    memset(h, 0, sizeof *h);
    if (stale_seconds <= 0)
        stale_seconds = RUN_LOCK_STALE_SECONDS;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? CLAIM_GONE : CLAIM_LIVE;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return CLAIM_LIVE; /* not ours to break: the caller names the path */
    }
    *ino = st.st_ino;
    int readable = read_claim_fd(h, fd) == 0;
    int flock_free = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd); /* drops the test flock */
    if (!flock_free)
        return CLAIM_LIVE;
    char host[256];
    this_host(host, sizeof host);
    double age = difftime(time(NULL), st.st_mtime);
    if (!readable) /* a holder dies between create and first write, or is in that window */
        return age > 2.0 ? CLAIM_STALE : CLAIM_LIVE;
    if (strcmp(h->host, host) == 0)
        return CLAIM_STALE; /* same host and nobody holds the flock: the holder is gone */
    return age > stale_seconds ? CLAIM_STALE : CLAIM_LIVE;
}

static int busy(gan_err_t *err, const char *dir, const run_holder_t *h)
{
    if (h->host[0] == '\0')
        return gan_err_set(err, RUN_LOCK_BUSY, "%s: in use by another gan process (%s/lock); "
                           "wait for it to finish", dir, dir);
    char since[32];
    time_t t = (time_t)h->started;
    strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S", localtime(&t));
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
    if (stat(tomb, &st) == 0 && st.st_ino != judged) {
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

int run_lock_acquire(run_lock_t **out, const char *dir, double stale_seconds, gan_err_t *err)
{
    *out = NULL;
    run_lock_t *lock = calloc(1, sizeof *lock);
    if (!lock)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    int rc = run_path(lock->path, dir, RUN_LOCK, err);
    if (rc) {
        free(lock);
        return rc;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        int fd = open(lock->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0) {
            struct stat st;
            /* The flock first: from here on a tester on this host sees us live. */
            if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &st) != 0) {
                int e = errno;
                close(fd);
                unlink(lock->path);
                free(lock);
                return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot lock (%s)", lock->path,
                                   strerror(e));
            }
            lock->fd = fd;
            snprintf(lock->dir, sizeof lock->dir, "%s", dir);
            lock->ino = st.st_ino;
            lock->dev = st.st_dev;
            this_host(lock->me.host, sizeof lock->me.host);
            lock->me.pid = (long)getpid();
            lock->me.started = lock->me.refreshed = (long long)time(NULL);
            if (write_claim(fd, &lock->me) != 0) {
                int e = errno;
                run_lock_release(lock);
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
        run_holder_t h;
        ino_t ino = 0;
        claim_verdict_t v = judge_claim(lock->path, stale_seconds, &h, &ino);
        if (v == CLAIM_LIVE) {
            free(lock);
            return busy(err, dir, &h);
        }
        if (v == CLAIM_STALE && break_claim(lock->path, ino) != 0) {
            free(lock);
            return busy(err, dir, &h);
        }
        if (v == CLAIM_STALE) {
            lock->took_over = 1;
            lock->previous = h;
        }
    }
    free(lock);
    return gan_err_set(err, RUN_LOCK_BUSY, "%s: its lock keeps changing hands; try again", dir);
}

/* 1 while path still names the file we created. */
static int still_ours(const run_lock_t *lock)
{
    struct stat st;
    return stat(lock->path, &st) == 0 && st.st_ino == lock->ino && st.st_dev == lock->dev;
}

int run_lock_refresh(run_lock_t *lock, gan_err_t *err)
{
    /* A breaker that moved our claim by mistake puts it back at once; look
     * twice before giving up. */
    if (!still_ours(lock)) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        if (!still_ours(lock)) {
            run_holder_t h;
            char dir[PATH_MAX];
            fs_dirname(dir, sizeof dir, lock->path);
            if (run_lock_read(&h, dir))
                return gan_err_set(err, GAN_ERR_RUNTIME,
                                   "%s: lost the lock to pid %ld on %s (judged stale); stopping "
                                   "without writing",
                                   dir, h.pid, h.host);
            return gan_err_set(err, GAN_ERR_RUNTIME, "%s: the lock file was removed; stopping "
                               "without writing", lock->path);
        }
    }
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
    if (still_ours(lock))
        unlink(lock->path);
    close(lock->fd);
    free(lock);
}

int run_lock_held(const char *dir, double stale_seconds)
{
    char path[PATH_MAX];
    if (run_path(path, dir, RUN_LOCK, NULL))
        return 0;
    run_holder_t h;
    ino_t ino;
    return judge_claim(path, stale_seconds, &h, &ino) == CLAIM_LIVE;
}

int run_lock_took_over(const run_lock_t *lock, run_holder_t *previous)
{
    if (lock->took_over && previous)
        *previous = lock->previous;
    return lock->took_over;
}

int run_lock_journal(const run_lock_t *lock, const char *what, gan_err_t *err)
{
    char path[PATH_MAX];
    int rc = run_path(path, lock->dir, RUN_CLAIMS, err);
    if (rc)
        return rc;
    char stamp[32];
    time_t t = time(NULL);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot append (%s)", path, strerror(errno));
    char line[1024];
    int n = snprintf(line, sizeof line, "%s %s %ld %s\n", stamp, lock->me.host, lock->me.pid,
                     what);
    if (n >= (int)sizeof line)
        n = (int)sizeof line - 1, line[n - 1] = '\n';
    int bad = write(fd, line, (size_t)n) != n || fsync(fd) != 0;
    int e = errno;
    close(fd);
    return bad ? gan_err_set(err, GAN_ERR_RUNTIME, "%s: write failed (%s)", path, strerror(e))
               : GAN_OK;
}
