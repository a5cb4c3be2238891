/* The comparison report (`gan report`, issue 5; layer charts, issue 6):
 * reads run folders and writes SVG charts plus one self-contained HTML page.
 *
 * Inputs are run folders (with metrics.csv) or experiment folders (whose
 * subfolders with metrics.csv are runs, taken in name order). Per run it
 * reads metrics.csv (strictly, see metrics_csv.h), config.json (every
 * setting; a partial one gives init, g_init, d_init, seed and epochs;
 * optional: without it the run is labelled and coloured by its folder
 * name), samples/epoch_NNNN.png and the optional layers.csv.
 *
 * Axes: the settings a run's config.json records under the training
 * option names (init, lr, batch, g-hidden, ..., seed). Runs of one input
 * folder that share every axis value except the seed form a group, drawn
 * as its mean line with a shaded min-max band over the seeds (runs from
 * different folders are never averaged together). One colour per value of
 * the colour axis (default: init) and, with a facet axis, one panel per
 * value of it (small multiples, one shared y range).
 *
 * Charts (one SVG file each, also inlined in the page):
 *   g_loss.svg, d_loss.svg, d_acc.svg, g_acc.svg ("G accuracy", 1 -
 *   d_acc_fake; runs with a g_acc column), d_real_fake.svg (D(x) solid,
 *   D(G(z)) dashed) and fd.svg (with --eval-every) against epoch. A group's mean
 *   line covers the epochs all its runs have; a run longer than the others
 *   continues as a thin line as far as it goes.
 *   steps_g_loss.svg, steps_d_loss.svg and steps_d_real_fake.svg against
 *   the step, from steps.csv (every --log-every steps), when any run has
 *   one: the first epoch (default) or the whole run, mean line and
 *   min-max band over seeds as above.
 *   layers_grad_norm.svg (log y) and layers_act_std.svg when any run has
 *   layers.csv: one small panel per (net, layer) and facet value, a line
 *   per group (the mean over the runs that have that epoch).
 * The page adds a table of final-epoch metrics per run, mean +- std per
 * group of seeds with one column per varying axis, and each run's sample
 * grids at the first, middle and last epoch, embedded as PNG data URIs,
 * and its progress strip (progress_strip.h: one row per saved grid, the
 * first 8 cells of each), also written next to the charts as
 * progress-<run label>.png.
 * No scripts, no external files, no network.
 *
 * Library code: prints nothing, returns GAN_OK or a gan_err_t message
 * "<file>:<line>: <what>" (GAN_ERR_INPUT for bad input folders and files,
 * GAN_ERR_RUNTIME when writing fails). Every output file is written
 * atomically. Deliberately not here: training, reading checkpoints,
 * decoding PNGs (grids are embedded as they are, after a signature check;
 * the strips' decoding is progress_strip.c's). */
#ifndef GAN_REPORT_H
#define GAN_REPORT_H

#include <stddef.h>

#include "gan/error.h"

/* The chart files the report writes (layer charts only with layers.csv,
 * fd.svg only when some run evaluated sample quality, gan train
 * --eval-every, g_acc.svg only when some run's metrics.csv has g_acc). */
#define REPORT_N_METRIC_CHARTS 6
#define REPORT_N_LAYER_CHARTS 2
#define REPORT_N_STEP_CHARTS 3
extern const char *const report_metric_charts[REPORT_N_METRIC_CHARTS]; /* "g_loss.svg", ... */
extern const char *const report_layer_charts[REPORT_N_LAYER_CHARTS];   /* "layers_grad_norm.svg", ... */
extern const char *const report_step_charts[REPORT_N_STEP_CHARTS];     /* "steps_g_loss.svg", ... */

/* Which rows of steps.csv the step-level charts show. */
typedef enum {
    REPORT_STEPS_FIRST_EPOCH = 0, /* the steps of each run's first epoch (the default) */
    REPORT_STEPS_ALL,             /* every logged step */
    REPORT_STEPS_NONE             /* no step-level charts */
} report_steps_t;

typedef struct {
    const char *const *inputs; /* run or experiment folders, n_inputs >= 1 */
    int n_inputs;
    const char *html_path;     /* NULL: <EXP>/report.html when the only input is an
                                  experiment folder, else ./report.html */
    const char *svg_dir;       /* NULL: the folder of the page */
    const char *color_axis;    /* one colour per value of this axis; NULL: "init" */
    const char *facet_axis;    /* one panel per value of this axis; NULL: one panel */
    report_steps_t steps;      /* step-level charts of steps.csv */
} report_opts_t;

/* Reads every run, writes the SVG charts into the SVG folder and the page
 * (creating both folders if needed). On success the page's path is copied
 * to html_out (if not NULL, truncated to html_out_size). Nothing is written
 * when an input is bad: all runs are read before the first file is
 * written. An axis that is not a training option the report knows is
 * GAN_ERR_INPUT "--facet=<name>: not an axis; use one of ..."; an axis
 * whose value all runs share is fine (one colour, one panel). */
int report_write(const report_opts_t *opts, char *html_out, size_t html_out_size, gan_err_t *err);

#endif
