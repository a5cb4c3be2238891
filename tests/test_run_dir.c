/* One owner per run folder and no way to lose or corrupt it (issue 12):
 * the run lock, state from the checkpoint, safe outputs, resume of damaged
 * logs, and the ways out of dead ends. Each test reproduces a case that
 * broke before the fix, through the built binary on real MNIST (tiny runs;
 * skipped without data/mnist). */
#include <criterion/criterion.h>

#include <limits.h>
#include <zlib.h>

#include "gan/experiment.h"
#include "gan/fsutil.h"
#include "gan/run_dir.h"
#include "gan/run_lock.h"
#include "test_cli.h"

#define SMALL_NETS "--g-hidden=32,64", "--d-hidden=64,32"
#define TINY "--limit=256", "--batch=64", "--threads=1", "--seed=5", SMALL_NETS

TestSuite(run_dir, .fini = teardown, .timeout = 300);

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "rundir"); }

static char *err_text(void) { return last_stderr(); }

/* The epochs of run/metrics.csv's rows, in order; returns how many. */
static int metric_epochs(int *epochs, int max, const char *run)
{
    char *text = must_read(join(run, "metrics.csv"), NULL);
    int n = 0;
    for (char *p = strchr(text, '\n'); p && p[1] && n < max; p = strchr(p + 1, '\n'))
        epochs[n++] = atoi(p + 1);
    return n;
}

static void expect_epochs_once(const char *run, int last)
{
    int epochs[64];
    int n = metric_epochs(epochs, 64, run);
    cr_expect_eq(n, last, "%s: %d rows, expected epochs 1..%d once each", run, n, last);
    for (int i = 0; i < n && i < last; i++)
        cr_expect_eq(epochs[i], i + 1, "%s: row %d is epoch %d", run, i + 1, epochs[i]);
}

/* ---- 1. two writers ------------------------------------------------------ */

Test(run_dir, a_second_writer_is_refused_naming_the_holder_and_changes_nothing)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    size_t n_ckpt, n_metrics;
    char *ckpt = must_read(join(run, "checkpoint.bin"), &n_ckpt);
    char *metrics = must_read(join(run, "metrics.csv"), &n_metrics);

    /* This process holds the lock, as a running `gan train` would. */
    run_lock_t *lock = NULL;
    gan_err_t err;
    cr_assert_eq(run_lock_acquire(&lock, run, 0, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(GAN("train", "--resume", run, "--epochs=2"), 1);
    char host[256];
    gethostname(host, sizeof host);
    char want[300];
    snprintf(want, sizeof want, "in use by gan pid %ld on %s", (long)getpid(), host);
    cr_expect_not_null(strstr(err_text(), want), "'%s' lacks '%s'", err_text(), want);
    cr_expect_eq(GAN("train", "--out", run, "--force", "--epochs=1", TINY), 1,
                 "--force must not take a run that another process holds");
    size_t n2;
    char *ckpt2 = must_read(join(run, "checkpoint.bin"), &n2);
    cr_expect(n2 == n_ckpt && memcmp(ckpt, ckpt2, n2) == 0, "checkpoint changed");
    char *metrics2 = must_read(join(run, "metrics.csv"), &n2);
    cr_expect(n2 == n_metrics && memcmp(metrics, metrics2, n2) == 0, "metrics.csv changed");
    run_lock_release(lock);
    cr_expect(!exists(join(run, "lock")), "release leaves the lock file");
    GAN_OK("train", "--resume", run, "--epochs=2");
    expect_epochs_once(run, 2);
}

Test(run_dir, a_stale_lock_of_a_dead_process_is_taken_over)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    /* A claim whose holder was killed: its flock died with it. */
    char claim[512];
    gethostname(claim, 256);
    char text[600];
    snprintf(text, sizeof text, "{\"host\": \"%s\", \"pid\": 999999, \"started\": 1, "
             "\"refreshed\": 1, \"beats\": 3}\n", claim);
    test_write_file(join(run, "lock"), text, strlen(text));
    cr_expect(!run_lock_held(run, 0));
    GAN_OK("train", "--resume", run, "--epochs=2");
    expect_epochs_once(run, 2);
}

