/* The layer kinds; see layers.h. Each kind's rules and passes sit
 * together, and the kind table at the end is the one list of kinds. The
 * passes call the operations of products.h and activation.h in
 * exactly the order the MLP did before the net existed, so fp32 and bf16
 * results are the same bits. */
#include "gan/layers.h"

#include <stdio.h>
#include <string.h>

#include "gan/products.h"

size_t shape_size(shape_t s)
{
    if (s.c < 1 || s.h < 1 || s.w < 1)
        return 0;
    return (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

shape_t shape_flat(int n) { return (shape_t){n, 1, 1}; }

/* ---- dense ------------------------------------------------------------- */

static int dense_plan(layer_t *l, const layer_spec_t *spec, gan_err_t *err)
{
    if (spec->out.c < 1 || spec->out.c > (1 << 20) || spec->out.h != 1 || spec->out.w != 1)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "dense layer: %d x %d x %d outputs (must be n x 1 x 1, n 1..1048576)",
                           spec->out.c, spec->out.h, spec->out.w);
    l->out = spec->out;
    l->act = spec->act;
    l->n_weights = (size_t)l->n_in * (size_t)spec->out.c;
    l->w_off = 0;
    l->b_off = l->n_weights;
    l->n_params = l->n_weights + (size_t)spec->out.c;
    return GAN_OK;
}

static void dense_fans(const layer_t *l, int *fan_in, int *fan_out)
{
    *fan_in = l->n_in;
    *fan_out = l->n_out;
}

static int dense_set_products(layer_t *l, int fp32_backend, int bf16_backend, int max_batch,
                              const int *batches, int n_batches, gan_err_t *err)
{
    products_t *p = NULL;
    int rc = products_create(&p, (products_backend_t)fp32_backend, l->n_in, l->n_out, max_batch,
                             batches, n_batches, err);
    l->products = p;
    if (!rc && bf16_backend >= 0) {
        rc = products_create(&p, (products_backend_t)bf16_backend, l->n_in, l->n_out, max_batch,
                             batches, n_batches, err);
        l->products16 = p;
    }
    return rc;
}

static void dense_drop_products(layer_t *l)
{
    products_destroy(l->products);
    products_destroy(l->products16);
    l->products = l->products16 = NULL;
}

/* x: B x n_in, w: n_out x n_in, b: n_out, y: B x n_out. The product
 * without the bias, then one pass for bias + activation (+ bf16 copy). The
 * last layer of a net has no bf16 copy of its output: nothing reads it. */
static void dense_layer_forward(const layer_t *l, const layer_fwd_t *io)
{
    const float *b = io->params + l->b_off;
    const precision_t p = io->precision;
    if (p == PRECISION_FP32) {
        products_forward(l->products, io->y, io->x, io->params + l->w_off, io->batch);
        act_forward_bias(io->y, b, io->batch, l->n_out, l->act, io->leak);
        return;
    }
    products_forward(l->products16, io->y, io->x16,
                       bf16_operand_at_const(io->weights16, l->w_off, p), io->batch);
    if (io->y16)
        act_forward_bias_bf16(io->y, io->y16, b, io->batch, l->n_out, l->act, io->leak, p);
    else
        act_forward_bias(io->y, b, io->batch, l->n_out, l->act, io->leak);
}

/* dy: B x n_out, x: B x n_in, w: n_out x n_in, dx: B x n_in,
 * dparams: [dw (n_out x n_in), db (n_out)]. */
static void dense_layer_backward(const layer_t *l, const layer_bwd_t *io)
{
    const size_t n = (size_t)io->batch * l->n_out;
    const precision_t p = io->precision;
    float *dw = io->dparams ? io->dparams + (l->w_off - l->p_off) : NULL;
    float *db = io->dparams ? io->dparams + (l->b_off - l->p_off) : NULL;
    const float *dz = io->dy;
    if (p == PRECISION_FP32) {
        /* dZ = dY * f'(Y): the gradient of the pre-activation. */
        if (l->act != ACT_IDENTITY) {
            act_backward(io->work, io->dy, io->y, n, l->act, io->leak);
            dz = io->work;
        }
        products_backward(l->products, io->dx, dw, dz, io->x, io->params + l->w_off, io->batch,
                          io->mode);
        if (db)
            products_colsum(db, dz, io->ones, io->batch, l->n_out, io->mode);
        return;
    }
    /* dZ in fp32 (the bias gradient sums it) and its bf16 copy (the
     * products' operand) from one pass. */
    if (l->act != ACT_IDENTITY) {
        act_backward_bf16(io->work, io->dz16, io->dy, io->y, n, l->act, io->leak, p);
        dz = io->work;
    } else {
        bf16_store(io->dz16, 0, io->dy, n, p);
    }
    products_backward(l->products16, io->dx, dw, io->dz16, io->x16,
                        bf16_operand_at_const(io->weights16, l->w_off, p), io->batch, io->mode);
    /* dL/db = dZ^T 1 in fp32: a sum, not a product of two operands. */
    if (db)
        products_colsum(db, dz, io->ones, io->batch, l->n_out, io->mode);
}

/* ---- activation -------------------------------------------------------- */

static int activation_plan(layer_t *l, const layer_spec_t *spec, gan_err_t *err)
{
    (void)err;
    l->out = l->in;
    l->act = spec->act;
    return GAN_OK;
}

/* x: B x n, y: B x n */
static void activation_forward(const layer_t *l, const layer_fwd_t *io)
{
    size_t n = (size_t)io->batch * l->n_out;
    if (io->y16)
        act_forward_bf16(io->y, io->y16, io->x, n, l->act, io->leak, io->precision);
    else
        act_forward(io->y, io->x, n, l->act, io->leak);
}

/* dy: B x n, y: B x n, dx: B x n. A product below rounds its own output
 * gradient (dense_layer_backward), so no bf16 copy here. */
static void activation_backward(const layer_t *l, const layer_bwd_t *io)
{
    if (io->dx)
        act_backward(io->dx, io->dy, io->y, (size_t)io->batch * l->n_out, l->act, io->leak);
}

/* ---- reshape ----------------------------------------------------------- */

static int reshape_plan(layer_t *l, const layer_spec_t *spec, gan_err_t *err)
{
    if (shape_size(spec->out) != (size_t)l->n_in)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "reshape layer: %d x %d x %d does not hold the %d x %d x %d input",
                           spec->out.c, spec->out.h, spec->out.w, l->in.c, l->in.h, l->in.w);
    l->out = spec->out;
    l->act = ACT_IDENTITY;
    return GAN_OK;
}

