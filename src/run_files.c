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
#include "gan/threads.h"
#include "train_internal.h"

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
            "  \"openmp_threads\": %d,\n  \"products\": \"%s\",\n"
            "  \"last_started\": \"%s\",\n  \"version\": \"%s\"\n}\n",
            run->data.n, run->steps_per_epoch, run->data_crc, threads_openblas(), threads_openmp(),
            run->products, started, GAN_VERSION);
    return atomic_commit(&af, err);
}

const char *run_metrics_header(const run_t *run)
{
    if (run->metrics_without_g_acc)
        return run->cfg.eval_every > 0
                   ? METRICS_CSV_REQUIRED_COLUMNS "," METRICS_CSV_EVAL_COLUMNS
                   : METRICS_CSV_REQUIRED_COLUMNS;
    return run->cfg.eval_every > 0 ? METRICS_CSV_COLUMNS "," METRICS_CSV_EVAL_COLUMNS
                                   : METRICS_CSV_COLUMNS;
}

void run_detect_metrics_shape(run_t *run)
{
    char head[sizeof METRICS_CSV_COLUMNS + 1];
    size_t n = 0;
    int fd;
    /* Never blocks: a FIFO is refused here (and named by the trim that
     * reads the file next). */
    if (fs_open_regular(run->path_metrics, NULL, &fd, NULL, NULL) == GAN_OK) {
        ssize_t got;
        while (n < sizeof head - 1 &&
               ((got = read(fd, head + n, sizeof head - 1 - n)) > 0 || (got < 0 && errno == EINTR)))
            n += got > 0 ? (size_t)got : 0;
        close(fd);
    }
    head[n] = '\0';
    /* A run started before g_acc existed keeps its rows' shape to the end. */
    size_t legacy = strlen(METRICS_CSV_REQUIRED_COLUMNS);
    run->metrics_without_g_acc = n > legacy &&
                                 strncmp(head, METRICS_CSV_REQUIRED_COLUMNS, legacy) == 0 &&
                                 (head[legacy] == '\n' || head[legacy] == '\r' ||
                                  (head[legacy] == ',' && strncmp(head + legacy + 1, "g_acc", 5)));
}

static void format_metrics_row(char *out, size_t size, const train_metrics_t *m,
                               int with_eval, int with_g_acc)
{
    int len = snprintf(out, size, "%d,%ld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f",
                       m->epoch, m->steps, m->g_loss, m->d_loss, m->d_acc, m->d_acc_real,
                       m->d_acc_fake, m->d_real, m->d_fake, m->seconds, m->images_per_sec);
    if (with_g_acc)
        len += snprintf(out + len, size - (size_t)len, ",%.6f", m->g_acc);
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

int run_trim_csv(const char *path, const csv_vouch_t *vouch, csv_trim_report_t *report,
                 gan_err_t *err)
{
    memset(report, 0, sizeof *report);
    char *text = NULL;
    size_t len = 0;
    int exists = fs_exists(path);
    if (exists) {
        int rc = fs_read_all(path, METRICS_CSV_MAX_BYTES, &text, &len, err);
        if (rc)
            return rc;
    }
    atomic_file_t af;
    int rc = atomic_begin(&af, path, err);
    if (rc) {
        free(text);
        return rc;
    }
    rc = metrics_csv_trim(af.fp, exists ? (text ? text : "") : NULL, len, path, vouch, report,
                          err);
    free(text);
    if (rc) {
        atomic_abort(&af);
        return rc;
    }
    return atomic_commit(&af, err);
}

/* Appends one row and makes it durable, so a crash loses at most the epoch
 * in progress. */
int run_append_metrics(run_t *run, const train_metrics_t *m, gan_err_t *err)
{
    char line[4096];
    format_metrics_row(line, sizeof line, m, run->cfg.eval_every > 0, !run->metrics_without_g_acc);
    int rc = run_guard(run, err);
    if (!rc)
        rc = fs_append_durably(run->path_metrics, line, err);
    return rc ? rc : run_log_metrics(run, run_metrics_header(run), line,
                                     (int64_t)m->epoch * run->steps_per_epoch, err);
}

/* Rows of layers.csv for one net: the statistics of each layer's output on
 * the probe batch of its last forward. */
static int format_layer_rows(FILE *fp, run_t *run, int epoch, const char *name,
                             const mlp_t *net, const double *grad_norm_sums, double steps,
                             float *prob, gan_err_t *err)
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
        /* The histograms show what the row summarizes: the weights (biases
         * left out, as weight_std) and the same activations. */
        int rc = run_log_histograms(run, name, l, net->params + layer->w_off,
                                    (size_t)layer->n_in * layer->n_out, y, n,
                                    (int64_t)epoch * run->steps_per_epoch, err);
        if (rc)
            return rc;
    }
    return GAN_OK;
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
    int rc = format_layer_rows(mem, run, epoch, "G", &run->gan.g, run->grad_norm_sums[0], steps,
                               run->probe_prob, err);
    mlp_forward_fp32(&run->gan.d, run->probe_real, n_probe);
    if (!rc)
        rc = format_layer_rows(mem, run, epoch, "D", &run->gan.d, run->grad_norm_sums[1], steps,
                               run->probe_prob, err);
    fclose(mem);
    if (!rc)
        rc = run_guard(run, err);
    if (!rc)
        rc = fs_append_durably(run->path_layers, text, err);
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
    char path[PATH_MAX];
    int rc = run_guard(run, err);
    if (!rc)
        rc = run_sample_path(path, run->opts->run_dir, epoch, err);
    if (!rc)
        rc = png_grid_write(path, run->samples, run->n_samples, cfg->grid, run->data.rows,
                            run->data.cols, 2, err);
    int width, height;
    png_grid_size(run->n_samples, cfg->grid, run->data.rows, run->data.cols, 2, &width, &height);
    return rc ? rc : run_log_image(run, path, height, width,
                                   (int64_t)epoch * run->steps_per_epoch, err);
}

