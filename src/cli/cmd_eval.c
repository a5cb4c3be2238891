/* gan eval: sample quality of a run's latest generator, or of a kept
 * epoch's (eval.h): the Frechet distance of N samples to the 10k MNIST test
 * images in the classifier's feature space, and their class coverage.
 * --all-epochs measures every kept epoch, one CSV line each. Results on
 * stdout; errors one line on stderr. */
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "gan/classifier.h"
#include "gan/clock.h"
#include "gan/data_path.h"
#include "gan/eval.h"
#include "gan/fsutil.h"
#include "gan/idx.h"
#include "gan/metrics_csv.h"
#include "gan/run_dir.h"
#include "gan/threads.h"
#include "gan/train.h"

/* Rows per classifier and generator forward. */
#define EVAL_BATCH 256

/* --all-epochs: metrics.csv's names for the same values (eval_seconds
 * left out: a line is about the epoch, not the machine). */
#define ALL_EPOCHS_COLUMNS                                                              \
    "fd,class_entropy,classes_covered,class_confidence,class_0,class_1,class_2,class_3,"    \
    "class_4,class_5,class_6,class_7,class_8,class_9"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan eval --run=DIR [--epoch=K | --all-epochs] [options]\n"
            "       gan eval --reference [options]\n"
            "\n"
            "Sample quality of the generator in DIR/checkpoint.bin: the Frechet distance\n"
            "(FD) between the classifier features of N samples and of the 10k MNIST test\n"
            "images (lower is better), the histogram of predicted classes, its entropy,\n"
            "the classes holding at least 5%% of the samples and the mean confidence.\n"
            "G runs fp32 products whatever --precision the run trained in.\n"
            "  --run=DIR         run folder\n"
            "  --epoch=K         the generator of kept epoch K (DIR/checkpoints/, gan train\n"
            "                    --keep-every); an epoch not kept is an error naming the\n"
            "                    kept ones (default: the latest checkpoint)\n"
            "  --all-epochs      every kept epoch, one CSV line each on stdout after a\n"
            "                    header: epoch,%s\n"
            "  --reference       measure the first N real training images instead of a run\n"
            "                    (the FD a perfect generator would get)\n"
            "  --classifier=FILE classifier from 'gan classifier train' (default: the first\n"
            "                    of $GAN_DATA/, %s and\n"
            "                    ~/.local/share/gan/ holding mnist-classifier.bin)\n"
            "  --data=DIR        MNIST folder with the test images (default: the first of\n"
            "                    $GAN_DATA/mnist, data/mnist, ~/.local/share/gan/mnist)\n"
            "  --n=N             number of samples, 2..100000 (default 10000)\n"
            "  --seed=S          noise seed (default: the run's seed)\n"
            "  --threads=T       threads of the matrix products (default: all cores)\n",
            ALL_EPOCHS_COLUMNS, CLASSIFIER_DEFAULT_PATH);
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

/* One --all-epochs line, with metrics.csv's number formats. */
static void print_epoch_line(int epoch, const eval_result_t *r)
{
    const coverage_t *cv = &r->coverage;
    printf("%d,%.4f,%.4f,%d,%.4f", epoch, r->fd, cv->entropy_bits, cv->classes_covered,
           cv->mean_confidence);
    for (int k = 0; k < CLASSIFIER_N_CLASSES; k++)
        printf(",%.4f", cv->n ? (double)cv->counts[k] / (double)cv->n : 0.0);
    printf("\n");
}

/* FD and coverage of every kept epoch of run_dir, each from the same noise
 * (the seed's evaluation stream, re-seeded per epoch, as gan train
 * --eval-every does): one line per epoch on stdout. */
