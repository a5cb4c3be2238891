/* The network of layers (net.h, layers.h) beyond the MLP that test_grad.c,
 * test_bf16.c and the PyTorch fixtures check: the activation and reshape
 * kinds, against a double-precision model written out by hand and central
 * differences of it; the bf16 copy a standalone activation writes for the
 * product above it; the architecture's JSON (the checkpoint's "arch") and
 * the layer names. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/bf16.h"
#include "gan/net.h"
#include "gan/rng.h"
#include "test_util.h"

#define LEAK 0.2f
#define B 3   /* rows */
#define NX 6  /* input: 2 x 3 x 1 */
#define NH 5  /* first dense */
#define NO 4  /* second dense: 4 -> reshaped 2 x 2 x 1 */

/* input 2x3x1 -> reshape 6 -> dense 5 (no act) -> tanh -> dense 4 (leaky
 * ReLU) -> reshape 2x2x1 -> sigmoid: every kind, a standalone activation
 * after a dense layer, after a reshape, and a view at both ends. */
static net_arch_t test_arch(void)
{
    net_arch_t a = {.input = {2, 3, 1}, .leak = LEAK, .n_layers = 6};
    a.layers[0] = (layer_spec_t){LAYER_RESHAPE, ACT_IDENTITY, {NX, 1, 1}};
    a.layers[1] = (layer_spec_t){LAYER_DENSE, ACT_IDENTITY, {NH, 1, 1}};
    a.layers[2] = (layer_spec_t){LAYER_ACTIVATION, ACT_TANH, {0, 0, 0}};
    a.layers[3] = (layer_spec_t){LAYER_DENSE, ACT_LEAKY_RELU, {NO, 1, 1}};
    a.layers[4] = (layer_spec_t){LAYER_RESHAPE, ACT_IDENTITY, {2, 2, 1}};
    a.layers[5] = (layer_spec_t){LAYER_ACTIVATION, ACT_SIGMOID, {0, 0, 0}};
    return a;
}

/* The same net in double: params in the net's layout (W1 b1 W2 b2). */
typedef struct {
    double p[NH * NX + NH + NO * NH + NO];
    double x[B * NX], r[B * NO];
} model_t;

static double model_loss(const model_t *m, double *y_out)
{
    const double *w1 = m->p, *b1 = w1 + NH * NX, *w2 = b1 + NH, *b2 = w2 + NO * NH;
    double loss = 0.0;
    for (int i = 0; i < B; i++) {
        double h[NH];
        for (int j = 0; j < NH; j++) {
            double s = b1[j];
            for (int k = 0; k < NX; k++)
                s += w1[j * NX + k] * m->x[i * NX + k];
            h[j] = tanh(s);
        }
        for (int j = 0; j < NO; j++) {
            double s = b2[j];
            for (int k = 0; k < NH; k++)
                s += w2[j * NH + k] * h[k];
            s = s > 0.0 ? s : LEAK * s;
            double y = 1.0 / (1.0 + exp(-s));
            if (y_out)
                y_out[i * NO + j] = y;
            loss += m->r[i * NO + j] * y;
        }
    }
    return loss;
}

/* d loss / d v[i] by central differences of the double model. */
static void central(double *g, double *v, size_t n, model_t *m)
{
    for (size_t i = 0; i < n; i++) {
        double keep = v[i], h = 1e-6 * fmax(1.0, fabs(keep));
        v[i] = keep + h;
        double up = model_loss(m, NULL);
        v[i] = keep - h;
        double down = model_loss(m, NULL);
        v[i] = keep;
        g[i] = (up - down) / (2.0 * h);
    }
}

static void expect_near(const float *got, const double *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        cr_expect(fabs(got[i] - want[i]) <= 1e-5 + 1e-4 * fabs(want[i]),
                  "%s[%zu]: %.9g, double model %.9g", what, i, (double)got[i], want[i]);
}

