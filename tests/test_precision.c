/* --precision end to end through the built gan (GAN_BIN) on real MNIST:
 * the setting in config.json and in checkpoint headers (parsed here, not
 * by src/checkpoint.c: magic, u32 version, u32 header length, header, u32
 * CRC-32), resume keeping it exactly, a different one refused, a checkpoint
 * from before the setting loading as fp32, a bf16 run sampled, exported and
 * evaluated through fp32, the clean error on a CPU without bf16, the
 * setting as an experiment axis, and a short real training in
 * bf16-emulated next to fp32. Tests that train skip without data/mnist. */
#include <criterion/criterion.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gan/dense_bf16.h"
#include "test_util.h"

#define SMALL_NETS "--g-hidden=32,64", "--d-hidden=64,32"
#define TINY "--limit=256", "--batch=64", "--threads=1", "--quiet", "--no-events", SMALL_NETS

#include "test_cli.h"

TestSuite(precision, .fini = teardown, .timeout = 900);

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "precision"); }

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The JSON header of a checkpoint (tracked), its CRC checked. */
static char *ckpt_header(const char *path)
{
    size_t len;
    const uint8_t *b = (const uint8_t *)must_read(path, &len);
    cr_assert(len >= 20 && memcmp(b, "GANCKPT1", 8) == 0, "%s: bad magic", path);
    uint32_t hlen = le32(b + 12);
    cr_assert(hlen <= len - 20, "%s: header length past the end", path);
    cr_assert_eq(le32(b + 16 + hlen), (uint32_t)crc32(0, b + 16, hlen), "%s: header CRC", path);
    char *h = track(malloc(hlen + 1));
    memcpy(h, b + 16, hlen);
    h[hlen] = '\0';
    return h;
}

static void expect_setting(const char *text, const char *line, const char *what)
{
    cr_expect(strstr(text, line) != NULL, "%s lacks %s:\n%s", what, line, text);
}

static int same_bytes(const char *a, const char *b)
{
    size_t la, lb;
    char *pa = must_read(a, &la), *pb = must_read(b, &lb);
    return la == lb && memcmp(pa, pb, la) == 0;
}

/* Rewrites the "precision" line of a checkpoint's header (new length and
 * CRC) into `replacement`: "" gives the header gan wrote before the setting
 * existed. */
static void rewrite_precision_line(const char *path, const char *replacement)
{
    size_t len;
    uint8_t *b = (uint8_t *)must_read(path, &len);
    uint32_t hlen = le32(b + 12);
    char *h = (char *)b + 16;
    char *at = memmem(h, hlen, "  \"precision\": ", 15);
    cr_assert(at != NULL, "%s: no precision line in the header", path);
    char *eol = memchr(at, '\n', hlen - (size_t)(at - h));
    cr_assert(eol != NULL);
    size_t cut = (size_t)(eol + 1 - at), add = strlen(replacement), before = (size_t)(at - h);
    uint32_t new_hlen = hlen - (uint32_t)cut + (uint32_t)add;
    size_t new_len = len - cut + add;
    uint8_t *out = track(malloc(new_len));
    memcpy(out, b, 16);
    memcpy(out + 16, h, before);
    memcpy(out + 16 + before, replacement, add);
    memcpy(out + 16 + before + add, eol + 1, hlen - before - cut);
    put_le32(out + 12, new_hlen);
    put_le32(out + 16 + new_hlen, (uint32_t)crc32(0, out + 16, new_hlen));
    memcpy(out + 20 + new_hlen, b + 20 + hlen, len - 20 - hlen);
    FILE *fp = fopen(path, "wb");
    cr_assert(fp != NULL, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(out, 1, new_len, fp), new_len);
    cr_assert_eq(fclose(fp), 0);
}

Test(precision, recorded_in_config_and_checkpoint_and_resume_is_exact_in_bf16_emulated)
{
    need_mnist();
    make_tmp_dir();
    char *straight = tmp_path("straight"), *resumed = tmp_path("resumed");
    GAN_OK("train", "--out", straight, "--precision=bf16-emulated", "--epochs=2", TINY);
    GAN_OK("train", "--out", resumed, "--precision=bf16-emulated", "--epochs=1", TINY);
    const char *line = "\"precision\": \"bf16-emulated\"";
    expect_setting(must_read(join(resumed, "config.json"), NULL), line, "config.json");
    expect_setting(ckpt_header(join(resumed, "checkpoint.bin")), line, "checkpoint header");
    /* Without --precision, and with the run's own, resume keeps it. */
    GAN_OK("train", "--resume", resumed, "--epochs=2", "--threads=1", "--quiet");
    expect_setting(must_read(join(resumed, "config.json"), NULL), line, "resumed config.json");
    expect_setting(ckpt_header(join(resumed, "checkpoint.bin")), line, "resumed header");
    /* Exactly: the weights' bf16 copies are rebuilt from the loaded weights. */
    cr_expect(same_bytes(join(straight, "checkpoint.bin"), join(resumed, "checkpoint.bin")),
              "2 epochs straight and 1 + resume + 1 in bf16-emulated differ");
    GAN_OK("train", "--resume", resumed, "--epochs=3", "--precision=bf16-emulated",
           "--threads=1", "--quiet");
}

