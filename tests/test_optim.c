/* Adam and SGD against hand-derived updates, and the non-finite scan.
 *
 * The Adam steps use betas that are exact binary fractions (0.5, 0.75),
 * lr 1/8 and dyadic gradients, so m, v, the bias corrections and m_hat,
 * v_hat are exact rationals (written out below) and the only rounding left
 * in the library is one sqrt and one division per update. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gan/health.h"
#include "gan/optim.h"
#include "test_util.h"

/* Params near 1 after float updates of size ~0.1 with a sqrt, a division
 * and two roundings: a few ulp (ulp(1) = 1.2e-7). */
#define P_ATOL 3e-7
#define P_RTOL 0.0

/* Derived with exact fractions (python fractions.Fraction for m, v, the
 * bias corrections and the hats, decimal with 30 digits for the sqrt):
 *   b1 = 1/2, b2 = 3/4, lr = 1/8, eps = 1e-8, p0 = (1, -1/2, 1/4)
 *   g1 = (1/2, -1, 2), g2 = (3/2, -1/4, -1), g3 = (-1/2, 0, 3/4)
 * t=1: m = (1/4, -1/2, 1), v = (1/16, 1/4, 1); 1-b1 = 1/2, 1-b2 = 1/4
 *      m_hat = (1/2, -1, 2), v_hat = (1/4, 1, 4), sqrt = (1/2, 1, 2)
 *      update = lr m_hat / (sqrt(v_hat) + eps) = 1/8 (1, -1, 1) (1 - 2e-8, ...)
 *      p = (0.875000002, -0.375000001, 0.125000001)
 * t=2: m = (7/8, -3/8, 0), v = (39/64, 13/64, 1); 1-b1^2 = 3/4, 1-b2^2 = 7/16
 *      m_hat = (7/6, -1/2, 0), v_hat = (39/28, 13/28, 16/7)
 *      update = (0.123567287, -0.0917249219, 0)
 *      p = (0.751432716, -0.283275079, 0.125000001)
 * t=3: m = (3/16, -3/16, 3/8), v = (133/256, 39/256, 57/64);
 *      1-b1^3 = 7/8, 1-b2^3 = 37/64
 *      m_hat = (3/14, -3/14, 3/7), v_hat = (133/148, 39/148, 57/37)
 *      update = (0.0282558427, -0.052179724, 0.0431615128)
 *      p = (0.723176873, -0.231095355, 0.0818384878) */
static const adam_cfg_t cfg = {.lr = 0.125f, .beta1 = 0.5f, .beta2 = 0.75f, .eps = 1e-8f};
static const float g[3][3] = {{0.5f, -1.0f, 2.0f}, {1.5f, -0.25f, -1.0f}, {-0.5f, 0.0f, 0.75f}};
static const float want_p[3][3] = {{0.875000002f, -0.375000001f, 0.125000001f},
                                   {0.751432716f, -0.283275079f, 0.125000001f},
                                   {0.723176873f, -0.231095355f, 0.0818384878f}};

Test(optim, adam_three_steps_match_hand_derivation)
{
    /* m and v are exact in float: compare exactly. */
    const float want_m[3][3] = {{0.25f, -0.5f, 1.0f}, {0.875f, -0.375f, 0.0f},
                                {0.1875f, -0.1875f, 0.375f}};
    const float want_v[3][3] = {{0.0625f, 0.25f, 1.0f},
                                {39.0f / 64, 13.0f / 64, 1.0f},
                                {133.0f / 256, 39.0f / 256, 57.0f / 64}};
    float p[3] = {1.0f, -0.5f, 0.25f};
    adam_t adam;
    gan_err_t err;
    cr_assert_eq(adam_create(&adam, 3, cfg, &err), GAN_OK, "%s", err.msg);
    for (int t = 0; t < 3; t++) {
        adam_step(&adam, p, g[t]);
        char label[32];
        snprintf(label, sizeof label, "params after step %d", t + 1);
        expect_close(p, want_p[t], 3, P_ATOL, P_RTOL, label);
        snprintf(label, sizeof label, "m after step %d", t + 1);
        expect_close(adam.m, want_m[t], 3, 0.0, 0.0, label);
        snprintf(label, sizeof label, "v after step %d", t + 1);
        expect_close(adam.v, want_v[t], 3, 0.0, 0.0, label);
        cr_expect_eq(adam.step, t + 1);
    }
    adam_destroy(&adam);
    adam_destroy(&adam); /* destroy twice (zeroed) is fine */
}

