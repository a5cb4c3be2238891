/* Watching a run while it trains (issue 15): steps.csv and the run's
 * TensorBoard event file (events.h). The loop in train.c calls these; the
 * epoch-level files (metrics.csv, layers.csv, grids) call the event writers
 * for their own values, so TensorBoard shows exactly what the files hold.
 *
 * Steps are global: steps done since the run started (epoch *
 * steps_per_epoch + steps done in the epoch), so the first step is 1 and the
 * end of epoch e is e * steps_per_epoch. Everything a checkpoint vouches for
 * then has a step at most the checkpoint's, and a resumed process, whose
 * first step is one more, can open its event file with a SessionLog START
 * there: TensorBoard drops what the killed process logged after the
 * checkpoint (events with step >= START's), and keeps the rest.
 *
 * Nothing here allocates in the step loop: the rows of steps.csv go to a
 * table sized for an epoch when the run is prepared, and the step scalars
 * through the writer's record buffer. Rows reach the disk at the end of the
 * epoch (and before a Ctrl-C checkpoint), with the metrics row, so steps.csv
 * holds exactly the steps the checkpoint vouches for, give or take the rows
 * a resume trims. Not done here: reading event files (tests do, with protoc). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan/fsutil.h"
#include "gan/metrics_csv.h"
#include "gan/png_grid.h"
#include "train_internal.h"

int64_t run_global_step(const run_t *run)
{
    return (int64_t)run->epoch * run->steps_per_epoch + run->step;
}

int run_log_prepare(run_t *run, gan_err_t *err)
{
    int every = run->cfg.log_every;
    if (every <= 0)
        return GAN_OK;
    /* The first step and every every-th: at most spe / every + 2 in an epoch. */
    run->max_step_rows = run->steps_per_epoch / every + 2;
    run->step_rows = malloc((size_t)run->max_step_rows * sizeof *run->step_rows);
    if (!run->step_rows)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    return GAN_OK;
}

/* The event writer asks before anything reaches its file: a writer that
 * lost its lock writes no event (and drops what it buffered). */
static int lock_gate(void *ctx, gan_err_t *err)
{
    return run_guard(ctx, err);
}

int run_log_open(run_t *run, int resumed, gan_err_t *err)
{
    if (!run->cfg.events)
        return GAN_OK;
    double now = events_wall_time();
    int rc = run_guard(run, err);
    if (!rc)
        rc = events_open(&run->events, run->opts->run_dir, now, err);
    if (!rc)
        events_set_gate(run->events, lock_gate, run);
    /* The first step this process trains: see the top of this file. */
    if (!rc && resumed)
        rc = events_write_session_start(run->events, run_global_step(run) + 1, now, err);
    return rc;
}

int run_log_close(run_t *run, gan_err_t *err)
{
    int rc = events_close(run->events, err);
    run->events = NULL;
    return rc;
}

void run_log_free(run_t *run)
{
    events_close(run->events, NULL);
    run->events = NULL;
    free(run->step_rows);
    run->step_rows = NULL;
}

int run_log_step(run_t *run, const gan_stats_t *st, gan_err_t *err)
{
    int every = run->cfg.log_every;
    int64_t step = run_global_step(run);
    if (every <= 0 || (step % every != 0 && step != 1) || run->n_step_rows >= run->max_step_rows)
        return GAN_OK;
    step_row_t *r = &run->step_rows[run->n_step_rows++];
    *r = (step_row_t){step, run->epoch + 1, (float)st->g_loss, (float)st->d_loss,
                      (float)st->d_real, (float)st->d_fake};
    if (!run->events)
        return GAN_OK;
    double now = events_wall_time();
    int rc = events_write_scalar(run->events, "step/g_loss", step, now, r->g_loss, err);
    if (!rc)
        rc = events_write_scalar(run->events, "step/d_loss", step, now, r->d_loss, err);
    if (!rc)
        rc = events_write_scalar(run->events, "step/d_real", step, now, r->d_real, err);
    if (!rc)
        rc = events_write_scalar(run->events, "step/d_fake", step, now, r->d_fake, err);
    return rc;
}

