/* A multilayer perceptron: a stack of dense + activation layers whose
 * parameters live in ONE flat float buffer and whose gradients live in
 * another, laid out layer by layer as [W (out x in), b (out)]. Init, Adam,
 * gradient norms, NaN checks and checkpoints then see one array.
 *
 * A trainer that updates each layer as soon as its gradient is complete
 * (mlp_backward_layers) needs no whole-net gradient: it can release it
 * (mlp_release_grads), which saves n_params floats per net.
 *
 * All work buffers are allocated once in mlp_create for max_batch rows;
 * forward and backward never allocate and accept any batch <= max_batch.
 * The net knows nothing about GANs: a discriminator is an MLP whose last
 * layer is ACT_IDENTITY (a logit) followed by the fused loss in loss.h.
 *
 * Precision (bf16.h): a net computes in fp32 until mlp_set_precision gives
 * it a bf16 mode. Then every matrix product of forward and backward takes
 * bf16 operands (dense_bf16.h) and accumulates in fp32, and the net keeps
 * the bf16 copies those products read, written by the pass that makes
 * their fp32 values:
 *   Y = X W^T    X: the net's input (rounded when forward starts) or the
 *                previous layer's output (rounded in its bias + activation
 *                pass); W: the bf16 copy of the weights
 *   dX = dZ W    dZ: the layer's output gradient times f' (rounded in the
 *                activation's backward pass); W as above
 *   dW = dZ^T X  dZ and X as above (X kept from forward)
 * params stay the fp32 master: whoever changes them (init, load, the
 * optimizer) reports it (mlp_params_changed, mlp_weights_changed), which
 * rewrites the copy. The bias, its gradient (column sums of the fp32 dZ),
 * the activations' fp32 values and every gradient written stay fp32. */
#ifndef GAN_MLP_H
#define GAN_MLP_H

#include <stddef.h>

#include "gan/activation.h"
#include "gan/bf16.h"
#include "gan/error.h"

#define MLP_MAX_LAYERS 16

typedef struct {
    int n_in, n_out;
    act_t act;
    size_t w_off, b_off; /* offsets into params / grads */
} mlp_layer_t;

/* Fields are read-only for callers; mlp_create fills them. */
typedef struct {
    int n_layers;
    mlp_layer_t layers[MLP_MAX_LAYERS];
    float leak;       /* slope of ACT_LEAKY_RELU */
    int max_batch;
    size_t n_params;
    float *params;    /* n_params, owned */
    float *grads;     /* n_params, owned; true dL/dparams; NULL once released */
    float *acts[MLP_MAX_LAYERS]; /* layer outputs, max_batch x n_out each */
    const float *input;          /* input of the last forward (not owned) */
    int batch;                   /* batch of the last forward */
    float *dz, *dx;              /* backward scratch, max_batch x widest */
    float *ones;                 /* max_batch ones for bias gradients */
    float *buffer;               /* the one allocation behind the above */
    /* bf16 modes only (mlp_set_precision): each layer's products and the
     * bf16 operand arrays (bf16.h) they read, in one allocation. */
    precision_t precision;       /* PRECISION_FP32 until mlp_set_precision */
    struct dense_bf16 *products[MLP_MAX_LAYERS];
    void *weights16;             /* n_params elements at params' offsets (bias slots unused) */
    void *input16;               /* max_batch x input size: the last forward's input */
    void *acts16[MLP_MAX_LAYERS]; /* max_batch x n_out of every layer but the last */
    void *dz16;                  /* max_batch x widest: a layer's output gradient */
    void *buffer16;
    int forward16;               /* the last forward ran the bf16 products */
} mlp_t;

/* Builds a net with n_layers layers: sizes has n_layers + 1 entries (input
 * first), acts one per layer. Parameters start at zero (see init.h).
 * Returns GAN_ERR_INPUT for bad sizes, GAN_ERR_RUNTIME if out of memory;
 * on error net is left destroyable. */
