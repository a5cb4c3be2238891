/* Gradient checks for the NN core: dense, activations, the fused BCE loss
 * and a whole MLP.
 *
 * Every analytic (float) gradient from the library is compared with central
 * differences of an independent, naive double-precision forward written in
 * this file (plain loops, no BLAS, no library code), on the scalar
 * L = sum(out * R) with R fixed and random, so dL/dout = R is what the
 * backward receives. The library's float forward is also compared with the
 * double reference. The fused loss is further pinned to hand-derived values
 * at logits -100, -1, 0, 1, 100.
 *
 * Tolerances. The reference side is good to ~1e-9: with h = 1e-5 in double
 * the truncation error is h^2/6 |f'''| ~ 1e-11 and the cancellation error
 * ~ 1e-16 |L| / h ~ 1e-10. The library side is float32: each gradient
 * entry is a sum of a few dozen products rounded at 6e-8 relative; the
 * largest differences measured here were 1.0e-6 absolute on entries of
 * size ~1 and 4.8e-6 (4e-7 relative) on entries of size ~11.
 * GRAD_ATOL / GRAD_RTOL leave about 10x headroom over that and are still
 * 1e4 times smaller than the error of any wrong formula (a missing 0.2
 * slope, a dropped bias term, a transposed product all give O(1) relative
 * errors). */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/activation.h"
#include "gan/dense.h"
#include "gan/loss.h"
#include "gan/mlp.h"
#include "gan/products.h"
#include "gan/rng.h"
#include "test_util.h"

#define FD_H 1e-5
#define GRAD_ATOL 1e-5
#define GRAD_RTOL 1e-5
/* Float forward vs double reference: a handful of float roundings
 * (measured at most 4.5e-7 on outputs of size ~1-5). */
#define FWD_ATOL 1e-6
#define FWD_RTOL 1e-5
#define LEAK 0.2f

/* ---- small helpers ---------------------------------------------------- */

static void fill_normal(float *a, size_t n, double std, rng_t *rng)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (float)(std * rng_normal(rng));
}

static double *to_double(const float *a, size_t n)
{
    double *d = malloc(n * sizeof *d);
    cr_assert(d);
    for (size_t i = 0; i < n; i++)
        d[i] = a[i];
    return d;
}

static double *dalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    cr_assert(p);
    return p;
}

typedef double (*loss_fn)(void *ctx);

/* g[i] = (f(p + h e_i) - f(p - h e_i)) / 2h, perturbing p in place. */
static void central_diff(double *g, double *p, size_t n, loss_fn f, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        double saved = p[i];
        p[i] = saved + FD_H;
        double lp = f(ctx);
        p[i] = saved - FD_H;
        double lm = f(ctx);
        p[i] = saved;
        g[i] = (lp - lm) / (2.0 * FD_H);
    }
}

