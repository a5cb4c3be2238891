/* MLP over flat parameter and gradient buffers; see mlp.h. */
#include "gan/mlp.h"

#include <stdlib.h>
#include <string.h>

#include "gan/dense.h"
#include "gan/dense_bf16.h"

int mlp_create(mlp_t *net, int n_layers, const int *sizes, const act_t *acts,
               float leak, int max_batch, gan_err_t *err)
{
    memset(net, 0, sizeof *net);
    if (n_layers < 1 || n_layers > MLP_MAX_LAYERS)
        return gan_err_set(err, GAN_ERR_INPUT, "mlp: %d layers (must be 1..%d)",
                           n_layers, MLP_MAX_LAYERS);
    if (max_batch < 1)
        return gan_err_set(err, GAN_ERR_INPUT, "mlp: max batch %d (must be >= 1)",
                           max_batch);
    size_t offset = 0, act_floats = 0;
    int widest = 0;
    for (int l = 0; l <= n_layers; l++) {
        if (sizes[l] < 1 || sizes[l] > (1 << 20))
            return gan_err_set(err, GAN_ERR_INPUT,
                               "mlp: layer size %d (must be 1..1048576)", sizes[l]);
        if (sizes[l] > widest)
            widest = sizes[l];
    }
    for (int l = 0; l < n_layers; l++) {
        mlp_layer_t *layer = &net->layers[l];
        layer->n_in = sizes[l];
        layer->n_out = sizes[l + 1];
        layer->act = acts[l];
        layer->w_off = offset;
        offset += (size_t)layer->n_in * layer->n_out;
        layer->b_off = offset;
        offset += (size_t)layer->n_out;
        act_floats += (size_t)max_batch * layer->n_out;
    }
    net->n_layers = n_layers;
    net->leak = leak;
    net->max_batch = max_batch;
    net->n_params = offset;

    size_t scratch = (size_t)max_batch * widest;
    size_t total = offset + act_floats + 2 * scratch + (size_t)max_batch;
    net->buffer = calloc(total, sizeof *net->buffer);
    /* Separate from the rest so that it can be released on its own. */
    net->grads = calloc(offset, sizeof *net->grads);
    if (!net->buffer || !net->grads)
        return gan_err_set(err, GAN_ERR_RUNTIME,
                           "mlp: out of memory for %zu floats", total + offset);
    float *p = net->buffer;
    net->params = p, p += offset;
    for (int l = 0; l < n_layers; l++) {
        net->acts[l] = p;
        p += (size_t)max_batch * net->layers[l].n_out;
    }
    net->dz = p, p += scratch;
    net->dx = p, p += scratch;
    net->ones = p;
    for (int i = 0; i < max_batch; i++)
        net->ones[i] = 1.0f;
    return GAN_OK;
}

/* Frees the bf16 state; the net computes in fp32 again. */
static void drop_bf16(mlp_t *net)
{
    for (int l = 0; l < MLP_MAX_LAYERS; l++) {
        dense_bf16_destroy(net->products[l]);
        net->products[l] = NULL;
        net->acts16[l] = NULL;
    }
    free(net->buffer16);
    net->buffer16 = net->weights16 = net->input16 = net->dz16 = NULL;
    net->precision = PRECISION_FP32;
    net->forward16 = 0;
}

int mlp_set_precision(mlp_t *net, precision_t precision, const int *batches, int n_batches,
                      gan_err_t *err)
{
    drop_bf16(net);
    if (precision == PRECISION_FP32)
        return GAN_OK;
    if ((unsigned)precision >= PRECISION_COUNT)
        return gan_err_set(err, GAN_ERR_INPUT, "mlp: unknown precision %d", (int)precision);
    size_t rows = (size_t)net->max_batch, widest = 0;
    size_t elements = net->n_params + rows * (size_t)mlp_input_size(net);
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        widest = (size_t)layer->n_out > widest ? (size_t)layer->n_out : widest;
        if (l < net->n_layers - 1)
            elements += rows * (size_t)layer->n_out;
    }
    elements += rows * widest;
    size_t size = bf16_operand_size(precision);
    net->buffer16 = calloc(elements, size);
    if (!net->buffer16)
        return gan_err_set(err, GAN_ERR_RUNTIME, "mlp: out of memory for %zu bf16 operands",
                           elements);
    size_t at = 0;
    net->weights16 = bf16_operand_at(net->buffer16, at, precision), at += net->n_params;
    net->input16 = bf16_operand_at(net->buffer16, at, precision);
    at += rows * (size_t)mlp_input_size(net);
    for (int l = 0; l < net->n_layers - 1; l++) {
        net->acts16[l] = bf16_operand_at(net->buffer16, at, precision);
        at += rows * (size_t)net->layers[l].n_out;
    }
    net->dz16 = bf16_operand_at(net->buffer16, at, precision);
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        int rc = dense_bf16_create(&net->products[l], dense_bf16_backend(precision), layer->n_in,
                                   layer->n_out, net->max_batch, batches, n_batches, err);
        if (rc) {
            drop_bf16(net);
            return rc;
        }
    }
    net->precision = precision;
    mlp_params_changed(net);
    return GAN_OK;
}

