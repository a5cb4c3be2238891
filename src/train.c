/* Training runs: the epoch loop, the run folder, metrics rows, sample
 * grids and checkpoints. See train.h for the contract and the random
 * streams; the math of a step is in gan.c. Nothing here prints. */
#include "gan/train.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "gan/act_stats.h"
#include "gan/checkpoint.h"
#include "gan/fsutil.h"
#include "gan/health.h"
#include "gan/idx.h"
#include "gan/json.h"
#include "gan/metrics_csv.h"
#include "gan/png_grid.h"
#include "gan/rng.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoints store floats in host order, which must be little-endian"
#endif

/* Checkpoint section tags. */
enum {
    SEC_G_PARAMS = 1, SEC_G_ADAM_M, SEC_G_ADAM_V,
    SEC_D_PARAMS, SEC_D_ADAM_M, SEC_D_ADAM_V,
    SEC_ADAM_STEPS, SEC_NOISE_RNG, SEC_FIXED_NOISE, SEC_EPOCH_SUMS, SEC_GRAD_NORM_SUMS
};

/* Running sums of the epoch in progress (saved in checkpoints, so a run
 * stopped mid-epoch still reports the whole epoch's means). */
typedef struct {
    double d_loss, g_loss, d_real, d_fake, acc_real, acc_fake, seconds, steps;
} epoch_sums_t;

typedef struct {
    train_cfg_t cfg;
    const train_opts_t *opts;
    mnist_t data;
    size_t n_images;          /* after --limit */
    long steps_per_epoch;     /* the last partial batch is dropped */
    gan_t gan;
    rng_t noise_rng;
    float *real, *z;          /* batch x image_size, batch x z_dim */
    uint32_t *order;          /* n_images: this epoch's shuffled indices */
    int n_samples;            /* grid * grid */
    float *fixed_noise;       /* n_samples x z_dim */
    float *samples;           /* n_samples x image_size */
    int epoch;                /* finished epochs */
    long step;                /* steps done in epoch + 1 */
    epoch_sums_t sums;
    /* Per layer of G [0] and D [1]: the sum over this epoch's steps of the
     * L2 norm of the weight gradient (layers.csv reports the mean). */
    double grad_norm_sums[2][MLP_MAX_LAYERS];
    float *probe_real;        /* n_samples x image_size: D's fixed probe batch */
    float *probe_prob;        /* n_samples: sigmoid of D's probe logits */
    char path_layers[1100];
    char path_metrics[1100], path_ckpt[1100], path_prev[1100], path_samples[1100];
} run_t;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int run_paths(run_t *run, const char *dir, gan_err_t *err)
{
    int rc = fs_join(run->path_metrics, sizeof run->path_metrics, dir, "metrics.csv", err);
    if (!rc)
        rc = fs_join(run->path_ckpt, sizeof run->path_ckpt, dir, "checkpoint.bin", err);
    if (!rc)
        rc = fs_join(run->path_prev, sizeof run->path_prev, dir, "checkpoint.prev.bin", err);
    if (!rc)
        rc = fs_join(run->path_samples, sizeof run->path_samples, dir, "samples", err);
    if (!rc)
        rc = fs_join(run->path_layers, sizeof run->path_layers, dir, "layers.csv", err);
    return rc;
}

/* Loads the data and allocates everything the loop needs, so that a bad
 * setting or a missing file is reported before any file is written. */
