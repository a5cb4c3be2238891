/* A network: an ordered list of layers (layers.h) whose parameters live in
 * ONE flat float buffer and whose gradients live in another, each layer's
 * slice at its offsets, in layer order. Init, Adam, gradient norms, NaN
 * checks and checkpoints then see one array.
 *
 * The net knows nothing about GANs or about the kinds of its layers: it
 * plans shapes and buffers from the kind table, runs each kind's forward
 * bottom up and its backward top down. A discriminator is a net whose
 * last layer is a dense layer with ACT_IDENTITY (a logit) followed by the
 * fused loss in loss.h.
 *
 * A trainer that updates each layer as soon as its gradient is complete
 * (net_backward_layers) needs no whole-net gradient: it can release it
 * (net_release_grads), which saves n_params floats per net.
 *
 * All work buffers are allocated once in net_create for max_batch rows;
 * forward and backward never allocate and accept any batch <= max_batch.
 *
 * Precision (bf16.h): a net computes in fp32 until net_set_precision gives
 * it a bf16 mode. Then every matrix product of forward and backward takes
 * bf16 operands and accumulates in fp32, and the net keeps the bf16 copies
 * those products read, written by the pass that makes their fp32 values:
 *   Y = X W^T    X: the net's input (rounded when forward starts) or the
 *                output of the layer below (rounded in that layer's pass);
 *                W: the bf16 copy of the weights
 *   dX = dZ W    dZ: the layer's output gradient times f' (rounded in the
 *                activation's backward pass); W as above
 *   dW = dZ^T X  dZ and X as above (X kept from forward)
 * params stay the fp32 master: whoever changes them (init, load, the
 * optimizer) reports it (net_params_changed, net_weights_changed), which
 * rewrites the copy. Biases, their gradients, the layers' fp32 outputs and
 * every gradient written stay fp32. */
#ifndef GAN_NET_H
#define GAN_NET_H

#include <stddef.h>
#include <stdio.h>

#include "gan/bf16.h"
#include "gan/error.h"
#include "gan/layers.h"

#define NET_MAX_LAYERS 16

/* A net before it is built: its input shape, the leaky-ReLU slope of its
 * activations and its layers. What the checkpoint's "arch" describes. */
typedef struct {
    shape_t input;
    float leak;
    int n_layers;
    layer_spec_t layers[NET_MAX_LAYERS];
} net_arch_t;

/* Fields are read-only for callers; net_create fills them. */
typedef struct {
    net_arch_t arch;
    int n_layers;
    layer_t layers[NET_MAX_LAYERS];
    float leak;       /* slope of ACT_LEAKY_RELU */
    int max_batch;
    size_t n_params;
    float *params;    /* n_params, owned */
    float *grads;     /* n_params, owned; true dL/dparams; NULL once released */
    float *acts[NET_MAX_LAYERS]; /* layer outputs, max_batch x n_out each (a
                                    view's is its input's) */
    const float *input;          /* input of the last forward (not owned) */
    int batch;                   /* batch of the last forward */
    float *dz, *dx;              /* backward scratch, max_batch x widest */
    float *ones;                 /* max_batch ones for bias gradients */
    float *buffer;               /* the one allocation behind the above */
    /* bf16 modes only (net_set_precision): the bf16 operand arrays the
     * layers' products read, in one allocation. */
    precision_t precision;       /* PRECISION_FP32 until net_set_precision */
    void *weights16;             /* n_params elements at params' offsets (weights only) */
    void *input16;               /* max_batch x input size: the last forward's input */
    void *acts16[NET_MAX_LAYERS]; /* max_batch x n_out of each output a product reads */
    void *dz16;                  /* max_batch x widest: a layer's output gradient */
    void *buffer16;
    int forward16;               /* the last forward ran the bf16 products */
    products_backend_t products; /* what runs net_forward's products */
} net_t;

/* Builds the net arch describes (max_batch rows). Parameters start at
 * zero (init.h). GAN_ERR_INPUT for a bad architecture (the message names
 * the layer), GAN_ERR_RUNTIME out of memory; on error net is destroyable. */
int net_create(net_t *net, const net_arch_t *arch, int max_batch, gan_err_t *err);
/* Frees everything; accepts a zeroed or already destroyed net. */
void net_destroy(net_t *net);

/* Makes the net's products run in precision: for a bf16 mode, allocates
 * the bf16 operands, prepares each layer's products for max_batch rows
 * and the n_batches row counts in batches (the oneDNN backend creates its
 * primitives for exactly those; other batches run padded), and writes the
 * weights' bf16 copy from params. PRECISION_FP32 frees all of that again.
 * On error (GAN_ERR_INPUT when this CPU cannot run PRECISION_BF16, with
 * the message saying why; GAN_ERR_RUNTIME out of memory) the net is left
 * in fp32. */