static int eval_all_epochs(eval_ctx_t *ctx, classifier_t *clf, const mnist_t *test_set,
                           const char *run_dir, const int *epochs, int n_epochs, long n,
                           long seed, gan_err_t *err)
{
    int rc = GAN_OK;
    for (int i = 0; i < n_epochs && !rc; i++) {
        gan_t gan;
        train_cfg_t cfg;
        rc = train_load_weights(&gan, &cfg, NULL, run_dir, epochs[i], EVAL_BATCH, err);
        if (!rc && i == 0)
            rc = eval_create(ctx, clf, test_set, (size_t)n, cfg.arch.z_dim, err);
        if (!rc && i == 0)
            printf("epoch,%s\n", ALL_EPOCHS_COLUMNS);
        eval_result_t result;
        rng_t rng;
        rng_seed(&rng, seed >= 0 ? (uint64_t)seed : cfg.seed, EVAL_STREAM_NOISE);
        if (!rc)
            rc = eval_generator(&result, ctx, &gan, (size_t)n, &rng, err);
        if (!rc) {
            print_epoch_line(epochs[i], &result);
            fflush(stdout);
        }
        gan_destroy(&gan);
    }
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option options[] = {
        {"run", required_argument, 0, 'r'},  {"reference", no_argument, 0, 'R'},
        {"classifier", required_argument, 0, 'c'}, {"data", required_argument, 0, 'd'},
        {"n", required_argument, 0, 'n'},    {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 't'}, {"epoch", required_argument, 0, 'e'},
        {"all-epochs", no_argument, 0, 'A'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *run_dir = NULL, *clf_path = NULL, *data = NULL;
    long n = 10000, seed = -1, threads = 0, want_epoch = -1;
    int reference = 0, all_epochs = 0, c;
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
        case 'e':
            if (cli_parse_int("epoch", optarg, 1, CLI_EPOCH_MAX, &want_epoch))
                return 2;
            break;
        case 'A': all_epochs = 1; break;
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
    if (reference && (want_epoch >= 0 || all_epochs))
        return cli_fail(2, "--%s: only with --run=DIR", all_epochs ? "all-epochs" : "epoch");
    if (want_epoch >= 0 && all_epochs)
        return cli_fail(2, "eval: --epoch and --all-epochs exclude each other");
    threads_set((int)threads, PRECISION_FP32);

    double t0 = clock_seconds();
    gan_err_t err;
    /* The kept epochs first: an epoch not kept, or a run without any, fails
     * before the classifier and the test images are loaded. */
    int *kept = NULL, n_kept = 0;
    if (want_epoch >= 0 && train_check_epoch(run_dir, (int)want_epoch, &err))
        return cli_fail_err(2, &err);
    if (all_epochs) {
        if (!fs_is_dir(run_dir))
            return cli_fail(2, "%s: no such run folder", run_dir);
        if (run_kept_epochs(&kept, &n_kept, run_dir, &err))
            return cli_fail_err(1, &err);
        if (n_kept == 0)
            return cli_fail(2, "%s: --all-epochs: the run kept no epochs (train with "
                               "--keep-every=K to keep them)", run_dir);
    }
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
    if (rc) {
        free(kept);
        return cli_fail_err(rc, &err);
    }
    mnist_t test_set = {0}, train_set = {0};
    gan_t gan = {0};
    eval_ctx_t ctx = {0};
    train_cfg_t cfg;
    train_weights_t from;
    rc = mnist_load_dir(&test_set, data, 0, &err);
    if (!rc && all_epochs) {
        rc = eval_all_epochs(&ctx, &clf, &test_set, run_dir, kept, n_kept, n, seed, &err);
        free(kept);
        eval_destroy(&ctx);
        mnist_free(&test_set);
        classifier_destroy(&clf);
        return rc ? cli_fail_err(rc, &err) : 0;
    }
    if (!rc && reference) {
        rc = mnist_load_dir(&train_set, data, 1, &err);
        if (!rc && (size_t)n > train_set.n)
            rc = gan_err_set(&err, GAN_ERR_INPUT, "--n=%ld: the training set has %zu images", n,
                             train_set.n);
    }
    if (!rc && run_dir)
        rc = train_load_weights(&gan, &cfg, &from, run_dir, (int)want_epoch, EVAL_BATCH, &err);
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
            printf("run          %s  (epoch %d%s)\nweights      %s\nsamples      %ld generated, "
                   "noise seed %llu\n",
                   run_dir, from.epoch, from.step ? " and part of the next" : "", from.path, n,
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
