/* Tests for the softmax cross entropy (src/loss.c), the MNIST classifier
 * (src/classifier.c) and the `gan classifier` / `gan eval` command lines.
 *
 * The loss is checked against central differences of an independent
 * double-precision reference written here (plain log(sum(exp)), no
 * shifting, no library code) and against hand-derived values. The
 * classifier is trained on a tiny synthetic task (8 x 8 images, one noisy
 * prototype per class) so these tests need no data; the accuracy on real
 * MNIST is asserted in test_frechet.c. The CLI tests run GAN_BIN (set by
 * the Makefile) with outputs captured in a temporary folder; the one that
 * evaluates a real run skips when data/mnist is absent. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gan/checkpoint.h"
#include "gan/classifier.h"
#include "gan/loss.h"
#include "gan/rng.h"
#include "test_util.h"

#ifndef GAN_BIN
#define GAN_BIN "build/rel/gan"
#endif

#define MNIST_TRAIN "data/mnist/train-images-idx3-ubyte.gz"

static char tmp_dir[64];
static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "classifier"); }
static void remove_tmp_dir(void) { test_tmpdir_remove(tmp_dir); }
static test_path_t tmp_path(const char *name) { return test_path(tmp_dir, name); }

/* ---- softmax cross entropy ---------------------------------------------- */

TestSuite(softmax_ce);

#define CE_B 6
#define CE_K 10
#define FD_H 1e-5
/* The reference is good to ~1e-10 (h = 1e-5 central differences in
 * double). The library's dlogits are doubles rounded once to float:
 * relative error <= 6e-8 on entries of size <= 1/B. rtol 1e-6 leaves 16x
 * headroom; atol 1e-8 covers entries that round near 0. A wrong formula
 * (a missing 1/B, softmax without the one-hot) is off by O(1). */
#define CE_ATOL 1e-8
#define CE_RTOL 1e-6

/* Mean over rows of log(sum_j exp(x_j)) - x_label, naively in double. */
static double ref_ce(const double *x, const int *labels, int batch, int k)
{
    double sum = 0.0;
    for (int b = 0; b < batch; b++) {
        double s = 0.0;
        for (int j = 0; j < k; j++)
            s += exp(x[b * k + j]);
        sum += log(s) - x[b * k + labels[b]];
    }
    return sum / batch;
}

static void check_ce_gradient(float scale, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed, 0);
    float x[CE_B * CE_K], d[CE_B * CE_K];
    double xd[CE_B * CE_K], g[CE_B * CE_K], want[CE_B * CE_K];
    int labels[CE_B];
    for (int i = 0; i < CE_B * CE_K; i++) {
        x[i] = 3.0f * rng_normal(&rng);
        xd[i] = x[i];
    }
    for (int b = 0; b < CE_B; b++)
        labels[b] = (int)rng_below(&rng, CE_K);
    float loss = softmax_ce(d, x, labels, CE_B, CE_K, scale);
    double ref = ref_ce(xd, labels, CE_B, CE_K);
    cr_expect(fabs(loss - ref) <= 1e-6 * fabs(ref), "loss %.9g, reference %.12g", (double)loss,
              ref);
    cr_expect(softmax_ce(NULL, x, labels, CE_B, CE_K, scale) == loss,
              "the loss changes when dlogits is NULL");
    for (int i = 0; i < CE_B * CE_K; i++) {
        double saved = xd[i];
        xd[i] = saved + FD_H;
        double lp = ref_ce(xd, labels, CE_B, CE_K);
        xd[i] = saved - FD_H;
        double lm = ref_ce(xd, labels, CE_B, CE_K);
        xd[i] = saved;
        /* dlogits = scale * B * d(mean)/dx: scale 1/B gives the mean's gradient */
        want[i] = (lp - lm) / (2.0 * FD_H) * scale * CE_B;
        g[i] = d[i];
    }
    char label[64];
    snprintf(label, sizeof label, "softmax_ce dlogits (scale %g)", (double)scale);
    expect_close_d(g, want, CE_B * CE_K, CE_ATOL, CE_RTOL, label);
}

Test(softmax_ce, gradient_of_mean_matches_central_differences)
{
    check_ce_gradient(1.0f / CE_B, 31);
}

Test(softmax_ce, scale_multiplies_gradient)
{
    check_ce_gradient(0.37f, 32);
    check_ce_gradient(-2.5f, 33);
}

/* Hand-derived. x = (0, 0, 0): loss ln 3 = 1.0986122886681098 for any
 * label, softmax 1/3 each. x = (1, 2, 3): logsumexp = 3 + log(1 + e^-1 +
 * e^-2), so label 2 gives log(1 + e^-1 + e^-2) = 0.40760596444438013 and
 * label 0 gives 2 more, 2.40760596444438; softmax = (e^-2, e^-1, 1) /
 * (1 + e^-1 + e^-2) = (0.09003057317038048, 0.2447284710547977,
 * 0.665240955774822). Float results: rtol 2e-7 (about 2 ulp). */