static int is_sample_grid(const char *name)
{
    return run_epoch_of_name(name, RUN_SAMPLES) >= 0;
}

void run_remove_files(const char *dir)
{
    static const run_file_t files[] = {RUN_CONFIG, RUN_METRICS, RUN_LAYERS, RUN_STEPS,
                                       RUN_CKPT, RUN_CKPT_PREV, RUN_CKPT_NEW};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (run_path(path, dir, files[i], NULL) == GAN_OK)
            unlink(path);
    /* A replaced run's event files would mix into the new run's curves. */
    fs_remove_files(dir, run_is_events_file);
    fs_remove_stale_temps(dir);
    if (run_path(path, dir, RUN_SAMPLES, NULL) == GAN_OK) {
        fs_remove_files(path, is_sample_grid);
        fs_remove_stale_temps(path);
    }
    /* A replaced run's kept epochs are not the new run's. */
    int *kept = NULL, n_kept = 0;
    if (run_kept_epochs(&kept, &n_kept, dir, NULL) == GAN_OK)
        for (int i = 0; i < n_kept; i++)
            if (run_kept_path(path, dir, kept[i], NULL) == GAN_OK)
                unlink(path);
    free(kept);
    if (run_path(path, dir, RUN_KEPT, NULL) == GAN_OK)
        fs_remove_stale_temps(path);
}

int run_make_folder(run_t *run, const char *dir, int force, gan_err_t *err)
{
    if (fs_exists(dir) && !fs_is_dir(dir))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: exists and is not a folder", dir);
    int rc = fs_mkdirs(dir, err);
    /* The lock first, then the look at what is there: two processes
     * starting the same run cannot both see an empty folder. */
    if (!rc && !run->lock)
        rc = run_lock_acquire(&run->lock, dir, run->opts->stale_seconds, err);
    if (rc)
        return rc;
    run_status_t st;
    rc = run_status(&st, dir, NULL);
    if (!force && rc == GAN_OK && st.state == RUN_STATE_STARTED)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: a run was started here but stopped before "
                           "its first checkpoint; add --force to start it over", dir);
    if (!force && (rc != GAN_OK || st.state >= RUN_STATE_PARTIAL))
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: a run already exists there; use --resume=%s to continue it, "
                           "--force to replace it, or another --name",
                           dir, dir);
    if (force)
        run_remove_files(dir);
    return fs_mkdirs(run->path_samples, err);
}
