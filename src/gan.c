/* G + D + one training step; see gan.h for the step. */
#include "gan/gan.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/json.h"
#include "gan/loss.h"

gan_arch_t gan_arch_default(void)
{
    return (gan_arch_t){
        .z_dim = 100,
        .image_size = 784,
        .n_g_hidden = 3,
        .g_hidden = {256, 512, 1024},
        .n_d_hidden = 3,
        .d_hidden = {1024, 512, 256},
        .leak = 0.2f,
    };
}

/* sizes: in, hidden..., out; every hidden layer leaky ReLU, then out_act. */
static int mlp_net(net_arch_t *net, int n_in, const int *hidden, int n_hidden, int n_out,
                   act_t out_act, float leak, gan_err_t *err)
{
    if (n_hidden < 0 || n_hidden > GAN_MAX_HIDDEN)
        return gan_err_set(err, GAN_ERR_INPUT, "at most %d hidden layers per net",
                           GAN_MAX_HIDDEN);
    int sizes[GAN_MAX_HIDDEN + 2];
    act_t acts[GAN_MAX_HIDDEN + 1];
    sizes[0] = n_in;
    for (int i = 0; i < n_hidden; i++) {
        sizes[i + 1] = hidden[i];
        acts[i] = ACT_LEAKY_RELU;
    }
    sizes[n_hidden + 1] = n_out;
    acts[n_hidden] = out_act;
    return mlp_arch(net, n_hidden + 1, sizes, acts, leak, err);
}

int gan_net_archs(const gan_arch_t *arch, net_arch_t *g, net_arch_t *d, gan_err_t *err)
{
    int rc = mlp_net(g, arch->z_dim, arch->g_hidden, arch->n_g_hidden, arch->image_size,
                     ACT_TANH, arch->leak, err);
    /* D ends in a logit; the sigmoid lives in the fused loss. */
    return rc ? rc
              : mlp_net(d, arch->image_size, arch->d_hidden, arch->n_d_hidden, 1, ACT_IDENTITY,
                        arch->leak, err);
}

