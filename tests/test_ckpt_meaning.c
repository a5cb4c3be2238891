/* Checkpoints are checked for meaning, not only CRCs (issue 22, item 6):
 * a CRC-valid checkpoint.bin whose values no run can write (NaN weights or
 * noise, an all-zero RNG state, epoch sums of 0xff bytes, a step of -1 or
 * 10^9) is refused with exit 2 and a line naming the file and the section,
 * by resume and by gan sample/export --run.
 *
 * Each test trains a tiny run through the built binary, rewrites one part
 * of its checkpoint with matching CRCs (the container of docs/FORMATS.md,
 * rebuilt here with zlib, independently of src/checkpoint.c), and runs the
 * readers. Skipped without data/mnist. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <zlib.h>

#include "test_cli.h"

#define SMALL_NETS "--g-hidden=32,64", "--d-hidden=64,32"
/* 256 images in batches of 64: 4 steps an epoch. */
#define TINY "--limit=256", "--batch=64", "--threads=1", "--seed=5", SMALL_NETS
#define TINY_STEPS 4

/* Section tags of docs/FORMATS.md, "checkpoint.bin". */
enum {
    TAG_G_PARAMS = 1, TAG_G_ADAM_V = 3, TAG_D_PARAMS = 4, TAG_ADAM_STEPS = 7, TAG_RNG = 8,
    TAG_FIXED_NOISE = 9, TAG_SUMS = 10
};
/* Section 10: d_loss, g_loss, d_real, d_fake, acc_real, acc_fake, seconds,
 * steps (doubles). */
enum { SUM_D_LOSS, SUM_G_LOSS, SUM_D_REAL, SUM_D_FAKE, SUM_ACC_REAL, SUM_ACC_FAKE, SUM_SECONDS,
       SUM_STEPS, N_SUMS };

TestSuite(ckpt_meaning, .fini = teardown, .timeout = 300);

/* ---- a checkpoint taken apart and put back together ------------------- */

#define MAX_SECTIONS 32

typedef struct {
    char *header; /* tracked, NUL-terminated */
    int n;
    uint32_t tag[MAX_SECTIONS];
    uint8_t *data[MAX_SECTIONS]; /* tracked copies */
    uint64_t len[MAX_SECTIONS];
} tckpt_t;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void tckpt_read(tckpt_t *c, const char *path)
{
    size_t n;
    uint8_t *b = (uint8_t *)must_read(path, &n);
    cr_assert(n >= 16 && memcmp(b, "GANCKPT1", 8) == 0, "%s: not a checkpoint", path);
    uint32_t hlen = le32(b + 12);
    c->header = track(malloc(hlen + 1));
    memcpy(c->header, b + 16, hlen);
    c->header[hlen] = '\0';
    size_t pos = 16 + (size_t)hlen + 4;
    c->n = 0;
    while (pos < n) {
        cr_assert(c->n < MAX_SECTIONS);
        uint64_t len = le32(b + pos + 4) | (uint64_t)le32(b + pos + 8) << 32;
        c->tag[c->n] = le32(b + pos);
        c->len[c->n] = len;
        c->data[c->n] = track(malloc(len ? len : 1));
        memcpy(c->data[c->n], b + pos + 12, len);
        c->n++;
        pos += 12 + len + 4;
    }
}

/* Writes c with every CRC computed (zlib's crc32). */
static void tckpt_write(const tckpt_t *c, const char *path)
{
    size_t hlen = strlen(c->header), size = 16 + hlen + 4;
    for (int i = 0; i < c->n; i++)
        size += 12 + c->len[i] + 4;
    uint8_t *b = track(malloc(size)), *p = b;
    memcpy(p, "GANCKPT1", 8);
    put32(p + 8, 1);
    put32(p + 12, (uint32_t)hlen);
    memcpy(p + 16, c->header, hlen);
    put32(p + 16 + hlen, (uint32_t)crc32(0, (const Bytef *)c->header, (uInt)hlen));
    p += 16 + hlen + 4;
    for (int i = 0; i < c->n; i++) {
        put32(p, c->tag[i]);
        put32(p + 4, (uint32_t)c->len[i]);
        put32(p + 8, (uint32_t)(c->len[i] >> 32));
        memcpy(p + 12, c->data[i], c->len[i]);
        put32(p + 12 + c->len[i], (uint32_t)crc32(0, c->data[i], (uInt)c->len[i]));
        p += 12 + c->len[i] + 4;
    }
    test_write_file(path, b, size);
}

