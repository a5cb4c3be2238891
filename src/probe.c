/* The initialization probe (see probe.h): one forward (and optionally one
 * backward) pass of a deep MLP, reduced to per-layer statistics and
 * histograms, and the SVG figure of those histograms.
 *
 * Statistics are accumulated in double over batch x width floats. Values
 * that are not finite (a net with far too large weights can overflow) are
 * counted apart and left out of every statistic, so the probe reports
 * "overflowed" instead of feeding NaN into a histogram bin index. It does
 * not train and does not print. */
#include "gan/probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/act_stats.h"
#include "gan/fsutil.h"
#include "gan/idx.h"
#include "gan/mlp.h"
#include "gan/rng.h"
#include "gan/svg.h"

void probe_cfg_default(probe_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->act = ACT_TANH;
    cfg->init = INIT_XAVIER_NORMAL;
    cfg->init_std = INIT_DEFAULT_STD;
    cfg->n_layers = 10;
    cfg->width = 500;
    cfg->batch = 1000;
    cfg->seed = 1;
    cfg->leak = ACT_DEFAULT_LEAK;
    cfg->backward = 0;
    cfg->data_dir = NULL;
}

void probe_result_free(probe_result_t *res)
{
    if (!res)
        return;
    free(res->layers);
    memset(res, 0, sizeof *res);
}

static int check_cfg(const probe_cfg_t *cfg, gan_err_t *err)
{
    if ((unsigned)cfg->act >= ACT_COUNT)
        return gan_err_set(err, GAN_ERR_INPUT, "probe: unknown activation %d", (int)cfg->act);
    if ((unsigned)cfg->init >= INIT_COUNT)
        return gan_err_set(err, GAN_ERR_INPUT, "probe: unknown init scheme %d", (int)cfg->init);
    if (cfg->n_layers < 1 || cfg->n_layers > NET_MAX_LAYERS)
        return gan_err_set(err, GAN_ERR_INPUT, "probe: %d layers (must be 1..%d)",
                           cfg->n_layers, NET_MAX_LAYERS);
    if (cfg->width < 1 || cfg->width > PROBE_MAX_WIDTH)
        return gan_err_set(err, GAN_ERR_INPUT, "probe: width %d (must be 1..%d)",
                           cfg->width, PROBE_MAX_WIDTH);
    if (cfg->batch < 1 || cfg->batch > PROBE_MAX_BATCH)
        return gan_err_set(err, GAN_ERR_INPUT, "probe: batch %d (must be 1..%d)",
                           cfg->batch, PROBE_MAX_BATCH);
    if (!isfinite(cfg->init_std) || cfg->init_std < 0.0f)
        return gan_err_set(err, GAN_ERR_INPUT, "probe: init std %g (must be >= 0)",
                           (double)cfg->init_std);
    if (!isfinite(cfg->leak) || cfg->leak < 0.0f)
        return gan_err_set(err, GAN_ERR_INPUT, "probe: leak %g (must be >= 0)",
                           (double)cfg->leak);
    size_t act_floats = (size_t)cfg->n_layers * (size_t)cfg->batch * (size_t)cfg->width;
    if (act_floats > PROBE_MAX_ACT_FLOATS)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "probe: %d layers x batch %d x width %d = %zu stored activations "
                           "(limit %zu, 1 GiB); use a smaller batch or width",
                           cfg->n_layers, cfg->batch, cfg->width, act_floats,
                           PROBE_MAX_ACT_FLOATS);
    return GAN_OK;
}

/* x: batch x n_in. N(0,1) draws, or (ds non-NULL) `batch` distinct images
 * chosen by a seeded shuffle: the first rows of the file are not a random
 * sample, they are whatever order the file has. */
static int fill_inputs(float *x, int batch, int n_in, const mnist_t *ds, rng_t *rng,
                       gan_err_t *err)
{
    if (!ds) {
        rng_fill_normal(rng, x, (size_t)batch * n_in, 0.0f, 1.0f);
        return GAN_OK;
    }
    uint32_t *order = malloc(ds->n * sizeof *order);
    if (!order)
        return gan_err_set(err, GAN_ERR_RUNTIME, "probe: out of memory for %zu indices", ds->n);
    for (size_t i = 0; i < ds->n; i++)
        order[i] = (uint32_t)i;
    rng_shuffle_u32(rng, order, ds->n);
    mnist_batch(x, ds, order, batch);
    free(order);
    return GAN_OK;
}

