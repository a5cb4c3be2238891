/* Tests for the initialization probe (src/probe.c) and `gan probe`.
 *
 * The headline tests are properties of the math, not of this code: on a net
 * of 10 layers of 500 units and a batch of 1000 N(0,1) inputs, small random
 * weights make tanh layers collapse, std-1 weights saturate them, Xavier
 * keeps tanh alive and He keeps ReLU's spread. Their expected values come
 * from an independent computation, the mean-field recursion (Poole et al.
 * 2016): a unit of layer l sees a pre-activation ~ N(0, h_l) with
 *   h_l = n Var(w) E[y_{l-1}^2],   y_0 = the N(0,1) input,
 * so E[y_l^k] = E[f(sqrt(h_l) z)^k], z ~ N(0,1), evaluated here by Simpson's
 * rule. The probe's measured statistics must follow it.
 *
 * The CLI tests run the built binary (GAN_BIN, from the Makefile) and are
 * skipped when it is missing, e.g. in a test build made without it. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gan/init.h"
#include "gan/mlp.h"
#include "gan/probe.h"
#include "gan/rng.h"
#include "test_util.h"

#ifndef GAN_BIN
#define GAN_BIN "build/rel/gan"
#endif

/* ---- helpers ------------------------------------------------------------ */

/* Runs the classic setup: 10 layers of 500, batch 1000, seed 1. */
static probe_result_t classic(act_t act, init_scheme_t init, float init_std, int backward)
{
    probe_cfg_t cfg;
    probe_cfg_default(&cfg);
    cfg.act = act;
    cfg.init = init;
    cfg.init_std = init_std;
    cfg.backward = backward;
    probe_result_t res;
    gan_err_t err = {{0}};
    int rc = probe_run(&res, &cfg, &err);
    cr_assert_eq(rc, GAN_OK, "probe_run failed: %s", err.msg);
    cr_assert_eq(res.n_layers, 10);
    return res;
}

static double first_std(const probe_result_t *r) { return r->layers[0].stats.std; }
static double last_std(const probe_result_t *r) { return r->layers[r->n_layers - 1].stats.std; }

static double act_value(act_t act, double x)
{
    switch (act) {
    case ACT_TANH: return tanh(x);
    case ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ACT_RELU: return x > 0.0 ? x : 0.0;
    default: return x;
    }
}

/* Mean-field prediction (see the top of the file) for n_layers layers with
 * gain = fan_in * Var(w) and N(0,1) inputs: std[l] and, for tanh, the
 * saturated share sat[l] = P(|y| > 0.99). Simpson's rule on [-12, 12] with
 * 8000 intervals: the integrands are smooth apart from ReLU's kink and the
 * saturation step, whose error is far below the tolerances used here. */
static void mean_field(act_t act, double gain, int n_layers, double *std, double *sat)
{
    const int n = 8000;
    const double lo = -12.0, hi = 12.0, dz = (hi - lo) / n;
    double q = 1.0; /* E[y^2] of the layer's input */
    for (int l = 0; l < n_layers; l++) {
        double h = gain * q, m1 = 0.0, m2 = 0.0, s = 0.0;
        for (int i = 0; i <= n; i++) {
            double z = lo + i * dz;
            double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
            w *= dz / 3.0 * exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
            double y = act_value(act, sqrt(h) * z);
            m1 += w * y;
            m2 += w * y * y;
            s += w * (fabs(y) > 0.99);
        }
        std[l] = sqrt(m2 - m1 * m1);
        if (sat)
            sat[l] = s;
        q = m2;
    }
}

/* Every layer's measured std within rtol of the mean-field value. */
static void expect_mean_field(const probe_result_t *r, double gain, int n_check, double rtol,
                              const char *label)
{
    double want[MLP_MAX_LAYERS], got[MLP_MAX_LAYERS];
    mean_field(r->cfg.act, gain, r->n_layers, want, NULL);
    for (int l = 0; l < n_check; l++)
        got[l] = r->layers[l].stats.std;
    expect_close_d(got, want, (size_t)n_check, 0.0, rtol, label);
}

