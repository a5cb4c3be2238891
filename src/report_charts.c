/* The report's SVG charts: per-metric line charts (one colour per init, the
 * mean line and a min-max band when an init has several seeds) and the
 * per-layer small multiples of layers.csv. Rendering only: the runs are
 * read and validated by report.c, files are written there too. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/report.h"
#include "gan/svg.h"
#include "report_internal.h"

const char *const report_metric_charts[REPORT_N_METRIC_CHARTS] = {
    "g_loss.svg", "d_loss.svg", "d_acc.svg", "d_real_fake.svg", "fd.svg"};
const char *const report_layer_charts[REPORT_N_LAYER_CHARTS] = {"layers_grad_norm.svg",
                                                                "layers_act_std.svg"};

typedef struct {
    const char *title, *y_label;
    const char *col, *col2; /* col2: a second, dashed line per init (or NULL) */
    int unit_range;         /* the y axis covers at least [0, 1] */
    int connect_gaps;       /* NaN means "not measured" (epochs without an
                               evaluation): join the measured points; otherwise
                               NaN means diverged and stays a gap */
} metric_chart_t;

static const metric_chart_t metric_charts[REPORT_N_METRIC_CHARTS] = {
    {"Generator loss", "G loss", "g_loss", NULL, 0, 0},
    {"Discriminator loss", "D loss", "d_loss", NULL, 0, 0},
    {"Discriminator accuracy", "D accuracy (real and fake)", "d_acc", NULL, 1, 0},
    {"D(x) on real and D(G(z)) on generated images", "mean D output", "d_real", "d_fake", 1, 0},
    {"Frechet distance to the test set (lower is better)", "FD", "fd",
     NULL, 0, 1},
};

#define FAKE_DASH "7 4"
#define BAND_OPACITY 0.18
#define LEGEND_FS 11.0

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

void report_group_label(char *out, size_t size, const report_data_t *d, int group)
{
    const report_group_t *g = &d->groups[group];
    const char *run = d->runs[g->members[0]].label;
    if (g->n >= 2)
        snprintf(out, size, "%s%s%s: mean of %d seeds, min-max band", g->prefix,
                 g->prefix[0] ? "/" : "", g->key, g->n);
    else if (strcmp(g->key, run) == 0)
        snprintf(out, size, "%s", g->key);
    else
        snprintf(out, size, "%s (%s)", g->key, run);
}

/* ---- metric charts ------------------------------------------------------ */

/* Index of x in v[0..n), sorted increasing without repeats, or -1. */
static int find_value(const double *v, int n, double x)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (v[mid] == x)
            return mid;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Row of metrics table m whose epoch is e, or -1 (epochs strictly increase). */
static int find_epoch(const metrics_csv_t *m, double e)
{
    return find_value(metrics_csv_col(m, "epoch"), metrics_csv_rows(m), e);
}

/* The epochs all members of group g have: x[0..n) and, per member j, the
 * row of each such epoch in rows[j * cap + c]. Returns n (0 if none). */
static int common_epochs(const report_data_t *d, const report_group_t *g, double *x, int *rows,
                         int cap)
{
    const report_run_t *base = &d->runs[g->members[0]];
    for (int j = 1; j < g->n; j++)
        if (metrics_csv_rows(d->runs[g->members[j]].metrics) < metrics_csv_rows(base->metrics))
            base = &d->runs[g->members[j]];
    const double *ep = metrics_csv_col(base->metrics, "epoch");
    int n = 0;
    for (int r = 0; r < metrics_csv_rows(base->metrics) && n < cap; r++) {
        int ok = 1;
        for (int j = 0; j < g->n && ok; j++) {
            int row = find_epoch(d->runs[g->members[j]].metrics, ep[r]);
            rows[j * cap + n] = row;
            ok = row >= 0;
        }
        if (ok)
            x[n++] = ep[r];
    }
    return n;
}

/* Drops the points whose y (and lo/hi, when given) is not finite from the
 * parallel arrays, in place; returns how many are left. */
static int keep_finite(double *x, double *y, double *lo, double *hi, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        x[k] = x[i];
        y[k] = y[i];
        if (lo) {
            lo[k] = lo[i];
            hi[k] = hi[i];
        }
        k++;
    }
    return k;
}

