/* gan-bench: how fast a training step is, where its time goes, and how it
 * compares with a PyTorch twin of the same model on the same machine.
 *
 *   step      images/s of the trainer's step (its own batches and noise,
 *             D step, G step, per-layer gradient norms) over --steps steps
 *             after a warm-up, per precision (fp32, bf16) and thread count;
 *             the time spent inside the products during those steps (BLAS
 *             and, in bf16, oneDNN); the same product calls replayed alone
 *             (the floor); GEMM share = floor / step.
 *   products  every BLAS call of an fp32 step timed alone at 1 and at N
 *             threads and in every operand layout.
 *   onednn    every product of a step (layer, rows, kind) through OpenBLAS
 *             f32, oneDNN f32 and oneDNN bf16, each timed alone.
 *   batch     images/s and GEMM share for batch 32..256 at each thread count.
 *   torch     rounds alternating our step and bench/torch_twin.py (same
 *             model, init, Adam, batch, threads; its bf16 mode autocasts
 *             the forward passes): ratio min / median / max.
 *   events    the TensorBoard event writer's time per epoch (events_cost.c)
 *             against the epoch's training time, at 1 thread.
 *   rss       peak RSS of `gan train` for one full-MNIST epoch, per precision
 *             (measured first, before this process grows).
 *
 * Plain-text tables on stdout, then one line "RESULT {json}". Data: real
 * MNIST when present, else random bytes of the same shape. This program is
 * a measuring stick, not a test: it asserts nothing. */
#include <cblas.h>
#include <getopt.h>

#include "claims.h"
#include "events_cost.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blas_trace.h"
#include "dnnl_trace.h"
#include "gan/clock.h"
#include "gan/dense_bf16.h"
#include "gan/gan.h"
#include "gan/idx.h"
#include "gan/rng.h"
#include "gan/threads.h"
#include "gan/train.h"

#define MAX_LIST 8
#define WARMUP_STEPS 20

/* Sections, for --only and --no-SECTION. */
enum { SEC_STEP, SEC_PRODUCTS, SEC_ONEDNN, SEC_BATCH, SEC_TORCH, SEC_EVENTS, SEC_RSS, N_SECTIONS };
static const char *const section_names[N_SECTIONS] = {"step",  "products", "onednn", "batch",
                                                      "torch", "events",   "rss"};

typedef struct {
    int rounds, steps;
    int n_threads, threads[MAX_LIST];
    int n_batches, batches[MAX_LIST];
    int n_precisions;
    precision_t precisions[PRECISION_COUNT];
    const char *data_dir, *python, *gan_bin;
    int run[N_SECTIONS];    /* which sections run */
    int claims;             /* --claims=N: only the claim benchmark */
    const char *claims_dir;
} bench_opts_t;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the trainer's step, as train.c runs it ---- */

/* A GAN stepped on the trainer's own batches (train_make_batch), data
 * order (train_shuffle_epoch, a new one each epoch) and streams, from
 * `gan train`'s defaults (seed 1, he_xavier). */
typedef struct {
    gan_t gan;
    train_cfg_t cfg;
    const mnist_packed_t *data;
    uint32_t *order;
    float *real, *z;
    rng_t noise;
    int epoch;
    long step, steps_per_epoch;
} harness_t;

/* --products: the library of fp32's products, as `gan train --products`. */
static products_lib_t bench_products = PRODUCTS_AUTO;

static void harness_destroy(harness_t *h)
{
    gan_destroy(&h->gan);
    free(h->order);
    free(h->real);
    free(h->z);
}

static int harness_create(harness_t *h, const mnist_packed_t *data, int batch, precision_t precision)
{
    memset(h, 0, sizeof *h);
    train_cfg_default(&h->cfg);
    h->cfg.batch = batch;
    h->cfg.precision = precision;
    gan_err_t err;
    if (gan_create(&h->gan, &h->cfg.arch, h->cfg.adam, h->cfg.adam, batch, &err) ||
        gan_set_products(&h->gan, precision, bench_products, &err)) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        harness_destroy(h);
        return -1;
    }
    train_init_weights(&h->gan, &h->cfg, &h->noise);
    h->data = data;
    h->steps_per_epoch = (long)(data->n / (size_t)batch);
    h->order = malloc(data->n * sizeof *h->order);
    h->real = malloc((size_t)batch * h->cfg.arch.image_size * sizeof *h->real);
    h->z = malloc((size_t)batch * h->cfg.arch.z_dim * sizeof *h->z);
    if (!h->order || !h->real || !h->z) {
        fprintf(stderr, "gan-bench: out of memory\n");
        harness_destroy(h);
        return -1;
    }
    h->step = h->steps_per_epoch; /* the first batch starts epoch 1 */
    return 0;
}

/* The next real batch and noise, as train.c makes them. */
static void harness_next_batch(harness_t *h)
{
    if (h->step == h->steps_per_epoch) {
        train_shuffle_epoch(h->order, h->data->n, h->cfg.seed, ++h->epoch);
        h->step = 0;
    }
    train_make_batch(h->real, h->z, h->data, h->order, h->step++, h->cfg.batch,
                     h->cfg.arch.z_dim, &h->noise);
}

static void harness_step(harness_t *h)
{
    harness_next_batch(h);
    gan_stats_t st;
    gan_step(&h->gan, h->real, h->z, h->cfg.batch, &st);
}

typedef struct {
    double step_s;     /* wall seconds per step */
    double products_s; /* of which inside the products (BLAS, and oneDNN in bf16), in situ */
    double floor_s;    /* the step's product calls replayed alone */
    double adam_s;     /* both Adam updates, timed alone */
    double batch_s;    /* real batch + noise, timed alone */
    double flops;      /* product flops of one step */
    blas_trace_t rec;
    dnnl_trace_t dnnl_rec;
} step_timing_t;

