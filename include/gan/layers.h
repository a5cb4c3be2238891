/* The layer kinds of a network (net.h): what a layer of each kind is, its
 * shapes and parameters, and its forward and backward pass, side by side.
 *
 * A layer maps a tensor of shape C x H x W per row (batch-major: B rows of
 * C H W floats) to another. Kinds:
 *   dense       y = f(x W^T + b): x seen as a flat vector of C H W values,
 *               W: n_out x n_in (PyTorch's nn.Linear), output n_out x 1 x 1.
 *               f is the activation of its output pass (ACT_IDENTITY: none):
 *               the bias, f and, in bf16 modes, the bf16 copy of y are one
 *               sweep over y after the product (activation.h), which a
 *               separate activation layer would make two.
 *   activation  y = f(x) element-wise, any shape: for an activation that
 *               follows a layer without that output pass (a reshape, the
 *               net's input; batch norm next).
 *   reshape     the same values seen as another shape of the same size
 *               (flatten is a reshape to n x 1 x 1): a view, no pass.
 * Parameters live in the net's one flat buffer at the layer's offsets:
 * its weights (the product operands, which alone get bf16 copies) first,
 * then the rest (dense: the bias).
 *
 * Adding a kind (conv, transposed conv, batch norm) is one row of the kind
 * table in layers.c and its functions; the net (net.c), the trainer and
 * the GAN loop over layers and never name a kind. Nothing here allocates
 * in a pass; layer_kind_ops_t.set_precision allocates once. */
#ifndef GAN_LAYERS_H
#define GAN_LAYERS_H

#include <stddef.h>

#include "gan/activation.h"
#include "gan/bf16.h"
#include "gan/dense.h"
#include "gan/error.h"
#include "gan/products.h"

typedef enum {
    LAYER_DENSE,
    LAYER_ACTIVATION,
    LAYER_RESHAPE,
    LAYER_KIND_COUNT
} layer_kind_t;

/* "dense", "activation", "reshape". */
const char *layer_kind_name(layer_kind_t kind);
/* Parses a kind name; GAN_ERR_INPUT naming the valid ones otherwise. */
int layer_kind_from_name(layer_kind_t *kind, const char *name, gan_err_t *err);

/* Channels x height x width of one row; a flat vector of n is n x 1 x 1. */
typedef struct {
    int c, h, w;
} shape_t;

/* c h w (0 for a shape with a non-positive side). */
size_t shape_size(shape_t s);
/* n x 1 x 1. */
shape_t shape_flat(int n);

/* What a layer is before a net places it: the kind and its attributes. */
typedef struct {
    layer_kind_t kind;
    act_t act;   /* dense: the activation of its output pass; activation: f */
    shape_t out; /* dense: out.c units (h = w = 1); reshape: the new shape;
                    activation: unused (the input's shape) */
} layer_spec_t;

/* One layer of a net; net_create fills it, callers read it. */
typedef struct {
    layer_kind_t kind;
    act_t act;             /* as in layer_spec_t (ACT_IDENTITY for reshape) */
    shape_t in, out;
    int n_in, n_out;       /* shape_size(in), shape_size(out) */
    int index;             /* among the net's layers of its kind: "dense2" */
    size_t p_off, n_params; /* its slice of the net's params (and grads) */
    size_t w_off, n_weights; /* the weights in it: the products' operands */
    size_t b_off;          /* the rest (dense: the bias, n_out floats) */
    void *products;        /* products_t: its fp32 products (every net has
                              them from net_create: OpenBLAS until
                              net_set_products picks another library) */
    void *products16;      /* products_t: a bf16 mode's products, else NULL */
} layer_t;

/* Buffers of one forward pass of one layer (pointers into the net's).
 * x16 / y16: the bf16 operand copies of x and y (bf16.h) in a bf16 pass;
 * y16 is NULL when no product reads y. In an fp32 pass both are NULL. */
typedef struct {
    float *y;
    void *y16;
    const float *x;
    const void *x16;
    const float *params;   /* the net's params: the layer reads its offsets */
    const void *weights16; /* the bf16 copy of the net's weights (bf16 pass) */
    int batch;
    float leak;            /* slope of ACT_LEAKY_RELU */
    precision_t precision; /* PRECISION_FP32 for an fp32 pass */
} layer_fwd_t;

/* Buffers of one backward pass of one layer. dy is const (it may be the
 * caller's); work, when not NULL, is a scratch buffer the layer may
 * overwrite (it may be dy itself: then dy is ours), never dx. dx: where
 * the input gradient goes (overwritten; NULL: not wanted). dparams: the
 * layer's parameter gradient in the layout of its slice (NULL: not
 * wanted), added or set as mode says. dz16: scratch for a bf16 operand
 * copy of an output gradient. x, y: the forward's input and output. */
typedef struct {
    float *dx;
    const float *dy;
    float *work;
    float *dparams;
    grad_mode_t mode;
    void *dz16;
    const float *x, *y;
    const void *x16;
    const float *params;
    const void *weights16;
    const float *ones;     /* batch ones (column sums as products) */
    int batch;
    float leak;
    precision_t precision; /* of the forward this backward follows */
} layer_bwd_t;

/* A kind: its name, its rules and its passes. */
typedef struct {
    const char *name;
    /* Its input is read by matrix products: in a bf16 pass it wants the
     * bf16 copy of its input (layer_fwd_t.x16), which the layer making
     * that input writes in its own pass. */
    int reads_x16;
    /* Its output is its input (no buffer, no pass; reshape). */
    int is_view;
    /* From spec and layer->in: the output shape, act and the parameter
     * counts (n_params, n_weights; offsets relative to p_off = 0).
     * GAN_ERR_INPUT when the spec does not fit the input. */
    int (*plan)(layer_t *layer, const layer_spec_t *spec, gan_err_t *err);
    /* fan_in, fan_out of the weights (init.h); NULL for kinds without. */
    void (*fans)(const layer_t *layer, int *fan_in, int *fan_out);
    /* Prepares the layer's products for max_batch rows (and the
     * n_batches row counts in batches): layer->products on fp32_backend
     * and, unless bf16_backend is -1, layer->products16 on it. NULL for
     * kinds without products. */
    int (*set_products)(layer_t *layer, int fp32_backend, int bf16_backend, int max_batch,
                        const int *batches, int n_batches, gan_err_t *err);
    /* Frees both (either may be NULL). */
    void (*drop_products)(layer_t *layer);
    void (*forward)(const layer_t *layer, const layer_fwd_t *io);
    void (*backward)(const layer_t *layer, const layer_bwd_t *io);
} layer_kind_ops_t;

/* The row of a kind (kind must be valid). */
const layer_kind_ops_t *layer_kind_ops(layer_kind_t kind);

/* Plans layer (kind, in shape set) from spec: layer_kind_ops(kind)->plan
 * after checking the kind and act values. */
int layer_plan(layer_t *layer, const layer_spec_t *spec, gan_err_t *err);

#endif