/* Draws one run's column (a group of one), joining measured points when
 * connect_gaps. */
static int draw_run_col(FILE *fp, const svg_axes_t *ax, const metrics_csv_t *m, const char *col,
                        const char *colour, const char *dash, int connect_gaps)
{
    int n = metrics_csv_rows(m);
    const double *ep = metrics_csv_col(m, "epoch"), *v = metrics_csv_col(m, col);
    if (!connect_gaps) {
        svg_series(fp, ax, ep, v, n, colour, 2.0, dash, 1.0);
        return 0;
    }
    double *x = malloc((size_t)n * 2 * sizeof *x);
    if (!x)
        return -1;
    memcpy(x, ep, (size_t)n * sizeof *x);
    memcpy(x + n, v, (size_t)n * sizeof *x);
    int k = keep_finite(x, x + n, NULL, NULL, n);
    svg_series(fp, ax, x, x + n, k, colour, 2.0, dash, 1.0);
    free(x);
    return 0;
}

/* Draws one column for group g: its band (pass 0) or its lines (pass 1).
 * Runs without the column are left out. */
static int draw_group_col(FILE *fp, const svg_axes_t *ax, const report_data_t *d, int group,
                          const char *col, const char *dash, int pass, int connect_gaps)
{
    const report_group_t *g = &d->groups[group];
    for (int j = 0; j < g->n; j++)
        if (!metrics_csv_col(d->runs[g->members[j]].metrics, col))
            return 0;
    if (g->n == 1)
        return pass == 1 ? draw_run_col(fp, ax, d->runs[g->members[0]].metrics, col, g->colour,
                                        dash, connect_gaps)
                         : 0;
    int cap = metrics_csv_rows(d->runs[g->members[0]].metrics);
    double *x = malloc((size_t)cap * 4 * sizeof *x);
    int *rows = malloc((size_t)cap * (size_t)g->n * sizeof *rows);
    if (!x || !rows) {
        free(x);
        free(rows);
        return -1;
    }
    double *mean = x + cap, *lo = x + 2 * cap, *hi = x + 3 * cap;
    int n = common_epochs(d, g, x, rows, cap);
    for (int c = 0; c < n; c++) {
        double sum = 0.0, mn = INFINITY, mx = -INFINITY;
        for (int j = 0; j < g->n; j++) {
            double v = metrics_csv_col(d->runs[g->members[j]].metrics, col)[rows[j * cap + c]];
            sum += v; /* a NaN makes the mean NaN: a gap, not a made-up value */
            mn = fmin(mn, v);
            mx = fmax(mx, v);
        }
        mean[c] = sum / g->n;
        lo[c] = isfinite(mean[c]) ? mn : NAN;
        hi[c] = isfinite(mean[c]) ? mx : NAN;
    }
    if (connect_gaps)
        n = keep_finite(x, mean, lo, hi, n);
    if (pass == 0) {
        svg_band(fp, ax, x, lo, hi, n, g->colour, BAND_OPACITY);
    } else {
        svg_series(fp, ax, x, mean, n, g->colour, 2.0, dash, 1.0);
        /* Runs longer than the common stretch go on alone, thinner, from
         * the last common epoch so the line connects. */
        double last = n > 0 ? x[n - 1] : -INFINITY;
        for (int j = 0; j < g->n; j++) {
            const metrics_csv_t *m = d->runs[g->members[j]].metrics;
            const double *ep = metrics_csv_col(m, "epoch");
            int rows_m = metrics_csv_rows(m), start = 0;
            while (start < rows_m && ep[start] < last)
                start++;
            if (rows_m - start >= 2 || (rows_m - start == 1 && ep[start] > last))
                svg_series(fp, ax, ep + start, metrics_csv_col(m, col) + start, rows_m - start,
                           g->colour, 1.2, dash, 0.8);
        }
    }
    free(x);
    free(rows);
    return 0;
}

