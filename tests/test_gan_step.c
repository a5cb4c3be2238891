/* Two full GAN training steps against the PyTorch twin.
 *
 * tests/ref/gan_step.bin (tests/ref/make_fixtures.py, make_gan_step) holds,
 * computed in float64 from float32-rounded inputs:
 *   G: 8 -> 16 -> 24 -> 32 -> 20, leaky ReLU (0.2) x3, tanh
 *   D: 20 -> 32 -> 24 -> 16 -> 1, leaky ReLU (0.2) x3, logit
 *   "G.l<i>.w/b", "D.l<i>.w/b"        initial weights (nn.Linear's init)
 *   for s = s0, s1 (batch 6, Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8):
 *   "<s>.real", "<s>.z"               the inputs of the step
 *   "<s>.fake"                        G(z) (G runs once; reused by the G step)
 *   "<s>.d_loss", "<s>.g_loss"        BCE(D(x),1)+BCE(D(fake),0); BCE(D'(fake),1)
 *   "<s>.d_real", "<s>.d_fake"        mean sigmoid of D's logits in the D step
 *   "<s>.D.l<i>.dw/db"                D's gradients of the D step
 *   "<s>.G.l<i>.dw/db"                G's gradients of the G step (through D')
 *   "<s>.D.l<i>.w/b", "<s>.G.l<i>.w/b" both nets' params after the step
 *
 * Here the same GAN is built with gan_create, the initial weights copied in,
 * and gan_step run on s0 then s1; every tensor is compared after each step,
 * so an error in the first step cannot hide behind the second.
 *
 * What gan_step leaves behind (gan.c): gan->g.acts[last] is the step's fake
 * batch (G's forward ran once, its backward does not touch acts). The nets
 * keep no gradients: the tests collect each layer's gradient through
 * gan->on_layer_grads (collect_grads), D's from the D step and G's from the
 * G step (the G step back-propagates through D without D's gradients).
 *
 * The last tests run the same two steps in bf16-emulated and in native
 * bf16 (oneDNN, skipped on a CPU without it) and compare them with the same
 * fp32 fixture within bounds derived from bf16's precision (the derivation
 * is above them). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gan/bf16.h"
#include "gan/dense_bf16.h"
#include "gan/gan.h"
#include "gan/products.h"
#include "ref_fixture.h"
#include "test_util.h"

#define FIXTURE "tests/ref/gan_step.bin"

/* float32 code against a float64 reference on nets this small: a few ulps
 * of accumulated rounding, well under 1e-5 relative (the same bound as
 * tests/test_reference.c). */
#define RTOL 1e-5
/* Absolute floors, per kind of value:
 * - params are O(0.01..0.5) and move by ~2e-4 per step: float32 rounding of
 *   the param itself is ~3e-8, so 1e-7 absolute is a few ulps of a 0.3-sized
 *   weight, and far below one Adam step (2e-4): a wrong update shows.
 * - gradients: G's are tiny (1e-3 .. 1e-9, they pass through a barely
 *   trained D), so an atol of 1e-6 would accept anything; the fixture's
 *   author measured the float32 error at well under 1e-8 absolute.
 * - activations (fake, in [-1, 1]) and losses / probabilities (O(1)):
 *   a few ulps of 1. */
#define PARAM_ATOL 1e-7
#define GRAD_ATOL 1e-8
#define VALUE_ATOL 1e-6

enum { BATCH = 6, Z_DIM = 8, IMAGE = 20, N_LAYERS = 4 };

static ref_fixture_t *fx;
static gan_t gan;

/* Each net's gradients of the last step, laid out like its params, as
 * gan->on_layer_grads handed them over; seen[net][layer] counts the calls. */
enum { MAX_PARAMS = 4096 };
static float step_grads[2][MAX_PARAMS];
static int seen[2][N_LAYERS];

static void collect_grads(void *ctx, mlp_t *net, int layer, const float *grads,
                          const float *dinput)
{
    (void)ctx;
    (void)dinput;
    const int k = net == &gan.d;
    const mlp_layer_t *l = &net->layers[layer];
    cr_assert_leq(net->n_params, MAX_PARAMS);
    memcpy(step_grads[k] + l->w_off, grads,
           ((size_t)l->n_out * l->n_in + (size_t)l->n_out) * sizeof *grads);
    seen[k][layer]++;
}

/* gan_step with the gradients collected; every layer of both nets must be
 * reported exactly once. */
