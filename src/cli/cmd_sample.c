/* gan sample: a grid of samples from a run's latest generator. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gan/png_grid.h"
#include "gan/rng.h"
#include "gan/train.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan sample --run=DIR [--n=64] [--seed=S] [-o FILE]\n"
            "\n"
            "Writes a grid of n samples from the generator in DIR/checkpoint.bin.\n"
            "  --run=DIR   run folder (required)\n"
            "  --n=N       number of samples, 1..1024 (default 64; grid of ceil(sqrt(n)) columns)\n"
            "  --seed=S    noise seed (default: the run's seed, which with n = grid^2\n"
            "              reproduces the run's own sample grids)\n"
            "  -o FILE     output PNG (default DIR/sample.png)\n");
}

int cmd_sample(int argc, char **argv)
{
    static const struct option options[] = {
        {"run", required_argument, 0, 'r'}, {"n", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *run_dir = NULL, *out = NULL;
    long n = 64, seed = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
        switch (c) {
        case 'r': run_dir = optarg; break;
        case 'o': out = optarg; break;
        case 'n':
            if (cli_parse_int("n", optarg, 1, 1024, &n))
                return 2;
            break;
        case 's':
            if (cli_parse_shared("seed", optarg, &seed))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("sample");
        }
    }
    if (optind < argc)
        return cli_fail(2, "sample: unexpected argument '%s'", argv[optind]);
    if (!run_dir)
        return cli_fail(2, "sample: --run=DIR is required (a folder under runs/)");

    gan_t gan;
    train_cfg_t cfg;
    gan_err_t err;
    int rc = train_load_gan(&gan, &cfg, run_dir, (int)n, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    rng_t rng;
    rng_seed(&rng, seed >= 0 ? (uint64_t)seed : cfg.seed, TRAIN_STREAM_FIXED_NOISE);
    float *z = malloc((size_t)n * cfg.arch.z_dim * sizeof *z);
    if (!z) {
        gan_destroy(&gan);
        return cli_fail(1, "out of memory");
    }
    rng_fill_normal(&rng, z, (size_t)n * cfg.arch.z_dim, 0.0f, 1.0f);
    const float *images = gan_generate(&gan, z, (int)n);
    char default_out[1100];
    snprintf(default_out, sizeof default_out, "%s/sample.png", run_dir);
    if (!out)
        out = default_out;
    int side = (int)ceil(sqrt((double)n));
    int hw = (int)lround(sqrt((double)cfg.arch.image_size));
    if (hw * hw != cfg.arch.image_size)
        rc = gan_err_set(&err, GAN_ERR_INPUT, "%s: images of %d pixels are not square", run_dir,
                         cfg.arch.image_size);
    if (!rc)
        rc = png_grid_write(out, images, (int)n, side, hw, hw, 2, &err);
    free(z);
    gan_destroy(&gan);
    if (rc)
        return cli_fail_err(rc, &err);
    printf("%s\n", out);
    return 0;
}