/* kill -9 of an experiment used to leave its child training on; rerunning
 * then started a second writer. */
Test(run_dir, an_experiment_killed_with_sigkill_takes_its_children_down)
{
    need_mnist();
    make_tmp_dir();
    char *exp = tmp_path("exp");
    pid_t parent = spawn_gan((const char *const[]){"experiment", "--out", exp, "--inits=random",
                                                   "--limit=6400", "--epochs=50", "--threads=1",
                                                   SMALL_NETS, NULL});
    char *run = join(exp, "random-s1");
    char *lock = join(run, "lock");
    for (int i = 0; i < 300 && !exists(lock); i++)
        usleep(100000);
    cr_assert(exists(lock), "the run never started");
    kill(parent, SIGKILL);
    waitpid(parent, NULL, 0);
    child = 0;
    /* The child gets SIGTERM (parent-death signal), writes its checkpoint
     * and releases its lock. */
    for (int i = 0; i < 300 && exists(lock); i++)
        usleep(100000);
    cr_expect(!exists(lock), "the child kept training after its experiment was killed");
    cr_expect(exists(join(run, "checkpoint.bin")));
}

/* ---- 2. state from the checkpoint ---------------------------------------- */

static void tiny_cfg(train_cfg_t *cfg)
{
    train_cfg_default(cfg);
    cfg->arch.n_g_hidden = 2;
    cfg->arch.g_hidden[0] = 32, cfg->arch.g_hidden[1] = 64;
    cfg->arch.n_d_hidden = 2;
    cfg->arch.d_hidden[0] = 64, cfg->arch.d_hidden[1] = 32;
    cfg->limit = 256;
    cfg->threads = 1;
    cfg->seed = 5;
}