static int run_prepare(run_t *run, const train_cfg_t *cfg, gan_err_t *err)
{
    run->cfg = *cfg;
    int rc = train_cfg_check(cfg, err);
    if (rc)
        return rc;
    rc = mnist_load_dir(&run->data, cfg->data_dir, 1, err);
    if (rc)
        return rc;
    size_t pixels = (size_t)run->data.rows * run->data.cols;
    if (pixels != (size_t)cfg->arch.image_size)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: images are %dx%d, the run expects %d pixels",
                           cfg->data_dir, run->data.rows, run->data.cols, cfg->arch.image_size);
    run->n_images = run->data.n;
    if (cfg->limit > 0 && (size_t)cfg->limit < run->n_images)
        run->n_images = (size_t)cfg->limit;
    if ((size_t)cfg->batch > run->n_images)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "--batch=%d: larger than the %zu training images in use (--limit)",
                           cfg->batch, run->n_images);
    run->steps_per_epoch = (long)(run->n_images / (size_t)cfg->batch);

    if (cfg->threads > 0)
        openblas_set_num_threads(cfg->threads);
    rc = gan_create(&run->gan, &cfg->arch, cfg->adam, cfg->adam, cfg->batch, err);
    if (rc)
        return rc;
    run->n_samples = cfg->grid * cfg->grid;
    run->real = malloc((size_t)cfg->batch * pixels * sizeof *run->real);
    run->z = malloc((size_t)cfg->batch * cfg->arch.z_dim * sizeof *run->z);
    run->order = malloc(run->n_images * sizeof *run->order);
    run->fixed_noise = malloc((size_t)run->n_samples * cfg->arch.z_dim * sizeof(float));
    run->samples = malloc((size_t)run->n_samples * pixels * sizeof(float));
    /* D's probe batch: the first training images, at most one batch (D's
     * work buffers hold max batch rows). */
    int n_probe = run->n_samples < cfg->batch ? run->n_samples : cfg->batch;
    run->probe_real = malloc((size_t)n_probe * pixels * sizeof(float));
    run->probe_prob = malloc((size_t)n_probe * sizeof(float));
    if (!run->real || !run->z || !run->order || !run->fixed_noise || !run->samples ||
        !run->probe_real || !run->probe_prob)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    for (int i = 0; i < n_probe; i++)
        run->order[i] = (uint32_t)i;
    mnist_batch(run->probe_real, &run->data, run->order, n_probe);
    return GAN_OK;
}

static void run_free(run_t *run)
{
    gan_destroy(&run->gan);
    mnist_free(&run->data);
    free(run->real);
    free(run->z);
    free(run->order);
    free(run->fixed_noise);
    free(run->samples);
    free(run->probe_real);
    free(run->probe_prob);
}

/* --- checkpoints ------------------------------------------------------ */

static int write_checkpoint(run_t *run, gan_err_t *err)
{
    char *header = NULL;
    size_t header_len = 0;
    FILE *mem = open_memstream(&header, &header_len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    fputs("{\n  \"format\": \"gan checkpoint\",\n", mem);
    train_cfg_write_fields(mem, &run->cfg);
    fprintf(mem, ",\n  \"epoch\": %d,\n  \"step\": %ld,\n  \"version\": \"%s\"\n}\n", run->epoch,
            run->step, GAN_VERSION);
    fclose(mem);

    const gan_t *g = &run->gan;
    int64_t adam_steps[2] = {g->g_opt.step, g->d_opt.step};
    uint8_t rng_bytes[RNG_PACKED_BYTES];
    rng_pack(rng_bytes, &run->noise_rng);
    size_t gb = g->g.n_params * sizeof(float), db = g->d.n_params * sizeof(float);
    ckpt_section_t sections[] = {
        {SEC_G_PARAMS, g->g.params, gb},
        {SEC_G_ADAM_M, g->g_opt.m, gb},
        {SEC_G_ADAM_V, g->g_opt.v, gb},
        {SEC_D_PARAMS, g->d.params, db},
        {SEC_D_ADAM_M, g->d_opt.m, db},
        {SEC_D_ADAM_V, g->d_opt.v, db},
        {SEC_ADAM_STEPS, adam_steps, sizeof adam_steps},
        {SEC_NOISE_RNG, rng_bytes, sizeof rng_bytes},
        {SEC_FIXED_NOISE, run->fixed_noise,
         (size_t)run->n_samples * run->cfg.arch.z_dim * sizeof(float)},
        {SEC_EPOCH_SUMS, &run->sums, sizeof run->sums},
        {SEC_GRAD_NORM_SUMS, run->grad_norm_sums, sizeof run->grad_norm_sums},
    };
    /* Write the new one under a temporary name first (ckpt_write is
     * atomic), keeping the previous as checkpoint.prev.bin. */
    char fresh[1200];
    snprintf(fresh, sizeof fresh, "%s.new", run->path_ckpt);
    int rc = ckpt_write(fresh, header, sections, (int)(sizeof sections / sizeof sections[0]), err);
    free(header);
    if (rc) {
        unlink(fresh);
        return rc;
    }
    if (fs_exists(run->path_ckpt) && rename(run->path_ckpt, run->path_prev) != 0)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot keep as %s (%s)", run->path_ckpt,
                           run->path_prev, strerror(errno));
    if (rename(fresh, run->path_ckpt) != 0)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot rename into place (%s)",
                           run->path_ckpt, strerror(errno));
    return GAN_OK;
}