static char tmp_dir[64];

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "probe"); }
static void remove_tmp_dir(void) { test_tmpdir_remove(tmp_dir); }

static int count_substr(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- the classic cases: properties of the math ------------------------- */

TestSuite(probe_math, .timeout = 60);

Test(probe_math, tanh_small_random_collapses_deep_layers)
{
    probe_result_t r = classic(ACT_TANH, INIT_RANDOM, 0.01f, 0);
    /* n Var(w) = 500 * 1e-4 = 0.05: tanh is linear there, so each layer
     * multiplies the std by sqrt(0.05) ~ 0.22; nine layers: ~1.4e-6. */
    cr_expect_lt(last_std(&r), 1e-3 * first_std(&r), "layer 10 std %g vs layer 1 std %g",
                 last_std(&r), first_std(&r));
    /* 1% of mean field: the linear regime has hardly any finite-width noise
     * (measured: within 0.5% at every layer). */
    expect_mean_field(&r, 0.05, 10, 0.02, "tanh random 0.01 std vs mean field");
    /* the picture: every value of layer 10 in the centre bin (a spike at 0) */
    const probe_layer_t *top = &r.layers[9];
    cr_expect_eq(top->hist[PROBE_HIST_BINS / 2], top->hist_total,
                 "centre bin holds %llu of %llu values",
                 (unsigned long long)top->hist[PROBE_HIST_BINS / 2],
                 (unsigned long long)top->hist_total);
    probe_result_free(&r);
}

Test(probe_math, tanh_std_one_random_saturates)
{
    probe_result_t r = classic(ACT_TANH, INIT_RANDOM, 1.0f, 0);
    /* pre-activations have std ~ sqrt(500) ~ 22, so |tanh| > 0.99 unless
     * |x| < atanh(0.99) = 2.65, i.e. ~90% saturated in EVERY layer */
    double sat_want[10], std_want[10];
    mean_field(ACT_TANH, 500.0, 10, std_want, sat_want);
    for (int l = 0; l < 10; l++) {
        cr_expect_gt(r.layers[l].stats.frac_saturated, 0.5, "layer %d saturated %.3f", l + 1,
                     r.layers[l].stats.frac_saturated);
        cr_expect(fabs(r.layers[l].stats.frac_saturated - sat_want[l]) < 0.01,
                  "layer %d saturated %.4f, mean field %.4f", l + 1, r.layers[l].stats.frac_saturated,
                  sat_want[l]);
    }
    /* the picture: most of the mass in the two end bins */
    const probe_layer_t *top = &r.layers[9];
    double ends = (double)(top->hist[0] + top->hist[PROBE_HIST_BINS - 1]) / (double)top->hist_total;
    cr_expect_gt(ends, 0.8, "end bins hold %.3f of layer 10", ends);
    probe_result_free(&r);
}

Test(probe_math, tanh_xavier_keeps_deep_layers_alive)
{
    probe_result_t r = classic(ACT_TANH, INIT_XAVIER_NORMAL, 0.0f, 0);
    /* Issue 6 asked for "within a factor 2 of the first layer". The math
     * does not give that: with n Var(w) = 1 the variance still decays as
     * q' = E[tanh(sqrt(q) z)^2] ~ q - 2q^2, i.e. like 1/(2l) (a power law,
     * not the exponential collapse of small weights). Mean field predicts
     * std 0.628 -> 0.229 (ratio 2.75, the same numbers as CS231n's classic
     * demo); measured 0.627 -> 0.228. So: within a factor 3, no saturation,
     * and the last step loses less than 10%. */
    cr_expect_gt(last_std(&r), first_std(&r) / 3.0, "layer 10 std %g vs layer 1 std %g",
                 last_std(&r), first_std(&r));
    cr_expect_gt(last_std(&r), 0.9 * r.layers[8].stats.std, "layer 10 std %g vs layer 9 std %g",
                 last_std(&r), r.layers[8].stats.std);
    for (int l = 1; l < 10; l++)
        cr_expect_lt(r.layers[l].stats.frac_saturated, 0.01, "layer %d saturated %.3f", l + 1,
                     r.layers[l].stats.frac_saturated);
    /* measured: within 0.5% of mean field at every layer */
    expect_mean_field(&r, 1.0, 10, 0.02, "tanh xavier_normal std vs mean field");
    probe_result_free(&r);
}

Test(probe_math, relu_he_keeps_std_while_xavier_halves_variance)
{
    probe_result_t he = classic(ACT_RELU, INIT_HE_NORMAL, 0.0f, 0);
    probe_result_t xa = classic(ACT_RELU, INIT_XAVIER_NORMAL, 0.0f, 0);
    /* He: n Var(w) = 2 undoes ReLU halving E[y^2]: std 0.826 at every
     * layer in mean field. */
    double lo = INFINITY, hi = 0.0;
    for (int l = 0; l < 10; l++) {
        lo = fmin(lo, he.layers[l].stats.std);
        hi = fmax(hi, he.layers[l].stats.std);
    }
    cr_expect_lt(hi, 2.0 * lo, "relu he_normal std ranges over %g..%g", lo, hi);
    cr_expect_lt(last_std(&he), 2.0 * first_std(&he));
    cr_expect_gt(last_std(&he), 0.5 * first_std(&he));
    /* Xavier: n Var(w) = 1, so the std shrinks by sqrt(2) per layer:
     * 2^4.5 ~ 23x over nine layers. */
    cr_expect_gt(first_std(&xa), 4.0 * last_std(&xa), "relu xavier_normal std %g -> %g",
                 first_std(&xa), last_std(&xa));
    /* Layer 1 sees the exact N(0,1) input: 1% of mean field. Deeper ReLU
     * layers drift from it by a finite-width random walk (one shared W per
     * layer, samples that grow more aligned with depth): measured up to 11%
     * at seed 1, so only the first layer is compared tightly. */
    expect_mean_field(&he, 2.0, 1, 0.01, "relu he_normal layer 1 std vs mean field");
    expect_mean_field(&xa, 1.0, 1, 0.01, "relu xavier_normal layer 1 std vs mean field");
    /* Half the units are dead for a given input; deep layers see aligned
     * inputs, so the share moves by whole units (binomial over 500 units:
     * std ~0.022; up to 0.045 off over seeds 1..30), hence 0.1. */
    for (int l = 0; l < 10; l++) {
        cr_expect(fabs(he.layers[l].stats.frac_zero - 0.5) < 0.1, "layer %d: %.3f zeros", l + 1,
                  he.layers[l].stats.frac_zero);
        /* the exact zeros are counted apart, not in the histogram */
        uint64_t n = (uint64_t)he.cfg.batch * he.cfg.width;
        cr_expect_eq(he.layers[l].hist_total + (uint64_t)llround(he.layers[l].stats.frac_zero * n), n);
    }
    probe_result_free(&he);
    probe_result_free(&xa);
}

Test(probe_math, small_random_weights_starve_every_weight_gradient)
{
    /* With dL/dy = 1/batch at the top, dW_l = dY_l^T X_{l-1}: deep layers
     * get a tiny X, shallow layers a tiny dY, so every layer's weight
     * gradient is small (~2e-5 here vs ~4 with Xavier), and the gradient
     * reaching the input shrinks by ~sqrt(0.05) per layer. */
    probe_result_t small = classic(ACT_TANH, INIT_RANDOM, 0.01f, 1);
    probe_result_t xav = classic(ACT_TANH, INIT_XAVIER_NORMAL, 0.0f, 1);
    double small_max = 0.0, xav_min = INFINITY;
    for (int l = 0; l < 10; l++) {
        small_max = fmax(small_max, small.layers[l].grad_w_norm);
        xav_min = fmin(xav_min, xav.layers[l].grad_w_norm);
    }
    cr_expect_lt(small_max, 1e-3 * xav_min, "largest |dW| with random 0.01: %g; smallest with "
                 "xavier: %g", small_max, xav_min);
    /* unit upstream gradient: ||dL/dy_10|| = sqrt(batch * width) / batch */
    double top = sqrt(1000.0 * 500.0) / 1000.0;
    cr_expect(fabs(small.layers[9].grad_out_norm - top) < 1e-6 * top);
    cr_expect_lt(small.grad_in_norm, 1e-3 * top, "input gradient %g", small.grad_in_norm);
    cr_expect_lt(small.layers[0].grad_out_norm, 1e-3 * small.layers[9].grad_out_norm);
    cr_expect_gt(xav.grad_in_norm, 0.1 * top, "xavier input gradient %g", xav.grad_in_norm);
    probe_result_free(&small);
    probe_result_free(&xav);
}

/* ---- the probe's own contract ------------------------------------------ */

TestSuite(probe, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 60);

/* Rebuilds the probe's net from the documented streams and checks the
 * statistics against mlp_forward's activations and the gradient norms of
 * every layer (weights, output, input) against a backward pass written out
 * here in double: dL/dy_3 = 1/16, dz = dy * f'(y) (leaky: 1 or 0.2 by the
 * sign of y), dW = dz^T x, dx = dz W. */
Test(probe, statistics_and_gradients_match_the_mlp)
{
    probe_cfg_t cfg;
    probe_cfg_default(&cfg);
    cfg.act = ACT_LEAKY_RELU;
    cfg.init = INIT_HE_UNIFORM;
    cfg.n_layers = 3;
    cfg.width = 40;
    cfg.batch = 16;
    cfg.seed = 77;
    cfg.backward = 1;
    probe_result_t r;
    gan_err_t err;
    cr_assert_eq(probe_run(&r, &cfg, &err), GAN_OK, "%s", err.msg);

    int sizes[4] = {40, 40, 40, 40};
    act_t acts[3] = {ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_LEAKY_RELU};
    mlp_t net;
    cr_assert_eq(mlp_create(&net, 3, sizes, acts, cfg.leak, cfg.batch, &err), GAN_OK);
    float x[16 * 40];
    rng_t rng;
    rng_seed(&rng, cfg.seed, PROBE_STREAM_INPUT);
    rng_fill_normal(&rng, x, 16 * 40, 0.0f, 1.0f);
    rng_seed(&rng, cfg.seed, PROBE_STREAM_INIT);
    init_mlp(&net, cfg.init, cfg.init_std, &rng);
    mlp_forward(&net, x, cfg.batch);

    /* dy[l]: dL/d(output of layer l); dy[-1] is the input's: dy_store[0]. */
    static double dy_store[4][16 * 40], dz[16 * 40], dw_norm[3];
    double (*dy)[16 * 40] = dy_store + 1;
    for (int i = 0; i < 16 * 40; i++)
        dy[2][i] = 1.0 / 16.0;
    for (int l = 2; l >= 0; l--) {
        const float *y = net.acts[l], *w = net.params + net.layers[l].w_off;
        const float *in = l > 0 ? net.acts[l - 1] : x;
        for (int i = 0; i < 16 * 40; i++)
            dz[i] = dy[l][i] * (y[i] > 0.0f ? 1.0 : (double)cfg.leak);
        double ss = 0.0;
        for (int o = 0; o < 40; o++)
            for (int k = 0; k < 40; k++) {
                double g = 0.0;
                for (int b = 0; b < 16; b++)
                    g += dz[b * 40 + o] * in[b * 40 + k];
                ss += g * g;
            }
        dw_norm[l] = sqrt(ss);
        for (int b = 0; b < 16; b++)
            for (int k = 0; k < 40; k++) {
                double g = 0.0;
                for (int o = 0; o < 40; o++)
                    g += dz[b * 40 + o] * w[o * 40 + k];
                dy[l - 1][b * 40 + k] = g;
            }
    }

    double got[4 * 3], want[4 * 3];
    for (int l = 0; l < 3; l++) {
        const float *y = net.acts[l];
        double s = 0.0, ss = 0.0, neg = 0.0;
        for (int i = 0; i < 16 * 40; i++) {
            s += y[i];
            neg += y[i] < 0.0f;
        }
        double mean = s / 640.0;
        for (int i = 0; i < 16 * 40; i++)
            ss += (y[i] - mean) * (y[i] - mean);
        want[4 * l + 0] = mean;
        want[4 * l + 1] = sqrt(ss / 640.0);
        want[4 * l + 2] = neg / 640.0;
        want[4 * l + 3] = dw_norm[l];
        got[4 * l + 0] = r.layers[l].stats.mean;
        got[4 * l + 1] = r.layers[l].stats.std;
        got[4 * l + 2] = r.layers[l].stats.frac_negative;
        got[4 * l + 3] = r.layers[l].grad_w_norm;
    }
    /* the statistics: the same floats reduced in double, rounding only;
     * |dW|: float backward against double, a few float ulps */
    for (int l = 0; l < 3; l++) {
        expect_close_d(got + 4 * l, want + 4 * l, 3, 1e-12, 1e-9, "mean, std, negative");
        cr_expect(fabs(got[4 * l + 3] - want[4 * l + 3]) <= 1e-5 * want[4 * l + 3],
                  "layer %d |dW| %g, double %g", l, got[4 * l + 3], want[4 * l + 3]);
        double gy = 0.0, gx = 0.0;
        for (int i = 0; i < 16 * 40; i++) {
            gy += dy[l][i] * dy[l][i];
            gx += dy[l - 1][i] * dy[l - 1][i];
        }
        cr_expect(fabs(r.layers[l].grad_out_norm - sqrt(gy)) <= 1e-5 * sqrt(gy),
                  "layer %d |dL/dy| %g, double %g", l, r.layers[l].grad_out_norm, sqrt(gy));
        if (l == 0)
            cr_expect(fabs(r.grad_in_norm - sqrt(gx)) <= 1e-5 * sqrt(gx),
                      "|dL/dx| %g, double %g", r.grad_in_norm, sqrt(gx));
    }
    for (int l = 0; l < 3; l++)
        cr_expect_eq(r.layers[l].hist_total, 640, "leaky relu keeps every value in the histogram");
    mlp_destroy(&net);
    probe_result_free(&r);
}

Test(probe, same_seed_same_result_other_seed_differs)
{
    probe_cfg_t cfg;
    probe_cfg_default(&cfg);
    cfg.n_layers = 4;
    cfg.width = 64;
    cfg.batch = 50;
    probe_result_t a, b, c;
    gan_err_t err;
    cr_assert_eq(probe_run(&a, &cfg, &err), GAN_OK);
    cr_assert_eq(probe_run(&b, &cfg, &err), GAN_OK);
    cfg.seed = 2;
    cr_assert_eq(probe_run(&c, &cfg, &err), GAN_OK);
    cr_expect_eq(memcmp(a.layers, b.layers, 4 * sizeof *a.layers), 0);
    cr_expect_neq(a.layers[3].stats.std, c.layers[3].stats.std);
    probe_result_free(&a);
    probe_result_free(&b);
    probe_result_free(&c);
    probe_result_free(&c); /* a freed result may be freed again */
}

Test(probe, rejects_bad_configs)
{
    probe_cfg_t cfg;
    probe_result_t r;
    gan_err_t err;
    struct {
        int field, value;
        const char *phrase;
    } cases[] = {
        {0, 0, "layers"}, {0, MLP_MAX_LAYERS + 1, "layers"}, {1, 0, "width"},
        {1, PROBE_MAX_WIDTH + 1, "width"}, {2, 0, "batch"}, {2, PROBE_MAX_BATCH + 1, "batch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        probe_cfg_default(&cfg);
        int *field = cases[i].field == 0 ? &cfg.n_layers : cases[i].field == 1 ? &cfg.width
                                                                                : &cfg.batch;
        *field = cases[i].value;
        err.msg[0] = '\0';
        cr_expect_eq(probe_run(&r, &cfg, &err), GAN_ERR_INPUT, "case %zu", i);
        cr_expect_not_null(strstr(err.msg, cases[i].phrase), "case %zu: '%s'", i, err.msg);
        cr_expect_null(r.layers);
    }
    probe_cfg_default(&cfg);
    cfg.n_layers = 16, cfg.width = 4096, cfg.batch = 60000;
    cr_expect_eq(probe_run(&r, &cfg, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "smaller batch or width"), "'%s'", err.msg);
    probe_cfg_default(&cfg);
    cfg.init_std = -1.0f;
    cr_expect_eq(probe_run(&r, &cfg, &err), GAN_ERR_INPUT);
}

Test(probe, missing_mnist_folder_is_an_input_error)
{
    probe_cfg_t cfg;
    probe_cfg_default(&cfg);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/no-such-folder", tmp_dir);
    cfg.data_dir = dir;
    probe_result_t r;
    gan_err_t err;
    cr_expect_eq(probe_run(&r, &cfg, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "no-such-folder"), "'%s'", err.msg);
    cr_expect_null(r.layers);
}

Test(probe, overflow_is_counted_not_binned)
{
    /* ReLU with std-100 weights over 16 layers of 500: the scale grows by
     * 100 sqrt(500 / 2) ~ 1600 per layer and passes FLT_MAX (3.4e38) by
     * layer 13. */
    probe_cfg_t cfg;
    probe_cfg_default(&cfg);
    cfg.act = ACT_RELU;
    cfg.init = INIT_RANDOM;
    cfg.init_std = 100.0f;
    cfg.n_layers = 16;
    cfg.width = 500;
    cfg.batch = 8;
    probe_result_t r;
    gan_err_t err;
    cr_assert_eq(probe_run(&r, &cfg, &err), GAN_OK, "%s", err.msg);
    int first_bad = -1;
    for (int l = 0; l < 16 && first_bad < 0; l++)
        if (r.layers[l].stats.n_nonfinite)
            first_bad = l;
    cr_assert_geq(first_bad, 0, "some layer should overflow");
    const probe_layer_t *st = &r.layers[first_bad];
    cr_expect(isfinite(st->stats.mean) && isfinite(st->stats.std) && isfinite(st->stats.max),
              "statistics over the finite values: mean %g std %g max %g", st->stats.mean, st->stats.std,
              st->stats.max);
    uint64_t n = (uint64_t)cfg.batch * cfg.width;
    cr_expect_eq(st->hist_total + st->stats.n_nonfinite + (uint64_t)llround(st->stats.frac_zero * n), n,
                 "every value is binned, counted as zero or counted as overflowed");
    char path[400];
    snprintf(path, sizeof path, "%s/overflow.svg", tmp_dir);
    cr_expect_eq(probe_write_svg(&r, path, &err), GAN_OK, "%s", err.msg);
    probe_result_free(&r);
}

/* ---- the figure -------------------------------------------------------- */

static int have_xmllint(void)
{
    return system("command -v xmllint >/dev/null 2>&1") == 0;
}

Test(probe, svg_has_one_panel_per_layer_and_is_well_formed)
{
    const int layer_counts[2] = {10, 3};
    for (int k = 0; k < 2; k++) {
        probe_cfg_t cfg;
        probe_cfg_default(&cfg);
        cfg.n_layers = layer_counts[k];
        cfg.width = 100;
        cfg.batch = 64;
        cfg.act = k ? ACT_RELU : ACT_TANH;
        cfg.init = k ? INIT_HE_NORMAL : INIT_RANDOM;
        cfg.backward = k;
        probe_result_t r;
        gan_err_t err;
        cr_assert_eq(probe_run(&r, &cfg, &err), GAN_OK, "%s", err.msg);
        char path[400];
        snprintf(path, sizeof path, "%s/probe-%d.svg", tmp_dir, k);
        cr_assert_eq(probe_write_svg(&r, path, &err), GAN_OK, "%s", err.msg);
        probe_result_free(&r);

        char *svg = test_read_file(path, NULL);
        cr_expect_eq(count_substr(svg, "<g class=\"panel\">"), layer_counts[k], "panels in %s",
                     path);
        char want[32];
        snprintf(want, sizeof want, ">layer %d<", layer_counts[k]);
        cr_expect_not_null(strstr(svg, want), "no panel titled '%s'", want + 1);
        cr_expect_not_null(strstr(svg, k ? "relu, he_normal" : "tanh, random (std 0.01)"),
                           "figure title names act and init");
        cr_expect_eq(strncmp(svg, "<svg", 4), 0);
        free(svg);
        if (!have_xmllint())
            continue;
        char cmd[600];
        snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
        cr_expect_eq(system(cmd), 0, "xmllint rejects %s", path);
    }
    if (!have_xmllint())
        cr_skip_test("xmllint not installed: well-formedness not checked");
}

Test(probe, svg_write_failure_names_the_path)
{
    probe_cfg_t cfg;
    probe_cfg_default(&cfg);
    cfg.n_layers = 2, cfg.width = 8, cfg.batch = 4;
    probe_result_t r;
    gan_err_t err;
    cr_assert_eq(probe_run(&r, &cfg, &err), GAN_OK);
    char path[400];
    snprintf(path, sizeof path, "%s/missing-dir/p.svg", tmp_dir);
    cr_expect_eq(probe_write_svg(&r, path, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "missing-dir"), "'%s'", err.msg);
    probe_result_free(&r);
}

/* ---- the command line ---------------------------------------------------- */

TestSuite(probe_cli, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 60);

/* Runs `gan probe ARGS` in tmp_dir with stdout/stderr captured into
 * tmp_dir/out and tmp_dir/err; returns the exit status. */
static int run_gan(const char *args)
{
    char bin[1200];
    if (GAN_BIN[0] == '/')
        snprintf(bin, sizeof bin, "%s", GAN_BIN);
    else {
        char cwd[1024];
        cr_assert_not_null(getcwd(cwd, sizeof cwd));
        snprintf(bin, sizeof bin, "%s/%s", cwd, GAN_BIN);
    }
    if (access(bin, X_OK) != 0)
        cr_skip_test("%s not built", bin);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && OPENBLAS_NUM_THREADS=1 '%s' probe %s >out 2>err",
             tmp_dir, bin, args);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc), "'%s' did not exit normally", cmd);
    return WEXITSTATUS(rc);
}