Test(run_dir, a_run_is_finished_when_its_checkpoint_says_so_not_its_rows)
{
    need_mnist();
    make_tmp_dir();
    train_cfg_t base;
    tiny_cfg(&base);
    base.epochs = 2;
    experiment_t e;
    gan_err_t err;
    experiment_init(&e, &base, tmp_path("exp"));
    cr_assert_eq(experiment_add_inits(&e, "he_xavier", &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(experiment_add_seeds(&e, 5, 1, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(experiment_finish(&e, &err), GAN_OK, "%s", err.msg);
    exp_run_t run;
    cr_assert_eq(experiment_run(&run, &e, 0, &err), GAN_OK, "%s", err.msg);
    cr_assert(fs_mkdirs(e.dir, &err) == GAN_OK);

    /* One of two epochs trained, then a row written for epoch 2 whose
     * checkpoint never came (a kill in between), and a duplicate. */
    train_cfg_t cfg = run.cfg;
    cfg.epochs = 1;
    train_opts_t opts = {.run_dir = run.dir};
    cr_assert_eq(train_run(&cfg, &opts, &err), GAN_OK, "%s", err.msg);
    char *metrics = join(run.dir, "metrics.csv");
    size_t n;
    char *text = must_read(metrics, &n);
    char *row1 = strchr(text, '\n') + 1;
    FILE *fp = fopen(metrics, "a");
    fprintf(fp, "%s2%s", row1, strchr(row1, ','));
    fclose(fp);
    run_status_t st;
    cr_assert_eq(experiment_run_status(&st, &e, &run, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(st.state, RUN_STATE_PARTIAL, "state %s, expected partial",
                 run_state_name(st.state));
    cr_expect_eq(st.epoch, 1);

    /* The experiment resumes it (it does not skip it as finished) and the
     * rows end up exactly one per epoch. */
    GAN_OK("experiment", "--out", e.dir, "--inits=he_xavier", "--epochs=2", TINY);
    expect_epochs_once(run.dir, 2);
    cr_assert_eq(experiment_run_status(&st, &e, &run, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(st.state, RUN_STATE_FINISHED);
    experiment_free(&e);
}

/* ---- 3. outputs ----------------------------------------------------------- */

Test(run_dir, outputs_refuse_devices_fifos_and_folders_and_write_through_symlinks)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    char *fifo = tmp_path("fifo.png");
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    cr_expect_eq(GAN("sample", "--run", run, "-o", fifo), 2);
    cr_expect_not_null(strstr(err_text(), "FIFO"), "'%s'", err_text());
    struct stat st;
    cr_expect(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");
    cr_expect_eq(GAN("report", run, "-o", fifo), 2);
    cr_expect(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "report replaced the FIFO");
    cr_expect_eq(GAN("sample", "--run", run, "-o", tmp_dir), 2, "a folder as output");
    /* (Not /dev/null itself: run against a gan without this fix, as root,
     * the test would replace the machine's /dev/null.) */

    char *target = tmp_path("target.png"), *link = tmp_path("link.png");
    test_write_file(target, "old", 3);
    cr_assert_eq(symlink(target, link), 0);
    GAN_OK("sample", "--run", run, "-o", link);
    cr_expect(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the symlink was replaced");
    size_t n;
    char *png = must_read(target, &n);
    cr_expect(n > 8 && memcmp(png, "\x89PNG", 4) == 0, "the target is not the new PNG");

    cr_expect_eq(GAN("sample", "--run", run, "-o", join(tmp_dir, "missing/x.png")), 2);
    cr_expect_not_null(strstr(err_text(), "folder"), "'%s'", err_text());
    cr_expect_null(strstr(err_text(), ".tmp."), "names a temp file: '%s'", err_text());
}

/* ---- 4. resume with damaged logs ----------------------------------------- */

Test(run_dir, resume_reports_a_nul_in_vouched_rows_and_drops_a_torn_tail)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    char *metrics = join(run, "metrics.csv");
    size_t n;
    char *good = must_read(metrics, &n);
    char *bad = track(malloc(n));
    memcpy(bad, good, n);
    bad[strchr(bad, '\n') - bad + 3] = '\0'; /* inside the row of epoch 1 */
    test_write_file(metrics, bad, n);
    cr_expect_eq(GAN("train", "--resume", run, "--epochs=2"), 2);
    cr_expect_not_null(strstr(err_text(), "metrics.csv:2: a NUL byte"), "'%s'", err_text());
    /* The line was epoch 1's only row: removing it would lose the row. */
    cr_expect_null(strstr(err_text(), "sed -i"), "'%s'", err_text());
    cr_expect_not_null(strstr(err_text(), "from a backup"), "'%s'", err_text());
    size_t n2;
    char *after = must_read(metrics, &n2);
    cr_expect(n2 == n && memcmp(after, bad, n) == 0, "a refused resume changed metrics.csv");

    /* A garbled extra line among the vouched rows: removing it loses
     * nothing, and that is the fix given. */
    char *extra = track(malloc(n + 8));
    size_t head = (size_t)(strchr(good, '\n') - good) + 1;
    memcpy(extra, good, head);
    memcpy(extra + head, "1,\0x\n", 5);
    memcpy(extra + head + 5, good + head, n - head);
    test_write_file(metrics, extra, n + 5);
    cr_expect_eq(GAN("train", "--resume", run, "--epochs=2"), 2);
    cr_expect_not_null(strstr(err_text(), "metrics.csv:2: a NUL byte"), "'%s'", err_text());
    cr_expect_not_null(strstr(err_text(), "sed -i '2d'"), "'%s'", err_text());

    /* A torn last line (a kill inside an append) is dropped, and said so. */
    test_write_file(metrics, good, n);
    FILE *fp = fopen(metrics, "a");
    fputs("2,4,0.9", fp);
    fclose(fp);
    GAN_OK("train", "--resume", run, "--epochs=2");
    cr_expect_not_null(strstr(err_text(), "note:"), "'%s'", err_text());
    cr_expect_not_null(strstr(err_text(), "dropped 1 line"), "'%s'", err_text());
    expect_epochs_once(run, 2);
}

/* ---- 5. a header that fails validation ----------------------------------- */

/* Rewrites run/checkpoint.bin with the header's "batch": 64 as 0 and a
 * correct header CRC (container layout: docs/FORMATS.md). */
static void set_batch_zero(const char *run)
{
    char *path = join(run, "checkpoint.bin");
    size_t n;
    unsigned char *blob = (unsigned char *)must_read(path, &n);
    uint32_t hlen = blob[12] | blob[13] << 8 | blob[14] << 16 | (uint32_t)blob[15] << 24;
    char *header = track(malloc(hlen + 1));
    memcpy(header, blob + 16, hlen);
    header[hlen] = '\0';
    char *at = strstr(header, "\"batch\": 64");
    cr_assert_not_null(at, "no batch in the header");
    memcpy(at, "\"batch\":  0", 11); /* same length: the sections stay put */
    memcpy(blob + 16, header, hlen);
    uint32_t crc = (uint32_t)crc32(0, (const Bytef *)header, hlen);
    for (int i = 0; i < 4; i++)
        blob[16 + hlen + i] = (unsigned char)(crc >> (8 * i));
    test_write_file(path, blob, n);
}

Test(run_dir, sample_and_export_refuse_a_header_that_fails_validation_without_crashing)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    set_batch_zero(run);
    cr_expect_eq(GAN("sample", "--run", run, "-o", tmp_path("s.png")), 2); /* not 139 */
    cr_expect_not_null(strstr(err_text(), "checkpoint.bin"), "'%s'", err_text());
    cr_expect_eq(GAN("export", "--run", run, "--out", tmp_path("w")), 2);
    cr_expect_not_null(strstr(err_text(), "batch"), "'%s'", err_text());
}

/* ---- 7. dead ends --------------------------------------------------------- */

Test(run_dir, a_run_killed_before_its_first_checkpoint_can_be_restarted_with_force)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    cr_assert_eq(mkdir(run, 0755), 0);
    test_write_file(join(run, "config.json"), "{}\n", 3);
    char *leftover = join(run, ".checkpoint.bin.new.tmp.99999");
    char *big = track(calloc(1, 1 << 20));
    test_write_file(leftover, big, 1 << 20);

    cr_expect_eq(GAN("train", "--resume", run), 2);
    cr_expect_not_null(strstr(err_text(), "before its first checkpoint"), "'%s'", err_text());
    cr_expect_not_null(strstr(err_text(), "--force"), "'%s'", err_text());
    cr_expect_eq(GAN("train", "--out", run, "--epochs=1", TINY), 2);
    cr_expect_not_null(strstr(err_text(), "--force"), "'%s'", err_text());
    GAN_OK("train", "--out", run, "--force", "--epochs=1", TINY);
    cr_expect(!exists(leftover), "--force left the 1 MB temporary file behind");
    expect_epochs_once(run, 1);
}

Test(run_dir, resume_recreates_a_deleted_samples_folder)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    test_tmpdir_remove(join(run, "samples"));
    cr_assert(!exists(join(run, "samples")));
    GAN_OK("train", "--resume", run, "--epochs=2");
    cr_expect(exists(join(run, "samples/epoch_0002.png")));
}

Test(run_dir, a_damaged_checkpoint_names_the_from_prev_command_which_works)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=2", TINY);
    char *ckpt = join(run, "checkpoint.bin");
    size_t n;
    char *blob = must_read(ckpt, &n);
    blob[n / 2] ^= 0x40;
    test_write_file(ckpt, blob, n);
    cr_expect_eq(GAN("train", "--resume", run, "--epochs=3"), 2);
    char want[600];
    snprintf(want, sizeof want, "gan train --resume=%s --from-prev", run);
    cr_expect_not_null(strstr(err_text(), want), "'%s' lacks '%s'", err_text(), want);
    GAN_OK("train", "--resume", run, "--from-prev", "--epochs=3");
    cr_expect(exists(join(run, "checkpoint.damaged.bin")), "the damaged file was not kept");
    expect_epochs_once(run, 3);
}

Test(run_dir, paths_up_to_path_max_work_and_long_path_errors_keep_their_reason)
{
    need_mnist();
    make_tmp_dir();
    char deep[PATH_MAX];
    int len = snprintf(deep, sizeof deep, "%s", tmp_dir);
    while (len < 1800) {
        len += snprintf(deep + len, sizeof deep - (size_t)len, "/%s",
                        "a-rather-long-folder-name-to-pass-the-old-limit-of-1024-bytes");
        cr_assert_eq(mkdir(deep, 0755), 0, "%s", strerror(errno));
    }
    char *run = join(deep, "run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    cr_expect(exists(join(run, "samples/epoch_0001.png")));
    cr_expect_eq(GAN("train", "--resume", join(deep, "missing")), 2);
    char *msg = err_text();
    cr_expect_not_null(strstr(msg, "missing: no such run folder"), "reason cut off: '%s'", msg);
}

/* ---- shared options (issue 13, item 8) ------------------------------------ */

Test(run_dir, seed_and_threads_have_one_range_in_every_command)
{
    make_tmp_dir();
    static const char *const commands[][3] = {
        {"train", NULL, NULL}, {"sample", "--run=x", NULL}, {"eval", "--run=x", NULL},
        {"classifier", "train", NULL}, {"probe", NULL, NULL}, {"experiment", "--plan", NULL},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const char *args[6] = {commands[i][0]};
        int n = 1;
        if (commands[i][1])
            args[n++] = commands[i][1];
        args[n++] = "--seed=2147483648";
        args[n] = NULL;
        cr_expect_eq(wait_gan(spawn_gan(args)), 2, "%s --seed=2147483648", commands[i][0]);
        cr_expect_not_null(strstr(err_text(), "--seed=2147483648: must be between 0 and "
                                              "2147483647"),
                           "%s: '%s'", commands[i][0], err_text());
        if (strcmp(commands[i][0], "sample") == 0 || strcmp(commands[i][0], "probe") == 0)
            continue; /* no --threads */
        args[n - 1] = "--threads=257";
        cr_expect_eq(wait_gan(spawn_gan(args)), 2, "%s --threads=257", commands[i][0]);
        cr_expect_not_null(strstr(err_text(), "--threads=257: must be between 0 and 256"),
                           "%s: '%s'", commands[i][0], err_text());
    }
}

Test(run_dir, two_real_resumes_the_second_is_refused_and_the_first_finishes_untouched)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run"), *straight = tmp_path("straight");
    GAN_OK("train", "--out", straight, "--limit=3200", "--batch=64", "--threads=1", "--seed=5",
           SMALL_NETS, "--epochs=3");
    GAN_OK("train", "--out", run, "--limit=3200", "--batch=64", "--threads=1", "--seed=5",
           SMALL_NETS, "--epochs=1");
    pid_t first = spawn_gan((const char *const[]){"train", "--resume", run, "--epochs=3", NULL});
    char *lock = join(run, "lock");
    /* Its claim written, not only the file created: the second resume then
     * names the holder. */
    struct stat lock_st;
    for (int i = 0; i < 300 && !(stat(lock, &lock_st) == 0 && lock_st.st_size > 0); i++)
        usleep(20000);
    cr_assert(exists(lock), "the first resume never took the lock");
    /* Held still while the second one tries, however fast this machine
     * trains two epochs of small nets: the race is the test's, not gan's. */
    kill(first, SIGSTOP);
    /* A second writer, through the same command (its own out/err files). */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s train --resume=%s --epochs=3 2> %s/second.txt", GAN_BIN, run,
             tmp_dir);
    int status = system(cmd);
    kill(first, SIGCONT);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "the second resume was not refused");
    char *second = must_read(join(tmp_dir, "second.txt"), NULL);
    cr_expect_not_null(strstr(second, "in use by gan pid"), "'%s'", second);
    cr_expect_eq(wait_gan(first), 0, "the first resume failed: %s", err_text());
    expect_epochs_once(run, 3);
    size_t a, b;
    char *x = must_read(join(run, "checkpoint.bin"), &a);
    char *y = must_read(join(straight, "checkpoint.bin"), &b);
    cr_expect(a == b && memcmp(x, y, a) == 0, "the first run did not end as a straight run");
}

/* A run begun before metrics.csv had g_acc (its rows end at images_per_sec)
 * resumes, and its new rows keep that shape: a log has one shape. */
Test(run_dir, a_run_begun_before_g_acc_resumes_and_keeps_its_rows_shape)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    char *metrics = join(run, "metrics.csv");
    char *text = must_read(metrics, NULL);
    /* Drop the last column (g_acc) of every line. */
    char *old = track(malloc(strlen(text) + 1)), *o = old;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        size_t keep = (size_t)(strrchr(line, ',') - line);
        memcpy(o, line, keep);
        o += keep;
        *o++ = '\n';
    }
    *o = '\0';
    static const char legacy[] = "epoch,steps,g_loss,d_loss,d_acc,d_acc_real,d_acc_fake,d_real,"
                                 "d_fake,seconds,images_per_sec\n";
    cr_assert(strncmp(old, legacy, sizeof legacy - 1) == 0, "%s", old);
    test_write_file(metrics, old, strlen(old));
    GAN_OK("train", "--resume", run, "--epochs=2");
    char *after = must_read(metrics, NULL);
    cr_expect(strncmp(after, old, strlen(old)) == 0, "the old rows changed:\n%s", after);
    char *row2 = after + strlen(old);
    int commas = 0;
    for (char *p = row2; *p && *p != '\n'; p++)
        commas += *p == ',';
    cr_expect_eq(commas, 10, "epoch 2's row has %d fields, the run's rows have 11", commas + 1);
    expect_epochs_once(run, 2);
}

