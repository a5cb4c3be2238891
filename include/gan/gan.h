/* The GAN: a generator net G (z -> image, tanh output) and a discriminator
 * net D (image -> logit, sigmoid fused into the loss), both MLPs (mlp.h)
 * today, their Adam optimizers, and one training step. No file I/O, no
 * printing.
 *
 * One step on a real batch x and noise z (Goodfellow et al. 2014):
 *   fake = G(z)                                   (G runs once per step)
 *   D step: L_D = BCE(D(x), 1) + BCE(D(fake), 0)  (each a batch mean)
 *   G step: L_G = BCE(D'(fake), 1)                (non-saturating loss,
 *           D' = the updated D; fake is reused, G has not changed)
 *
 * The D step runs D once on the stacked batch [x; fake] (2B rows): every
 * row's forward is the same as in two passes, and the weight gradient of
 * the stacked backward is the sum of the two passes' gradients, so it is
 * the same step with half the weight reads and one product per layer
 * instead of two.
 *
 * Each layer's Adam update runs as soon as backward has that layer's
 * gradient (net_backward_layers), while the gradient is still in cache, so
 * the nets have no whole-net gradient buffers (gan_create releases them:
 * 4 bytes per parameter, 12 MB for the default model). Whoever wants to
 * see a step's gradients (tests) sets on_layer_grads.
 *
 * Precision (bf16.h, gan_set_precision): in a bf16 mode the step's matrix
 * products take bf16 operands (net.h says which); each layer's Adam update
 * writes the bf16 copy of the weights it has just updated, chunk by chunk
 * while they are in cache. Looking at G (gan_generate) always runs fp32. */
#ifndef GAN_GAN_H
#define GAN_GAN_H

#include "gan/error.h"
#include "gan/init.h"
#include <stdio.h>

#include "gan/mlp.h"
#include "gan/net.h"
#include "gan/optim.h"

#define GAN_MAX_HIDDEN 8

typedef struct {
    int z_dim;
    int image_size;                /* 784 for MNIST */
    int n_g_hidden, g_hidden[GAN_MAX_HIDDEN];
    int n_d_hidden, d_hidden[GAN_MAX_HIDDEN];
    float leak;                    /* leaky-ReLU slope of both nets */
} gan_arch_t;

/* 100 -> 256 -> 512 -> 1024 -> 784 and 784 -> 1024 -> 512 -> 256 -> 1. */
gan_arch_t gan_arch_default(void);

/* The nets arch describes: G, hidden layers leaky ReLU, tanh output; D,
 * hidden layers leaky ReLU, a logit output. GAN_ERR_INPUT for too many
 * layers. */
int gan_net_archs(const gan_arch_t *arch, net_arch_t *g, net_arch_t *d, gan_err_t *err);

typedef struct {
    net_t g, d;
    adam_t g_opt, d_opt;
    gan_arch_t arch;
    float *stacked;  /* 2 max_batch x image_size: [real; fake] for the D step */
    float *dlogits;  /* 2 max_batch */
    float *dfake;    /* max_batch x image_size: dL_G/dfake */
    float *layer_grads; /* one layer's gradient at a time (either net) */
    /* NULL, or called by gan_step with each layer's gradient before the
     * layer's update (net_layer_grads_fn: D's layers in the D step, G's in
     * the G step; dinput is NULL for layer 0). */
    net_layer_grads_fn on_layer_grads;
    void *on_layer_grads_ctx;
} gan_t;

/* What one step measured, from the D step (before D's update). */
typedef struct {
    double d_loss, g_loss;
    double d_real, d_fake;          /* mean D(x), mean D(G(z)) */
    double acc_real, acc_fake;      /* fraction with D(x) > 0.5, D(G(z)) < 0.5 */
    double g_grad_norm[NET_MAX_LAYERS]; /* L2 norm of each layer's weight */
    double d_grad_norm[NET_MAX_LAYERS]; /* gradient (biases left out; 0
                                           for layers without weights) */
} gan_stats_t;

/* Builds both nets (parameters zero until gan_init) and their optimizers.
 * GAN_ERR_INPUT for a bad architecture, GAN_ERR_RUNTIME out of memory; on
 * error gan is destroyable. */
int gan_create(gan_t *gan, const gan_arch_t *arch, adam_cfg_t g_adam,
               adam_cfg_t d_adam, int max_batch, gan_err_t *err);
void gan_destroy(gan_t *gan);

/* Makes the step's products run in precision (net_set_precision): G is
 * prepared for max_batch rows, D for its 2 max_batch (the D step) and
 * max_batch (the G step). GAN_ERR_INPUT when this CPU cannot run
 * PRECISION_BF16 (the message says why and what to use instead). */
int gan_set_precision(gan_t *gan, precision_t precision, gan_err_t *err);
/* The same with the library of the products (net_set_products;
 * gan_set_precision is this with PRODUCTS_OPENBLAS). */
int gan_set_products(gan_t *gan, precision_t precision, products_lib_t lib, gan_err_t *err);

/* Both nets' parameters were written from outside the step (init, a
 * checkpoint): refreshes their bf16 copies (net_params_changed).
 * gan_init calls it. */
void gan_params_changed(gan_t *gan);

/* Initializes G from g_rng and D from d_rng (separate streams, so changing
 * one net's scheme never changes the other's weights). */
void gan_init(gan_t *gan, init_scheme_t g_init, init_scheme_t d_init,
              float init_std, rng_t *g_rng, rng_t *d_rng);

/* One D step then one G step. real: batch x image_size in [-1, 1],
 * z: batch x z_dim; both must stay valid during the call. */
void gan_step(gan_t *gan, const float *real, const float *z, int batch,
              gan_stats_t *stats);

/* G(z) for n <= max_batch rows; returns batch x image_size in G's buffer,
 * valid until G runs again. Runs fp32 products in every precision
 * (net_forward_fp32): samples and evaluations show the fp32 master
 * weights, as any reader of the checkpoint does. */
const float *gan_generate(gan_t *gan, const float *z, int n);

/* The checkpoint's architecture: writes `"arch": {"G": ..., "D": ...}`
 * (net_arch_write_json of each net; no comma or newline around it). */
void gan_write_arch_json(FILE *fp, const gan_t *gan);
/* Checks a checkpoint header's "arch" against the nets of gan (built from
 * the header's g_hidden / d_hidden): GAN_ERR_INPUT naming path and the
 * first difference. A header without "arch" (checkpoints made before it)
 * describes the default MLP of its g_hidden / d_hidden: GAN_OK. */
int gan_check_arch_json(const gan_t *gan, const char *header, const char *path,
                        gan_err_t *err);

#endif