static uint8_t *tckpt_section(tckpt_t *c, uint32_t tag, uint64_t *len)
{
    for (int i = 0; i < c->n; i++)
        if (c->tag[i] == tag) {
            if (len)
                *len = c->len[i];
            return c->data[i];
        }
    cr_assert_fail("no section %u", tag);
    return NULL;
}

/* Replaces the number after "key": in the header with value. */
static void tckpt_set_header(tckpt_t *c, const char *key, const char *value)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\": ", key);
    char *at = strstr(c->header, quoted);
    cr_assert_not_null(at, "no %s in the header", key);
    char *start = at + strlen(quoted), *end = start;
    while (*end && *end != ',' && *end != '\n' && *end != '}')
        end++;
    char *h = track(malloc(strlen(c->header) + strlen(value) + 1));
    sprintf(h, "%.*s%s%s", (int)(start - c->header), c->header, value, end);
    c->header = h;
}

static double get_sum(tckpt_t *c, int i)
{
    double v;
    memcpy(&v, tckpt_section(c, TAG_SUMS, NULL) + i * sizeof v, sizeof v);
    return v;
}

static void set_sum(tckpt_t *c, int i, double v)
{
    memcpy(tckpt_section(c, TAG_SUMS, NULL) + i * sizeof v, &v, sizeof v);
}

static void set_float(tckpt_t *c, uint32_t tag, size_t i, float v)
{
    uint64_t len;
    uint8_t *d = tckpt_section(c, tag, &len);
    cr_assert(len >= (i + 1) * sizeof v);
    memcpy(d + i * sizeof v, &v, sizeof v);
}

static void add_adam_steps(tckpt_t *c, int64_t delta)
{
    int64_t s[2];
    uint8_t *d = tckpt_section(c, TAG_ADAM_STEPS, NULL);
    memcpy(s, d, sizeof s);
    s[0] += delta;
    s[1] += delta;
    memcpy(d, s, sizeof s);
}

/* ---- runs and expectations --------------------------------------------- */

/* A one-epoch tiny run in tmp_dir/run, its checkpoint read into c. */
static char *trained_run(tckpt_t *c)
{
    need_mnist();
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "ckptmean");
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", TINY);
    tckpt_read(c, join(run, "checkpoint.bin"));
    return run;
}

/* c looks like a checkpoint written 2 steps into epoch 2 (sums of 2 steps
 * that a run could have made): the base of the range checks of sums. */
static void make_mid_epoch(tckpt_t *c)
{
    tckpt_set_header(c, "step", "2");
    tckpt_set_header(c, "epochs", "2");
    add_adam_steps(c, 2);
    static const double sums[N_SUMS] = {2.6, 1.4, 1.1, 0.9, 1.5, 1.0, 0.01, 2};
    for (int i = 0; i < N_SUMS; i++)
        set_sum(c, i, sums[i]);
}

static void expect_refused_msg(int rc, const char *what, const char *needle)
{
    char *err = last_stderr();
    cr_expect_eq(rc, 2, "%s exited %d, expected 2: %s", what, rc, err);
    cr_expect_not_null(strstr(err, needle), "%s: '%s' lacks '%s'", what, err, needle);
    cr_expect_not_null(strstr(err, "checkpoint.bin"), "%s: '%s' does not name the file", what,
                       err);
}

/* Resume refuses the checkpoint of run (written from c) naming needle. */
static void expect_resume_refused(const char *run, tckpt_t *c, const char *needle)
{
    tckpt_write(c, join(run, "checkpoint.bin"));
    expect_refused_msg(GAN("train", "--resume", run, "--epochs=3"), "resume", needle);
}

/* gan sample --run and gan export --run refuse it too. */
static void expect_readers_refuse(const char *run, tckpt_t *c, const char *needle)
{
    tckpt_write(c, join(run, "checkpoint.bin"));
    expect_refused_msg(GAN("sample", "--run", run, "-o", tmp_path("s.png")), "sample", needle);
    cr_expect(!exists(tmp_path("s.png")), "sample wrote an image from it");
    expect_refused_msg(GAN("export", "--run", run, "--out", tmp_path("w")), "export", needle);
}