/* ---- issue 22, item 7: rows the checkpoint vouches for are never lost ----- */

/* The line of text (0-based, "\n"-terminated) as a tracked string with
 * its newline; NULL past the end. */
static char *line_of(const char *text, int k)
{
    const char *p = text;
    for (int i = 0; i < k && p; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p || !*p)
        return NULL;
    size_t n = (size_t)(strchr(p, '\n') - p) + 1;
    char *out = track(malloc(n + 1));
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

/* text without its line k. */
static char *without_line(const char *text, int k)
{
    char *out = track(malloc(strlen(text) + 1));
    out[0] = '\0';
    for (int i = 0; line_of(text, i); i++)
        if (i != k)
            strcat(out, line_of(text, i));
    return out;
}

static void write_text(const char *path, const char *text)
{
    test_write_file(path, text, strlen(text));
}

Test(run_dir, a_missing_metrics_header_is_restored_with_a_notice_and_no_row_is_lost)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=2", TINY);
    char *metrics = join(run, "metrics.csv");
    char *text = must_read(metrics, NULL);
    write_text(metrics, without_line(text, 0));
    GAN_OK("train", "--resume", run, "--epochs=3");
    cr_expect_not_null(strstr(err_text(), "metrics.csv: no header line"), "'%s'", err_text());
    char *after = must_read(metrics, NULL);
    cr_expect(strncmp(after, text, strlen(text)) == 0, "header or rows 1-2 lost:\n%s", after);
    expect_epochs_once(run, 3);
}