int net_set_precision(net_t *net, precision_t precision, const int *batches, int n_batches,
                      gan_err_t *err);
/* net_set_precision with the library that runs the products (products.h;
 * net_set_precision is this with PRODUCTS_OPENBLAS): fp32's products on
 * products_resolve(lib, PRECISION_FP32); a bf16 mode's on its library,
 * and its fp32 passes (net_forward_fp32) on OpenBLAS. A net made by
 * net_create runs fp32 on OpenBLAS. */
int net_set_products(net_t *net, precision_t precision, products_lib_t lib, const int *batches,
                     int n_batches, gan_err_t *err);
/* params[first, first + n) changed (an optimizer step on a slice): rewrites
 * the bf16 copy of the weights among them. Nothing to do in fp32. */
void net_weights_changed(net_t *net, size_t first, size_t n);
/* Every parameter may have changed (init, load). */
void net_params_changed(net_t *net);
/* Frees the whole-net gradient buffer (grads becomes NULL); from then on
 * only net_backward with NET_GRADS_NONE and net_backward_layers work. */
void net_release_grads(net_t *net);

int net_input_size(const net_t *net);
int net_output_size(const net_t *net);
/* The activation that follows layer l's weights: its own output pass's,
 * else that of an activation layer right after it (views skipped), else
 * ACT_IDENTITY. What init's he_xavier and layers.csv go by. */
act_t net_layer_act(const net_t *net, int l);
/* "dense2": the layer's kind and its index among the net's layers of that
 * kind (layers.csv, TensorBoard tags, the report). */
void net_layer_name(char *out, size_t size, const net_t *net, int l);

/* Runs x (batch x input size) through the net and returns the output
 * (batch x output size), which lives in the net until the next forward.
 * x must stay unchanged until net_backward has run. */
const float *net_forward(net_t *net, const float *x, int batch);
/* The same forward with fp32 products whatever the net's precision: for
 * looking at a net (samples, evaluation, statistics), so that what a bf16
 * run shows of its weights is what any fp32 reader of its checkpoint
 * sees. A backward runs in the precision of the forward before it. */
const float *net_forward_fp32(net_t *net, const float *x, int batch);

/* Sets every gradient to zero. */
void net_zero_grad(net_t *net);

/* What net_backward does with net->grads. */
typedef enum {
    NET_GRADS_NONE, /* leave them: only the input gradient is wanted */
    NET_GRADS_ADD,  /* add to them (after net_zero_grad, several passes sum) */
    NET_GRADS_SET   /* overwrite them: a single pass needs no net_zero_grad */
} net_grads_t;

/* Backpropagates dout (batch x output size, the gradient of the loss with
 * respect to the last forward's output) into net->grads as grads says;
 * dx (batch x input size) receives the gradient with respect to the input
 * unless it is NULL. */
void net_backward(net_t *net, float *dx, const float *dout, net_grads_t grads);

/* Receives layer l's complete parameter gradient during net_backward_layers
 * (layers with parameters only): grads in the layout of the layer's slice
 * of params at layers[l].p_off (dense: dw, n_out x n_in, then db); and
 * dinput (batch x n_in), the gradient the layer passes down: the output
 * gradient of the layer below, or for layer 0 the input gradient (NULL
 * when the caller asked for none). Backward no longer needs the layer's
 * weights when this runs, so it may update them; both arrays are valid
 * only during the call. */
typedef void (*net_layer_grads_fn)(void *ctx, net_t *net, int layer, const float *grads,
                                   const float *dinput);

/* Floats of the largest layer's parameters. */
size_t net_max_layer_params(const net_t *net);

/* Backward like net_backward, but each layer's parameter gradient is
 * written to scratch (net_max_layer_params floats, not net->grads) and
 * handed to on_layer, top layer first, before the layers below run. */
void net_backward_layers(net_t *net, float *dx, const float *dout, float *scratch,
                         net_layer_grads_fn on_layer, void *ctx);

/* The architecture as one JSON object (no newline at the end):
 *   {"input": [C, H, W], "leak": a, "layers": [
 *     {"kind": "dense", "in": [C, H, W], "out": [C, H, W], "act": "leaky_relu",
 *      "params": n}, ...]}
 * indent: spaces before each layer's line. */
void net_arch_write_json(FILE *fp, const net_t *net, int indent);
/* Reads what net_arch_write_json wrote (json: that object, NUL-ended);
 * GAN_ERR_INPUT naming what is wrong (prefixed by what: "G"). */
int net_arch_read_json(net_arch_t *arch, const char *json, const char *what, gan_err_t *err);
/* 1 if a and b build the same net. */
int net_arch_equal(const net_arch_t *a, const net_arch_t *b);

#endif