/* The per-layer form the GAN step uses: one adam_begin_step, then slices
 * ([0, 1) and [1, 3) here, the second with its gradient at offset 0) must
 * land on the same hand-derived values as adam_step above. */
Test(optim, adam_in_slices_matches_hand_derivation)
{
    float p[3] = {1.0f, -0.5f, 0.25f};
    adam_t adam;
    gan_err_t err;
    cr_assert_eq(adam_create(&adam, 3, cfg, &err), GAN_OK, "%s", err.msg);
    for (int t = 0; t < 3; t++) {
        adam_begin_step(&adam);
        adam_update_range(&adam, p, g[t] + 1, 1, 2);
        adam_update_range(&adam, p, g[t], 0, 1);
        char label[40];
        snprintf(label, sizeof label, "params after sliced step %d", t + 1);
        expect_close(p, want_p[t], 3, P_ATOL, P_RTOL, label);
        cr_expect_eq(adam.step, t + 1);
    }
    adam_destroy(&adam);
}

/* PyTorch adds eps to sqrt(v_hat). With a constant gradient g, m_hat = g
 * and v_hat = g^2 at every step, so each step moves p by exactly
 * lr g / (|g| + eps). With g = 1e-3, eps = 1e-2, lr = 1:
 *   PyTorch:                    1e-3 / 1.1e-2            = 1/11 = 0.0909091
 *   eps inside the sqrt:        1e-3 / sqrt(1e-6 + 1e-2) = 0.0099995
 *   eps on the uncorrected v (Kingma & Ba's "efficient" form), step 1:
 *     sqrt(1-b2)/(1-b1) m / (sqrt(v) + eps) = 0.0031...
 * Two steps: p = -2/11. rtol 1e-5: the float betas (0.9f, 0.999f) make the
 * bias corrections cancel only to a few float ulps of 1 - b2 = 1e-3. */
Test(optim, adam_adds_eps_to_sqrt_of_corrected_v)
{
    adam_cfg_t cfg = ADAM_DEFAULTS;
    cfg.lr = 1.0f;
    cfg.eps = 1e-2f;
    float p = 0.0f, g = 1e-3f;
    adam_t adam;
    cr_assert_eq(adam_create(&adam, 1, cfg, NULL), GAN_OK);
    adam_step(&adam, &p, &g);
    cr_expect(fabs(p + 1.0 / 11.0) <= 1e-5 / 11.0, "step 1: p = %.9g, want -1/11", (double)p);
    adam_step(&adam, &p, &g);
    cr_expect(fabs(p + 2.0 / 11.0) <= 2e-5 / 11.0, "step 2: p = %.9g, want -2/11", (double)p);
    adam_destroy(&adam);
}

/* With PyTorch's defaults the first step is lr * sign(g) for any g much
 * larger than eps (m_hat = g, sqrt(v_hat) = |g|), whatever its size. */
