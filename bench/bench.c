/* gan-bench: how fast a training step is, where its time goes, and how it
 * compares with a PyTorch twin of the same model on the same machine.
 *
 *   step      images/s of the trainer's step (batch, noise, D step, G step,
 *             per-layer gradient norms) over --steps steps after a warm-up;
 *             the time spent inside BLAS during those steps; the same BLAS
 *             calls replayed alone (the floor); GEMM share = floor / step.
 *   products  every BLAS call of one step timed alone at 1 and at N threads.
 *   batch     images/s and GEMM share for batch 32..256 at each thread count.
 *   torch     rounds alternating our step and bench/torch_twin.py (same
 *             model, init, Adam, batch, threads): ratio min / median / max.
 *   events    the TensorBoard event writer's time per epoch (events_cost.c)
 *             against the epoch's training time, at 1 thread.
 *   rss       peak RSS of `gan train` for one full-MNIST epoch.
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
#include "gan/clock.h"
#include "gan/gan.h"
#include "gan/idx.h"
#include "gan/rng.h"

#define MAX_LIST 8
#define WARMUP_STEPS 20

typedef struct {
    int rounds, steps;
    int n_threads, threads[MAX_LIST];
    int n_batches, batches[MAX_LIST];
    const char *data_dir, *python, *gan_bin;
    int torch, rss, products;
    int claims;             /* --claims=N: only the claim benchmark */
    const char *claims_dir;
} bench_opts_t;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the trainer's step, as train.c runs it ---- */

typedef struct {
    gan_t gan;
    const mnist_t *data;
    int batch;
    uint32_t *order;
    float *real, *z;
    rng_t noise;
    size_t cursor;
} harness_t;

static void harness_destroy(harness_t *h)
{
    gan_destroy(&h->gan);
    free(h->order);
    free(h->real);
    free(h->z);
}

static int harness_create(harness_t *h, const mnist_t *data, int batch)
{
    memset(h, 0, sizeof *h);
    gan_arch_t arch = gan_arch_default();
    adam_cfg_t adam = {2e-4f, 0.5f, 0.999f, 1e-8f};
    gan_err_t err;
    if (gan_create(&h->gan, &arch, adam, adam, batch, &err)) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        return -1;
    }
    rng_t g_rng, d_rng;
    rng_seed(&g_rng, 1, 1);
    rng_seed(&d_rng, 1, 2);
    gan_init(&h->gan, INIT_HE_XAVIER, INIT_HE_XAVIER, 0.01f, &g_rng, &d_rng);
    rng_seed(&h->noise, 1, 3);
    h->data = data;
    h->batch = batch;
    h->order = malloc(data->n * sizeof *h->order);
    h->real = malloc((size_t)batch * arch.image_size * sizeof *h->real);
    h->z = malloc((size_t)batch * arch.z_dim * sizeof *h->z);
    if (!h->order || !h->real || !h->z) {
        fprintf(stderr, "gan-bench: out of memory\n");
        harness_destroy(h);
        return -1;
    }
    for (size_t i = 0; i < data->n; i++)
        h->order[i] = (uint32_t)i;
    rng_t shuffle;
    rng_seed(&shuffle, 1, 4);
    rng_shuffle_u32(&shuffle, h->order, data->n);
    return 0;
}

/* The next real batch and noise, as train.c makes them. */
static void harness_next_batch(harness_t *h)
{
    if (h->cursor + (size_t)h->batch > h->data->n)
        h->cursor = 0;
    mnist_batch(h->real, h->data, h->order + h->cursor, h->batch);
    h->cursor += (size_t)h->batch;
    rng_fill_normal(&h->noise, h->z, (size_t)h->batch * h->gan.arch.z_dim, 0.0f, 1.0f);
}

static void harness_step(harness_t *h)
{
    harness_next_batch(h);
    gan_stats_t st;
    gan_step(&h->gan, h->real, h->z, h->batch, &st);
}

typedef struct {
    double step_s;     /* wall seconds per step */
    double blas_s;     /* of which inside BLAS, in situ */
    double floor_s;    /* the step's BLAS calls replayed alone */
    double adam_s;     /* both Adam updates, timed alone */
    double batch_s;    /* real batch + noise, timed alone */
    double flops;      /* BLAS flops of one step */
    blas_trace_t rec;
} step_timing_t;