static void step_collecting(const float *real, const float *z, gan_stats_t *st)
{
    memset(step_grads, 0xff, sizeof step_grads); /* NaN: a layer left out shows */
    memset(seen, 0, sizeof seen);
    gan.on_layer_grads = collect_grads;
    gan_step(&gan, real, z, BATCH, st);
    for (int k = 0; k < 2; k++)
        for (int l = 0; l < N_LAYERS; l++)
            cr_expect_eq(seen[k][l], 1, "%s layer %d reported %d times", k ? "D" : "G", l,
                         seen[k][l]);
}

static void teardown(void)
{
    gan_destroy(&gan);
    ref_close(fx);
    fx = NULL;
}

TestSuite(gan_step, .fini = teardown);

/* The fixture's tensor name (n floats). */
static const float *ref(const char *name, size_t n) { return ref_get_lazy(&fx, FIXTURE, name, n); }

/* The library of the fp32 products under test (TEST_EVERY_PRODUCTS). */
static products_lib_t test_products = PRODUCTS_OPENBLAS;

static void build_gan(void)
{
    const gan_arch_t arch = {
        .z_dim = Z_DIM,
        .image_size = IMAGE,
        .n_g_hidden = 3,
        .g_hidden = {16, 24, 32},
        .n_d_hidden = 3,
        .d_hidden = {32, 24, 16},
        .leak = 0.2f,
    };
    const adam_cfg_t adam = {.lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .eps = 1e-8f};
    gan_err_t err;
    cr_assert_eq(gan_create(&gan, &arch, adam, adam, BATCH, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(gan.g.n_layers, N_LAYERS);
    cr_assert_eq(gan.d.n_layers, N_LAYERS);
    cr_assert_eq(mlp_input_size(&gan.g), Z_DIM);
    cr_assert_eq(mlp_output_size(&gan.g), IMAGE);
    cr_assert_eq(mlp_input_size(&gan.d), IMAGE);
    cr_assert_eq(mlp_output_size(&gan.d), 1);
    cr_assert_eq(gan_set_products(&gan, PRECISION_FP32, test_products, &err), GAN_OK, "%s",
                 err.msg);
}

/* Copies "<prefix>.l<i>.w" / ".b" into net's params. */
static void load_params(mlp_t *net, const char *prefix)
{
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        size_t n_w = (size_t)layer->n_out * layer->n_in;
        char name[64];
        snprintf(name, sizeof name, "%s.l%d.w", prefix, l);
        memcpy(net->params + layer->w_off, ref(name, n_w), n_w * sizeof(float));
        snprintf(name, sizeof name, "%s.l%d.b", prefix, l);
        memcpy(net->params + layer->b_off, ref(name, (size_t)layer->n_out),
               (size_t)layer->n_out * sizeof(float));
    }
}

/* Compares values (net's params or grads) layer by layer with the fixture's
 * "<prefix>.l<i><w_suffix>" and "<prefix>.l<i><b_suffix>". */
static void expect_layers(const mlp_t *net, const float *values, const char *prefix,
                          const char *w_suffix, const char *b_suffix, double atol)
{
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        size_t n_w = (size_t)layer->n_out * layer->n_in;
        char name[64];
        snprintf(name, sizeof name, "%s.l%d%s", prefix, l, w_suffix);
        expect_close(values + layer->w_off, ref(name, n_w), n_w, atol, RTOL, name);
        snprintf(name, sizeof name, "%s.l%d%s", prefix, l, b_suffix);
        expect_close(values + layer->b_off, ref(name, (size_t)layer->n_out),
                     (size_t)layer->n_out, atol, RTOL, name);
    }
}

/* A gan_stats_t field (double) against a 1-value fixture tensor. */
static void expect_stat(double got, const char *step, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", step, what);
    float g = (float)got;
    expect_close(&g, ref(name, 1), 1, VALUE_ATOL, RTOL, name);
}

/* Runs the fixture's step `step` ("s0", "s1") and compares everything. */
/* The step's per-layer weight-gradient norms (layers.csv) against the norm
 * of the fixture's dw tensors, computed here in double. */
