/* The report's SVG charts: per-metric line charts (one colour per series,
 * a group's mean line and min-max band over its seeds) and the per-layer
 * small multiples of layers.csv, each with one panel per facet value.
 * Every line comes from one aggregation step (aggregate: runs x epoch ->
 * mean, min, max, n). Rendering only: the runs are read and grouped by
 * report_runs.c, files are written by report.c. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/report.h"
#include "gan/svg.h"
#include "report_internal.h"

const char *const report_metric_charts[REPORT_N_METRIC_CHARTS] = {
    "g_loss.svg", "d_loss.svg", "d_acc.svg", "g_acc.svg", "d_real_fake.svg", "fd.svg"};
const char *const report_layer_charts[REPORT_N_LAYER_CHARTS] = {"layers_grad_norm.svg",
                                                                "layers_act_std.svg"};
const char *const report_step_charts[REPORT_N_STEP_CHARTS] = {
    "steps_g_loss.svg", "steps_d_loss.svg", "steps_d_real_fake.svg"};

typedef struct {
    const char *title, *y_label;
    const char *col, *col2; /* col2: a second, dashed line per init (or NULL) */
    int unit_range;         /* the y axis covers at least [0, 1] */
    int connect_gaps;       /* NaN means "not measured" (epochs without an
                               evaluation): join the measured points; otherwise
                               NaN means diverged and stays a gap */
    int steps;              /* from steps.csv against step; else metrics.csv
                               against epoch */
} metric_chart_t;

static const metric_chart_t metric_charts[REPORT_N_METRIC_CHARTS] = {
    {"Generator loss", "G loss", "g_loss", NULL, 0, 0, 0},
    {"Discriminator loss", "D loss", "d_loss", NULL, 0, 0, 0},
    {"Discriminator accuracy", "D accuracy (real and fake)", "d_acc", NULL, 1, 0, 0},
    {"G accuracy: share of generated images D takes for real", "G accuracy", "g_acc", NULL, 1,
     0, 0},
    {"D(x) on real and D(G(z)) on generated images", "mean D output", "d_real", "d_fake", 1, 0, 0},
    {"Frechet distance to the test set (lower is better)", "FD", "fd",
     NULL, 0, 1, 0},
};

static const metric_chart_t step_charts[REPORT_N_STEP_CHARTS] = {
    {"Generator loss at single steps", "G loss", "g_loss", NULL, 0, 0, 1},
    {"Discriminator loss at single steps", "D loss", "d_loss", NULL, 0, 0, 1},
    {"D(x) and D(G(z)) at single steps", "mean D output", "d_real", "d_fake", 1, 0, 1},
};

#define FAKE_DASH "7 4"
#define BAND_OPACITY 0.18
#define LEGEND_FS 11.0
#define CHART_TITLE_H 30.0 /* the chart's title above faceted panels */
enum { MAX_FACET_COLS = 3 }; /* facet panels per row: three fit a 1200 px page */

static int memstream_open(FILE **fp, report_svg_t *out, gan_err_t *err)
{
    out->text = NULL;
    out->size = 0;
    *fp = open_memstream(&out->text, &out->size);
    if (!*fp)
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory (open_memstream)");
    return GAN_OK;
}

static int memstream_close(FILE *fp, report_svg_t *out, gan_err_t *err)
{
    int bad = ferror(fp);
    if (fclose(fp) != 0 || bad || !out->text) {
        free(out->text);
        out->text = NULL;
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory while drawing a chart");
    }
    return GAN_OK;
}

/* ---- the aggregation step ------------------------------------------------ */

/* Where the values come from: a column of metrics.csv, a column of the
 * layers.csv rows of one (net, layer), or a column of steps.csv (all of
 * it, or the rows of its first epoch). */
typedef enum { SRC_METRICS, SRC_LAYERS, SRC_STEPS } agg_table_t;
typedef struct {
    agg_table_t table;
    const char *col;
    const char *net;
    int layer;
    int first_epoch_only;
} agg_source_t;

/* Per x (epoch, or step of steps.csv) that any of the runs has
 * (increasing): mean, min and max over the runs that have it, and their
 * number n. */
typedef struct {
    int len;
    double *epoch, *mean, *min, *max;
    int *n;
} agg_t;

