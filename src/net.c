/* A network of layers over flat parameter and gradient buffers; see net.h.
 * Everything about a kind is in its row of the kind table (layers.c):
 * this file plans buffers and walks the list. */
#include "gan/net.h"

#include <stdlib.h>
#include <string.h>

#include "gan/json.h"

#define MAX_UNITS (1 << 20)

static int prepare_products(net_t *net, int fp32_backend, int bf16_backend, const int *batches,
                            int n_batches, gan_err_t *err);

static int check_shape(shape_t s, const char *what, int l, gan_err_t *err)
{
    size_t n = shape_size(s);
    if (n < 1 || n > MAX_UNITS)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "net: %s of layer %d is %d x %d x %d (must hold 1..%d values)", what,
                           l, s.c, s.h, s.w, MAX_UNITS);
    return GAN_OK;
}

int net_create(net_t *net, const net_arch_t *arch, int max_batch, gan_err_t *err)
{
    memset(net, 0, sizeof *net);
    if (arch->n_layers < 1 || arch->n_layers > NET_MAX_LAYERS)
        return gan_err_set(err, GAN_ERR_INPUT, "net: %d layers (must be 1..%d)", arch->n_layers,
                           NET_MAX_LAYERS);
    if (max_batch < 1)
        return gan_err_set(err, GAN_ERR_INPUT, "net: max batch %d (must be >= 1)", max_batch);
    int rc = check_shape(arch->input, "the input", 0, err);
    if (rc)
        return rc;
    net->arch = *arch;
    size_t offset = 0, act_floats = 0;
    int widest = (int)shape_size(arch->input);
    int count[LAYER_KIND_COUNT] = {0};
    shape_t in = arch->input;
    for (int l = 0; l < arch->n_layers; l++) {
        layer_t *layer = &net->layers[l];
        layer->in = in;
        gan_err_t why;
        if (layer_plan(layer, &arch->layers[l], &why))
            return gan_err_set(err, GAN_ERR_INPUT, "net: layer %d: %s", l, why.msg);
        rc = check_shape(layer->out, "the output", l, err);
        if (rc)
            return rc;
        layer->index = count[layer->kind]++;
        layer->p_off = offset;
        layer->w_off += offset;
        layer->b_off += offset;
        offset += layer->n_params;
        if (!layer_kind_ops(layer->kind)->is_view)
            act_floats += (size_t)max_batch * layer->n_out;
        widest = layer->n_out > widest ? layer->n_out : widest;
        in = layer->out;
    }
    net->n_layers = arch->n_layers;
    net->leak = arch->leak;
    net->max_batch = max_batch;
    net->n_params = offset;

    size_t scratch = (size_t)max_batch * widest;
    size_t total = offset + act_floats + 2 * scratch + (size_t)max_batch;
    net->buffer = calloc(total, sizeof *net->buffer);
    /* Separate from the rest so that it can be released on its own. */
    net->grads = calloc(offset ? offset : 1, sizeof *net->grads);
    if (!net->buffer || !net->grads)
        return gan_err_set(err, GAN_ERR_RUNTIME, "net: out of memory for %zu floats",
                           total + offset);
    float *p = net->buffer;
    net->params = p, p += offset;
    for (int l = 0; l < net->n_layers; l++) {
        if (layer_kind_ops(net->layers[l].kind)->is_view)
            continue; /* set by forward: its input */
        net->acts[l] = p;
        p += (size_t)max_batch * net->layers[l].n_out;
    }
    net->dz = p, p += scratch;
    net->dx = p, p += scratch;
    net->ones = p;
    for (int i = 0; i < max_batch; i++)
        net->ones[i] = 1.0f;
    return prepare_products(net, PRODUCTS_OPENBLAS_F32, -1, NULL, 0, err);
}

/* Frees the bf16 state and every layer's products; the net computes in
 * fp32 again once prepare_products has made them anew. */
