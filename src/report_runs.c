/* The report's runs: finds the run folders of the inputs, reads each run
 * (metrics.csv, layers.csv, config.json, the sample grid names), and sorts
 * the runs by their axis values into groups (the seeds of one setting,
 * averaged), series (one colour each) and panels (one per value of the
 * facet axis). Reading only: nothing is drawn or written here.
 *
 * The axis values come from config.json alone, so runs named in any way
 * (by an experiment from its axes, or by hand) are grouped alike. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gan/fsutil.h"
#include "gan/json.h"
#include "gan/metrics_csv.h"
#include "gan/run_dir.h"
#include "gan/svg.h"
#include "gan/train.h"
#include "gan/experiment.h"
#include "gan/progress_strip.h"
#include "report_internal.h"

/* ---- axes ----------------------------------------------------------------- */

/* The axes are the experiment module's: a report groups runs as a plan
 * names them. */
int report_n_axes(void)
{
    const char *const *names;
    return experiment_axis_names(&names);
}

const char *report_axis_name(int a)
{
    const char *const *names;
    int n = experiment_axis_names(&names);
    return a >= 0 && a < n ? names[a] : "?";
}

int report_axis_index(const char *name)
{
    for (int a = 0; a < report_n_axes(); a++)
        if (strcmp(report_axis_name(a), name) == 0)
            return a;
    return -1;
}

int report_axis_is_implied(int axis)
{
    const char *name = report_axis_name(axis);
    return !strcmp(name, "g-init") || !strcmp(name, "d-init") || !strcmp(name, "seed");
}

int report_check_axis(const char *option, const char *name, gan_err_t *err)
{
    if (report_axis_index(name) >= 0 && train_cfg_is_option(name))
        return GAN_OK;
    char list[400] = "";
    for (int a = 0; a < report_n_axes(); a++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", a ? ", " : "",
                 report_axis_name(a));
    return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: not an axis; use one of %s", option, name,
                       list);
}

void report_axis_value_text(char *out, size_t size, int axis, const char *value)
{
    if (axis == AXIS_INIT)
        snprintf(out, size, "%s", value[0] ? value : "?");
    else
        snprintf(out, size, "%s=%s", report_axis_name(axis), value[0] ? value : "?");
}

static int is_number(const char *s)
{
    char *end;
    strtod(s, &end);
    return s[0] && !*end;
}

/* Orders axis values: as numbers when both are numbers (0.0001 < 0.0002 <
 * 0.001), else as text. */
static int value_cmp(const char *a, const char *b)
{
    double x = strtod(a, NULL), y = strtod(b, NULL);
    if (is_number(a) && is_number(b) && x != y)
        return (x > y) - (x < y);
    return strcmp(a, b);
}

/* ---- finding the runs ---------------------------------------------------- */

typedef struct {
    char **dirs;
    int n, cap;
} dir_list_t;

static void dir_list_free(dir_list_t *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->dirs[i]);
    free(l->dirs);
    l->dirs = NULL;
    l->n = l->cap = 0;
}

static int dir_list_add(dir_list_t *l, const char *dir, gan_err_t *err)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **d = realloc(l->dirs, (size_t)cap * sizeof *d);
        if (!d)
            return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
        l->dirs = d;
        l->cap = cap;
    }
    if (!(l->dirs[l->n] = strdup(dir)))
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    l->n++;
    return GAN_OK;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void report_strip_slashes(char *out, size_t size, const char *path)
{
    snprintf(out, size, "%s", path);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
}

static int has_file(const char *dir, run_file_t f)
{
    char path[PATH_MAX];
    return run_path(path, dir, f, NULL) == GAN_OK && fs_exists(path);
}

/* Adds input (a run folder, or an experiment folder's runs in name order)
 * to runs; *is_experiment tells which it was. */