static void expect_grad_norms(const mlp_t *net, const double *norms, const char *prefix)
{
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        size_t n_w = (size_t)layer->n_out * layer->n_in;
        char name[64];
        snprintf(name, sizeof name, "%s.l%d.dw", prefix, l);
        const float *dw = ref(name, n_w);
        double sum = 0.0;
        for (size_t i = 0; i < n_w; i++)
            sum += (double)dw[i] * dw[i];
        cr_expect(fabs(norms[l] - sqrt(sum)) <= 1e-5 * sqrt(sum) + 1e-9,
                  "%s: step reports norm %.9g, fixture dw has %.9g", name, norms[l], sqrt(sum));
    }
}

static void step_and_compare(const char *step)
{
    char name[64], prefix[16];
    snprintf(name, sizeof name, "%s.real", step);
    const float *real = ref(name, BATCH * IMAGE);
    snprintf(name, sizeof name, "%s.z", step);
    const float *z = ref(name, BATCH * Z_DIM);

    gan_stats_t st;
    memset(&st, 0xff, sizeof st); /* NaN everywhere: every field must be set */
    step_collecting(real, z, &st);

    expect_stat(st.d_loss, step, "d_loss");
    expect_stat(st.g_loss, step, "g_loss");
    expect_stat(st.d_real, step, "d_real");
    expect_stat(st.d_fake, step, "d_fake");
    /* Accuracies are fractions of the 6 rows (not in the fixture). */
    for (int k = 0; k < 2; k++) {
        double acc = k ? st.acc_fake : st.acc_real;
        double rows = acc * BATCH;
        cr_expect(acc >= 0.0 && acc <= 1.0 && fabs(rows - round(rows)) < 1e-12,
                  "%s: accuracy %s = %g is not a fraction of %d rows", step,
                  k ? "acc_fake" : "acc_real", acc, BATCH);
    }

    snprintf(name, sizeof name, "%s.fake", step);
    expect_close(gan.g.acts[N_LAYERS - 1], ref(name, BATCH * IMAGE), BATCH * IMAGE,
                 VALUE_ATOL, RTOL, name);

    snprintf(prefix, sizeof prefix, "%s.D", step);
    expect_grad_norms(&gan.d, st.d_grad_norm, prefix);
    expect_layers(&gan.d, step_grads[1], prefix, ".dw", ".db", GRAD_ATOL);
    snprintf(prefix, sizeof prefix, "%s.G", step);
    expect_grad_norms(&gan.g, st.g_grad_norm, prefix);
    expect_layers(&gan.g, step_grads[0], prefix, ".dw", ".db", GRAD_ATOL);

    snprintf(prefix, sizeof prefix, "%s.D", step);
    expect_layers(&gan.d, gan.d.params, prefix, ".w", ".b", PARAM_ATOL);
    snprintf(prefix, sizeof prefix, "%s.G", step);
    expect_layers(&gan.g, gan.g.params, prefix, ".w", ".b", PARAM_ATOL);
}

TEST_EVERY_PRODUCTS(gan_step, two_steps_match_pytorch)
{
    build_gan();
    load_params(&gan.g, "G");
    load_params(&gan.d, "D");
    step_and_compare("s0");
    cr_expect_eq(gan.g_opt.step, 1);
    cr_expect_eq(gan.d_opt.step, 1);
    step_and_compare("s1");
    cr_expect_eq(gan.g_opt.step, 2);
    cr_expect_eq(gan.d_opt.step, 2);
}

/* Training needs one layer's gradient at a time: the nets hold no
 * whole-net gradient buffer (4 bytes per parameter saved). */
Test(gan_step, the_nets_keep_no_whole_net_gradients)
{
    build_gan();
    cr_expect_null(gan.g.grads);
    cr_expect_null(gan.d.grads);
}

/* The fixture's steps really move the params: a test that compared params
 * against themselves (no update, or an update lost) would pass with a too
 * loose PARAM_ATOL; this pins that every tensor changes by far more than it. */
