/* gan data: load and validate the MNIST files, print a summary. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "gan/data_path.h"
#include "gan/idx.h"

static int summarize(const char *dir, int train)
{
    mnist_t ds;
    gan_err_t err;
    int rc = mnist_load_dir(&ds, dir, train, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    size_t counts[10] = {0};
    double sum = 0;
    size_t pixels = (size_t)ds.rows * ds.cols;
    for (size_t i = 0; i < ds.n; i++)
        counts[ds.labels[i]]++;
    for (size_t i = 0; i < ds.n * pixels; i++)
        sum += ds.images[i];
    printf("%s/%s: %zu images of %dx%d, mean pixel %.2f, labels:", dir,
           train ? "train" : "t10k", ds.n, ds.rows, ds.cols, sum / (double)(ds.n * pixels));
    for (int d = 0; d < 10; d++)
        printf(" %d:%zu", d, counts[d]);
    printf("\n");
    mnist_free(&ds);
    return 0;
}

int cmd_data(int argc, char **argv)
{
    static const struct option options[] = {
        {"data", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *dir = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'h':
            printf("usage: gan data [--data=DIR]\n"
                   "Loads and validates the MNIST training and test files and prints a summary.\n"
                   "  --data=DIR   MNIST folder (default: the first of $GAN_DATA/mnist,\n"
                   "               data/mnist and ~/.local/share/gan/mnist that exists; fetch\n"
                   "               it with gan-download-mnist, ./download_mnist.sh in the\n"
                   "               repository)\n");
            return 0;
        default: return cli_usage_error("data");
        }
    }
    if (optind < argc)
        return cli_fail(2, "data: unexpected argument '%s'", argv[optind]);
    char found[PATH_MAX];
    gan_err_t err;
    if (!dir) {
        if (data_path_find(found, sizeof found, DATA_PATH_MNIST, &err))
            return cli_fail_err(2, &err);
        dir = found;
    }
    int rc = summarize(dir, 1);
    return rc ? rc : summarize(dir, 0);
}
