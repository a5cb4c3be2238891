/* The files of a run folder besides the checkpoints and the lock; see
 * run_files.h. Formats and paths only: the values come in as plain rows
 * from the trainer (train_log.c). */
#include "gan/run_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gan/fsutil.h"
#include "gan/png_grid.h"
#include "gan/threads.h"

/* Pixels between the cells of a sample grid (and around them). */
#define GRID_PADDING 2

int run_write_config(const char *dir, const train_cfg_t *cfg, const run_facts_t *facts,
                     gan_err_t *err)
{
    atomic_file_t af;
    int rc = atomic_begin_in(&af, dir, run_file_name(RUN_CONFIG), err);
    if (rc)
        return rc;
    char started[32];
    time_t t = time(NULL);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    fputs("{\n", af.fp);
    train_cfg_write_fields(af.fp, cfg);
    fprintf(af.fp,
            ",\n  \"train_images\": %zu,\n  \"steps_per_epoch\": %ld,\n"
            "  \"train_pixels_crc32\": \"%08x\",\n  \"openblas_threads\": %d,\n"
            "  \"openmp_threads\": %d,\n  \"products\": \"%s\",\n"
            "  \"last_started\": \"%s\",\n  \"version\": \"%s\"\n}\n",
            facts->train_images, facts->steps_per_epoch, facts->train_pixels_crc32,
            threads_openblas(), threads_openmp(), facts->products, started, GAN_VERSION);
    return atomic_commit(&af, err);
}

const char *run_metrics_header(int with_eval, int with_g_acc)
{
    if (!with_g_acc)
        return with_eval ? METRICS_CSV_REQUIRED_COLUMNS "," METRICS_CSV_EVAL_COLUMNS
                         : METRICS_CSV_REQUIRED_COLUMNS;
    return with_eval ? METRICS_CSV_COLUMNS "," METRICS_CSV_EVAL_COLUMNS : METRICS_CSV_COLUMNS;
}

int run_layers_without_name(const char *dir)
{
    char path[PATH_MAX], head[sizeof LAYERS_CSV_COLUMNS + 1];
    size_t n = 0, want = strlen(LAYERS_CSV_COLUMNS);
    int fd;
    if (run_path(path, dir, RUN_LAYERS, NULL) != GAN_OK ||
        fs_open_regular(path, NULL, &fd, NULL, NULL) != GAN_OK)
        return 0;
    ssize_t got;
    while (n < want + 1 &&
           ((got = read(fd, head + n, want + 1 - n)) > 0 || (got < 0 && errno == EINTR)))
        n += got > 0 ? (size_t)got : 0;
    close(fd);
    return n == want + 1 && memcmp(head, LAYERS_CSV_COLUMNS, want) == 0 &&
           (head[want] == '\n' || head[want] == '\r');
}

int run_metrics_without_g_acc(const char *dir)
{
    char path[PATH_MAX], head[sizeof METRICS_CSV_COLUMNS + 1];
    size_t n = 0;
    int fd;
    /* Never blocks: a FIFO is refused here (and named by the trim that
     * reads the file next). */
    if (run_path(path, dir, RUN_METRICS, NULL) == GAN_OK &&
        fs_open_regular(path, NULL, &fd, NULL, NULL) == GAN_OK) {
        ssize_t got;
        while (n < sizeof head - 1 &&
               ((got = read(fd, head + n, sizeof head - 1 - n)) > 0 || (got < 0 && errno == EINTR)))
            n += got > 0 ? (size_t)got : 0;
        close(fd);
    }
    head[n] = '\0';
    /* A run started before g_acc existed keeps its rows' shape to the end. */
    size_t legacy = strlen(METRICS_CSV_REQUIRED_COLUMNS);
    return n > legacy && strncmp(head, METRICS_CSV_REQUIRED_COLUMNS, legacy) == 0 &&
           (head[legacy] == '\n' || head[legacy] == '\r' ||
            (head[legacy] == ',' && strncmp(head + legacy + 1, "g_acc", 5)));
}

void run_metrics_row(char *out, size_t size, const run_metrics_t *m, int with_eval,
                     int with_g_acc)
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

/* GAN_OK while lock (NULL: no lock to keep) is still ours: the check before
 * a write that replaces or removes what a new holder may have written. */
static int still_ours(const run_lock_t *lock, gan_err_t *err)
{
    return lock ? run_lock_check(lock, err) : GAN_OK;
}

int run_trim_csv(const char *path, const csv_vouch_t *vouch, const run_lock_t *lock,
                 csv_trim_report_t *report, gan_err_t *err)
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
    if (!rc)
        rc = still_ours(lock, err);
    if (rc) {
        atomic_abort(&af);
        return rc;
    }
    return atomic_commit(&af, err);
}