/* ---- the control: a rewritten but unchanged checkpoint still works ------ */

Test(ckpt_meaning, a_checkpoint_rewritten_unchanged_still_resumes_and_a_crafted_mid_epoch_one_too)
{
    tckpt_t c;
    char *run = trained_run(&c);
    tckpt_write(&c, join(run, "checkpoint.bin"));
    GAN_OK("sample", "--run", run, "-o", tmp_path("s.png"));
    /* The base of the sums tests is itself accepted: a refusal there is the
     * one value each test changes. */
    make_mid_epoch(&c);
    tckpt_write(&c, join(run, "checkpoint.bin"));
    GAN_OK("sample", "--run", run, "-o", tmp_path("s2.png"));
}

/* ---- epoch sums ---------------------------------------------------------- */

Test(ckpt_meaning, epoch_sums_of_0xff_bytes_are_refused_naming_the_section)
{
    tckpt_t c;
    char *run = trained_run(&c);
    uint64_t len;
    uint8_t *sums = tckpt_section(&c, TAG_SUMS, &len);
    memset(sums, 0xff, len);
    expect_resume_refused(run, &c, "section 'epoch sums'");
    cr_expect(strstr(must_read(join(run, "metrics.csv"), NULL), "nan") == NULL,
              "a nan row reached metrics.csv");
}

Test(ckpt_meaning, a_nan_d_loss_sum_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    make_mid_epoch(&c);
    set_sum(&c, SUM_D_LOSS, NAN);
    expect_resume_refused(run, &c, "section 'epoch sums': the d_loss sum is nan");
}

Test(ckpt_meaning, a_negative_g_loss_sum_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    make_mid_epoch(&c);
    set_sum(&c, SUM_G_LOSS, -0.5);
    expect_resume_refused(run, &c, "section 'epoch sums': the g_loss sum is -0.5, below 0");
}

Test(ckpt_meaning, a_negative_seconds_sum_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    make_mid_epoch(&c);
    set_sum(&c, SUM_SECONDS, -3);
    expect_resume_refused(run, &c, "section 'epoch sums': the seconds sum is -3");
}

Test(ckpt_meaning, an_accuracy_sum_above_the_step_count_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    make_mid_epoch(&c);
    set_sum(&c, SUM_ACC_REAL, 2.5);
    expect_resume_refused(run, &c, "section 'epoch sums': the acc_real sum is 2.5, above");
}

Test(ckpt_meaning, a_d_fake_sum_above_the_step_count_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    make_mid_epoch(&c);
    set_sum(&c, SUM_D_FAKE, 7);
    expect_resume_refused(run, &c, "section 'epoch sums': the d_fake sum is 7, above");
}

Test(ckpt_meaning, a_steps_sum_other_than_the_header_step_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    set_sum(&c, SUM_STEPS, 3); /* the header says step 0 */
    expect_resume_refused(run, &c, "section 'epoch sums': 3 steps summed, but the header says "
                                   "step 0");
}

Test(ckpt_meaning, a_negative_steps_sum_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    set_sum(&c, SUM_STEPS, -1);
    expect_resume_refused(run, &c, "section 'epoch sums'");
}

Test(ckpt_meaning, sums_after_zero_steps_are_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    cr_assert_eq(get_sum(&c, SUM_STEPS), 0.0, "an epoch-end checkpoint sums 0 steps");
    set_sum(&c, SUM_D_LOSS, 0.5);
    expect_resume_refused(run, &c, "section 'epoch sums': the d_loss sum is 0.5 after 0 steps");
}

/* ---- weights, Adam, noise, RNG -------------------------------------------- */

Test(ckpt_meaning, nan_g_weights_are_refused_by_resume_sample_and_export)
{
    tckpt_t c;
    char *run = trained_run(&c);
    set_float(&c, TAG_G_PARAMS, 17, NAN);
    expect_readers_refuse(run, &c, "section 'G params': value 17");
    expect_resume_refused(run, &c, "section 'G params': value 17");
}

