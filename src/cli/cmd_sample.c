/* gan sample: samples from a run's latest generator (or a kept epoch's,
 * --epoch), as one PNG grid, a
 * .npy array or a folder of PNGs (sample_out.h), or rows that walk between
 * two noise vectors (--interpolate, latent.h).
 *
 * Noise comes from one stream of the seed (the run's fixed-noise stream),
 * one vector after the other, and G always runs on full batches of
 * SAMPLE_BATCH (the last one padded with the stream's next vectors): a
 * sample's float values depend on its row in the batch (OpenBLAS), so equal
 * batches are what makes the first k samples of --n=N those of --n=k, bit
 * for bit, and with the run's seed and n = grid^2 the grid the run's own. */
#include <cblas.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gan/fsutil.h"
#include "gan/latent.h"
#include "gan/rng.h"
#include "gan/sample_out.h"
#include "gan/threads.h"
#include "gan/train.h"

/* The training batch: G's products see the same shapes as in training. */
enum { SAMPLE_BATCH = 64, INTERP_STEPS_MAX = 256 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan sample --run=DIR [--n=64] [--format=png|npy|dir] [--seed=S] [-o PATH]\n"
            "       gan sample --run=DIR --interpolate=ROWS [--steps=8] [--slerp] [-o PATH]\n"
            "\n"
            "Samples from the generator in DIR/checkpoint.bin (or a kept epoch's), with\n"
            "fp32 products whatever --precision the run trained in.\n"
            "  --run=DIR          run folder (required)\n"
            "  --epoch=K          the generator of kept epoch K (DIR/checkpoints/, gan train\n"
            "                     --keep-every); an epoch not kept is an error naming the kept\n"
            "                     ones (default: the latest checkpoint)\n"
            "  --n=N              number of samples (default 64): 1..%d for png,\n"
            "                     1..%d for npy and dir\n"
            "  --format=F         png: one grid of ceil(sqrt(n)) columns (default);\n"
            "                     npy: one n x 28 x 28 array; dir: a folder of n single\n"
            "                     28x28 gray PNGs 000000.png, ... (pytorch-fid, torch-fidelity)\n"
            "  --dtype=T          npy only: uint8 (default, pixels 0..255 as in the PNGs)\n"
            "                     or float (float32, G's output in [-1, 1])\n"
            "  --seed=S           noise seed (default: the run's seed, which with n = grid^2\n"
            "                     reproduces the run's own sample grids)\n"
            "  --interpolate=ROWS instead of samples: ROWS rows, each walking from one noise\n"
            "                     vector to the next (noise vectors 2r and 2r+1 of the seed);\n"
            "                     the ends are exactly G of the two vectors\n"
            "  --steps=K          images per row with --interpolate, 2..%d (default 8)\n"
            "  --slerp            walk along the sphere instead of a straight line (keeps the\n"
            "                     noise norm; default linear)\n"
            "  --threads=T        threads of the matrix products (default: all cores)\n"
            "  -o PATH            output (default DIR/sample.png, DIR/samples.npy or\n"
            "                     DIR/sample-images/; DIR/interpolation.* with --interpolate;\n"
            "                     with --epoch=K the name ends in -epoch_NNNN: sample-epoch_0005.png);\n"
            "                     a dir output must be new or empty\n",
            SAMPLE_GRID_MAX, SAMPLE_BULK_MAX, INTERP_STEPS_MAX);
}

/* n samples: noise drawn SAMPLE_BATCH vectors at a time from rng. */
static int generate_samples(sample_out_t *o, gan_t *gan, rng_t *rng, int z_dim, long n,
                            float *z, gan_err_t *err)
{
    int rc = GAN_OK;
    for (long done = 0; done < n && !rc; done += SAMPLE_BATCH) {
        rng_fill_normal(rng, z, (size_t)SAMPLE_BATCH * z_dim, 0.0f, 1.0f);
        const float *images = gan_generate(gan, z, SAMPLE_BATCH);
        long count = n - done < SAMPLE_BATCH ? n - done : SAMPLE_BATCH;
        rc = sample_out_add(o, images, count, err);
    }
    return rc;
}

/* rows x steps images: row r walks from noise vector 2r to 2r+1 of rng.
 *
 * OpenBLAS computes a row of a product slightly differently (~1e-6)
 * depending on where it sits in the batch, so the ends are not computed
 * along with the points between them: each chunk of SAMPLE_BATCH / 2 rows
 * first runs G on its SAMPLE_BATCH end vectors, a batch identical (contents
 * and positions, padding included) to the one plain sampling runs for the
 * same vectors. So the ends are bit for bit samples 2r and 2r+1 of
 * --n=2*ROWS. The points between are generated in batches of their own. */
