/* Paired experiments (issue 5): runs of one seed under different init
 * schemes see the same batches and noise and differ only in their initial
 * weights; `gan experiment` writes its runs, summary.csv and report, and a
 * rerun skips finished runs. Needs real MNIST (skips without it). */
#include <criterion/criterion.h>

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "gan/classifier.h"
#include "gan/fsutil.h"
#include "gan/train.h"
#include "test_util.h"

#define MNIST_FILE "data/mnist/train-images-idx3-ubyte.gz"
#define MAX_STEPS 64

static char tmp_dir[64];

static void setup(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "exp"); }
static void teardown(void) { test_tmpdir_remove(tmp_dir); }

/* What a run saw at every step: CRC32 of the real batch and of the noise. */
typedef struct {
    int n;
    uint32_t real_crc[MAX_STEPS], z_crc[MAX_STEPS];
} batch_log_t;

static void log_batches(void *ctx, const train_progress_t *p)
{
    batch_log_t *log = ctx;
    if (p->event != TRAIN_EVENT_STEP || log->n == MAX_STEPS)
        return;
    log->real_crc[log->n] = (uint32_t)crc32(0, (const Bytef *)p->real,
                                            (uInt)(p->batch * p->image_size * sizeof(float)));
    log->z_crc[log->n] = (uint32_t)crc32(0, (const Bytef *)p->z,
                                         (uInt)(p->batch * p->z_dim * sizeof(float)));
    log->n++;
}

static void small_cfg(train_cfg_t *cfg, init_scheme_t init)
{
    train_cfg_default(cfg);
    cfg->g_init = cfg->d_init = init;
    cfg->arch.n_g_hidden = 2;
    cfg->arch.g_hidden[0] = 32, cfg->arch.g_hidden[1] = 64;
    cfg->arch.n_d_hidden = 2;
    cfg->arch.d_hidden[0] = 64, cfg->arch.d_hidden[1] = 32;
    cfg->limit = 640;
    cfg->batch = 64;
    cfg->epochs = 2;
    cfg->threads = 1;
    cfg->seed = 7;
}

static void run_logged(const train_cfg_t *cfg, const char *name, batch_log_t *log,
                       gan_t *weights_out)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", tmp_dir, name);
    memset(log, 0, sizeof *log);
    train_opts_t opts = {.run_dir = dir, .on_progress = log_batches, .ctx = log};
    gan_err_t err;
    cr_assert_eq(train_run(cfg, &opts, &err), GAN_OK, "%s", err.msg);
    train_cfg_t loaded;
    cr_assert_eq(train_load_gan(weights_out, &loaded, dir, 1, &err), GAN_OK, "%s", err.msg);
}

Test(experiment, paired_runs_see_identical_batches_and_noise_but_other_weights,
     .init = setup, .fini = teardown)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    train_cfg_t a_cfg, b_cfg;
    small_cfg(&a_cfg, INIT_RANDOM);
    small_cfg(&b_cfg, INIT_HE_XAVIER);
    static batch_log_t a, b;
    gan_t a_gan, b_gan;
    run_logged(&a_cfg, "random", &a, &a_gan);
    run_logged(&b_cfg, "he_xavier", &b, &b_gan);

    cr_assert_eq(a.n, 20, "2 epochs of 10 steps, got %d", a.n);
    cr_assert_eq(b.n, a.n);
    for (int i = 0; i < a.n; i++) {
        cr_expect_eq(a.real_crc[i], b.real_crc[i], "step %d: real batches differ", i);
        cr_expect_eq(a.z_crc[i], b.z_crc[i], "step %d: noise differs", i);
    }
    /* The two epochs see different orders (a fresh shuffle per epoch). */
    cr_expect_neq(a.real_crc[0], a.real_crc[10]);
    cr_expect(memcmp(a_gan.g.params, b_gan.g.params, a_gan.g.n_params * sizeof(float)) != 0,
              "G weights of the pair should differ");
    cr_expect(memcmp(a_gan.d.params, b_gan.d.params, a_gan.d.n_params * sizeof(float)) != 0,
              "D weights of the pair should differ");
    gan_destroy(&a_gan);
    gan_destroy(&b_gan);
}