/* Compares a float analytic gradient with a double reference. */
static void expect_grad(const float *analytic, const double *ref, size_t n,
                        double atol, double rtol, const char *label)
{
    double *a = to_double(analytic, n);
    expect_close_d(a, ref, n, atol, rtol, label);
    free(a);
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* ---- double reference forwards ---------------------------------------- */

/* y = x w^T + b with plain loops. x: B x n_in, w: n_out x n_in, y: B x n_out */
static void ref_dense(double *y, const double *x, const double *w, const double *b,
                      int batch, int n_in, int n_out)
{
    for (int r = 0; r < batch; r++)
        for (int o = 0; o < n_out; o++) {
            double s = b[o];
            for (int i = 0; i < n_in; i++)
                s += x[r * n_in + i] * w[o * n_in + i];
            y[r * n_out + o] = s;
        }
}

static double ref_act1(double x, act_t act, double leak)
{
    switch (act) {
    case ACT_IDENTITY: return x;
    case ACT_RELU: return x > 0.0 ? x : 0.0;
    case ACT_LEAKY_RELU: return x > 0.0 ? x : leak * x;
    case ACT_TANH: return tanh(x);
    case ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    default: cr_assert_fail("bad act %d", (int)act); return 0.0;
    }
}

static void ref_act(double *y, const double *x, size_t n, act_t act, double leak)
{
    for (size_t i = 0; i < n; i++)
        y[i] = ref_act1(x[i], act, leak);
}

/* BCE with logits in the log-sum-exp form:
 * -t log s(x) - (1-t) log(1-s(x)) = max(x,0) - x t + log(1 + exp(-|x|)). */
static double ref_bce1(double x, double t)
{
    return fmax(x, 0.0) - x * t + log1p(exp(-fabs(x)));
}

/* ---- dense ------------------------------------------------------------ */

enum { DB = 7, DIN = 6, DOUT = 5 }; /* odd, non-square: catches stride bugs */

typedef struct {
    double x[DB * DIN], w[DOUT * DIN], b[DOUT], r[DB * DOUT], y[DB * DOUT];
} dense_ctx_t;

static double dense_loss(void *p)
{
    dense_ctx_t *c = p;
    ref_dense(c->y, c->x, c->w, c->b, DB, DIN, DOUT);
    return dot(c->y, c->r, DB * DOUT);
}

typedef struct {
    float x[DB * DIN], w[DOUT * DIN], b[DOUT], r[DB * DOUT], ones[DB];
    dense_ctx_t ref;
    double gx[DB * DIN], gw[DOUT * DIN], gb[DOUT]; /* central differences */
} dense_case_t;

static void dense_setup(dense_case_t *t, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed, 0);
    fill_normal(t->x, DB * DIN, 1.0, &rng);
    fill_normal(t->w, DOUT * DIN, 0.5, &rng);
    fill_normal(t->b, DOUT, 0.5, &rng);
    fill_normal(t->r, DB * DOUT, 1.0, &rng);
    for (int i = 0; i < DB; i++)
        t->ones[i] = 1.0f;
    for (int i = 0; i < DB * DIN; i++) t->ref.x[i] = t->x[i];
    for (int i = 0; i < DOUT * DIN; i++) t->ref.w[i] = t->w[i];
    for (int i = 0; i < DOUT; i++) t->ref.b[i] = t->b[i];
    for (int i = 0; i < DB * DOUT; i++) t->ref.r[i] = t->r[i];
    central_diff(t->gx, t->ref.x, DB * DIN, dense_loss, &t->ref);
    central_diff(t->gw, t->ref.w, DOUT * DIN, dense_loss, &t->ref);
    central_diff(t->gb, t->ref.b, DOUT, dense_loss, &t->ref);
}

Test(dense, forward_matches_double_reference)
{
    dense_case_t t;
    dense_setup(&t, 1);
    float y[DB * DOUT];
    for (int i = 0; i < DB * DOUT; i++)
        y[i] = 1e3f; /* y is overwritten, not accumulated */
    dense_forward(y, t.x, t.w, t.b, DB, DIN, DOUT);
    ref_dense(t.ref.y, t.ref.x, t.ref.w, t.ref.b, DB, DIN, DOUT);
    expect_grad(y, t.ref.y, DB * DOUT, FWD_ATOL, FWD_RTOL, "dense y");
}

Test(dense, dx_matches_central_differences)
{
    dense_case_t t;
    dense_setup(&t, 2);
    float dx[DB * DIN], dw[DOUT * DIN] = {0}, db[DOUT] = {0};
    for (int i = 0; i < DB * DIN; i++)
        dx[i] = 1e3f; /* dx is overwritten, not accumulated */
    dense_backward(dx, dw, db, t.r, t.x, t.w, t.ones, DB, DIN, DOUT, GRADS_ADD);
    expect_grad(dx, t.gx, DB * DIN, GRAD_ATOL, GRAD_RTOL, "dense dx");
    dense_backward(dx, dw, db, t.r, t.x, t.w, t.ones, DB, DIN, DOUT, GRADS_ADD);
    expect_grad(dx, t.gx, DB * DIN, GRAD_ATOL, GRAD_RTOL, "dense dx after a second call");
}

Test(dense, dw_matches_central_differences)
{
    dense_case_t t;
    dense_setup(&t, 3);
    float dx[DB * DIN], dw[DOUT * DIN] = {0}, db[DOUT] = {0};
    dense_backward(dx, dw, db, t.r, t.x, t.w, t.ones, DB, DIN, DOUT, GRADS_ADD);
    expect_grad(dw, t.gw, DOUT * DIN, GRAD_ATOL, GRAD_RTOL, "dense dw");
}

Test(dense, db_matches_central_differences)
{
    dense_case_t t;
    dense_setup(&t, 4);
    float dx[DB * DIN], dw[DOUT * DIN] = {0}, db[DOUT] = {0};
    dense_backward(dx, dw, db, t.r, t.x, t.w, t.ones, DB, DIN, DOUT, GRADS_ADD);
    expect_grad(db, t.gb, DOUT, GRAD_ATOL, GRAD_RTOL, "dense db");
}