int run_log_write_steps(run_t *run, gan_err_t *err)
{
    if (run->n_step_rows == 0)
        return GAN_OK;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    /* %.9g: the float the event file holds, to the last bit. */
    for (long i = 0; i < run->n_step_rows; i++) {
        const step_row_t *r = &run->step_rows[i];
        fprintf(mem, "%lld,%d,%.9g,%.9g,%.9g,%.9g\n", (long long)r->step, r->epoch,
                (double)r->g_loss, (double)r->d_loss, (double)r->d_real, (double)r->d_fake);
    }
    if (fclose(mem) != 0 || !text) {
        free(text);
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    int rc = run_guard(run, err);
    if (!rc)
        rc = fs_append_durably(run->path_steps, text, err);
    free(text);
    if (!rc)
        run->n_step_rows = 0;
    return rc;
}

/* The TensorBoard tag of a metrics.csv column: grouped by what it
 * measures. Columns without an entry go to "other/". */
static void metric_tag(char *out, size_t size, const char *col)
{
    static const char *const tags[][2] = {
        {"epoch", "progress/epoch"},       {"steps", "progress/steps"},
        {"g_loss", "loss/g"},              {"d_loss", "loss/d"},
        {"d_acc", "d/acc"},                {"d_acc_real", "d/acc_real"},
        {"d_acc_fake", "d/acc_fake"},      {"d_real", "d/real"},
        {"d_fake", "d/fake"},              {"g_acc", "g/acc"},
        {"seconds", "time/seconds"},       {"images_per_sec", "time/images_per_sec"},
        {"eval_seconds", "time/eval_seconds"}, {"fd", "quality/fd"},
        {"class_entropy", "quality/class_entropy"},
        {"classes_covered", "quality/classes_covered"},
        {"class_confidence", "quality/class_confidence"},
    };
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strcmp(col, tags[i][0]) == 0) {
            snprintf(out, size, "%s", tags[i][1]);
            return;
        }
    snprintf(out, size, "%s/%s", strncmp(col, "class_", 6) == 0 ? "quality" : "other", col);
}

int run_log_metrics(run_t *run, const char *header, const char *row, int64_t step,
                    gan_err_t *err)
{
    if (!run->events)
        return GAN_OK;
    double now = events_wall_time();
    const char *h = header, *v = row;
    int rc = GAN_OK;
    while (*h && *v && !rc) {
        size_t hn = strcspn(h, ","), vn = strcspn(v, ",\n");
        char col[64], tag[96], num[64];
        snprintf(col, sizeof col, "%.*s", (int)hn, h);
        snprintf(num, sizeof num, "%.*s", (int)vn, v);
        /* The value as metrics.csv has it (parsed from the row), so the two
         * agree; "nan" marks an epoch without evaluation: no point. */
        double x = strtod(num, NULL);
        if (!isnan(x)) {
            metric_tag(tag, sizeof tag, col);
            rc = events_write_scalar(run->events, tag, step, now, (float)x, err);
        }
        h += hn + (h[hn] == ',');
        v += vn + (v[vn] == ',');
    }
    return rc;
}

int run_log_histograms(run_t *run, const char *net_name, int layer, const float *weights,
                       size_t n_weights, const float *acts, size_t n_acts, int64_t step,
                       gan_err_t *err)
{
    if (!run->events)
        return GAN_OK;
    char tag[64];
    double now = events_wall_time();
    snprintf(tag, sizeof tag, "%s/layer%d/weights", net_name, layer);
    int rc = events_write_histogram(run->events, tag, step, now, weights, n_weights, err);
    snprintf(tag, sizeof tag, "%s/layer%d/activations", net_name, layer);
    if (!rc)
        rc = events_write_histogram(run->events, tag, step, now, acts, n_acts, err);
    return rc;
}

int run_log_image(run_t *run, const char *png_path, int height, int width, int64_t step,
                  gan_err_t *err)
{
    if (!run->events)
        return GAN_OK;
    char *png = NULL;
    size_t n = 0;
    int rc = fs_read_all(png_path, (size_t)16 << 20 /* 32 x 32 grid: ~1 MB */, &png, &n, err);
    if (!rc)
        rc = events_write_image(run->events, "samples", step, events_wall_time(), png, n, height,
                                width, EVENTS_GRAY, err);
    free(png);
    return rc;
}

int run_log_flush(run_t *run, gan_err_t *err)
{
    return run->events ? events_flush(run->events, err) : GAN_OK;
}