static void drop_bf16(net_t *net)
{
    for (int l = 0; l < NET_MAX_LAYERS; l++) {
        layer_t *layer = &net->layers[l];
        const layer_kind_ops_t *k = l < net->n_layers ? layer_kind_ops(layer->kind) : NULL;
        if (k && k->drop_products)
            k->drop_products(layer);
        net->acts16[l] = NULL;
    }
    free(net->buffer16);
    net->buffer16 = net->weights16 = net->input16 = net->dz16 = NULL;
    net->precision = PRECISION_FP32;
    net->forward16 = 0;
}

/* Every layer's products: fp32 on fp32_backend, a bf16 mode's on
 * bf16_backend (-1: none). */
static int prepare_products(net_t *net, int fp32_backend, int bf16_backend, const int *batches,
                            int n_batches, gan_err_t *err)
{
    for (int l = 0; l < net->n_layers; l++) {
        layer_t *layer = &net->layers[l];
        const layer_kind_ops_t *k = layer_kind_ops(layer->kind);
        int rc = k->set_products ? k->set_products(layer, fp32_backend, bf16_backend,
                                                   net->max_batch, batches, n_batches, err)
                                 : GAN_OK;
        if (rc)
            return rc;
    }
    net->products = (products_backend_t)(bf16_backend >= 0 ? bf16_backend : fp32_backend);
    return GAN_OK;
}

/* 1 if the output of layer l (-1: the net's input) is read by a product:
 * the next layer that is not a view reads a bf16 copy of its input. */
static int output_read_by_product(const net_t *net, int l)
{
    for (int k = l + 1; k < net->n_layers; k++) {
        const layer_kind_ops_t *ops = layer_kind_ops(net->layers[k].kind);
        if (!ops->is_view)
            return ops->reads_x16;
    }
    return 0;
}

int net_set_precision(net_t *net, precision_t precision, const int *batches, int n_batches,
                      gan_err_t *err)
{
    return net_set_products(net, precision, PRODUCTS_OPENBLAS, batches, n_batches, err);
}

int net_set_products(net_t *net, precision_t precision, products_lib_t lib, const int *batches,
                     int n_batches, gan_err_t *err)
{
    if ((unsigned)precision >= PRECISION_COUNT || (unsigned)lib >= PRODUCTS_LIB_COUNT)
        return gan_err_set(err, GAN_ERR_INPUT, "net: unknown precision %d or library %d",
                           (int)precision, (int)lib);
    drop_bf16(net);
    if (precision == PRECISION_FP32) {
        int rc = prepare_products(net, (int)products_backend(lib, precision), -1, batches,
                                  n_batches, err);
        if (rc) {
            drop_bf16(net);
            prepare_products(net, PRODUCTS_OPENBLAS_F32, -1, NULL, 0, NULL);
        }
        return rc;
    }
    const size_t rows = (size_t)net->max_batch;
    size_t widest = 0, elements = net->n_params;
    int input16 = output_read_by_product(net, -1);
    if (input16)
        elements += rows * (size_t)net_input_size(net);
    for (int l = 0; l < net->n_layers; l++) {
        const layer_t *layer = &net->layers[l];
        widest = (size_t)layer->n_out > widest ? (size_t)layer->n_out : widest;
        if (!layer_kind_ops(layer->kind)->is_view && output_read_by_product(net, l))
            elements += rows * (size_t)layer->n_out;
    }
    elements += rows * widest;
    size_t size = bf16_operand_size(precision);
    net->buffer16 = calloc(elements, size);
    if (!net->buffer16) {
        prepare_products(net, PRODUCTS_OPENBLAS_F32, -1, NULL, 0, NULL);
        return gan_err_set(err, GAN_ERR_RUNTIME, "net: out of memory for %zu bf16 operands",
                           elements);
    }
    size_t at = 0;
    net->weights16 = bf16_operand_at(net->buffer16, at, precision), at += net->n_params;
    if (input16) {
        net->input16 = bf16_operand_at(net->buffer16, at, precision);
        at += rows * (size_t)net_input_size(net);
    }
    void *below16 = net->input16;
    for (int l = 0; l < net->n_layers; l++) {
        const layer_t *layer = &net->layers[l];
        if (layer_kind_ops(layer->kind)->is_view) {
            net->acts16[l] = below16;
        } else if (output_read_by_product(net, l)) {
            net->acts16[l] = bf16_operand_at(net->buffer16, at, precision);
            at += rows * (size_t)layer->n_out;
        }
        below16 = net->acts16[l];
    }
    net->dz16 = bf16_operand_at(net->buffer16, at, precision);
    /* A bf16 net's fp32 passes (net_forward_fp32: sample grids, D's probe)
     * stay on OpenBLAS, as they were before the library was a choice. */
    int rc = prepare_products(net, PRODUCTS_OPENBLAS_F32, (int)products_backend(lib, precision),
                              batches, n_batches, err);
    if (rc) {
        drop_bf16(net);
        prepare_products(net, PRODUCTS_OPENBLAS_F32, -1, NULL, 0, NULL);
        return rc;
    }
    net->precision = precision;
    net_params_changed(net);
    return GAN_OK;
}

