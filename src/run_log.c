/* A run's TensorBoard event file; see run_log.h. The tags of the
 * metrics.csv columns are listed here once. */
#include "gan/run_log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/fsutil.h"

int run_log_open(events_writer_t **out, const char *dir, int64_t resume_step,
                 events_gate_fn gate, void *ctx, gan_err_t *err)
{
    double now = events_wall_time();
    int rc = events_open(out, dir, now, err);
    if (!rc)
        events_set_gate(*out, gate, ctx);
    /* The first step this process trains: see run_log.h. */
    if (!rc && resume_step > 0)
        rc = events_write_session_start(*out, resume_step, now, err);
    return rc;
}

int run_log_step(events_writer_t *ev, const run_step_row_t *r, gan_err_t *err)
{
    if (!ev)
        return GAN_OK;
    double now = events_wall_time();
    int rc = events_write_scalar(ev, "step/g_loss", r->step, now, r->g_loss, err);
    if (!rc)
        rc = events_write_scalar(ev, "step/d_loss", r->step, now, r->d_loss, err);
    if (!rc)
        rc = events_write_scalar(ev, "step/d_real", r->step, now, r->d_real, err);
    if (!rc)
        rc = events_write_scalar(ev, "step/d_fake", r->step, now, r->d_fake, err);
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

int run_log_metrics(events_writer_t *ev, const char *header, const char *row, int64_t step,
                    gan_err_t *err)
{
    if (!ev)
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
            rc = events_write_scalar(ev, tag, step, now, (float)x, err);
        }
        h += hn + (h[hn] == ',');
        v += vn + (v[vn] == ',');
    }
    return rc;
}

int run_log_histograms(events_writer_t *ev, const char *net_name, const char *layer_name,
                       const float *weights, size_t n_weights, const float *acts, size_t n_acts,
                       int64_t step, gan_err_t *err)
{
    if (!ev)
        return GAN_OK;
    char tag[64];
    double now = events_wall_time();
    snprintf(tag, sizeof tag, "%s/%s/weights", net_name, layer_name);
    int rc = n_weights ? events_write_histogram(ev, tag, step, now, weights, n_weights, err)
                       : GAN_OK;
    snprintf(tag, sizeof tag, "%s/%s/activations", net_name, layer_name);
    if (!rc)
        rc = events_write_histogram(ev, tag, step, now, acts, n_acts, err);
    return rc;
}

int run_log_image(events_writer_t *ev, const char *png_path, int height, int width, int64_t step,
                  gan_err_t *err)
{
    if (!ev)
        return GAN_OK;
    char *png = NULL;
    size_t n = 0;
    int rc = fs_read_all(png_path, (size_t)16 << 20 /* 32 x 32 grid: ~1 MB */, &png, &n, err);
    if (!rc)
        rc = events_write_image(ev, "samples", step, events_wall_time(), png, n, height,
                                width, EVENTS_GRAY, err);
    free(png);
    return rc;
}
