/* Shared between report.c (reading runs, the HTML page) and
 * report_charts.c (the SVG charts); not part of the public API. */
#ifndef GAN_REPORT_INTERNAL_H
#define GAN_REPORT_INTERNAL_H

#include <stddef.h>

#include "gan/error.h"
#include "gan/metrics_csv.h"

typedef struct {
    int epoch;
    char file[64];          /* name in samples/, e.g. "epoch_0005.png" */
} report_sample_t;

typedef struct {
    char dir[1024];         /* the run folder as given/expanded */
    char label[256];        /* its name in legends and tables */
    char group_key[128];    /* init label (or the folder name without config) */
    int has_config;
    char init[64], g_init[64], d_init[64]; /* "" when absent */
    int has_seed;
    double seed;
    double epochs_cfg;      /* configured epochs; NAN when unknown */
    metrics_csv_t *metrics; /* never NULL once read */
    metrics_csv_t *layers;  /* NULL without layers.csv */
    int has_samples_dir;
    report_sample_t *samples; /* sorted by epoch, n_samples of them */
    int n_samples;
    int group;              /* index into report_data_t.groups */
} report_run_t;

/* A group is what one line (and band) of a chart shows: the seeds of one
 * init in one experiment folder, averaged; or a single run. Runs of one
 * init in one folder whose seeds are unknown or repeat (e.g. runs that
 * differ in some other setting) are not averaged: each is its own group. */
typedef struct {
    char key[128];          /* the init label */
    char prefix[128];       /* experiment folder name when runs come from several, else "" */
    int *members;           /* run indices, in run order */
    int n;
    const char *colour;     /* svg_palette(group index) */
} report_group_t;

typedef struct {
    report_run_t *runs;
    int n_runs;
    report_group_t *groups;
    int n_groups;
    int any_layers;         /* some run has layers.csv */
    int any_eval;           /* some run's metrics.csv has the fd column */
} report_data_t;

/* One chart as SVG text (malloc'ed, NUL-terminated). */
typedef struct {
    char *text;
    size_t size;
} report_svg_t;

/* Renders metric chart `which` (index into report_metric_charts) or layer
 * chart `which` (index into report_layer_charts). GAN_ERR_RUNTIME only when
 * memory runs out. A metric chart whose column no run has (fd without
 * --eval-every) comes back with text NULL: nothing to draw. */
int report_chart_metric(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err);
int report_chart_layers(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err);

/* Legend text of a group ("random: mean of 3 runs, min-max band"). */
void report_group_label(char *out, size_t size, const report_data_t *d, int group);

#endif