static int expand_input(dir_list_t *runs, const char *input, int *is_experiment, gan_err_t *err)
{
    char dir[PATH_MAX];
    report_strip_slashes(dir, sizeof dir, input);
    *is_experiment = 0;
    if (!fs_exists(dir))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no such folder", dir);
    if (!fs_is_dir(dir))
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: not a folder; give a run folder or an experiment folder", dir);
    if (has_file(dir, RUN_METRICS))
        return dir_list_add(runs, dir, err);

    DIR *dp = opendir(dir);
    if (!dp)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: cannot list (%s)", dir, strerror(errno));
    dir_list_t found = {0};
    int rc = GAN_OK;
    struct dirent *de;
    while (rc == GAN_OK && (de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char sub[2048];
        if (fs_join(sub, sizeof sub, dir, de->d_name, NULL) || !fs_is_dir(sub))
            continue;
        if (has_file(sub, RUN_METRICS))
            rc = dir_list_add(&found, sub, err);
        else if (has_file(sub, RUN_CONFIG))
            /* A run folder (it has a config) without its metrics table:
             * refuse rather than silently leave the run out. */
            rc = gan_err_set(err, GAN_ERR_INPUT,
                             "%s/%s: missing; the run %s has no finished epoch yet "
                             "(or was not written by gan train)",
                             sub, run_file_name(RUN_METRICS), sub);
    }
    closedir(dp);
    if (rc == GAN_OK && found.n == 0)
        rc = gan_err_set(err, GAN_ERR_INPUT,
                         "%s: no %s here and no run folders with one inside; expected a "
                         "run folder (runs/NAME) or an experiment folder (runs/EXP/<init>-s<seed>)",
                         dir, run_file_name(RUN_METRICS));
    if (rc == GAN_OK) {
        qsort(found.dirs, (size_t)found.n, sizeof *found.dirs, str_cmp);
        for (int i = 0; i < found.n && rc == GAN_OK; i++)
            rc = dir_list_add(runs, found.dirs[i], err);
        *is_experiment = 1;
    }
    dir_list_free(&found);
    return rc;
}

/* ---- reading one run ------------------------------------------------------ */

/* Copies src into dst (size bytes), cut short if it does not fit. */
static void str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int sample_cmp(const void *a, const void *b)
{
    const report_sample_t *x = a, *y = b;
    if (x->epoch != y->epoch)
        return (x->epoch > y->epoch) - (x->epoch < y->epoch);
    return strcmp(x->file, y->file);
}

static int read_samples(report_run_t *run, gan_err_t *err)
{
    char dir[PATH_MAX];
    if (run_path(dir, run->dir, RUN_SAMPLES, err))
        return GAN_ERR_INPUT;
    run->has_samples_dir = fs_is_dir(dir);
    if (!run->has_samples_dir)
        return GAN_OK;
    DIR *dp = opendir(dir);
    if (!dp)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: cannot list (%s)", dir, strerror(errno));
    int cap = 0, rc = GAN_OK;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        int e = run_epoch_of_name(de->d_name, RUN_SAMPLES);
        if (e < 0 || strlen(de->d_name) >= sizeof run->samples[0].file)
            continue;
        if (run->n_samples == cap) {
            cap = cap ? 2 * cap : 32;
            report_sample_t *v = realloc(run->samples, (size_t)cap * sizeof *v);
            if (!v) {
                rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
                break;
            }
            run->samples = v;
        }
        run->samples[run->n_samples].epoch = e;
        str_copy(run->samples[run->n_samples].file, sizeof run->samples[0].file, de->d_name);
        run->n_samples++;
    }
    closedir(dp);
    if (run->n_samples > 1)
        qsort(run->samples, (size_t)run->n_samples, sizeof *run->samples, sample_cmp);
    return rc;
}

/* Optional: a run without config.json keeps has_config 0 and its folder
 * name as init value; one that is there but cannot be read (a FIFO, a
 * device, over 1 MB) is an error naming it, never waited on. A config.json that train_cfg_read_json
 * takes gives every axis; a partial one (hand-written, or from an older
 * version) gives the init keys and the seed as they are, the other axes
 * stay unknown (""). */