Test(softmax_ce, exact_values)
{
    const float zeros[3] = {0.0f, 0.0f, 0.0f}, x[3] = {1.0f, 2.0f, 3.0f};
    const double p[3] = {0.09003057317038048, 0.2447284710547977, 0.665240955774822};
    float d[3];
    int label = 1;
    float loss = softmax_ce(d, zeros, &label, 1, 3, 1.0f);
    cr_expect(fabs(loss - 1.0986122886681098) <= 2e-7 * 1.0986122886681098, "ln 3: %.9g",
              (double)loss);
    const float third[3] = {1.0f / 3.0f, -2.0f / 3.0f, 1.0f / 3.0f};
    expect_close(d, third, 3, 0.0, 2e-7, "dlogits at 0 with label 1");

    label = 2;
    loss = softmax_ce(d, x, &label, 1, 3, 1.0f);
    cr_expect(fabs(loss - 0.40760596444438013) <= 2e-7 * 0.40760596444438013, "label 2: %.9g",
              (double)loss);
    const float want2[3] = {(float)p[0], (float)p[1], (float)(p[2] - 1.0)};
    expect_close(d, want2, 3, 0.0, 2e-7, "dlogits of (1,2,3) with label 2");

    label = 0;
    loss = softmax_ce(d, x, &label, 1, 3, 0.5f);
    cr_expect(fabs(loss - 2.40760596444438) <= 2e-7 * 2.40760596444438, "label 0: %.9g",
              (double)loss);
    const float want0[3] = {(float)(0.5 * (p[0] - 1.0)), (float)(0.5 * p[1]), (float)(0.5 * p[2])};
    expect_close(d, want0, 3, 0.0, 2e-7, "dlogits of (1,2,3) with label 0, scale 0.5");

    /* Two rows: the mean of the two losses. */
    const float both[6] = {1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 0.0f};
    const int labels[2] = {2, 0};
    double mean = (0.40760596444438013 + 1.0986122886681098) / 2.0;
    loss = softmax_ce(NULL, both, labels, 2, 3, 0.5f);
    cr_expect(fabs(loss - mean) <= 2e-7 * mean, "mean of two rows %.9g, expected %.12g",
              (double)loss, mean);
}

Test(softmax_ce, is_finite_and_exact_for_huge_logits)
{
    /* exp(1000) overflows a double and exp(-1000) underflows to 0: the
     * shifted form gives loss 0 for the right class and 2000 for the wrong
     * one, with gradients (0,0,0) and (1,0,-1). */
    const float x[3] = {1000.0f, 0.0f, -1000.0f};
    float d[3];
    int label = 0;
    cr_expect_eq(softmax_ce(d, x, &label, 1, 3, 1.0f), 0.0f);
    const float zero[3] = {0.0f, 0.0f, 0.0f};
    expect_close(d, zero, 3, 0.0, 0.0, "dlogits, right class");
    label = 2;
    cr_expect_eq(softmax_ce(d, x, &label, 1, 3, 1.0f), 2000.0f);
    const float wrong[3] = {1.0f, 0.0f, -1.0f};
    expect_close(d, wrong, 3, 0.0, 0.0, "dlogits, wrong class");
    const float big[2] = {-1e30f, 1e30f};
    label = 0;
    float loss = softmax_ce(d, big, &label, 1, 2, 1.0f);
    cr_expect(isfinite(loss) && isfinite(d[0]) && isfinite(d[1]), "loss %g, d (%g, %g)",
              (double)loss, (double)d[0], (double)d[1]);
}

Test(softmax_ce, softmax_rows_match_hand_values_and_sum_to_one)
{
    const float x[6] = {1.0f, 2.0f, 3.0f, 1000.0f, 0.0f, -1000.0f};
    float p[6];
    softmax_rows(p, x, 2, 3);
    const float want[6] = {0.09003057317038048f, 0.2447284710547977f, 0.665240955774822f,
                           1.0f, 0.0f, 0.0f};
    expect_close(p, want, 6, 0.0, 2e-7, "softmax rows");
    float in_place[3] = {1.0f, 2.0f, 3.0f};
    softmax_rows(in_place, in_place, 1, 3);
    expect_close(in_place, want, 3, 0.0, 2e-7, "softmax in place");
}

/* ---- the classifier on a synthetic task --------------------------------- */

TestSuite(classifier, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 60);

enum { SYN_SIDE = 8, SYN_N = 400 };

/* SYN_N images of 8 x 8: class c is a fixed random prototype of its own
 * plus noise of +-40 grey levels, so the classes are separable but not
 * trivially. Caller frees with mnist_free. */