/* Times steps of h, then the floor, interleaved in chunks so machine noise
 * lands on both alike. */
static int time_step(step_timing_t *t, harness_t *h, int steps)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < WARMUP_STEPS; i++)
        harness_step(h);
    blas_trace_begin(&t->rec);
    harness_step(h);
    blas_trace_end();
    t->flops = t->rec.flops;
    blas_replay_t *replay = blas_replay_create(&t->rec);
    if (!replay) {
        fprintf(stderr, "gan-bench: out of memory for the replay buffers\n");
        return -1;
    }
    blas_replay_run(replay);
    const int chunk = 50;
    double step_total = 0, blas_total = 0, floor_total = 0;
    for (int done = 0; done < steps; done += chunk) {
        int n = steps - done < chunk ? steps - done : chunk;
        blas_trace_begin(NULL);
        double t0 = clock_seconds();
        for (int i = 0; i < n; i++)
            harness_step(h);
        double t1 = clock_seconds();
        blas_total += blas_trace_end();
        for (int i = 0; i < n; i++)
            blas_replay_run(replay);
        floor_total += clock_seconds() - t1;
        step_total += t1 - t0;
    }
    blas_replay_destroy(replay);
    t->step_s = step_total / steps;
    t->blas_s = blas_total / steps;
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

static int measure(step_timing_t *t, const mnist_t *data, int batch, int threads, int steps)
{
    openblas_set_num_threads(threads);
    harness_t h;
    if (harness_create(&h, data, batch))
        return -1;
    int rc = time_step(t, &h, steps);
    harness_destroy(&h);
    return rc;
}

/* ---- sections ---- */

static int section_step(const bench_opts_t *o, const mnist_t *data, double *ips_out)
{
    printf("\n== step: batch 64, %d steps after %d warm-up steps ==\n", o->steps, WARMUP_STEPS);
    printf("%-7s %8s %9s %9s %9s %8s %9s %9s %8s %8s %8s\n", "threads", "ms/step", "images/s",
           "BLAS ms", "floor ms", "GEMM sh", "GFLOP/s", "floor GF", "Adam ms", "batch ms",
           "other ms");
    for (int i = 0; i < o->n_threads; i++) {
        step_timing_t t;
        if (measure(&t, data, 64, o->threads[i], o->steps))
            return -1;
        double other = t.step_s - t.blas_s - t.adam_s - t.batch_s;
        printf("%-7d %8.2f %9.0f %9.2f %9.2f %8.2f %9.1f %9.1f %8.2f %8.2f %8.2f\n",
               o->threads[i], t.step_s * 1e3, 64 / t.step_s, t.blas_s * 1e3, t.floor_s * 1e3,
               t.floor_s / t.step_s, t.flops / t.step_s * 1e-9, t.flops / t.floor_s * 1e-9,
               t.adam_s * 1e3, t.batch_s * 1e3, other * 1e3);
        ips_out[i] = 64 / t.step_s;
    }
    printf("BLAS ms: inside cblas calls during the real steps; floor: the same calls alone;\n"
           "GEMM share = floor / step (1.0 = nothing but the products); Adam and batch are\n"
           "timed alone; other = step - BLAS - Adam - batch (bias, activations, loss, norms).\n");
    return 0;
}

/* The event writer's share of an epoch: its records replayed alone
 * (bench_events_epoch) against steps_per_epoch steps timed at 1 thread. */