Test(dense, dw_and_db_accumulate)
{
    dense_case_t t;
    dense_setup(&t, 5);
    float dx[DB * DIN], dw[DOUT * DIN], db[DOUT];
    float dw0[DOUT * DIN], db0[DOUT];
    rng_t rng;
    rng_seed(&rng, 55, 0);
    fill_normal(dw0, DOUT * DIN, 1.0, &rng);
    fill_normal(db0, DOUT, 1.0, &rng);
    memcpy(dw, dw0, sizeof dw);
    memcpy(db, db0, sizeof db);
    double ew[DOUT * DIN], eb[DOUT];
    for (int k = 1; k <= 2; k++) {
        dense_backward(dx, dw, db, t.r, t.x, t.w, t.ones, DB, DIN, DOUT, GRADS_ADD);
        for (int i = 0; i < DOUT * DIN; i++)
            ew[i] = dw0[i] + k * t.gw[i];
        for (int i = 0; i < DOUT; i++)
            eb[i] = db0[i] + k * t.gb[i];
        expect_grad(dw, ew, DOUT * DIN, GRAD_ATOL, GRAD_RTOL,
                    k == 1 ? "dw0 + dw" : "dw0 + 2 dw");
        expect_grad(db, eb, DOUT, GRAD_ATOL, GRAD_RTOL, k == 1 ? "db0 + db" : "db0 + 2 db");
    }
}

Test(dense, null_dx_skips_input_gradient)
{
    dense_case_t t;
    dense_setup(&t, 6);
    float dw[DOUT * DIN] = {0}, db[DOUT] = {0};
    dense_backward(NULL, dw, db, t.r, t.x, t.w, t.ones, DB, DIN, DOUT, GRADS_ADD);
    expect_grad(dw, t.gw, DOUT * DIN, GRAD_ATOL, GRAD_RTOL, "dw with dx NULL");
    expect_grad(db, t.gb, DOUT, GRAD_ATOL, GRAD_RTOL, "db with dx NULL");
}

Test(dense, null_dw_db_skip_parameter_gradients)
{
    dense_case_t t;
    dense_setup(&t, 7);
    float dx[DB * DIN], db[DOUT] = {0};
    dense_backward(dx, NULL, NULL, t.r, t.x, t.w, t.ones, DB, DIN, DOUT, GRADS_ADD);
    expect_grad(dx, t.gx, DB * DIN, GRAD_ATOL, GRAD_RTOL, "dx with dw, db NULL");
    memset(dx, 0, sizeof dx);
    dense_backward(dx, NULL, db, t.r, t.x, t.w, t.ones, DB, DIN, DOUT, GRADS_ADD);
    expect_grad(dx, t.gx, DB * DIN, GRAD_ATOL, GRAD_RTOL, "dx with dw NULL");
    expect_grad(db, t.gb, DOUT, GRAD_ATOL, GRAD_RTOL, "db with dw NULL");
}

/* ---- activations ------------------------------------------------------ */

enum { NA = 64 };

typedef struct {
    act_t act;
    double leak;
    double x[NA], r[NA], y[NA];
} act_ctx_t;

static double act_loss(void *p)
{
    act_ctx_t *c = p;
    ref_act(c->y, c->x, NA, c->act, c->leak);
    return dot(c->y, c->r, NA);
}

/* Samples x ~ 2 N(0,1), kept at least 1e-3 away from the (leaky) ReLU kink
 * so that x +- h never straddles it. */
static void check_activation(act_t act, float leak, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed, 0);
    float x[NA], r[NA], y[NA], dx[NA];
    act_ctx_t c = {.act = act, .leak = leak};
    for (int i = 0; i < NA; i++) {
        float v;
        do
            v = 2.0f * rng_normal(&rng);
        while (fabsf(v) < 1e-3f);
        x[i] = v;
        r[i] = rng_normal(&rng);
        c.x[i] = x[i];
        c.r[i] = r[i];
    }
    act_forward(y, x, NA, act, leak);
    ref_act(c.y, c.x, NA, act, leak);
    char label[64];
    snprintf(label, sizeof label, "%s forward", act_name(act));
    expect_grad(y, c.y, NA, FWD_ATOL, FWD_RTOL, label);

    act_backward(dx, r, y, NA, act, leak);
    double g[NA];
    central_diff(g, c.x, NA, act_loss, &c);
    snprintf(label, sizeof label, "%s backward", act_name(act));
    expect_grad(dx, g, NA, GRAD_ATOL, GRAD_RTOL, label);
}

Test(activation, identity_matches_central_differences) { check_activation(ACT_IDENTITY, LEAK, 11); }
Test(activation, relu_matches_central_differences) { check_activation(ACT_RELU, LEAK, 12); }
Test(activation, leaky_relu_slope_0_2_matches_central_differences) { check_activation(ACT_LEAKY_RELU, LEAK, 13); }
Test(activation, tanh_matches_central_differences) { check_activation(ACT_TANH, LEAK, 14); }
Test(activation, sigmoid_matches_central_differences) { check_activation(ACT_SIGMOID, LEAK, 15); }