/* checkpoint.bin, or checkpoint.prev.bin if a crash fell between the two
 * renames of write_checkpoint. */
static int read_latest_checkpoint(ckpt_file_t *ckpt, char *used, size_t used_size,
                                  const char *run_dir, gan_err_t *err)
{
    char path[1100];
    int rc = fs_join(path, sizeof path, run_dir, "checkpoint.bin", err);
    if (rc)
        return rc;
    if (!fs_exists(path)) {
        char prev[1100];
        rc = fs_join(prev, sizeof prev, run_dir, "checkpoint.prev.bin", err);
        if (rc)
            return rc;
        if (!fs_exists(prev)) {
            if (!fs_is_dir(run_dir))
                return gan_err_set(err, GAN_ERR_INPUT, "%s: no such run folder", run_dir);
            return gan_err_set(err, GAN_ERR_INPUT, "%s: no checkpoint.bin (not a gan run folder?)",
                               run_dir);
        }
        snprintf(path, sizeof path, "%s", prev);
    }
    snprintf(used, used_size, "%s", path);
    return ckpt_read(ckpt, path, err);
}

int train_load_config(train_cfg_t *cfg, int *epoch, const char *run_dir, gan_err_t *err)
{
    ckpt_file_t ckpt;
    char path[1100];
    int rc = read_latest_checkpoint(&ckpt, path, sizeof path, run_dir, err);
    if (rc)
        return rc;
    rc = train_cfg_read_json(cfg, ckpt.header, path, err);
    double e = 0;
    if (!rc && json_get_number(ckpt.header, "epoch", &e) != 0)
        rc = gan_err_set(err, GAN_ERR_INPUT, "%s: header has no epoch", path);
    if (!rc && epoch)
        *epoch = (int)e;
    ckpt_free(&ckpt);
    return rc;
}

/* Copies a checkpoint section into dst (n bytes), checking its length. */
static int restore(void *dst, const ckpt_file_t *ckpt, uint32_t tag, size_t n,
                   const char *path, const char *name, gan_err_t *err)
{
    const void *src = ckpt_section(ckpt, tag, n, path, name, err);
    if (!src)
        return GAN_ERR_INPUT;
    memcpy(dst, src, n);
    return GAN_OK;
}

/* Restores the GAN's weights (and, when run is not NULL, the optimizer,
 * noise, fixed noise and epoch position) from a checkpoint. */
