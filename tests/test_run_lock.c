/* The run lock (issue 22, defects 3, 9 and three messages of 12): a writer
 * that lost its lock writes nothing more, staleness by the observer's own
 * clock, lock and journal paths that are not regular files, and the
 * messages around claims. The library tests need no data; the others drive
 * the built binary on real MNIST with tiny runs (skipped without
 * data/mnist). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <limits.h>
#include <sys/time.h>
#include <time.h>

#include "gan/clock.h"
#include "gan/events.h"
#include "gan/fsutil.h"
#include "gan/run_lock.h"
#include "test_cli.h"

#define SMALL "--g-hidden=32", "--d-hidden=32", "--batch=32", "--threads=1"

TestSuite(run_lock, .fini = teardown, .timeout = 240);

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "runlock"); }

#define FOREIGN_CLAIM                                                                         \
    "{\"host\": \"another-machine\", \"pid\": 4242, \"started\": 1, \"refreshed\": 1, "        \
    "\"beats\": 0}\n"

/* Writes text into path in place (the same file, as an editor or a
 * careless script would), keeping its inode. */
static void rewrite_in_place(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void set_mtime_from_now(const char *path, long seconds)
{
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec += seconds;
    tv[1] = tv[0];
    cr_assert_eq(utimes(path, tv), 0, "%s: %s", path, strerror(errno));
}

/* Starts GAN_BIN args... with stderr into err_path (stdout to /dev/null);
 * not tracked by teardown: the test kills what it starts. */
static pid_t spawn_logged(const char *const *args, const char *err_path)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = GAN_BIN;
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fo = open("/dev/null", O_WRONLY);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execv(GAN_BIN, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Exit code of pid, or -1 (after SIGKILL) when it has not ended within
 * seconds: a process that hangs fails the test instead of the suite. */
static int wait_exit(pid_t pid, double seconds)
{
    double end = clock_seconds() + seconds;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (clock_seconds() > end) {
            kill(pid, SIGCONT);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
        usleep(20000);
    }
}

/* How often text occurs in the file at path (0 when it is missing); polled,
 * so nothing is tracked. */
static int count_of(const char *path, const char *text)
{
    char *s = test_try_read_file(path, NULL);
    int n = 0;
    for (char *p = s ? strstr(s, text) : NULL; p; p = strstr(p + 1, text))
        n++;
    free(s);
    return n;
}

static int file_has(const char *path, const char *text)
{
    return count_of(path, text) > 0;
}

/* Waits (5 ms polls, at most 60 s) until path holds text n times. */
static int wait_for_count(const char *path, const char *text, int n)
{
    for (int i = 0; i < 12000; i++) {
        if (count_of(path, text) >= n)
            return 1;
        usleep(5000);
    }
    return 0;
}

/* dir's event file written by pid (tracked), or NULL. */
static char *first_events_file(const char *dir, pid_t pid)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".%ld", (long)pid);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
    char *found = NULL;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name), k = strlen(suffix);
        if (strncmp(de->d_name, "events.out.tfevents.", 20) == 0 && n > k &&
            strcmp(de->d_name + n - k, suffix) == 0)
            found = join(dir, de->d_name);
    }
    closedir(d);
    return found;
}

/* ---- the library: the check before every write ------------------------- */