static int read_config(report_run_t *run, gan_err_t *err)
{
    char path[PATH_MAX], *json = NULL;
    size_t n = 0;
    int rc = run_path(path, run->dir, RUN_CONFIG, err);
    struct stat st;
    if (!rc && lstat(path, &st) == 0)
        rc = fs_read_all(path, (size_t)1 << 20 /* config.json: about 1 KB */, &json, &n, err);
    if (rc)
        return rc;
    run->has_config = json != NULL;
    char (*axis)[sizeof run->axis[0]] = run->axis;
    int g_init = report_axis_index("g-init"), d_init = report_axis_index("d-init");
    train_cfg_t cfg;
    gan_err_t why;
    if (json && train_cfg_read_json(&cfg, json, path, &why) == GAN_OK) {
        for (int a = 0; a < report_n_axes(); a++)
            if (a != AXIS_INIT)
                experiment_axis_label(axis[a], sizeof axis[a], &cfg, report_axis_name(a));
    } else if (json) {
        char both[sizeof axis[0]] = "";
        if (json_get_string(json, "init", both, sizeof both))
            both[0] = '\0';
        if (json_get_string(json, "g_init", axis[g_init], sizeof axis[g_init]))
            str_copy(axis[g_init], sizeof axis[g_init], both);
        if (json_get_string(json, "d_init", axis[d_init], sizeof axis[d_init]))
            str_copy(axis[d_init], sizeof axis[d_init], both);
    }
    double v;
    if (json && json_get_number(json, "seed", &v) == 0 && isfinite(v)) {
        run->has_seed = 1;
        run->seed = v;
        snprintf(axis[report_axis_index("seed")], sizeof axis[0], "%.0f", v);
    }
    if (json && json_get_number(json, "epochs", &v) == 0 && isfinite(v) && v >= 0)
        run->epochs_cfg = v;
    if (json && json_get_number(json, "image_size", &v) == 0 && v >= 1 && v <= (1 << 20)) {
        int side = (int)lround(sqrt(v));
        if (side * side == (int)v)
            run->image_side = side;
    }
    free(json);

    /* The init value: the scheme, "G x / D y" when the nets differ, or the
     * folder name when the config does not say. */
    const char *g = axis[g_init], *d = axis[d_init];
    char init[512];
    if (g[0] && d[0] && strcmp(g, d) != 0)
        snprintf(init, sizeof init, "G %s / D %s", g, d);
    else
        snprintf(init, sizeof init, "%s", g[0] ? g : d[0] ? d : run->label);
    str_copy(axis[AXIS_INIT], sizeof axis[AXIS_INIT], init);
    return GAN_OK;
}

const char *report_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* An optional log of the run (layers.csv, steps.csv) with its reader:
 * *out stays NULL when the file is missing or holds only its header (no
 * rows yet, same as no file). */
static int read_optional(metrics_csv_t **out, const char *dir, run_file_t f,
                         int (*read)(metrics_csv_t **, const char *, gan_err_t *), gan_err_t *err)
{
    char path[PATH_MAX];
    if (run_path(path, dir, f, err))
        return GAN_ERR_INPUT;
    int rc = fs_exists(path) ? read(out, path, err) : GAN_OK;
    if (rc == GAN_OK && *out && metrics_csv_rows(*out) == 0) {
        metrics_csv_free(*out);
        *out = NULL;
    }
    return rc;
}

static int read_run(report_run_t *run, const char *dir, int want_steps, gan_err_t *err)
{
    memset(run, 0, sizeof *run);
    run->epochs_cfg = NAN;
    run->image_side = 28;
    str_copy(run->dir, sizeof run->dir, dir);
    str_copy(run->label, sizeof run->label, report_base_name(dir));
    char path[PATH_MAX];
    int rc = run_path(path, dir, RUN_METRICS, err);
    if (rc)
        return rc;
    if (!fs_exists(path))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: missing; not a run folder?", path);
    rc = metrics_csv_read(&run->metrics, path, err);
    if (rc)
        return rc;
    rc = read_config(run, err);
    if (rc)
        return rc;
    rc = read_samples(run, err);
    if (rc)
        return rc;
    rc = read_optional(&run->layers, dir, RUN_LAYERS, metrics_csv_read_layers, err);
    if (rc == GAN_OK && want_steps)
        rc = read_optional(&run->steps, dir, RUN_STEPS, metrics_csv_read_steps, err);
    return rc;
}

/* Runs whose folder names collide (two experiments) are labelled
 * "parent/name" instead. */
static void disambiguate_labels(report_data_t *d)
{
    for (int i = 0; i < d->n_runs; i++) {
        int clash = 0;
        for (int j = 0; j < d->n_runs && !clash; j++)
            clash = j != i && strcmp(report_base_name(d->runs[i].dir), report_base_name(d->runs[j].dir)) == 0;
        if (!clash)
            continue;
        const char *dir = d->runs[i].dir;
        const char *last = strrchr(dir, '/');
        const char *start = dir;
        if (last)
            for (const char *p = dir; p < last; p++)
                if (*p == '/')
                    start = p + 1;
        str_copy(d->runs[i].label, sizeof d->runs[i].label, start);
    }
}