void net_weights_changed(net_t *net, size_t first, size_t n)
{
    if (net->precision == PRECISION_FP32)
        return;
    /* Only the weights have copies: clip the range to each layer's. */
    for (int l = 0; l < net->n_layers; l++) {
        const layer_t *layer = &net->layers[l];
        size_t lo = layer->w_off, hi = layer->w_off + layer->n_weights;
        lo = first > lo ? first : lo;
        hi = first + n < hi ? first + n : hi;
        if (lo < hi)
            bf16_store(net->weights16, lo, net->params + lo, hi - lo, net->precision);
    }
}

void net_params_changed(net_t *net) { net_weights_changed(net, 0, net->n_params); }

void net_destroy(net_t *net)
{
    if (!net)
        return;
    drop_bf16(net);
    free(net->buffer);
    free(net->grads);
    memset(net, 0, sizeof *net);
}

void net_release_grads(net_t *net)
{
    free(net->grads);
    net->grads = NULL;
}

size_t net_max_layer_params(const net_t *net)
{
    size_t most = 0;
    for (int l = 0; l < net->n_layers; l++)
        most = net->layers[l].n_params > most ? net->layers[l].n_params : most;
    return most;
}

int net_input_size(const net_t *net) { return net->layers[0].n_in; }

int net_output_size(const net_t *net) { return net->layers[net->n_layers - 1].n_out; }

act_t net_layer_act(const net_t *net, int l)
{
    if (net->layers[l].act != ACT_IDENTITY)
        return net->layers[l].act;
    for (int k = l + 1; k < net->n_layers; k++) {
        const layer_t *next = &net->layers[k];
        if (next->kind == LAYER_ACTIVATION)
            return next->act;
        if (!layer_kind_ops(next->kind)->is_view)
            break;
    }
    return ACT_IDENTITY;
}

void net_layer_name(char *out, size_t size, const net_t *net, int l)
{
    snprintf(out, size, "%s%d", layer_kind_name(net->layers[l].kind), net->layers[l].index);
}

/* The one forward pass: products in precision p (PRECISION_FP32, or the
 * net's bf16 mode with its bf16 copies). */
static const float *forward(net_t *net, const float *x, int batch, precision_t p)
{
    net->input = x;
    net->batch = batch;
    net->forward16 = p != PRECISION_FP32;
    const void *in16 = NULL;
    if (p != PRECISION_FP32 && net->input16) {
        bf16_store(net->input16, 0, x, (size_t)batch * net_input_size(net), p);
        in16 = net->input16;
    }
    const float *in = x;
    for (int l = 0; l < net->n_layers; l++) {
        const layer_t *layer = &net->layers[l];
        const layer_kind_ops_t *k = layer_kind_ops(layer->kind);
        if (k->is_view) {
            /* Its output is its input; the cast only lets acts[] hold it
             * (nothing writes through a view's entry). */
            net->acts[l] = (float *)in;
            continue;
        }
        layer_fwd_t io = {
            .y = net->acts[l],
            .y16 = p != PRECISION_FP32 ? net->acts16[l] : NULL,
            .x = in,
            .x16 = in16,
            .params = net->params,
            .weights16 = net->weights16,
            .batch = batch,
            .leak = net->leak,
            .precision = p,
        };
        k->forward(layer, &io);
        in = net->acts[l];
        in16 = io.y16;
    }
    return in;
}