void run_write_layer_row_fp(FILE *fp, const run_layer_row_t *r)
{
    fprintf(fp, "%d,%s,%d,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g%s%s\n", r->epoch, r->net, r->layer,
            r->act, r->mean, r->std, r->frac_saturated, r->frac_negative, r->weight_std,
            r->grad_norm, r->name ? "," : "", r->name ? r->name : "");
}

/* %.9g: the float the event file holds, to the last bit. */
void run_write_step_row_fp(FILE *fp, const run_step_row_t *r)
{
    fprintf(fp, "%lld,%d,%.9g,%.9g,%.9g,%.9g\n", (long long)r->step, r->epoch, (double)r->g_loss,
            (double)r->d_loss, (double)r->d_real, (double)r->d_fake);
}

int run_append(const char *dir, run_file_t f, const char *text, gan_err_t *err)
{
    char path[PATH_MAX];
    int rc = run_path(path, dir, f, err);
    return rc ? rc : fs_append_durably(path, text, err);
}

int run_begin_csv(const char *dir, run_file_t f, const char *header, gan_err_t *err)
{
    char path[PATH_MAX], line[1024];
    int n = snprintf(line, sizeof line, "%s\n", header);
    int rc = run_path(path, dir, f, err);
    if (!rc && (n < 0 || n >= (int)sizeof line))
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: header line too long", path);
    return rc ? rc : atomic_write_bytes(path, line, (size_t)n, err);
}

int run_write_grid(const char *dir, int epoch, const float *images, int n, int grid, int rows,
                   int cols, int *width, int *height, gan_err_t *err)
{
    char path[PATH_MAX];
    png_grid_size(n, grid, rows, cols, GRID_PADDING, width, height);
    int rc = run_sample_path(path, dir, epoch, err);
    return rc ? rc : png_grid_write(path, images, n, grid, rows, cols, GRID_PADDING, err);
}

static int is_sample_grid(const char *name)
{
    return run_epoch_of_name(name, RUN_SAMPLES) >= 0;
}

int run_remove_files(const char *dir, const run_lock_t *lock, gan_err_t *err)
{
    static const run_file_t files[] = {RUN_CONFIG, RUN_METRICS, RUN_LAYERS, RUN_STEPS,
                                       RUN_CKPT, RUN_CKPT_PREV, RUN_CKPT_NEW};
    char path[PATH_MAX];
    int rc = GAN_OK;
    for (size_t i = 0; i < sizeof files / sizeof files[0] && !rc; i++)
        if (!(rc = still_ours(lock, err)) && !run_path(path, dir, files[i], NULL))
            unlink(path);
    /* A replaced run's event files would mix into the new run's curves. */
    if (!rc && !(rc = still_ours(lock, err))) {
        fs_remove_files(dir, run_is_events_file);
        fs_remove_stale_temps(dir);
    }
    if (!rc && !(rc = still_ours(lock, err)) &&
        run_path(path, dir, RUN_SAMPLES, NULL) == GAN_OK) {
        fs_remove_files(path, is_sample_grid);
        fs_remove_stale_temps(path);
    }
    /* A replaced run's kept epochs are not the new run's. */
    int *kept = NULL, n_kept = 0;
    if (!rc && run_kept_epochs(&kept, &n_kept, dir, NULL) == GAN_OK)
        for (int i = 0; i < n_kept && !rc; i++)
            if (!(rc = still_ours(lock, err)) &&
                run_kept_path(path, dir, kept[i], NULL) == GAN_OK)
                unlink(path);
    free(kept);
    if (!rc && !(rc = still_ours(lock, err)) && !run_path(path, dir, RUN_KEPT, NULL))
        fs_remove_stale_temps(path);
    return rc;
}

int run_make_folder(run_lock_t **lock, const char *dir, double stale_seconds, int force,
                    gan_err_t *err)
{
    if (fs_exists(dir) && !fs_is_dir(dir))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: exists and is not a folder", dir);
    int rc = fs_mkdirs(dir, err);
    /* The lock first, then the look at what is there: two processes
     * starting the same run cannot both see an empty folder. */
    if (!rc && !*lock)
        rc = run_lock_acquire(lock, dir, stale_seconds, err);
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
    if (force && (rc = run_remove_files(dir, *lock, err)) != GAN_OK)
        return rc;
    char samples[PATH_MAX];
    rc = run_path(samples, dir, RUN_SAMPLES, err);
    return rc ? rc : fs_mkdirs(samples, err);
}
