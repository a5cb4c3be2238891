/* gan bench: how close the MLP's forward+backward comes to the matrix
 * products it is made of.
 *
 * For the default D and G at batch 64 it times (a) mlp_forward +
 * mlp_backward and (b) the same sequence of cblas_sgemm calls alone (the
 * forward product of every layer, the dW product of every layer and the dX
 * product of every layer but the first), interleaved round by round so
 * machine noise hits both alike, and reports GFLOP/s of each and their
 * ratio: everything that is not a matrix product (bias, activations,
 * bias gradients) is the gap. Then it times a whole GAN step. */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "gan/gan.h"
#include "gan/init.h"
#include "gan/mlp.h"
#include "gan/rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* FLOPs of one forward+backward: 2*B*in*out per product, three products
 * per layer except the first layer's unused dX. */
static double mlp_flops(const mlp_t *net, int batch)
{
    double f = 0;
    for (int l = 0; l < net->n_layers; l++) {
        double p = 2.0 * batch * net->layers[l].n_in * net->layers[l].n_out;
        f += l == 0 ? 2 * p : 3 * p;
    }
    return f;
}

static void sgemm_only(const mlp_t *net, float *x, float *y, float *dy, float *dx, float *dw,
                       int batch)
{
    for (int l = 0; l < net->n_layers; l++) {
        int in = net->layers[l].n_in, out = net->layers[l].n_out;
        const float *w = net->params + net->layers[l].w_off;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, out, in, 1.0f, x, in, w, in,
                    1.0f, y, out);
    }
    for (int l = net->n_layers - 1; l >= 0; l--) {
        int in = net->layers[l].n_in, out = net->layers[l].n_out;
        const float *w = net->params + net->layers[l].w_off;
        if (l > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, in, out, 1.0f, dy, out,
                        w, in, 0.0f, dx, in);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, batch, 1.0f, dy, out, x, in,
                    1.0f, dw, in);
    }
}

typedef struct {
    const char *name;
    int n_layers;
    int sizes[5];
    act_t acts[4];
} bench_net_t;

static int bench_net(const bench_net_t *spec, int batch, double seconds_budget)
{
    mlp_t net;
    gan_err_t err;
    if (mlp_create(&net, spec->n_layers, spec->sizes, spec->acts, 0.2f, batch, &err))
        return cli_fail_err(1, &err);
    rng_t rng;
    rng_seed(&rng, 1, 0);
    init_mlp(&net, INIT_HE_XAVIER, 0.01f, &rng);
    int widest = 0;
    for (int i = 0; i <= spec->n_layers; i++)
        widest = spec->sizes[i] > widest ? spec->sizes[i] : widest;
    size_t big = (size_t)batch * widest;
    float *x = malloc(big * sizeof *x), *y = malloc(big * sizeof *y);
    float *dy = malloc(big * sizeof *dy), *dx = malloc(big * sizeof *dx);
    float *dw = malloc((size_t)widest * widest * sizeof *dw);
    float *dout = malloc(big * sizeof *dout);
    if (!x || !y || !dy || !dx || !dw || !dout)
        return cli_fail(1, "out of memory");
    rng_fill_normal(&rng, x, big, 0, 1);
    rng_fill_normal(&rng, dy, big, 0, 1);
    rng_fill_normal(&rng, dout, big, 0, 1);
    memset(y, 0, big * sizeof *y);
    memset(dw, 0, (size_t)widest * widest * sizeof *dw);

    /* Warm up, then alternate rounds of both until the budget is spent. */
    for (int i = 0; i < 5; i++) {
        mlp_forward(&net, x, batch);
        mlp_backward(&net, NULL, dout, 1);
        sgemm_only(&net, x, y, dy, dx, dw, batch);
    }
    double t_mlp = 0, t_gemm = 0;
    long reps = 0;
    double deadline = now() + seconds_budget;
    while (now() < deadline || reps < 10) {
        double t0 = now();
        for (int i = 0; i < 10; i++) {
            mlp_forward(&net, x, batch);
            mlp_backward(&net, NULL, dout, 1);
        }
        double t1 = now();
        for (int i = 0; i < 10; i++)
            sgemm_only(&net, x, y, dy, dx, dw, batch);
        double t2 = now();
        t_mlp += t1 - t0;
        t_gemm += t2 - t1;
        reps += 10;
    }
    double flops = mlp_flops(&net, batch) * reps;
    double g_mlp = flops / t_mlp * 1e-9, g_gemm = flops / t_gemm * 1e-9;
    printf("%-3s %-24s batch %3d  mlp fwd+bwd %6.2f GFLOP/s (%7.3f ms)  sgemm only %6.2f GFLOP/s "
           "(%7.3f ms)  ratio %.2f\n",
           spec->name, "", batch, g_mlp, t_mlp / reps * 1e3, g_gemm, t_gemm / reps * 1e3,
           g_mlp / g_gemm);
    free(x), free(y), free(dy), free(dx), free(dw), free(dout);
    mlp_destroy(&net);
    return 0;
}

