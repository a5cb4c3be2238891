/* The library against an independent implementation: PyTorch.
 *
 * tests/ref/mlp_adam.bin holds inputs, weights, outputs, losses, every
 * gradient and three Adam steps of two small nets, computed in float64 by
 * tests/ref/make_fixtures.py from float32-rounded inputs (so both sides start
 * from the same numbers). Here the same nets are built with mlp_create, the
 * weights copied in, and every tensor compared at about float32 precision.
 *
 *   "d": 7 -> 6 -> 5 -> 1, leaky ReLU (0.2), leaky ReLU, logit; batch 4,
 *        BCE with logits against targets [1, 1, 0, 0] (mean over the rows)
 *   "g": 5 -> 6 -> 8, leaky ReLU (0.2), tanh; batch 3, loss sum(out * r)
 *   "bce": per-element loss and gradient at logits -100, -1, 0, 1, 100
 *
 * The nets and the optimizer are file-level so the suite's .fini frees them
 * even when an assertion ends a test early. The full GAN step fixture
 * (tests/ref/gan_step.bin) is tested with the GAN module, not here. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "gan/activation.h"
#include "gan/loss.h"
#include "gan/mlp.h"
#include "gan/optim.h"
#include "gan/products.h"
#include "ref_fixture.h"
#include "test_util.h"

#define FIXTURE "tests/ref/mlp_adam.bin"

/* float32 against a float64 reference: a few ulps of accumulated rounding
 * in nets this small (observed: under 9e-6 relative). ATOL is for values that
 * are themselves near 0: a gradient summing O(1) terms that cancel to 3e-4
 * keeps their float32 rounding, about 2e-7 absolute (g.l1.dw); and PyTorch
 * rounds log1p(exp(-100)) = 3.7e-44 to 0 where bce_logits keeps it. */
#define RTOL 1e-5
#define ATOL 1e-6

static ref_fixture_t *fx;
static mlp_t net;
/* The library of the fp32 products under test (TEST_EVERY_PRODUCTS). */
static products_lib_t test_products = PRODUCTS_OPENBLAS;
static adam_t adam;

static void teardown(void)
{
    adam_destroy(&adam);
    mlp_destroy(&net);
    ref_close(fx);
    fx = NULL;
}