static int section_events(const bench_opts_t *o, const mnist_t *data, double *share_out)
{
    enum { LOG_EVERY = 10, ROUNDS = 7 };
    int steps_per_epoch = (int)(data->n / 64);
    openblas_set_num_threads(1);
    harness_t h;
    if (harness_create(&h, data, 64))
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

static int section_products(const bench_opts_t *o, const mnist_t *data)
{
    int hi = o->threads[o->n_threads - 1];
    if (hi == 1)
        return 0;
    openblas_set_num_threads(1);
    harness_t h;
    if (harness_create(&h, data, 64))
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

static int section_batches(const bench_opts_t *o, const mnist_t *data, double *table)
{
    printf("\n== throughput by batch size (images/s, GEMM share) ==\n%-7s", "batch");
    for (int i = 0; i < o->n_threads; i++)
        printf("   %2d thread%s    ", o->threads[i], o->threads[i] > 1 ? "s" : " ");
    printf("\n");
    for (int b = 0; b < o->n_batches; b++) {
        printf("%-7d", o->batches[b]);
        for (int i = 0; i < o->n_threads; i++) {
            step_timing_t t;
            /* Same number of images per cell, at least 100 steps. */
            int steps = o->steps * 64 / o->batches[b];
            if (measure(&t, data, o->batches[b], o->threads[i], steps < 100 ? 100 : steps))
                return -1;
            table[b * MAX_LIST + i] = o->batches[b] / t.step_s;
            printf("  %7.0f  %5.2f   ", o->batches[b] / t.step_s, t.floor_s / t.step_s);
        }
        printf("\n");
        fflush(stdout);
    }
    return 0;
}

/* Runs the twin once; fills images/s and peak RSS (MB). */
static int run_torch(const bench_opts_t *o, int batch, int threads, double *ips, double *rss_mb)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s bench/torch_twin.py --batch=%d --threads=%d --steps=%d --warmup=%d "
             "--data='%s'",
             o->python, batch, threads, o->steps, WARMUP_STEPS, o->data_dir);
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

typedef struct {
    double c_med, torch_med, ratio_min, ratio_med, ratio_max, torch_rss;
} torch_row_t;

static int section_torch(const bench_opts_t *o, const mnist_t *data, torch_row_t *rows)
{
    printf("\n== against the PyTorch twin (bench/torch_twin.py), batch 64, %d rounds ==\n",
           o->rounds);
    printf("%-7s %10s %10s %22s %9s\n", "threads", "C img/s", "torch img/s",
           "C/torch min/med/max", "torch RSS");
    for (int i = 0; i < o->n_threads; i++) {
        double c[32], t[32], ratio[32], rss = 0;
        for (int r = 0; r < o->rounds; r++) {
            step_timing_t st;
            if (measure(&st, data, 64, o->threads[i], o->steps))
                return -1;
            c[r] = 64 / st.step_s;
            if (run_torch(o, 64, o->threads[i], &t[r], &rss)) {
                fprintf(stderr, "gan-bench: bench/torch_twin.py failed (run it by hand to see why)\n");
                return -1;
            }
            ratio[r] = c[r] / t[r];
        }
        torch_row_t *row = &rows[i];
        double lo, hi;
        summarize(c, o->rounds, &lo, &row->c_med, &hi);
        summarize(t, o->rounds, &lo, &row->torch_med, &hi);
        summarize(ratio, o->rounds, &row->ratio_min, &row->ratio_med, &row->ratio_max);
        row->torch_rss = rss;
        printf("%-7d %10.0f %10.0f %8.2f/%5.2f/%5.2f %7.0f MB\n", o->threads[i], row->c_med,
               row->torch_med, row->ratio_min, row->ratio_med, row->ratio_max, rss);
        fflush(stdout);
    }
    printf("medians over the rounds; each round runs ours, then the twin, %d steps each\n",
           o->steps);
    return 0;
}

/* Peak RSS (MB) of `gan train` for one epoch of full MNIST, -1 on failure. */
static double section_rss(const bench_opts_t *o)
{
    char dir[] = "/tmp/gan-bench-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    char out[64];
    snprintf(out, sizeof out, "--out=%s/run", dir);
    printf("\n== peak RSS of `%s train --epochs=1 --data=%s` ==\n", o->gan_bin, o->data_dir);
    fflush(stdout);
    char data_opt[1100];
    snprintf(data_opt, sizeof data_opt, "--data=%s", o->data_dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl(o->gan_bin, o->gan_bin, "train", "--epochs=1", "--quiet", out, data_opt,
              (char *)NULL);
        _exit(127);
    }
    int status;
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
        printf("peak RSS %.1f MB (the dataset as bytes is 47 MB)\n", mb);
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

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan-bench [options]\n"
            "  --steps=N        timed steps per measurement (default 300)\n"
            "  --rounds=N       alternating rounds against the PyTorch twin (default 5)\n"
            "  --threads=LIST   OpenBLAS thread counts (default 1,<cores>)\n"
            "  --batches=LIST   batch sizes of the scaling table (default 32,64,128,256)\n"
            "  --data=DIR       MNIST folder (default data/mnist; random bytes if absent)\n"
            "  --python=PATH    interpreter with torch (default: /usr/bin/python3, python3)\n"
            "  --gan=PATH       trainer for the RSS run (default ./gan)\n"
            "  --no-torch, --no-rss, --no-products   skip a section\n"
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
        {"claims", required_argument, 0, 'c'}, {"claims-dir", required_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    int cores = openblas_get_num_procs();
    *o = (bench_opts_t){.rounds = 5, .steps = 300, .n_threads = cores > 1 ? 2 : 1,
                        .threads = {1, cores}, .n_batches = 4, .batches = {32, 64, 128, 256},
                        .data_dir = "data/mnist", .python = NULL, .gan_bin = "./gan",
                        .torch = 1, .rss = 1, .products = 1, .claims_dir = "/tmp"};
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
        case 'd': o->data_dir = optarg; break;
        case 'p': o->python = optarg; break;
        case 'g': o->gan_bin = optarg; break;
        case 'T': o->torch = 0; break;
        case 'R': o->rss = 0; break;
        case 'P': o->products = 0; break;
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

int main(int argc, char **argv)
{
    bench_opts_t o;
    int rc = parse_options(&o, argc, argv);
    if (rc)
        return rc;
    if (o.claims)
        return bench_claims(o.claims, o.claims_dir);
    mnist_t data;
    gan_err_t err;
    const char *source = "real MNIST";
    if (mnist_load_dir(&data, o.data_dir, 1, &err) != GAN_OK) {
        source = "random bytes (MNIST not found)";
        if (random_mnist(&data))
            return fprintf(stderr, "gan-bench: out of memory\n"), 1;
    }
    printf("gan-bench: %s, %d cores; data: %s (%zu images)\n", openblas_get_config(),
           openblas_get_num_procs(), source, data.n);
    double step_ips[MAX_LIST] = {0}, batch_ips[MAX_LIST * MAX_LIST] = {0};
    torch_row_t torch[MAX_LIST] = {0};
    double rss = -1;
    if (section_step(&o, &data, step_ips))
        return 1;
    fflush(stdout);
    if (o.products && section_products(&o, &data))
        return 1;
    if (section_batches(&o, &data, batch_ips))
        return 1;
    int have_torch = 0;
    if (o.torch) {
        static const char *candidates[] = {"/usr/bin/python3", "python3"};
        for (int i = 0; i < 2 && !o.python; i++) {
            o.python = candidates[i];
            if (!torch_available(&o))
                o.python = NULL;
        }
        have_torch = o.python && torch_available(&o);
        if (!have_torch)
            printf("\n== PyTorch twin skipped: no python3 with torch (apt install "
                   "python3-torch) ==\n");
        else if (section_torch(&o, &data, torch))
            return 1;
    }
    double events_share = -1;
    if (section_events(&o, &data, &events_share))
        return 1;
    fflush(stdout);
    if (o.rss)
        rss = section_rss(&o);

    printf("RESULT {\"data\":\"%s\",\"steps\":%d", strcmp(source, "real MNIST") ? "random" : "mnist",
           o.steps);
    for (int i = 0; i < o.n_threads; i++) {
        printf(",\"t%d\":{\"images_per_sec\":%.0f", o.threads[i], step_ips[i]);
        if (have_torch)
            printf(",\"torch_images_per_sec\":%.0f,\"ratio_min\":%.3f,\"ratio_median\":%.3f,"
                   "\"ratio_max\":%.3f",
                   torch[i].torch_med, torch[i].ratio_min, torch[i].ratio_med, torch[i].ratio_max);
        printf(",\"by_batch\":{");
        for (int b = 0; b < o.n_batches; b++)
            printf("%s\"%d\":%.0f", b ? "," : "", o.batches[b], batch_ips[b * MAX_LIST + i]);
        printf("}}");
    }
    if (have_torch)
        printf(",\"torch_peak_rss_mb\":%.1f", torch[0].torch_rss);
    if (rss >= 0)
        printf(",\"train_peak_rss_mb\":%.1f", rss);
    printf(",\"events_share_of_epoch\":%.4f", events_share);
    printf("}\n");
    mnist_free(&data);
    return 0;
}