Test(run_dir, a_deleted_metrics_csv_of_a_run_with_epochs_is_refused_with_the_fix)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=2", TINY);
    cr_assert_eq(unlink(join(run, "metrics.csv")), 0);
    cr_expect_eq(GAN("train", "--resume", run, "--epochs=3"), 2);
    cr_expect_not_null(strstr(err_text(), "metrics.csv: missing, but the checkpoint vouches for "
                                          "its rows of epochs 1..2"), "'%s'", err_text());
    cr_expect_not_null(strstr(err_text(), "from a backup, or start the run over"), "'%s'",
                       err_text());
    cr_expect(!exists(join(run, "metrics.csv")), "a refused resume wrote metrics.csv");
}

Test(run_dir, a_missing_epoch_row_is_refused_naming_the_epoch_and_the_file)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=3", TINY);
    char *metrics = join(run, "metrics.csv");
    char *gap = without_line(must_read(metrics, NULL), 2); /* epoch 2's row */
    write_text(metrics, gap);
    cr_expect_eq(GAN("train", "--resume", run, "--epochs=4"), 2);
    cr_expect_not_null(strstr(err_text(), "metrics.csv: no row of epoch 2, which the checkpoint "
                                          "(epoch 3) vouches for"), "'%s'", err_text());
    cr_expect_str_eq(must_read(metrics, NULL), gap, "a refused resume changed metrics.csv");
}