/* The fused pass an MLP layer runs after its product: f(y + b) row by row,
 * against the double reference f applied to y + b. */
Test(activation, forward_bias_adds_the_bias_per_column_then_applies_f)
{
    enum { ROWS = 5, COLS = 13 };
    rng_t rng;
    rng_seed(&rng, 17, 0);
    for (int a = 0; a < ACT_COUNT; a++) {
        float y[ROWS * COLS], b[COLS];
        double want[ROWS * COLS], pre[ROWS * COLS];
        fill_normal(y, ROWS * COLS, 2.0, &rng);
        fill_normal(b, COLS, 1.0, &rng);
        for (int r = 0; r < ROWS; r++)
            for (int j = 0; j < COLS; j++)
                pre[r * COLS + j] = (double)(y[r * COLS + j] + b[j]);
        ref_act(want, pre, ROWS * COLS, (act_t)a, LEAK);
        act_forward_bias(y, b, ROWS, COLS, (act_t)a, LEAK);
        char label[64];
        snprintf(label, sizeof label, "%s forward with bias", act_name((act_t)a));
        expect_grad(y, want, ROWS * COLS, FWD_ATOL, FWD_RTOL, label);
    }
}

Test(activation, forward_and_backward_work_in_place)
{
    rng_t rng;
    rng_seed(&rng, 16, 0);
    for (int a = 0; a < ACT_COUNT; a++) {
        float x[NA], r[NA], y[NA], dx[NA], buf[NA];
        fill_normal(x, NA, 2.0, &rng);
        fill_normal(r, NA, 1.0, &rng);
        act_forward(y, x, NA, (act_t)a, LEAK);
        act_backward(dx, r, y, NA, (act_t)a, LEAK);
        memcpy(buf, x, sizeof buf);
        act_forward(buf, buf, NA, (act_t)a, LEAK);
        cr_expect(memcmp(buf, y, sizeof y) == 0, "%s forward in place differs", act_name((act_t)a));
        memcpy(buf, r, sizeof buf);
        act_backward(buf, buf, y, NA, (act_t)a, LEAK);
        cr_expect(memcmp(buf, dx, sizeof dx) == 0, "%s backward in place differs", act_name((act_t)a));
    }
}

/* ---- fused sigmoid + BCE loss ---------------------------------------- */

enum { NL = 40 };

typedef struct {
    double x[NL];
    double target, scale;
} bce_ctx_t;

/* scale * sum of per-logit losses: its gradient is what bce_logits writes. */
static double bce_loss(void *p)
{
    bce_ctx_t *c = p;
    double s = 0.0;
    for (int i = 0; i < NL; i++)
        s += ref_bce1(c->x[i], c->target);
    return c->scale * s;
}

static void check_bce(float target, float scale, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed, 0);
    float x[NL], dx[NL];
    bce_ctx_t c = {.target = target, .scale = scale};
    fill_normal(x, NL, 4.0, &rng); /* spans saturated and linear regions */
    double mean = 0.0;
    for (int i = 0; i < NL; i++) {
        c.x[i] = x[i];
        mean += ref_bce1(x[i], target) / NL;
    }
    float loss = bce_logits(dx, x, target, NL, scale);
    cr_expect(fabs(loss - mean) <= FWD_ATOL + FWD_RTOL * fabs(mean),
              "bce mean loss %.9g, reference %.12g", (double)loss, mean);
    cr_expect(bce_logits(NULL, x, target, NL, scale) == loss,
              "bce loss changes when dlogits is NULL");
    double g[NL];
    central_diff(g, c.x, NL, bce_loss, &c);
    char label[64];
    snprintf(label, sizeof label, "bce dlogits (t=%g, scale=%g)", (double)target, (double)scale);
    expect_grad(dx, g, NL, GRAD_ATOL, GRAD_RTOL, label);
}

Test(loss, bce_target1_gradient_of_mean_matches_central_differences) { check_bce(1.0f, 1.0f / NL, 21); }
Test(loss, bce_target0_gradient_of_mean_matches_central_differences) { check_bce(0.0f, 1.0f / NL, 22); }
Test(loss, bce_scale_multiplies_gradient) { check_bce(1.0f, 0.37f, 23); check_bce(0.0f, -2.5f, 24); }

