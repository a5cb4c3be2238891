/* The files of a run folder besides the checkpoint: config.json,
 * metrics.csv, layers.csv and the sample grids, and the folder itself. */
#include <cblas.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gan/act_stats.h"
#include "gan/fsutil.h"
#include "gan/metrics_csv.h"
#include "gan/png_grid.h"
#include "train_internal.h"

/* CRC32 of the training pixels in use: identifies the data in config.json
 * whatever file format it came from. */
static uint32_t data_crc(const run_t *run)
{
    return ckpt_crc32(run->data.images, run->n_images * (size_t)run->cfg.arch.image_size);
}

int run_write_config(const run_t *run, const char *dir, gan_err_t *err)
{
    atomic_file_t af;
    int rc = atomic_begin_in(&af, dir, "config.json", err);
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

const char *run_metrics_header(const run_t *run)
{
    return run->cfg.eval_every > 0 ? METRICS_CSV_COLUMNS "," METRICS_CSV_EVAL_COLUMNS
                                   : METRICS_CSV_COLUMNS;
}

static void format_metrics_row(char *out, size_t size, const train_metrics_t *m,
                               int with_eval)
{
    int len = snprintf(out, size, "%d,%ld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f",
                       m->epoch, m->steps, m->g_loss, m->d_loss, m->d_acc, m->d_acc_real,
                       m->d_acc_fake, m->d_real, m->d_fake, m->seconds, m->images_per_sec);
    if (with_eval && m->evaluated) {
        const coverage_t *c = &m->eval.coverage;
        len += snprintf(out + len, size - (size_t)len, ",%.4f,%.4f,%d,%.4f,%.3f", m->eval.fd,
                        c->entropy_bits, c->classes_covered, c->mean_confidence,
                        m->eval_seconds);
        for (int k = 0; k < CLASSIFIER_N_CLASSES; k++)
            len += snprintf(out + len, size - (size_t)len, ",%.4f",
                            c->n ? (double)c->counts[k] / (double)c->n : 0.0);
    } else if (with_eval) {
        for (int k = 0; k < METRICS_CSV_N_EVAL_COLUMNS; k++)
            len += snprintf(out + len, size - (size_t)len, ",nan");
    }
    snprintf(out + len, size - (size_t)len, "\n");
}

/* On resume: keep the header and the rows of finished epochs only (a crash
 * between a row and its checkpoint would otherwise duplicate the row). Rows
 * start with their epoch; epoch 0 rows (layers.csv) are kept too. */
int run_trim_csv(const char *path, const char *header, int max_epoch, gan_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    if (fs_read_all(path, METRICS_CSV_MAX_BYTES, &text, &len, NULL) != GAN_OK)
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
int run_append_metrics(const run_t *run, const train_metrics_t *m, gan_err_t *err)
{
    char line[1024];
    format_metrics_row(line, sizeof line, m, run->cfg.eval_every > 0);
    return append_durably(run->path_metrics, line, err);
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
int run_write_layer_rows(run_t *run, int epoch, double steps, gan_err_t *err)
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

int run_write_samples(run_t *run, int epoch, gan_err_t *err)
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

static int is_sample_grid(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "epoch_", 6) == 0 && n > 4 && strcmp(name + n - 4, ".png") == 0;
}

/* A new run's folder: refused if it already holds a run, unless force, in
 * which case the old run's files are removed first. */
int run_make_folder(const char *dir, int force, gan_err_t *err)
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
        if (fs_join(samples, sizeof samples, dir, "samples", NULL) == GAN_OK)
            fs_remove_files(samples, is_sample_grid);
    }
    char samples[1100];
    rc = fs_join(samples, sizeof samples, dir, "samples", err);
    if (!rc)
        rc = fs_mkdirs(samples, err);
    return rc;
}