Test(run_dir, a_missing_layers_csv_epoch_is_refused)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=2", TINY);
    char *layers = join(run, "layers.csv");
    char *text = must_read(layers, NULL);
    /* G and D of SMALL_NETS: 3 layers each, rows of epochs 0, 1, 2. */
    char *cut = text;
    for (int k = 0; k < 6; k++)
        cut = without_line(cut, 7); /* the rows of epoch 1 */
    cr_assert(strncmp(line_of(cut, 7), "2,", 2) == 0, "%s", cut);
    write_text(layers, cut);
    cr_expect_eq(GAN("train", "--resume", run, "--epochs=3"), 2);
    cr_expect_not_null(strstr(err_text(), "layers.csv: epoch 1 lacks rows"), "'%s'", err_text());
}

Test(run_dir, a_deleted_steps_csv_is_refused)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=2", "--log-every=2", TINY);
    cr_assert_eq(unlink(join(run, "steps.csv")), 0);
    cr_expect_eq(GAN("train", "--resume", run, "--epochs=3"), 2);
    cr_expect_not_null(strstr(err_text(), "steps.csv: missing, but the checkpoint vouches for its "
                                          "rows up to step 8"), "'%s'", err_text());
}

Test(run_dir, a_non_adjacent_repeated_row_is_trimmed_with_a_notice)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=3", "--log-every=1", TINY);
    char *metrics = join(run, "metrics.csv");
    char *text = must_read(metrics, NULL);
    /* Epoch 1's row again between the rows of epochs 2 and 3. */
    char *dup = track(malloc(strlen(text) + 256));
    sprintf(dup, "%s%s%s%s%s", line_of(text, 0), line_of(text, 1), line_of(text, 2),
            line_of(text, 1), line_of(text, 3));
    write_text(metrics, dup);
    /* steps.csv: step 2's row again after step 5's. */
    char *steps = join(run, "steps.csv");
    char *st = must_read(steps, NULL);
    char *sdup = track(malloc(strlen(st) + 256));
    sprintf(sdup, "%s%s%s%s", line_of(st, 0), line_of(st, 1), line_of(st, 2), line_of(st, 3));
    for (int k = 4; line_of(st, k); k++) {
        strcat(sdup, line_of(st, k));
        if (k == 5)
            strcat(sdup, line_of(st, 2));
    }
    write_text(steps, sdup);
    GAN_OK("train", "--resume", run, "--epochs=4");
    cr_expect_not_null(strstr(err_text(), "metrics.csv: dropped 1 repeated row"), "'%s'",
                       err_text());
    cr_expect_not_null(strstr(err_text(), "steps.csv: dropped 1 repeated row"), "'%s'",
                       err_text());
    expect_epochs_once(run, 4);
    char *after = must_read(steps, NULL);
    cr_expect(strncmp(after, st, strlen(st)) == 0, "steps.csv lost or changed rows:\n%s", after);
}