int report_chart_metric(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err)
{
    const metric_chart_t *mc = &metric_charts[which];
    const char *cols[2] = {mc->col, mc->col2};
    int n_cols = mc->col2 ? 2 : 1;

    out->text = NULL;
    out->size = 0;
    double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
    int have_col = 0;
    for (int r = 0; r < d->n_runs; r++) {
        const metrics_csv_t *m = d->runs[r].metrics;
        const double *ep = metrics_csv_col(m, "epoch");
        if (!metrics_csv_col(m, mc->col))
            continue;
        have_col = 1;
        for (int i = 0; i < metrics_csv_rows(m); i++) {
            x_min = fmin(x_min, ep[i]);
            x_max = fmax(x_max, ep[i]);
            for (int k = 0; k < n_cols; k++) {
                double v = metrics_csv_col(m, cols[k])[i];
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

    /* Legend: one entry per init, plus the line styles of a two-column chart. */
    int n_items = d->n_groups + (n_cols == 2 ? 2 : 0);
    svg_legend_item_t *items = calloc((size_t)n_items, sizeof *items);
    char (*labels)[200] = calloc((size_t)d->n_groups, sizeof *labels);
    if (!items || !labels) {
        free(items);
        free(labels);
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    }
    /* Groups without the column (fd of runs that never evaluated) are
     * neither drawn nor listed. */
    n_items = 0;
    for (int g = 0; g < d->n_groups; g++) {
        if (!metrics_csv_col(d->runs[d->groups[g].members[0]].metrics, mc->col))
            continue;
        report_group_label(labels[g], sizeof labels[g], d, g);
        items[n_items++] =
            (svg_legend_item_t){labels[g], d->groups[g].colour, NULL, d->groups[g].n >= 2};
    }
    if (n_cols == 2) {
        items[n_items++] = (svg_legend_item_t){"D(x), real images", "#555555", NULL, 0};
        items[n_items++] = (svg_legend_item_t){"D(G(z)), generated", "#555555", FAKE_DASH, 0};
    }

    /* The legend goes under the plot, so two charts fit side by side on
     * a page about 1200 px wide. */
    const double panel_w = 560.0, panel_h = 340.0, legend_x = 60.0;
    double legend_w = svg_legend_width(items, n_items, LEGEND_FS);
    double legend_h = svg_legend_height(n_items, LEGEND_FS);
    double width = fmax(panel_w, legend_x + legend_w + 10.0);
    double height = panel_h + 4.0 + legend_h + 8.0;

    FILE *fp;
    int rc = memstream_open(&fp, out, err);
    if (rc) {
        free(items);
        free(labels);
        return rc;
    }
    svg_begin(fp, width, height, NULL);
    svg_frame_t frame = {
        .left = 0, .top = 0, .width = panel_w, .height = panel_h,
        .title = mc->title, .x_label = "epoch", .y_label = mc->y_label,
        .x_min = x_min, .x_max = x_max, .y_min = y_min, .y_max = y_max,
        .x_integer = 1, .log_y = 0, .font_size = 11.0,
    };
    svg_axes_t ax;
    svg_frame(fp, &frame, &ax);
    int oom = 0;
    for (int pass = 0; pass < 2 && !oom; pass++)
        for (int g = 0; g < d->n_groups && !oom; g++)
            for (int k = 0; k < n_cols && !oom; k++)
                oom = draw_group_col(fp, &ax, d, g, cols[k], k == 1 ? FAKE_DASH : NULL, pass,
                                     mc->connect_gaps);
    if (no_values)
        svg_note(fp, &ax, "no finite values in any run (diverged?)");
    svg_legend(fp, legend_x, panel_h + 4.0, items, n_items, LEGEND_FS);
    svg_end(fp);
    free(items);
    free(labels);
    rc = memstream_close(fp, out, err);
    if (rc == GAN_OK && oom) {
        free(out->text);
        out->text = NULL;
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    }
    return rc;
}

/* ---- layer small multiples ------------------------------------------------ */

typedef struct {
    char net[32];
    int layer;
    char act[32];
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

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int find_panel(const panel_t *panels, int n, const char *net, int layer)
{
    for (int i = 0; i < n; i++)
        if (panels[i].layer == layer && strncmp(panels[i].net, net, sizeof panels[i].net - 1) == 0)
            return i;
    return -1;
}

int report_chart_layers(report_svg_t *out, const report_data_t *d, int which, gan_err_t *err)
{
    const layer_chart_t *lc = &layer_charts[which];
    out->text = NULL;
    out->size = 0;

    /* The panels ((net, layer) pairs) and the epochs seen in any run. */
    int total_rows = 0;
    for (int r = 0; r < d->n_runs; r++)
        total_rows += metrics_csv_rows(d->runs[r].layers);
    panel_t *panels = calloc((size_t)total_rows + 1, sizeof *panels);
    double *epochs = calloc((size_t)total_rows + 1, sizeof *epochs);
    if (!panels || !epochs) {
        free(panels);
        free(epochs);
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    }
    int n_panels = 0, n_epochs = 0;
    for (int r = 0; r < d->n_runs; r++) {
        const metrics_csv_t *t = d->runs[r].layers;
        for (int i = 0; i < metrics_csv_rows(t); i++) {
            const char *net = metrics_csv_text(t, "net", i);
            int layer = (int)metrics_csv_col(t, "layer")[i];
            epochs[n_epochs++] = metrics_csv_col(t, "epoch")[i];
            if (find_panel(panels, n_panels, net, layer) >= 0)
                continue;
            snprintf(panels[n_panels].net, sizeof panels[n_panels].net, "%s", net);
            snprintf(panels[n_panels].act, sizeof panels[n_panels].act, "%s",
                     metrics_csv_text(t, "act", i));
            panels[n_panels].layer = layer;
            n_panels++;
        }
    }
    qsort(panels, (size_t)n_panels, sizeof *panels, panel_cmp);
    qsort(epochs, (size_t)n_epochs, sizeof *epochs, double_cmp);
    int n_unique = 0;
    for (int i = 0; i < n_epochs; i++)
        if (n_unique == 0 || epochs[i] != epochs[n_unique - 1])
            epochs[n_unique++] = epochs[i];
    n_epochs = n_unique;

    /* Per panel and init: the mean over its runs at each epoch. */
    size_t cells = (size_t)n_panels * (size_t)d->n_groups * (size_t)n_epochs;
    double *sum = calloc(cells + 1, sizeof *sum);
    int *count = calloc(cells + 1, sizeof *count);
    double *xs = malloc(((size_t)n_epochs + 1) * sizeof *xs);
    double *ys = malloc(((size_t)n_epochs + 1) * sizeof *ys);
    svg_legend_item_t *items = calloc((size_t)d->n_groups, sizeof *items);
    char (*labels)[200] = calloc((size_t)d->n_groups, sizeof *labels);
    int rc = GAN_OK;
    if (!sum || !count || !xs || !ys || !items || !labels) {
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
        goto done;
    }
    for (int r = 0; r < d->n_runs; r++) {
        const metrics_csv_t *t = d->runs[r].layers;
        const double *v = t ? metrics_csv_col(t, lc->col) : NULL;
        for (int i = 0; i < metrics_csv_rows(t); i++) {
            int p = find_panel(panels, n_panels, metrics_csv_text(t, "net", i),
                               (int)metrics_csv_col(t, "layer")[i]);
            int e = find_value(epochs, n_epochs, metrics_csv_col(t, "epoch")[i]);
            size_t k = ((size_t)p * (size_t)d->n_groups + (size_t)d->runs[r].group) *
                           (size_t)n_epochs + (size_t)e;
            sum[k] += v[i];
            count[k]++;
        }
    }
    double y_min = INFINITY, y_max = -INFINITY;
    for (size_t k = 0; k < cells; k++) {
        if (!count[k])
            continue;
        double m = sum[k] / count[k];
        if (isfinite(m) && (!lc->log_y || m > 0)) {
            y_min = fmin(y_min, m);
            y_max = fmax(y_max, m);
        }
    }
    int no_values = !isfinite(y_min);
    if (!lc->log_y) {
        y_min = no_values ? 0.0 : fmin(y_min, 0.0); /* std >= 0: show how close to 0 */
        y_max = no_values ? 1.0 : y_max;
    } else if (no_values) {
        y_min = 0.1;
        y_max = 1.0;
    }

    for (int g = 0; g < d->n_groups; g++) {
        const report_group_t *grp = &d->groups[g];
        int with_layers = 0;
        for (int j = 0; j < grp->n; j++)
            with_layers += d->runs[grp->members[j]].layers != NULL;
        char name[200];
        report_group_label(name, sizeof name, d, g);
        char *cut = strstr(name, ": mean of"); /* the layer lines have no band */
        if (cut)
            *cut = '\0';
        if (with_layers >= 2)
            snprintf(labels[g], sizeof labels[g], "%.150s: mean of %d seeds", name, with_layers);
        else if (with_layers == 1)
            snprintf(labels[g], sizeof labels[g], "%.150s", name);
        else
            snprintf(labels[g], sizeof labels[g], "%.150s: no layers.csv", name);
        items[g] = (svg_legend_item_t){labels[g], grp->colour, with_layers ? NULL : "2 3", 0};
    }

    /* Layout: one block of rows per net, at most 5 panels per row. */
    enum { MAX_COLS = 5 };
    const double pw = 232.0, ph = 190.0, title_h = 34.0;
    int n_rows = 0, n_cols_used = 1;
    for (int i = 0; i < n_panels;) {
        int j = i;
        while (j < n_panels && strcmp(panels[j].net, panels[i].net) == 0)
            j++;
        int in_net = j - i;
        n_rows += (in_net + MAX_COLS - 1) / MAX_COLS;
        if (in_net > n_cols_used)
            n_cols_used = in_net > MAX_COLS ? MAX_COLS : in_net;
        i = j;
    }
    if (n_rows == 0)
        n_rows = 1;
    double legend_w = svg_legend_width(items, d->n_groups, LEGEND_FS);
    double width = n_cols_used * pw + legend_w + 20.0;
    double height = title_h + n_rows * ph + 6.0;
    height = fmax(height, title_h + svg_legend_height(d->n_groups, LEGEND_FS) + 10.0);

    FILE *fp;
    rc = memstream_open(&fp, out, err);
    if (rc)
        goto done;
    svg_begin(fp, width, height, NULL);
    svg_text(fp, 8.0, 22.0, NULL, 14.5, "#222222", 0, 1, lc->title);
    if (n_panels == 0)
        svg_text(fp, 8.0, title_h + 40.0, NULL, 12.0, "#888888", 0, 0,
                 "layers.csv has no rows");
    int row = -1, col = MAX_COLS;
    for (int p = 0; p < n_panels; p++) {
        if (col == MAX_COLS || p == 0 || strcmp(panels[p].net, panels[p - 1].net) != 0) {
            row++;
            col = 0;
        }
        char title[128];
        snprintf(title, sizeof title, "%s layer %d: %s", panels[p].net, panels[p].layer,
                 panels[p].act);
        svg_frame_t frame = {
            .left = col * pw, .top = title_h + row * ph, .width = pw, .height = ph,
            .title = title, .x_label = "epoch", .y_label = lc->y_label,
            .x_min = n_epochs ? epochs[0] : 0, .x_max = n_epochs ? epochs[n_epochs - 1] : 1,
            .y_min = y_min, .y_max = y_max, .x_integer = 1, .log_y = lc->log_y,
            .font_size = 9.0,
        };
        svg_axes_t ax;
        svg_frame(fp, &frame, &ax);
        int drawn = 0;
        for (int g = 0; g < d->n_groups; g++) {
            int n = 0;
            size_t base = ((size_t)p * (size_t)d->n_groups + (size_t)g) * (size_t)n_epochs;
            for (int e = 0; e < n_epochs; e++)
                if (count[base + e]) {
                    xs[n] = epochs[e];
                    ys[n] = sum[base + e] / count[base + e];
                    drawn += isfinite(ys[n]) && (!lc->log_y || ys[n] > 0);
                    n++;
                }
            svg_series(fp, &ax, xs, ys, n, d->groups[g].colour, 1.8, NULL, 1.0);
        }
        if (!drawn)
            svg_note(fp, &ax, lc->log_y ? "no values > 0" : "no finite values");
        col++;
    }
    svg_legend(fp, n_cols_used * pw + 8.0, title_h + 8.0, items, d->n_groups, LEGEND_FS);
    svg_end(fp);
    rc = memstream_close(fp, out, err);
done:
    free(panels);
    free(epochs);
    free(sum);
    free(count);
    free(xs);
    free(ys);
    free(items);
    free(labels);
    return rc;
}