/* Hand-derived: loss(x, t=1) = log(1 + e^-x), loss(x, t=0) = log(1 + e^x),
 * d/dx = sigmoid(x) - t.
 *   x = 0:     ln 2 = 0.6931471805599453; sigmoid(0) = 1/2
 *   x = 1:     log(1 + 1/e) = 0.31326168751822286 and
 *              log(1 + e)   = 1.3132616875182228 (= 1 + the former);
 *              sigmoid(1) = 0.7310585786300049, 1 - that = 0.2689414213699951
 *   x = 100:   log1p(e^-100) = 3.720075976020836e-44 (a float subnormal,
 *              nearest 3.7835e-44) and 100 + 3.7e-44 = 100 exactly in float;
 *              sigmoid(100) - 1 = -3.7e-44, sigmoid(-100) = 3.7e-44.
 * Both directions are mirror images: loss(-x, 1-t) = loss(x, t). */
static const float bce_x[5] = {-100.0f, -1.0f, 0.0f, 1.0f, 100.0f};

static void check_bce_exact(float target, const double loss[5], const double grad[5])
{
    /* Subnormal values (3.7e-44) can only be met to float's subnormal
     * spacing 1.4e-45 (the library rounds 1/(1+e^-100) to 1 in double, so
     * its t=1 gradient at 100 is 0, not -3.7e-44): atol 1e-43 there. The
     * others are float roundings of O(1) numbers: rtol 2e-7 (about 2 ulp). */
    for (int i = 0; i < 5; i++) {
        float d = NAN;
        float l = bce_logits(&d, &bce_x[i], target, 1, 1.0f);
        double atol = fabs(loss[i]) < 1e-30 ? 1e-43 : 0.0;
        cr_expect(isfinite(l) && fabs(l - loss[i]) <= atol + 2e-7 * fabs(loss[i]),
                  "t=%g x=%g: loss %.9g, expected %.17g", (double)target,
                  (double)bce_x[i], (double)l, loss[i]);
        atol = fabs(grad[i]) < 1e-30 ? 1e-43 : 0.0;
        cr_expect(isfinite(d) && fabs(d - grad[i]) <= atol + 2e-7 * fabs(grad[i]),
                  "t=%g x=%g: dloss %.9g, expected %.17g", (double)target,
                  (double)bce_x[i], (double)d, grad[i]);
    }
    float d[5];
    double mean = (loss[0] + loss[1] + loss[2] + loss[3] + loss[4]) / 5.0;
    float l = bce_logits(d, bce_x, target, 5, 1.0f);
    cr_expect(fabs(l - mean) <= 2e-7 * mean, "t=%g: mean loss %.9g, expected %.17g",
              (double)target, (double)l, mean);
}

Test(loss, bce_exact_values_target1)
{
    const double loss[5] = {100.0, 1.3132616875182228, 0.6931471805599453,
                            0.31326168751822286, 3.720075976020836e-44};
    const double grad[5] = {-1.0, -0.7310585786300049, -0.5, -0.2689414213699951,
                            -3.720075976020836e-44};
    check_bce_exact(1.0f, loss, grad);
    float x = 100.0f, x0 = 0.0f;
    cr_expect(bce_logits(NULL, &x, 0.0f, 1, 1.0f) == 100.0f, "loss(100, t=0) is not exactly 100");
    cr_expect(bce_logits(NULL, &x0, 1.0f, 1, 1.0f) == (float)M_LN2, "loss(0, t=1) is not ln 2");
}

Test(loss, bce_exact_values_target0)
{
    const double loss[5] = {3.720075976020836e-44, 0.31326168751822286, 0.6931471805599453,
                            1.3132616875182228, 100.0};
    const double grad[5] = {3.720075976020836e-44, 0.2689414213699951, 0.5,
                            0.7310585786300049, 1.0};
    check_bce_exact(0.0f, loss, grad);
    float x = -100.0f;
    cr_expect(bce_logits(NULL, &x, 1.0f, 1, 1.0f) == 100.0f, "loss(-100, t=1) is not exactly 100");
}

Test(loss, bce_is_finite_for_huge_logits)
{
    const float x[6] = {-1e30f, -1000.0f, -88.8f, 88.8f, 1000.0f, 1e30f};
    for (int t = 0; t <= 1; t++)
        for (int i = 0; i < 6; i++) {
            float d;
            float l = bce_logits(&d, &x[i], (float)t, 1, 1.0f);
            /* loss is |x| on the wrong side, ~0 on the right side */
            double want = (t == 1) == (x[i] > 0) ? 0.0 : fabs((double)x[i]);
            cr_expect(isfinite(l) && isfinite(d), "t=%d x=%g: loss %g grad %g", t,
                      (double)x[i], (double)l, (double)d);
            cr_expect(fabs(l - want) <= 1e-37 + 1e-7 * want, "t=%d x=%g: loss %.9g, want %.9g",
                      t, (double)x[i], (double)l, want);
            cr_expect(fabs(d - ((x[i] > 0) - t)) <= 1e-37, "t=%d x=%g: grad %.9g", t,
                      (double)x[i], (double)d);
        }
}