static int restore_state(gan_t *gan, run_t *run, const ckpt_file_t *ckpt, const char *path,
                         gan_err_t *err)
{
    size_t gb = gan->g.n_params * sizeof(float), db = gan->d.n_params * sizeof(float);
    int rc = restore(gan->g.params, ckpt, SEC_G_PARAMS, gb, path, "G params", err);
    if (!rc)
        rc = restore(gan->d.params, ckpt, SEC_D_PARAMS, db, path, "D params", err);
    if (rc || !run)
        return rc;
    int64_t adam_steps[2];
    uint8_t rng_bytes[RNG_PACKED_BYTES];
    rc = restore(gan->g_opt.m, ckpt, SEC_G_ADAM_M, gb, path, "G Adam m", err);
    if (!rc)
        rc = restore(gan->g_opt.v, ckpt, SEC_G_ADAM_V, gb, path, "G Adam v", err);
    if (!rc)
        rc = restore(gan->d_opt.m, ckpt, SEC_D_ADAM_M, db, path, "D Adam m", err);
    if (!rc)
        rc = restore(gan->d_opt.v, ckpt, SEC_D_ADAM_V, db, path, "D Adam v", err);
    if (!rc)
        rc = restore(adam_steps, ckpt, SEC_ADAM_STEPS, sizeof adam_steps, path, "Adam steps", err);
    if (!rc)
        rc = restore(rng_bytes, ckpt, SEC_NOISE_RNG, sizeof rng_bytes, path, "RNG", err);
    if (!rc)
        rc = restore(run->fixed_noise, ckpt, SEC_FIXED_NOISE,
                     (size_t)run->n_samples * run->cfg.arch.z_dim * sizeof(float), path,
                     "fixed noise", err);
    if (!rc)
        rc = restore(&run->sums, ckpt, SEC_EPOCH_SUMS, sizeof run->sums, path, "epoch sums", err);
    if (!rc)
        rc = restore(run->grad_norm_sums, ckpt, SEC_GRAD_NORM_SUMS, sizeof run->grad_norm_sums,
                     path, "gradient norm sums", err);
    if (rc)
        return rc;
    if (rng_unpack(&run->noise_rng, rng_bytes) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: bad RNG state", path);
    gan->g_opt.step = adam_steps[0];
    gan->d_opt.step = adam_steps[1];
    double epoch = -1, step = -1;
    if (json_get_number(ckpt->header, "epoch", &epoch) != 0 ||
        json_get_number(ckpt->header, "step", &step) != 0 || epoch < 0 || step < 0 ||
        step >= (double)run->steps_per_epoch)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: bad epoch/step in header", path);
    run->epoch = (int)epoch;
    run->step = (long)step;
    return GAN_OK;
}

int train_load_gan(gan_t *gan, train_cfg_t *cfg, const char *run_dir, int max_batch,
                   gan_err_t *err)
{
    ckpt_file_t ckpt;
    char path[1100];
    int rc = read_latest_checkpoint(&ckpt, path, sizeof path, run_dir, err);
    if (rc)
        return rc;
    rc = train_cfg_read_json(cfg, ckpt.header, path, err);
    if (!rc)
        rc = gan_create(gan, &cfg->arch, cfg->adam, cfg->adam, max_batch, err);
    if (!rc)
        rc = restore_state(gan, NULL, &ckpt, path, err);
    if (rc)
        gan_destroy(gan);
    ckpt_free(&ckpt);
    return rc;
}

/* --- run folder files ---------------------------------------------- */

/* CRC32 of the training pixels in use: identifies the data in config.json
 * whatever file format it came from. */
static uint32_t data_crc(const run_t *run)
{
    const uint8_t *p = run->data.images;
    size_t n = run->n_images * (size_t)run->cfg.arch.image_size;
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}

static int write_config_json(const run_t *run, const char *dir, gan_err_t *err)
{
    char path[1100];
    int rc = fs_join(path, sizeof path, dir, "config.json", err);
    if (rc)
        return rc;
    atomic_file_t af;
    rc = atomic_begin(&af, path, err);
    if (rc)
        return rc;
    char started[32];
    time_t t = time(NULL);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    fputs("{\n", af.fp);
    train_cfg_write_fields(af.fp, &run->cfg);
    fprintf(af.fp,
            ",\n  \"train_images\": %zu,\n  \"steps_per_epoch\": %ld,\n"
            "  \"train_pixels_crc32\": \"%08x\",\n  \"openblas_threads\": %d,\n"
            "  \"last_started\": \"%s\",\n  \"version\": \"%s\"\n}\n",
            run->n_images, run->steps_per_epoch, data_crc(run), openblas_get_num_threads(),
            started, GAN_VERSION);
    return atomic_commit(&af, err);
}

static void format_metrics_row(char *out, size_t size, const train_metrics_t *m)
{
    snprintf(out, size, "%d,%ld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f\n", m->epoch,
             m->steps, m->g_loss, m->d_loss, m->d_acc, m->d_acc_real, m->d_acc_fake,
             m->d_real, m->d_fake, m->seconds, m->images_per_sec);
}

/* On resume: keep the header and the rows of finished epochs only (a crash
 * between a row and its checkpoint would otherwise duplicate the row). Rows
 * start with their epoch; epoch 0 rows (layers.csv) are kept too. */
static int trim_csv(const char *path, const char *header, int max_epoch, gan_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    if (fs_read_all(path, &text, &len, NULL) != GAN_OK)
        text = NULL;
    atomic_file_t af;
    int rc = atomic_begin(&af, path, err);
    if (rc) {
        free(text);
        return rc;
    }
    fprintf(af.fp, "%s\n", header);
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *end = NULL;
        long epoch = strtol(line, &end, 10);
        if (end != line && *end == ',' && epoch >= 0 && epoch <= max_epoch)
            fprintf(af.fp, "%s\n", line);
    }
    free(text);
    return atomic_commit(&af, err);
}