static void agg_free(agg_t *a)
{
    free(a->epoch);
    memset(a, 0, sizeof *a);
}

typedef struct {
    double epoch, value;
} agg_point_t;

static int point_cmp(const void *a, const void *b)
{
    double x = ((const agg_point_t *)a)->epoch, y = ((const agg_point_t *)b)->epoch;
    return (x > y) - (x < y);
}

static const metrics_csv_t *source_table(const report_run_t *run, const agg_source_t *src)
{
    return src->table == SRC_LAYERS ? run->layers
           : src->table == SRC_STEPS ? run->steps
                                     : run->metrics;
}

static const char *source_x(const agg_source_t *src)
{
    return src->table == SRC_STEPS ? "step" : "epoch";
}

/* 1 if row i of t belongs to src (every metrics row; layers rows of its
 * net and layer; steps rows, or those of the table's first epoch). */
static int source_row(const metrics_csv_t *t, int i, const agg_source_t *src)
{
    if (src->table == SRC_STEPS && src->first_epoch_only)
        return metrics_csv_col(t, "epoch")[i] == metrics_csv_col(t, "epoch")[0];
    return src->table != SRC_LAYERS ||
           ((int)metrics_csv_col(t, "layer")[i] == src->layer &&
            strcmp(metrics_csv_text(t, "net", i), src->net) == 0);
}

/* Aggregates src over the runs members[0..n_members): one entry per epoch
 * any of them has. A non-finite value makes its epoch's mean, min and max
 * NaN: a gap in the line, never a made-up value. Runs without the table or
 * the column add nothing. Returns -1 when memory runs out. */
static int aggregate(agg_t *out, const report_data_t *d, const int *members, int n_members,
                     const agg_source_t *src)
{
    memset(out, 0, sizeof *out);
    int total = 0;
    for (int j = 0; j < n_members; j++)
        total += metrics_csv_rows(source_table(&d->runs[members[j]], src));
    agg_point_t *pts = malloc(((size_t)total + 1) * sizeof *pts);
    double *buf = malloc(((size_t)total + 1) * (4 * sizeof(double) + sizeof(int)));
    if (!pts || !buf) {
        free(pts);
        free(buf);
        return -1;
    }
    int n_pts = 0;
    for (int j = 0; j < n_members; j++) {
        const metrics_csv_t *t = source_table(&d->runs[members[j]], src);
        const double *v = t ? metrics_csv_col(t, src->col) : NULL;
        for (int i = 0; v && i < metrics_csv_rows(t); i++)
            if (source_row(t, i, src))
                pts[n_pts++] = (agg_point_t){metrics_csv_col(t, source_x(src))[i], v[i]};
    }
    qsort(pts, (size_t)n_pts, sizeof *pts, point_cmp);
    out->epoch = buf;
    out->mean = buf + (total + 1);
    out->min = buf + 2 * (total + 1);
    out->max = buf + 3 * (total + 1);
    out->n = (int *)(buf + 4 * (total + 1));
    for (int i = 0; i < n_pts;) {
        int k = out->len++, j = i;
        double sum = 0.0, lo = INFINITY, hi = -INFINITY;
        for (; j < n_pts && pts[j].epoch == pts[i].epoch; j++) {
            sum += pts[j].value;
            lo = fmin(lo, pts[j].value);
            hi = fmax(hi, pts[j].value);
        }
        out->epoch[k] = pts[i].epoch;
        out->n[k] = j - i;
        out->mean[k] = sum / (j - i);
        out->min[k] = isfinite(out->mean[k]) ? lo : NAN;
        out->max[k] = isfinite(out->mean[k]) ? hi : NAN;
        if (!isfinite(out->mean[k]))
            out->mean[k] = NAN;
        i = j;
    }
    free(pts);
    return 0;
}

/* Keeps the entries of a with n == want (the epochs all runs have), in
 * place; with drop_gaps, also drops the non-finite means (a chart that
 * joins measured points). */
static void agg_keep(agg_t *a, int want, int drop_gaps)
{
    int k = 0;
    for (int i = 0; i < a->len; i++) {
        if ((want > 0 && a->n[i] != want) || (drop_gaps && !isfinite(a->mean[i])))
            continue;
        a->epoch[k] = a->epoch[i];
        a->mean[k] = a->mean[i];
        a->min[k] = a->min[i];
        a->max[k] = a->max[i];
        a->n[k] = a->n[i];
        k++;
    }
    a->len = k;
}