Test(experiment, another_seed_sees_other_batches, .init = setup, .fini = teardown)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    train_cfg_t a_cfg, b_cfg;
    small_cfg(&a_cfg, INIT_HE_XAVIER);
    small_cfg(&b_cfg, INIT_HE_XAVIER);
    a_cfg.epochs = b_cfg.epochs = 1;
    b_cfg.seed = 8;
    static batch_log_t a, b;
    gan_t a_gan, b_gan;
    run_logged(&a_cfg, "s7", &a, &a_gan);
    run_logged(&b_cfg, "s8", &b, &b_gan);
    cr_expect_neq(a.real_crc[0], b.real_crc[0]);
    cr_expect_neq(a.z_crc[0], b.z_crc[0]);
    gan_destroy(&a_gan);
    gan_destroy(&b_gan);
}

/* Runs a shell command, returning its exit code; output goes to log. */
static int run_cmd(const char *cmd, const char *log)
{
    char line[2048];
    snprintf(line, sizeof line, "%s > %s 2>&1", cmd, log);
    int status = system(line);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int count_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    int n = 0, c;
    while ((c = fgetc(fp)) != EOF)
        n += c == '\n';
    fclose(fp);
    return n;
}

static int file_contains(const char *path, const char *needle)
{
    char *text = NULL;
    size_t n = 0;
    if (fs_read_all(path, (size_t)1 << 30, &text, &n, NULL) != GAN_OK)
        return 0;
    int found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

Test(experiment, cli_writes_runs_summary_and_report_and_rerun_skips, .init = setup,
     .fini = teardown, .timeout = 120)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    char cmd[1024], log[256], path[512];
    snprintf(log, sizeof log, "%s/log.txt", tmp_dir);
    snprintf(cmd, sizeof cmd,
             GAN_BIN " experiment --out=%s/exp --inits=random,he_xavier --seeds=2 --jobs=2 "
                     "--epochs=1 --limit=256 --g-hidden=16,32 --d-hidden=32,16",
             tmp_dir);
    cr_assert_eq(run_cmd(cmd, log), 0, "experiment failed; see %s", log);
    static const char *const runs[] = {"random-s1", "random-s2", "he_xavier-s1", "he_xavier-s2"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/exp/%s/metrics.csv", tmp_dir, runs[i]);
        cr_expect_eq(count_lines(path), 2, "%s: header + 1 row", path);
        snprintf(path, sizeof path, "%s/exp/%s/checkpoint.bin", tmp_dir, runs[i]);
        cr_expect(fs_exists(path), "%s missing", path);
    }
    snprintf(path, sizeof path, "%s/exp/summary.csv", tmp_dir);
    cr_expect_eq(count_lines(path), 5, "summary: header + 4 runs");
    cr_expect(file_contains(path, "run,init,seed,epochs,g_loss,d_loss,d_acc"));
    cr_expect(file_contains(path, "he_xavier-s2,he_xavier,2,1,"));
    snprintf(path, sizeof path, "%s/exp/report.html", tmp_dir);
    cr_expect(fs_exists(path), "report.html missing");

    /* Rerun: everything is finished, nothing is trained again. */
    snprintf(path, sizeof path, "%s/exp/random-s1/metrics.csv", tmp_dir);
    char *before = NULL;
    size_t n_before = 0;
    cr_assert_eq(fs_read_all(path, (size_t)1 << 30, &before, &n_before, NULL), GAN_OK);
    cr_assert_eq(run_cmd(cmd, log), 0);
    cr_expect(file_contains(log, "already finished"), "rerun should skip finished runs");
    char *after = NULL;
    size_t n_after = 0;
    cr_assert_eq(fs_read_all(path, (size_t)1 << 30, &after, &n_after, NULL), GAN_OK);
    cr_expect(n_before == n_after && memcmp(before, after, n_after) == 0);
    free(before);
    free(after);

    /* Raising --epochs resumes every run by one more epoch. */
    snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " --epochs=2");
    cr_assert_eq(run_cmd(cmd, log), 0, "resumed experiment failed; see %s", log);
    cr_expect_eq(count_lines(path), 3, "random-s1 should have 2 epochs now");
}

