/* Shared by the parts of the report, not part of the public API:
 *   report_runs.c   finds and reads the runs, their axis values, groups,
 *                   series (colours) and facet panels;
 *   report_charts.c the SVG charts, all drawn from one aggregation step;
 *   report_page.c   the HTML page;
 *   report.c        report_write: read everything, then write the files. */
#ifndef GAN_REPORT_INTERNAL_H
#define GAN_REPORT_INTERNAL_H

#include <stddef.h>

#include "gan/error.h"
#include "gan/experiment.h"
#include "gan/metrics_csv.h"
#include "gan/report.h"

/* The axes a report knows, by training option name (report_axes[a]):
 * every setting that changes what a run learns. AXIS_INIT is the init
 * label of both nets; g-init and d-init are implied by it. */
enum { AXIS_INIT = 0, REPORT_N_AXES = EXP_MAX_AXIS_NAMES };
/* The axes (experiment_axis_names): how many, and the name of axis a. */
int report_n_axes(void);
const char *report_axis_name(int a);
/* Index of axis name in report_axes, or -1. */
int report_axis_index(const char *name);
/* GAN_OK if name is an axis, else GAN_ERR_INPUT "--<option>=<name>: not an
 * axis; use one of ..." listing them. */
int report_check_axis(const char *option, const char *name, gan_err_t *err);
/* 1 for g-init, d-init and seed: axes the tables and labels leave out
 * (init says the first two; the seed has its own column). */
int report_axis_is_implied(int axis);

typedef struct {
    int epoch;
    char file[64];          /* name in samples/, e.g. "epoch_0005.png" */
} report_sample_t;

typedef struct {
    char dir[1024];         /* the run folder as given/expanded */
    char label[256];        /* its name in legends and tables */
    /* Value of each axis as people write it ("he_xavier", "0.0004",
     * "256,512,1024"); "" when config.json does not say. The init value
     * is "G g / D d" when the nets differ, and the folder name when there
     * is no config.json. */
    char axis[REPORT_N_AXES][64];
    int has_config;
    int has_seed;
    double seed;
    double epochs_cfg;      /* configured epochs; NAN when unknown */
    metrics_csv_t *metrics; /* never NULL once read */
    metrics_csv_t *layers;  /* NULL without layers.csv */
    metrics_csv_t *steps;   /* NULL without steps.csv, or with no rows */
    int has_samples_dir;
    report_sample_t *samples; /* sorted by epoch, n_samples of them */
    int n_samples;
    int image_side;         /* a grid cell's side in px: sqrt of config.json's
                               image_size, else 28 */
    int group;              /* index into report_data_t.groups */
    /* The progress strip (progress_strip.h) of the saved grids, made by
     * report_make_strips: its PNG bytes and file name in the chart
     * folder, or (strip_png NULL) a note saying why there is none. */
    unsigned char *strip_png;
    size_t strip_size;
    int strip_rows, strip_cols, strip_width, strip_height;
    char strip_file[300];
    char strip_note[1024];
} report_run_t;

/* A group is what one line (and band) of a chart shows: the runs of one
 * experiment folder that share every axis value except the seed, averaged
 * over their seeds; or a single run. Runs whose seeds are unknown or
 * repeat (they differ in something no axis names) are not averaged: each
 * is its own group. */
typedef struct {
    int *members;           /* run indices, in run order */
    int n;
    int series;             /* index into report_data_t.series: its colour */
    int panel;              /* index into report_data_t.panels */
    int split;              /* one run of a bucket whose seeds repeat */
} report_group_t;

/* A series is one colour and one legend entry: the groups that differ
 * only in the facet axis (the same line, drawn in each panel). */
typedef struct {
    char label[200];        /* legend text without the seed note ("lr=0.0004") */
    const char *colour;     /* svg_palette(series index) */
    int n_runs;             /* runs in all its groups */
} report_series_t;

/* A panel of the small multiples: one value of the facet axis. */
typedef struct {
    char value[64];         /* the facet axis value ("" without --facet) */
    char title[100];        /* "lr=0.0004" */
} report_panel_t;

typedef struct {
    report_run_t *runs;
    int n_runs;
    report_group_t *groups;
    int n_groups;
    report_series_t *series;
    int n_series;
    report_panel_t *panels;
    int n_panels;
    int color_axis;          /* index into report_axes */
    int facet_axis;          /* index into report_axes; -1: one panel, no facets */
    int varies[REPORT_N_AXES]; /* the runs do not all share this axis value */
    int any_layers;         /* some run has layers.csv */
    int any_steps;          /* some run has rows in steps.csv */
    report_steps_t steps_mode; /* which of them the step charts show */
    int any_eval;           /* some run's metrics.csv has the fd column */
} report_data_t;

/* Reads every run of the inputs and sorts them into groups, series and
 * panels by opts' axes (already checked). *single_experiment: the only
 * input was an experiment folder. On error d holds nothing. */
int report_load(report_data_t *d, const report_opts_t *opts, int *single_experiment,
                gan_err_t *err);
void report_free(report_data_t *d);

/* The progress strip of every run with saved grids, in memory (written by
 * report_write). A grid that cannot be read leaves that run a note, not an
 * error; GAN_ERR_RUNTIME only when memory runs out. */
int report_make_strips(report_data_t *d, gan_err_t *err);

/* "he_xavier" for the init axis, else "lr=0.0004" ("lr=?" when unknown). */
void report_axis_value_text(char *out, size_t size, int axis, const char *value);

/* A copy of path without trailing slashes (but "/" stays "/"). */
void report_strip_slashes(char *out, size_t size, const char *path);
/* The last component of path. */
const char *report_base_name(const char *path);

/* One chart as SVG text (malloc'ed, NUL-terminated). */
typedef struct {
    char *text;
    size_t size;
} report_svg_t;

/* Renders metric chart `which` (index into report_metric_charts) or layer
 * chart `which` (index into report_layer_charts), one panel per facet
 * value. GAN_ERR_RUNTIME only when memory runs out. A metric chart whose
 * column no run has (fd without --eval-every) comes back with text NULL:
 * nothing to draw. */
int report_chart_metric(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err);
int report_chart_layers(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err);
/* Step chart `which` (index into report_step_charts), from steps.csv. */
int report_chart_steps(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err);

/* Writes the page: the charts (NULL text: left out), tables and sample
 * grids. exp_dir: the experiment folder when it is the only input. */
void report_page_write(FILE *fp, const report_data_t *d, const report_opts_t *opts,
                       const char *exp_dir, const report_svg_t *metric_svgs,
                       const report_svg_t *layer_svgs, const report_svg_t *step_svgs);

#endif