Test(run_lock, the_check_fails_once_the_claim_is_rewritten_or_removed_and_release_spares_it)
{
    make_tmp_dir();
    char *dir = tmp_path("run");
    cr_assert_eq(mkdir(dir, 0755), 0);
    run_lock_t *lock = NULL;
    gan_err_t err;
    cr_assert_eq(run_lock_acquire(&lock, dir, 0, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(run_lock_check(lock, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(run_lock_refresh(lock, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(run_lock_journal(lock, "claim: test", &err), GAN_OK, "%s", err.msg);

    /* Taken over as stale elsewhere: the same file now names someone else.
     * Before the fix only the inode was compared, so this went unseen. */
    char *path = join(dir, "lock");
    rewrite_in_place(path, FOREIGN_CLAIM);
    cr_expect_eq(run_lock_check(lock, &err), GAN_ERR_RUNTIME);
    char want[PATH_MAX + 100];
    snprintf(want, sizeof want, "%s: lost its lock (now held by pid 4242 on another-machine); "
             "stopping without writing", dir);
    cr_expect_str_eq(err.msg, want);
    cr_expect_eq(run_lock_refresh(lock, &err), GAN_ERR_RUNTIME, "the refresh wrote over it");
    cr_expect_eq(run_lock_journal(lock, "release: test", &err), GAN_ERR_RUNTIME);
    run_lock_release(lock);
    cr_expect(file_has(path, "another-machine"), "release removed or rewrote another's claim");
    cr_expect_eq(count_of(join(dir, "claims.log"), "release"), 0, "a line after the loss");

    /* Removed under the holder. */
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(run_lock_acquire(&lock, dir, 0, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(unlink(path), 0);
    cr_expect_eq(run_lock_check(lock, &err), GAN_ERR_RUNTIME);
    cr_expect(strstr(err.msg, "lost its lock (the lock file was removed)") != NULL, "%s",
              err.msg);
    cr_expect_eq(run_lock_refresh(lock, &err), GAN_ERR_RUNTIME, "the refresh did not notice");
    run_lock_release(lock);
}

static int refuse(void *ctx, gan_err_t *err)
{
    (void)ctx;
    return gan_err_set(err, GAN_ERR_RUNTIME, "run: lost its lock (test)");
}

/* The event writer of a run that lost its lock: stdio must not spill its
 * buffer, nor fclose flush it, behind the gate's back. */
Test(run_lock, an_event_writer_whose_gate_refuses_writes_nothing_more)
{
    make_tmp_dir();
    events_writer_t *w = NULL;
    gan_err_t err;
    cr_assert_eq(events_open(&w, tmp_dir, 1.0, &err), GAN_OK, "%s", err.msg);
    char *path = track(strdup(events_path(w)));
    size_t n0;
    must_read(path, &n0);
    events_set_gate(w, refuse, NULL);
    int rc = GAN_OK;
    long i;
    /* ~40 bytes a scalar: far more than stdio's 64 KB buffer. */
    for (i = 1; i <= 10000 && rc == GAN_OK; i++)
        rc = events_write_scalar(w, "loss/g", i, 1.0, 0.5f, &err);
    cr_expect_eq(rc, GAN_ERR_RUNTIME, "10000 scalars and the gate was never asked");
    cr_expect_str_eq(err.msg, "run: lost its lock (test)");
    cr_expect_eq(events_flush(w, &err), GAN_ERR_RUNTIME);
    cr_expect_neq(events_close(w, &err), GAN_OK);
    size_t n1;
    must_read(path, &n1);
    cr_expect_eq(n1, n0, "the file grew from %zu to %zu bytes after the gate refused", n0, n1);
}

/* Defect 9: a foreign claim whose mtime is 2 hours ahead was never stale. */
Test(run_lock, a_foreign_claim_is_stale_after_being_watched_unchanged_whatever_its_mtime)
{
    make_tmp_dir();
    char *dir = tmp_path("run");
    cr_assert_eq(mkdir(dir, 0755), 0);
    char *path = join(dir, "lock");
    test_write_file(path, FOREIGN_CLAIM, strlen(FOREIGN_CLAIM));
    set_mtime_from_now(path, 2 * 3600);
    const double stale = 6.0;
    cr_expect(run_lock_held(dir, stale), "first look: not watched yet, so live");
    usleep(1500000);
    /* The holder refreshes: a new claim text, the count starts again. */
    const char *beat = "{\"host\": \"another-machine\", \"pid\": 4242, \"started\": 1, "
                       "\"refreshed\": 2, \"beats\": 1}\n";
    rewrite_in_place(path, beat);
    set_mtime_from_now(path, 2 * 3600);
    double changed = clock_seconds();
    cr_expect(run_lock_held(dir, stale), "changed: live");
    usleep(2000000);
    cr_expect(run_lock_held(dir, stale), "unchanged for 2 s of 6: still live");
    usleep(2300000);
    /* 4.3 s of 6: the rest (under RUN_LOCK_CREATE_SECONDS) is waited out in
     * the call, never cut short. */
    cr_expect(!run_lock_held(dir, stale), "unchanged for 6 s: stale");
    cr_expect_geq(clock_seconds() - changed, stale - 0.01, "stale after %.2f s of watching",
                  clock_seconds() - changed);
    run_lock_t *lock = NULL;
    gan_err_t err;
    cr_assert_eq(run_lock_acquire(&lock, dir, stale, &err), GAN_OK, "%s", err.msg);
    run_holder_t prev;
    cr_expect(run_lock_took_over(lock, &prev));
    cr_expect_eq(prev.pid, 4242);
    run_lock_release(lock);
}

/* ---- through the binary ------------------------------------------------- */

/* Defect 3: the lock removed under a live writer, the run resumed by a
 * second process, then SIGINT to the first. Before the fix the first wrote
 * its steps, events and a checkpoint into the run the second owned, and a
 * "release" line. */
Test(run_lock, a_writer_that_lost_its_lock_writes_nothing_when_stopped)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    char *err1 = tmp_path("first.txt"), *err2 = tmp_path("second.txt");
    char *claims = join(run, "claims.log");
    /* About a second per epoch: the first is stopped while it trains. */
    pid_t first = spawn_logged((const char *const[]){"train", "--out", run, "--epochs=400",
                                                     "--limit=16384", SMALL, "--quiet", NULL},
                               err1);
    cr_assert(wait_for_count(claims, " claim: ", 1), "the first never claimed the run");
    kill(first, SIGSTOP);
    cr_assert_eq(unlink(join(run, "lock")), 0);
    pid_t second = spawn_logged((const char *const[]){"train", "--resume", run, "--epochs=400",
                                                      "--quiet", NULL},
                                err2);
    int claimed = wait_for_count(claims, " claim: ", 2);
    kill(second, SIGSTOP);
    if (!claimed) {
        wait_exit(first, 0);
        wait_exit(second, 0);
        cr_assert_fail("the second never claimed the run: %s", read_file(err2, NULL));
    }
    static const char *const files[] = {"checkpoint.bin", "steps.csv", "metrics.csv",
                                        "layers.csv", "claims.log"};
    enum { N_FILES = sizeof files / sizeof files[0] };
    char *before[N_FILES];
    size_t n_before[N_FILES];
    for (int i = 0; i < N_FILES; i++)
        before[i] = must_read(join(run, files[i]), &n_before[i]);
    /* The first's own event file: named by its pid. */
    char *events_first = first_events_file(run, first);
    cr_assert_not_null(events_first, "no event file of the first process");
    size_t n_ev;
    char *ev = must_read(events_first, &n_ev);

    kill(first, SIGINT);
    kill(first, SIGCONT);
    int code = wait_exit(first, 60);
    char *msg = read_file(err1, NULL);
    cr_expect_eq(code, 1, "the first exited %d: %s", code, msg);
    char want[PATH_MAX + 100];
    snprintf(want, sizeof want, "gan: %s: lost its lock (now held by pid %ld on ", run,
             (long)second);
    cr_expect(msg && strstr(msg, want) && strstr(msg, "stopping without writing"),
              "'%s' lacks '%s'", msg, want);
    cr_expect(msg && !strstr(msg, "checkpoint saved"), "%s", msg);
    for (int i = 0; i < N_FILES; i++) {
        size_t n;
        char *now = must_read(join(run, files[i]), &n);
        cr_expect(n == n_before[i] && memcmp(now, before[i], n) == 0,
                  "%s changed after the first lost its lock", files[i]);
    }
    size_t n;
    char *ev_now = must_read(events_first, &n);
    cr_expect(n == n_ev && memcmp(ev_now, ev, n) == 0,
              "the first's event file changed (%zu -> %zu bytes)", n_ev, n);
    cr_expect(exists(join(run, "lock")), "the first removed the second's lock");

    kill(second, SIGCONT);
    kill(second, SIGINT);
    cr_expect_eq(wait_exit(second, 60), 130, "%s", read_file(err2, NULL));
    cr_expect_eq(count_of(claims, "release"), 1, "only the second's release");
}

/* Item 3: a holder judged stale elsewhere (simulated: its claim rewritten
 * in place with another host's) stops at its next write or refresh, and
 * leaves that claim alone. Before the fix it trained on and finished. */
Test(run_lock, a_holder_whose_claim_was_taken_over_stops_at_its_next_write)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    char *err1 = tmp_path("first.txt");
    char *claims = join(run, "claims.log");
    pid_t first = spawn_logged((const char *const[]){"train", "--out", run, "--epochs=300",
                                                     "--limit=1024", SMALL, "--quiet", NULL},
                               err1);
    cr_assert(wait_for_count(claims, " claim: ", 1), "the run never claimed");
    rewrite_in_place(join(run, "lock"), FOREIGN_CLAIM);
    int code = wait_exit(first, 30);
    char *msg = read_file(err1, NULL);
    cr_expect_eq(code, 1, "exit %d: %s", code, msg);
    cr_expect(msg && strstr(msg, "lost its lock (now held by pid 4242 on another-machine); "
                                 "stopping without writing"), "%s", msg);
    cr_expect(file_has(join(run, "lock"), "another-machine"), "the new holder's claim is gone");
    cr_expect_eq(count_of(claims, "release"), 0, "a journal line after the loss");
}

/* Defect 9: a foreign lock with an mtime 2 hours ahead made workers wait
 * forever, even with --stale=1. */
Test(run_lock, a_foreign_lock_from_the_future_is_taken_over_by_a_worker_within_seconds)
{
    need_mnist();
    make_tmp_dir();
    char *exp = tmp_path("exp");
    char *dir = join(exp, "he_xavier-s1");
    cr_assert_eq(fs_mkdirs(dir, NULL), GAN_OK);
    char *lock = join(dir, "lock");
    test_write_file(lock, FOREIGN_CLAIM, strlen(FOREIGN_CLAIM));
    set_mtime_from_now(lock, 2 * 3600);
    char *log = tmp_path("worker.txt");
    double t0 = clock_seconds();
    pid_t w = spawn_logged((const char *const[]){"experiment", "--out", exp, "--inits=he_xavier",
                                                 "--epochs=1", "--limit=256", SMALL, "--worker",
                                                 "--stale=1", NULL},
                           log);
    int code = wait_exit(w, 30);
    cr_expect_eq(code, 0, "worker exit %d (-1: still waiting after 30 s): %s", code,
                 read_file(log, NULL));
    cr_expect(file_has(log, "took over a stale claim of pid 4242 on another-machine"), "%s",
              read_file(log, NULL));
    cr_expect(clock_seconds() - t0 < 20, "took %.0f s", clock_seconds() - t0);
}

/* Defect 9 / item 3: a lock that is a folder, FIFO or symlink was "in use
 * by another gan process... wait for it to finish" (exit 1), and a worker
 * waited on it forever. */
Test(run_lock, a_lock_that_is_not_a_regular_file_is_refused_at_once_naming_it)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", "--limit=256", SMALL);
    char *lock = join(run, "lock");
    static const char *const kinds[] = {"a folder", "a FIFO", "a symbolic link",
                                        "a symbolic link"};
    for (int k = 0; k < 4; k++) {
        if (k == 0)
            cr_assert_eq(mkdir(lock, 0755), 0);
        else if (k == 1)
            cr_assert_eq(mkfifo(lock, 0644), 0);
        else if (k == 2)
            cr_assert_eq(symlink(join(run, "config.json"), lock), 0);
        else
            cr_assert_eq(symlink("/nonexistent/lock", lock), 0);
        char *log = tmp_path("err.k.txt");
        pid_t p = spawn_logged((const char *const[]){"train", "--resume", run, "--epochs=2",
                                                     NULL},
                               log);
        int code = wait_exit(p, 20);
        char want[PATH_MAX + 100];
        snprintf(want, sizeof want, "%s/lock: not a regular file (%s); remove it if no gan "
                 "process is using this run", run, kinds[k]);
        cr_expect_eq(code, 2, "%s: exit %d: %s", kinds[k], code, read_file(log, NULL));
        cr_expect(file_has(log, want), "'%s' lacks '%s'", read_file(log, NULL), want);
        if (k == 1) { /* a worker: fails the run at once instead of waiting on it */
            char *exp = tmp_path("exp");
            char *wdir = join(exp, "he_xavier-s1");
            cr_assert_eq(fs_mkdirs(wdir, NULL), GAN_OK);
            cr_assert_eq(mkfifo(join(wdir, "lock"), 0644), 0);
            pid_t w = spawn_logged((const char *const[]){"experiment", "--out", exp,
                                                         "--inits=he_xavier", "--epochs=1",
                                                         "--limit=256", SMALL, "--worker", NULL},
                                   log);
            code = wait_exit(w, 20);
            cr_expect_eq(code, 1, "worker exit %d (-1: still waiting): %s", code,
                         read_file(log, NULL));
            cr_expect(file_has(log, "lock: not a regular file (a FIFO)"), "%s",
                      read_file(log, NULL));
        }
        if (k == 0)
            rmdir(lock);
        else
            unlink(lock);
    }
    GAN_OK("train", "--resume", run, "--epochs=2");
}

/* Item 4: `mkfifo RUN/claims.log; gan train --resume=RUN` blocked in
 * open(), holding the lock. */
Test(run_lock, a_fifo_claims_log_is_refused_at_once_and_leaves_no_lock)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", "--limit=256", SMALL);
    char *claims = join(run, "claims.log");
    cr_assert_eq(unlink(claims), 0);
    cr_assert_eq(mkfifo(claims, 0644), 0);
    char *log = tmp_path("resume.txt");
    pid_t p = spawn_logged((const char *const[]){"train", "--resume", run, "--epochs=2", NULL},
                           log);
    int code = wait_exit(p, 20);
    cr_expect_eq(code, 2, "exit %d (-1: hung): %s", code, read_file(log, NULL));
    char want[PATH_MAX + 100];
    snprintf(want, sizeof want, "%s: not a regular file (a FIFO); remove it", claims);
    cr_expect(file_has(log, want), "'%s' lacks '%s'", read_file(log, NULL), want);
    cr_expect(!exists(join(run, "lock")), "the lock was left behind");
}

/* Defect 12: resuming while a live holder writes its first checkpoint
 * advised --force (which would then have been refused as busy, or worse). */
Test(run_lock, resuming_a_run_whose_live_holder_has_no_checkpoint_yet_says_busy)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    cr_assert_eq(mkdir(run, 0755), 0);
    test_write_file(join(run, "config.json"), "{}\n", 3); /* started: no checkpoint yet */
    run_lock_t *lock = NULL;
    gan_err_t err;
    cr_assert_eq(run_lock_acquire(&lock, run, 0, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(GAN("train", "--resume", run), 1, "%s", last_stderr());
    char want[300];
    snprintf(want, sizeof want, "in use by gan pid %ld on ", (long)getpid());
    cr_expect_not_null(strstr(last_stderr(), want), "'%s' lacks '%s'", last_stderr(), want);
    cr_expect_null(strstr(last_stderr(), "--force"), "'%s'", last_stderr());
    run_lock_release(lock);
    /* Without a holder the advice stands. */
    cr_expect_eq(GAN("train", "--resume", run), 2);
    cr_expect_not_null(strstr(last_stderr(), "--force"), "'%s'", last_stderr());
}

/* Defect 12: a resume that failed before its claim (ENOSPC then; here a
 * samples "folder" that is a file) journaled "release: failed" with no
 * claim before it. */
Test(run_lock, a_run_that_fails_before_its_claim_journals_no_release)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", "--limit=256", SMALL);
    char *claims = join(run, "claims.log");
    size_t n_before;
    char *before = must_read(claims, &n_before);
    char *samples = join(run, "samples");
    char cmd[PATH_MAX + 20];
    snprintf(cmd, sizeof cmd, "rm -rf %s", samples);
    cr_assert_eq(system(cmd), 0);
    test_write_file(samples, "x", 1);
    cr_expect_neq(GAN("train", "--resume", run, "--epochs=2"), 0, "resume went through");
    size_t n;
    char *after = must_read(claims, &n);
    cr_expect(n == n_before && memcmp(after, before, n) == 0,
              "claims.log gained a line without a claim: %s", after);
    cr_expect(!exists(join(run, "lock")), "the lock was left behind");
}

/* Defect 12: a worker stopped while it waited (holding no run) said "its
 * run is checkpointed". */
Test(run_lock, a_worker_stopped_while_idle_says_it_held_no_run)
{
    need_mnist();
    make_tmp_dir();
    char *exp = tmp_path("exp");
    char *dir = join(exp, "he_xavier-s1");
    cr_assert_eq(fs_mkdirs(dir, NULL), GAN_OK);
    run_lock_t *lock = NULL;
    gan_err_t err;
    cr_assert_eq(run_lock_acquire(&lock, dir, 0, &err), GAN_OK, "%s", err.msg);
    char *log = tmp_path("worker.txt");
    pid_t w = spawn_logged((const char *const[]){"experiment", "--out", exp, "--inits=he_xavier",
                                                 "--epochs=1", "--limit=256", SMALL, "--worker",
                                                 NULL},
                           log);
    int waiting = 0;
    for (int i = 0; i < 3000 && !waiting; i++) {
        waiting = file_has(log, "waiting: 1 run held");
        usleep(10000);
    }
    kill(w, SIGINT);
    int code = wait_exit(w, 30);
    run_lock_release(lock);
    cr_assert(waiting, "the worker never waited: %s", read_file(log, NULL));
    cr_expect_eq(code, 130, "exit %d: %s", code, read_file(log, NULL));
    cr_expect(file_has(log, "gan: worker stopped (no run in progress)"), "%s",
              read_file(log, NULL));
    cr_expect(!file_has(log, "checkpointed"), "%s", read_file(log, NULL));
}
