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
 * batch (G's forward ran once, its backward does not touch acts), gan->g.grads
 * the G step's gradients, and gan->d.grads still the D step's gradients (the
 * G step back-propagates through D with MLP_GRADS_NONE): gan_step copies
 * each layer's gradient there while the nets still have those buffers. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gan/gan.h"
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

static void teardown(void)
{
    gan_destroy(&gan);
    ref_close(fx);
    fx = NULL;
}

TestSuite(gan_step, .fini = teardown);

/* The fixture's tensor name (n floats). */
static const float *ref(const char *name, size_t n) { return ref_get_lazy(&fx, FIXTURE, name, n); }

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

/* With released grads (as the trainer runs) there are no whole-net
 * gradients to compare; everything else must match all the same. */
static void step_and_compare(const char *step, int released)
{
    char name[64], prefix[16];
    snprintf(name, sizeof name, "%s.real", step);
    const float *real = ref(name, BATCH * IMAGE);
    snprintf(name, sizeof name, "%s.z", step);
    const float *z = ref(name, BATCH * Z_DIM);

    gan_stats_t st;
    memset(&st, 0xff, sizeof st); /* NaN everywhere: every field must be set */
    gan_step(&gan, real, z, BATCH, &st);

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
    if (!released)
        expect_layers(&gan.d, gan.d.grads, prefix, ".dw", ".db", GRAD_ATOL);
    snprintf(prefix, sizeof prefix, "%s.G", step);
    expect_grad_norms(&gan.g, st.g_grad_norm, prefix);
    if (!released)
        expect_layers(&gan.g, gan.g.grads, prefix, ".dw", ".db", GRAD_ATOL);

    snprintf(prefix, sizeof prefix, "%s.D", step);
    expect_layers(&gan.d, gan.d.params, prefix, ".w", ".b", PARAM_ATOL);
    snprintf(prefix, sizeof prefix, "%s.G", step);
    expect_layers(&gan.g, gan.g.params, prefix, ".w", ".b", PARAM_ATOL);
}

Test(gan_step, two_steps_match_pytorch)
{
    build_gan();
    load_params(&gan.g, "G");
    load_params(&gan.d, "D");
    step_and_compare("s0", 0);
    cr_expect_eq(gan.g_opt.step, 1);
    cr_expect_eq(gan.d_opt.step, 1);
    step_and_compare("s1", 0);
    cr_expect_eq(gan.g_opt.step, 2);
    cr_expect_eq(gan.d_opt.step, 2);
}

Test(gan_step, two_steps_with_released_grads_match_pytorch)
{
    build_gan();
    gan_release_grads(&gan);
    cr_assert_null(gan.g.grads);
    cr_assert_null(gan.d.grads);
    load_params(&gan.g, "G");
    load_params(&gan.d, "D");
    step_and_compare("s0", 1);
    step_and_compare("s1", 1);
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