/* 1 if the runs in idx[0..n) all have a seed and no two share one. */
static int distinct_seeds(const report_data_t *d, const int *idx, int n)
{
    for (int i = 0; i < n; i++) {
        if (!d->runs[idx[i]].has_seed)
            return 0;
        for (int j = 0; j < i; j++)
            if (d->runs[idx[j]].seed == d->runs[idx[i]].seed)
                return 0;
    }
    return 1;
}

/* 1 if axis a says something about axis b: the same axis, or init and
 * one net's init (the init label is made of g-init and d-init). */
static int axes_overlap(int a, int b)
{
    int g = report_axis_index("g-init"), d = report_axis_index("d-init");
    return a == b || (a == AXIS_INIT && (b == g || b == d)) ||
           (b == AXIS_INIT && (a == g || a == d));
}

/* 1 if runs p and q share the value of every axis except `except` (-1:
 * none) and those it overlaps, and, unless it is the colour or facet
 * axis, the seed. */
static int same_values(const report_data_t *d, int p, int q, int except)
{
    int seed = report_axis_index("seed");
    int seed_is_shown = d->color_axis == seed || d->facet_axis == seed;
    for (int a = 0; a < report_n_axes(); a++)
        if (!(except >= 0 && axes_overlap(a, except)) && (a != seed || seed_is_shown) &&
            strcmp(d->runs[p].axis[a], d->runs[q].axis[a]) != 0)
            return 0;
    return 1;
}

/* The facet panels: one per value of the facet axis, in value order; one
 * untitled panel without a facet axis. */
static int make_panels(report_data_t *d, gan_err_t *err)
{
    d->panels = calloc((size_t)d->n_runs, sizeof *d->panels);
    if (!d->panels)
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    if (d->facet_axis < 0) {
        d->n_panels = 1;
        return GAN_OK;
    }
    for (int r = 0; r < d->n_runs; r++) {
        const char *v = d->runs[r].axis[d->facet_axis];
        int at = 0;
        while (at < d->n_panels && value_cmp(d->panels[at].value, v) < 0)
            at++;
        if (at < d->n_panels && strcmp(d->panels[at].value, v) == 0)
            continue;
        memmove(&d->panels[at + 1], &d->panels[at], (size_t)(d->n_panels - at) * sizeof *d->panels);
        report_panel_t *p = &d->panels[at];
        str_copy(p->value, sizeof p->value, v);
        report_axis_value_text(p->title, sizeof p->title, d->facet_axis, v);
        d->n_panels++;
    }
    return GAN_OK;
}

static int panel_of(const report_data_t *d, int run)
{
    for (int p = 0; d->facet_axis >= 0 && p < d->n_panels; p++)
        if (strcmp(d->panels[p].value, d->runs[run].axis[d->facet_axis]) == 0)
            return p;
    return 0;
}

/* Buckets the runs by (parent folder, every axis value but the seed), in
 * run order; a bucket whose seeds are all known and distinct becomes one
 * averaged group, any other bucket one group per run. */
static int make_groups(report_data_t *d, char (*parent)[PATH_MAX], gan_err_t *err)
{
    int n = d->n_runs;
    d->groups = calloc((size_t)n, sizeof *d->groups);
    int *idx = calloc((size_t)n, sizeof *idx);
    int *done = calloc((size_t)n, sizeof *done);
    int rc = GAN_OK;
    if (!d->groups || !idx || !done) {
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
        goto out;
    }
    for (int r = 0; r < n && rc == GAN_OK; r++) {
        if (done[r])
            continue;
        int m = 0;
        for (int q = r; q < n; q++)
            if (!done[q] && strcmp(parent[q], parent[r]) == 0 && same_values(d, q, r, -1)) {
                idx[m++] = q;
                done[q] = 1;
            }
        int together = m >= 2 && distinct_seeds(d, idx, m);
        for (int k = 0; k < m; k++) {
            if (!together || k == 0) {
                report_group_t *grp = &d->groups[d->n_groups++];
                if (!(grp->members = calloc((size_t)m, sizeof *grp->members))) {
                    rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
                    break;
                }
                grp->panel = panel_of(d, idx[k]);
                grp->split = m >= 2 && !together;
            }
            report_group_t *grp = &d->groups[d->n_groups - 1];
            grp->members[grp->n++] = idx[k];
            d->runs[idx[k]].group = d->n_groups - 1;
        }
    }
out:
    free(idx);
    free(done);
    return rc;
}