Test(precision, a_different_precision_on_resume_is_refused_naming_the_recorded_one)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--precision=bf16-emulated", "--epochs=1", TINY);
    char *ckpt = join(run, "checkpoint.bin");
    size_t len;
    char *before = must_read(ckpt, &len);
    cr_assert_eq(GAN("train", "--resume", run, "--epochs=2", "--precision=fp32", "--quiet"), 2);
    char *err = last_stderr();
    cr_expect(strchr(err, '\n') == strrchr(err, '\n'), "not one line: %s", err);
    cr_expect(strstr(err, "--precision=fp32") && strstr(err, "--precision=bf16-emulated"),
              "the message names neither the given nor the recorded precision: %s", err);
    size_t len2;
    char *after = must_read(ckpt, &len2);
    cr_expect(len == len2 && memcmp(before, after, len) == 0, "the refused resume changed it");
}

/* A checkpoint (and config.json) written before the setting existed has no
 * "precision": it resumes as fp32, exactly like a run never interrupted. */
Test(precision, a_checkpoint_from_before_the_setting_resumes_as_fp32)
{
    need_mnist();
    make_tmp_dir();
    char *straight = tmp_path("straight"), *old = tmp_path("old");
    GAN_OK("train", "--out", straight, "--epochs=2", TINY);
    GAN_OK("train", "--out", old, "--epochs=1", TINY);
    rewrite_precision_line(join(old, "checkpoint.bin"), "");
    cr_assert(strstr(ckpt_header(join(old, "checkpoint.bin")), "precision") == NULL);
    GAN_OK("train", "--resume", old, "--epochs=2", "--threads=1", "--quiet");
    expect_setting(must_read(join(old, "config.json"), NULL), "\"precision\": \"fp32\"",
                   "config.json after resuming an old run");
    cr_expect(same_bytes(join(straight, "checkpoint.bin"), join(old, "checkpoint.bin")),
              "an old checkpoint resumed differs from an uninterrupted fp32 run");
    /* A value that names no precision is refused, never taken for fp32. */
    rewrite_precision_line(join(old, "checkpoint.bin"), "  \"precision\": \"bf17\",\n");
    cr_expect_eq(GAN("train", "--resume", old, "--epochs=3", "--quiet"), 2);
    cr_expect(strstr(last_stderr(), "'precision' is 'bf17'") != NULL, "%s", last_stderr());
}

/* A bf16 run's checkpoint is read by sample, export and eval, which run
 * fp32 products: `gan sample` of the run's seed and grid redraws the run's
 * own last grid (which training drew in fp32 too) byte for byte. */
static void bf16_run_samples_exports_and_evaluates_in_fp32(const char *precision_arg)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, precision_arg, "--epochs=1", TINY);
    char *grid = tmp_path("grid.png");
    GAN_OK("sample", "--run", run, "--n=64", "-o", grid);
    cr_expect(same_bytes(grid, join(run, "samples/epoch_0001.png")),
              "gan sample of the bf16 run differs from the run's own grid");
    GAN_OK("export", "--run", run, "--out", tmp_path("weights"));
    if (exists("data/mnist-classifier.bin"))
        GAN_OK("eval", "--run", run, "--n=200", "--classifier=data/mnist-classifier.bin");
}

Test(precision, a_bf16_emulated_run_samples_exports_and_evaluates_in_fp32)
{
    bf16_run_samples_exports_and_evaluates_in_fp32("--precision=bf16-emulated");
}

Test(precision, a_native_bf16_run_samples_exports_and_evaluates_in_fp32)
{
    gan_err_t err;
    if (dense_bf16_native_check(&err) != GAN_OK)
        cr_skip_test("no native bf16 on this CPU: %s", err.msg);
    bf16_run_samples_exports_and_evaluates_in_fp32("--precision=bf16");
}