static int bench_gan_step(int batch, double seconds_budget)
{
    gan_t gan;
    gan_err_t err;
    gan_arch_t arch = gan_arch_default();
    adam_cfg_t adam = {2e-4f, 0.5f, 0.999f, 1e-8f};
    if (gan_create(&gan, &arch, adam, adam, batch, &err))
        return cli_fail_err(1, &err);
    rng_t rng;
    rng_seed(&rng, 1, 0);
    gan_init(&gan, INIT_HE_XAVIER, INIT_HE_XAVIER, 0.01f, &rng, &rng);
    float *real = malloc((size_t)batch * arch.image_size * sizeof *real);
    float *z = malloc((size_t)batch * arch.z_dim * sizeof *z);
    if (!real || !z)
        return cli_fail(1, "out of memory");
    for (size_t i = 0; i < (size_t)batch * arch.image_size; i++)
        real[i] = rng_uniform_range(&rng, -1, 1);
    rng_fill_normal(&rng, z, (size_t)batch * arch.z_dim, 0, 1);
    gan_stats_t st;
    for (int i = 0; i < 3; i++)
        gan_step(&gan, real, z, batch, &st);
    long reps = 0;
    double t0 = now(), deadline = t0 + seconds_budget;
    while (now() < deadline || reps < 5) {
        gan_step(&gan, real, z, batch, &st);
        reps++;
    }
    double per_step = (now() - t0) / reps;
    /* What the per-layer log (layers.csv) adds to every step. */
    double norms[MLP_MAX_LAYERS];
    long norm_reps = 0;
    double t1 = now();
    while (now() - t1 < seconds_budget / 4 || norm_reps < 5) {
        mlp_weight_grad_norms(norms, &gan.g);
        mlp_weight_grad_norms(norms, &gan.d);
        norm_reps++;
    }
    double per_norms = (now() - t1) / norm_reps;
    printf("gan step (default G and D)   batch %3d  %7.2f ms/step  %6.0f images/s  "
           "(%.1f s per 60000-image epoch)\n",
           batch, per_step * 1e3, batch / per_step, 60000.0 / batch * per_step);
    printf("layer gradient norms (layers.csv)      %7.3f ms/step  = %.2f%% of a step\n",
           per_norms * 1e3, 100.0 * per_norms / per_step);
    free(real), free(z);
    gan_destroy(&gan);
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option options[] = {
        {"threads", required_argument, 0, 't'}, {"batch", required_argument, 0, 'b'},
        {"seconds", required_argument, 0, 's'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    long threads = 0, batch = 64;
    double seconds = 1.0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 't': if (cli_parse_int("threads", optarg, 1, 256, &threads)) return 2; break;
        case 'b': if (cli_parse_int("batch", optarg, 1, 4096, &batch)) return 2; break;
        case 's': if (cli_parse_float("seconds", optarg, 0.05, 60, &seconds)) return 2; break;
        case 'h':
            printf("usage: gan bench [--threads=N] [--batch=64] [--seconds=1]\n"
                   "Times forward+backward of the default D and G against the same sgemm\n"
                   "calls alone, then a whole GAN step. Without --threads: 1 thread, then all.\n");
            return 0;
        default: return cli_usage_error("bench");
        }
    }
    static const bench_net_t nets[] = {
        {"D", 4, {784, 1024, 512, 256, 1},
         {ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_IDENTITY}},
        {"G", 4, {100, 256, 512, 1024, 784},
         {ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_TANH}},
    };
    int cores = openblas_get_num_procs();
    int counts[2] = {1, cores};
    int n_counts = cores > 1 ? 2 : 1;
    if (threads > 0) {
        counts[0] = (int)threads;
        n_counts = 1;
    }
    printf("OpenBLAS %s, %d cores\n", openblas_get_config(), cores);
    for (int t = 0; t < n_counts; t++) {
        openblas_set_num_threads(counts[t]);
        printf("-- %d thread%s\n", counts[t], counts[t] > 1 ? "s" : "");
        for (int i = 0; i < 2; i++)
            if (bench_net(&nets[i], (int)batch, seconds))
                return 1;
        if (bench_gan_step((int)batch, seconds))
            return 1;
    }
    return 0;
}