Test(gan_step, fixture_steps_move_every_tensor_beyond_the_tolerance)
{
    static const char *const nets[] = {"G", "D"};
    static const int g_sizes[] = {Z_DIM, 16, 24, 32, IMAGE};
    static const int d_sizes[] = {IMAGE, 32, 24, 16, 1};
    for (int k = 0; k < 2; k++) {
        const int *sizes = k ? d_sizes : g_sizes;
        for (int l = 0; l < N_LAYERS; l++) {
            for (int is_b = 0; is_b <= 1; is_b++) {
                size_t n = (size_t)sizes[l + 1] * (is_b ? 1 : (size_t)sizes[l]);
                char before[64], after[64];
                snprintf(before, sizeof before, "%s.l%d.%s", nets[k], l, is_b ? "b" : "w");
                snprintf(after, sizeof after, "s0.%s.l%d.%s", nets[k], l, is_b ? "b" : "w");
                const float *p0 = ref(before, n), *p1 = ref(after, n);
                double max_move = 0.0;
                for (size_t i = 0; i < n; i++)
                    max_move = fmax(max_move, fabs((double)p1[i] - (double)p0[i]));
                cr_expect(max_move > 100 * PARAM_ATOL,
                          "%s: the first step moves it by at most %g", before, max_move);
            }
        }
    }
}

/* ---- the same two steps in the bf16 modes ------------------------------
 *
 * The tolerance, derived from bf16's precision. bf16 keeps 8 significant
 * bits (7 stored and the implicit one), so rounding to nearest moves a
 * value by at most u = 2^-8 of itself (half the spacing 2^-7 at 1; the
 * issue's "8-bit mantissa" counts the implicit bit). A product reads two rounded
 * operands, so each of its terms a b is off by at most (1+u)^2 - 1 < 2.01u
 * of |a b| (the product of two bf16 values and the fp32 sum add only fp32
 * error, ~2^-24 per term), and an element of the result by 2.01u sum|a b|.
 * An error already in an operand goes through the next product the way
 * the value does, so a value computed through a chain of n products is off
 * by at most 2.01 n u of its magnitude, to first order. As the magnitude of
 * a tensor we take its largest absolute value in the fixture: an element
 * near 0 is a sum that cancels, and its error is set by the size of its
 * terms, not by its own size. Chains, counting the products on the longest
 * path from the step's inputs:
 *   fake: G's 4;  D's logits: G's 4 + D's 4 = 8;
 *   D-step gradient of a D layer: 8 to the logit, at most 3 input-gradient
 *   products back down, 1 weight-gradient product: 12;
 *   G-step gradient of a G layer: G 4 + D' 4 forward, D' 4 back to the
 *   image, at most 3 in G, 1 weight-gradient product: 16.
 * In the second step the params differ too (by at most 2 lr = 4e-4, where
 * a near-zero gradient's first Adam update flipped sign): under u of
 * weights of 0.1-0.35, counted as one more u per product (3.01u).
 * Losses and mean probabilities come from logits (chain 8) through BCE
 * (at most 1 per logit) and the sigmoid (at most 1/4), with the logits'
 * magnitude measured by an fp32 forward of both nets before the step.
 * Parameters: Adam normalizes the gradient, so its update is bounded by
 * interval arithmetic over each gradient +- its tolerance (adam_interval):
 * tight where a gradient is large against its tolerance, up to 2 lr where
 * its sign is uncertain. Observed here: gradients within 5.3u of their
 * tensor's scale (bound 24u and 32u), params within the intervals.
 * What this cannot see, other tests do: a rounding left out (the bf16
 * MLP against its double model, tests/test_bf16.c) and a weight copy
 * not refreshed after Adam (checked below after each step). */

#define BF16_U (1.0 / 256)

/* Per-tensor tolerance: (2.01 + perturbed) n u max|R|, plus the fp32 floor. */
static double chain_tol(const float *r, size_t n, int chain, int second_step, double atol)
{
    double scale = 0.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs((double)r[i]));
    return (2.01 + second_step) * chain * BF16_U * scale + atol;
}

static void expect_within_tol(const float *got, const float *want, size_t n, double tol,
                              const char *name)
{
    expect_close(got, want, n, tol, 0.0, name);
}

/* Adam's update at step t (1 or 2) as an interval, from gradients g[k] in
 * [g[k] - e[k], g[k] + e[k]] of steps 1..t (optim.h's formula, with m and v
 * written out from zero: m1 = (1-b1) g1, m2 = b1 m1 + (1-b1) g2, v alike). */