static int generate_interpolation(sample_out_t *o, gan_t *gan, rng_t *rng, int z_dim,
                                  long rows, int steps, latent_path_t path, float *z,
                                  gan_err_t *err)
{
    enum { CHUNK_ROWS = SAMPLE_BATCH / 2 };
    const size_t image = (size_t)gan->arch.image_size;
    float *ends_z = malloc((size_t)SAMPLE_BATCH * z_dim * sizeof *ends_z);
    float *ends = malloc((size_t)SAMPLE_BATCH * image * sizeof *ends);
    float *chunk = malloc((size_t)CHUNK_ROWS * steps * image * sizeof *chunk);
    int *slot = malloc(SAMPLE_BATCH * sizeof *slot); /* where batch row i goes in chunk */
    int rc = ends_z && ends && chunk && slot
                 ? GAN_OK
                 : gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    for (long r0 = 0; r0 < rows && !rc; r0 += CHUNK_ROWS) {
        int n_rows = rows - r0 < CHUNK_ROWS ? (int)(rows - r0) : CHUNK_ROWS;
        rng_fill_normal(rng, ends_z, (size_t)SAMPLE_BATCH * z_dim, 0.0f, 1.0f);
        memcpy(ends, gan_generate(gan, ends_z, SAMPLE_BATCH),
               (size_t)SAMPLE_BATCH * image * sizeof *ends);
        int fill = 0;
        for (int r = 0; r < n_rows; r++) {
            float *row = chunk + (size_t)r * steps * image;
            memcpy(row, ends + (size_t)(2 * r) * image, image * sizeof *row);
            memcpy(row + (size_t)(steps - 1) * image, ends + (size_t)(2 * r + 1) * image,
                   image * sizeof *row);
            for (int j = 1; j < steps - 1; j++) {
                latent_interpolate(z + (size_t)fill * z_dim, ends_z + (size_t)(2 * r) * z_dim,
                                   ends_z + (size_t)(2 * r + 1) * z_dim, z_dim,
                                   (double)j / (steps - 1), path);
                slot[fill++] = r * steps + j;
                int last = r == n_rows - 1 && j == steps - 2;
                if (fill == SAMPLE_BATCH || last) {
                    const float *images = gan_generate(gan, z, fill);
                    for (int i = 0; i < fill; i++)
                        memcpy(chunk + (size_t)slot[i] * image, images + (size_t)i * image,
                               image * sizeof *chunk);
                    fill = 0;
                }
            }
        }
        rc = sample_out_add(o, chunk, (long)n_rows * steps, err);
    }
    free(ends_z);
    free(ends);
    free(chunk);
    free(slot);
    return rc;
}

enum { OPT_FORMAT = 1, OPT_DTYPE, OPT_INTERPOLATE, OPT_STEPS, OPT_SLERP, OPT_THREADS, OPT_EPOCH };

/* The default output of a run's samples: base ("sample.png") in the run
 * folder, with "-epoch_NNNN" before the extension for a kept epoch, so the
 * samples of different epochs never overwrite one another. */
static int default_output(char *out, size_t size, const char *run_dir, const char *base,
                          long epoch, gan_err_t *err)
{
    if (epoch < 0)
        return fs_join(out, size, run_dir, base, err);
    const char *dot = strrchr(base, '.');
    int stem = dot ? (int)(dot - base) : (int)strlen(base);
    char name[128];
    snprintf(name, sizeof name, "%.*s-epoch_%04ld%s", stem, base, epoch, dot ? dot : "");
    return fs_join(out, size, run_dir, name, err);
}

