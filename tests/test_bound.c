/* A run is bound to its data and its settings (issue 22): resume checks the
 * training images by content, an experiment refuses runs made with other
 * settings, every argv a plan prints is safe to run at any later time, a
 * damaged run is one plan line, and a run keeps its thread count unless
 * told otherwise (saying so). Needs real MNIST (skips without it); the plan
 * is read back with Python's json module (an independent reader). */
#include "test_cli.h"

#include <zlib.h>

/* The options of every small run here: a few seconds each. */
#define SMALL "--limit=1024", "--g-hidden=32", "--d-hidden=32", "--batch=32"

static void setup(void)
{
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "bound");
}

/* Copies data/mnist into dir, flipping one pixel of the training images
 * when flip: the same shapes and a valid file, other content. */
static void copy_mnist(const char *dir, int flip)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp data/mnist/*-ubyte.gz %s/", dir, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    if (!flip)
        return;
    char *path = join(dir, "train-images-idx3-ubyte.gz");
    gzFile in = gzopen(MNIST_TRAIN, "rb");
    cr_assert(in != NULL);
    static unsigned char bytes[16 + 60000 * 784];
    int n = gzread(in, bytes, sizeof bytes);
    gzclose(in);
    cr_assert_eq(n, (int)sizeof bytes, "short read of %s", MNIST_TRAIN);
    bytes[16 + 300] ^= 0xff; /* a pixel of the first image: inside any --limit */
    gzFile out = gzopen(path, "wb1");
    cr_assert(out != NULL);
    cr_assert_eq(gzwrite(out, bytes, sizeof bytes), (int)sizeof bytes);
    cr_assert_eq(gzclose(out), Z_OK);
}

/* The value of "key": "..." in a JSON text (for config.json). */
static char *json_string(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *at = strstr(json, pat);
    cr_assert(at != NULL, "no %s in %s", key, json);
    at += strlen(pat);
    const char *end = strchr(at, '"');
    char *out = track(strndup(at, (size_t)(end - at)));
    return out;
}

static int count_substr(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

Test(bound, resume_refuses_other_images_naming_both_checksums_and_takes_moved_data,
     .init = setup, .fini = teardown, .timeout = 120)
{
    need_mnist();
    char *data = tmp_path("data"), *other = tmp_path("other"), *moved = tmp_path("moved");
    char *run = tmp_path("run");
    copy_mnist(data, 0);
    copy_mnist(other, 1);
    char opt_data[256], opt_out[256], opt_resume[256], opt_other[256], opt_moved[256];
    snprintf(opt_data, sizeof opt_data, "--data=%s", data);
    snprintf(opt_out, sizeof opt_out, "--out=%s", run);
    snprintf(opt_resume, sizeof opt_resume, "--resume=%s", run);
    snprintf(opt_other, sizeof opt_other, "--data=%s", other);
    GAN_OK("train", opt_out, opt_data, SMALL, "--epochs=1", "--quiet");
    char *config = must_read(join(run, "config.json"), NULL);
    char *crc = json_string(config, "train_pixels_crc32");
    /* Recorded absolute, so a resume from any folder finds the same data. */
    cr_expect_eq(json_string(config, "data_dir")[0], '/', "%s", config);
    char *ckpt_before = must_read(join(run, "checkpoint.bin"), NULL);
    (void)ckpt_before;

    cr_assert_eq(GAN("train", opt_resume, opt_other, "--epochs=2", "--quiet"), 2);
    char *msg = last_stderr();
    cr_expect(strstr(msg, crc) != NULL, "the recorded checksum is named: %s", msg);
    cr_expect(strstr(msg, "--data=") != NULL, "the fix is named: %s", msg);
    cr_expect(strchr(msg, '\n') == strrchr(msg, '\n'), "one line: %s", msg);
    /* Nothing was written: the record of the original data is still there. */
    cr_expect_str_eq(json_string(must_read(join(run, "config.json"), NULL),
                                 "train_pixels_crc32"), crc);

    /* The same images in another folder: moved data resumes. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mv %s %s", data, moved);
    cr_assert_eq(system(cmd), 0);
    snprintf(opt_moved, sizeof opt_moved, "--data=%s", moved);
    cr_expect_neq(GAN("train", opt_resume, "--epochs=2", "--quiet"), 0,
                  "the recorded folder is gone: no silent fallback to data/mnist");
    GAN_OK("train", opt_resume, opt_moved, "--epochs=2", "--quiet");
    config = must_read(join(run, "config.json"), NULL);
    cr_expect(strstr(json_string(config, "data_dir"), "/moved") != NULL, "%s", config);
}

/* The plan's argv for each run, in order, one per line, via python3. */
static char *plan_argvs(const char *exp_args, const char *out_file)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s experiment %s --plan | python3 -c '\n"
             "import json, shlex, sys\n"
             "for l in sys.stdin:\n"
             "    r = json.loads(l)\n"
             "    assert \"--force\" not in r[\"argv\"], r\n"
             "    print(shlex.join(r[\"argv\"]))\n"
             "' > %s",
             GAN_BIN, exp_args, out_file);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    return must_read(out_file, NULL);
}