static void adam_interval(double *lo, double *hi, int t, const double *g, const double *e)
{
    const double lr = 2e-4, b1 = 0.5, b2 = 0.999, eps = 1e-8;
    const double cm[2][2] = {{1 - b1, 0}, {b1 * (1 - b1), 1 - b1}};
    const double cv[2][2] = {{1 - b2, 0}, {b2 * (1 - b2), 1 - b2}};
    double m_lo = 0, m_hi = 0, v_lo = 0, v_hi = 0;
    for (int k = 0; k < t; k++) {
        double a = g[k] - e[k], b = g[k] + e[k];
        m_lo += cm[t - 1][k] * a;
        m_hi += cm[t - 1][k] * b;
        double sq_hi = fmax(a * a, b * b), sq_lo = a <= 0 && b >= 0 ? 0 : fmin(a * a, b * b);
        v_lo += cv[t - 1][k] * sq_lo;
        v_hi += cv[t - 1][k] * sq_hi;
    }
    double step = lr / (1 - pow(b1, t)), inv = 1 / sqrt(1 - pow(b2, t));
    double d_lo = sqrt(v_lo) * inv + eps, d_hi = sqrt(v_hi) * inv + eps;
    double r_lo = m_lo >= 0 ? m_lo / d_hi : m_lo / d_lo;
    double r_hi = m_hi <= 0 ? m_hi / d_hi : m_hi / d_lo;
    *lo = step * r_lo;
    *hi = step * r_hi;
}

/* The parameters of one layer tensor after both steps: within the widths
 * of the two updates' intervals of the fixture's values. */
static void expect_params_in_adam_intervals(const float *p1, const float *p2, const char *net,
                                            int layer, const char *w_or_b, size_t n,
                                            const double *grad_tol)
{
    char name[64];
    snprintf(name, sizeof name, "s0.%s.l%d.d%s", net, layer, w_or_b);
    const float *g1 = ref(name, n);
    snprintf(name, sizeof name, "s1.%s.l%d.d%s", net, layer, w_or_b);
    const float *g2 = ref(name, n);
    snprintf(name, sizeof name, "s0.%s.l%d.%s", net, layer, w_or_b);
    const float *r1 = ref(name, n);
    snprintf(name, sizeof name, "s1.%s.l%d.%s", net, layer, w_or_b);
    const float *r2 = ref(name, n);
    size_t bad = n;
    double worst = 0;
    for (size_t i = 0; i < n && bad == n; i++) {
        double g[2] = {g1[i], g2[i]}, lo1, hi1, lo2, hi2;
        adam_interval(&lo1, &hi1, 1, g, grad_tol);
        adam_interval(&lo2, &hi2, 2, g, grad_tol);
        double w1 = hi1 - lo1 + PARAM_ATOL, w2 = w1 + (hi2 - lo2) + PARAM_ATOL;
        double d1 = fabs((double)p1[i] - r1[i]), d2 = fabs((double)p2[i] - r2[i]);
        worst = fmax(worst, d2);
        if (!(d1 <= w1) || !(d2 <= w2))
            bad = i;
    }
    cr_expect(bad == n, "%s.l%d.%s [%zu]: params off the fixture by more than Adam's intervals "
              "(worst after step 2: %.3g)", net, layer, w_or_b, bad, worst);
}

/* Both bf16 modes: bf16-emulated on any CPU, bf16 (oneDNN) where the CPU
 * has it. The bound does not depend on the order of summation. */
