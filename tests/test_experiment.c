/* Paired experiments (issue 5): runs of one seed under different init
 * schemes see the same batches and noise and differ only in their initial
 * weights; `gan experiment` writes its runs, summary.csv and report, and a
 * rerun skips finished runs. Needs real MNIST (skips without it). */
#include <criterion/criterion.h>

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "gan/classifier.h"
#include "gan/experiment.h"
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
    char line[8192];
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
                         "--inits=random,random", "--vary=bogus=1", "--vary=init=random",
                         "--vary=lr=", "--vary=lr=0.001,1e-3", "--vary=lr=0.1 --vary=lr=0.2",
                         "--vary=batch=0,64", "--vary=g-hidden=64,0", "--vary=lr --lr=0.1",
                         "--lr=0.1 --vary=lr=0.2,0.3",
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
        /* metrics.csv row: fd, class_entropy, classes_covered, found by the
         * header (columns are only ever appended, g_acc came in between). */
        snprintf(path, sizeof path, "%s/exp/%s/metrics.csv", tmp_dir, runs[i]);
        char *metrics = NULL;
        size_t m = 0;
        cr_assert_eq(fs_read_all(path, (size_t)1 << 30, &metrics, &m, NULL), GAN_OK);
        char *header_end = strchr(metrics, '\n');
        *header_end = '\0';
        int fd_col = 1;
        char *at = strstr(metrics, ",fd,");
        cr_assert_not_null(at, "%s: no fd column", path);
        for (char *p = metrics; p <= at; p++)
            fd_col += *p == ',';
        char *row = header_end + 1, *save = NULL, *f = strtok_r(row, ",", &save);
        double want[3];
        for (int k = 1; f && k < fd_col + 3; k++, f = strtok_r(NULL, ",", &save))
            if (k >= fd_col)
                want[k - fd_col] = atof(f);
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

/* Pairing across a non-init axis (issue 13): two runs of one plan that
 * differ only in their learning rate see the same batches and noise at
 * every step, and end with other weights. */