TestSuite(reference, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */

/* The fixture's tensor name (n floats). */
static const float *ref(const char *name, size_t n) { return ref_get_lazy(&fx, FIXTURE, name, n); }

static void expect_ref(const float *got, const char *name, size_t n)
{
    expect_close(got, ref(name, n), n, ATOL, RTOL, name);
}

/* Builds net with the fixture's weights "<prefix>.l<i>.w" / ".b". */
static void load_net(const char *prefix, int n_layers, const int *sizes,
                     const act_t *acts, int batch)
{
    gan_err_t err;
    cr_assert_eq(mlp_create(&net, n_layers, sizes, acts, 0.2f, batch, &err), GAN_OK,
                 "%s", err.msg);
    cr_assert_eq(net_set_products(&net, PRECISION_FP32, test_products, NULL, 0, &err), GAN_OK,
                 "%s", err.msg);
    for (int l = 0; l < n_layers; l++) {
        const mlp_layer_t *layer = &net.layers[l];
        size_t n_w = (size_t)layer->n_out * layer->n_in;
        char name[64];
        snprintf(name, sizeof name, "%s.l%d.w", prefix, l);
        memcpy(net.params + layer->w_off, ref(name, n_w), n_w * sizeof(float));
        snprintf(name, sizeof name, "%s.l%d.b", prefix, l);
        memcpy(net.params + layer->b_off, ref(name, (size_t)layer->n_out),
               (size_t)layer->n_out * sizeof(float));
    }
}

/* Compares values (net.params or net.grads) layer by layer with the
 * fixture's "<prefix>.l<i><w_suffix>" and "<prefix>.l<i><b_suffix>". */
static void expect_layers(const float *values, const char *prefix,
                          const char *w_suffix, const char *b_suffix)
{
    for (int l = 0; l < net.n_layers; l++) {
        const mlp_layer_t *layer = &net.layers[l];
        char name[64];
        snprintf(name, sizeof name, "%s.l%d%s", prefix, l, w_suffix);
        expect_ref(values + layer->w_off, name, (size_t)layer->n_out * layer->n_in);
        snprintf(name, sizeof name, "%s.l%d%s", prefix, l, b_suffix);
        expect_ref(values + layer->b_off, name, (size_t)layer->n_out);
    }
}

enum { D_BATCH = 4, D_IN = 7, G_BATCH = 3, G_IN = 5, G_OUT = 8 };

static void load_d(void)
{
    static const int sizes[] = {D_IN, 6, 5, 1};
    static const act_t acts[] = {ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_IDENTITY};
    load_net("d", 3, sizes, acts, D_BATCH);
}

static void load_g(void)
{
    static const int sizes[] = {G_IN, 6, G_OUT};
    static const act_t acts[] = {ACT_LEAKY_RELU, ACT_TANH};
    load_net("g", 2, sizes, acts, G_BATCH);
}

/* BCE with logits against targets [1, 1, 0, 0], mean over the 4 rows, and
 * its gradient: bce_logits takes one target, so rows 0-1 and rows 2-3 are
 * two calls, each scaled by 1/4 so dlogits is the gradient of the 4-row mean. */
static float d_loss(float *dlogits, const float *logits)
{
    float l1 = bce_logits(dlogits, logits, 1.0f, 2, 1.0f / D_BATCH);
    float l0 = bce_logits(dlogits + 2, logits + 2, 0.0f, 2, 1.0f / D_BATCH);
    return (2.0f * l1 + 2.0f * l0) / D_BATCH;
}

/* Zeroes the gradients, runs forward, loss and backward on d.x; returns the
 * loss and writes logits and (unless NULL) the input gradient. */
static float d_step(float logits[D_BATCH], float *dx)
{
    const float *x = ref("d.x", D_BATCH * D_IN);
    float dlogits[D_BATCH];
    mlp_zero_grad(&net);
    memcpy(logits, mlp_forward(&net, x, D_BATCH), sizeof(float) * D_BATCH);
    float loss = d_loss(dlogits, logits);
    mlp_backward(&net, dx, dlogits, MLP_GRADS_ADD);
    return loss;
}

/* ---- net "d": leaky ReLU, logit, BCE ------------------------------------ */

TEST_EVERY_PRODUCTS(reference, d_forward_logits_and_loss_match_pytorch)
{
    float logits[D_BATCH];
    load_d();
    float loss = d_step(logits, NULL);
    expect_ref(logits, "d.logits", D_BATCH);
    expect_ref(&loss, "d.loss", 1);
}

TEST_EVERY_PRODUCTS(reference, d_parameter_gradients_match_pytorch)
{
    float logits[D_BATCH];
    load_d();
    d_step(logits, NULL);
    expect_layers(net.grads, "d", ".dw", ".db");
}

TEST_EVERY_PRODUCTS(reference, d_input_gradient_matches_pytorch)
{
    float logits[D_BATCH], dx[D_BATCH * D_IN];
    load_d();
    d_step(logits, dx);
    expect_ref(dx, "d.dx", D_BATCH * D_IN);
}

/* The GAN's D step runs D(real) and D(fake) as two passes whose gradients
 * add up in net.grads; splitting the batch the same way must give PyTorch's
 * gradients of the one 4-row mean. */
TEST_EVERY_PRODUCTS(reference, d_gradients_accumulate_over_two_half_batches)
{
    const float *x = ref("d.x", D_BATCH * D_IN);
    float dlogits[2];
    load_d();
    mlp_zero_grad(&net);
    bce_logits(dlogits, mlp_forward(&net, x, 2), 1.0f, 2, 1.0f / D_BATCH);
    mlp_backward(&net, NULL, dlogits, MLP_GRADS_ADD);
    bce_logits(dlogits, mlp_forward(&net, x + 2 * D_IN, 2), 0.0f, 2, 1.0f / D_BATCH);
    mlp_backward(&net, NULL, dlogits, MLP_GRADS_ADD);
    expect_layers(net.grads, "d", ".dw", ".db");
}

TEST_EVERY_PRODUCTS(reference, three_adam_steps_match_pytorch)
{
    gan_err_t err;
    float logits[D_BATCH];
    load_d();
    cr_assert_eq(adam_create(&adam, net.n_params,
                             (adam_cfg_t){.lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f,
                                          .eps = 1e-8f},
                             &err),
                 GAN_OK, "%s", err.msg);
    for (int k = 1; k <= 3; k++) {
        char name[32];
        float loss = d_step(logits, NULL);
        adam_step(&adam, net.params, net.grads);
        snprintf(name, sizeof name, "d.adam%d.loss", k);
        expect_ref(&loss, name, 1);
    }
    expect_layers(net.params, "d.adam3", ".w", ".b");
}

/* ---- net "g": leaky ReLU, tanh, given upstream gradient ----------------- */

TEST_EVERY_PRODUCTS(reference, g_forward_leaky_relu_tanh_matches_pytorch)
{
    load_g();
    const float *out = mlp_forward(&net, ref("g.z", G_BATCH * G_IN), G_BATCH);
    expect_ref(out, "g.out", G_BATCH * G_OUT);
}

TEST_EVERY_PRODUCTS(reference, g_parameter_and_input_gradients_match_pytorch)
{
    float dz[G_BATCH * G_IN];
    load_g();
    mlp_zero_grad(&net);
    mlp_forward(&net, ref("g.z", G_BATCH * G_IN), G_BATCH);
    /* loss = sum(out * r), so dloss/dout = r */
    mlp_backward(&net, dz, ref("g.r", G_BATCH * G_OUT), MLP_GRADS_ADD);
    expect_layers(net.grads, "g", ".dw", ".db");
    expect_ref(dz, "g.dz", G_BATCH * G_IN);
}

/* ---- the fused loss at saturating logits -------------------------------- */

Test(reference, bce_logits_matches_pytorch_from_minus_100_to_100)
{
    enum { N = 5 };
    const float *logits = ref("bce.logits", N);
    for (int t = 0; t <= 1; t++) {
        float loss[N], grad[N];
        char name[32];
        /* One call per element: bce_logits returns the mean over its n. */
        for (int i = 0; i < N; i++)
            loss[i] = bce_logits(&grad[i], &logits[i], (float)t, 1, 1.0f);
        snprintf(name, sizeof name, "bce.loss_t%d", t);
        expect_ref(loss, name, N);
        snprintf(name, sizeof name, "bce.grad_t%d", t);
        expect_ref(grad, name, N);
    }
}