Test(ckpt_meaning, infinite_d_weights_are_refused_by_resume_sample_and_export)
{
    tckpt_t c;
    char *run = trained_run(&c);
    set_float(&c, TAG_D_PARAMS, 0, INFINITY);
    expect_readers_refuse(run, &c, "section 'D params': value 0");
    expect_resume_refused(run, &c, "section 'D params'");
}

Test(ckpt_meaning, a_negative_adam_v_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    set_float(&c, TAG_G_ADAM_V, 5, -1.0f);
    expect_resume_refused(run, &c, "section 'G Adam v': value 5");
}

Test(ckpt_meaning, nan_fixed_noise_is_refused_by_resume_and_sample)
{
    tckpt_t c;
    char *run = trained_run(&c);
    set_float(&c, TAG_FIXED_NOISE, 3, NAN);
    expect_readers_refuse(run, &c, "section 'fixed noise': value 3");
    expect_resume_refused(run, &c, "section 'fixed noise'");
}

Test(ckpt_meaning, fixed_noise_beyond_what_normal_draws_reach_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    set_float(&c, TAG_FIXED_NOISE, 0, 1e6f);
    expect_resume_refused(run, &c, "section 'fixed noise': value 0");
}

Test(ckpt_meaning, an_all_zero_rng_state_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    uint8_t *rng = tckpt_section(&c, TAG_RNG, NULL);
    memset(rng, 0, 32); /* the four xoshiro256** words; spare flag unchanged */
    expect_resume_refused(run, &c, "section 'RNG': an all-zero");
}

Test(ckpt_meaning, adam_step_counts_that_disagree_with_epoch_and_step_are_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    add_adam_steps(&c, 1);
    expect_resume_refused(run, &c, "section 'Adam steps'");
    add_adam_steps(&c, -1 - TINY_STEPS - 1); /* -1 */
    expect_resume_refused(run, &c, "section 'Adam steps': a negative step count");
}

/* ---- the position in the header ------------------------------------------ */

Test(ckpt_meaning, step_minus_one_is_refused_by_sample)
{
    tckpt_t c;
    char *run = trained_run(&c);
    tckpt_set_header(&c, "step", "-1");
    expect_readers_refuse(run, &c, "header: step is -1");
}

Test(ckpt_meaning, step_of_a_billion_is_refused_by_sample)
{
    tckpt_t c;
    char *run = trained_run(&c);
    tckpt_set_header(&c, "step", "1000000000");
    expect_readers_refuse(run, &c, "header: step 1000000000 of an epoch of 4 steps");
}

Test(ckpt_meaning, a_step_of_a_billion_consistent_with_every_count_is_refused)
{
    /* Header step, Adam counts and sums all say 10^9: only the steps an
     * epoch (recorded in the header) gives it away. */
    tckpt_t c;
    char *run = trained_run(&c);
    tckpt_set_header(&c, "step", "1000000000");
    tckpt_set_header(&c, "epochs", "2");
    add_adam_steps(&c, 1000000000);
    set_sum(&c, SUM_STEPS, 1e9);
    expect_readers_refuse(run, &c, "of an epoch of 4 steps");
}

Test(ckpt_meaning, an_epoch_beyond_the_runs_epochs_is_refused)
{
    tckpt_t c;
    char *run = trained_run(&c);
    tckpt_set_header(&c, "epoch", "7");
    expect_readers_refuse(run, &c, "header: epoch is 7");
}

Test(ckpt_meaning, a_kept_epoch_with_nan_weights_is_refused_by_sample)
{
    need_mnist();
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "ckptmean");
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=1", "--keep-every=1", TINY);
    char *kept = join(run, "checkpoints/epoch_0001.bin");
    tckpt_t c;
    tckpt_read(&c, kept);
    set_float(&c, TAG_G_PARAMS, 2, NAN);
    tckpt_write(&c, kept);
    int rc = GAN("sample", "--run", run, "--epoch=1", "-o", tmp_path("s.png"));
    char *err = last_stderr();
    cr_expect_eq(rc, 2, "sample exited %d: %s", rc, err);
    cr_expect_not_null(strstr(err, "epoch_0001.bin: section 'G params': value 2"), "'%s'", err);
}