/* Times steps of h, then the floor, interleaved in chunks so machine noise
 * lands on both alike. */
static int time_step(step_timing_t *t, harness_t *h, int steps)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < WARMUP_STEPS; i++)
        harness_step(h);
    blas_trace_begin(&t->rec);
    dnnl_trace_begin(&t->dnnl_rec);
    harness_step(h);
    dnnl_trace_end();
    blas_trace_end();
    t->flops = t->rec.flops + t->dnnl_rec.flops;
    blas_replay_t *replay = blas_replay_create(&t->rec);
    if (!replay) {
        fprintf(stderr, "gan-bench: out of memory for the replay buffers\n");
        return -1;
    }
    blas_replay_run(replay);
    dnnl_trace_replay(&t->dnnl_rec);
    const int chunk = 50;
    double step_total = 0, products_total = 0, floor_total = 0;
    for (int done = 0; done < steps; done += chunk) {
        int n = steps - done < chunk ? steps - done : chunk;
        blas_trace_begin(NULL);
        dnnl_trace_begin(NULL);
        double t0 = clock_seconds();
        for (int i = 0; i < n; i++)
            harness_step(h);
        double t1 = clock_seconds();
        products_total += dnnl_trace_end();
        products_total += blas_trace_end();
        for (int i = 0; i < n; i++) {
            blas_replay_run(replay);
            dnnl_trace_replay(&t->dnnl_rec);
        }
        floor_total += clock_seconds() - t1;
        step_total += t1 - t0;
    }
    blas_replay_destroy(replay);
    t->step_s = step_total / steps;
    t->products_s = products_total / steps;
    t->floor_s = floor_total / steps;

    /* Adam alone: both nets' updates from a stale gradient (the values do
     * not matter for the time; the step's own updates run per layer). */
    int reps = steps / 4 + 1;
    size_t n_grad = h->gan.g.n_params > h->gan.d.n_params ? h->gan.g.n_params : h->gan.d.n_params;
    float *grads = malloc(n_grad * sizeof *grads);
    if (!grads)
        return -1;
    for (size_t i = 0; i < n_grad; i++)
        grads[i] = 1e-4f * (float)(i % 7); /* touched memory, like a real gradient */
    double t0 = clock_seconds();
    for (int i = 0; i < reps; i++) {
        adam_step(&h->gan.d_opt, h->gan.d.params, grads);
        adam_step(&h->gan.g_opt, h->gan.g.params, grads);
    }
    t->adam_s = (clock_seconds() - t0) / reps;
    free(grads);
    t0 = clock_seconds();
    for (int i = 0; i < reps; i++)
        harness_next_batch(h);
    t->batch_s = (clock_seconds() - t0) / reps;
    return 0;
}

static int measure(step_timing_t *t, const mnist_packed_t *data, int batch, int threads, int steps,
                   precision_t precision)
{
    threads_set_products(threads, products_resolve(bench_products, precision));
    harness_t h;
    if (harness_create(&h, data, batch, precision))
        return -1;
    int rc = time_step(t, &h, steps);
    harness_destroy(&h);
    return rc;
}

/* ---- sections ---- */

static int section_step(const bench_opts_t *o, const mnist_packed_t *data, double *ips_out)
{
    printf("\n== step: batch 64, %d steps after %d warm-up steps ==\n", o->steps, WARMUP_STEPS);
    char lib[64];
    products_describe(lib, sizeof lib, products_backend(bench_products, PRECISION_FP32));
    printf("fp32 products: %s (--products=%s)\n", lib, products_lib_name(bench_products));
    printf("%-13s %8s %9s %9s %9s %8s %9s %9s %8s %8s %8s\n", "precision thr", "ms/step",
           "images/s", "prod ms", "floor ms", "GEMM sh", "GFLOP/s", "floor GF", "Adam ms",
           "batch ms", "other ms");
    for (int p = 0; p < o->n_precisions; p++)
        for (int i = 0; i < o->n_threads; i++) {
            step_timing_t t;
            if (measure(&t, data, 64, o->threads[i], o->steps, o->precisions[p]))
                return -1;
            double other = t.step_s - t.products_s - t.adam_s - t.batch_s;
            printf("%-9s %3d %8.2f %9.0f %9.2f %9.2f %8.2f %9.1f %9.1f %8.2f %8.2f %8.2f\n",
                   precision_name(o->precisions[p]), o->threads[i], t.step_s * 1e3,
                   64 / t.step_s, t.products_s * 1e3, t.floor_s * 1e3, t.floor_s / t.step_s,
                   t.flops / t.step_s * 1e-9, t.flops / t.floor_s * 1e-9, t.adam_s * 1e3,
                   t.batch_s * 1e3, other * 1e3);
            fflush(stdout);
            ips_out[p * MAX_LIST + i] = 64 / t.step_s;
        }
    printf("prod ms: inside the products during the real steps (BLAS; in bf16 also oneDNN's\n"
           "matmuls); floor: the same calls alone; GEMM share = floor / step (1.0 = nothing\n"
           "but the products); Adam (adam_step over both nets, one thread, no bf16 copy) and\n"
           "batch are timed alone; other = step - products - Adam - batch (bias, activations,\n"
           "loss, norms, in bf16 the rounding passes; the bf16 step splits its Adam over the\n"
           "threads, which other then absorbs as a negative part).\n");
    return 0;
}

/* The event writer's share of an epoch: its records replayed alone
 * (bench_events_epoch) against steps_per_epoch steps timed at 1 thread. */