/* Native bf16 where the CPU has it (skipped elsewhere): resume is exact as
 * in bf16-emulated (the weights' uint16 copies rebuilt from the loaded
 * weights, oneDNN's products deterministic at one thread), and --threads
 * goes to the precision's product library, one thread to the other:
 * config.json says which got what. */
Test(precision, native_bf16_resumes_exactly_is_thread_count_independent_and_threads_go_to_onednn)
{
    need_mnist();
    gan_err_t err;
    if (dense_bf16_native_check(&err) != GAN_OK)
        cr_skip_test("no native bf16 on this CPU: %s", err.msg);
    make_tmp_dir();
    char *straight = tmp_path("straight"), *resumed = tmp_path("resumed");
    GAN_OK("train", "--out", straight, "--precision=bf16", "--epochs=2", TINY);
    GAN_OK("train", "--out", resumed, "--precision=bf16", "--epochs=1", TINY);
    GAN_OK("train", "--resume", resumed, "--epochs=2", "--threads=1", "--quiet");
    cr_expect(same_bytes(join(straight, "checkpoint.bin"), join(resumed, "checkpoint.bin")),
              "2 epochs straight and 1 + resume + 1 in bf16 differ");

    /* Two threads train the same bits as one: oneDNN's products split no
     * sum here, and the element-wise passes and Adam split only elements.
     * The checkpoints differ in the header's "threads" alone. */
    char *bf16 = tmp_path("bf16-2"), *fp32 = tmp_path("fp32-2");
    GAN_OK("train", "--out", bf16, "--precision=bf16", "--epochs=2", TINY, "--threads=2");
    size_t la, lb;
    const uint8_t *a = (const uint8_t *)must_read(join(straight, "checkpoint.bin"), &la);
    const uint8_t *b = (const uint8_t *)must_read(join(bf16, "checkpoint.bin"), &lb);
    size_t body_a = 20 + le32(a + 12), body_b = 20 + le32(b + 12);
    cr_expect(la - body_a == lb - body_b && memcmp(a + body_a, b + body_b, la - body_a) == 0,
              "bf16 at 1 and at 2 threads trained different weights");
    GAN_OK("train", "--out", fp32, "--epochs=1", TINY, "--threads=2", "--products=openblas");
    const char *config = must_read(join(bf16, "config.json"), NULL);
    expect_setting(config, "\"openmp_threads\": 2,", "bf16 config.json");
    expect_setting(config, "\"openblas_threads\": 1,", "bf16 config.json");
    expect_setting(config, "\"products\": \"onednn bf16\",", "bf16 config.json");
    expect_setting(must_read(join(fp32, "config.json"), NULL), "\"openmp_threads\": 1,",
                   "fp32 config.json");
    /* fp32 on oneDNN: its threads go to OpenMP as bf16's do. */
    char *fp32_onednn = tmp_path("fp32-onednn");
    GAN_OK("train", "--out", fp32_onednn, "--epochs=1", TINY, "--threads=2",
           "--products=onednn");
    config = must_read(join(fp32_onednn, "config.json"), NULL);
    expect_setting(config, "\"openmp_threads\": 2,", "fp32 oneDNN config.json");
    expect_setting(config, "\"openblas_threads\": 1,", "fp32 oneDNN config.json");
    expect_setting(config, "\"products\": \"onednn f32\",", "fp32 oneDNN config.json");
}

/* An fp32 run's grids are drawn by the library the run recorded; gan
 * sample --run uses that library, so it redraws the grid byte for byte
 * whichever library made the run. */
Test(precision, an_fp32_run_on_either_library_is_redrawn_byte_for_byte_by_sample)
{
    need_mnist();
    make_tmp_dir();
    static const char *const libs[] = {"--products=openblas", "--products=onednn"};
    for (int i = 0; i < 2; i++) {
        char name[32];
        snprintf(name, sizeof name, "run%d", i);
        char *run = tmp_path(name);
        GAN_OK("train", "--out", run, libs[i], "--epochs=1", TINY);
        snprintf(name, sizeof name, "grid%d.png", i);
        char *grid = tmp_path(name);
        GAN_OK("sample", "--run", run, "--n=64", "-o", grid);
        cr_expect(same_bytes(grid, join(run, "samples/epoch_0001.png")),
                  "%s: gan sample differs from the run's own grid", libs[i]);
    }
}

/* Runs on every CPU: oneDNN is capped at AVX2 (its own variable), where it
 * has no bf16 matmul. One line, exit 2, nothing created. */