static char *captured(const char *name)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    return test_read_file(path, NULL);
}

Test(probe_cli, bad_options_exit_2_with_one_line)
{
    static const struct {
        const char *args, *prefix;
    } cases[] = {
        {"--act=tanh --init=xavier_normal --layers=0", "gan: --layers=0: "},
        {"--act=tanh --init=xavier_normal --layers=17", "gan: --layers=17: "},
        {"--act=tanh --init=xavier_normal --layers=3x", "gan: --layers=3x: "},
        {"--act=tanh --init=xavier_normal --width=-5", "gan: --width=-5: "},
        {"--act=tanh --init=xavier_normal --batch=0", "gan: --batch=0: "},
        {"--act=tanh --init=xavier_normal --seed=abc", "gan: --seed=abc: "},
        {"--act=tanh --init=random --init-std=-1", "gan: --init-std=-1: "},
        {"--act=tanh --init=random --init-std=nan", "gan: --init-std=nan: "},
        {"--act=tanh --init=xavier_normal --init-std=0.5", "gan: --init-std=0.5: "},
        {"--act=relu --init=he_normal --leak=0.1", "gan: --leak=0.1: "},
        {"--act=softmax --init=xavier_normal", "gan: --act=softmax: "},
        {"--act=identity --init=xavier_normal", "gan: --act=identity: "},
        {"--act=tanh --init=glorot", "gan: --init=glorot: "},
        {"--init=xavier_normal", "gan: probe: --act is required"},
        {"--act=tanh", "gan: probe: --init is required"},
        {"--act=tanh --init=xavier_normal extra", "gan: probe: unexpected argument"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(run_gan(cases[i].args), 2, "'%s' should exit 2", cases[i].args);
        char *err = captured("err");
        cr_expect_eq(strncmp(err, cases[i].prefix, strlen(cases[i].prefix)), 0,
                     "'%s': stderr '%s' should start with '%s'", cases[i].args, err,
                     cases[i].prefix);
        cr_expect_eq(count_substr(err, "\n"), 1, "'%s': one line, got '%s'", cases[i].args, err);
        free(err);
        char *out = captured("out");
        cr_expect_str_empty(out, "'%s' printed to stdout", cases[i].args);
        free(out);
    }
}

Test(probe_cli, unknown_option_exits_2)
{
    cr_expect_eq(run_gan("--act=tanh --init=xavier_normal --bogus"), 2);
    cr_expect_eq(run_gan("--act=tanh --init=xavier_normal --layers"), 2);
}

Test(probe_cli, help_lists_every_option)
{
    cr_expect_eq(run_gan("--help"), 0);
    char *out = captured("out");
    const char *opts[] = {"--act=", "--init=", "--init-std=", "--layers=", "--width=",
                          "--batch=", "--seed=", "--leak=", "--data=", "--backward",
                          "--output=", "--help", "[500]", "[1000]", "[10]"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        cr_expect_not_null(strstr(out, opts[i]), "--help does not mention %s", opts[i]);
    free(out);
}

Test(probe_cli, prints_the_table_and_writes_the_figure)
{
    cr_assert_eq(run_gan("--act=relu --init=he_normal --layers=3 --width=20 --batch=10 --backward"),
                 0);
    char *out = captured("out");
    cr_expect_not_null(strstr(out, "# relu, he_normal: 3 layers of 20 units"), "%s", out);
    cr_expect_not_null(strstr(out, "|dL/dW|"), "%s", out);
    cr_expect_not_null(strstr(out, "\n    3 "), "no row for layer 3 in\n%s", out);
    cr_expect_not_null(strstr(out, "wrote probe-relu-he_normal.svg\n"), "%s", out);
    free(out);
    char path[400];
    snprintf(path, sizeof path, "%s/probe-relu-he_normal.svg", tmp_dir);
    cr_expect_eq(access(path, R_OK), 0, "default figure %s missing", path);

    cr_assert_eq(run_gan("--act=tanh --init=random --init-std=1 --layers=2 --width=8 --batch=4 "
                         "-o custom.svg"),
                 0);
    snprintf(path, sizeof path, "%s/custom.svg", tmp_dir);
    cr_expect_eq(access(path, R_OK), 0, "-o figure %s missing", path);
}

Test(probe_cli, missing_data_folder_exits_2)
{
    cr_expect_eq(run_gan("--act=tanh --init=xavier_normal --data=no-such-dir"), 2);
    char *err = captured("err");
    cr_expect_not_null(strstr(err, "no-such-dir"), "'%s'", err);
    free(err);
}
