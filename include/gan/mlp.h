/* The MLP: one architecture of net.h, a stack of dense layers each with
 * the activation of its output pass, built from its layer sizes. The GAN's
 * default nets (100-256-512-1024-784 and 784-1024-512-256-1), the
 * classifier and the probe are MLPs.
 *
 * An MLP is a net (mlp_t is net_t); the mlp_ names below are the net's
 * functions under the names callers (and tests) used before the net
 * existed, kept so that code reads as it did. New code uses net.h. */
#ifndef GAN_MLP_H
#define GAN_MLP_H

#include "gan/activation.h"
#include "gan/error.h"
#include "gan/net.h"

#define MLP_MAX_LAYERS NET_MAX_LAYERS

typedef net_t mlp_t;
typedef layer_t mlp_layer_t;
typedef net_grads_t mlp_grads_t;
typedef net_layer_grads_fn mlp_layer_grads_fn;

#define MLP_GRADS_NONE NET_GRADS_NONE
#define MLP_GRADS_ADD NET_GRADS_ADD
#define MLP_GRADS_SET NET_GRADS_SET

/* The architecture of n_layers dense layers: sizes has n_layers + 1
 * entries (input first), acts one per layer. GAN_ERR_INPUT for a bad
 * count (the sizes are checked by net_create). */
int mlp_arch(net_arch_t *arch, int n_layers, const int *sizes, const act_t *acts, float leak,
             gan_err_t *err);

/* net_create of mlp_arch's architecture. */
int mlp_create(mlp_t *net, int n_layers, const int *sizes, const act_t *acts, float leak,
               int max_batch, gan_err_t *err);

static inline void mlp_destroy(mlp_t *net) { net_destroy(net); }
static inline int mlp_set_precision(mlp_t *net, precision_t precision, const int *batches,
                                    int n_batches, gan_err_t *err)
{
    return net_set_precision(net, precision, batches, n_batches, err);
}
static inline void mlp_weights_changed(mlp_t *net, size_t first, size_t n)
{
    net_weights_changed(net, first, n);
}
static inline void mlp_params_changed(mlp_t *net) { net_params_changed(net); }
static inline void mlp_release_grads(mlp_t *net) { net_release_grads(net); }
static inline int mlp_input_size(const mlp_t *net) { return net_input_size(net); }
static inline int mlp_output_size(const mlp_t *net) { return net_output_size(net); }
static inline const float *mlp_forward(mlp_t *net, const float *x, int batch)
{
    return net_forward(net, x, batch);
}
static inline const float *mlp_forward_fp32(mlp_t *net, const float *x, int batch)
{
    return net_forward_fp32(net, x, batch);
}
static inline void mlp_zero_grad(mlp_t *net) { net_zero_grad(net); }
static inline void mlp_backward(mlp_t *net, float *dx, const float *dout, mlp_grads_t grads)
{
    net_backward(net, dx, dout, grads);
}
static inline size_t mlp_max_layer_params(const mlp_t *net) { return net_max_layer_params(net); }
static inline void mlp_backward_layers(mlp_t *net, float *dx, const float *dout, float *scratch,
                                       mlp_layer_grads_fn on_layer, void *ctx)
{
    net_backward_layers(net, dx, dout, scratch, on_layer, ctx);
}

#endif
