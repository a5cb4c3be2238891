/* The report's HTML page: the charts inline, the tables of final metrics
 * (per run, and mean +- std per group of seeds with a column per varying
 * axis), the class shares of evaluated runs and each run's sample grids
 * as base64 PNG data URIs: one file that opens anywhere, with no scripts
 * and no network. Writing only: the runs are read by report_runs.c and
 * the charts drawn by report_charts.c. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gan/fsutil.h"
#include "gan/metrics_csv.h"
#include "gan/run_dir.h"
#include "gan/svg.h"
#include "report_internal.h"

/* Writes n bytes as standard base64 (RFC 4648, with '=' padding, no line
 * breaks): the payload of a data URI. */
static void base64_fp(FILE *fp, const unsigned char *data, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char quad[4];
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        quad[0] = alphabet[v >> 18 & 63];
        quad[1] = alphabet[v >> 12 & 63];
        quad[2] = alphabet[v >> 6 & 63];
        quad[3] = alphabet[v & 63];
        fwrite(quad, 1, 4, fp);
    }
    if (i < n) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0);
        quad[0] = alphabet[v >> 18 & 63];
        quad[1] = alphabet[v >> 12 & 63];
        quad[2] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        quad[3] = '=';
        fwrite(quad, 1, 4, fp);
    }
}