int cmd_sample(int argc, char **argv)
{
    static const struct option options[] = {
        {"run", required_argument, 0, 'r'}, {"n", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'}, {"format", required_argument, 0, OPT_FORMAT},
        {"dtype", required_argument, 0, OPT_DTYPE},
        {"interpolate", required_argument, 0, OPT_INTERPOLATE},
        {"steps", required_argument, 0, OPT_STEPS}, {"slerp", no_argument, 0, OPT_SLERP},
        {"threads", required_argument, 0, OPT_THREADS},
        {"epoch", required_argument, 0, OPT_EPOCH},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *run_dir = NULL, *out = NULL;
    long n = 64, seed = -1, rows = 0, steps = 8, threads = 0, epoch = -1;
    int n_given = 0, dtype_given = 0, steps_given = 0, c;
    sample_format_t format = SAMPLE_FORMAT_PNG;
    npy_dtype_t dtype = NPY_UINT8;
    latent_path_t path = LATENT_LINEAR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
        switch (c) {
        case 'r': run_dir = optarg; break;
        case 'o': out = optarg; break;
        case 'n':
            if (cli_parse_int("n", optarg, 1, SAMPLE_BULK_MAX, &n))
                return 2;
            n_given = 1;
            break;
        case 's':
            if (cli_parse_shared("seed", optarg, &seed))
                return 2;
            break;
        case OPT_FORMAT:
            if (sample_format_from_name(&format, optarg))
                return cli_fail(2, "--format=%s: one of png, npy, dir", optarg);
            break;
        case OPT_DTYPE:
            if (strcmp(optarg, "uint8") && strcmp(optarg, "float"))
                return cli_fail(2, "--dtype=%s: one of uint8, float", optarg);
            dtype = strcmp(optarg, "float") == 0 ? NPY_FLOAT32 : NPY_UINT8;
            dtype_given = 1;
            break;
        case OPT_INTERPOLATE:
            if (cli_parse_int("interpolate", optarg, 1, SAMPLE_BULK_MAX / 2, &rows))
                return 2;
            break;
        case OPT_STEPS:
            if (cli_parse_int("steps", optarg, 2, INTERP_STEPS_MAX, &steps))
                return 2;
            steps_given = 1;
            break;
        case OPT_SLERP: path = LATENT_SLERP; break;
        case OPT_THREADS:
            if (cli_parse_shared("threads", optarg, &threads))
                return 2;
            break;
        case OPT_EPOCH:
            if (cli_parse_int("epoch", optarg, 1, CLI_EPOCH_MAX, &epoch))
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
    if (out && !out[0])
        return cli_fail(2, "-o: empty path; give a file or folder name (or leave -o out)");
    if (dtype_given && format != SAMPLE_FORMAT_NPY)
        return cli_fail(2, "--dtype: only with --format=npy (PNGs are 8-bit)");
    if (rows && n_given)
        return cli_fail(2, "--n: not with --interpolate (the count is ROWS x --steps)");
    if (!rows && (steps_given || path == LATENT_SLERP))
        return cli_fail(2, "--%s: only with --interpolate=ROWS", steps_given ? "steps" : "slerp");
    if (rows)
        n = rows * steps;
    long max = format == SAMPLE_FORMAT_PNG ? SAMPLE_GRID_MAX : SAMPLE_BULK_MAX;
    if (n > max)
        return cli_fail(2, "%s: %ld images; --format=%s holds at most %ld%s",
                        rows ? "--interpolate" : "--n", n, sample_format_name(format), max,
                        format == SAMPLE_FORMAT_PNG ? " (use --format=npy or dir)" : "");

    threads_set((int)threads, PRECISION_FP32);
    gan_t gan;
    train_cfg_t cfg;
    gan_err_t err;
    int rc = train_load_weights(&gan, &cfg, NULL, run_dir, (int)epoch, SAMPLE_BATCH, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    int hw = (int)lround(sqrt((double)cfg.arch.image_size));
    if (hw * hw != cfg.arch.image_size) {
        gan_destroy(&gan);
        return cli_fail(2, "%s: images of %d pixels are not square", run_dir,
                        cfg.arch.image_size);
    }
    static const char *const plain_names[] = {"sample.png", "samples.npy", "sample-images"};
    static const char *const interp_names[] = {"interpolation.png", "interpolation.npy",
                                               "interpolation-images"};
    char default_out[PATH_MAX];
    if (!out) {
        rc = default_output(default_out, sizeof default_out, run_dir,
                            (rows ? interp_names : plain_names)[format], epoch, &err);
        if (rc) {
            gan_destroy(&gan);
            return cli_fail_err(rc, &err);
        }
        out = default_out;
    }

    rng_t rng;
    rng_seed(&rng, seed >= 0 ? (uint64_t)seed : cfg.seed, TRAIN_STREAM_FIXED_NOISE);
    float *z = malloc((size_t)SAMPLE_BATCH * cfg.arch.z_dim * sizeof *z);
    sample_out_t *o = NULL;
    if (!z)
        rc = gan_err_set(&err, GAN_ERR_RUNTIME, "out of memory");
    int cols = rows ? (int)steps : (int)ceil(sqrt((double)n));
    if (!rc)
        rc = sample_out_open(&o, out, format, dtype, n, hw, hw, cols, &err);
    if (!rc && rows)
        rc = generate_interpolation(o, &gan, &rng, cfg.arch.z_dim, rows, (int)steps, path, z,
                                    &err);
    else if (!rc)
        rc = generate_samples(o, &gan, &rng, cfg.arch.z_dim, n, z, &err);
    if (!rc) {
        rc = sample_out_close(o, &err);
        o = NULL;
    }
    sample_out_abort(o);
    free(z);
    gan_destroy(&gan);
    if (rc)
        return cli_fail_err(rc, &err);
    printf("%s\n", out);
    return 0;
}