Test(optim, adam_default_first_step_is_lr_times_sign)
{
    const float g[4] = {1e-3f, -5.0f, 100.0f, -0.25f};
    float p[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    const float want[4] = {-1e-3f, 1e-3f, -1e-3f, 1e-3f};
    adam_t adam;
    cr_assert_eq(adam_create(&adam, 4, ADAM_DEFAULTS, NULL), GAN_OK);
    adam_step(&adam, p, g);
    /* eps/|g| = 1e-5 relative at g = 1e-3, plus float ulps of 1 - b2. */
    expect_close(p, want, 4, 0.0, 2e-5, "first Adam step");
    adam_destroy(&adam);
}

Test(optim, adam_zero_gradient_leaves_params)
{
    float p[2] = {0.5f, -3.0f}, g[2] = {0.0f, 0.0f};
    const float want[2] = {0.5f, -3.0f};
    adam_t adam;
    cr_assert_eq(adam_create(&adam, 2, ADAM_DEFAULTS, NULL), GAN_OK);
    adam_step(&adam, p, g);
    expect_close(p, want, 2, 0.0, 0.0, "params after a zero-gradient step");
    adam_destroy(&adam);
}

/* p -= lr g with exact binary fractions: no rounding at all. */
Test(optim, sgd_one_step)
{
    float p[3] = {1.0f, -2.0f, 0.5f};
    const float g[3] = {0.5f, 0.25f, -4.0f};
    const float want[3] = {0.9375f, -2.03125f, 1.0f};
    sgd_step(p, g, 3, 0.125f);
    expect_close(p, want, 3, 0.0, 0.0, "sgd step");
}

/* ---- health_first_nonfinite ------------------------------------------- */

enum { NH = 1000 }; /* three 256-blocks and a 232-element tail */

static void fill_finite(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (i % 7 == 0 ? -1.0f : 1.0f) * (float)i * 1e30f; /* large, finite */
}

Test(health, all_finite_returns_n)
{
    float a[NH];
    fill_finite(a, NH);
    a[3] = FLT_MAX;
    a[300] = -FLT_MAX;
    a[500] = 1e-45f; /* subnormal */
    a[600] = -0.0f;
    for (size_t n = 0; n <= NH; n += (n < 300 ? 1 : 37))
        cr_expect_eq(health_first_nonfinite(a, n), n, "n = %zu", n);
    cr_expect_eq(health_first_nonfinite(a, NH), (size_t)NH);
}

static void check_nonfinite_at(float bad, const char *what)
{
    static const size_t pos[] = {0, 1, 17, 254, 255, 256, 257, 511, 512, 700, 767, 768, 769, 998, 999};
    float a[NH];
    for (size_t k = 0; k < sizeof pos / sizeof pos[0]; k++) {
        fill_finite(a, NH);
        a[pos[k]] = bad;
        cr_expect_eq(health_first_nonfinite(a, NH), pos[k], "%s at %zu", what, pos[k]);
        /* a shorter array that ends right after it, and one that stops before */
        cr_expect_eq(health_first_nonfinite(a, pos[k] + 1), pos[k], "%s at %zu, n = %zu", what,
                     pos[k], pos[k] + 1);
        cr_expect_eq(health_first_nonfinite(a, pos[k]), pos[k], "%s past n = %zu", what, pos[k]);
    }
}

Test(health, finds_nan) { check_nonfinite_at(NAN, "NaN"); check_nonfinite_at(-NAN, "-NaN"); }
Test(health, finds_positive_infinity) { check_nonfinite_at(INFINITY, "+inf"); }
Test(health, finds_negative_infinity) { check_nonfinite_at(-INFINITY, "-inf"); }

Test(health, returns_the_first_of_several)
{
    float a[NH];
    fill_finite(a, NH);
    a[900] = NAN;
    a[600] = INFINITY;
    a[601] = -INFINITY; /* +inf and -inf in one block: their products are NaN, not 0 */
    a[300] = -INFINITY;
    cr_expect_eq(health_first_nonfinite(a, NH), (size_t)300);
    a[299] = NAN;
    cr_expect_eq(health_first_nonfinite(a, NH), (size_t)299);
    a[5] = INFINITY;
    cr_expect_eq(health_first_nonfinite(a, NH), (size_t)5);
}