/* ---- whole MLP -------------------------------------------------------- */

enum { MB = 4, MAXB = 8, NLAYER = 3 };
static const int mlp_sizes[NLAYER + 1] = {6, 5, 4, 3};
#define MLP_NIN 6
#define MLP_NOUT 3

typedef struct {
    act_t acts[NLAYER];
    float leak;
    int batch;
    double *params; /* the layout documented in mlp.h: per layer W then b */
    double *x, *r;
    double *h[NLAYER]; /* post-activations */
    double *z;         /* pre-activation scratch */
    double min_kink;   /* smallest |pre-activation| of a (leaky) ReLU */
} mlp_ref_t;

static void mlp_ref_init(mlp_ref_t *m, const act_t *acts, float leak, int batch)
{
    memset(m, 0, sizeof *m);
    memcpy(m->acts, acts, sizeof m->acts);
    m->leak = leak;
    m->batch = batch;
    size_t np = 0;
    for (int l = 0; l < NLAYER; l++) {
        np += (size_t)mlp_sizes[l] * mlp_sizes[l + 1] + mlp_sizes[l + 1];
        m->h[l] = dalloc((size_t)batch * mlp_sizes[l + 1]);
    }
    m->params = dalloc(np);
    m->x = dalloc((size_t)batch * MLP_NIN);
    m->r = dalloc((size_t)batch * MLP_NOUT);
    m->z = dalloc((size_t)batch * 8);
}

static void mlp_ref_free(mlp_ref_t *m)
{
    for (int l = 0; l < NLAYER; l++)
        free(m->h[l]);
    free(m->params);
    free(m->x);
    free(m->r);
    free(m->z);
}

static size_t mlp_ref_n_params(void)
{
    size_t np = 0;
    for (int l = 0; l < NLAYER; l++)
        np += (size_t)mlp_sizes[l] * mlp_sizes[l + 1] + mlp_sizes[l + 1];
    return np;
}

static const double *mlp_ref_forward(mlp_ref_t *m)
{
    const double *in = m->x;
    size_t off = 0;
    m->min_kink = INFINITY;
    for (int l = 0; l < NLAYER; l++) {
        int n_in = mlp_sizes[l], n_out = mlp_sizes[l + 1];
        const double *w = m->params + off;
        const double *b = w + (size_t)n_in * n_out;
        off += (size_t)n_in * n_out + n_out;
        size_t n = (size_t)m->batch * n_out;
        ref_dense(m->z, in, w, b, m->batch, n_in, n_out);
        if (m->acts[l] == ACT_RELU || m->acts[l] == ACT_LEAKY_RELU)
            for (size_t i = 0; i < n; i++)
                m->min_kink = fmin(m->min_kink, fabs(m->z[i]));
        ref_act(m->h[l], m->z, n, m->acts[l], m->leak);
        in = m->h[l];
    }
    return in;
}

static double mlp_ref_loss(void *p)
{
    mlp_ref_t *m = p;
    return dot(mlp_ref_forward(m), m->r, (size_t)m->batch * MLP_NOUT);
}

/* The library of the fp32 products under test (TEST_EVERY_PRODUCTS). */
static products_lib_t test_products = PRODUCTS_OPENBLAS;

static void make_net(mlp_t *net, const act_t *acts)
{
    gan_err_t err;
    int rc = mlp_create(net, NLAYER, mlp_sizes, acts, LEAK, MAXB, &err);
    cr_assert_eq(rc, GAN_OK, "mlp_create: %s", err.msg);
    rc = net_set_products(net, PRECISION_FP32, test_products, NULL, 0, &err);
    cr_assert_eq(rc, GAN_OK, "net_set_products: %s", err.msg);
    cr_assert_eq(net->n_params, mlp_ref_n_params());
}

/* Random params (std 0.8 so every activation leaves its linear region),
 * input x and loss weights r, in float for the library and double for the
 * reference. */
