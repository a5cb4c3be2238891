/* gan classifier train: the MNIST classifier whose features `gan eval`
 * measures samples with (classifier.h). Progress on stderr, one line per
 * epoch; the result line on stdout. The file is replaced atomically, so an
 * interrupted training leaves the old classifier in place. */
#include <cblas.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "gan/classifier.h"
#include "gan/clock.h"
#include "gan/data_path.h"
#include "gan/fsutil.h"
#include "gan/idx.h"
#include "gan/threads.h"

static void usage(FILE *out)
{
    classifier_cfg_t d;
    classifier_cfg_default(&d);
    fprintf(out,
            "usage: gan classifier train [options]\n"
            "\n"
            "Trains the MNIST classifier (784-512-256-10, ReLU, softmax cross entropy, Adam)\n"
            "whose 256 penultimate features 'gan eval' uses for the Frechet distance, and\n"
            "prints its accuracy on the 10k test images.\n"
            "  --out=FILE    classifier file, replaced atomically (default: where gan looks\n"
            "                for it: an existing one, else $GAN_DATA/, else next to the MNIST\n"
            "                found (%s in a checkout), else ~/.local/share/gan/)\n"
            "  --epochs=N    epochs over the 60k training images, 1..1000 (default %d)\n"
            "  --batch=B     batch size, 1..4096 (default %d)\n"
            "  --lr=LR       Adam learning rate of the first epoch (default %g; it falls\n"
            "                linearly to LR/10 at the last epoch)\n"
            "  --seed=S      seed of the initial weights and the data order (default %llu)\n"
            "  --data=DIR    MNIST folder (default: the first of $GAN_DATA/mnist, data/mnist,\n"
            "                ~/.local/share/gan/mnist)\n"
            "  --limit=N     train on the first N training images only (default all;\n"
            "                for quick checks: the accuracy is still on all test images)\n"
            "  --threads=T   threads of the matrix products (default: all cores)\n"
            "  --quiet       no progress output\n",
            CLASSIFIER_DEFAULT_PATH, d.epochs, d.batch, (double)d.adam.lr,
            (unsigned long long)d.seed);
}

static int train(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, 0, 'o'},    {"epochs", required_argument, 0, 'e'},
        {"batch", required_argument, 0, 'b'},  {"lr", required_argument, 0, 'l'},
        {"seed", required_argument, 0, 's'},   {"data", required_argument, 0, 'd'},
        {"threads", required_argument, 0, 't'}, {"quiet", no_argument, 0, 'q'},
        {"limit", required_argument, 0, 'n'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg);
    const char *out = NULL, *data = NULL;
    long v, threads = 0, limit = 0;
    double lr;
    int quiet = 0, c;
    optind = 2; /* argv[1] is the action: getopt starts after it */
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 'q': quiet = 1; break;
        case 'e':
            if (cli_parse_int("epochs", optarg, 1, 1000, &v))
                return 2;
            cfg.epochs = (int)v;
            break;
        case 'b':
            if (cli_parse_int("batch", optarg, 1, 4096, &v))
                return 2;
            cfg.batch = (int)v;
            break;
        case 'l':
            if (cli_parse_float("lr", optarg, 1e-7, 1.0, &lr))
                return 2;
            cfg.adam.lr = (float)lr;
            cfg.lr_final = (float)(lr / 10.0);
            break;
        case 's':
            if (cli_parse_shared("seed", optarg, &v))
                return 2;
            cfg.seed = (uint64_t)v;
            break;
        case 't':
            if (cli_parse_shared("threads", optarg, &threads))
                return 2;
            break;
        case 'n':
            if (cli_parse_int("limit", optarg, 1, 100000000L, &limit))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("classifier train");
        }
    }
    if (optind < argc)
        return cli_fail(2, "classifier train: unexpected argument '%s'", argv[optind]);
    if (out && !out[0])
        return cli_fail(2, "--out: empty file name");
    gan_err_t err;
    char out_target[PATH_MAX], data_found[PATH_MAX];
    if (!data) {
        if (data_path_find(data_found, sizeof data_found, DATA_PATH_MNIST, &err))
            return cli_fail_err(2, &err);
        data = data_found;
    }
    if (!out) {
        if (data_path_write_target(out_target, sizeof out_target, DATA_PATH_CLASSIFIER, &err))
            return cli_fail_err(2, &err);
        out = out_target;
    }
    threads_set((int)threads, PRECISION_FP32);

    mnist_t train_set, test_set;
    int rc = mnist_load_dir(&train_set, data, 1, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    rc = mnist_load_dir(&test_set, data, 0, &err);
    if (rc) {
        mnist_free(&train_set);
        return cli_fail_err(rc, &err);
    }
    if (limit > 0 && (size_t)limit < train_set.n)
        train_set.n = (size_t)limit; /* the rest stays allocated; mnist_free frees it all */
    char dir[PATH_MAX];
    fs_dirname(dir, sizeof dir, out);
    classifier_t clf;
    rc = fs_mkdirs(dir, &err);
    if (!rc)
        rc = classifier_create(&clf, &cfg, cfg.batch, &err);
    if (rc) {
        mnist_free(&train_set);
        mnist_free(&test_set);
        return cli_fail_err(rc, &err);
    }
    if (!quiet)
        fprintf(stderr, "training the classifier: %zu images, %d epochs of batch %d, seed %llu\n",
                train_set.n, cfg.epochs, cfg.batch, (unsigned long long)cfg.seed);
    double start = clock_seconds(), test_acc = 0.0;
    for (int e = 0; e < cfg.epochs && !rc; e++) {
        double t0 = clock_seconds();
        float lr_epoch = classifier_lr(&cfg, clf.epoch);
        classifier_epoch_t st;
        rc = classifier_train_epoch(&clf, &train_set, &st, &err);
        if (!rc)
            rc = classifier_accuracy(&test_acc, &clf, &test_set, &err);
        if (!rc && !quiet)
            fprintf(stderr,
                    "epoch %d/%d  lr %.2e  loss %.4f  train acc %.4f  test acc %.4f  %.1fs\n",
                    e + 1, cfg.epochs, (double)lr_epoch, st.loss, st.accuracy, test_acc,
                    clock_seconds() - t0);
    }
    if (!rc)
        rc = classifier_save(&clf, out, test_acc, &err);
    double seconds = clock_seconds() - start;
    size_t n_test = test_set.n;
    classifier_destroy(&clf);
    mnist_free(&train_set);
    mnist_free(&test_set);
    if (rc)
        return cli_fail_err(rc, &err);
    printf("test accuracy %.2f%% (%zu test images) after %d epochs in %.1fs; wrote %s\n",
           100.0 * test_acc, n_test, cfg.epochs, seconds, out);
    return 0;
}

int cmd_classifier(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "train") == 0)
        return train(argc, argv);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2)
        return cli_fail(2, "classifier: missing action; try 'gan classifier train' "
                           "(see 'gan classifier --help')");
    return cli_fail(2, "classifier: unknown action '%s'; the only one is 'train'", argv[1]);
}