const float *net_forward(net_t *net, const float *x, int batch)
{
    return forward(net, x, batch, net->precision);
}

const float *net_forward_fp32(net_t *net, const float *x, int batch)
{
    return forward(net, x, batch, PRECISION_FP32);
}

void net_zero_grad(net_t *net)
{
    if (net->grads)
        memset(net->grads, 0, net->n_params * sizeof *net->grads);
}

/* The one backward pass behind net_backward and net_backward_layers: with
 * on_layer, layer l's gradient goes to scratch and then to on_layer;
 * otherwise to net->grads as grads says. The gradient w.r.t. the current
 * layer's output lives in dout (const, the caller's) for the top layer and
 * then in one of the two scratch buffers (`mine`); a layer may overwrite
 * it, and its input gradient always goes to the other one, because sgemm
 * must not read and write the same array. */
static void backward(net_t *net, float *dx, const float *dout, net_grads_t grads,
                     float *scratch, net_layer_grads_fn on_layer, void *ctx)
{
    const precision_t p = net->forward16 ? net->precision : PRECISION_FP32;
    const grad_mode_t mode = on_layer || grads == NET_GRADS_SET ? GRADS_SET : GRADS_ADD;
    const float *dy = dout;
    float *mine = NULL;
    for (int l = net->n_layers - 1; l >= 0; l--) {
        const layer_t *layer = &net->layers[l];
        const layer_kind_ops_t *k = layer_kind_ops(layer->kind);
        float *work = mine ? mine : net->dz;
        float *dinput = l == 0 ? dx : work == net->dz ? net->dx : net->dz;
        if (k->is_view) {
            /* The gradient passes through as it is, into the caller's dx
             * below a first layer. */
            dinput = l == 0 ? dx : (float *)dy;
            if (l == 0)
                k->backward(layer, &(layer_bwd_t){.dx = dx, .dy = dy, .batch = net->batch});
            dy = dinput;
            continue;
        }
        float *dparams = NULL;
        if (layer->n_params && on_layer)
            dparams = scratch;
        else if (layer->n_params && grads != NET_GRADS_NONE)
            dparams = net->grads + layer->p_off;
        layer_bwd_t io = {
            .dx = dinput,
            .dy = dy,
            .work = work,
            .dparams = dparams,
            .mode = mode,
            .dz16 = net->dz16,
            .x = l > 0 ? net->acts[l - 1] : net->input,
            .y = net->acts[l],
            .x16 = p == PRECISION_FP32 ? NULL : l > 0 ? net->acts16[l - 1] : net->input16,
            .params = net->params,
            .weights16 = net->weights16,
            .ones = net->ones,
            .batch = net->batch,
            .leak = net->leak,
            .precision = p,
        };
        k->backward(layer, &io);
        if (on_layer && layer->n_params)
            on_layer(ctx, net, l, scratch, dinput);
        dy = mine = dinput;
    }
}

void net_backward(net_t *net, float *dx, const float *dout, net_grads_t grads)
{
    backward(net, dx, dout, grads, NULL, NULL, NULL);
}

void net_backward_layers(net_t *net, float *dx, const float *dout, float *scratch,
                         net_layer_grads_fn on_layer, void *ctx)
{
    backward(net, dx, dout, NET_GRADS_NONE, scratch, on_layer, ctx);
}

/* ---- the architecture as JSON ------------------------------------------ */

static void write_shape(FILE *fp, shape_t s) { fprintf(fp, "[%d, %d, %d]", s.c, s.h, s.w); }