static void mlp_case(mlp_t *net, mlp_ref_t *ref, float *x, float *r, int batch,
                     uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed, 3);
    fill_normal(net->params, net->n_params, 0.8, &rng);
    fill_normal(x, (size_t)batch * MLP_NIN, 1.0, &rng);
    fill_normal(r, (size_t)batch * MLP_NOUT, 1.0, &rng);
    for (size_t i = 0; i < net->n_params; i++)
        ref->params[i] = net->params[i];
    for (int i = 0; i < batch * MLP_NIN; i++)
        ref->x[i] = x[i];
    for (int i = 0; i < batch * MLP_NOUT; i++)
        ref->r[i] = r[i];
}

/* Four mixes of every activation; identity sits both on top (D's logit)
 * and in the middle, which exercises each scratch-buffer path. */
static const act_t mlp_configs[][NLAYER] = {
    {ACT_LEAKY_RELU, ACT_TANH, ACT_SIGMOID},
    {ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_IDENTITY},
    {ACT_TANH, ACT_IDENTITY, ACT_LEAKY_RELU},
    {ACT_RELU, ACT_SIGMOID, ACT_TANH},
};
#define N_CONFIGS (sizeof mlp_configs / sizeof mlp_configs[0])
static const uint64_t mlp_seeds[] = {101, 202, 303};
#define N_SEEDS (sizeof mlp_seeds / sizeof mlp_seeds[0])

TEST_EVERY_PRODUCTS(mlp, forward_matches_double_reference)
{
    for (size_t c = 0; c < N_CONFIGS; c++)
        for (size_t s = 0; s < N_SEEDS; s++) {
            mlp_t net;
            mlp_ref_t ref;
            float x[MB * MLP_NIN], r[MB * MLP_NOUT];
            make_net(&net, mlp_configs[c]);
            mlp_ref_init(&ref, mlp_configs[c], LEAK, MB);
            mlp_case(&net, &ref, x, r, MB, mlp_seeds[s]);
            const float *out = mlp_forward(&net, x, MB);
            char label[64];
            snprintf(label, sizeof label, "mlp forward, config %zu seed %zu", c, s);
            expect_grad(out, mlp_ref_forward(&ref), MB * MLP_NOUT, FWD_ATOL, FWD_RTOL, label);
            mlp_ref_free(&ref);
            mlp_destroy(&net);
        }
}

TEST_EVERY_PRODUCTS(mlp, backward_matches_central_differences_for_every_param_and_input)
{
    for (size_t c = 0; c < N_CONFIGS; c++)
        for (size_t s = 0; s < N_SEEDS; s++) {
            mlp_t net;
            mlp_ref_t ref;
            float x[MB * MLP_NIN], r[MB * MLP_NOUT], r_copy[MB * MLP_NOUT];
            float dx[MB * MLP_NIN];
            make_net(&net, mlp_configs[c]);
            mlp_ref_init(&ref, mlp_configs[c], LEAK, MB);
            mlp_case(&net, &ref, x, r, MB, mlp_seeds[s]);
            memcpy(r_copy, r, sizeof r);

            mlp_forward(&net, x, MB);
            mlp_zero_grad(&net);
            mlp_backward(&net, dx, r, MLP_GRADS_ADD);
            cr_expect(memcmp(r, r_copy, sizeof r) == 0, "mlp_backward wrote into dout");

            double *gp = dalloc(net.n_params), gx[MB * MLP_NIN];
            mlp_ref_loss(&ref);
            cr_assert_gt(ref.min_kink, 1e-3, "config %zu seed %zu: a ReLU input is %g "
                         "from the kink; pick another seed", c, s, ref.min_kink);
            central_diff(gp, ref.params, net.n_params, mlp_ref_loss, &ref);
            central_diff(gx, ref.x, MB * MLP_NIN, mlp_ref_loss, &ref);
            char label[80];
            snprintf(label, sizeof label, "mlp dparams, config %zu seed %zu", c, s);
            expect_grad(net.grads, gp, net.n_params, GRAD_ATOL, GRAD_RTOL, label);
            snprintf(label, sizeof label, "mlp dx, config %zu seed %zu", c, s);
            expect_grad(dx, gx, MB * MLP_NIN, GRAD_ATOL, GRAD_RTOL, label);
            free(gp);
            mlp_ref_free(&ref);
            mlp_destroy(&net);
        }
}