static int section_events(const bench_opts_t *o, const mnist_packed_t *data, double *share_out)
{
    enum { LOG_EVERY = 10, ROUNDS = 7 };
    int steps_per_epoch = (int)(data->n / 64);
    threads_set_products(1, products_resolve(bench_products, PRECISION_FP32));
    harness_t h;
    if (harness_create(&h, data, 64, PRECISION_FP32))
        return -1;
    for (int i = 0; i < WARMUP_STEPS; i++)
        harness_step(&h);
    double t0 = clock_seconds();
    for (int i = 0; i < o->steps; i++)
        harness_step(&h);
    double step_ms = (clock_seconds() - t0) / o->steps * 1e3;
    double events_ms = 0;
    int rc = bench_events_epoch(&h.gan, steps_per_epoch, LOG_EVERY, ROUNDS, &events_ms);
    harness_destroy(&h);
    if (rc)
        return -1;
    double epoch_ms = step_ms * steps_per_epoch;
    *share_out = events_ms / epoch_ms;
    printf("\n== events: one epoch's TensorBoard records (--log-every=%d), median of %d ==\n"
           "%.1f ms per epoch of %d steps = %.2f%% of the epoch's %.0f ms of training (1 thread)\n",
           LOG_EVERY, ROUNDS, events_ms, steps_per_epoch, 100.0 * *share_out, epoch_ms);
    return 0;
}

static const char *trans_name(int t) { return t == CblasNoTrans ? "N" : "T"; }

static int section_products(const bench_opts_t *o, const mnist_packed_t *data)
{
    int hi = o->threads[o->n_threads - 1];
    if (hi == 1)
        return 0;
    /* The OpenBLAS calls of a step are what this section replays. */
    const products_lib_t lib = bench_products;
    bench_products = PRODUCTS_OPENBLAS;
    threads_set(1, PRECISION_FP32);
    harness_t h;
    int created = harness_create(&h, data, 64, PRECISION_FP32);
    bench_products = lib;
    if (created)
        return -1;
    for (int i = 0; i < WARMUP_STEPS / 4; i++)
        harness_step(&h);
    blas_trace_t rec;
    blas_trace_begin(&rec);
    harness_step(&h);
    blas_trace_end();
    harness_destroy(&h);
    blas_replay_t *r = blas_replay_create(&rec);
    if (!r)
        return -1;
    printf("\n== products of one step (batch 64), each alone ==\n");
    printf("%-3s %-5s %5s %5s %5s %5s %9s %9s %7s %14s\n", "#", "call", "M", "N", "K", "beta",
           "1 thr us", "N thr us", "speedup", "best layout us");
    double sum1 = 0, sum_n = 0, best = 0, best_layout = 0;
    for (int i = 0; i < rec.n_calls; i++) {
        const blas_call_t *k = &rec.calls[i];
        double flops = k->is_gemv ? 2.0 * k->m * k->n : 2.0 * k->m * k->n * k->k;
        int reps = (int)(2e8 / flops) + 3;
        openblas_set_num_threads(1);
        double t1 = blas_replay_time_call(r, i, -1, reps);
        openblas_set_num_threads(hi);
        double tn = blas_replay_time_call(r, i, -1, reps);
        sum1 += t1, sum_n += tn, best += t1 < tn ? t1 : tn;
        /* The same product with the operands stored the other ways round,
         * at N threads: would another layout of W or of the activations
         * be faster? */
        int fastest = -1;
        double t_fastest = tn;
        for (int layout = 0; layout < 4 && !k->is_gemv; layout++) {
            double t = blas_replay_time_call(r, i, layout, reps);
            if (t < t_fastest)
                fastest = layout, t_fastest = t;
        }
        best_layout += t_fastest;
        char call[8], alt[24] = "as is";
        snprintf(call, sizeof call, "%s%s%s", k->is_gemv ? "v" : "g", trans_name(k->trans_a),
                 k->is_gemv ? "" : trans_name(k->trans_b));
        if (fastest >= 0)
            snprintf(alt, sizeof alt, "g%s%s %.1f", fastest & 2 ? "T" : "N",
                     fastest & 1 ? "T" : "N", t_fastest * 1e6);
        printf("%-3d %-5s %5d %5d %5d %5.0f %9.1f %9.1f %7.2f %14s\n", i, call, k->m, k->n,
               k->is_gemv ? 0 : k->k, k->beta, t1 * 1e6, tn * 1e6, t1 / tn, alt);
    }
    printf("sum: %.2f ms at 1 thread, %.2f ms at %d threads, %.2f ms picking the faster thread\n"
           "count per call, %.2f ms at %d threads with every product in its fastest layout\n",
           sum1 * 1e3, sum_n * 1e3, hi, best * 1e3, best_layout * 1e3, hi);
    blas_replay_destroy(r);
    return 0;
}

/* ---- oneDNN against OpenBLAS, product by product ---- */

enum { PROD_FORWARD, PROD_INPUT_GRAD, PROD_WEIGHT_GRAD };
static const char *const prod_names[] = {"Y=XW^T", "dX=dZW", "dW=dZ^TX"};

typedef struct {
    char net;      /* 'G' or 'D' */
    int layer, rows, kind;
} step_product_t;

/* The products of one default step at batch 64, in gan_step's order (G
 * forward; D forward and backward on the stacked 128 rows, no input
 * gradient of D's first layer; D forward and its input gradients on 64
 * rows; G's weight and input gradients, none below G's first layer). */
static int list_step_products(step_product_t *out, const gan_t *gan, int batch)
{
    int n = 0;
    const int gl = gan->g.n_layers, dl = gan->d.n_layers;
    for (int l = 0; l < gl; l++)
        out[n++] = (step_product_t){'G', l, batch, PROD_FORWARD};
    for (int l = 0; l < dl; l++)
        out[n++] = (step_product_t){'D', l, 2 * batch, PROD_FORWARD};
    for (int l = dl - 1; l >= 0; l--) {
        out[n++] = (step_product_t){'D', l, 2 * batch, PROD_WEIGHT_GRAD};
        if (l > 0)
            out[n++] = (step_product_t){'D', l, 2 * batch, PROD_INPUT_GRAD};
    }
    for (int l = 0; l < dl; l++)
        out[n++] = (step_product_t){'D', l, batch, PROD_FORWARD};
    for (int l = dl - 1; l >= 0; l--)
        out[n++] = (step_product_t){'D', l, batch, PROD_INPUT_GRAD};
    for (int l = gl - 1; l >= 0; l--) {
        out[n++] = (step_product_t){'G', l, batch, PROD_WEIGHT_GRAD};
        if (l > 0)
            out[n++] = (step_product_t){'G', l, batch, PROD_INPUT_GRAD};
    }
    return n;
}

