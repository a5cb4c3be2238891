/* gan eval: sample quality of a run's latest generator (eval.h): the
 * Frechet distance of N samples to the 10k MNIST test images in the
 * classifier's feature space, and their class coverage. Results on stdout;
 * errors one line on stderr. */
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "gan/classifier.h"
#include "gan/data_path.h"
#include "gan/clock.h"
#include "gan/eval.h"
#include "gan/idx.h"
#include "gan/train.h"

/* Rows per classifier and generator forward. */
#define EVAL_BATCH 256

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan eval --run=DIR [options]\n"
            "       gan eval --reference [options]\n"
            "\n"
            "Sample quality of the generator in DIR/checkpoint.bin: the Frechet distance\n"
            "(FD) between the classifier features of N samples and of the 10k MNIST test\n"
            "images (lower is better), the histogram of predicted classes, its entropy,\n"
            "the classes holding at least 5%% of the samples and the mean confidence.\n"
            "G runs fp32 products whatever --precision the run trained in.\n"
            "  --run=DIR         run folder\n"
            "  --reference       measure the first N real training images instead of a run\n"
            "                    (the FD a perfect generator would get)\n"
            "  --classifier=FILE classifier from 'gan classifier train' (default: the first\n"
            "                    of $GAN_DATA/, %s and\n"
            "                    ~/.local/share/gan/ holding mnist-classifier.bin)\n"
            "  --data=DIR        MNIST folder with the test images (default: the first of\n"
            "                    $GAN_DATA/mnist, data/mnist, ~/.local/share/gan/mnist)\n"
            "  --n=N             number of samples, 2..100000 (default 10000)\n"
            "  --seed=S          noise seed (default: the run's seed)\n"
            "  --threads=T       OpenBLAS threads (default: all cores)\n",
            CLASSIFIER_DEFAULT_PATH);
}

static void print_result(const eval_result_t *r, size_t n_real, int dim)
{
    const coverage_t *cv = &r->coverage;
    printf("fd           %.4f  (to the %zu test images, %d classifier features)\n", r->fd, n_real,
           dim);
    printf("classes     ");
    for (int j = 0; j < CLASSIFIER_N_CLASSES; j++)
        printf(" %d:%ld", j, cv->counts[j]);
    printf("\n");
    printf("entropy      %.4f bits  (uniform: %.4f)\n", cv->entropy_bits,
           log2((double)CLASSIFIER_N_CLASSES));
    printf("covered      %d of %d classes  (>= %.0f%% of the samples each)\n", cv->classes_covered,
           CLASSIFIER_N_CLASSES, 100.0 * EVAL_COVERED_SHARE);
    printf("confidence   %.4f  (mean largest class probability)\n", cv->mean_confidence);
}

int cmd_eval(int argc, char **argv)
{
    static const struct option options[] = {
        {"run", required_argument, 0, 'r'},  {"reference", no_argument, 0, 'R'},
        {"classifier", required_argument, 0, 'c'}, {"data", required_argument, 0, 'd'},
        {"n", required_argument, 0, 'n'},    {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *run_dir = NULL, *clf_path = NULL, *data = NULL;
    long n = 10000, seed = -1, threads = 0;
    int reference = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'r': run_dir = optarg; break;
        case 'R': reference = 1; break;
        case 'c': clf_path = optarg; break;
        case 'd': data = optarg; break;
        case 'n':
            if (cli_parse_int("n", optarg, 2, 100000, &n))
                return 2;
            break;
        case 's':
            if (cli_parse_shared("seed", optarg, &seed))
                return 2;
            break;
        case 't':
            if (cli_parse_shared("threads", optarg, &threads))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("eval");
        }
    }
    if (optind < argc)
        return cli_fail(2, "eval: unexpected argument '%s'", argv[optind]);
    if (!run_dir && !reference)
        return cli_fail(2, "eval: --run=DIR is required (a folder under runs/), or --reference");
    if (run_dir && reference)
        return cli_fail(2, "eval: --run and --reference exclude each other");
    if (threads > 0)
        openblas_set_num_threads((int)threads);

    double t0 = clock_seconds();
    gan_err_t err;
    char clf_found[PATH_MAX], data_found[PATH_MAX];
    if (!clf_path) {
        if (data_path_find(clf_found, sizeof clf_found, DATA_PATH_CLASSIFIER, &err))
            return cli_fail_err(2, &err);
        clf_path = clf_found;
    }
    if (!data) {
        if (data_path_find(data_found, sizeof data_found, DATA_PATH_MNIST, &err))
            return cli_fail_err(2, &err);
        data = data_found;
    }
    classifier_t clf;
    int rc = classifier_load(&clf, clf_path, EVAL_BATCH, NULL, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    mnist_t test_set = {0}, train_set = {0};
    gan_t gan = {0};
    eval_ctx_t ctx = {0};
    train_cfg_t cfg;
    int epoch = 0;
    rc = mnist_load_dir(&test_set, data, 0, &err);
    if (!rc && reference) {
        rc = mnist_load_dir(&train_set, data, 1, &err);
        if (!rc && (size_t)n > train_set.n)
            rc = gan_err_set(&err, GAN_ERR_INPUT, "--n=%ld: the training set has %zu images", n,
                             train_set.n);
    }
    if (!rc && run_dir) {
        rc = train_load_config(&cfg, &epoch, run_dir, 0, &err);
        if (!rc)
            rc = train_load_gan(&gan, &cfg, run_dir, EVAL_BATCH, &err);
    }
    if (!rc)
        rc = eval_create(&ctx, &clf, &test_set, (size_t)n, run_dir ? cfg.arch.z_dim : 0, &err);
    double t_real = clock_seconds() - t0, t1 = clock_seconds();
    eval_result_t result;
    if (!rc && run_dir) {
        rng_t rng;
        rng_seed(&rng, seed >= 0 ? (uint64_t)seed : cfg.seed, EVAL_STREAM_NOISE);
        rc = eval_generator(&result, &ctx, &gan, (size_t)n, &rng, &err);
    } else if (!rc) {
        rc = eval_images(&result, &ctx, &train_set, NULL, (size_t)n, &err);
    }
    double t_eval = clock_seconds() - t1;
    if (!rc) {
        if (run_dir)
            printf("run          %s  (epoch %d)\nsamples      %ld generated, noise seed %llu\n",
                   run_dir, epoch, n,
                   (unsigned long long)(seed >= 0 ? (uint64_t)seed : cfg.seed));
        else
            printf("reference    the first %ld training images of %s\n", n, data);
        print_result(&result, ctx.n_real, ctx.dim);
        printf("time         %.2f s  (loading + test-set statistics %.2f s, %ld samples %.2f s)\n",
               t_real + t_eval, t_real, n, t_eval);
    }
    eval_destroy(&ctx);
    if (run_dir)
        gan_destroy(&gan);
    mnist_free(&train_set);
    mnist_free(&test_set);
    classifier_destroy(&clf);
    return rc ? cli_fail_err(rc, &err) : 0;
}