int gan_create(gan_t *gan, const gan_arch_t *arch, adam_cfg_t g_adam,
               adam_cfg_t d_adam, int max_batch, gan_err_t *err)
{
    memset(gan, 0, sizeof *gan);
    gan->arch = *arch;
    net_arch_t g_arch, d_arch;
    int rc = gan_net_archs(arch, &g_arch, &d_arch, err);
    if (!rc)
        rc = net_create(&gan->g, &g_arch, max_batch, err);
    /* D runs on the stacked batch [real; fake] in the D step. */
    if (!rc)
        rc = net_create(&gan->d, &d_arch, 2 * max_batch, err);
    if (!rc)
        rc = adam_create(&gan->g_opt, gan->g.n_params, g_adam, err);
    if (!rc)
        rc = adam_create(&gan->d_opt, gan->d.n_params, d_adam, err);
    if (!rc) {
        net_release_grads(&gan->g);
        net_release_grads(&gan->d);
        size_t g_most = net_max_layer_params(&gan->g), d_most = net_max_layer_params(&gan->d);
        gan->layer_grads = malloc((g_most > d_most ? g_most : d_most) * sizeof(float));
        if (!gan->layer_grads)
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    if (!rc) {
        size_t image_floats = (size_t)max_batch * arch->image_size;
        size_t n = 2 * image_floats + 2 * (size_t)max_batch + image_floats;
        gan->stacked = malloc(n * sizeof *gan->stacked);
        if (!gan->stacked) {
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
        } else {
            gan->dlogits = gan->stacked + 2 * image_floats;
            gan->dfake = gan->dlogits + 2 * (size_t)max_batch;
        }
    }
    if (rc)
        gan_destroy(gan);
    return rc;
}

void gan_destroy(gan_t *gan)
{
    if (!gan)
        return;
    net_destroy(&gan->g);
    net_destroy(&gan->d);
    adam_destroy(&gan->g_opt);
    adam_destroy(&gan->d_opt);
    free(gan->stacked);
    free(gan->layer_grads);
    gan->stacked = gan->dlogits = gan->dfake = gan->layer_grads = NULL;
}

int gan_set_precision(gan_t *gan, precision_t precision, gan_err_t *err)
{
    return gan_set_products(gan, precision, PRODUCTS_OPENBLAS, err);
}

int gan_set_products(gan_t *gan, precision_t precision, products_lib_t lib, gan_err_t *err)
{
    /* D runs on 2B rows in the D step and on B rows in the G step. */
    const int g_step_rows = gan->d.max_batch / 2;
    int rc = net_set_products(&gan->g, precision, lib, NULL, 0, err);
    if (!rc)
        rc = net_set_products(&gan->d, precision, lib, &g_step_rows, 1, err);
    if (rc)
        net_set_products(&gan->g, PRECISION_FP32, PRODUCTS_OPENBLAS, NULL, 0, NULL);
    return rc;
}

void gan_params_changed(gan_t *gan)
{
    net_params_changed(&gan->g);
    net_params_changed(&gan->d);
}

void gan_init(gan_t *gan, init_scheme_t g_init, init_scheme_t d_init,
              float init_std, rng_t *g_rng, rng_t *d_rng)
{
    init_network(&gan->g, g_init, init_std, g_rng);
    init_network(&gan->d, d_init, init_std, d_rng);
    gan_params_changed(gan);
}

/* Mean of sigmoid(logit) and the fraction on the wanted side of 0.5. */
static void logit_stats(const float *logits, int n, int want_real, double *mean_prob,
                        double *accuracy)
{
    double sum = 0.0;
    int correct = 0;
    for (int i = 0; i < n; i++) {
        double x = logits[i];
        sum += x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
        correct += want_real ? x > 0.0 : x < 0.0;
    }
    *mean_prob = sum / n;
    *accuracy = (double)correct / n;
}

typedef struct {
    gan_t *gan;
    adam_t *opt;
    double *norms;
} layer_update_t;

/* Adam on layer `layer`'s slice of params. In a bf16 mode the updated
 * weights are rounded into their bf16 copy chunk by chunk, while the
 * chunk is in cache: no second sweep over the weights; and the chunks are
 * split over bf16's OpenMP threads (threads.h), which would otherwise
 * wait for the next product: each parameter's update is computed alone,
 * so the split changes no bit. The rest of the slice (biases) has no
 * copy. fp32 runs one loop on one thread. */
static void adam_update_layer(adam_t *opt, net_t *net, int layer, const float *grads)
{
    const layer_t *l = &net->layers[layer];
    const size_t n_weights = l->n_weights;
    if (net->precision == PRECISION_FP32) {
        adam_update_range(opt, net->params, grads, l->p_off, l->n_params);
        return;
    }
    const float *wgrads = grads + (l->w_off - l->p_off);
#pragma omp parallel for schedule(static) if (n_weights >= 4 * BF16_CHUNK)
    for (size_t i = 0; i < n_weights; i += BF16_CHUNK) {
        size_t m = n_weights - i < BF16_CHUNK ? n_weights - i : BF16_CHUNK;
        adam_update_range(opt, net->params, wgrads + i, l->w_off + i, m);
        net_weights_changed(net, l->w_off + i, m);
    }
    size_t rest = l->p_off + l->n_params - l->b_off;
    if (rest)
        adam_update_range(opt, net->params, grads + (l->b_off - l->p_off), l->b_off, rest);
}

/* Layer `layer` of net has its whole gradient: log its weight-gradient
 * norm (layers.csv), show it to whoever watches, and take the layer's Adam
 * step. */
static void update_layer(void *ctx, net_t *net, int layer, const float *grads,
                         const float *dinput)
{
    layer_update_t *u = ctx;
    const layer_t *l = &net->layers[layer];
    const float *w = grads + (l->w_off - l->p_off);
    u->norms[layer] = sqrt((double)cblas_sdot((int)l->n_weights, w, 1, w, 1));
    if (u->gan->on_layer_grads)
        u->gan->on_layer_grads(u->gan->on_layer_grads_ctx, net, layer, grads, dinput);
    adam_update_layer(u->opt, net, layer, grads);
}

void gan_step(gan_t *gan, const float *real, const float *z, int batch,
              gan_stats_t *stats)
{
    net_t *g = &gan->g, *d = &gan->d;
    const float scale = 1.0f / (float)batch;
    const size_t image_floats = (size_t)batch * gan->arch.image_size;
    float *fake = gan->stacked + image_floats;
    memcpy(gan->stacked, real, image_floats * sizeof *real);
    memcpy(fake, net_forward(g, z, batch), image_floats * sizeof *fake);
    /* Layers without weights have no norm. */
    memset(stats->g_grad_norm, 0, sizeof stats->g_grad_norm);
    memset(stats->d_grad_norm, 0, sizeof stats->d_grad_norm);

    /* D step on [real; fake]: each half's loss is its own batch mean, so
     * each half's logit gradient carries scale = 1/B. */
    const float *logits = net_forward(d, gan->stacked, 2 * batch);
    logit_stats(logits, batch, 1, &stats->d_real, &stats->acc_real);
    logit_stats(logits + batch, batch, 0, &stats->d_fake, &stats->acc_fake);
    double loss_real = bce_logits(gan->dlogits, logits, 1.0f, batch, scale);
    double loss_fake = bce_logits(gan->dlogits + batch, logits + batch, 0.0f, batch, scale);
    adam_begin_step(&gan->d_opt);
    net_backward_layers(d, NULL, gan->dlogits, gan->layer_grads, update_layer,
                        &(layer_update_t){gan, &gan->d_opt, stats->d_grad_norm});
    stats->d_loss = loss_real + loss_fake;

    /* G step through the updated D: only D's input gradient is needed. */
    logits = net_forward(d, fake, batch);
    stats->g_loss = bce_logits(gan->dlogits, logits, 1.0f, batch, scale);
    net_backward(d, gan->dfake, gan->dlogits, NET_GRADS_NONE);
    adam_begin_step(&gan->g_opt);
    net_backward_layers(g, NULL, gan->dfake, gan->layer_grads, update_layer,
                        &(layer_update_t){gan, &gan->g_opt, stats->g_grad_norm});
}

const float *gan_generate(gan_t *gan, const float *z, int n)
{
    return net_forward_fp32(&gan->g, z, n);
}

void gan_write_arch_json(FILE *fp, const gan_t *gan)
{
    fputs("\"arch\": {\"G\": ", fp);
    net_arch_write_json(fp, &gan->g, 4);
    fputs(",\n    \"D\": ", fp);
    net_arch_write_json(fp, &gan->d, 4);
    fputs("}", fp);
}

/* The "G" or "D" object of the header's "arch" into out. */
static int read_net_arch(net_arch_t *out, const char *arch, const char *name, const char *path,
                         gan_err_t *err)
{
    const char *text;
    size_t len;
    if (json_get_raw(arch, name, &text, &len) != 0 || *text != '{')
        return gan_err_set(err, GAN_ERR_INPUT, "%s: the header's \"arch\" has no net \"%s\"",
                           path, name);
    char *copy = strndup(text, len);
    if (!copy)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    gan_err_t why;
    int rc = net_arch_read_json(out, copy, name, &why);
    free(copy);
    if (rc)
        return gan_err_set(err, rc, "%s: architecture in the header: %s", path, why.msg);
    return GAN_OK;
}

int gan_check_arch_json(const gan_t *gan, const char *header, const char *path,
                        gan_err_t *err)
{
    const char *text;
    size_t len;
    if (json_get_raw(header, "arch", &text, &len) != 0)
        return GAN_OK;
    char *arch = strndup(text, len);
    if (!arch)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    const net_t *nets[2] = {&gan->g, &gan->d};
    const char *names[2] = {"G", "D"};
    int rc = GAN_OK;
    for (int k = 0; k < 2 && !rc; k++) {
        net_arch_t want;
        rc = read_net_arch(&want, arch, names[k], path, err);
        if (!rc && !net_arch_equal(&want, &nets[k]->arch))
            rc = gan_err_set(err, GAN_ERR_INPUT,
                             "%s: the header's architecture of %s (%d layers) is not the MLP "
                             "its g_hidden/d_hidden describe; the file was changed or made by "
                             "another program", path, names[k], want.n_layers);
    }
    free(arch);
    return rc;
}