/* Mean seconds of one product run reps times: OpenBLAS through dense.h
 * (backend < 0) or a dense_bf16 backend, on arrays of small values. */
static double time_product(const step_product_t *p, int n_in, int n_out, int backend,
                           const void *x, const void *w, const void *dy, float *out, int reps)
{
    dense_bf16_t *d = NULL;
    gan_err_t err;
    if (backend >= 0 &&
        dense_bf16_create(&d, (dense_bf16_backend_t)backend, n_in, n_out, p->rows, NULL, 0, &err)) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        return NAN;
    }
    double best = INFINITY;
    for (int round = 0; round < 3; round++) {
        double t0 = clock_seconds();
        for (int r = 0; r < reps; r++) {
            if (backend < 0) {
                if (p->kind == PROD_FORWARD)
                    dense_forward(out, x, w, NULL, p->rows, n_in, n_out);
                else if (p->kind == PROD_INPUT_GRAD)
                    dense_backward(out, NULL, NULL, dy, x, w, NULL, p->rows, n_in, n_out,
                                   GRADS_SET);
                else
                    dense_backward(NULL, out, NULL, dy, x, w, NULL, p->rows, n_in, n_out,
                                   GRADS_SET);
            } else {
                if (p->kind == PROD_FORWARD)
                    dense_bf16_forward(d, out, x, w, p->rows);
                else if (p->kind == PROD_INPUT_GRAD)
                    dense_bf16_backward(d, out, NULL, dy, x, w, p->rows, GRADS_SET);
                else
                    dense_bf16_backward(d, NULL, out, dy, x, w, p->rows, GRADS_SET);
            }
        }
        double t = (clock_seconds() - t0) / reps;
        best = t < best ? t : best;
    }
    dense_bf16_destroy(d);
    return best;
}

/* Every product of a step through OpenBLAS f32, oneDNN f32 and oneDNN
 * bf16 (when this CPU has it), each alone, at every thread count: the
 * table behind keeping fp32 on OpenBLAS. Best of 3 rounds per cell. */
static int section_onednn(const bench_opts_t *o)
{
    gan_err_t err;
    const int have_bf16 = dense_bf16_native_check(&err) == GAN_OK;
    train_cfg_t cfg; /* the default model's shapes */
    train_cfg_default(&cfg);
    gan_t gan;
    if (gan_create(&gan, &cfg.arch, cfg.adam, cfg.adam, 64, &err)) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        return -1;
    }
    step_product_t prods[64];
    int n = list_step_products(prods, &gan, 64);
    /* Operands of the largest shapes: D's rows times the widest layer, the
     * largest layer's weights; a result is either. */
    int widest = 0;
    for (int k = 0; k < 2; k++) {
        const net_t *net = k ? &gan.d : &gan.g;
        for (int l = 0; l < net->n_layers; l++) {
            widest = net->layers[l].n_in > widest ? net->layers[l].n_in : widest;
            widest = net->layers[l].n_out > widest ? net->layers[l].n_out : widest;
        }
    }
    const size_t most = (size_t)gan.d.max_batch * widest;
    const size_t wmost = net_max_layer_params(&gan.d) > net_max_layer_params(&gan.g)
                             ? net_max_layer_params(&gan.d)
                             : net_max_layer_params(&gan.g);
    const size_t out_most = most > wmost ? most : wmost;
    float *x = malloc(most * sizeof *x), *dy = malloc(most * sizeof *dy);
    float *w = malloc(wmost * sizeof *w), *out = malloc(out_most * sizeof *out);
    uint16_t *x16 = malloc(most * 2), *dy16 = malloc(most * 2), *w16 = malloc(wmost * 2);
    if (!x || !dy || !w || !out || !x16 || !dy16 || !w16) {
        fprintf(stderr, "gan-bench: out of memory\n");
        return -1;
    }
    rng_t rng;
    rng_seed(&rng, 9, 0);
    rng_fill_normal(&rng, x, most, 0.0f, 1.0f);
    rng_fill_normal(&rng, dy, most, 0.0f, 1e-3f);
    rng_fill_normal(&rng, w, wmost, 0.0f, 0.05f);
    bf16_store(x16, 0, x, most, PRECISION_BF16);
    bf16_store(dy16, 0, dy, most, PRECISION_BF16);
    bf16_store(w16, 0, w, wmost, PRECISION_BF16);
    printf("\n== onednn: the %d products of a step (batch 64), each alone, best of 3 ==\n", n);
    for (int ti = 0; ti < o->n_threads; ti++) {
        int threads = o->threads[ti];
        printf("%d thread%s: %-3s %-2s %-4s %-9s %5s %5s %5s %10s %10s %10s %7s %7s\n", threads,
               threads > 1 ? "s" : "", "#", "net", "rows", "product", "M", "N", "K",
               "OpenBLAS us", "dnnl f32 us", "dnnl bf16 us", "f32/OB", "bf16/OB");
        double sum[3] = {0, 0, 0}, flops = 0;
        for (int i = 0; i < n; i++) {
            const step_product_t *p = &prods[i];
            const layer_t *layer = &(p->net == 'G' ? &gan.g : &gan.d)->layers[p->layer];
            int n_in = layer->n_in, n_out = layer->n_out;
            /* M x N result, K summed: per product kind */
            int m = p->kind == PROD_WEIGHT_GRAD ? n_out : p->rows;
            int nn = p->kind == PROD_FORWARD ? n_out : n_in;
            int k = p->kind == PROD_FORWARD ? n_in : p->kind == PROD_INPUT_GRAD ? n_out : p->rows;
            double f = 2.0 * m * nn * k;
            int reps = (int)(1e8 / f) + 3;
            double t[3];
            threads_set(threads, PRECISION_FP32);
            t[0] = time_product(p, n_in, n_out, -1, x, w, dy, out, reps);
            threads_set(threads, PRECISION_BF16);
            t[1] = time_product(p, n_in, n_out, DENSE_F32_ONEDNN, x, w, dy, out, reps);
            t[2] = have_bf16 ? time_product(p, n_in, n_out, DENSE_BF16_ONEDNN, x16, w16, dy16,
                                            out, reps)
                             : NAN;
            for (int b = 0; b < 3; b++)
                sum[b] += t[b];
            flops += f;
            printf("%12s%-3d %-3c %-4d %-9s %5d %5d %5d %10.1f %10.1f %10.1f %7.2f %7.2f\n", "", i,
                   p->net, p->rows, prod_names[p->kind], m, nn, k, t[0] * 1e6, t[1] * 1e6,
                   t[2] * 1e6, t[0] / t[1], t[0] / t[2]);
        }
        printf("sum: OpenBLAS %.2f ms (%.0f GFLOP/s), oneDNN f32 %.2f ms (%.0f), oneDNN bf16 "
               "%.2f ms (%.0f); f32/OB and bf16/OB are speedups over OpenBLAS\n",
               sum[0] * 1e3, flops / sum[0] * 1e-9, sum[1] * 1e3, flops / sum[1] * 1e-9,
               sum[2] * 1e3, flops / sum[2] * 1e-9);
        fflush(stdout);
    }
    gan_destroy(&gan);
    free(x), free(dy), free(w), free(out), free(x16), free(dy16), free(w16);
    return 0;
}