/* Appends text to a log file and makes it durable. */
static int append_durably(const char *path, const char *text, gan_err_t *err)
{
    FILE *fp = fopen(path, "a");
    if (!fp)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot append (%s)", path,
                           strerror(errno));
    int bad = fputs(text, fp) < 0 || fflush(fp) != 0 || fsync(fileno(fp)) != 0;
    int saved = errno;
    if (fclose(fp) != 0)
        bad = 1;
    if (bad)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: write failed (%s)", path, strerror(saved));
    return GAN_OK;
}

/* Appends one row and makes it durable, so a crash loses at most the epoch
 * in progress. */
static int append_metrics_row(const run_t *run, const train_metrics_t *m, gan_err_t *err)
{
    char line[512];
    format_metrics_row(line, sizeof line, m);
    return append_durably(run->path_metrics, line, err);
}

/* Adds each layer's weight-gradient norm to sums[layer]. */
static void add_grad_norms(double *sums, const mlp_t *net)
{
    double norms[MLP_MAX_LAYERS];
    mlp_weight_grad_norms(norms, net);
    for (int l = 0; l < net->n_layers; l++)
        sums[l] += norms[l];
}

/* Rows of layers.csv for one net: the statistics of each layer's output on
 * the probe batch of its last forward. */
static void format_layer_rows(FILE *fp, int epoch, const char *name, const mlp_t *net,
                              const double *grad_norm_sums, double steps, float *prob)
{
    for (int l = 0; l < net->n_layers; l++) {
        const mlp_layer_t *layer = &net->layers[l];
        size_t n = (size_t)net->batch * layer->n_out;
        const float *y = net->acts[l];
        act_t act = layer->act;
        /* D's last layer is a logit; what saturates is D(x) = sigmoid. */
        if (act == ACT_IDENTITY && l == net->n_layers - 1 && layer->n_out == 1) {
            act_forward(prob, y, n, ACT_SIGMOID, 0.0f);
            y = prob;
            act = ACT_SIGMOID;
        }
        act_stats_t st;
        act_stats_compute(&st, y, n, act);
        double w_mean, w_std;
        act_stats_moments(net->params + layer->w_off, (size_t)layer->n_in * layer->n_out,
                          &w_mean, &w_std, NULL);
        double grad_norm = steps > 0 ? grad_norm_sums[l] / steps : 0.0;
        fprintf(fp, "%d,%s,%d,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", epoch, name, l, act_name(act),
                st.mean, st.std, st.frac_saturated, st.frac_negative, w_std, grad_norm);
    }
}

/* Appends the layers.csv rows of an epoch (0: before training). */
static int write_layer_rows(run_t *run, int epoch, double steps, gan_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    int n_probe = run->n_samples < run->cfg.batch ? run->n_samples : run->cfg.batch;
    gan_generate(&run->gan, run->fixed_noise, n_probe);
    format_layer_rows(mem, epoch, "G", &run->gan.g, run->grad_norm_sums[0], steps,
                      run->probe_prob);
    mlp_forward(&run->gan.d, run->probe_real, n_probe);
    format_layer_rows(mem, epoch, "D", &run->gan.d, run->grad_norm_sums[1], steps,
                      run->probe_prob);
    fclose(mem);
    int rc = append_durably(run->path_layers, text, err);
    free(text);
    return rc;
}