Test(net, activation_and_reshape_layers_match_a_double_model_and_central_differences)
{
    net_arch_t arch = test_arch();
    net_t net;
    gan_err_t err;
    cr_assert_eq(net_create(&net, &arch, B, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(net.n_params, sizeof ((model_t *)0)->p / sizeof(double));
    cr_expect_eq(net_input_size(&net), NX);
    cr_expect_eq(net_output_size(&net), NO);
    model_t m;
    rng_t rng;
    rng_seed(&rng, 7, 0);
    float x[B * NX], r[B * NO], dx[B * NX];
    rng_fill_normal(&rng, net.params, net.n_params, 0.0f, 0.7f);
    rng_fill_normal(&rng, x, B * NX, 0.0f, 1.0f);
    rng_fill_normal(&rng, r, B * NO, 0.0f, 1.0f);
    for (size_t i = 0; i < net.n_params; i++)
        m.p[i] = net.params[i];
    for (int i = 0; i < B * NX; i++)
        m.x[i] = x[i];
    for (int i = 0; i < B * NO; i++)
        m.r[i] = r[i];

    double want_y[B * NO];
    model_loss(&m, want_y);
    expect_near(net_forward(&net, x, B), want_y, B * NO, "y");

    net_zero_grad(&net);
    net_backward(&net, dx, r, NET_GRADS_ADD);
    double gp[sizeof m.p / sizeof(double)], gx[B * NX];
    central(gp, m.p, net.n_params, &m);
    central(gx, m.x, B * NX, &m);
    expect_near(net.grads, gp, net.n_params, "dparams");
    expect_near(dx, gx, B * NX, "dx");
    net_destroy(&net);
}

/* What net_backward_layers hands over: layers with parameters only, top
 * first, each with its slice's gradient (the same as net_backward's). */
typedef struct {
    int n, layers[NET_MAX_LAYERS];
    float grads[128];
} seen_t;

static void on_layer(void *ctx, net_t *net, int l, const float *grads, const float *dinput)
{
    (void)dinput;
    seen_t *s = ctx;
    s->layers[s->n++] = l;
    memcpy(s->grads + net->layers[l].p_off, grads, net->layers[l].n_params * sizeof(float));
}

Test(net, backward_layers_hands_over_the_layers_with_parameters_top_first)
{
    net_arch_t arch = test_arch();
    net_t net;
    gan_err_t err;
    cr_assert_eq(net_create(&net, &arch, B, &err), GAN_OK, "%s", err.msg);
    rng_t rng;
    rng_seed(&rng, 8, 0);
    float x[B * NX], r[B * NO], scratch[64];
    rng_fill_normal(&rng, net.params, net.n_params, 0.0f, 0.7f);
    rng_fill_normal(&rng, x, B * NX, 0.0f, 1.0f);
    rng_fill_normal(&rng, r, B * NO, 0.0f, 1.0f);
    cr_assert_leq(net_max_layer_params(&net), 64);
    cr_assert_leq(net.n_params, 128);
    seen_t seen = {0};
    net_forward(&net, x, B);
    net_backward_layers(&net, NULL, r, scratch, on_layer, &seen);
    cr_assert_eq(seen.n, 2);
    cr_expect_eq(seen.layers[0], 3);
    cr_expect_eq(seen.layers[1], 1);
    net_forward(&net, x, B);
    net_backward(&net, NULL, r, NET_GRADS_SET);
    cr_expect(memcmp(seen.grads, net.grads, net.n_params * sizeof(float)) == 0);
    net_destroy(&net);
}

/* In bf16-emulated, an activation layer under a dense layer writes the
 * bf16 copy its product reads: the output is bit for bit the fp32 product
 * of the rounded activation and the rounded weights. */
Test(net, a_standalone_activation_writes_the_bf16_copy_the_product_above_reads)
{
    enum { N = 5, M = 3 };
    net_arch_t a = {.input = {N, 1, 1}, .leak = LEAK, .n_layers = 2};
    a.layers[0] = (layer_spec_t){LAYER_ACTIVATION, ACT_TANH, {0, 0, 0}};
    a.layers[1] = (layer_spec_t){LAYER_DENSE, ACT_IDENTITY, {M, 1, 1}};
    net_arch_t b = {.input = {N, 1, 1}, .leak = LEAK, .n_layers = 1};
    b.layers[0] = a.layers[1];
    net_t bf, ref;
    gan_err_t err;
    cr_assert_eq(net_create(&bf, &a, B, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(net_create(&ref, &b, B, &err), GAN_OK, "%s", err.msg);
    rng_t rng;
    rng_seed(&rng, 9, 0);
    float x[B * N], t[B * N];
    rng_fill_normal(&rng, bf.params, bf.n_params, 0.0f, 1.0f);
    rng_fill_normal(&rng, x, B * N, 0.0f, 1.0f);
    cr_assert_eq(net_set_precision(&bf, PRECISION_BF16_EMULATED, NULL, 0, &err), GAN_OK, "%s",
                 err.msg);
    for (size_t i = 0; i < ref.n_params; i++)
        ref.params[i] = i < (size_t)N * M ? bf16_round(bf.params[i]) : bf.params[i];
    act_forward(t, x, B * N, ACT_TANH, LEAK);
    for (int i = 0; i < B * N; i++)
        t[i] = bf16_round(t[i]);
    float want[B * M];
    memcpy(want, net_forward(&ref, t, B), sizeof want);
    const float *got = net_forward(&bf, x, B);
    cr_expect(memcmp(got, want, sizeof want) == 0, "bf16 output %g, want %g", (double)got[0],
              (double)want[0]);
    net_destroy(&bf);
    net_destroy(&ref);
}

Test(net, layer_names_are_the_kind_and_its_index_among_the_kind)
{
    net_arch_t arch = test_arch();
    net_t net;
    gan_err_t err;
    cr_assert_eq(net_create(&net, &arch, 1, &err), GAN_OK, "%s", err.msg);
    const char *want[] = {"reshape0", "dense0", "activation0", "dense1", "reshape1",
                          "activation1"};
    for (int l = 0; l < net.n_layers; l++) {
        char name[32];
        net_layer_name(name, sizeof name, &net, l);
        cr_expect_str_eq(name, want[l]);
    }
    /* What init's he_xavier and layers.csv take as a layer's activation. */
    cr_expect_eq(net_layer_act(&net, 1), ACT_TANH);
    cr_expect_eq(net_layer_act(&net, 3), ACT_LEAKY_RELU);
    net_destroy(&net);
}

Test(net, architecture_json_reads_back_as_the_same_net)
{
    net_arch_t arch = test_arch();
    net_t net;
    gan_err_t err;
    cr_assert_eq(net_create(&net, &arch, 1, &err), GAN_OK, "%s", err.msg);
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    net_arch_write_json(fp, &net, 2);
    fclose(fp);
    net_arch_t back;
    cr_assert_eq(net_arch_read_json(&back, text, "G", &err), GAN_OK, "%s in %s", err.msg, text);
    cr_expect(net_arch_equal(&back, &arch), "%s", text);
    cr_expect(strstr(text, "{\"kind\": \"dense\", \"in\": [6, 1, 1], \"out\": [5, 1, 1], "
                           "\"act\": \"identity\", \"params\": 35}") != NULL, "%s", text);
    arch.layers[3].act = ACT_RELU;
    cr_expect(!net_arch_equal(&back, &arch));
    free(text);
    net_destroy(&net);
}

Test(net, architecture_json_with_a_shape_that_does_not_chain_is_refused)
{
    const char *bad = "{\"input\": [4, 1, 1], \"leak\": 0.2, \"layers\": ["
                      "{\"kind\": \"dense\", \"in\": [4, 1, 1], \"out\": [3, 1, 1], "
                      "\"act\": \"tanh\", \"params\": 15},"
                      "{\"kind\": \"dense\", \"in\": [5, 1, 1], \"out\": [1, 1, 1], "
                      "\"act\": \"identity\", \"params\": 6}]}";
    net_arch_t arch;
    gan_err_t err;
    cr_assert_eq(net_arch_read_json(&arch, bad, "D", &err), GAN_ERR_INPUT);
    cr_expect(strstr(err.msg, "D layer 1: input 5 x 1 x 1, but the layer below gives 3 x 1 x 1"),
              "%s", err.msg);
    const char *kind = "{\"input\": [4, 1, 1], \"leak\": 0.2, \"layers\": ["
                       "{\"kind\": \"conv9\", \"in\": [4, 1, 1], \"out\": [3, 1, 1]}]}";
    cr_assert_eq(net_arch_read_json(&arch, kind, "G", &err), GAN_ERR_INPUT);
    cr_expect(strstr(err.msg, "G layer 0: unknown layer kind 'conv9' (valid: dense, activation, "
                              "reshape)"), "%s", err.msg);
}

Test(net, a_reshape_that_does_not_hold_its_input_is_refused)
{
    net_arch_t a = {.input = {6, 1, 1}, .leak = LEAK, .n_layers = 1};
    a.layers[0] = (layer_spec_t){LAYER_RESHAPE, ACT_IDENTITY, {2, 2, 1}};
    net_t net;
    gan_err_t err;
    cr_assert_eq(net_create(&net, &a, 1, &err), GAN_ERR_INPUT);
    cr_expect(strstr(err.msg, "reshape layer: 2 x 2 x 1 does not hold the 6 x 1 x 1 input"),
              "%s", err.msg);
    net_destroy(&net);
}