static int section_batches(const bench_opts_t *o, const mnist_packed_t *data, double *table)
{
    printf("\n== throughput by batch size (images/s, GEMM share) ==\n%-7s", "batch");
    for (int p = 0; p < o->n_precisions; p++)
        for (int i = 0; i < o->n_threads; i++)
            printf("  %4s %2d thread%s ", precision_name(o->precisions[p]), o->threads[i],
                   o->threads[i] > 1 ? "s" : " ");
    printf("\n");
    for (int b = 0; b < o->n_batches; b++) {
        printf("%-7d", o->batches[b]);
        for (int p = 0; p < o->n_precisions; p++)
            for (int i = 0; i < o->n_threads; i++) {
                step_timing_t t;
                /* Same number of images per cell, at least 100 steps. */
                int steps = o->steps * 64 / o->batches[b];
                if (measure(&t, data, o->batches[b], o->threads[i], steps < 100 ? 100 : steps,
                            o->precisions[p]))
                    return -1;
                table[(b * PRECISION_COUNT + p) * MAX_LIST + i] = o->batches[b] / t.step_s;
                printf("  %7.0f  %5.2f    ", o->batches[b] / t.step_s, t.floor_s / t.step_s);
            }
        printf("\n");
        fflush(stdout);
    }
    return 0;
}

/* Runs the twin once in precision ("fp32" or "bf16"); fills images/s and
 * peak RSS (MB). */
static int run_torch(const bench_opts_t *o, int batch, int threads, const char *precision,
                     double *ips, double *rss_mb)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s bench/torch_twin.py --batch=%d --threads=%d --steps=%d --warmup=%d "
             "--precision=%s --data='%s'",
             o->python, batch, threads, o->steps, WARMUP_STEPS, precision, o->data_dir);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "RESULT images_per_sec=%lf peak_rss_mb=%lf", ips, rss_mb) == 2)
            found = 1;
    int status = pclose(p);
    return found && status == 0 ? 0 : -1;
}

static int torch_available(const bench_opts_t *o)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c 'import torch' >/dev/null 2>&1", o->python);
    return system(cmd) == 0;
}

static void summarize(double *v, int n, double *min, double *med, double *max)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    *min = v[0];
    *max = v[n - 1];
    *med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The twins: fp32, and bf16 (autocast) when a precision in the list is bf16. */
enum { TWIN_FP32, TWIN_BF16, N_TWINS };
static const char *const twin_names[N_TWINS] = {"fp32", "bf16"};

typedef struct {
    double c_med;                         /* our images/s, median of the rounds */
    double ratio[N_TWINS][3];             /* C / twin: min, median, max */
} torch_row_t;

typedef struct {
    double med[N_TWINS], rss[N_TWINS];    /* the twins' images/s and peak RSS */
    int ran[N_TWINS];
} twin_row_t;

/* Per thread count, rounds of: our step in each precision, then each twin.
 * Each of ours is compared with both twins of the same round, so that a
 * ratio's two sides ran seconds apart. */