static int write_samples(run_t *run, int epoch, gan_err_t *err)
{
    const train_cfg_t *cfg = &run->cfg;
    size_t pixels = (size_t)cfg->arch.image_size;
    for (int start = 0; start < run->n_samples; start += cfg->batch) {
        int n = run->n_samples - start < cfg->batch ? run->n_samples - start : cfg->batch;
        const float *out =
            gan_generate(&run->gan, run->fixed_noise + (size_t)start * cfg->arch.z_dim, n);
        memcpy(run->samples + (size_t)start * pixels, out, (size_t)n * pixels * sizeof(float));
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/epoch_%04d.png", run->path_samples, epoch);
    return png_grid_write(path, run->samples, run->n_samples, cfg->grid, run->data.rows,
                          run->data.cols, 2, err);
}

/* A new run's folder: refused if it already holds a run, unless force, in
 * which case the old run's files are removed first. */
static int make_run_folder(const char *dir, int force, gan_err_t *err)
{
    char probe[1100];
    int rc = fs_join(probe, sizeof probe, dir, "config.json", err);
    if (rc)
        return rc;
    char ckpt[1100];
    fs_join(ckpt, sizeof ckpt, dir, "checkpoint.bin", NULL);
    if (fs_exists(dir) && !force) {
        if (fs_exists(probe) || fs_exists(ckpt))
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s: a run already exists there; use --resume=%s to continue it, "
                               "--force to replace it, or another --name",
                               dir, dir);
        if (!fs_is_dir(dir))
            return gan_err_set(err, GAN_ERR_INPUT, "%s: exists and is not a folder", dir);
    }
    if (force) {
        static const char *const files[] = {"config.json", "metrics.csv", "layers.csv",
                                            "checkpoint.bin", "checkpoint.prev.bin"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            char path[1100];
            if (fs_join(path, sizeof path, dir, files[i], NULL) == GAN_OK)
                unlink(path);
        }
        char samples[1100];
        if (fs_join(samples, sizeof samples, dir, "samples", NULL) == GAN_OK) {
            for (int e = 0; e <= 100000; e++) {
                char png[1200];
                snprintf(png, sizeof png, "%s/epoch_%04d.png", samples, e);
                if (unlink(png) != 0 && e > 0 && errno == ENOENT && e % 1000 == 0)
                    break;
            }
        }
    }
    char samples[1100];
    rc = fs_join(samples, sizeof samples, dir, "samples", err);
    if (!rc)
        rc = fs_mkdirs(samples, err);
    return rc;
}

/* --- the loop ------------------------------------------------------- */

static void shuffle_epoch(run_t *run, int epoch)
{
    rng_t shuffle;
    rng_seed(&shuffle, run->cfg.seed, TRAIN_STREAM_SHUFFLE + (uint64_t)epoch);
    for (size_t i = 0; i < run->n_images; i++)
        run->order[i] = (uint32_t)i;
    rng_shuffle_u32(&shuffle, run->order, run->n_images);
}

static void report(const run_t *run, train_progress_t *p)
{
    if (run->opts->on_progress)
        run->opts->on_progress(run->opts->ctx, p);
}

static void progress_from_sums(train_progress_t *p, const run_t *run, double seconds)
{
    double steps = run->sums.steps > 0 ? run->sums.steps : 1;
    p->epoch = run->epoch + 1;
    p->epochs = run->cfg.epochs;
    p->step = run->step;
    p->steps = run->steps_per_epoch;
    p->d_loss = run->sums.d_loss / steps;
    p->g_loss = run->sums.g_loss / steps;
    p->epoch_seconds = seconds;
    p->images_per_sec = seconds > 0 ? run->sums.steps * run->cfg.batch / seconds : 0;
    p->batch = run->cfg.batch;
    p->image_size = run->cfg.arch.image_size;
    p->z_dim = run->cfg.arch.z_dim;
    p->run_dir = run->opts->run_dir;
}