/* A view: the net gives it its input's buffer as output. */
static void reshape_forward(const layer_t *l, const layer_fwd_t *io)
{
    (void)l;
    (void)io;
}

/* The gradient passes through; the net hands dy on itself, except to the
 * caller's dx below a first layer. */
static void reshape_backward(const layer_t *l, const layer_bwd_t *io)
{
    if (io->dx && io->dx != io->dy)
        memcpy(io->dx, io->dy, (size_t)io->batch * l->n_in * sizeof *io->dx);
}

/* ---- the kind table ---------------------------------------------------- */

static const layer_kind_ops_t kinds[LAYER_KIND_COUNT] = {
    [LAYER_DENSE] = {"dense", 1, 0, dense_plan, dense_fans, dense_set_products,
                     dense_drop_products, dense_layer_forward, dense_layer_backward},
    [LAYER_ACTIVATION] = {"activation", 0, 0, activation_plan, NULL, NULL, NULL,
                          activation_forward, activation_backward},
    [LAYER_RESHAPE] = {"reshape", 0, 1, reshape_plan, NULL, NULL, NULL, reshape_forward,
                       reshape_backward},
};

const layer_kind_ops_t *layer_kind_ops(layer_kind_t kind) { return &kinds[kind]; }

const char *layer_kind_name(layer_kind_t kind)
{
    return (unsigned)kind < LAYER_KIND_COUNT ? kinds[kind].name : "?";
}

int layer_kind_from_name(layer_kind_t *kind, const char *name, gan_err_t *err)
{
    char valid[128] = "";
    for (int i = 0; i < LAYER_KIND_COUNT; i++) {
        if (strcmp(name, kinds[i].name) == 0) {
            *kind = (layer_kind_t)i;
            return GAN_OK;
        }
        size_t len = strlen(valid);
        snprintf(valid + len, sizeof valid - len, "%s%s", i ? ", " : "", kinds[i].name);
    }
    return gan_err_set(err, GAN_ERR_INPUT, "unknown layer kind '%s' (valid: %s)", name, valid);
}

int layer_plan(layer_t *layer, const layer_spec_t *spec, gan_err_t *err)
{
    if ((unsigned)spec->kind >= LAYER_KIND_COUNT)
        return gan_err_set(err, GAN_ERR_INPUT, "unknown layer kind %d", (int)spec->kind);
    if ((unsigned)spec->act >= ACT_COUNT)
        return gan_err_set(err, GAN_ERR_INPUT, "unknown activation %d", (int)spec->act);
    layer->kind = spec->kind;
    layer->n_in = (int)shape_size(layer->in);
    int rc = kinds[spec->kind].plan(layer, spec, err);
    if (!rc)
        layer->n_out = (int)shape_size(layer->out);
    return rc;
}