Test(precision, bf16_without_cpu_support_exits_2_with_one_line_and_creates_nothing)
{
    make_tmp_dir();
    setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 1);
    char *run = tmp_path("run");
    cr_assert_eq(GAN("train", "--out", run, "--precision=bf16", "--epochs=1", TINY), 2);
    char *err = last_stderr();
    cr_expect(strchr(err, '\n') == strrchr(err, '\n') && strncmp(err, "gan: ", 5) == 0,
              "not one gan: line: %s", err);
    cr_expect(strstr(err, "AVX-512") && strstr(err, "--precision=bf16-emulated") &&
                  strstr(err, "--precision=fp32"),
              "the message names neither the missing feature nor the alternatives: %s", err);
    cr_expect(!exists(run), "%s was created", run);
}

Test(precision, precision_is_an_experiment_axis)
{
    make_tmp_dir();
    char *exp = tmp_path("exp");
    GAN_OK("experiment", "--out", exp, "--inits=he_xavier", "--vary=precision=fp32,bf16-emulated",
           "--data=data/mnist", "--plan");
    char *plan = must_read(join(tmp_dir, "out.txt"), NULL);
    char *fp32 = strstr(plan, "\"name\": \"he_xavier-fp32-s1\"");
    char *bf16 = strstr(plan, "\"name\": \"he_xavier-bf16-emulated-s1\"");
    cr_assert(fp32 && bf16, "run names missing from the plan:\n%s", plan);
    char *fp32_end = strchr(fp32, '\n'), *bf16_end = strchr(bf16, '\n');
    cr_assert(fp32_end && bf16_end);
    *fp32_end = *bf16_end = '\0';
    cr_expect(strstr(bf16, "\"--precision=bf16-emulated\"") != NULL, "%s", bf16);
    cr_expect(strstr(fp32, "--precision") == NULL, "the fp32 run's argv names it: %s", fp32);
    cr_expect(strstr(bf16, "\"precision\": \"bf16-emulated\"") != NULL, "axes: %s", bf16);
    /* Also given as a plain option: refused like any other axis. */
    cr_expect_eq(GAN("experiment", "--out", exp, "--precision=fp32",
                     "--vary=precision=fp32,bf16-emulated", "--data=data/mnist", "--plan"), 2);
    cr_expect(strstr(last_stderr(), "also given as an axis") != NULL, "%s", last_stderr());
}

/* The real model on real MNIST for 2 short epochs: bf16-emulated gives
 * finite losses whose values sit near fp32's. The band is a sanity band,
 * not a precision claim: the two runs start identical and drift apart
 * like two GANs with slightly different arithmetic do; 25% of a loss and
 * 0.1 of a probability is far below what a broken step shows (a D that
 * stops learning, losses of 0.69 or tens). */
Test(precision, short_real_training_in_bf16_emulated_stays_near_fp32, .timeout = 1800)
{
    need_mnist();
    make_tmp_dir();
    char *runs[2] = {tmp_path("fp32"), tmp_path("bf16")};
    GAN_OK("train", "--out", runs[0], "--limit=2048", "--epochs=2", "--threads=1", "--quiet",
           "--no-events");
    GAN_OK("train", "--out", runs[1], "--limit=2048", "--epochs=2", "--threads=1", "--quiet",
           "--no-events", "--precision=bf16-emulated");
    double v[2][2][9]; /* [run][epoch][column 0..8] */
    for (int r = 0; r < 2; r++) {
        char *text = must_read(join(runs[r], "metrics.csv"), NULL);
        char *line = strchr(text, '\n');
        for (int e = 0; e < 2; e++) {
            cr_assert(line != NULL, "%s: fewer than 2 rows", runs[r]);
            char *p = line + 1;
            for (int c = 0; c < 9; c++) {
                v[r][e][c] = strtod(p, &p);
                cr_assert(*p == ',', "%s: bad row %d", runs[r], e + 1);
                p++;
            }
            line = strchr(line + 1, '\n');
        }
    }
    static const char *const names[] = {"epoch", "steps", "g_loss", "d_loss", "d_acc",
                                         "d_acc_real", "d_acc_fake", "d_real", "d_fake"};
    for (int e = 0; e < 2; e++)
        for (int c = 2; c < 9; c++) {
            double a = v[0][e][c], b = v[1][e][c];
            cr_expect(isfinite(b), "epoch %d %s is %g in bf16-emulated", e + 1, names[c], b);
            double band = c <= 3 ? 0.25 * fabs(a) : 0.1;
            cr_expect(fabs(a - b) <= band, "epoch %d %s: fp32 %g, bf16-emulated %g (band %g)",
                      e + 1, names[c], a, b, band);
        }
}
