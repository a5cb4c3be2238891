/* `gan report`: reads the runs (report_runs.c), draws the charts
 * (report_charts.c) and writes them and the page (report_page.c); see
 * report.h.
 *
 * Everything is read and checked first, then written, so a bad input never
 * leaves a half-updated set of files. */
#include "gan/report.h"

#include <stdlib.h>
#include <string.h>

#include "gan/fsutil.h"
#include "report_internal.h"

/* ---- writing ------------------------------------------------------------------ */

/* Writes svgs[0..n) into dir under names[0..n). */
static int write_charts(const char *dir, const char *const *names, const report_svg_t *svgs,
                        int n, gan_err_t *err)
{
    char path[2048];
    int rc = GAN_OK;
    for (int c = 0; c < n && rc == GAN_OK; c++)
        if (svgs[c].text && !(rc = fs_join(path, sizeof path, dir, names[c], err)))
            rc = atomic_write_bytes(path, svgs[c].text, svgs[c].size, err);
    return rc;
}

/* Each run's progress strip, next to the charts. */
static int write_strips(const char *dir, const report_data_t *d, gan_err_t *err)
{
    char path[2048];
    int rc = GAN_OK;
    for (int r = 0; r < d->n_runs && rc == GAN_OK; r++) {
        const report_run_t *run = &d->runs[r];
        if (run->strip_png && !(rc = fs_join(path, sizeof path, dir, run->strip_file, err)))
            rc = atomic_write_bytes(path, run->strip_png, run->strip_size, err);
    }
    return rc;
}

int report_write(const report_opts_t *opts, char *html_out, size_t html_out_size, gan_err_t *err)
{
    if (!opts || opts->n_inputs < 1 || !opts->inputs)
        return gan_err_set(err, GAN_ERR_INPUT, "report: no run or experiment folder given");
    int rc = report_check_axis("color", opts->color_axis ? opts->color_axis : "init", err);
    if (rc == GAN_OK && opts->facet_axis)
        rc = report_check_axis("facet", opts->facet_axis, err);
    if (rc)
        return rc;
    report_data_t d;
    int single_experiment = 0;
    rc = report_load(&d, opts, &single_experiment, err);
    if (rc)
        return rc;

    char exp_dir[1024], html[1024], svg_dir[1024];
    if (single_experiment)
        report_strip_slashes(exp_dir, sizeof exp_dir, opts->inputs[0]);
    if (opts->html_path) {
        snprintf(html, sizeof html, "%s", opts->html_path);
    } else if (single_experiment) {
        rc = fs_join(html, sizeof html, exp_dir, "report.html", err);
    } else {
        snprintf(html, sizeof html, "report.html");
    }
    if (opts->svg_dir)
        report_strip_slashes(svg_dir, sizeof svg_dir, opts->svg_dir);
    else
        fs_dirname(svg_dir, sizeof svg_dir, html);

    report_svg_t metric_svgs[REPORT_N_METRIC_CHARTS] = {{0}};
    report_svg_t layer_svgs[REPORT_N_LAYER_CHARTS] = {{0}};
    report_svg_t step_svgs[REPORT_N_STEP_CHARTS] = {{0}};
    for (int c = 0; c < REPORT_N_METRIC_CHARTS && rc == GAN_OK; c++)
        rc = report_chart_metric(&metric_svgs[c], &d, c, err);
    for (int c = 0; c < REPORT_N_LAYER_CHARTS && rc == GAN_OK && d.any_layers; c++)
        rc = report_chart_layers(&layer_svgs[c], &d, c, err);
    for (int c = 0; c < REPORT_N_STEP_CHARTS && rc == GAN_OK && d.any_steps; c++)
        rc = report_chart_steps(&step_svgs[c], &d, c, err);
    if (rc == GAN_OK)
        rc = report_make_strips(&d, err);

    char html_dir[PATH_MAX];
    fs_dirname(html_dir, sizeof html_dir, html);
    if (rc == GAN_OK)
        rc = fs_mkdirs(svg_dir, err);
    if (rc == GAN_OK)
        rc = fs_mkdirs(html_dir, err);
    if (rc == GAN_OK)
        rc = write_charts(svg_dir, report_metric_charts, metric_svgs, REPORT_N_METRIC_CHARTS, err);
    if (rc == GAN_OK && d.any_layers)
        rc = write_charts(svg_dir, report_layer_charts, layer_svgs, REPORT_N_LAYER_CHARTS, err);
    if (rc == GAN_OK && d.any_steps)
        rc = write_charts(svg_dir, report_step_charts, step_svgs, REPORT_N_STEP_CHARTS, err);
    if (rc == GAN_OK)
        rc = write_strips(svg_dir, &d, err);

    if (rc == GAN_OK) {
        atomic_file_t af;
        rc = atomic_begin(&af, html, err);
        if (rc == GAN_OK) {
            report_page_write(af.fp, &d, opts, single_experiment ? exp_dir : NULL, metric_svgs,
                              layer_svgs, step_svgs);
            rc = atomic_commit(&af, err);
        }
    }
    if (rc == GAN_OK && html_out)
        snprintf(html_out, html_out_size, "%s", html);
    for (int c = 0; c < REPORT_N_METRIC_CHARTS; c++)
        free(metric_svgs[c].text);
    for (int c = 0; c < REPORT_N_LAYER_CHARTS; c++)
        free(layer_svgs[c].text);
    for (int c = 0; c < REPORT_N_STEP_CHARTS; c++)
        free(step_svgs[c].text);
    report_free(&d);
    return rc;
}