void net_arch_write_json(FILE *fp, const net_t *net, int indent)
{
    fputs("{\"input\": ", fp);
    write_shape(fp, net->arch.input);
    fprintf(fp, ", \"leak\": %.9g, \"layers\": [", (double)net->leak);
    for (int l = 0; l < net->n_layers; l++) {
        const layer_t *layer = &net->layers[l];
        fprintf(fp, "%s\n%*s{\"kind\": \"%s\", \"in\": ", l ? "," : "", indent, "",
                layer_kind_name(layer->kind));
        write_shape(fp, layer->in);
        fputs(", \"out\": ", fp);
        write_shape(fp, layer->out);
        if (layer->kind != LAYER_RESHAPE)
            fprintf(fp, ", \"act\": \"%s\"", act_name(layer->act));
        fprintf(fp, ", \"params\": %zu}", layer->n_params);
    }
    fputs("]}", fp);
}

static int read_shape(shape_t *s, const char *json, const char *key)
{
    int v[3], n = 0;
    if (json_get_int_array(json, key, v, 3, &n) != 0 || n != 3)
        return -1;
    *s = (shape_t){v[0], v[1], v[2]};
    return 0;
}

/* One layer object of "layers" (NUL-ended). */
static int read_layer(layer_spec_t *spec, shape_t *in, const char *json, const char *what, int l,
                      gan_err_t *err)
{
    char kind[32], act[32] = "identity";
    if (json_get_string(json, "kind", kind, sizeof kind) != 0 || read_shape(in, json, "in") ||
        read_shape(&spec->out, json, "out"))
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s layer %d: needs \"kind\", \"in\" and \"out\" ([C, H, W])", what, l);
    json_get_string(json, "act", act, sizeof act);
    gan_err_t why;
    if (layer_kind_from_name(&spec->kind, kind, &why) ||
        act_from_name(&spec->act, act, &why))
        return gan_err_set(err, GAN_ERR_INPUT, "%s layer %d: %s", what, l, why.msg);
    return GAN_OK;
}

int net_arch_read_json(net_arch_t *arch, const char *json, const char *what, gan_err_t *err)
{
    memset(arch, 0, sizeof *arch);
    double leak;
    const char *layers = NULL;
    size_t layers_len = 0;
    if (read_shape(&arch->input, json, "input") || json_get_number(json, "leak", &leak) ||
        json_get_raw(json, "layers", &layers, &layers_len) || *layers != '[')
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: needs \"input\" ([C, H, W]), \"leak\" and \"layers\" (a list)",
                           what);
    arch->leak = (float)leak;
    const char *item;
    size_t item_len;
    shape_t in = arch->input;
    for (int l = 0; json_array_item(layers, l, &item, &item_len) == 0; l++) {
        if (l >= NET_MAX_LAYERS)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: more than %d layers", what,
                               NET_MAX_LAYERS);
        char *text = strndup(item, item_len);
        if (!text)
            return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
        shape_t layer_in;
        int rc = read_layer(&arch->layers[l], &layer_in, text, what, l, err);
        free(text);
        if (rc)
            return rc;
        if (memcmp(&layer_in, &in, sizeof in) != 0)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s layer %d: input %d x %d x %d, but the layer below gives "
                               "%d x %d x %d", what, l, layer_in.c, layer_in.h, layer_in.w, in.c,
                               in.h, in.w);
        /* An activation keeps its input's shape whatever "out" says:
         * building checks every other kind's. */
        in = arch->layers[l].kind == LAYER_ACTIVATION ? in : arch->layers[l].out;
        arch->n_layers = l + 1;
    }
    if (arch->n_layers == 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no layers", what);
    return GAN_OK;
}

int net_arch_equal(const net_arch_t *a, const net_arch_t *b)
{
    if (a->n_layers != b->n_layers || a->leak != b->leak ||
        memcmp(&a->input, &b->input, sizeof a->input) != 0)
        return 0;
    for (int l = 0; l < a->n_layers; l++) {
        const layer_spec_t *x = &a->layers[l], *y = &b->layers[l];
        if (x->kind != y->kind || (x->kind != LAYER_RESHAPE && x->act != y->act))
            return 0;
        /* An activation's "out" is its input's shape, whatever was given. */
        if (x->kind != LAYER_ACTIVATION && memcmp(&x->out, &y->out, sizeof x->out) != 0)
            return 0;
    }
    return 1;
}