static const char page_style[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px;color:#222;"
    "background:#fff}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px;"
    "border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}\n"
    ".sub{color:#666;font-size:13px;margin:0 0 12px}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}\n"
    ".charts svg{max-width:100%;height:auto;border:1px solid #eee}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}\n"
    "th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}\n"
    "th{background:#f4f4f4}td.l,th.l{text-align:left}\n"
    ".swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;"
    "vertical-align:-1px}\n"
    ".grids{display:flex;flex-wrap:wrap;gap:16px}\n"
    "figure{margin:0}figcaption{font-size:12px;color:#555;text-align:center;margin-top:4px}\n"
    "figure img{image-rendering:pixelated;border:1px solid #ccc;background:#000}\n"
    ".note{color:#888;font-style:italic}\n"
    "td.bar{vertical-align:bottom;text-align:center;font-size:11px;min-width:30px}\n"
    "td.bar span{display:block;width:18px;margin:0 auto 2px}\n";

static void put_number(FILE *fp, double v)
{
    if (isnan(v))
        fputs("nan", fp);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", fp);
    else
        fprintf(fp, "%.4g", v);
}

static double last_value(const metrics_csv_t *m, const char *col)
{
    return metrics_csv_col(m, col)[metrics_csv_rows(m) - 1];
}

static double column_sum(const metrics_csv_t *m, const char *col)
{
    const double *v = metrics_csv_col(m, col);
    double s = 0.0;
    for (int i = 0; i < metrics_csv_rows(m); i++)
        s += v[i];
    return s;
}

/* Columns of the final-metrics tables. */
static const struct {
    const char *col, *head;
} table_cols[] = {
    {"g_loss", "G loss"}, {"d_loss", "D loss"}, {"d_acc", "D acc"},
    {"d_real", "D(x)"},   {"d_fake", "D(G(z))"},
};
enum { N_TABLE_COLS = (int)(sizeof table_cols / sizeof table_cols[0]) };

static void put_swatch(FILE *fp, const char *colour)
{
    fprintf(fp, "<span class=\"swatch\" style=\"background:%s\"></span>", colour);
}

static const char *run_colour(const report_data_t *d, const report_run_t *run)
{
    return d->series[d->groups[run->group].series].colour;
}

/* The axes with a column in the tables: init always, the others when
 * their value differs between runs (g-init, d-init and seed never: init
 * and the seed column say them). */
static int table_axis(const report_data_t *d, int axis)
{
    return axis == AXIS_INIT || (d->varies[axis] && !report_axis_is_implied(axis));
}

static void put_axis_heads(FILE *fp, const report_data_t *d)
{
    for (int a = 0; a < report_n_axes(); a++)
        if (table_axis(d, a))
            fprintf(fp, "<th class=\"l\">%s</th>", report_axis_name(a));
}

/* The run's axis cells; the first one starts with the colour swatch. */
static void put_axis_cells(FILE *fp, const report_data_t *d, const report_run_t *run)
{
    int first = 1;
    for (int a = 0; a < report_n_axes(); a++) {
        if (!table_axis(d, a))
            continue;
        fputs("<td class=\"l\">", fp);
        if (first)
            put_swatch(fp, run_colour(d, run));
        first = 0;
        svg_escape(fp, run->axis[a][0] ? run->axis[a] : "?");
        fputs("</td>", fp);
    }
}

static void write_run_table(FILE *fp, const report_data_t *d)
{
    fputs("<table>\n<tr><th class=\"l\">run</th>", fp);
    put_axis_heads(fp, d);
    fputs("<th>seed</th><th>epochs</th>", fp);
    for (int c = 0; c < N_TABLE_COLS; c++)
        fprintf(fp, "<th>%s</th>", table_cols[c].head);
    fputs("<th>train time (s)</th><th>images/s</th></tr>\n", fp);
    for (int r = 0; r < d->n_runs; r++) {
        const report_run_t *run = &d->runs[r];
        const metrics_csv_t *m = run->metrics;
        fputs("<tr><td class=\"l\">", fp);
        svg_escape(fp, run->label);
        fputs("</td>", fp);
        put_axis_cells(fp, d, run);
        fputs("<td>", fp);
        if (run->has_seed)
            fprintf(fp, "%.0f", run->seed);
        else
            fputs("-", fp);
        fprintf(fp, "</td><td>%.0f", last_value(m, "epoch"));
        if (isfinite(run->epochs_cfg) && run->epochs_cfg > last_value(m, "epoch"))
            fprintf(fp, " of %.0f", run->epochs_cfg);
        fputs("</td>", fp);
        for (int c = 0; c < N_TABLE_COLS; c++) {
            fputs("<td>", fp);
            put_number(fp, last_value(m, table_cols[c].col));
            fputs("</td>", fp);
        }
        fputs("<td>", fp);
        put_number(fp, column_sum(m, "seconds"));
        fputs("</td><td>", fp);
        put_number(fp, last_value(m, "images_per_sec"));
        fputs("</td></tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

/* Per run, the class histogram of its generated samples at the last
 * evaluated epoch (a bar per digit) beside FD, entropy and coverage: mode
 * collapse shows as a few tall bars. */
static void write_coverage_table(FILE *fp, const report_data_t *d)
{
    fputs("<h2>Sample quality at the last evaluated epoch</h2>\n<p class=\"sub\">Predicted "
          "class of each generated sample (MNIST classifier, gan classifier train): share per "
          "digit, entropy in bits (uniform: 3.32), classes with at least 5% of the samples, "
          "mean top-class probability. Runs without --eval-every are left out.</p>\n"
          "<table>\n<tr><th class=\"l\">run</th><th>epoch</th><th>FD</th><th>entropy</th>"
          "<th>covered</th><th>confidence</th>",
          fp);
    for (int k = 0; k < 10; k++)
        fprintf(fp, "<th>%d</th>", k);
    fputs("</tr>\n", fp);
    for (int r = 0; r < d->n_runs; r++) {
        const report_run_t *run = &d->runs[r];
        const metrics_csv_t *m = run->metrics;
        int row = metrics_csv_last_finite_row(m, "fd");
        if (row < 0)
            continue;
        fputs("<tr><td class=\"l\">", fp);
        put_swatch(fp, run_colour(d, run));
        svg_escape(fp, run->label);
        fprintf(fp, "</td><td>%.0f</td>", metrics_csv_col(m, "epoch")[row]);
        static const char *const cols[] = {"fd", "class_entropy", "classes_covered",
                                           "class_confidence"};
        for (int c = 0; c < 4; c++) {
            const double *v = metrics_csv_col(m, cols[c]);
            fputs("<td>", fp);
            put_number(fp, v ? v[row] : NAN);
            fputs("</td>", fp);
        }
        for (int k = 0; k < 10; k++) {
            char name[32];
            snprintf(name, sizeof name, "class_%d", k);
            const double *v = metrics_csv_col(m, name);
            double share = v && isfinite(v[row]) ? v[row] : 0.0;
            /* 1.5 px per percent: a uniform 10% is a visible bar; shares
             * beyond 40% (a collapsing generator) hit the cap, and the
             * number under the bar still tells. */
            fprintf(fp,
                    "<td class=\"bar\"><span style=\"height:%.0fpx;background:%s\"></span>"
                    "%.0f%%</td>",
                    fmin(share * 150.0, 60.0), run_colour(d, run), share * 100.0);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

/* Mean and sample standard deviation (n - 1: the seeds are a sample) of
 * column col in the last row of each member of group g. */
static void group_final_stats(const report_data_t *d, const report_group_t *g, const char *col,
                              double *mean, double *sd)
{
    double sum = 0.0, sq = 0.0;
    for (int j = 0; j < g->n; j++)
        sum += last_value(d->runs[g->members[j]].metrics, col);
    *mean = sum / g->n;
    for (int j = 0; j < g->n; j++) {
        double v = last_value(d->runs[g->members[j]].metrics, col) - *mean;
        sq += v * v;
    }
    *sd = sqrt(sq / (g->n - 1));
}

static void write_group_table(FILE *fp, const report_data_t *d)
{
    int any = 0;
    for (int g = 0; g < d->n_groups; g++)
        any |= d->groups[g].n >= 2;
    if (!any)
        return;
    fputs("<h3>Mean &#177; std over seeds (final epoch of each run)</h3>\n<table>\n<tr>", fp);
    put_axis_heads(fp, d);
    fputs("<th>runs</th><th>epochs</th>", fp);
    for (int c = 0; c < N_TABLE_COLS; c++)
        fprintf(fp, "<th>%s</th>", table_cols[c].head);
    fputs("</tr>\n", fp);
    for (int g = 0; g < d->n_groups; g++) {
        const report_group_t *grp = &d->groups[g];
        if (grp->n < 2)
            continue;
        double e_min = INFINITY, e_max = -INFINITY;
        for (int j = 0; j < grp->n; j++) {
            double e = last_value(d->runs[grp->members[j]].metrics, "epoch");
            e_min = fmin(e_min, e);
            e_max = fmax(e_max, e);
        }
        fputs("<tr class=\"group\">", fp);
        put_axis_cells(fp, d, &d->runs[grp->members[0]]);
        fprintf(fp, "<td>%d</td><td>%.0f", grp->n, e_min);
        if (e_max != e_min)
            fprintf(fp, "&#8211;%.0f", e_max);
        fputs("</td>", fp);
        for (int c = 0; c < N_TABLE_COLS; c++) {
            double mean, sd;
            group_final_stats(d, grp, table_cols[c].col, &mean, &sd);
            fputs("<td>", fp);
            put_number(fp, mean);
            fputs(" &#177; ", fp);
            put_number(fp, sd);
            fputs("</td>", fp);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One sample grid as a figure; a file that cannot be read or is not a PNG
 * becomes a note on the page, not a failure of the whole report. */
static void write_sample_figure(FILE *fp, const report_run_t *run, const report_sample_t *s)
{
    char name[128], path[PATH_MAX];
    int epoch = s->epoch;
    snprintf(name, sizeof name, "%s/%s", run_file_name(RUN_SAMPLES), s->file);
    fputs("<figure>", fp);
    char *data = NULL;
    size_t n = 0;
    int ok = run_sample_path(path, run->dir, epoch, NULL) == GAN_OK &&
             fs_read_all(path, (size_t)16 << 20 /* 32 x 32 grid: ~1 MB */, &data, &n, NULL) == GAN_OK;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (!ok) {
        fputs("<p class=\"note\">", fp);
        svg_escape(fp, name);
        fputs(": cannot be read</p>", fp);
    } else if (n < 24 || memcmp(data, sig, 8) != 0 || memcmp(data + 12, "IHDR", 4) != 0) {
        fputs("<p class=\"note\">", fp);
        svg_escape(fp, name);
        fputs(": not a PNG file</p>", fp);
    } else {
        uint32_t w = be32((const unsigned char *)data + 16);
        uint32_t h = be32((const unsigned char *)data + 20);
        fputs("<img src=\"data:image/png;base64,", fp);
        base64_fp(fp, (const unsigned char *)data, n);
        fputs("\" alt=\"samples of ", fp);
        svg_escape(fp, run->label);
        fprintf(fp, " at epoch %d\"", epoch);
        if (w > 0 && w <= 4096 && h > 0 && h <= 4096)
            fprintf(fp, " width=\"%u\" height=\"%u\"", (unsigned)w, (unsigned)h);
        fputs(">", fp);
    }
    fprintf(fp, "<figcaption>epoch %d%s</figcaption></figure>\n", epoch,
            epoch == 0 ? " (untrained)" : "");
    free(data);
}

/* The run's progress strip (report_make_strips): one row per saved grid,
 * or the note why there is none. */
static void write_strip_figure(FILE *fp, const report_run_t *run)
{
    if (!run->strip_png) {
        fputs("<p class=\"note\">no progress strip: ", fp);
        svg_escape(fp, run->strip_note);
        fputs("</p>\n", fp);
        return;
    }
    int first = run->samples[0].epoch, last = run->samples[run->n_samples - 1].epoch;
    fputs("<figure><img src=\"data:image/png;base64,", fp);
    base64_fp(fp, run->strip_png, run->strip_size);
    fputs("\" alt=\"progress of ", fp);
    svg_escape(fp, run->label);
    fprintf(fp, ", epochs %d to %d\" width=\"%d\" height=\"%d\">", first, last,
            run->strip_width, run->strip_height);
    fprintf(fp, "<figcaption>progress (");
    svg_escape(fp, run->strip_file);
    fprintf(fp, "): %d rows, epoch %d at the top to %d, one per saved grid; each column one "
                "fixed noise vector</figcaption></figure>\n",
            run->strip_rows, first, last);
}

static void write_samples(FILE *fp, const report_data_t *d)
{
    for (int r = 0; r < d->n_runs; r++) {
        const report_run_t *run = &d->runs[r];
        fputs("<h3>", fp);
        put_swatch(fp, run_colour(d, run));
        svg_escape(fp, run->label);
        fputs("</h3>\n", fp);
        if (!run->has_samples_dir) {
            fputs("<p class=\"note\">no samples (the run has no samples/ folder)</p>\n", fp);
            continue;
        }
        if (run->n_samples == 0) {
            fputs("<p class=\"note\">no samples (samples/ has no epoch_NNNN.png)</p>\n", fp);
            continue;
        }
        /* First, middle and last available epoch, without repeats. */
        int pick[3] = {0, (run->n_samples - 1) / 2, run->n_samples - 1};
        fputs("<div class=\"grids\">\n", fp);
        for (int k = 0; k < 3; k++)
            if (k == 0 || pick[k] != pick[k - 1])
                write_sample_figure(fp, run, &run->samples[pick[k]]);
        write_strip_figure(fp, run);
        fputs("</div>\n", fp);
    }
}

void report_page_write(FILE *fp, const report_data_t *d, const report_opts_t *opts,
                       const char *exp_dir, const report_svg_t *metric_svgs,
                       const report_svg_t *layer_svgs, const report_svg_t *step_svgs)
{
    char title[512];
    if (exp_dir) {
        snprintf(title, sizeof title, "gan report: %s", report_base_name(exp_dir));
    } else {
        snprintf(title, sizeof title, "gan report: %d run%s", d->n_runs, d->n_runs == 1 ? "" : "s");
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", fp);
    svg_escape(fp, title);
    fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", page_style);
    svg_escape(fp, title);
    fputs("</h1>\n<p class=\"sub\">", fp);
    fprintf(fp, "%d run%s", d->n_runs, d->n_runs == 1 ? "" : "s");
    for (int a = 0; a < report_n_axes(); a++) {
        if (!table_axis(d, a) && a != d->color_axis && a != d->facet_axis)
            continue;
        int n_values = 0; /* distinct values of axis a */
        for (int r = 0; r < d->n_runs; r++) {
            int seen = 0;
            for (int q = 0; q < r && !seen; q++)
                seen = strcmp(d->runs[q].axis[a], d->runs[r].axis[a]) == 0;
            n_values += !seen;
        }
        if (a == AXIS_INIT)
            fprintf(fp, ", %d init%s", n_values, n_values == 1 ? "" : "s");
        else
            fprintf(fp, ", %d value%s of %s", n_values, n_values == 1 ? "" : "s", report_axis_name(a));
    }
    fputs("; from ", fp);
    for (int i = 0; i < opts->n_inputs; i++) {
        if (i)
            fputs(", ", fp);
        svg_escape(fp, opts->inputs[i]);
    }
    const char *colour_by = d->color_axis == AXIS_INIT ? "init" : report_axis_name(d->color_axis);
    fprintf(fp, ". One colour per %s (per run when runs of one %s share a seed)", colour_by,
            d->facet_axis < 0 && d->color_axis == AXIS_INIT ? "init" : "setting");
    if (d->facet_axis >= 0)
        fprintf(fp, ", one panel per value of %s", report_axis_name(d->facet_axis));
    fputs("; with several seeds the line is their mean and the shaded band spans min to "
          "max.</p>\n",
          fp);

    fputs("<h2>Training curves</h2>\n<div class=\"charts\">\n", fp);
    for (int c = 0; c < REPORT_N_METRIC_CHARTS; c++)
        if (metric_svgs[c].text)
            fputs(metric_svgs[c].text, fp);
    fputs("</div>\n", fp);

    if (d->any_steps) {
        int with = 0;
        for (int r = 0; r < d->n_runs; r++)
            with += d->runs[r].steps != NULL;
        fprintf(fp, "<h2>Single steps</h2>\n<p class=\"sub\">From steps.csv of %d of %d runs "
                    "(one row every --log-every steps), %s; mean and min-max band over seeds as "
                    "above. Single steps are noisy: a spike here may be one batch.</p>\n"
                    "<div class=\"charts\">\n",
                with, d->n_runs,
                d->steps_mode == REPORT_STEPS_FIRST_EPOCH ? "the first epoch of each run"
                                                          : "every logged step");
        for (int c = 0; c < REPORT_N_STEP_CHARTS; c++)
            if (step_svgs[c].text)
                fputs(step_svgs[c].text, fp);
        fputs("</div>\n", fp);
    }

    fputs("<h2>Final-epoch metrics</h2>\n", fp);
    write_run_table(fp, d);
    write_group_table(fp, d);
    if (d->any_eval)
        write_coverage_table(fp, d);

    if (d->any_layers) {
        int with = 0;
        for (int r = 0; r < d->n_runs; r++)
            with += d->runs[r].layers != NULL;
        fputs("<h2>Layer statistics</h2>\n<p class=\"sub\">", fp);
        fprintf(fp, "From layers.csv of %d of %d runs: per layer of G and D, over the fixed probe "
                    "batch; epoch 0 is before training.</p>\n<div class=\"charts\">\n",
                with, d->n_runs);
        for (int c = 0; c < REPORT_N_LAYER_CHARTS; c++)
            fputs(layer_svgs[c].text, fp);
        fputs("</div>\n", fp);
    }

    fputs("<h2>Samples</h2>\n<p class=\"sub\">The generator's output on its fixed noise at the "
          "first, middle and last epoch with a saved grid, and the progress strip: the first "
          "cells of every saved grid, one row per epoch.</p>\n",
          fp);
    write_samples(fp, d);
    fputs("</body>\n</html>\n", fp);
}