Test(experiment, bad_options_exit_2, .init = setup, .fini = teardown)
{
    char cmd[512], log[256];
    snprintf(log, sizeof log, "%s/log.txt", tmp_dir);
    const char *bad[] = {"--inits=random,bogus", "--init=random", "--seeds=0", "--jobs=0",
                         "--inits=random,random", "--threads=2",
                         "--eval-every=1 --classifier=/nonexistent/clf.bin"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, GAN_BIN " experiment --out=%s/exp %s", tmp_dir, bad[i]);
        cr_expect_eq(run_cmd(cmd, log), 2, "%s should be a usage error", bad[i]);
    }
    char exp_dir[256];
    snprintf(exp_dir, sizeof exp_dir, "%s/exp", tmp_dir);
    cr_expect(!fs_exists(exp_dir), "no folder may be created for bad options");
}

/* --eval-every passes through to every run, and summary.csv ends with each
 * run's last FD, entropy and coverage, equal to the last row of its own
 * metrics.csv (the classifier is an untrained init: plumbing, not quality). */
Test(experiment, eval_every_reaches_every_run_and_the_summary, .init = setup, .fini = teardown,
     .timeout = 120)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    char clf_path[256], cmd[1024], log[256], path[512];
    snprintf(clf_path, sizeof clf_path, "%s/clf.bin", tmp_dir);
    snprintf(log, sizeof log, "%s/log.txt", tmp_dir);
    classifier_cfg_t ccfg;
    classifier_cfg_default(&ccfg);
    classifier_t clf;
    gan_err_t err;
    cr_assert_eq(classifier_create(&clf, &ccfg, 64, &err), GAN_OK, "%s", err.msg);
    int rc = classifier_save(&clf, clf_path, 0.0, &err);
    classifier_destroy(&clf);
    cr_assert_eq(rc, GAN_OK, "%s", err.msg);
    snprintf(cmd, sizeof cmd,
             GAN_BIN " experiment --out=%s/exp --seeds=1 --jobs=2 --epochs=1 --limit=256 "
                     "--g-hidden=16,32 --d-hidden=32,16 --eval-every=1 --eval-n=200 "
                     "--classifier=%s",
             tmp_dir, clf_path);
    cr_assert_eq(run_cmd(cmd, log), 0, "experiment failed; see %s", log);

    snprintf(path, sizeof path, "%s/exp/summary.csv", tmp_dir);
    char *summary = NULL;
    size_t n = 0;
    cr_assert_eq(fs_read_all(path, (size_t)1 << 30, &summary, &n, NULL), GAN_OK);
    cr_expect(strstr(summary, ",train_seconds,fd,class_entropy,classes_covered\n") != NULL,
              "summary header:\n%s", summary);
    static const char *const runs[] = {"random-s1", "he_xavier-s1"};
    for (int i = 0; i < 2; i++) {
        /* metrics.csv row: fd, class_entropy, classes_covered are fields 12-14. */
        snprintf(path, sizeof path, "%s/exp/%s/metrics.csv", tmp_dir, runs[i]);
        char *metrics = NULL;
        size_t m = 0;
        cr_assert_eq(fs_read_all(path, (size_t)1 << 30, &metrics, &m, NULL), GAN_OK);
        char *row = strchr(metrics, '\n') + 1, *save = NULL, *f = strtok_r(row, ",", &save);
        double want[3];
        for (int k = 1; f && k <= 14; k++, f = strtok_r(NULL, ",", &save))
            if (k >= 12)
                want[k - 12] = atof(f);
        const char *found = strstr(summary, runs[i]);
        cr_assert(found != NULL, "%s missing from summary.csv", runs[i]);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)strcspn(found, "\n"), found);
        char *fields[20];
        int nf = 0;
        save = NULL;
        for (char *g = strtok_r(line, ",", &save); g && nf < 20; g = strtok_r(NULL, ",", &save))
            fields[nf++] = g;
        cr_assert_eq(nf, 15, "%s: %d summary fields", runs[i], nf);
        cr_expect(fabs(atof(fields[12]) - want[0]) < 1e-3, "%s: fd %s vs metrics %g", runs[i],
                  fields[12], want[0]);
        cr_expect(fabs(atof(fields[13]) - want[1]) < 1e-3, "%s: entropy", runs[i]);
        cr_expect_eq(atoi(fields[14]), (int)want[2], "%s: classes covered", runs[i]);
        free(metrics);
    }
    free(summary);
}