static double norm2(const float *a, size_t n)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (double)a[i] * (double)a[i];
    return sqrt(ss);
}

/* y: batch x n_out, the layer's output. Everything but the histogram. */
static void layer_hist(probe_layer_t *st, const float *y, size_t n, act_t act,
                       double lo, double hi)
{
    double scale = PROBE_HIST_BINS / (hi - lo);
    memset(st->hist, 0, sizeof st->hist);
    st->hist_total = 0;
    for (size_t i = 0; i < n; i++) {
        float v = y[i];
        if (!isfinite(v) || (act == ACT_RELU && v == 0.0f))
            continue;
        /* Clamp in double before the cast: out-of-range values go to the
         * end bins, and a float-to-int cast of a huge value is undefined. */
        double t = ((double)v - lo) * scale;
        int bin = t <= 0.0 ? 0 : t >= PROBE_HIST_BINS ? PROBE_HIST_BINS - 1 : (int)t;
        st->hist[bin]++;
        st->hist_total++;
    }
}

/* net_backward_layers hands over each layer's gradients top down: the
 * weight gradient's norm is this layer's, the gradient passed down is the
 * output gradient of the layer below (for layer 0: the input's). */
static void record_layer_grads(void *ctx, net_t *net, int l, const float *grads,
                               const float *dinput)
{
    probe_result_t *res = ctx;
    const layer_t *layer = &net->layers[l];
    res->layers[l].grad_w_norm = norm2(grads, (size_t)layer->n_out * layer->n_in);
    double passed_down = norm2(dinput, (size_t)net->batch * layer->n_in);
    if (l > 0)
        res->layers[l - 1].grad_out_norm = passed_down;
    else
        res->grad_in_norm = passed_down;
}

/* One backward pass with dL/dy_L = 1/batch, so that the gradient with
 * respect to EVERY layer's output is seen. dout: batch x width scratch,
 * dx: batch x input size, scratch: net_max_layer_params floats. */
static void probe_backward(probe_result_t *res, net_t *net, float *dout, float *dx,
                           float *scratch)
{
    size_t n_top = (size_t)net->batch * net_output_size(net);
    for (size_t i = 0; i < n_top; i++)
        dout[i] = 1.0f / (float)net->batch;
    res->layers[net->n_layers - 1].grad_out_norm = norm2(dout, n_top);
    net_backward_layers(net, dx, dout, scratch, record_layer_grads, res);
}