static int section_torch(const bench_opts_t *o, const mnist_packed_t *data, torch_row_t *rows,
                         twin_row_t *twins)
{
    int want[N_TWINS] = {1, 0};
    for (int p = 0; p < o->n_precisions; p++)
        want[TWIN_BF16] |= o->precisions[p] == PRECISION_BF16;
    printf("\n== against the PyTorch twin (bench/torch_twin.py), batch 64, %d rounds ==\n",
           o->rounds);
    printf("%-13s %9s %11s %11s %22s %22s\n", "precision thr", "C img/s", "twin fp32",
           "twin bf16", "C/twin fp32 min/med/max", "C/twin bf16 min/med/max");
    for (int i = 0; i < o->n_threads; i++) {
        double c[PRECISION_COUNT][32], t[N_TWINS][32], ratio[32];
        twin_row_t *tw = &twins[i];
        for (int r = 0; r < o->rounds; r++) {
            for (int p = 0; p < o->n_precisions; p++) {
                step_timing_t st;
                if (measure(&st, data, 64, o->threads[i], o->steps, o->precisions[p]))
                    return -1;
                c[p][r] = 64 / st.step_s;
            }
            for (int k = 0; k < N_TWINS; k++) {
                if (!want[k])
                    continue;
                if (run_torch(o, 64, o->threads[i], twin_names[k], &t[k][r], &tw->rss[k])) {
                    fprintf(stderr, "gan-bench: bench/torch_twin.py --precision=%s failed (run it "
                            "by hand to see why)\n", twin_names[k]);
                    return -1;
                }
                tw->ran[k] = 1;
            }
        }
        double lo, hi;
        for (int k = 0; k < N_TWINS; k++) {
            double copy[32];
            memcpy(copy, t[k], sizeof copy);
            if (want[k])
                summarize(copy, o->rounds, &lo, &tw->med[k], &hi);
        }
        for (int p = 0; p < o->n_precisions; p++) {
            torch_row_t *row = &rows[p * MAX_LIST + i];
            for (int k = 0; k < N_TWINS; k++) {
                if (!want[k])
                    continue;
                for (int r = 0; r < o->rounds; r++)
                    ratio[r] = c[p][r] / t[k][r];
                summarize(ratio, o->rounds, &row->ratio[k][0], &row->ratio[k][1],
                          &row->ratio[k][2]);
            }
            summarize(c[p], o->rounds, &lo, &row->c_med, &hi);
            char bf16_ratio[32] = "-";
            if (want[TWIN_BF16])
                snprintf(bf16_ratio, sizeof bf16_ratio, "%6.2f/%6.2f/%6.2f",
                         row->ratio[TWIN_BF16][0], row->ratio[TWIN_BF16][1],
                         row->ratio[TWIN_BF16][2]);
            printf("%-9s %3d %9.0f %11.0f %11.0f %6.2f/%6.2f/%6.2f %22s\n",
                   precision_name(o->precisions[p]), o->threads[i], row->c_med,
                   tw->med[TWIN_FP32], want[TWIN_BF16] ? tw->med[TWIN_BF16] : NAN,
                   row->ratio[TWIN_FP32][0], row->ratio[TWIN_FP32][1], row->ratio[TWIN_FP32][2],
                   bf16_ratio);
        }
        fflush(stdout);
    }
    printf("medians over the rounds; each round runs ours in every precision, then each twin,\n"
           "%d steps each; twin peak RSS: fp32 %.0f MB", o->steps, twins[0].rss[TWIN_FP32]);
    if (want[TWIN_BF16])
        printf(", bf16 %.0f MB", twins[0].rss[TWIN_BF16]);
    printf("\n");
    return 0;
}

/* Peak RSS (MB) of `gan train` for one epoch of full MNIST in precision,
 * -1 on failure. */
static double section_rss(const bench_opts_t *o, precision_t precision)
{
    char dir[] = "/tmp/gan-bench-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    char out[64], data_opt[1100], precision_opt[64];
    snprintf(out, sizeof out, "--out=%s/run", dir);
    snprintf(data_opt, sizeof data_opt, "--data=%s", o->data_dir);
    snprintf(precision_opt, sizeof precision_opt, "--precision=%s", precision_name(precision));
    printf("\n== peak RSS of `%s train --epochs=1 %s --data=%s` ==\n", o->gan_bin, precision_opt,
           o->data_dir);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl(o->gan_bin, o->gan_bin, "train", "--epochs=1", "--quiet", out, data_opt,
              precision_opt, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    double mb = -1;
    if (pid > 0 && wait4(pid, &status, 0, &ru) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0)
        mb = ru.ru_maxrss / 1024.0;
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (system(rm) != 0)
        fprintf(stderr, "gan-bench: could not remove %s\n", dir);
    if (mb < 0)
        printf("gan train failed (exit %d): no RSS figure\n",
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else
        printf("peak RSS %.1f MB (MNIST's training images: 47 MB as bytes, 14.6 MB packed)\n", mb);
    return mb;
}

/* ---- options ---- */

static int parse_list(const char *text, int *out, int *n, int lo, int hi)
{
    *n = 0;
    char *end;
    const char *p = text;
    while (*p) {
        long v = strtol(p, &end, 10);
        if (end == p || v < lo || v > hi || *n == MAX_LIST)
            return -1;
        out[(*n)++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return *n ? 0 : -1;
}

/* Comma-separated names of table into on[] (one flag per name); -1 on an
 * unknown name. */
static int parse_names(const char *text, const char *const *table, int n_table, int *on)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    memset(on, 0, (size_t)n_table * sizeof *on);
    int any = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < n_table && strcmp(tok, table[k]))
            k++;
        if (k == n_table)
            return -1;
        on[k] = any = 1;
    }
    return any ? 0 : -1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan-bench [options]\n"
            "  --steps=N        timed steps per measurement (default 300)\n"
            "  --rounds=N       alternating rounds against the PyTorch twin (default 7)\n"
            "  --threads=LIST   thread counts (default 1,<cores>)\n"
            "  --precision=LIST fp32, bf16, bf16-emulated (default fp32,bf16; fp32 alone on a\n"
            "                   CPU where oneDNN has no bf16)\n"
            "  --products=LIB   auto, openblas, onednn: fp32's products in the step,\n"
            "                   batch, torch and events sections (default auto, as gan train)\n"
            "  --batches=LIST   batch sizes of the scaling table (default 32,64,128,256)\n"
            "  --data=DIR       MNIST folder (default data/mnist; random bytes if absent)\n"
            "  --python=PATH    interpreter with torch (default: /usr/bin/python3, python3)\n"
            "  --gan=PATH       trainer for the RSS run (default ./gan)\n"
            "  --only=LIST      only these sections: step, products, onednn, batch, torch,\n"
            "                   events, rss\n"
            "  --no-torch, --no-rss, --no-products, --no-onednn, --no-batch   skip a section\n"
            "  --claims=N       only: the cost of claiming N runs (worker locks)\n"
            "  --claims-dir=DIR where --claims makes its runs (default /tmp)\n");
}