static void two_bf16_steps_match_pytorch(precision_t precision)
{
    build_gan();
    gan_err_t err;
    cr_assert_eq(gan_set_precision(&gan, precision, &err), GAN_OK, "%s", err.msg);
    load_params(&gan.g, "G");
    load_params(&gan.d, "D");
    gan_params_changed(&gan);
    /* Both steps' params (after s0: p1, after s1: p2) and gradient tolerances. */
    static float p1[2][4096], p2[2][4096];
    static double grad_tol[2][N_LAYERS][2][2]; /* [net][layer][w/b][step] */
    cr_assert(gan.g.n_params <= 4096 && gan.d.n_params <= 4096);
    for (int s = 0; s < 2; s++) {
        char name[64];
        const char *step = s ? "s1" : "s0";
        snprintf(name, sizeof name, "%s.real", step);
        const float *real = ref(name, BATCH * IMAGE);
        snprintf(name, sizeof name, "%s.z", step);
        const float *z = ref(name, BATCH * Z_DIM);

        /* The logits' magnitude, from fp32 forwards of the nets as they are. */
        double logit_scale = 0.0;
        static float fake32[BATCH * IMAGE];
        memcpy(fake32, mlp_forward_fp32(&gan.g, z, BATCH), sizeof fake32);
        for (int k = 0; k < 2; k++) {
            const float *logits = mlp_forward_fp32(&gan.d, k ? fake32 : real, BATCH);
            for (int i = 0; i < BATCH; i++)
                logit_scale = fmax(logit_scale, fabs(logits[i]));
        }
        const double logit_tol = (2.01 + s) * 8 * BF16_U * logit_scale;

        gan_stats_t st;
        step_collecting(real, z, &st);

        float v = (float)st.d_loss;
        snprintf(name, sizeof name, "%s.d_loss", step);
        expect_within_tol(&v, ref(name, 1), 1, 2 * logit_tol + VALUE_ATOL, name);
        v = (float)st.g_loss;
        snprintf(name, sizeof name, "%s.g_loss", step);
        expect_within_tol(&v, ref(name, 1), 1, logit_tol + VALUE_ATOL, name);
        v = (float)st.d_real;
        snprintf(name, sizeof name, "%s.d_real", step);
        expect_within_tol(&v, ref(name, 1), 1, logit_tol / 4 + VALUE_ATOL, name);
        v = (float)st.d_fake;
        snprintf(name, sizeof name, "%s.d_fake", step);
        expect_within_tol(&v, ref(name, 1), 1, logit_tol / 4 + VALUE_ATOL, name);
        snprintf(name, sizeof name, "%s.fake", step);
        const float *fake = ref(name, BATCH * IMAGE);
        expect_within_tol(gan.g.acts[N_LAYERS - 1], fake, BATCH * IMAGE,
                          chain_tol(fake, BATCH * IMAGE, 4, s, VALUE_ATOL), name);

        for (int k = 0; k < 2; k++) {
            const mlp_t *net = k ? &gan.d : &gan.g;
            const char *net_name = k ? "D" : "G";
            for (int l = 0; l < N_LAYERS; l++) {
                const mlp_layer_t *layer = &net->layers[l];
                size_t n_w = (size_t)layer->n_out * layer->n_in;
                for (int is_b = 0; is_b <= 1; is_b++) {
                    size_t n = is_b ? (size_t)layer->n_out : n_w;
                    size_t off = is_b ? layer->b_off : layer->w_off;
                    snprintf(name, sizeof name, "%s.%s.l%d.d%s", step, net_name, l,
                             is_b ? "b" : "w");
                    const float *g = ref(name, n);
                    double tol = chain_tol(g, n, k ? 12 : 16, s, GRAD_ATOL);
                    grad_tol[k][l][is_b][s] = tol;
                    expect_within_tol(step_grads[k] + off, g, n, tol, name);
                }
                /* The products read a weight copy equal to the params rounded:
                 * Adam wrote it with the update. */
                for (size_t i = 0; i < n_w; i++) {
                    float w = net->params[layer->w_off + i], copy;
                    bf16_load(&copy, net->weights16, layer->w_off + i, 1, precision);
                    if (copy != bf16_round(w)) {
                        cr_expect_fail("%s %s layer %d weight %zu: copy %.9g, param %.9g "
                                       "rounds to %.9g", step, net_name, l, i, copy, w,
                                       bf16_round(w));
                        break;
                    }
                }
            }
            memcpy(s ? p2[k] : p1[k], net->params, net->n_params * sizeof(float));
        }
    }
    for (int k = 0; k < 2; k++) {
        const mlp_t *net = k ? &gan.d : &gan.g;
        for (int l = 0; l < N_LAYERS; l++) {
            const mlp_layer_t *layer = &net->layers[l];
            for (int is_b = 0; is_b <= 1; is_b++) {
                size_t n = is_b ? (size_t)layer->n_out : (size_t)layer->n_out * layer->n_in;
                size_t off = is_b ? layer->b_off : layer->w_off;
                expect_params_in_adam_intervals(p1[k] + off, p2[k] + off, k ? "D" : "G", l,
                                                is_b ? "b" : "w", n, grad_tol[k][l][is_b]);
            }
        }
    }
}

Test(gan_step, two_bf16_emulated_steps_match_pytorch_within_bf16_rounding)
{
    two_bf16_steps_match_pytorch(PRECISION_BF16_EMULATED);
}

Test(gan_step, two_native_bf16_steps_match_pytorch_within_bf16_rounding)
{
    gan_err_t err;
    if (dense_bf16_native_check(&err) != GAN_OK)
        cr_skip_test("no native bf16 on this CPU: %s", err.msg);
    two_bf16_steps_match_pytorch(PRECISION_BF16);
}