int probe_run(probe_result_t *res, const probe_cfg_t *cfg, gan_err_t *err)
{
    memset(res, 0, sizeof *res);
    int rc = check_cfg(cfg, err);
    if (rc != GAN_OK)
        return rc;
    const int L = cfg->n_layers, batch = cfg->batch, width = cfg->width;
    mnist_t ds = {0};
    net_t net = {0};
    float *x = NULL, *scratch = NULL;
    if (cfg->data_dir) {
        rc = mnist_load_dir(&ds, cfg->data_dir, 1, err);
        if (rc != GAN_OK)
            goto done;
        if (ds.n < (size_t)batch) {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s: %zu training images, fewer than the batch of %d",
                             cfg->data_dir, ds.n, batch);
            goto done;
        }
    }
    const int n_in = cfg->data_dir ? ds.rows * ds.cols : width;
    const int widest = n_in > width ? n_in : width;

    int sizes[NET_MAX_LAYERS + 1];
    act_t acts[NET_MAX_LAYERS];
    sizes[0] = n_in;
    for (int l = 0; l < L; l++) {
        sizes[l + 1] = width;
        acts[l] = cfg->act;
    }
    rc = mlp_create(&net, L, sizes, acts, cfg->leak, batch, err);
    if (rc != GAN_OK)
        goto done;
    net_release_grads(&net); /* the backward hands over one layer's at a time */
    x = malloc((size_t)batch * n_in * sizeof *x);
    res->layers = calloc((size_t)L, sizeof *res->layers);
    /* backward: the top gradient, the input gradient, one layer's gradients */
    const size_t top_floats = (size_t)batch * width, in_floats = (size_t)batch * n_in;
    if (cfg->backward)
        scratch = malloc((top_floats + in_floats + net_max_layer_params(&net)) *
                         sizeof *scratch);
    if (!x || !res->layers || (cfg->backward && !scratch)) {
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "probe: out of memory for a batch of %d x %d",
                         batch, widest);
        goto done;
    }

    rng_t rng;
    rng_seed(&rng, cfg->seed, PROBE_STREAM_INPUT);
    rc = fill_inputs(x, batch, n_in, cfg->data_dir ? &ds : NULL, &rng, err);
    if (rc != GAN_OK)
        goto done;
    mnist_free(&ds);
    rng_seed(&rng, cfg->seed, PROBE_STREAM_INIT);
    init_network(&net, cfg->init, cfg->init_std, &rng);

    res->cfg = *cfg;
    res->cfg.data_dir = NULL;
    res->from_data = cfg->data_dir != NULL;
    res->n_in = n_in;
    res->n_layers = L;
    act_stats_moments(x, (size_t)batch * n_in, &res->input_mean, &res->input_std, NULL);

    net_forward(&net, x, batch);
    size_t n = (size_t)batch * width;
    double lo = INFINITY, hi = -INFINITY;
    for (int l = 0; l < L; l++) {
        probe_layer_t *st = &res->layers[l];
        const layer_t *layer = &net.layers[l];
        st->n_in = layer->n_in;
        st->n_out = layer->n_out;
        double wmean;
        act_stats_moments(net.params + layer->w_off, (size_t)layer->n_in * layer->n_out, &wmean,
                &st->weight_std, NULL);
        act_stats_compute(&st->stats, net.acts[l], n, cfg->act);
        if (st->stats.n_nonfinite < n) {
            lo = fmin(lo, st->stats.min);
            hi = fmax(hi, st->stats.max);
        }
    }
    if (cfg->act == ACT_TANH) {
        lo = -1.0, hi = 1.0;
    } else if (cfg->act == ACT_SIGMOID) {
        lo = 0.0, hi = 1.0;
    } else if (!(lo < hi)) {
        /* every value equal (or none finite): any non-empty range will do */
        lo = isfinite(lo) ? lo - 0.5 : -0.5;
        hi = lo + 1.0;
    }
    res->hist_lo = lo;
    res->hist_hi = hi;
    for (int l = 0; l < L; l++)
        layer_hist(&res->layers[l], net.acts[l], n, cfg->act, lo, hi);

    if (cfg->backward)
        probe_backward(res, &net, scratch, scratch + top_floats,
                       scratch + top_floats + in_floats);

done:
    mnist_free(&ds);
    free(scratch);
    free(x);
    net_destroy(&net);
    if (rc != GAN_OK)
        probe_result_free(res);
    return rc;
}

/* ---- figure ------------------------------------------------------------ */

#define PANEL_W 236.0
#define PANEL_H 178.0
#define PANEL_COLS 5
#define FIG_MARGIN 16.0
#define FIG_HEADER 62.0
#define FONT 10.0

void probe_describe(char *out, size_t size, const probe_result_t *res)
{
    const probe_cfg_t *cfg = &res->cfg;
    /* random has no meaning without its std; the other schemes derive it. */
    char init[64];
    if (cfg->init == INIT_RANDOM)
        snprintf(init, sizeof init, "random (std %g)", (double)cfg->init_std);
    else
        snprintf(init, sizeof init, "%s", init_name(cfg->init));
    snprintf(out, size, "%s, %s: %d layers of %d units, batch %d, %s inputs, seed %llu",
             act_name(cfg->act), init, res->n_layers, cfg->width, cfg->batch,
             res->from_data ? "MNIST" : "N(0,1)", (unsigned long long)cfg->seed);
}

/* The fraction that tells the activation's story: saturation for
 * tanh/sigmoid, dead units for relu, the leaky region for leaky_relu. */
static void story_fraction(char *out, size_t size, const probe_layer_t *st, act_t act)
{
    switch (act) {
    case ACT_TANH:
    case ACT_SIGMOID: snprintf(out, size, "sat %.1f%%", 100.0 * st->stats.frac_saturated); break;
    case ACT_RELU: snprintf(out, size, "zero %.1f%%", 100.0 * st->stats.frac_zero); break;
    case ACT_LEAKY_RELU: snprintf(out, size, "neg %.1f%%", 100.0 * st->stats.frac_negative); break;
    default: out[0] = '\0'; break;
    }
}