static int parse_options(bench_opts_t *o, int argc, char **argv)
{
    static const struct option options[] = {
        {"steps", required_argument, 0, 's'},   {"rounds", required_argument, 0, 'r'},
        {"threads", required_argument, 0, 't'}, {"batches", required_argument, 0, 'b'},
        {"data", required_argument, 0, 'd'},    {"python", required_argument, 0, 'p'},
        {"gan", required_argument, 0, 'g'},     {"no-torch", no_argument, 0, 'T'},
        {"no-rss", no_argument, 0, 'R'},        {"no-products", no_argument, 0, 'P'},
        {"no-onednn", no_argument, 0, 'O'},     {"no-batch", no_argument, 0, 'B'},
        {"only", required_argument, 0, 'o'},    {"precision", required_argument, 0, 'x'},
        {"claims", required_argument, 0, 'c'},  {"claims-dir", required_argument, 0, 'C'},
        {"products", required_argument, 0, 'L'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    int cores = threads_available();
    gan_err_t err;
    *o = (bench_opts_t){.rounds = 7, .steps = 300, .n_threads = cores > 1 ? 2 : 1,
                        .threads = {1, cores}, .n_batches = 4, .batches = {32, 64, 128, 256},
                        .n_precisions = 1, .precisions = {PRECISION_FP32, PRECISION_BF16},
                        .data_dir = "data/mnist", .python = NULL, .gan_bin = "./gan",
                        .claims_dir = "/tmp"};
    if (dense_bf16_native_check(&err) == GAN_OK)
        o->n_precisions = 2;
    for (int k = 0; k < N_SECTIONS; k++)
        o->run[k] = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        char *end;
        switch (c) {
        case 's':
            o->steps = (int)strtol(optarg, &end, 10);
            if (*end || o->steps < 10 || o->steps > 100000)
                return fprintf(stderr, "gan-bench: --steps=%s: expected 10..100000\n", optarg), 2;
            break;
        case 'r':
            o->rounds = (int)strtol(optarg, &end, 10);
            if (*end || o->rounds < 1 || o->rounds > 32)
                return fprintf(stderr, "gan-bench: --rounds=%s: expected 1..32\n", optarg), 2;
            break;
        case 't':
            if (parse_list(optarg, o->threads, &o->n_threads, 1, 256))
                return fprintf(stderr, "gan-bench: --threads=%s: expected e.g. 1,2\n", optarg), 2;
            break;
        case 'b':
            if (parse_list(optarg, o->batches, &o->n_batches, 1, 4096))
                return fprintf(stderr, "gan-bench: --batches=%s: expected e.g. 32,64\n", optarg), 2;
            break;
        case 'x': {
            int on[PRECISION_COUNT];
            const char *names[PRECISION_COUNT];
            for (int k = 0; k < PRECISION_COUNT; k++)
                names[k] = precision_name((precision_t)k);
            if (parse_names(optarg, names, PRECISION_COUNT, on))
                return fprintf(stderr, "gan-bench: --precision=%s: expected a list of %s\n",
                               optarg, precision_valid_names()), 2;
            o->n_precisions = 0;
            for (int k = 0; k < PRECISION_COUNT; k++)
                if (on[k])
                    o->precisions[o->n_precisions++] = (precision_t)k;
            if (on[PRECISION_BF16] && dense_bf16_native_check(&err) != GAN_OK)
                return fprintf(stderr, "gan-bench: %s\n", err.msg), 2;
            break;
        }
        case 'o':
            if (parse_names(optarg, section_names, N_SECTIONS, o->run))
                return fprintf(stderr, "gan-bench: --only=%s: expected a list of step, products, "
                               "onednn, batch, torch, events, rss\n", optarg), 2;
            break;
        case 'L':
            if (products_lib_from_name(&bench_products, optarg, &err))
                return fprintf(stderr, "gan-bench: --products=%s: %s\n", optarg, err.msg), 2;
            break;
        case 'd': o->data_dir = optarg; break;
        case 'p': o->python = optarg; break;
        case 'g': o->gan_bin = optarg; break;
        case 'T': o->run[SEC_TORCH] = 0; break;
        case 'R': o->run[SEC_RSS] = 0; break;
        case 'P': o->run[SEC_PRODUCTS] = 0; break;
        case 'O': o->run[SEC_ONEDNN] = 0; break;
        case 'B': o->run[SEC_BATCH] = 0; break;
        case 'c':
            o->claims = (int)strtol(optarg, &end, 10);
            if (*end || o->claims < 1 || o->claims > 1000000)
                return fprintf(stderr, "gan-bench: --claims=%s: expected 1..1000000\n", optarg), 2;
            break;
        case 'C': o->claims_dir = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc)
        return fprintf(stderr, "gan-bench: unexpected argument '%s'\n", argv[optind]), 2;
    return 0;
}

/* Random bytes shaped like the MNIST training set, for machines without it. */
static int random_mnist(mnist_t *ds)
{
    ds->n = 60000, ds->rows = 28, ds->cols = 28;
    ds->images = malloc(ds->n * 784);
    ds->labels = calloc(ds->n, 1);
    if (!ds->images || !ds->labels)
        return -1;
    rng_t rng;
    rng_seed(&rng, 5, 0);
    for (size_t i = 0; i < ds->n * 784; i++)
        ds->images[i] = (uint8_t)rng_next(&rng);
    return 0;
}

/* "fp32_t1" etc.: the RESULT key of a precision and thread count. */
static void result_key(char *out, size_t size, precision_t p, int threads)
{
    snprintf(out, size, "%s_t%d", precision_name(p), threads);
    for (char *c = out; *c; c++)
        if (*c == '-')
            *c = '_';
}

int main(int argc, char **argv)
{
    bench_opts_t o;
    int rc = parse_options(&o, argc, argv);
    if (rc)
        return rc;
    if (o.claims)
        return bench_claims(o.claims, o.claims_dir);
    /* Peak RSS first, while this process is small: a forked child's
     * ru_maxrss counts the parent's pages it was forked with, even after
     * its exec, so measured after the data and the nets are loaded here it
     * would report this process's size when that is larger. */
    double rss[PRECISION_COUNT];
    for (int p = 0; p < PRECISION_COUNT; p++)
        rss[p] = -1;
    if (o.run[SEC_RSS])
        for (int p = 0; p < o.n_precisions; p++)
            rss[p] = section_rss(&o, o.precisions[p]);
    mnist_t loaded;
    gan_err_t err;
    const char *source = "real MNIST";
    if (mnist_load_dir(&loaded, o.data_dir, 1, &err) != GAN_OK) {
        source = "random bytes (MNIST not found)";
        if (random_mnist(&loaded))
            return fprintf(stderr, "gan-bench: out of memory\n"), 1;
    }
    mnist_packed_t data; /* as the trainer holds its images */
    if (mnist_pack(&data, &loaded, loaded.n, &err))
        return fprintf(stderr, "gan-bench: %s\n", err.msg), 1;
    mnist_free(&loaded);
    const dnnl_version_t *v = dnnl_version();
    printf("gan-bench: %s; oneDNN %d.%d.%d (%s); %d cores; data: %s (%zu images)\n",
           openblas_get_config(), v->major, v->minor, v->patch,
           dense_bf16_native_check(&err) == GAN_OK ? "bf16 products available"
                                                   : "no bf16 products on this CPU",
           threads_available(), source, data.n);
    static double step_ips[PRECISION_COUNT * MAX_LIST];
    static double batch_ips[MAX_LIST * PRECISION_COUNT * MAX_LIST];
    static torch_row_t torch[PRECISION_COUNT * MAX_LIST];
    static twin_row_t twins[MAX_LIST];
    if (o.run[SEC_STEP] && section_step(&o, &data, step_ips))
        return 1;
    fflush(stdout);
    if (o.run[SEC_PRODUCTS] && section_products(&o, &data))
        return 1;
    if (o.run[SEC_ONEDNN] && section_onednn(&o))
        return 1;
    if (o.run[SEC_BATCH] && section_batches(&o, &data, batch_ips))
        return 1;
    int have_torch = 0;
    if (o.run[SEC_TORCH]) {
        static const char *candidates[] = {"/usr/bin/python3", "python3"};
        for (int i = 0; i < 2 && !o.python; i++) {
            o.python = candidates[i];
            if (!torch_available(&o))
                o.python = NULL;
        }
        have_torch = o.python && torch_available(&o);
        if (!have_torch)
            printf("\n== PyTorch twin skipped: no python3 with torch (scripts/install-deps.sh "
                   "--with-torch) ==\n");
        else if (section_torch(&o, &data, torch, twins))
            return 1;
    }
    double events_share = -1;
    if (o.run[SEC_EVENTS] && section_events(&o, &data, &events_share))
        return 1;
    fflush(stdout);

    printf("RESULT {\"data\":\"%s\",\"steps\":%d", strcmp(source, "real MNIST") ? "random" : "mnist",
           o.steps);
    for (int p = 0; p < o.n_precisions; p++)
        for (int i = 0; i < o.n_threads; i++) {
            char key[32];
            result_key(key, sizeof key, o.precisions[p], o.threads[i]);
            printf(",\"%s\":{", key);
            const char *sep = "";
            if (o.run[SEC_STEP]) {
                printf("\"images_per_sec\":%.0f", step_ips[p * MAX_LIST + i]);
                sep = ",";
            }
            if (have_torch) {
                const torch_row_t *row = &torch[p * MAX_LIST + i];
                printf("%s\"torch_median\":{\"images_per_sec\":%.0f,\"ratio_fp32_twin\":[%.3f,%.3f,%.3f]",
                       sep, row->c_med, row->ratio[TWIN_FP32][0], row->ratio[TWIN_FP32][1],
                       row->ratio[TWIN_FP32][2]);
                if (twins[i].ran[TWIN_BF16])
                    printf(",\"ratio_bf16_twin\":[%.3f,%.3f,%.3f]", row->ratio[TWIN_BF16][0],
                           row->ratio[TWIN_BF16][1], row->ratio[TWIN_BF16][2]);
                printf("}");
                sep = ",";
            }
            if (o.run[SEC_BATCH]) {
                printf("%s\"by_batch\":{", sep);
                for (int b = 0; b < o.n_batches; b++)
                    printf("%s\"%d\":%.0f", b ? "," : "", o.batches[b],
                           batch_ips[(b * PRECISION_COUNT + p) * MAX_LIST + i]);
                printf("}");
            }
            printf("}");
        }
    if (have_torch)
        for (int i = 0; i < o.n_threads; i++)
            for (int k = 0; k < N_TWINS; k++)
                if (twins[i].ran[k])
                    printf(",\"twin_%s_t%d\":%.0f", twin_names[k], o.threads[i], twins[i].med[k]);
    for (int p = 0; p < o.n_precisions; p++)
        if (rss[p] >= 0)
            printf(",\"train_peak_rss_mb_%s\":%.1f", precision_name(o.precisions[p]), rss[p]);
    if (events_share >= 0)
        printf(",\"events_share_of_epoch\":%.4f", events_share);
    printf("}\n");
    mnist_packed_free(&data);
    return 0;
}