void mlp_weights_changed(mlp_t *net, size_t first, size_t n)
{
    if (net->precision == PRECISION_FP32)
        return;
    /* Only the weights have copies: clip the range to each layer's. */
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        size_t lo = layer->w_off, hi = layer->w_off + (size_t)layer->n_in * layer->n_out;
        lo = first > lo ? first : lo;
        hi = first + n < hi ? first + n : hi;
        if (lo < hi)
            bf16_store(net->weights16, lo, net->params + lo, hi - lo, net->precision);
    }
}

void mlp_params_changed(mlp_t *net) { mlp_weights_changed(net, 0, net->n_params); }

void mlp_destroy(mlp_t *net)
{
    if (!net)
        return;
    drop_bf16(net);
    free(net->buffer);
    free(net->grads);
    memset(net, 0, sizeof *net);
}

void mlp_release_grads(mlp_t *net)
{
    free(net->grads);
    net->grads = NULL;
}

size_t mlp_max_layer_params(const mlp_t *net)
{
    size_t most = 0;
    for (int l = 0; l < net->n_layers; l++) {
        size_t n = (size_t)net->layers[l].n_out * (net->layers[l].n_in + 1);
        most = n > most ? n : most;
    }
    return most;
}

int mlp_input_size(const mlp_t *net) { return net->layers[0].n_in; }

int mlp_output_size(const mlp_t *net)
{
    return net->layers[net->n_layers - 1].n_out;
}

/* The bf16 forward: see mlp.h for which copy each product reads. The last
 * layer's output is no operand of this net, so it is not rounded. */
static const float *forward_bf16(mlp_t *net, const float *x, int batch)
{
    const precision_t p = net->precision;
    net->input = x;
    net->batch = batch;
    net->forward16 = 1;
    bf16_store(net->input16, 0, x, (size_t)batch * mlp_input_size(net), p);
    const void *in16 = net->input16;
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        float *y = net->acts[l];
        dense_bf16_forward(net->products[l], y, in16,
                           bf16_operand_at_const(net->weights16, layer->w_off, p), batch);
        if (l < net->n_layers - 1)
            act_forward_bias_bf16(y, net->acts16[l], net->params + layer->b_off, batch,
                                  layer->n_out, layer->act, net->leak, p);
        else
            act_forward_bias(y, net->params + layer->b_off, batch, layer->n_out, layer->act,
                             net->leak);
        in16 = net->acts16[l];
    }
    return net->acts[net->n_layers - 1];
}

const float *mlp_forward(mlp_t *net, const float *x, int batch)
{
    if (net->precision != PRECISION_FP32)
        return forward_bf16(net, x, batch);
    return mlp_forward_fp32(net, x, batch);
}

const float *mlp_forward_fp32(mlp_t *net, const float *x, int batch)
{
    net->input = x;
    net->batch = batch;
    net->forward16 = 0;
    const float *in = x;
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        float *y = net->acts[l];
        dense_forward(y, in, net->params + layer->w_off, NULL, batch, layer->n_in,
                      layer->n_out);
        act_forward_bias(y, net->params + layer->b_off, batch, layer->n_out, layer->act,
                         net->leak);
        in = y;
    }
    return in;
}

void mlp_zero_grad(mlp_t *net)
{
    if (net->grads)
        memset(net->grads, 0, net->n_params * sizeof *net->grads);
}

/* Where layer l's gradients go in a backward pass (both precisions):
 * its input gradient to the scratch buffer dy is not in (the caller's dx
 * for layer 0), because sgemm must not read and write the same array; its
 * weight and bias gradients to scratch for on_layer, else to net->grads
 * as grads says, else nowhere. */
typedef struct {
    float *dinput, *dw, *db;
    grad_mode_t mode;
} grad_targets_t;

static grad_targets_t grad_targets(mlp_t *net, int l, const float *dy, float *dx,
                                   mlp_grads_t grads, float *scratch,
                                   mlp_layer_grads_fn on_layer)
{
    const mlp_layer_t *layer = &net->layers[l];
    grad_targets_t t = {0};
    t.dinput = l == 0 ? dx : dy == net->dz ? net->dx : net->dz;
    if (on_layer)
        t.dw = scratch;
    else if (grads != MLP_GRADS_NONE)
        t.dw = net->grads + layer->w_off;
    t.db = t.dw ? t.dw + (layer->b_off - layer->w_off) : NULL;
    t.mode = on_layer || grads == MLP_GRADS_SET ? GRADS_SET : GRADS_ADD;
    return t;
}