int mlp_create(mlp_t *net, int n_layers, const int *sizes, const act_t *acts,
               float leak, int max_batch, gan_err_t *err);
/* Frees everything; accepts a zeroed or already destroyed net. */
void mlp_destroy(mlp_t *net);

/* Makes the net's products run in precision: for a bf16 mode, allocates
 * the bf16 operands, prepares each layer's products for max_batch rows
 * and the n_batches row counts in batches (the oneDNN backend creates its
 * primitives for exactly those; other batches run padded), and writes the
 * weights' bf16 copy from params. PRECISION_FP32 frees all of that again.
 * On error (GAN_ERR_INPUT when this CPU cannot run PRECISION_BF16, with
 * the message saying why; GAN_ERR_RUNTIME out of memory) the net is left
 * in fp32. */
int mlp_set_precision(mlp_t *net, precision_t precision, const int *batches, int n_batches,
                      gan_err_t *err);
/* params[first, first + n) changed (an optimizer step on a slice): rewrites
 * the bf16 copy of the weights among them. Nothing to do in fp32. */
void mlp_weights_changed(mlp_t *net, size_t first, size_t n);
/* Every parameter may have changed (init, load): mlp_weights_changed over
 * the whole net. */
void mlp_params_changed(mlp_t *net);
/* Frees the whole-net gradient buffer (grads becomes NULL); from then on
 * only mlp_backward with MLP_GRADS_NONE and mlp_backward_layers work. */
void mlp_release_grads(mlp_t *net);

int mlp_input_size(const mlp_t *net);
int mlp_output_size(const mlp_t *net);

/* Runs x (batch x input size) through the net and returns the output
 * (batch x output size), which lives in the net until the next forward.
 * x must stay unchanged until mlp_backward has run. */
const float *mlp_forward(mlp_t *net, const float *x, int batch);
/* The same forward with fp32 products whatever the net's precision: for
 * looking at a net (samples, evaluation, statistics), so that what a bf16
 * run shows of its weights is what any fp32 reader of its checkpoint
 * sees. A backward runs in the precision of the forward before it. */
const float *mlp_forward_fp32(mlp_t *net, const float *x, int batch);

/* Sets every gradient to zero. */
void mlp_zero_grad(mlp_t *net);

/* What mlp_backward does with net->grads. */
typedef enum {
    MLP_GRADS_NONE, /* leave them: only the input gradient is wanted */
    MLP_GRADS_ADD,  /* add to them (after mlp_zero_grad, several passes sum) */
    MLP_GRADS_SET   /* overwrite them: a single pass needs no mlp_zero_grad */
} mlp_grads_t;

/* Backpropagates dout (batch x output size, the gradient of the loss with
 * respect to the last forward's output) into net->grads as grads says;
 * dx (batch x input size) receives the gradient with respect to the input
 * unless it is NULL. */
void mlp_backward(mlp_t *net, float *dx, const float *dout, mlp_grads_t grads);

/* Receives layer l's complete parameter gradient during mlp_backward_layers:
 * grads = dw (n_out x n_in) then db (n_out), the layout of the layer's
 * slice of params at layers[l].w_off; and dinput (batch x n_in), the
 * gradient the layer passes down: layer l - 1's output gradient, or for
 * layer 0 the input gradient (NULL when the caller asked for none).
 * Backward no longer needs the layer's weights when this runs, so it may
 * update them; both arrays are valid only during the call. */
typedef void (*mlp_layer_grads_fn)(void *ctx, mlp_t *net, int layer, const float *grads,
                                   const float *dinput);

/* Floats of the largest layer's parameters (weights + biases). */
size_t mlp_max_layer_params(const mlp_t *net);

/* Backward like mlp_backward, but each layer's parameter gradient is
 * written to scratch (mlp_max_layer_params floats, not net->grads) and
 * handed to on_layer, top layer first, before the layers below run. */
void mlp_backward_layers(mlp_t *net, float *dx, const float *dout, float *scratch,
                         mlp_layer_grads_fn on_layer, void *ctx);

#endif