static void synthetic_set(mnist_t *ds, uint64_t seed)
{
    const int d = SYN_SIDE * SYN_SIDE;
    uint8_t proto[CLASSIFIER_N_CLASSES][SYN_SIDE * SYN_SIDE];
    rng_t rng;
    rng_seed(&rng, 77, 0);
    for (int c = 0; c < CLASSIFIER_N_CLASSES; c++)
        for (int i = 0; i < d; i++)
            proto[c][i] = (uint8_t)rng_below(&rng, 256);
    rng_seed(&rng, seed, 1);
    ds->n = SYN_N;
    ds->rows = ds->cols = SYN_SIDE;
    ds->images = malloc((size_t)SYN_N * d);
    ds->labels = malloc(SYN_N);
    cr_assert(ds->images && ds->labels);
    for (int n = 0; n < SYN_N; n++) {
        int c = (int)rng_below(&rng, CLASSIFIER_N_CLASSES);
        ds->labels[n] = (uint8_t)c;
        for (int i = 0; i < d; i++) {
            int v = proto[c][i] + (int)rng_below(&rng, 81) - 40;
            ds->images[(size_t)n * d + i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

static classifier_cfg_t small_cfg(uint64_t seed)
{
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg);
    cfg.image_size = SYN_SIDE * SYN_SIDE;
    cfg.n_hidden = 2;
    cfg.hidden[0] = 32;
    cfg.hidden[1] = 16;
    cfg.adam.lr = 3e-3f;
    cfg.lr_final = 1e-3f;
    cfg.batch = 16;
    cfg.epochs = 8;
    cfg.seed = seed;
    return cfg;
}

/* Trains a small classifier for cfg.epochs epochs on ds. */
static void train_small(classifier_t *c, const classifier_cfg_t *cfg, const mnist_t *ds,
                        classifier_epoch_t *last)
{
    gan_err_t err;
    cr_assert_eq(classifier_create(c, cfg, cfg->batch, &err), GAN_OK, "%s", err.msg);
    for (int e = 0; e < cfg->epochs; e++)
        cr_assert_eq(classifier_train_epoch(c, ds, last, &err), GAN_OK, "%s", err.msg);
}

Test(classifier, learns_a_separable_synthetic_task)
{
    mnist_t train, test;
    synthetic_set(&train, 1);
    synthetic_set(&test, 2);
    classifier_cfg_t cfg = small_cfg(5);
    classifier_t c;
    gan_err_t err;
    cr_assert_eq(classifier_create(&c, &cfg, cfg.batch, &err), GAN_OK, "%s", err.msg);
    double before;
    cr_assert_eq(classifier_accuracy(&before, &c, &test, &err), GAN_OK, "%s", err.msg);
    classifier_epoch_t first, last;
    cr_assert_eq(classifier_train_epoch(&c, &train, &first, &err), GAN_OK, "%s", err.msg);
    for (int e = 1; e < cfg.epochs; e++)
        cr_assert_eq(classifier_train_epoch(&c, &train, &last, &err), GAN_OK, "%s", err.msg);
    double after;
    cr_assert_eq(classifier_accuracy(&after, &c, &test, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(first.n, SYN_N);
    cr_expect_eq(c.epoch, cfg.epochs);
    cr_expect(last.loss < 0.5 * first.loss, "loss %.4f -> %.4f", first.loss, last.loss);
    /* Chance is 0.1; the prototypes are 100+ grey levels apart on average. */
    cr_expect(after >= 0.95, "test accuracy %.3f after %d epochs (%.3f before)", after,
              cfg.epochs, before);
    classifier_destroy(&c);
    classifier_destroy(&c); /* destroy twice is fine */
    mnist_free(&train);
    mnist_free(&test);
}

Test(classifier, training_is_deterministic_for_a_seed)
{
    mnist_t ds;
    synthetic_set(&ds, 3);
    classifier_cfg_t cfg = small_cfg(9);
    cfg.epochs = 2;
    classifier_t a, b, other;
    classifier_epoch_t sa, sb, so;
    train_small(&a, &cfg, &ds, &sa);
    train_small(&b, &cfg, &ds, &sb);
    classifier_cfg_t cfg2 = cfg;
    cfg2.seed = 10;
    train_small(&other, &cfg2, &ds, &so);
    cr_expect(memcmp(a.net.params, b.net.params, a.net.n_params * sizeof(float)) == 0,
              "two runs with seed 9 differ");
    cr_expect_eq(sa.loss, sb.loss);
    cr_expect(memcmp(a.net.params, other.net.params, a.net.n_params * sizeof(float)) != 0,
              "seeds 9 and 10 give the same weights");
    classifier_destroy(&a);
    classifier_destroy(&b);
    classifier_destroy(&other);
    mnist_free(&ds);
}

Test(classifier, learning_rate_falls_linearly_to_lr_final)
{
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg);
    cr_expect_float_eq(classifier_lr(&cfg, 0), 1e-3f, 1e-9);
    cr_expect_float_eq(classifier_lr(&cfg, 9), 1e-4f, 1e-9);
    cr_expect_float_eq(classifier_lr(&cfg, 5), 1e-3f - 5.0f / 9.0f * 9e-4f, 1e-9);
    cr_expect_float_eq(classifier_lr(&cfg, 20), 1e-4f, 1e-9); /* past the end: lr_final */
    cfg.epochs = 1;
    cr_expect_float_eq(classifier_lr(&cfg, 0), 1e-3f, 1e-9);
}

Test(classifier, predict_gives_post_relu_features_and_probabilities)
{
    mnist_t ds;
    synthetic_set(&ds, 4);
    classifier_cfg_t cfg = small_cfg(3);
    classifier_t c;
    classifier_epoch_t st;
    train_small(&c, &cfg, &ds, &st);
    cr_assert_eq(classifier_n_features(&c), 16);
    enum { B = 7 };
    float x[B * SYN_SIDE * SYN_SIDE], feat[B * 16], probs[B * CLASSIFIER_N_CLASSES];
    uint32_t rows[B] = {0, 1, 2, 3, 4, 5, 6};
    mnist_batch(x, &ds, rows, B);
    classifier_predict(&c, feat, probs, x, B);
    int negative = 0, positive = 0;
    for (int i = 0; i < B * 16; i++) {
        negative += feat[i] < 0.0f;
        positive += feat[i] > 0.0f;
    }
    cr_expect_eq(negative, 0, "%d negative features after ReLU", negative);
    cr_expect(positive > 0, "every feature is 0");
    for (int b = 0; b < B; b++) {
        double sum = 0.0;
        for (int j = 0; j < CLASSIFIER_N_CLASSES; j++)
            sum += probs[b * CLASSIFIER_N_CLASSES + j];
        cr_expect(fabs(sum - 1.0) < 1e-6, "row %d sums to %.9f", b, sum);
    }
    /* The features are the last hidden layer: the logits are W3 f + b3. */
    const mlp_layer_t *out = &c.net.layers[c.net.n_layers - 1];
    const float *w = c.net.params + out->w_off, *bias = c.net.params + out->b_off;
    float logits[B * CLASSIFIER_N_CLASSES];
    for (int b = 0; b < B; b++)
        for (int j = 0; j < CLASSIFIER_N_CLASSES; j++) {
            double s = bias[j];
            for (int i = 0; i < 16; i++)
                s += (double)w[j * 16 + i] * feat[b * 16 + i];
            logits[b * CLASSIFIER_N_CLASSES + j] = (float)s;
        }
    softmax_rows(logits, logits, B, CLASSIFIER_N_CLASSES);
    expect_close(probs, logits, B * CLASSIFIER_N_CLASSES, 1e-6, 1e-5,
                 "probabilities from the features");
    classifier_predict(&c, NULL, NULL, x, B); /* both outputs optional */
    classifier_destroy(&c);
    mnist_free(&ds);
}

Test(classifier, rejects_images_of_another_size)
{
    mnist_t ds;
    synthetic_set(&ds, 5);
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg); /* 784 pixels */
    cfg.hidden[0] = 8, cfg.hidden[1] = 8;
    classifier_t c;
    gan_err_t err;
    cr_assert_eq(classifier_create(&c, &cfg, cfg.batch, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(classifier_train_epoch(&c, &ds, NULL, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "8 x 8"), "%s", err.msg);
    double acc;
    cr_expect_eq(classifier_accuracy(&acc, &c, &ds, &err), GAN_ERR_INPUT);
    classifier_destroy(&c);
    mnist_free(&ds);
}

Test(classifier, bad_settings_are_refused)
{
    classifier_cfg_t cfg;
    classifier_t c;
    gan_err_t err;
    classifier_cfg_default(&cfg);
    cfg.batch = 0;
    cr_expect_eq(classifier_create(&c, &cfg, 16, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "batch"), "%s", err.msg);
    classifier_cfg_default(&cfg);
    cfg.n_hidden = 0;
    cr_expect_eq(classifier_create(&c, &cfg, 16, &err), GAN_ERR_INPUT);
    classifier_cfg_default(&cfg);
    cfg.adam.lr = 0.0f;
    cr_expect_eq(classifier_create(&c, &cfg, 16, &err), GAN_ERR_INPUT);
    classifier_destroy(&c);
}

/* ---- saving and loading -------------------------------------------------- */

Test(classifier, save_then_load_gives_the_same_net)
{
    mnist_t ds;
    synthetic_set(&ds, 6);
    classifier_cfg_t cfg = small_cfg(4);
    cfg.epochs = 1;
    classifier_t c, back;
    classifier_epoch_t st;
    train_small(&c, &cfg, &ds, &st);
    gan_err_t err;
    test_path_t path = tmp_path("clf.bin");
    cr_assert_eq(classifier_save(&c, path.s, 0.875, &err), GAN_OK, "%s", err.msg);
    double acc = -1.0;
    cr_assert_eq(classifier_load(&back, path.s, 5, &acc, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(acc, 0.875);
    cr_expect_eq(back.max_batch, 5);
    cr_expect_eq(back.epoch, 1);
    cr_expect_eq(back.cfg.image_size, 64);
    cr_expect_eq(back.cfg.n_hidden, 2);
    cr_expect_eq(back.cfg.hidden[0], 32);
    cr_expect_eq(back.cfg.hidden[1], 16);
    cr_expect_eq(back.cfg.seed, 4);
    cr_assert_eq(back.net.n_params, c.net.n_params);
    cr_expect(memcmp(back.net.params, c.net.params, c.net.n_params * sizeof(float)) == 0,
              "parameters differ after a round trip");
    char *header = test_read_file(path.s, NULL);
    cr_expect_not_null(strstr(header + 16, "\"kind\": \"mnist-classifier\""),
                       "header without the kind");
    cr_expect_not_null(strstr(header + 16, "\"sizes\": [64, 32, 16, 10]"),
                       "header without the sizes");
    free(header);
    classifier_destroy(&c);
    classifier_destroy(&back);
    mnist_free(&ds);
}

static void write_ckpt(const char *path, const char *header, const void *data, uint64_t len)
{
    ckpt_section_t s = {1, data, len};
    gan_err_t err;
    cr_assert_eq(ckpt_write(path, header, &s, 1, &err), GAN_OK, "%s", err.msg);
}

/* classifier_load of path fails with GAN_ERR_INPUT naming the file and
 * mentioning what. */
static void expect_load_error(const char *path, const char *what)
{
    classifier_t c;
    gan_err_t err;
    cr_expect_eq(classifier_load(&c, path, 8, NULL, &err), GAN_ERR_INPUT, "%s loaded", path);
    cr_expect_not_null(strstr(err.msg, path), "message does not name the file: %s", err.msg);
    cr_expect_not_null(strstr(err.msg, what), "message does not say '%s': %s", what, err.msg);
    classifier_destroy(&c); /* destroyable after an error */
}

Test(classifier, load_of_a_missing_file_says_how_to_make_one)
{
    expect_load_error(tmp_path("none.bin").s, "gan classifier train");
}

Test(classifier, load_refuses_another_kind_of_checkpoint)
{
    float params[4] = {0};
    test_path_t gan_ckpt = tmp_path("gan.bin"), other = tmp_path("other.bin");
    write_ckpt(gan_ckpt.s, "{\n  \"format\": \"gan checkpoint\",\n  \"epoch\": 3\n}\n", params,
               sizeof params);
    expect_load_error(gan_ckpt.s, "not an MNIST classifier");
    write_ckpt(other.s, "{\"kind\": \"fashion-classifier\", \"sizes\": [64, 16, 10]}", params,
               sizeof params);
    expect_load_error(other.s, "kind \"fashion-classifier\"");
}

Test(classifier, load_refuses_parameters_that_do_not_fit_the_sizes)
{
    /* 64-16-10 has 64*16+16 + 16*10+10 = 1210 parameters; give 1209. */
    float *params = calloc(1210, sizeof *params);
    cr_assert(params);
    test_path_t path = tmp_path("short.bin"), bad = tmp_path("sizes.bin");
    write_ckpt(path.s, "{\"kind\": \"mnist-classifier\", \"sizes\": [64, 16, 10]}", params,
               1209 * sizeof *params);
    expect_load_error(path.s, "parameters has 4836 bytes");
    write_ckpt(bad.s, "{\"kind\": \"mnist-classifier\", \"sizes\": [64, 16, 9]}", params,
               1210 * sizeof *params);
    expect_load_error(bad.s, "sizes");
    free(params);
}

Test(classifier, load_refuses_a_damaged_file)
{
    mnist_t ds;
    synthetic_set(&ds, 7);
    classifier_cfg_t cfg = small_cfg(4);
    classifier_t c;
    gan_err_t err;
    cr_assert_eq(classifier_create(&c, &cfg, 8, &err), GAN_OK, "%s", err.msg);
    test_path_t path = tmp_path("damaged.bin");
    cr_assert_eq(classifier_save(&c, path.s, 0.5, &err), GAN_OK, "%s", err.msg);
    size_t n;
    uint8_t *bytes = test_read_file(path.s, &n);
    bytes[n - 100] ^= 0x40; /* a parameter byte */
    test_write_file(path.s, bytes, n);
    free(bytes);
    expect_load_error(path.s, "CRC");
    classifier_destroy(&c);
    mnist_free(&ds);
}

/* ---- the command line ------------------------------------------------------ */

TestSuite(classifier_cli, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 120);

/* Runs GAN_BIN with args (a shell word list; this file only passes plain
 * words and tmp paths) from the repository root, stdout and stderr into
 * tmp_dir/out and tmp_dir/err; returns the exit code. */
static int run_gan(const char *args)
{
    if (access(GAN_BIN, X_OK) != 0)
        cr_skip_test("%s not built", GAN_BIN);
    char cmd[4096];
    int len = snprintf(cmd, sizeof cmd, "OPENBLAS_NUM_THREADS=1 '%s' %s >'%s/out' 2>'%s/err'",
                       GAN_BIN, args, tmp_dir, tmp_dir);
    cr_assert(len > 0 && (size_t)len < sizeof cmd);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc), "'%s' did not exit normally", cmd);
    return WEXITSTATUS(rc);
}

static char *captured(const char *name) { return test_read_file(tmp_path(name).s, NULL); }

/* Exit 2, nothing on stdout, one line on stderr starting with prefix and
 * mentioning needle (may be NULL). */
static void expect_usage_error(const char *args, const char *prefix, const char *needle)
{
    cr_expect_eq(run_gan(args), 2, "'%s' should exit 2", args);
    char *err = captured("err"), *out = captured("out");
    size_t len = strlen(err);
    cr_expect(len > 0 && strchr(err, '\n') == err + len - 1, "'%s': not one line: '%s'", args,
              err);
    cr_expect_eq(strncmp(err, prefix, strlen(prefix)), 0, "'%s': '%s' should start with '%s'",
                 args, err, prefix);
    if (needle)
        cr_expect_not_null(strstr(err, needle), "'%s': '%s' should mention '%s'", args, err,
                           needle);
    cr_expect_str_empty(out, "'%s' printed to stdout", args);
    free(err);
    free(out);
}

/* Writes a small untrained classifier for 28 x 28 images to path. */
static void write_classifier(const char *path)
{
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg);
    cfg.hidden[0] = 32, cfg.hidden[1] = 16;
    classifier_t c;
    gan_err_t err;
    cr_assert_eq(classifier_create(&c, &cfg, 8, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(classifier_save(&c, path, 0.1, &err), GAN_OK, "%s", err.msg);
    classifier_destroy(&c);
}

Test(classifier_cli, eval_bad_options_exit_2_with_one_line)
{
    static const struct {
        const char *args, *prefix, *needle;
    } cases[] = {
        {"eval", "gan: eval: --run=DIR is required", NULL},
        {"eval --n=100", "gan: eval: --run=DIR is required", NULL},
        {"eval --run=runs/x --n=1", "gan: --n=1: ", "between 2 and"},
        {"eval --run=runs/x --n=abc", "gan: --n=abc: ", "not a whole number"},
        {"eval --run=runs/x --n=100001", "gan: --n=100001: ", "between 2 and 100000"},
        {"eval --run=runs/x --seed=-1", "gan: --seed=-1: ", NULL},
        {"eval --run=runs/x --threads=257", "gan: --threads=257: ", NULL},
        {"eval --run=runs/x --bogus", "gan: eval: unknown option", "--bogus"},
        {"eval --run=runs/x --reference", "gan: eval: --run and --reference", NULL},
        {"eval --run=runs/x extra", "gan: eval: unexpected argument 'extra'", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error(cases[i].args, cases[i].prefix, cases[i].needle);
}

Test(classifier_cli, eval_without_a_classifier_file_says_how_to_make_one)
{
    char args[2048];
    test_path_t missing = tmp_path("missing.bin");
    snprintf(args, sizeof args, "eval --run='%s' --classifier='%s'", tmp_path("run").s,
             missing.s);
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "gan: %s: ", missing.s);
    expect_usage_error(args, prefix, "./gan classifier train");
}

/* Runs `env <env> GAN_BIN <args>` from tmp_dir/elsewhere (a folder without
 * data/), HOME and XDG_DATA_HOME inside tmp_dir and GAN_DATA unset unless
 * env sets it; stdout and stderr as run_gan's. Returns the exit code. */
static int run_gan_elsewhere(const char *env, const char *args)
{
    char cwd[1024], cmd[8192];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    int len = snprintf(cmd, sizeof cmd,
                       "mkdir -p '%s/elsewhere' && cd '%s/elsewhere' && env -u GAN_DATA "
                       "HOME='%s/home' XDG_DATA_HOME='%s/xdg' OPENBLAS_NUM_THREADS=1 %s "
                       "'%s/%s' %s >'%s/out' 2>'%s/err'",
                       tmp_dir, tmp_dir, tmp_dir, tmp_dir, env, cwd, GAN_BIN, args, tmp_dir,
                       tmp_dir);
    cr_assert(len > 0 && (size_t)len < sizeof cmd);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc), "'%s' did not exit normally", cmd);
    return WEXITSTATUS(rc);
}

/* Issue 16: with no classifier anywhere, gan train --eval-every and gan
 * eval name every place searched and the command that makes one, exit 2,
 * and create nothing. */
Test(classifier_cli, a_missing_classifier_names_every_place_searched_and_the_fix)
{
    if (access(MNIST_TRAIN, R_OK) != 0)
        cr_skip_test("%s missing: run ./download_mnist.sh", MNIST_TRAIN);
    char cwd[1024], args[4096], data_opt[1200], env[1200];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(data_opt, sizeof data_opt, "--data='%s/data/mnist'", cwd);
    test_path_t run = tmp_path("run"), noclf = tmp_path("noclf"), gan_data = tmp_path("gd");
    snprintf(args, sizeof args, "train --out='%s' --limit=256 --epochs=1 --g-hidden=32,64 "
             "--d-hidden=64,32 --threads=1 --quiet", run.s);
    cr_assert_eq(run_gan(args), 0, "a run to evaluate: %s", captured("err"));
    test_path_t xdg_place = tmp_path("xdg/gan/mnist-classifier.bin");
    char gd_place[600];
    snprintf(gd_place, sizeof gd_place, "%s/mnist-classifier.bin", gan_data.s);
    const char *const unset_places[] = {"$GAN_DATA (not set)", "data/mnist-classifier.bin",
                                        xdg_place.s, NULL};
    const char *const set_places[] = {gd_place, "data/mnist-classifier.bin", xdg_place.s, NULL};
    for (int with_gan_data = 0; with_gan_data <= 1; with_gan_data++) {
        if (with_gan_data)
            snprintf(env, sizeof env, "GAN_DATA='%s'", gan_data.s);
        else
            env[0] = '\0';
        const char *const *places = with_gan_data ? set_places : unset_places;
        for (int cmd = 0; cmd < 2; cmd++) {
            if (cmd == 0)
                snprintf(args, sizeof args, "train %s --eval-every=1 --out='%s' --limit=256 "
                         "--epochs=1 --quiet", data_opt, noclf.s);
            else
                snprintf(args, sizeof args, "eval --run='%s' %s", run.s, data_opt);
            int rc = run_gan_elsewhere(env, args);
            char *err = captured("err");
            cr_expect_eq(rc, 2, "%s (%s): exit %d; %s", args, env, rc, err);
            size_t len = strlen(err);
            cr_expect(len > 0 && strchr(err, '\n') == err + len - 1, "not one line: %s", err);
            for (int i = 0; places[i]; i++)
                cr_expect_not_null(strstr(err, places[i]), "%s (%s): '%s' not named: %s",
                                   cmd ? "eval" : "train", env, places[i], err);
            cr_expect_not_null(strstr(err, "./gan classifier train"), "no fix: %s", err);
            cr_expect_not_null(strstr(err, "--classifier=FILE"), "%s", err);
            if (cmd == 0)
                cr_expect_not_null(strstr(err, "--eval-every=1"), "train names why: %s", err);
            free(err);
            cr_expect_eq(access(noclf.s, F_OK), -1, "train created %s", noclf.s);
        }
    }
}

Test(classifier_cli, eval_refuses_a_file_that_is_not_a_classifier)
{
    test_path_t path = tmp_path("gan.bin");
    float params[4] = {0};
    write_ckpt(path.s, "{\n  \"format\": \"gan checkpoint\",\n  \"epoch\": 3\n}\n", params,
               sizeof params);
    char args[2048], prefix[1024];
    snprintf(args, sizeof args, "eval --run='%s' --classifier='%s'", tmp_path("run").s, path.s);
    snprintf(prefix, sizeof prefix, "gan: %s: not an MNIST classifier", path.s);
    expect_usage_error(args, prefix, "./gan classifier train");
}

Test(classifier_cli, eval_without_test_images_says_how_to_fetch_them)
{
    test_path_t clf = tmp_path("clf.bin");
    write_classifier(clf.s);
    char args[2048];
    snprintf(args, sizeof args, "eval --run='%s' --classifier='%s' --data='%s'",
             tmp_path("run").s, clf.s, tmp_path("nodata").s);
    expect_usage_error(args, "gan: ", "download_mnist.sh");
}

Test(classifier_cli, eval_of_a_missing_run_names_the_folder)
{
    if (access(MNIST_TRAIN, R_OK) != 0)
        cr_skip_test("%s missing: run ./download_mnist.sh", MNIST_TRAIN);
    test_path_t clf = tmp_path("clf.bin"), run = tmp_path("norun");
    write_classifier(clf.s);
    char args[2048], prefix[1024];
    snprintf(args, sizeof args, "eval --run='%s' --classifier='%s'", run.s, clf.s);
    snprintf(prefix, sizeof prefix, "gan: %s: no such run folder", run.s);
    expect_usage_error(args, prefix, NULL);
}

Test(classifier_cli, classifier_bad_usage_exits_2_with_one_line)
{
    test_path_t out = tmp_path("c.bin");
    char nodata[2048];
    snprintf(nodata, sizeof nodata, "classifier train --data='%s' --out='%s'",
             tmp_path("nodata").s, out.s);
    static const struct {
        const char *args, *prefix, *needle;
    } cases[] = {
        {"classifier", "gan: classifier: missing action", "train"},
        {"classifier test", "gan: classifier: unknown action 'test'", NULL},
        {"classifier train --epochs=0", "gan: --epochs=0: ", NULL},
        {"classifier train --epochs=x", "gan: --epochs=x: ", NULL},
        {"classifier train --batch=0", "gan: --batch=0: ", NULL},
        {"classifier train --lr=0", "gan: --lr=0: ", NULL},
        {"classifier train --lr=nan", "gan: --lr=nan: ", NULL},
        {"classifier train --seed=-3", "gan: --seed=-3: ", NULL},
        {"classifier train --bogus", "gan: classifier train: unknown option", "--bogus"},
        {"classifier train --out=", "gan: --out: empty", NULL},
        {"classifier train extra", "gan: classifier train: unexpected argument 'extra'", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error(cases[i].args, cases[i].prefix, cases[i].needle);
    expect_usage_error(nodata, "gan: ", "download_mnist.sh");
    cr_expect(access(out.s, F_OK) != 0, "a classifier file was written without data");
}

Test(classifier_cli, help_lists_options_with_defaults)
{
    cr_expect_eq(run_gan("eval --help"), 0);
    char *out = captured("out");
    const char *eval_words[] = {"--run", "--classifier", "data/mnist-classifier.bin", "--data",
                                "--n=N", "default 10000", "--seed", "--reference", "--threads"};
    for (size_t i = 0; i < sizeof eval_words / sizeof eval_words[0]; i++)
        cr_expect_not_null(strstr(out, eval_words[i]), "eval --help lacks '%s'", eval_words[i]);
    free(out);
    cr_expect_eq(run_gan("classifier --help"), 0);
    out = captured("out");
    const char *clf_words[] = {"--out", "data/mnist-classifier.bin", "--epochs", "default 10",
                               "--batch", "default 128", "--lr", "--seed", "--data",
                               "--threads"};
    for (size_t i = 0; i < sizeof clf_words / sizeof clf_words[0]; i++)
        cr_expect_not_null(strstr(out, clf_words[i]), "classifier --help lacks '%s'",
                           clf_words[i]);
    free(out);
}

/* A tiny real run (300 images, small nets) measured with an untrained
 * classifier: checks the report, not the numbers. */
Test(classifier_cli, eval_prints_fd_and_coverage_of_a_run)
{
    if (access(MNIST_TRAIN, R_OK) != 0)
        cr_skip_test("%s missing: run ./download_mnist.sh", MNIST_TRAIN);
    test_path_t clf = tmp_path("clf.bin"), run = tmp_path("run");
    write_classifier(clf.s);
    char args[2048];
    snprintf(args, sizeof args,
             "train --out='%s' --limit=300 --batch=64 --epochs=1 --g-hidden=32,64 "
             "--d-hidden=64,32 --threads=1 --quiet", run.s);
    cr_assert_eq(run_gan(args), 0, "gan train failed: %s", captured("err"));
    snprintf(args, sizeof args, "eval --run='%s' --classifier='%s' --n=500 --threads=1", run.s,
             clf.s);
    cr_assert_eq(run_gan(args), 0, "gan eval failed: %s", captured("err"));
    char *out = captured("out");
    const char *lines[] = {"run ", "(epoch 1)", "samples      500 generated", "\nfd ",
                           "\nclasses      0:", "\nentropy ", "bits", "\ncovered ",
                           "\nconfidence ", "\ntime "};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cr_expect_not_null(strstr(out, lines[i]), "eval output lacks '%s':\n%s", lines[i], out);
    /* The same seed gives the same numbers (the time line aside). */
    cr_assert_eq(run_gan(args), 0);
    char *again = captured("out");
    char *t1 = strstr(out, "\ntime "), *t2 = strstr(again, "\ntime ");
    cr_assert(t1 && t2);
    cr_expect(t1 - out == t2 - again && strncmp(out, again, (size_t)(t1 - out)) == 0,
              "two evaluations differ:\n%s\n%s", out, again);
    free(out);
    free(again);
}