/* backward (below) after a bf16 forward: the same walk over the layers and
 * the same buffers, with the products of dense_bf16.h on the bf16 copies
 * (mlp.h). A loop of its own, so the fp32 one stays the reference as it
 * was. dz16 holds one layer's rounded output gradient at a time. */
static void backward_bf16(mlp_t *net, float *dx, const float *dout, mlp_grads_t grads,
                          float *scratch, mlp_layer_grads_fn on_layer, void *ctx)
{
    const precision_t p = net->precision;
    int batch = net->batch;
    const float *dy = dout;
    float *dy_scratch = NULL;
    for (int l = net->n_layers - 1; l >= 0; l--) {
        const mlp_layer_t *layer = &net->layers[l];
        size_t n = (size_t)batch * layer->n_out;
        /* dZ = dY * f'(Y) in fp32 (the bias gradient sums it) and its bf16
         * copy (the products' operand) from one pass. */
        if (layer->act != ACT_IDENTITY) {
            float *dpre = dy_scratch ? dy_scratch : net->dz;
            act_backward_bf16(dpre, net->dz16, dy, net->acts[l], n, layer->act, net->leak, p);
            dy = dy_scratch = dpre;
        } else {
            bf16_store(net->dz16, 0, dy, n, p);
        }
        const void *x16 = l > 0 ? net->acts16[l - 1] : net->input16;
        grad_targets_t t = grad_targets(net, l, dy, dx, grads, scratch, on_layer);
        dense_bf16_backward(net->products[l], t.dinput, t.dw, net->dz16, x16,
                            bf16_operand_at_const(net->weights16, layer->w_off, p), batch, t.mode);
        /* dL/db = dZ^T 1 in fp32: a sum, not a product of two operands. */
        if (t.db)
            dense_backward(NULL, NULL, t.db, dy, NULL, NULL, net->ones, batch, layer->n_in,
                           layer->n_out, t.mode);
        if (on_layer)
            on_layer(ctx, net, l, scratch, t.dinput);
        dy = dy_scratch = t.dinput;
    }
}

/* The one backward pass behind mlp_backward and mlp_backward_layers: with
 * on_layer, layer l's gradient goes to scratch and then to on_layer;
 * otherwise to net->grads as grads says. */
static void backward(mlp_t *net, float *dx, const float *dout, mlp_grads_t grads,
                     float *scratch, mlp_layer_grads_fn on_layer, void *ctx)
{
    if (net->forward16) {
        backward_bf16(net, dx, dout, grads, scratch, on_layer, ctx);
        return;
    }
    int batch = net->batch;
    /* The gradient w.r.t. the current layer's output lives in dout (const,
     * the caller's) for the top layer and then in one of the two scratch
     * buffers; the input gradient of a layer always goes to the other one,
     * because sgemm must not read and write the same array. */
    const float *dy = dout;
    float *dy_scratch = NULL; /* dy when it is ours to overwrite */
    for (int l = net->n_layers - 1; l >= 0; l--) {
        const mlp_layer_t *layer = &net->layers[l];
        size_t n = (size_t)batch * layer->n_out;
        if (layer->act != ACT_IDENTITY) {
            float *dpre = dy_scratch ? dy_scratch : net->dz;
            act_backward(dpre, dy, net->acts[l], n, layer->act, net->leak);
            dy = dy_scratch = dpre;
        }
        const float *x = l > 0 ? net->acts[l - 1] : net->input;
        grad_targets_t t = grad_targets(net, l, dy, dx, grads, scratch, on_layer);
        dense_backward(t.dinput, t.dw, t.db, dy, x, net->params + layer->w_off, net->ones,
                       batch, layer->n_in, layer->n_out, t.mode);
        if (on_layer)
            on_layer(ctx, net, l, scratch, t.dinput);
        dy = dy_scratch = t.dinput;
    }
}

void mlp_backward(mlp_t *net, float *dx, const float *dout, mlp_grads_t grads)
{
    backward(net, dx, dout, grads, NULL, NULL, NULL);
}

void mlp_backward_layers(mlp_t *net, float *dx, const float *dout, float *scratch,
                         mlp_layer_grads_fn on_layer, void *ctx)
{
    backward(net, dx, dout, MLP_GRADS_NONE, scratch, on_layer, ctx);
}