Test(bound, a_plan_line_run_after_its_run_finished_changes_nothing, .init = setup,
     .fini = teardown, .timeout = 180)
{
    need_mnist();
    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
        cr_skip_test("python3 not installed (scripts/install-deps.sh installs it)");
    char args[512];
    snprintf(args, sizeof args, "--out=%s/exp --inits=random --limit=1024 --g-hidden=32 "
             "--d-hidden=32 --batch=32 --epochs=2 --threads=1", tmp_dir);
    /* Printed while the run is new... */
    char *argv_new = plan_argvs(args, tmp_path("plan-new.txt"));
    /* ...and while it is started (killed before its first checkpoint). */
    char *run = join(tmp_dir, "exp/random-s1");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && echo '{}' > %s/config.json", run, run);
    cr_assert_eq(system(cmd), 0);
    char *argv_started = plan_argvs(args, tmp_path("plan-started.txt"));
    cr_expect_str_eq(argv_started, argv_new, "the argv does not depend on the state");

    /* A worker finishes the run; then the printed lines run, twice each. */
    snprintf(cmd, sizeof cmd, "%s experiment %s --worker >/dev/null 2>&1", GAN_BIN, args);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    size_t n_ckpt;
    char *ckpt = must_read(join(run, "checkpoint.bin"), &n_ckpt);
    char *claims = must_read(join(run, "claims.log"), NULL);
    for (int k = 0; k < 2; k++) {
        snprintf(cmd, sizeof cmd, "%.*s > %s/line.txt 2>&1", (int)strcspn(argv_new, "\n"),
                 argv_new, tmp_dir);
        cr_assert_eq(system(cmd), 0, "%s", must_read(tmp_path("line.txt"), NULL));
        cr_expect(strstr(must_read(tmp_path("line.txt"), NULL), "already finished") != NULL);
    }
    size_t n_after;
    char *after = must_read(join(run, "checkpoint.bin"), &n_after);
    cr_expect(n_after == n_ckpt && memcmp(after, ckpt, n_ckpt) == 0,
              "the finished run's checkpoint is untouched");
    cr_expect_str_eq(must_read(join(run, "claims.log"), NULL), claims, "no new claim");
    cr_expect_eq(count_substr(claims, "claim: new run"), 1);
}

Test(bound, an_experiment_with_other_settings_is_refused_naming_run_option_and_values,
     .init = setup, .fini = teardown, .timeout = 180)
{
    need_mnist();
    char out[256];
    snprintf(out, sizeof out, "--out=%s/exp", tmp_dir);
    GAN_OK("experiment", out, "--inits=random", SMALL, "--epochs=1", "--threads=1");
    char *summary = must_read(tmp_path("exp/summary.csv"), NULL);
    const char *modes[] = {NULL, "--plan", "--worker", "--finalize"};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        int rc = modes[m] ? GAN("experiment", out, "--inits=random", SMALL, "--epochs=1",
                                "--threads=1", "--lr=0.001", modes[m])
                          : GAN("experiment", out, "--inits=random", SMALL, "--epochs=1",
                                "--threads=1", "--lr=0.001");
        char *msg = last_stderr();
        cr_expect_eq(rc, 2, "%s: %s", modes[m] ? modes[m] : "local", msg);
        cr_expect(strstr(msg, "random-s1") && strstr(msg, "--lr=0.0002") &&
                      strstr(msg, "--lr=0.001"),
                  "run, option, recorded and requested value: %s", msg);
        cr_expect(strstr(msg, "skipped") == NULL, "%s", msg);
        size_t n_out;
        must_read(tmp_path("out.txt"), &n_out);
        cr_expect_eq(n_out, 0, "%s: nothing printed on stdout", modes[m] ? modes[m] : "local");
    }
    cr_expect_str_eq(must_read(tmp_path("exp/summary.csv"), NULL), summary);
    /* Raising --epochs is the one change allowed: the run resumes. */
    GAN_OK("experiment", out, "--inits=random", SMALL, "--epochs=2", "--threads=1");
}