TEST_EVERY_PRODUCTS(mlp, backward_without_param_grads_leaves_grads_and_gives_dx)
{
    mlp_t net;
    mlp_ref_t ref;
    float x[MB * MLP_NIN], r[MB * MLP_NOUT], dx[MB * MLP_NIN];
    make_net(&net, mlp_configs[0]);
    mlp_ref_init(&ref, mlp_configs[0], LEAK, MB);
    mlp_case(&net, &ref, x, r, MB, 404);
    for (size_t i = 0; i < net.n_params; i++)
        net.grads[i] = 7.0f + (float)i; /* sentinel */
    mlp_forward(&net, x, MB);
    mlp_backward(&net, dx, r, MLP_GRADS_NONE);
    for (size_t i = 0; i < net.n_params; i++)
        cr_expect(net.grads[i] == 7.0f + (float)i, "grads[%zu] changed to %g", i,
                  (double)net.grads[i]);
    double gx[MB * MLP_NIN];
    central_diff(gx, ref.x, MB * MLP_NIN, mlp_ref_loss, &ref);
    expect_grad(dx, gx, MB * MLP_NIN, GRAD_ATOL, GRAD_RTOL, "mlp dx with param_grads=0");
    mlp_ref_free(&ref);
    mlp_destroy(&net);
}

/* GRADS_SET is the single-pass mode the GAN step uses: whatever the buffer
 * held before (NaN here, which any read-and-add would spread) is replaced
 * by the true gradient. */
TEST_EVERY_PRODUCTS(mlp, backward_set_mode_overwrites_stale_grads)
{
    mlp_t net;
    mlp_ref_t ref;
    float x[MB * MLP_NIN], r[MB * MLP_NOUT];
    make_net(&net, mlp_configs[2]);
    mlp_ref_init(&ref, mlp_configs[2], LEAK, MB);
    mlp_case(&net, &ref, x, r, MB, 606);
    for (size_t i = 0; i < net.n_params; i++)
        net.grads[i] = NAN;
    mlp_forward(&net, x, MB);
    mlp_backward(&net, NULL, r, MLP_GRADS_SET);
    double *g = dalloc(net.n_params);
    central_diff(g, ref.params, net.n_params, mlp_ref_loss, &ref);
    expect_grad(net.grads, g, net.n_params, GRAD_ATOL, GRAD_RTOL, "mlp grads in set mode");
    free(g);
    mlp_ref_free(&ref);
    mlp_destroy(&net);
}

/* The discriminator's pattern: a real and a fake pass (here with batches
 * smaller than max_batch and different from each other, the second with
 * no input gradient) add up in one gradient buffer. */
TEST_EVERY_PRODUCTS(mlp, backward_accumulates_over_two_passes)
{
    const int b1 = 3, b2 = 5;
    mlp_t net;
    mlp_ref_t ref1, ref2;
    float x1[3 * MLP_NIN], r1[3 * MLP_NOUT], x2[5 * MLP_NIN], r2[5 * MLP_NOUT];
    float dx1[3 * MLP_NIN];
    make_net(&net, mlp_configs[1]);
    mlp_ref_init(&ref1, mlp_configs[1], LEAK, b1);
    mlp_ref_init(&ref2, mlp_configs[1], LEAK, b2);
    mlp_case(&net, &ref1, x1, r1, b1, 505);
    rng_t rng;
    rng_seed(&rng, 506, 0);
    fill_normal(x2, (size_t)b2 * MLP_NIN, 1.0, &rng);
    fill_normal(r2, (size_t)b2 * MLP_NOUT, 1.0, &rng);
    for (size_t i = 0; i < net.n_params; i++)
        ref2.params[i] = net.params[i];
    for (int i = 0; i < b2 * MLP_NIN; i++)
        ref2.x[i] = x2[i];
    for (int i = 0; i < b2 * MLP_NOUT; i++)
        ref2.r[i] = r2[i];

    mlp_zero_grad(&net);
    mlp_forward(&net, x1, b1);
    mlp_backward(&net, dx1, r1, MLP_GRADS_ADD);
    mlp_forward(&net, x2, b2);
    mlp_backward(&net, NULL, r2, MLP_GRADS_ADD);

    double *g1 = dalloc(net.n_params), *g2 = dalloc(net.n_params);
    central_diff(g1, ref1.params, net.n_params, mlp_ref_loss, &ref1);
    central_diff(g2, ref2.params, net.n_params, mlp_ref_loss, &ref2);
    for (size_t i = 0; i < net.n_params; i++)
        g1[i] += g2[i];
    expect_grad(net.grads, g1, net.n_params, GRAD_ATOL, GRAD_RTOL, "mlp grads of two passes");
    double gx[3 * MLP_NIN];
    central_diff(gx, ref1.x, (size_t)b1 * MLP_NIN, mlp_ref_loss, &ref1);
    expect_grad(dx1, gx, (size_t)b1 * MLP_NIN, GRAD_ATOL, GRAD_RTOL, "mlp dx of the first pass");
    free(g1);
    free(g2);
    mlp_ref_free(&ref1);
    mlp_ref_free(&ref2);
    mlp_destroy(&net);
}