/* Legend text of a series: its colour-axis value, the values of the other
 * varying axes that the facets do not show, "EXP/" when runs come from
 * several folders, and the run's name when it is a single run not named
 * by its values. */
static void series_label(report_data_t *d, report_series_t *s, int run, int single,
                         int n_parents)
{
    char text[sizeof s->label] = "", part[128];
    const report_run_t *r = &d->runs[run];
    if (n_parents > 1 && !single) {
        char dir[PATH_MAX];
        fs_dirname(dir, sizeof dir, r->dir);
        snprintf(text, sizeof text, "%.60s/", report_base_name(dir));
    }
    report_axis_value_text(part, sizeof part, d->color_axis, r->axis[d->color_axis]);
    snprintf(text + strlen(text), sizeof text - strlen(text), "%s", part);
    for (int a = 0; a < report_n_axes(); a++) {
        if (axes_overlap(a, d->color_axis) || (d->facet_axis >= 0 && axes_overlap(a, d->facet_axis)) ||
            !d->varies[a] || report_axis_is_implied(a))
            continue;
        report_axis_value_text(part, sizeof part, a, r->axis[a]);
        snprintf(text + strlen(text), sizeof text - strlen(text), ", %s", part);
    }
    if (single && strcmp(text, r->label) != 0)
        snprintf(text + strlen(text), sizeof text - strlen(text), " (%.100s)", r->label);
    str_copy(s->label, sizeof s->label, text);
}

/* Series: the groups of one folder whose values differ at most in the
 * facet axis (and never in the colour axis, should it be the same one); a run split out of a bucket that could not be averaged is a
 * series of its own. Coloured in run order, or in increasing order of the
 * colour-axis value when every value is a number (lr, batch, ...). */
static int make_series(report_data_t *d, char (*parent)[PATH_MAX], int n_parents, gan_err_t *err)
{
    int n = d->n_groups;
    int *first = calloc((size_t)n, sizeof *first);   /* a run of each series */
    int *order = calloc((size_t)n, sizeof *order);   /* series by colour value */
    int *rank = calloc((size_t)n, sizeof *rank);     /* position of a series in order */
    int *closed = calloc((size_t)n, sizeof *closed); /* a split run's series: none joins */
    report_series_t *series = calloc((size_t)n, sizeof *series);
    if (!first || !order || !rank || !closed || !series) {
        free(first);
        free(order);
        free(rank);
        free(closed);
        free(series);
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    }
    int n_series = 0;
    for (int g = 0; g < n; g++) {
        report_group_t *grp = &d->groups[g];
        int run = grp->members[0], s = 0;
        while (s < n_series &&
               (grp->split || closed[s] || strcmp(parent[first[s]], parent[run]) != 0 ||
                !same_values(d, first[s], run, d->facet_axis) ||
                strcmp(d->runs[first[s]].axis[d->color_axis], d->runs[run].axis[d->color_axis])))
            s++;
        if (s == n_series) {
            first[n_series] = run;
            closed[n_series++] = grp->split;
        }
        grp->series = s;
        series[s].n_runs += grp->n;
    }
    int numbers = 1; /* numbers go in increasing order, names in run order */
    for (int s = 0; s < n_series; s++)
        numbers &= is_number(d->runs[first[s]].axis[d->color_axis]);
    for (int s = 0; s < n_series; s++) { /* stable insertion sort */
        int at = s;
        while (numbers && at > 0 &&
               value_cmp(d->runs[first[order[at - 1]]].axis[d->color_axis],
                         d->runs[first[s]].axis[d->color_axis]) > 0)
            at--;
        memmove(&order[at + 1], &order[at], (size_t)(s - at) * sizeof *order);
        order[at] = s;
    }
    d->series = calloc((size_t)n, sizeof *d->series);
    int rc = d->series ? GAN_OK : gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    for (int k = 0; k < n_series && rc == GAN_OK; k++) {
        report_series_t *s = &d->series[k];
        *s = series[order[k]];
        rank[order[k]] = k;
        s->colour = svg_palette(k);
        series_label(d, s, first[order[k]], s->n_runs == 1, n_parents);
    }
    if (rc == GAN_OK) {
        d->n_series = n_series;
        for (int g = 0; g < n; g++)
            d->groups[g].series = rank[d->groups[g].series];
    }
    free(first);
    free(order);
    free(rank);
    free(closed);
    free(series);
    return rc;
}