static void write_panel(FILE *fp, const probe_result_t *res, int l, double left, double top)
{
    const probe_layer_t *st = &res->layers[l];
    const int backward = res->cfg.backward;
    char line[160], frac[40];
    fputs("<g class=\"panel\">\n", fp);
    snprintf(line, sizeof line, "layer %d", l + 1);
    svg_text(fp, left + PANEL_W / 2, top + 13.0, "middle", FONT * 1.3, NULL, 0, 1, line);
    story_fraction(frac, sizeof frac, st, res->cfg.act);
    snprintf(line, sizeof line, "mean %.3g, std %.3g%s%s", st->stats.mean, st->stats.std,
             frac[0] ? ", " : "", frac);
    svg_text(fp, left + PANEL_W / 2, top + 27.0, "middle", FONT, "#333333", 0, 0, line);
    double header = 31.0;
    if (backward) {
        snprintf(line, sizeof line, "|dL/dW| %.3g, |dL/dy| %.3g", st->grad_w_norm,
                 st->grad_out_norm);
        svg_text(fp, left + PANEL_W / 2, top + 40.0, "middle", FONT, "#333333", 0, 0, line);
        header += 13.0;
    }

    /* Bars are shares of the histogrammed values, so panels with different
     * batch sizes or dropped zeros read the same way; each panel has its
     * own y scale, because the shape is the point. */
    uint64_t peak = 0;
    for (int b = 0; b < PROBE_HIST_BINS; b++)
        if (st->hist[b] > peak)
            peak = st->hist[b];
    double total = st->hist_total ? (double)st->hist_total : 1.0;
    svg_frame_t f = {
        .left = left, .top = top + header, .width = PANEL_W, .height = PANEL_H - header,
        .x_min = res->hist_lo, .x_max = res->hist_hi,
        .y_min = 0.0, .y_max = peak ? (double)peak / total : 1.0,
        .font_size = FONT,
    };
    svg_axes_t ax;
    svg_frame(fp, &f, &ax);
    double bw = (res->hist_hi - res->hist_lo) / PROBE_HIST_BINS;
    for (int b = 0; b < PROBE_HIST_BINS; b++) {
        if (!st->hist[b])
            continue;
        double x0 = svg_px(&ax, res->hist_lo + b * bw);
        double x1 = svg_px(&ax, res->hist_lo + (b + 1) * bw);
        double y = svg_py(&ax, (double)st->hist[b] / total);
        svg_rect(fp, x0, y, fmax(x1 - x0, 0.5), ax.y + ax.h - y, svg_palette(0), NULL, 0.0);
    }
    if (!st->hist_total)
        svg_note(fp, &ax, st->stats.n_nonfinite ? "no finite values" : "every value is 0");
    else if (st->stats.n_nonfinite) {
        snprintf(line, sizeof line, "%zu values overflowed", st->stats.n_nonfinite);
        svg_text(fp, ax.x + ax.w - 4.0, ax.y + FONT + 2.0, "end", FONT, "#b00000", 0, 0, line);
    }
    fputs("</g>\n", fp);
}

int probe_write_svg(const probe_result_t *res, const char *path, gan_err_t *err)
{
    if (!res->layers || res->n_layers < 1)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no probe result to draw", path);
    int cols = res->n_layers < PANEL_COLS ? res->n_layers : PANEL_COLS;
    int rows = (res->n_layers + cols - 1) / cols;
    double width = 2 * FIG_MARGIN + cols * PANEL_W;
    double height = FIG_HEADER + rows * (PANEL_H + 12.0) + FIG_MARGIN;

    atomic_file_t af;
    int rc = atomic_begin(&af, path, err);
    if (rc != GAN_OK)
        return rc;
    FILE *fp = af.fp;
    char title[256], caption[256];
    probe_describe(title, sizeof title, res);
    snprintf(caption, sizeof caption,
             "Histogram of each layer's outputs over the batch (share of values per bin, "
             "each panel scaled to its tallest bar)%s",
             res->cfg.act == ACT_RELU ? "; exact zeros are left out of the bars" : "");
    svg_begin(fp, width, height, NULL);
    svg_text(fp, width / 2, 24.0, "middle", 16.0, NULL, 0, 1, title);
    svg_text(fp, width / 2, 44.0, "middle", 11.0, "#555555", 0, 0, caption);
    for (int l = 0; l < res->n_layers; l++) {
        double left = FIG_MARGIN + (l % cols) * PANEL_W;
        double top = FIG_HEADER + (l / cols) * (PANEL_H + 12.0);
        write_panel(fp, res, l, left, top);
    }
    svg_end(fp);
    return atomic_commit(&af, err);
}