Test(bound, a_damaged_run_is_one_plan_line_and_the_rest_of_the_plan_prints, .init = setup,
     .fini = teardown, .timeout = 180)
{
    need_mnist();
    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
        cr_skip_test("python3 not installed (scripts/install-deps.sh installs it)");
    char out[256];
    snprintf(out, sizeof out, "--out=%s/exp", tmp_dir);
    GAN_OK("experiment", out, "--inits=random,uniform,he_xavier", SMALL, "--epochs=1",
           "--threads=1");
    char *ckpt = tmp_path("exp/random-s1/checkpoint.bin");
    test_write_file(ckpt, "garbage garbage garbage", 23);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s experiment %s --inits=random,uniform,he_xavier --limit=1024 --g-hidden=32 "
             "--d-hidden=32 --batch=32 --epochs=1 --threads=1 --plan 2>%s/err.txt | "
             "python3 -c '\n"
             "import json, sys\n"
             "rows = [json.loads(l) for l in sys.stdin]\n"
             "assert [r[\"name\"] for r in rows] == [\"random-s1\", \"uniform-s1\", \"he_xavier-s1\"], rows\n"
             "assert rows[0][\"state\"] == \"damaged\" and \"checkpoint.bin\" in rows[0][\"reason\"], rows[0]\n"
             "assert [r[\"state\"] for r in rows[1:]] == [\"finished\", \"finished\"], rows\n"
             "'",
             GAN_BIN, out, tmp_dir);
    cr_expect_eq(system(cmd), 0, "%s", must_read(tmp_path("err.txt"), NULL));
    cr_expect(strstr(must_read(tmp_path("err.txt"), NULL), "damaged") != NULL);
}

Test(bound, resume_keeps_the_recorded_thread_count_and_says_when_told_another,
     .init = setup, .fini = teardown, .timeout = 120)
{
    need_mnist();
    char *run = tmp_path("run");
    char opt_out[256], opt_resume[256];
    snprintf(opt_out, sizeof opt_out, "--out=%s", run);
    snprintf(opt_resume, sizeof opt_resume, "--resume=%s", run);
    GAN_OK("train", opt_out, SMALL, "--epochs=1", "--threads=1", "--quiet");
    GAN_OK("train", opt_resume, "--epochs=2");
    cr_expect(strstr(last_stderr(), "thread") == NULL, "no change, no note: %s", last_stderr());
    GAN_OK("train", opt_resume, "--epochs=3", "--threads=2");
    char *msg = last_stderr();
    cr_expect(strstr(msg, "1 product thread") && strstr(msg, "with 2") &&
                  strstr(msg, "differ"),
              "one line says the bits change from here: %s", msg);
    cr_expect(strstr(must_read(join(run, "config.json"), NULL), "\"threads\": 2") != NULL);
}

Test(bound, a_worker_taking_over_a_run_keeps_its_thread_count, .init = setup, .fini = teardown,
     .timeout = 180)
{
    need_mnist();
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        cr_skip_test("needs 2 cores: a worker's own default is then 2 threads");
    char out[256];
    snprintf(out, sizeof out, "--out=%s/exp", tmp_dir);
    /* A 1-thread run stopped after its first epoch, as a killed worker leaves it. */
    GAN_OK("experiment", out, "--inits=random", SMALL, "--epochs=1", "--threads=1");
    /* A worker without --threads (its default: every core) takes it further. */
    GAN_OK("experiment", out, "--inits=random", SMALL, "--epochs=2", "--worker");
    char *config = must_read(tmp_path("exp/random-s1/config.json"), NULL);
    cr_expect(strstr(config, "\"threads\": 1,") != NULL, "%s", config);
    cr_expect(strstr(last_stderr(), "differ") == NULL, "%s", last_stderr());
}