Test(run_dir, a_nul_line_after_the_vouched_rows_is_dropped_with_a_note)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=2", TINY);
    char *metrics = join(run, "metrics.csv");
    size_t n;
    char *text = must_read(metrics, &n);
    char *torn = track(malloc(n + 16));
    memcpy(torn, text, n);
    memcpy(torn + n, "\0\0\0\0\n", 5); /* a block of zeros a crash left */
    test_write_file(metrics, torn, n + 5);
    GAN_OK("train", "--resume", run, "--epochs=3");
    cr_expect_not_null(strstr(err_text(), "metrics.csv: dropped 1 line after the rows the "
                                          "checkpoint (epoch 2, step 0) vouches for"),
                       "'%s'", err_text());
    expect_epochs_once(run, 3);
}

/* ---- issue 22, defect 12: --from-prev files away only a damaged checkpoint -- */

Test(run_dir, from_prev_on_a_healthy_run_is_refused_and_files_nothing_away)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=2", TINY);
    size_t n;
    char *good = must_read(join(run, "checkpoint.bin"), &n);
    cr_expect_eq(GAN("train", "--resume", run, "--from-prev", "--epochs=3"), 2);
    cr_expect_not_null(strstr(err_text(), "checkpoint.bin: reads fine"), "'%s'", err_text());
    cr_expect_not_null(strstr(err_text(), "without --from-prev"), "'%s'", err_text());
    cr_expect(!exists(join(run, "checkpoint.damaged.bin")), "a good checkpoint was filed away");
    size_t n2;
    char *after = must_read(join(run, "checkpoint.bin"), &n2);
    cr_expect(n2 == n && memcmp(after, good, n) == 0, "checkpoint.bin changed");
    GAN_OK("train", "--resume", run, "--epochs=3");
    expect_epochs_once(run, 3);
}