static int finish_epoch(run_t *run, gan_err_t *err)
{
    const gan_t *gan = &run->gan;
    size_t bad_g = health_first_nonfinite(gan->g.params, gan->g.n_params);
    size_t bad_d = health_first_nonfinite(gan->d.params, gan->d.n_params);
    if (bad_g < gan->g.n_params || bad_d < gan->d.n_params)
        return gan_err_set(err, GAN_ERR_RUNTIME,
                           "%s: training diverged in epoch %d (non-finite %s parameter); the last "
                           "good checkpoint and metrics are kept",
                           run->opts->run_dir, run->epoch + 1,
                           bad_g < gan->g.n_params ? "G" : "D");
    const epoch_sums_t *s = &run->sums;
    train_metrics_t m = {
        .epoch = run->epoch + 1,
        .steps = (long)s->steps,
        .g_loss = s->g_loss / s->steps,
        .d_loss = s->d_loss / s->steps,
        .d_acc_real = s->acc_real / s->steps,
        .d_acc_fake = s->acc_fake / s->steps,
        .d_real = s->d_real / s->steps,
        .d_fake = s->d_fake / s->steps,
        .seconds = s->seconds,
        .images_per_sec = s->seconds > 0 ? s->steps * run->cfg.batch / s->seconds : 0,
    };
    m.d_acc = 0.5 * (m.d_acc_real + m.d_acc_fake);
    int rc = append_metrics_row(run, &m, err);
    if (!rc)
        rc = write_layer_rows(run, m.epoch, s->steps, err);
    if (rc)
        return rc;
    run->epoch++;
    run->step = 0;
    memset(&run->sums, 0, sizeof run->sums);
    memset(run->grad_norm_sums, 0, sizeof run->grad_norm_sums);
    if (run->epoch % run->cfg.sample_every == 0 || run->epoch == run->cfg.epochs) {
        rc = write_samples(run, run->epoch, err);
        if (rc)
            return rc;
    }
    rc = write_checkpoint(run, err);
    if (rc)
        return rc;
    train_progress_t p = {.event = TRAIN_EVENT_EPOCH, .metrics = &m};
    progress_from_sums(&p, run, m.seconds);
    p.epoch = m.epoch;
    p.step = p.steps;
    p.d_loss = m.d_loss;
    p.g_loss = m.g_loss;
    p.images_per_sec = m.images_per_sec;
    report(run, &p);
    return GAN_OK;
}

static int train_loop(run_t *run, gan_err_t *err)
{
    const train_cfg_t *cfg = &run->cfg;
    const int batch = cfg->batch;
    while (run->epoch < cfg->epochs) {
        shuffle_epoch(run, run->epoch + 1);
        double start = now_seconds() - run->sums.seconds;
        while (run->step < run->steps_per_epoch) {
            mnist_batch(run->real, &run->data, run->order + (size_t)run->step * batch, batch);
            rng_fill_normal(&run->noise_rng, run->z, (size_t)batch * cfg->arch.z_dim, 0.0f, 1.0f);
            gan_stats_t st;
            gan_step(&run->gan, run->real, run->z, batch, &st);
            if (!isfinite(st.d_loss) || !isfinite(st.g_loss))
                return gan_err_set(err, GAN_ERR_RUNTIME,
                                   "%s: training diverged at epoch %d step %ld (d_loss %g, "
                                   "g_loss %g); the last good checkpoint and metrics are kept",
                                   run->opts->run_dir, run->epoch + 1, run->step + 1, st.d_loss,
                                   st.g_loss);
            add_grad_norms(run->grad_norm_sums[0], &run->gan.g);
            add_grad_norms(run->grad_norm_sums[1], &run->gan.d);
            epoch_sums_t *s = &run->sums;
            s->d_loss += st.d_loss;
            s->g_loss += st.g_loss;
            s->d_real += st.d_real;
            s->d_fake += st.d_fake;
            s->acc_real += st.acc_real;
            s->acc_fake += st.acc_fake;
            s->steps += 1;
            run->step++;
            s->seconds = now_seconds() - start;

            train_progress_t p = {.event = TRAIN_EVENT_STEP, .real = run->real, .z = run->z};
            progress_from_sums(&p, run, s->seconds);
            report(run, &p);
            if (run->opts->stop && *run->opts->stop && run->step < run->steps_per_epoch) {
                int rc = write_checkpoint(run, err);
                return rc ? rc : TRAIN_STOPPED;
            }
        }
        int rc = finish_epoch(run, err);
        if (rc)
            return rc;
        if (run->opts->stop && *run->opts->stop && run->epoch < cfg->epochs)
            return TRAIN_STOPPED;
    }
    return GAN_OK;
}