void report_free(report_data_t *d)
{
    for (int r = 0; r < d->n_runs; r++) {
        metrics_csv_free(d->runs[r].metrics);
        metrics_csv_free(d->runs[r].layers);
        metrics_csv_free(d->runs[r].steps);
        free(d->runs[r].samples);
        free(d->runs[r].strip_png);
    }
    for (int g = 0; g < d->n_groups; g++)
        free(d->groups[g].members);
    free(d->runs);
    free(d->groups);
    free(d->series);
    free(d->panels);
    memset(d, 0, sizeof *d);
}

/* Groups, panels and series of the runs read into d. */
static int sort_runs(report_data_t *d, gan_err_t *err)
{
    if (d->n_runs <= 0)
        return gan_err_set(err, GAN_ERR_INPUT, "report: no runs found");
    char (*parent)[PATH_MAX] = calloc((size_t)d->n_runs, sizeof *parent);
    if (!parent)
        return gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    int n_parents = 0;
    for (int r = 0; r < d->n_runs; r++) {
        fs_dirname(parent[r], sizeof parent[r], d->runs[r].dir);
        int seen = 0;
        for (int q = 0; q < r && !seen; q++)
            seen = strcmp(parent[q], parent[r]) == 0;
        n_parents += !seen;
    }
    /* An axis varies when the runs have two known values of it (a run
     * without config.json says nothing about the learning rate). */
    for (int a = 0; a < report_n_axes(); a++) {
        const char *known = NULL;
        for (int r = 0; r < d->n_runs && !d->varies[a]; r++) {
            const char *v = d->runs[r].axis[a];
            if (v[0] && known)
                d->varies[a] = strcmp(v, known) != 0;
            else if (v[0])
                known = v;
        }
    }
    int rc = make_panels(d, err);
    if (rc == GAN_OK)
        rc = make_groups(d, parent, err);
    if (rc == GAN_OK)
        rc = make_series(d, parent, n_parents, err);
    free(parent);
    return rc;
}

int report_load(report_data_t *d, const report_opts_t *opts, int *single_experiment,
                gan_err_t *err)
{
    memset(d, 0, sizeof *d);
    d->color_axis = report_axis_index(opts->color_axis ? opts->color_axis : "init");
    d->steps_mode = opts->steps;
    d->facet_axis = opts->facet_axis ? report_axis_index(opts->facet_axis) : -1;
    dir_list_t dirs = {0};
    int rc = GAN_OK, is_exp = 0;
    for (int i = 0; i < opts->n_inputs && rc == GAN_OK; i++)
        rc = expand_input(&dirs, opts->inputs[i], &is_exp, err);
    *single_experiment = rc == GAN_OK && opts->n_inputs == 1 && is_exp;
    /* The same folder named twice (or through an experiment and directly)
     * is one run. */
    for (int i = 0; i < dirs.n && rc == GAN_OK; i++) {
        char ri[PATH_MAX], rj[PATH_MAX];
        if (!realpath(dirs.dirs[i], ri))
            continue;
        for (int j = i + 1; j < dirs.n; j++)
            if (realpath(dirs.dirs[j], rj) && strcmp(ri, rj) == 0) {
                free(dirs.dirs[j]);
                memmove(&dirs.dirs[j], &dirs.dirs[j + 1], (size_t)(dirs.n - j - 1) * sizeof *dirs.dirs);
                dirs.n--;
                j--;
            }
    }
    if (rc == GAN_OK) {
        d->runs = calloc((size_t)dirs.n, sizeof *d->runs);
        if (!d->runs)
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
    }
    for (int i = 0; i < dirs.n && rc == GAN_OK; i++) {
        d->n_runs++;
        rc = read_run(&d->runs[i], dirs.dirs[i], opts->steps != REPORT_STEPS_NONE, err);
        if (d->runs[i].layers)
            d->any_layers = 1;
        if (d->runs[i].steps)
            d->any_steps = 1;
        if (d->runs[i].metrics && metrics_csv_col(d->runs[i].metrics, "fd"))
            d->any_eval = 1;
    }
    dir_list_free(&dirs);
    if (rc == GAN_OK) {
        disambiguate_labels(d);
        rc = sort_runs(d, err);
    }
    if (rc)
        report_free(d);
    return rc;
}