Test(run_dir, from_prev_never_overwrites_an_earlier_damaged_checkpoint)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=2", TINY);
    char *earlier = join(run, "checkpoint.damaged.bin");
    write_text(earlier, "an earlier damaged checkpoint\n");
    char *ckpt = join(run, "checkpoint.bin");
    size_t n;
    char *blob = must_read(ckpt, &n);
    blob[n / 2] ^= 0x40;
    test_write_file(ckpt, blob, n);
    GAN_OK("train", "--resume", run, "--from-prev", "--epochs=3");
    cr_expect_str_eq(must_read(earlier, NULL), "an earlier damaged checkpoint\n",
                     "checkpoint.damaged.bin was overwritten");
    size_t n2;
    char *aside = must_read(join(run, "checkpoint.damaged.1.bin"), &n2);
    cr_expect(n2 == n && memcmp(aside, blob, n) == 0, "the damaged checkpoint was not kept");
    expect_epochs_once(run, 3);
}

/* ---- the one reader of epoch file names ---------------------------------- */

/* run_epoch_of_name takes exactly the names the writers give (the path
 * functions' last part: the epoch with at least four digits) and nothing
 * else: no other padding, no temporary of an atomic write, no other
 * folder's suffix. Kept epochs, sample grids, --force's clean-up and the
 * report all read names through it. */
Test(run_dir, epoch_names_parse_exactly_as_the_writers_write_them)
{
    static const int epochs[] = {0, 5, 1234, 12345, 999999999};
    static const run_file_t folders[] = {RUN_SAMPLES, RUN_KEPT};
    char path[PATH_MAX];
    gan_err_t err;
    for (size_t f = 0; f < 2; f++)
        for (size_t i = 0; i < sizeof epochs / sizeof epochs[0]; i++) {
            int rc = folders[f] == RUN_SAMPLES ? run_sample_path(path, "run", epochs[i], &err)
                                               : run_kept_path(path, "run", epochs[i], &err);
            cr_assert_eq(rc, GAN_OK, "%s", err.msg);
            const char *name = strrchr(path, '/') + 1;
            cr_expect_eq(run_epoch_of_name(name, folders[f]), epochs[i], "%s", path);
        }
    cr_expect_eq(run_epoch_of_name("epoch_0005.bin", RUN_KEPT), 5);
    cr_expect_eq(run_epoch_of_name("epoch_12345.bin", RUN_KEPT), 12345);
    cr_expect_eq(run_epoch_of_name("epoch_0005.png", RUN_SAMPLES), 5);
    static const char *const refused[] = {
        "epoch_00005.bin", "epoch_5.bin", "epoch_005.bin", "epoch_012345.bin",
        ".epoch_0005.bin.tmp.host.123", "epoch_0005.bin.tmp.123", "epoch_0005.bin~",
        "epoch_0005.png", "epoch_.bin", "epoch_12a4.bin", "epoch_-005.bin", "Epoch_0005.bin",
        "epoch_1234567890.bin", "epoch_0005", "epoch_0005.bin.new", "xepoch_0005.bin", "",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        cr_expect_eq(run_epoch_of_name(refused[i], RUN_KEPT), -1, "took \"%s\"", refused[i]);
    cr_expect_eq(run_epoch_of_name("epoch_0005.bin", RUN_SAMPLES), -1, "a grid's folder");
    cr_expect_eq(run_epoch_of_name("epoch_0005.bin", RUN_METRICS), -1, "no epoch files");
}