static int start_new_run(run_t *run, gan_err_t *err)
{
    const char *dir = run->opts->run_dir;
    int rc = make_run_folder(dir, run->opts->force, err);
    if (rc)
        return rc;
    rc = write_config_json(run, dir, err);
    if (rc)
        return rc;
    rng_t g_rng, d_rng, fixed_rng;
    rng_seed(&g_rng, run->cfg.seed, TRAIN_STREAM_G_INIT);
    rng_seed(&d_rng, run->cfg.seed, TRAIN_STREAM_D_INIT);
    rng_seed(&fixed_rng, run->cfg.seed, TRAIN_STREAM_FIXED_NOISE);
    rng_seed(&run->noise_rng, run->cfg.seed, TRAIN_STREAM_NOISE);
    gan_init(&run->gan, run->cfg.g_init, run->cfg.d_init, run->cfg.init_std, &g_rng, &d_rng);
    rng_fill_normal(&fixed_rng, run->fixed_noise,
                    (size_t)run->n_samples * run->cfg.arch.z_dim, 0.0f, 1.0f);
    rc = atomic_write_bytes(run->path_metrics, METRICS_CSV_COLUMNS "\n",
                            strlen(METRICS_CSV_COLUMNS) + 1, err);
    if (!rc)
        rc = atomic_write_bytes(run->path_layers, LAYERS_CSV_COLUMNS "\n",
                                strlen(LAYERS_CSV_COLUMNS) + 1, err);
    if (!rc)
        rc = write_layer_rows(run, 0, 0, err);
    if (!rc)
        rc = write_samples(run, 0, err);
    if (!rc)
        rc = write_checkpoint(run, err);
    return rc;
}

static int resume_run(run_t *run, gan_err_t *err)
{
    /* A second Ctrl-C may have killed us inside an atomic write. */
    fs_remove_stale_temps(run->opts->run_dir);
    fs_remove_stale_temps(run->path_samples);
    ckpt_file_t ckpt;
    char path[1100];
    int rc = read_latest_checkpoint(&ckpt, path, sizeof path, run->opts->run_dir, err);
    if (rc)
        return rc;
    rc = restore_state(&run->gan, run, &ckpt, path, err);
    ckpt_free(&ckpt);
    /* --epochs may have been raised: config.json follows the checkpoint. */
    if (!rc)
        rc = write_config_json(run, run->opts->run_dir, err);
    if (!rc)
        rc = trim_csv(run->path_metrics, METRICS_CSV_COLUMNS, run->epoch, err);
    if (!rc)
        rc = trim_csv(run->path_layers, LAYERS_CSV_COLUMNS, run->epoch, err);
    return rc;
}

int train_run(const train_cfg_t *cfg, const train_opts_t *opts, gan_err_t *err)
{
    run_t run;
    memset(&run, 0, sizeof run);
    run.opts = opts;
    int rc = run_paths(&run, opts->run_dir, err);
    if (!rc)
        rc = run_prepare(&run, cfg, err);
    if (!rc)
        rc = opts->resume ? resume_run(&run, err) : start_new_run(&run, err);
    if (!rc) {
        train_progress_t p = {.event = TRAIN_EVENT_START};
        progress_from_sums(&p, &run, run.sums.seconds);
        report(&run, &p);
        rc = train_loop(&run, err);
    }
    run_free(&run);
    return rc;
}