/* "progress-<label>.png" with every character a file name should not
 * hold (the "/" of a disambiguated label, a space, a comma, a quote) as
 * "_". When that changed the label, 8 hex digits of its FNV-1a hash follow
 * ("progress-a_b-1c2f3e4d.png"), so "a b" and "a,b" get names of their
 * own; report_make_strips settles any collision left. */
static void strip_file_name(char *out, size_t size, const char *label)
{
    int n = snprintf(out, size, "progress-%s.png", label);
    size_t end = n > 0 && (size_t)n < size ? (size_t)n - 4 : strlen(out);
    int changed = 0;
    for (size_t i = strlen("progress-"); i < end; i++) {
        char c = out[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_')) {
            out[i] = '_';
            changed = 1;
        }
    }
    if (!changed)
        return;
    uint32_t h = 2166136261u; /* FNV-1a, 32 bits */
    for (const char *p = label; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    char hex[16];
    snprintf(hex, sizeof hex, "-%08x.png", h);
    /* room for the hash: cut the name part if it must */
    size_t keep = end < size - strlen(hex) ? end : size - strlen(hex) - 1;
    memcpy(out + keep, hex, strlen(hex) + 1);
}

/* 1 if a run before `upto` already writes file. */
static int strip_name_taken(const report_data_t *d, int upto, const char *file)
{
    for (int q = 0; q < upto; q++)
        if (d->runs[q].strip_png && strcmp(d->runs[q].strip_file, file) == 0)
            return 1;
    return 0;
}

static int make_strip(report_run_t *run, gan_err_t *err)
{
    char **paths = calloc((size_t)run->n_samples, sizeof *paths);
    int rc = paths ? GAN_OK : gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    for (int i = 0; i < run->n_samples && !rc; i++) {
        char path[PATH_MAX];
        rc = run_sample_path(path, run->dir, run->samples[i].epoch, err);
        if (!rc && !(paths[i] = strdup(path)))
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    progress_strip_t strip;
    gan_err_t why;
    int built = rc ? rc
                   : progress_strip_build(&strip, (const char *const *)paths, run->n_samples,
                                          run->image_side, 2, PROGRESS_STRIP_COLS, &why);
    if (!rc && built == GAN_ERR_RUNTIME)
        rc = built, *err = why;
    else if (!rc && built)
        str_copy(run->strip_note, sizeof run->strip_note, why.msg);
    if (!rc && !built) {
        run->strip_rows = strip.rows;
        run->strip_cols = strip.cols;
        run->strip_width = strip.width;
        run->strip_height = strip.height;
        rc = progress_strip_png(&run->strip_png, &run->strip_size, &strip, err);
        strip_file_name(run->strip_file, sizeof run->strip_file, run->label);
        progress_strip_free(&strip);
    }
    for (int i = 0; paths && i < run->n_samples; i++)
        free(paths[i]);
    free(paths);
    return rc;
}

/* Every run's strip gets a file name of its own, whatever the run names:
 * a name an earlier run took (equal labels from different parents, or a
 * hash collision) gets "-2", "-3", ... before ".png". */
int report_make_strips(report_data_t *d, gan_err_t *err)
{
    int rc = GAN_OK;
    for (int r = 0; r < d->n_runs && !rc; r++) {
        report_run_t *run = &d->runs[r];
        if (run->n_samples > 0)
            rc = make_strip(run, err);
        if (rc || !run->strip_png)
            continue;
        char base[sizeof run->strip_file];
        str_copy(base, sizeof base, run->strip_file);
        size_t stem = strlen(base) - 4; /* without ".png" */
        if (stem > sizeof base - 16)
            stem = sizeof base - 16;
        for (int k = 2; strip_name_taken(d, r, run->strip_file); k++)
            snprintf(run->strip_file, sizeof run->strip_file, "%.*s-%d.png", (int)stem, base, k);
    }
    return rc;
}
