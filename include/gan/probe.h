/* The initialization probe: the classic activation-distribution experiment
 * (Glorot & Bengio 2010, Fig. 3-6; He et al. 2015) on a plain deep MLP.
 *
 * A net of n_layers dense layers of `width` units, with the activation after
 * EVERY layer, is initialized with one scheme and fed one batch of N(0,1)
 * inputs (or real MNIST images), forward only. Per layer the probe records
 * the statistics of the layer's output (post-activation) and a histogram of
 * its values; with `backward` it also runs one backward pass and records
 * gradient norms, so vanishing or exploding gradients show as a trend over
 * depth.
 *
 * What the math predicts (width n, Var(w) = s^2, input N(0,1)):
 *   - tanh, random s = 0.01: n s^2 = 0.05, tanh is linear there, so the
 *     std shrinks by sqrt(0.05) ~ 0.22 per layer: deep layers collapse to 0.
 *   - tanh, random s = 1: pre-activations have std ~ sqrt(n) ~ 22, so most
 *     outputs sit at +-1 (saturated) in every layer.
 *   - tanh, xavier_normal (n s^2 = 1 for square layers): no exponential
 *     collapse and no saturation, but the variance q still decays slowly,
 *     because E[tanh(x)^2] ~ q - 2 q^2 < q for x ~ N(0, q): q_l ~ 1/(2l)
 *     in deep layers (the mean-field recursion of Poole et al. 2016).
 *   - relu, he_normal (n s^2 = 2): the factor 2 undoes ReLU halving the
 *     second moment, so every layer has the same std; relu, xavier_normal
 *     (n s^2 = 1) halves the variance at every layer.
 *
 * This module computes and writes files; it never prints (the table is the
 * CLI's job, cmd_probe.c). It deliberately does not train anything. */
#ifndef GAN_PROBE_H
#define GAN_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "gan/act_stats.h"
#include "gan/activation.h"
#include "gan/error.h"
#include "gan/init.h"

/* Odd, so that 0 (tanh) and 0.5 (sigmoid) are the centre of a bin and a
 * collapsed layer shows as ONE spike, not two half spikes. */
#define PROBE_HIST_BINS 51

/* rng streams of the probe's seed: weights and inputs never share draws. */
#define PROBE_STREAM_INIT 1
#define PROBE_STREAM_INPUT 2

/* Limits checked by probe_run (and shown by `gan probe --help`). */
#define PROBE_MAX_WIDTH 4096
#define PROBE_MAX_BATCH 60000
/* layers x batch x width floats of stored activations (1 GiB). */
#define PROBE_MAX_ACT_FLOATS ((size_t)1 << 28)

typedef struct {
    act_t act;              /* after every layer */
    init_scheme_t init;
    float init_std;         /* std of `random` (INIT_DEFAULT_STD) */
    int n_layers;           /* 1..MLP_MAX_LAYERS, default 10 */
    int width;              /* units per layer, default 500 */
    int batch;              /* rows of the probe batch, default 1000 */
    uint64_t seed;          /* default 1 */
    float leak;             /* leaky-ReLU slope, ACT_DEFAULT_LEAK */
    int backward;           /* non-zero: also one backward pass */
    const char *data_dir;   /* NULL: N(0,1) inputs of size width; else
                               MNIST training images (784 inputs) from here */
} probe_cfg_t;

/* Statistics of one layer's output y (batch x width values). */
typedef struct {
    int n_in, n_out;
    double weight_std;      /* measured std of this layer's W */
    /* Of all batch x width values: mean, population std, min, max, the
     * shares saturated (tanh |y| > 0.99, sigmoid < 0.01 or > 0.99), zero
     * (dead ReLU units) and negative (the leaky region), and the count of
     * values that overflowed to inf/NaN (far too large weights), which the
     * other statistics leave out. */
    act_stats_t stats;
    /* Counts of values in PROBE_HIST_BINS equal bins over
     * [res->hist_lo, res->hist_hi]; values outside land in the end bins.
     * For relu the exact zeros (stats.frac_zero, about half of all values) are
     * left out: their spike would flatten every other bar. */
    uint64_t hist[PROBE_HIST_BINS];
    uint64_t hist_total;    /* sum of hist */
    /* Only with cfg.backward, else 0. The upstream gradient is dL/dy_L =
     * 1/batch for every output, i.e. L = (1/batch) sum of all outputs. */
    double grad_w_norm;     /* ||dL/dW|| (Frobenius) */
    double grad_out_norm;   /* ||dL/dy|| over the batch (Frobenius) */
} probe_layer_t;

typedef struct {
    probe_cfg_t cfg;        /* copy of the config; cfg.data_dir is NULL
                               (the string belongs to the caller) */
    int from_data;          /* 1 if the inputs were MNIST images */
    int n_in;               /* input size: width, or 784 with MNIST */
    double input_mean, input_std;
    double hist_lo, hist_hi; /* histogram range shared by every layer:
                                tanh [-1,1], sigmoid [0,1], (leaky) relu
                                [min, max] over all layers */
    double grad_in_norm;    /* ||dL/dx|| of the input (backward only) */
    int n_layers;
    probe_layer_t *layers;  /* n_layers, owned */
} probe_result_t;

/* Defaults: tanh, xavier_normal, init_std 0.01, 10 layers of 500, batch
 * 1000, seed 1, leak 0.2, forward only, N(0,1) inputs. */
void probe_cfg_default(probe_cfg_t *cfg);

/* Builds, initializes (rng stream PROBE_STREAM_INIT of cfg->seed) and runs
 * the net; inputs come from stream PROBE_STREAM_INPUT (N(0,1) draws, or
 * which MNIST images). On success res owns its memory (probe_result_free).
 * GAN_ERR_INPUT for a bad config or missing/bad MNIST files, GAN_ERR_RUNTIME
 * if out of memory; on error res is zeroed. */
int probe_run(probe_result_t *res, const probe_cfg_t *cfg, gan_err_t *err);

/* Frees what probe_run allocated; accepts a zeroed or freed result. */
void probe_result_free(probe_result_t *res);

/* The one-line description of a probe ("tanh, random (std 0.01): 10 layers
 * of 500 units, batch 1000, N(0,1) inputs, seed 1"), truncated to size:
 * the figure's title and the heading of the CLI's table. */
void probe_describe(char *out, size_t size, const probe_result_t *res);

/* Writes an SVG figure, atomically: one histogram panel per layer (grid of
 * up to 5 per row), titled "layer k" with its mean and std, and a figure
 * title naming the activation, the init scheme and the net's shape. Each
 * panel is one <g class="panel"> (no ids: several figures can be inlined
 * into one HTML page). GAN_ERR_RUNTIME on I/O failure, with the path in
 * the message. */
int probe_write_svg(const probe_result_t *res, const char *path, gan_err_t *err);

#endif