Test(experiment, pairing_holds_across_an_lr_axis, .init = setup, .fini = teardown)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    train_cfg_t base;
    small_cfg(&base, INIT_HE_XAVIER);
    experiment_t e;
    gan_err_t err;
    experiment_init(&e, &base, tmp_dir);
    cr_assert_eq(experiment_add_inits(&e, "he_xavier", &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(experiment_add_vary(&e, "lr=0.0001,0.0004", &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(experiment_add_seeds(&e, 7, 1, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(experiment_finish(&e, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(e.n_runs, 2);
    exp_run_t slow, fast;
    cr_assert_eq(experiment_run(&slow, &e, 0, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(experiment_run(&fast, &e, 1, &err), GAN_OK, "%s", err.msg);
    cr_expect_str_eq(slow.name, "he_xavier-lr0.0001-s7");
    cr_expect_str_eq(fast.name, "he_xavier-lr0.0004-s7");
    cr_expect_eq(slow.cfg.adam.lr, 1e-4f);
    cr_expect_eq(fast.cfg.adam.lr, 4e-4f);
    static batch_log_t a, b;
    gan_t a_gan, b_gan;
    run_logged(&slow.cfg, slow.name, &a, &a_gan);
    run_logged(&fast.cfg, fast.name, &b, &b_gan);
    cr_assert_eq(a.n, 20);
    cr_assert_eq(b.n, a.n);
    for (int i = 0; i < a.n; i++) {
        cr_expect_eq(a.real_crc[i], b.real_crc[i], "step %d: real batches differ", i);
        cr_expect_eq(a.z_crc[i], b.z_crc[i], "step %d: noise differs", i);
    }
    cr_expect(memcmp(a_gan.g.params, b_gan.g.params, a_gan.g.n_params * sizeof(float)) != 0,
              "G weights after training at other learning rates should differ");
    gan_destroy(&a_gan);
    gan_destroy(&b_gan);
    experiment_free(&e);
}

/* Checks gan experiment --plan's JSON Lines with Python's json module (an
 * independent reader): run names in plan order, states, epochs_done and
 * the argv to train or resume each run. */
static int check_plan(const char *cmd, const char *log, const char *state, int done,
                      const char *verb)
{
    char line[4096];
    snprintf(line, sizeof line,
             "%s --plan | python3 -c '\n"
             "import json, sys\n"
             "rows = [json.loads(l) for l in sys.stdin]\n"
             "names = [i + \"-lr\" + lr + \"-s\" + s for i in (\"random\", \"he_xavier\")\n"
             "         for lr in (\"0.0001\", \"0.0004\") for s in (\"1\", \"2\")]\n"
             "assert [r[\"name\"] for r in rows] == names, [r[\"name\"] for r in rows]\n"
             "for r in rows:\n"
             "    assert r[\"dir\"].endswith(\"/exp/\" + r[\"name\"]), r[\"dir\"]\n"
             "    assert set(r[\"axes\"]) == {\"init\", \"lr\", \"seed\"}, r[\"axes\"]\n"
             "    assert r[\"state\"] == \"%s\" and r[\"epochs_done\"] == %d, r\n"
             "    a = r[\"argv\"]\n"
             "    assert a[1] == \"train\" and (\"--%s=\" + r[\"dir\"]) in a, a\n"
             "    assert a[-1] == \"--continue\" and \"--force\" not in a, a\n"
             "    if \"%s\" == \"out\":\n"
             "        assert (\"--g-init=\" + r[\"axes\"][\"init\"]) in a, a\n"
             "        assert (\"--seed=\" + r[\"axes\"][\"seed\"]) in a, a\n"
             "        assert any(x.startswith(\"--lr=\") and abs(float(x[5:]) - float(r[\"axes\"][\"lr\"])) < 1e-9\n"
             "                   for x in a), a\n"
             "'",
             cmd, state, done, verb, verb);
    return run_cmd(line, log);
}

Test(experiment, a_sweep_over_inits_lr_and_seeds_plans_trains_and_summarises, .init = setup,
     .fini = teardown, .timeout = 300)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
        cr_skip_test("python3 not installed (scripts/install-deps.sh installs it)");
    char cmd[1024], log[256], path[512];
    snprintf(log, sizeof log, "%s/log.txt", tmp_dir);
    snprintf(cmd, sizeof cmd,
             GAN_BIN " experiment --out=%s/exp --inits=random,he_xavier --vary=lr=0.0001,4e-4 "
                     "--seeds=2 --jobs=2 --threads=1 --epochs=1 --limit=256 --g-hidden=16,32 "
                     "--d-hidden=32,16",
             tmp_dir);
    cr_expect_eq(check_plan(cmd, log, "new", 0, "out"), 0, "plan of a new sweep; see %s", log);
    snprintf(path, sizeof path, "%s/exp", tmp_dir);
    cr_expect(!fs_exists(path), "--plan created the experiment folder");
    cr_assert_eq(run_cmd(cmd, log), 0, "experiment failed; see %s", log);

    static const char *const inits[] = {"random", "he_xavier"}, *const lrs[] = {"0.0001", "0.0004"};
    for (int i = 0; i < 2; i++)
        for (int l = 0; l < 2; l++)
            for (int s = 1; s <= 2; s++) {
                snprintf(path, sizeof path, "%s/exp/%s-lr%s-s%d/config.json", tmp_dir, inits[i],
                         lrs[l], s);
                char *json = NULL;
                size_t n = 0;
                cr_assert_eq(fs_read_all(path, (size_t)1 << 30, &json, &n, NULL), GAN_OK, "%s missing", path);
                train_cfg_t cfg;
                gan_err_t err;
                cr_assert_eq(train_cfg_read_json(&cfg, json, path, &err), GAN_OK, "%s", err.msg);
                cr_expect_eq(cfg.adam.lr, l ? 4e-4f : 1e-4f, "%s: lr %g", path, cfg.adam.lr);
                cr_expect_eq(cfg.seed, (uint64_t)s, "%s", path);
                cr_expect_eq(cfg.g_init, i ? INIT_HE_XAVIER : INIT_RANDOM, "%s", path);
                free(json);
            }
    snprintf(path, sizeof path, "%s/exp/summary.csv", tmp_dir);
    cr_expect_eq(count_lines(path), 9, "summary: header + 8 runs");
    cr_expect(file_contains(path, "run,init,lr,seed,epochs,g_loss,d_loss,d_acc,"),
              "summary.csv: one column per axis after run");
    cr_expect(file_contains(path, "\nhe_xavier-lr0.0004-s2,he_xavier,0.0004,2,1,"));
    cr_expect_eq(check_plan(cmd, log, "finished", 1, "out"), 0, "plan after training; see %s",
                 log);

    /* Raising --epochs: every run is partial and resumes. */
    char more[1100];
    snprintf(more, sizeof more, "%s --epochs=2", cmd);
    cr_expect_eq(check_plan(more, log, "partial", 1, "out"), 0, "plan with --epochs=2; see %s",
                 log);
    cr_assert_eq(run_cmd(more, log), 0, "resumed sweep failed; see %s", log);
    cr_expect(file_contains(log, "resumed"), "the runs should be resumed");
    cr_expect_eq(check_plan(more, log, "finished", 2, "out"), 0, "plan after resuming; see %s",
                 log);
}

/* Every training option given to gan experiment reaches each run's
 * config.json (read by Python's json module). Before this test the
 * experiment forwarded a second, hand-kept list of options, which had
 * missed --log-every and --no-events: the runs silently logged every 10
 * steps with events on. */
Test(experiment, every_training_option_reaches_the_runs, .init = setup, .fini = teardown,
     .timeout = 120)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    char cmd[2048], log[256];
    snprintf(log, sizeof log, "%s/log.txt", tmp_dir);
    snprintf(cmd, sizeof cmd,
             GAN_BIN " experiment --out=%s/exp --inits=he_xavier --epochs=1 --limit=256 "
                     "--g-hidden=16,32 --d-hidden=32,16 --z-dim=20 --leak=0.1 --lr=0.001 "
                     "--beta1=0.4 --beta2=0.99 --batch=32 --seed=5 --init-std=0.02 --grid=4 "
                     "--sample-every=2 --log-every=3 --no-events",
             tmp_dir);
    cr_assert_eq(run_cmd(cmd, log), 0, "experiment failed; see %s", log);
    snprintf(cmd, sizeof cmd,
             "cd %s/exp/he_xavier-s5 && python3 -c '\n"
             "import json, glob\n"
             "c = json.load(open(\"config.json\"))\n"
             "want = dict(g_hidden=[16, 32], d_hidden=[32, 16], z_dim=20, batch=32, seed=5,\n"
             "            grid=4, sample_every=2, log_every=3, events=0, limit=256, epochs=1)\n"
             "for k, v in want.items():\n"
             "    assert c[k] == v, (k, c[k], v)\n"
             "for k, v in dict(leak=0.1, lr=0.001, beta1=0.4, beta2=0.99, init_std=0.02).items():\n"
             "    assert abs(c[k] - v) < 1e-6 * v, (k, c[k], v)\n"
             "assert not glob.glob(\"events.out.tfevents.*\"), \"--no-events did not reach the run\"\n"
             "steps = [l.split(\",\")[0] for l in open(\"steps.csv\")][1:]\n"
             "assert steps[:3] == [\"1\", \"3\", \"6\"], steps[:3]\n"
             "'",
             tmp_dir);
    cr_expect_eq(run_cmd(cmd, log), 0, "a setting did not reach the run; see %s", log);
}

/* ---- many workers on one plan (issue 14) --------------------------------- */

#define TINY_PLAN "--inits=random,he_xavier --seeds=2 --epochs=2 --limit=512 " \
                  "--g-hidden=16,32 --d-hidden=32,16 --threads=1"

/* Every line of a <run>/claims.log that records a claim. */
static int count_claims(const char *run_dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/claims.log", run_dir);
    char *text = NULL;
    size_t n = 0;
    if (fs_read_all(path, (size_t)1 << 30, &text, &n, NULL) != GAN_OK)
        return 0;
    int claims = 0;
    for (char *p = text; (p = strstr(p, " claim: ")) != NULL; p++)
        claims++;
    free(text);
    return claims;
}

static int same_file(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int same = fs_read_all(a, (size_t)1 << 30, &x, &nx, NULL) == GAN_OK && fs_read_all(b, (size_t)1 << 30, &y, &ny, NULL) == GAN_OK &&
               nx == ny && memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return same;
}

/* summary.csv rows equal but for train_seconds (the last column here). */
static void expect_same_summary(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    cr_assert_eq(fs_read_all(a, (size_t)1 << 30, &x, &nx, NULL), GAN_OK, "%s missing", a);
    cr_assert_eq(fs_read_all(b, (size_t)1 << 30, &y, &ny, NULL), GAN_OK, "%s missing", b);
    char *sx = NULL, *sy = NULL;
    char *lx = strtok_r(x, "\n", &sx), *ly = strtok_r(y, "\n", &sy);
    int rows = 0;
    for (; lx && ly; lx = strtok_r(NULL, "\n", &sx), ly = strtok_r(NULL, "\n", &sy), rows++) {
        size_t kx = (size_t)(strrchr(lx, ',') - lx), ky = (size_t)(strrchr(ly, ',') - ly);
        cr_expect(kx == ky && memcmp(lx, ly, kx) == 0, "summary rows differ:\n%s\n%s", lx, ly);
    }
    cr_expect(!lx && !ly, "summaries have different row counts");
    cr_expect_eq(rows, 5);
    free(x);
    free(y);
}

static const char *const tiny_runs[] = {"random-s1", "random-s2", "he_xavier-s1", "he_xavier-s2"};

Test(experiment, two_workers_train_each_run_once_and_finalize_matches_the_local_run,
     .init = setup, .fini = teardown, .timeout = 300)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    char cmd[2048], log[256], a[600], b[600];
    snprintf(log, sizeof log, "%s/log.txt", tmp_dir);
    snprintf(cmd, sizeof cmd, GAN_BIN " experiment --out=%s/local " TINY_PLAN " --jobs=2",
             tmp_dir);
    cr_assert_eq(run_cmd(cmd, log), 0, "local experiment failed; see %s", log);

    /* --finalize before anything is trained: exit 1, every run named. */
    snprintf(cmd, sizeof cmd, GAN_BIN " experiment --out=%s/wk " TINY_PLAN " --finalize", tmp_dir);
    cr_expect_eq(run_cmd(cmd, log), 1);
    for (int i = 0; i < 4; i++) {
        snprintf(a, sizeof a, "%s/wk/%s: not finished", tmp_dir, tiny_runs[i]);
        cr_expect(file_contains(log, a), "finalize does not name %s", tiny_runs[i]);
    }
    snprintf(cmd, sizeof cmd,
             "(" GAN_BIN " experiment --out=%s/wk " TINY_PLAN " --worker & " GAN_BIN
             " experiment --out=%s/wk " TINY_PLAN " --worker; wait)",
             tmp_dir, tmp_dir);
    cr_assert_eq(run_cmd(cmd, log), 0, "workers failed; see %s", log);
    for (int i = 0; i < 4; i++) {
        snprintf(a, sizeof a, "%s/local/%s/checkpoint.bin", tmp_dir, tiny_runs[i]);
        snprintf(b, sizeof b, "%s/wk/%s/checkpoint.bin", tmp_dir, tiny_runs[i]);
        cr_expect(same_file(a, b), "%s: the workers' checkpoint differs from the local one",
                  tiny_runs[i]);
        snprintf(b, sizeof b, "%s/wk/%s", tmp_dir, tiny_runs[i]);
        cr_expect_eq(count_claims(b), 1, "%s: claimed %d times", tiny_runs[i], count_claims(b));
    }
    snprintf(cmd, sizeof cmd, GAN_BIN " experiment --out=%s/wk " TINY_PLAN " --finalize", tmp_dir);
    cr_assert_eq(run_cmd(cmd, log), 0, "finalize failed; see %s", log);
    snprintf(a, sizeof a, "%s/local/summary.csv", tmp_dir);
    snprintf(b, sizeof b, "%s/wk/summary.csv", tmp_dir);
    expect_same_summary(a, b);
}

/* Waits (up to 60 s) until path exists. */
static int wait_for(const char *path)
{
    for (int i = 0; i < 12000 && !fs_exists(path); i++)
        usleep(5000);
    return fs_exists(path);
}

Test(experiment, a_worker_killed_mid_run_is_taken_over_and_the_run_ends_byte_identical,
     .init = setup, .fini = teardown, .timeout = 300)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    /* The default nets, so that an epoch lasts long enough (~0.4 s here)
     * for the kill below to land mid-run on a fast machine. */
    const char *plan = "--inits=he_xavier --epochs=3 --limit=3200 --threads=1";
    char cmd[2048], log[256], a[600], b[600];
    snprintf(log, sizeof log, "%s/log.txt", tmp_dir);
    snprintf(cmd, sizeof cmd, GAN_BIN " experiment --out=%s/straight %s", tmp_dir, plan);
    cr_assert_eq(run_cmd(cmd, log), 0, "straight run failed; see %s", log);

    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        char out[300];
        snprintf(out, sizeof out, "--out=%s/wk", tmp_dir);
        freopen("/dev/null", "w", stderr);
        execl(GAN_BIN, GAN_BIN, "experiment", out, "--inits=he_xavier", "--epochs=3",
              "--limit=3200", "--threads=1", "--worker", (char *)NULL);
        _exit(127);
    }
    snprintf(a, sizeof a, "%s/wk/he_xavier-s1/checkpoint.bin", tmp_dir);
    cr_assert(wait_for(a), "the worker never wrote a checkpoint");
    /* A new run writes its epoch-0 checkpoint before it journals its claim:
     * wait for the claim too, then stop it at once (in epoch 1) and kill
     * it, so that it can neither finish first nor die unjournaled. */
    snprintf(b, sizeof b, "%s/wk/he_xavier-s1/claims.log", tmp_dir);
    for (int i = 0; i < 12000 && !file_contains(b, " claim: "); i++)
        usleep(5000);
    cr_assert(file_contains(b, " claim: "), "the worker never journaled its claim");
    kill(pid, SIGSTOP);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    snprintf(b, sizeof b, "%s/wk/he_xavier-s1/lock", tmp_dir);
    cr_expect(fs_exists(b), "a killed worker leaves its claim behind");

    /* Same host: the dead holder's flock is gone, so the claim is stale at
     * once and a second worker takes it over. */
    snprintf(cmd, sizeof cmd, GAN_BIN " experiment --out=%s/wk %s --worker", tmp_dir, plan);
    cr_assert_eq(run_cmd(cmd, log), 0, "second worker failed; see %s", log);
    cr_expect(file_contains(log, "took over a stale claim"), "no take-over reported; see %s", log);
    snprintf(b, sizeof b, "%s/straight/he_xavier-s1/checkpoint.bin", tmp_dir);
    cr_expect(same_file(a, b), "the taken-over run's checkpoint differs from a straight run's");
    snprintf(b, sizeof b, "%s/wk/he_xavier-s1", tmp_dir);
    cr_expect_eq(count_claims(b), 2, "one claim, one take-over");
}

Test(experiment, a_claim_from_another_host_is_taken_over_only_once_stale, .init = setup,
     .fini = teardown, .timeout = 120)
{
    if (access(MNIST_FILE, R_OK) != 0)
        cr_skip_test("real MNIST not present (run ./download_mnist.sh)");
    char cmd[2048], log[256], dir[600];
    snprintf(log, sizeof log, "%s/log.txt", tmp_dir);
    snprintf(dir, sizeof dir, "%s/wk/he_xavier-s1", tmp_dir);
    cr_assert_eq(fs_mkdirs(dir, NULL), GAN_OK);
    char lock[PATH_MAX];
    snprintf(lock, sizeof lock, "%s/lock", dir);
    const char *claim = "{\"host\": \"another-machine\", \"pid\": 4242, \"started\": 1, "
                        "\"refreshed\": 1, \"beats\": 0}\n";
    FILE *fp = fopen(lock, "w");
    fputs(claim, fp);
    fclose(fp);
    const char *plan = "--inits=he_xavier --epochs=1 --limit=256 --g-hidden=16,32 "
                       "--d-hidden=32,16 --threads=1";
    /* Fresh (mtime now) and --stale=3600: another machine is training it. */
    snprintf(cmd, sizeof cmd, "(" GAN_BIN " experiment --out=%s/wk %s --task=0/1 --stale=3600 & "
             "sleep 3; kill $!; wait)", tmp_dir, plan);
    run_cmd(cmd, log);
    cr_expect(file_contains(log, "waiting: 1 run held"), "a fresh foreign claim was not "
              "respected; see %s", log);
    cr_expect(file_contains(lock, "another-machine"), "the foreign claim was broken");
    /* --stale=2: after 2 s without a refresh it is taken over. */
    snprintf(cmd, sizeof cmd, GAN_BIN " experiment --out=%s/wk %s --task=0/1 --stale=2", tmp_dir,
             plan);
    cr_assert_eq(run_cmd(cmd, log), 0, "take-over failed; see %s", log);
    cr_expect(file_contains(log, "took over a stale claim of pid 4242 on another-machine"),
              "see %s", log);
}