/* ---- legends and panels ---------------------------------------------------- */

/* Legend text of series s: its label and what its line is ("mean of 3
 * seeds, min-max band"). with_layers: count only the runs with layers.csv
 * (the layer charts, which have no band). Returns the most runs behind
 * one of its lines (0: a layer chart with no layers.csv in the series). */
static int legend_label(char *out, size_t size, const report_data_t *d, int s, int with_layers)
{
    int lo = INT_MAX, hi = 0;
    for (int g = 0; g < d->n_groups; g++) {
        const report_group_t *grp = &d->groups[g];
        if (grp->series != s)
            continue;
        int n = 0;
        for (int j = 0; j < grp->n; j++)
            n += !with_layers || d->runs[grp->members[j]].layers != NULL;
        lo = n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    char seeds[32];
    snprintf(seeds, sizeof seeds, lo == hi ? "%d" : "%d-%d", lo, hi);
    const char *label = d->series[s].label;
    if (hi >= 2)
        snprintf(out, size, "%s: mean of %s seeds%s", label, seeds,
                 with_layers ? "" : ", min-max band");
    else if (with_layers && hi == 0)
        snprintf(out, size, "%s: no layers.csv", label);
    else
        snprintf(out, size, "%s", label);
    return hi;
}

/* Opens facet panel p: its marker group (with a facet axis) and returns
 * its title (NULL without facets: the chart has one panel). */
static const char *panel_begin(FILE *fp, const report_data_t *d, int p)
{
    if (d->facet_axis < 0)
        return NULL;
    svg_group_begin(fp, "panel", d->panels[p].value);
    return d->panels[p].title;
}

static void panel_end(FILE *fp, const report_data_t *d)
{
    if (d->facet_axis >= 0)
        svg_group_end(fp);
}

/* ---- metric charts ------------------------------------------------------ */

/* 1 if every member of group g has src's column. */
static int group_has_col(const report_data_t *d, const report_group_t *g, const agg_source_t *src)
{
    for (int j = 0; j < g->n; j++)
        if (!metrics_csv_col(source_table(&d->runs[g->members[j]], src), src->col))
            return 0;
    return 1;
}

/* The source of a metric chart's column col. */
static agg_source_t chart_source(const report_data_t *d, const metric_chart_t *mc, const char *col)
{
    return (agg_source_t){.table = mc->steps ? SRC_STEPS : SRC_METRICS, .col = col,
                          .first_epoch_only = d->steps_mode == REPORT_STEPS_FIRST_EPOCH};
}

/* Draws column col of group g: its band (pass 0) or its lines (pass 1):
 * the mean over the epochs all its runs have, then each run that goes
 * further alone, thinner, from the last common epoch so the line
 * connects. Returns -1 when memory runs out. */
static int draw_group_col(FILE *fp, const svg_axes_t *ax, const report_data_t *d, int group,
                          const agg_source_t *src_in, const char *dash, int pass, int connect_gaps)
{
    const report_group_t *g = &d->groups[group];
    const char *colour = d->series[g->series].colour;
    agg_source_t src = *src_in;
    agg_t a;
    if (!group_has_col(d, g, &src) || (pass == 0 && g->n < 2))
        return 0;
    if (aggregate(&a, d, g->members, g->n, &src))
        return -1;
    agg_keep(&a, g->n, connect_gaps);
    double last = a.len > 0 ? a.epoch[a.len - 1] : -INFINITY;
    if (pass == 0)
        svg_band(fp, ax, a.epoch, a.min, a.max, a.len, colour, BAND_OPACITY);
    else
        svg_series(fp, ax, a.epoch, a.mean, a.len, colour, 2.0, dash, 1.0);
    agg_free(&a);
    for (int j = 0; j < g->n && pass == 1 && g->n >= 2; j++) {
        if (aggregate(&a, d, &g->members[j], 1, &src))
            return -1;
        agg_keep(&a, 0, connect_gaps);
        int start = 0;
        while (start < a.len && a.epoch[start] < last)
            start++;
        if (a.len - start >= 2 || (a.len - start == 1 && a.epoch[start] > last))
            svg_series(fp, ax, a.epoch + start, a.mean + start, a.len - start, colour, 1.2, dash,
                       0.8);
        agg_free(&a);
    }
    return 0;
}

/* One metric chart (of metrics.csv or steps.csv). */
static int chart_metric(report_svg_t *out, const report_data_t *d, const metric_chart_t *mc,
                        gan_err_t *err)
{
    agg_source_t srcs[2] = {chart_source(d, mc, mc->col), chart_source(d, mc, mc->col2)};
    int n_cols = mc->col2 ? 2 : 1;
    char title[160];
    snprintf(title, sizeof title, "%s%s", mc->title,
             mc->steps && d->steps_mode == REPORT_STEPS_FIRST_EPOCH ? ", first epoch" : "");

    out->text = NULL;
    out->size = 0;
    /* One range for every panel, over the raw values (so it holds the
     * bands and the thin lines too). */
    double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
    int have_col = 0;
    for (int r = 0; r < d->n_runs; r++) {
        const metrics_csv_t *m = source_table(&d->runs[r], &srcs[0]);
        const double *x = metrics_csv_col(m, source_x(&srcs[0]));
        if (!metrics_csv_col(m, mc->col))
            continue;
        for (int i = 0; i < metrics_csv_rows(m); i++) {
            if (!source_row(m, i, &srcs[0]))
                continue;
            have_col = 1;
            x_min = fmin(x_min, x[i]);
            x_max = fmax(x_max, x[i]);
            for (int k = 0; k < n_cols; k++) {
                double v = metrics_csv_col(m, srcs[k].col)[i];
                if (isfinite(v)) {
                    y_min = fmin(y_min, v);
                    y_max = fmax(y_max, v);
                }
            }
        }
    }
    if (!have_col)
        return GAN_OK;
    int no_values = !isfinite(y_min);
    if (mc->unit_range || no_values) {
        y_min = fmin(no_values ? 0.0 : y_min, 0.0);
        y_max = fmax(no_values ? 1.0 : y_max, 1.0);
    }

    /* Legend: one entry per series, plus the line styles of a two-column
     * chart. Series without the column (fd of runs that never evaluated)
     * are neither drawn nor listed. */
    int n_items = d->n_series + (n_cols == 2 ? 2 : 0);
    svg_legend_item_t *items = calloc((size_t)n_items, sizeof *items);
    char (*labels)[300] = calloc((size_t)d->n_series + 1, sizeof *labels);
    int *listed = calloc((size_t)d->n_series + 1, sizeof *listed);
    if (!items || !labels || !listed) {
        free(items);
        free(labels);
        free(listed);
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    }
    for (int g = 0; g < d->n_groups; g++)
        if (metrics_csv_col(source_table(&d->runs[d->groups[g].members[0]], &srcs[0]), mc->col))
            listed[d->groups[g].series] |= 1 + (d->groups[g].n >= 2);
    n_items = 0;
    for (int s = 0; s < d->n_series; s++) {
        if (!listed[s])
            continue;
        legend_label(labels[s], sizeof labels[s], d, s, 0);
        items[n_items++] = (svg_legend_item_t){labels[s], d->series[s].colour, NULL, listed[s] > 1};
    }
    if (n_cols == 2) {
        items[n_items++] = (svg_legend_item_t){"D(x), real images", "#555555", NULL, 0};
        items[n_items++] = (svg_legend_item_t){"D(G(z)), generated", "#555555", FAKE_DASH, 0};
    }

    /* Without facets one panel, with the legend under the plot so two
     * charts fit side by side on a page about 1200 px wide; with facets
     * a row of up to three panels under the chart's title fills it. */
    int faceted = d->facet_axis >= 0;
    int grid_cols = d->n_panels < MAX_FACET_COLS ? d->n_panels : MAX_FACET_COLS;
    int grid_rows = (d->n_panels + grid_cols - 1) / grid_cols;
    const double panel_w = faceted ? 380.0 : 560.0, panel_h = faceted ? 300.0 : 340.0;
    const double legend_x = 60.0, top = faceted ? CHART_TITLE_H : 0.0;
    double legend_y = top + grid_rows * panel_h + 4.0;
    double legend_w = svg_legend_width(items, n_items, LEGEND_FS);
    double legend_h = svg_legend_height(n_items, LEGEND_FS);
    double width = fmax(grid_cols * panel_w, legend_x + legend_w + 10.0);
    double height = legend_y + legend_h + 8.0;

    FILE *fp;
    int rc = memstream_open(&fp, out, err);
    if (rc) {
        free(items);
        free(labels);
        free(listed);
        return rc;
    }
    svg_begin(fp, width, height, NULL);
    if (faceted)
        svg_text(fp, 8.0, 21.0, NULL, 14.5, "#222222", 0, 1, title);
    int oom = 0;
    for (int p = 0; p < d->n_panels && !oom; p++) {
        const char *panel_title = panel_begin(fp, d, p);
        svg_frame_t frame = {
            .left = (p % grid_cols) * panel_w, .top = top + (p / grid_cols) * panel_h,
            .width = panel_w, .height = panel_h,
            .title = panel_title ? panel_title : title, .x_label = source_x(&srcs[0]),
            .y_label = mc->y_label,
            .x_min = x_min, .x_max = x_max, .y_min = y_min, .y_max = y_max,
            .x_integer = 1, .log_y = 0, .font_size = 11.0,
        };
        svg_axes_t ax;
        svg_frame(fp, &frame, &ax);
        for (int pass = 0; pass < 2 && !oom; pass++)
            for (int g = 0; g < d->n_groups && !oom; g++)
                for (int k = 0; k < n_cols && !oom && d->groups[g].panel == p; k++)
                    oom = draw_group_col(fp, &ax, d, g, &srcs[k], k == 1 ? FAKE_DASH : NULL,
                                         pass, mc->connect_gaps);
        if (no_values)
            svg_note(fp, &ax, "no finite values in any run (diverged?)");
        panel_end(fp, d);
    }
    svg_legend(fp, legend_x, legend_y, items, n_items, LEGEND_FS);
    svg_end(fp);
    free(items);
    free(labels);
    free(listed);
    rc = memstream_close(fp, out, err);
    if (rc == GAN_OK && oom) {
        free(out->text);
        out->text = NULL;
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    }
    return rc;
}

int report_chart_metric(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err)
{
    return chart_metric(out, d, &metric_charts[which], err);
}

int report_chart_steps(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err)
{
    return chart_metric(out, d, &step_charts[which], err);
}

/* ---- layer small multiples ------------------------------------------------ */

typedef struct {
    char net[32];
    int layer;
    char act[32];
    char name[32]; /* "dense2"; "" in runs from before layer names */
} panel_t;

typedef struct {
    const char *title, *col, *y_label;
    int log_y;
} layer_chart_t;

static const layer_chart_t layer_charts[REPORT_N_LAYER_CHARTS] = {
    {"Gradient norm of each layer's weights (log scale; mean over seeds)", "grad_norm",
     "grad norm", 1},
    {"Activation std of each layer on the probe batch (mean over seeds)", "act_std", "act std", 0},
};

static int net_rank(const char *net)
{
    return strcmp(net, "G") == 0 ? 0 : strcmp(net, "D") == 0 ? 1 : 2;
}

static int panel_cmp(const void *a, const void *b)
{
    const panel_t *p = a, *q = b;
    int ra = net_rank(p->net), rb = net_rank(q->net);
    if (ra != rb)
        return ra - rb;
    int c = strcmp(p->net, q->net);
    if (c)
        return c;
    return p->layer - q->layer;
}

static int find_panel(const panel_t *panels, int n, const char *net, int layer)
{
    for (int i = 0; i < n; i++)
        if (panels[i].layer == layer && strncmp(panels[i].net, net, sizeof panels[i].net - 1) == 0)
            return i;
    return -1;
}

/* The (net, layer) panels of any run's layers.csv, G first, and the epoch
 * range; *n_panels 0 when no run has a row. */
static panel_t *layer_panels(const report_data_t *d, int *n_panels, double *x_min, double *x_max)
{
    int total_rows = 0;
    for (int r = 0; r < d->n_runs; r++)
        total_rows += metrics_csv_rows(d->runs[r].layers);
    panel_t *panels = calloc((size_t)total_rows + 1, sizeof *panels);
    *n_panels = 0;
    *x_min = INFINITY;
    *x_max = -INFINITY;
    for (int r = 0; r < d->n_runs && panels; r++) {
        const metrics_csv_t *t = d->runs[r].layers;
        for (int i = 0; i < metrics_csv_rows(t); i++) {
            const char *net = metrics_csv_text(t, "net", i);
            int layer = (int)metrics_csv_col(t, "layer")[i];
            *x_min = fmin(*x_min, metrics_csv_col(t, "epoch")[i]);
            *x_max = fmax(*x_max, metrics_csv_col(t, "epoch")[i]);
            if (find_panel(panels, *n_panels, net, layer) >= 0)
                continue;
            panel_t *p = &panels[(*n_panels)++];
            snprintf(p->net, sizeof p->net, "%s", net);
            snprintf(p->act, sizeof p->act, "%s", metrics_csv_text(t, "act", i));
            const char *name = metrics_csv_text(t, "name", i);
            snprintf(p->name, sizeof p->name, "%s", name ? name : "");
            p->layer = layer;
        }
    }
    if (panels)
        qsort(panels, (size_t)*n_panels, sizeof *panels, panel_cmp);
    if (*n_panels == 0) {
        *x_min = 0.0;
        *x_max = 1.0;
    }
    return panels;
}

/* Rows of panels one facet block takes: one block of rows per net, at most
 * LAYER_COLS panels per row; *n_cols gets the widest row. */
enum { LAYER_COLS = 5 };
#define LAYER_PANEL_W 232.0
#define LAYER_PANEL_H 190.0
static int layer_rows(const panel_t *panels, int n_panels, int *n_cols)
{
    int n_rows = 0;
    *n_cols = 1;
    for (int i = 0; i < n_panels;) {
        int j = i;
        while (j < n_panels && strcmp(panels[j].net, panels[i].net) == 0)
            j++;
        n_rows += (j - i + LAYER_COLS - 1) / LAYER_COLS;
        if (j - i > *n_cols)
            *n_cols = j - i > LAYER_COLS ? LAYER_COLS : j - i;
        i = j;
    }
    return n_rows ? n_rows : 1;
}

/* The lines of layer panel p in facet panel `facet`, the mean over the
 * runs that have each epoch: drawn on ax, or (fp NULL) only widening
 * [*y_min, *y_max] by their values. Returns -1 when memory runs out. */
static int layer_lines(FILE *fp, const svg_axes_t *ax, const report_data_t *d,
                       const layer_chart_t *lc, const panel_t *panel, int facet, double *y_min,
                       double *y_max)
{
    int drawn = 0;
    agg_source_t src = {SRC_LAYERS, lc->col, panel->net, panel->layer, 0};
    for (int g = 0; g < d->n_groups; g++) {
        const report_group_t *grp = &d->groups[g];
        agg_t a;
        if (grp->panel != facet)
            continue;
        if (aggregate(&a, d, grp->members, grp->n, &src))
            return -1;
        for (int i = 0; i < a.len; i++) {
            int ok = isfinite(a.mean[i]) && (!lc->log_y || a.mean[i] > 0);
            drawn += ok;
            if (ok && !fp) {
                *y_min = fmin(*y_min, a.mean[i]);
                *y_max = fmax(*y_max, a.mean[i]);
            }
        }
        if (fp)
            svg_series(fp, ax, a.epoch, a.mean, a.len, d->series[grp->series].colour, 1.8, NULL,
                       1.0);
        agg_free(&a);
    }
    if (fp && !drawn)
        svg_note(fp, ax, lc->log_y ? "no values > 0" : "no finite values");
    return 0;
}

/* The layer panels of facet panel `facet`, framed and drawn from y = top. */
static int layer_block(FILE *fp, const report_data_t *d, const layer_chart_t *lc,
                       const panel_t *panels, int n_panels, int facet, double top, double x_min,
                       double x_max, double y_min, double y_max)
{
    const double pw = LAYER_PANEL_W, ph = LAYER_PANEL_H;
    int row = -1, col = LAYER_COLS;
    for (int p = 0; p < n_panels; p++) {
        if (col == LAYER_COLS || p == 0 || strcmp(panels[p].net, panels[p - 1].net) != 0) {
            row++;
            col = 0;
        }
        char title[128];
        if (panels[p].name[0])
            snprintf(title, sizeof title, "%s/%s: %s", panels[p].net, panels[p].name,
                     panels[p].act);
        else
            snprintf(title, sizeof title, "%s layer %d: %s", panels[p].net, panels[p].layer,
                     panels[p].act);
        svg_frame_t frame = {
            .left = col * pw, .top = top + row * ph, .width = pw, .height = ph,
            .title = title, .x_label = "epoch", .y_label = lc->y_label,
            .x_min = x_min, .x_max = x_max, .y_min = y_min, .y_max = y_max,
            .x_integer = 1, .log_y = lc->log_y, .font_size = 9.0,
        };
        svg_axes_t ax;
        svg_frame(fp, &frame, &ax);
        if (layer_lines(fp, &ax, d, lc, &panels[p], facet, NULL, NULL))
            return -1;
        col++;
    }
    return 0;
}

int report_chart_layers(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err)
{
    const layer_chart_t *lc = &layer_charts[which];
    out->text = NULL;
    out->size = 0;
    int n_panels;
    double x_min, x_max, y_min = INFINITY, y_max = -INFINITY;
    panel_t *panels = layer_panels(d, &n_panels, &x_min, &x_max);
    svg_legend_item_t *items = calloc((size_t)d->n_series + 1, sizeof *items);
    char (*labels)[300] = calloc((size_t)d->n_series + 1, sizeof *labels);
    int rc = GAN_OK, oom = !panels || !items || !labels;
    for (int f = 0; f < d->n_panels && !oom; f++)
        for (int p = 0; p < n_panels && !oom; p++)
            oom = layer_lines(NULL, NULL, d, lc, &panels[p], f, &y_min, &y_max);
    if (oom) {
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
        goto done;
    }
    int no_values = !isfinite(y_min);
    if (!lc->log_y) {
        y_min = no_values ? 0.0 : fmin(y_min, 0.0); /* std >= 0: show how close to 0 */
        y_max = no_values ? 1.0 : y_max;
    } else if (no_values) {
        y_min = 0.1;
        y_max = 1.0;
    }

    for (int s = 0; s < d->n_series; s++) {
        int none = legend_label(labels[s], sizeof labels[s], d, s, 1) == 0;
        items[s] = (svg_legend_item_t){labels[s], d->series[s].colour, none ? "2 3" : NULL, 0};
    }

    /* Layout: per facet value a block (titled with facets), and in it one
     * block of rows per net. */
    const double pw = LAYER_PANEL_W, ph = LAYER_PANEL_H, title_h = 34.0;
    const double block_title_h = d->facet_axis >= 0 ? 24.0 : 0.0;
    int n_cols, n_rows = layer_rows(panels, n_panels, &n_cols);
    double block_h = block_title_h + n_rows * ph;
    double legend_w = svg_legend_width(items, d->n_series, LEGEND_FS);
    double width = n_cols * pw + legend_w + 20.0;
    double height = title_h + d->n_panels * block_h + 6.0;
    height = fmax(height, title_h + svg_legend_height(d->n_series, LEGEND_FS) + 10.0);

    FILE *fp;
    rc = memstream_open(&fp, out, err);
    if (rc)
        goto done;
    svg_begin(fp, width, height, NULL);
    svg_text(fp, 8.0, 22.0, NULL, 14.5, "#222222", 0, 1, lc->title);
    if (n_panels == 0)
        svg_text(fp, 8.0, title_h + 40.0, NULL, 12.0, "#888888", 0, 0,
                 "layers.csv has no rows");
    for (int f = 0; f < d->n_panels && !oom; f++) {
        double top = title_h + f * block_h;
        const char *title = panel_begin(fp, d, f);
        if (title)
            svg_text(fp, 8.0, top + 17.0, NULL, 13.0, "#222222", 0, 1, title);
        oom = layer_block(fp, d, lc, panels, n_panels, f, top + block_title_h, x_min, x_max,
                          y_min, y_max);
        panel_end(fp, d);
    }
    svg_legend(fp, n_cols * pw + 8.0, title_h + 8.0, items, d->n_series, LEGEND_FS);
    svg_end(fp);
    rc = memstream_close(fp, out, err);
    if (rc == GAN_OK && oom) {
        free(out->text);
        out->text = NULL;
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    }
done:
    free(panels);
    free(items);
    free(labels);
    return rc;
}
