/* `gan report`: finds and reads the runs, writes the SVG charts and the
 * self-contained HTML page; see report.h. The charts themselves are drawn
 * by report_charts.c.
 *
 * Everything is read and checked first, then written, so a bad input never
 * leaves a half-updated set of files. The page embeds the charts as inline
 * SVG and the sample grids as base64 PNG data URIs: one file that opens
 * anywhere, with no scripts and no network. */
#include "gan/report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gan/fsutil.h"
#include "gan/json.h"
#include "gan/metrics_csv.h"
#include "gan/svg.h"
#include "report_internal.h"

/* ---- base64 ------------------------------------------------------------- */

void report_base64_fp(FILE *fp, const unsigned char *data, size_t n)
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

/* A copy of path without trailing slashes (but "/" stays "/"). */
static void strip_slashes(char *out, size_t size, const char *path)
{
    snprintf(out, size, "%s", path);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
}

static int has_file(const char *dir, const char *name)
{
    char path[2048];
    if (fs_join(path, sizeof path, dir, name, NULL))
        return 0;
    return fs_exists(path);
}

/* Adds input (a run folder, or an experiment folder's runs in name order)
 * to runs; *is_experiment tells which it was. */
static int expand_input(dir_list_t *runs, const char *input, int *is_experiment, gan_err_t *err)
{
    char dir[1024];
    strip_slashes(dir, sizeof dir, input);
    *is_experiment = 0;
    if (!fs_exists(dir))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no such folder", dir);
    if (!fs_is_dir(dir))
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: not a folder; give a run folder or an experiment folder", dir);
    if (has_file(dir, "metrics.csv"))
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
        if (has_file(sub, "metrics.csv"))
            rc = dir_list_add(&found, sub, err);
        else if (has_file(sub, "config.json"))
            /* A run folder (it has a config) without its metrics table:
             * refuse rather than silently leave the run out. */
            rc = gan_err_set(err, GAN_ERR_INPUT,
                             "%s/metrics.csv: missing; the run %s has no finished epoch yet "
                             "(or was not written by gan train)",
                             sub, sub);
    }
    closedir(dp);
    if (rc == GAN_OK && found.n == 0)
        rc = gan_err_set(err, GAN_ERR_INPUT,
                         "%s: no metrics.csv here and no run folders with one inside; expected a "
                         "run folder (runs/NAME) or an experiment folder (runs/EXP/<init>-s<seed>)",
                         dir);
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

/* Epoch of a file named epoch_NNNN.png (any number of digits), or -1. */
static int sample_epoch(const char *name)
{
    if (strncmp(name, "epoch_", 6) != 0)
        return -1;
    const char *p = name + 6;
    long v = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        v = v * 10 + (*p - '0');
        if (v > INT_MAX)
            return -1;
    }
    if (digits == 0 || strcmp(p, ".png") != 0)
        return -1;
    return (int)v;
}

static int read_samples(report_run_t *run, gan_err_t *err)
{
    char dir[2048];
    if (fs_join(dir, sizeof dir, run->dir, "samples", err))
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
        int e = sample_epoch(de->d_name);
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

/* Optional: a run without a readable config.json keeps has_config 0 and is
 * labelled by its folder name (set_group_key). */
static void read_config(report_run_t *run)
{
    char path[2048], *json = NULL;
    size_t n = 0;
    if (fs_join(path, sizeof path, run->dir, "config.json", NULL) ||
        fs_read_all(path, (size_t)1 << 20 /* config.json: about 1 KB */, &json, &n, NULL))
        return;
    run->has_config = 1;
    if (json_get_string(json, "init", run->init, sizeof run->init))
        run->init[0] = '\0';
    if (json_get_string(json, "g_init", run->g_init, sizeof run->g_init))
        run->g_init[0] = '\0';
    if (json_get_string(json, "d_init", run->d_init, sizeof run->d_init))
        run->d_init[0] = '\0';
    double v;
    if (json_get_number(json, "seed", &v) == 0 && isfinite(v)) {
        run->has_seed = 1;
        run->seed = v;
    }
    if (json_get_number(json, "epochs", &v) == 0 && isfinite(v) && v >= 0)
        run->epochs_cfg = v;
    free(json);
}

/* The colour key: the init scheme, "G x / D y" when the nets differ, or the
 * folder name when the config does not say. */
static void set_group_key(report_run_t *run, const char *folder)
{
    const char *g = run->g_init[0] ? run->g_init : run->init;
    const char *d = run->d_init[0] ? run->d_init : run->init;
    char key[512];
    if (g[0] && d[0] && strcmp(g, d) != 0)
        snprintf(key, sizeof key, "G %s / D %s", g, d);
    else
        snprintf(key, sizeof key, "%s", g[0] ? g : d[0] ? d : folder);
    str_copy(run->group_key, sizeof run->group_key, key);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static int read_run(report_run_t *run, const char *dir, gan_err_t *err)
{
    memset(run, 0, sizeof *run);
    run->epochs_cfg = NAN;
    str_copy(run->dir, sizeof run->dir, dir);
    str_copy(run->label, sizeof run->label, base_name(dir));
    char path[2048];
    int rc = fs_join(path, sizeof path, dir, "metrics.csv", err);
    if (rc)
        return rc;
    if (!fs_exists(path))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: missing; not a run folder?", path);
    rc = metrics_csv_read(&run->metrics, path, err);
    if (rc)
        return rc;
    read_config(run);
    set_group_key(run, run->label);
    rc = read_samples(run, err);
    if (rc)
        return rc;
    if (fs_join(path, sizeof path, dir, "layers.csv", err))
        return GAN_ERR_INPUT;
    if (fs_exists(path))
        rc = metrics_csv_read_layers(&run->layers, path, err);
    if (rc == GAN_OK && run->layers && metrics_csv_rows(run->layers) == 0) {
        /* Header only: no statistics yet, same as no file. */
        metrics_csv_free(run->layers);
        run->layers = NULL;
    }
    return rc;
}

static void free_data(report_data_t *d)
{
    for (int r = 0; r < d->n_runs; r++) {
        metrics_csv_free(d->runs[r].metrics);
        metrics_csv_free(d->runs[r].layers);
        free(d->runs[r].samples);
    }
    for (int g = 0; g < d->n_groups; g++)
        free(d->groups[g].members);
    free(d->runs);
    free(d->groups);
    memset(d, 0, sizeof *d);
}

/* Runs whose folder names collide (two experiments) are labelled
 * "parent/name" instead. */
static void disambiguate_labels(report_data_t *d)
{
    for (int i = 0; i < d->n_runs; i++) {
        int clash = 0;
        for (int j = 0; j < d->n_runs && !clash; j++)
            clash = j != i && strcmp(base_name(d->runs[i].dir), base_name(d->runs[j].dir)) == 0;
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

static report_group_t *new_group(report_data_t *d, const char *key, gan_err_t *err)
{
    report_group_t *grp = &d->groups[d->n_groups];
    str_copy(grp->key, sizeof grp->key, key);
    grp->members = calloc((size_t)d->n_runs, sizeof *grp->members);
    if (!grp->members) {
        gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
        return NULL;
    }
    grp->colour = svg_palette(d->n_groups);
    d->n_groups++;
    return grp;
}

/* Buckets the runs by (parent folder, init label), in run order; a bucket
 * whose seeds are all known and distinct becomes one averaged group, any
 * other bucket one group per run. See report_group_t. */
static int make_groups(report_data_t *d, gan_err_t *err)
{
    if (d->n_runs <= 0)
        return gan_err_set(err, GAN_ERR_INPUT, "report: no runs found");
    int n = d->n_runs;
    d->groups = calloc((size_t)n, sizeof *d->groups);
    int *bucket = calloc((size_t)n, sizeof *bucket); /* bucket id of each run */
    int *idx = calloc((size_t)n, sizeof *idx);
    char (*parent)[1024] = calloc((size_t)n, sizeof *parent);
    int rc = GAN_OK;
    if (!d->groups || !bucket || !idx || !parent) {
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "report: out of memory");
        goto done;
    }
    int n_parents = 0;
    for (int r = 0; r < n; r++) {
        fs_dirname(parent[r], sizeof parent[r], d->runs[r].dir);
        int seen = 0;
        for (int q = 0; q < r && !seen; q++)
            seen = strcmp(parent[q], parent[r]) == 0;
        n_parents += !seen;
        bucket[r] = r;
        for (int q = 0; q < r; q++)
            if (strcmp(parent[q], parent[r]) == 0 &&
                strcmp(d->runs[q].group_key, d->runs[r].group_key) == 0) {
                bucket[r] = bucket[q];
                break;
            }
    }
    for (int r = 0; r < n && rc == GAN_OK; r++) {
        if (bucket[r] != r)
            continue; /* handled with the bucket's first run */
        int m = 0;
        for (int q = r; q < n; q++)
            if (bucket[q] == r)
                idx[m++] = q;
        int together = m >= 2 && distinct_seeds(d, idx, m);
        for (int k = 0; k < m && rc == GAN_OK; k++) {
            report_group_t *grp = together && k > 0 ? &d->groups[d->n_groups - 1]
                                                    : new_group(d, d->runs[idx[k]].group_key, err);
            if (!grp) {
                rc = GAN_ERR_RUNTIME;
                break;
            }
            if (together && n_parents > 1)
                str_copy(grp->prefix, sizeof grp->prefix, base_name(parent[r]));
            grp->members[grp->n++] = idx[k];
            d->runs[idx[k]].group = (int)(grp - d->groups);
        }
    }
done:
    free(bucket);
    free(idx);
    free(parent);
    return rc;
}

static int load(report_data_t *d, const report_opts_t *opts, int *single_experiment,
                gan_err_t *err)
{
    memset(d, 0, sizeof *d);
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
        rc = read_run(&d->runs[i], dirs.dirs[i], err);
        if (d->runs[i].layers)
            d->any_layers = 1;
        if (d->runs[i].metrics && metrics_csv_col(d->runs[i].metrics, "fd"))
            d->any_eval = 1;
    }
    dir_list_free(&dirs);
    if (rc == GAN_OK) {
        disambiguate_labels(d);
        rc = make_groups(d, err);
    }
    if (rc)
        free_data(d);
    return rc;
}

/* ---- the page --------------------------------------------------------------- */

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

static void write_run_table(FILE *fp, const report_data_t *d)
{
    fputs("<table>\n<tr><th class=\"l\">run</th><th class=\"l\">init</th><th>seed</th>"
          "<th>epochs</th>",
          fp);
    for (int c = 0; c < N_TABLE_COLS; c++)
        fprintf(fp, "<th>%s</th>", table_cols[c].head);
    fputs("<th>train time (s)</th><th>images/s</th></tr>\n", fp);
    for (int r = 0; r < d->n_runs; r++) {
        const report_run_t *run = &d->runs[r];
        const metrics_csv_t *m = run->metrics;
        fputs("<tr><td class=\"l\">", fp);
        svg_escape(fp, run->label);
        fputs("</td><td class=\"l\">", fp);
        put_swatch(fp, d->groups[run->group].colour);
        svg_escape(fp, run->group_key);
        fputs("</td><td>", fp);
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
        put_swatch(fp, d->groups[run->group].colour);
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
                    fmin(share * 150.0, 60.0), d->groups[run->group].colour, share * 100.0);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

static void write_group_table(FILE *fp, const report_data_t *d)
{
    int any = 0;
    for (int g = 0; g < d->n_groups; g++)
        any |= d->groups[g].n >= 2;
    if (!any)
        return;
    fputs("<h3>Mean &#177; std over seeds (final epoch of each run)</h3>\n"
          "<table>\n<tr><th class=\"l\">init</th><th>runs</th><th>epochs</th>",
          fp);
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
        fputs("<tr><td class=\"l\">", fp);
        put_swatch(fp, grp->colour);
        svg_escape(fp, grp->key);
        fprintf(fp, "</td><td>%d</td><td>%.0f", grp->n, e_min);
        if (e_max != e_min)
            fprintf(fp, "&#8211;%.0f", e_max);
        fputs("</td>", fp);
        for (int c = 0; c < N_TABLE_COLS; c++) {
            double sum = 0.0, sq = 0.0;
            for (int j = 0; j < grp->n; j++)
                sum += last_value(d->runs[grp->members[j]].metrics, table_cols[c].col);
            double mean = sum / grp->n;
            for (int j = 0; j < grp->n; j++) {
                double v = last_value(d->runs[grp->members[j]].metrics, table_cols[c].col);
                sq += (v - mean) * (v - mean);
            }
            /* Sample standard deviation (n - 1): the seeds are a sample. */
            double sd = sqrt(sq / (grp->n - 1));
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
    char name[128], path[2048];
    int epoch = s->epoch;
    snprintf(name, sizeof name, "samples/%s", s->file);
    fputs("<figure>", fp);
    char *data = NULL;
    size_t n = 0;
    int ok = fs_join(path, sizeof path, run->dir, name, NULL) == GAN_OK &&
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
        report_base64_fp(fp, (const unsigned char *)data, n);
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

static void write_samples(FILE *fp, const report_data_t *d)
{
    for (int r = 0; r < d->n_runs; r++) {
        const report_run_t *run = &d->runs[r];
        fputs("<h3>", fp);
        put_swatch(fp, d->groups[run->group].colour);
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
        fputs("</div>\n", fp);
    }
}

/* exp_dir: the experiment folder when it is the only input, else NULL. */
static void write_page(FILE *fp, const report_data_t *d, const report_opts_t *opts,
                       const char *exp_dir, const report_svg_t *metric_svgs,
                       const report_svg_t *layer_svgs)
{
    char title[512];
    if (exp_dir) {
        snprintf(title, sizeof title, "gan report: %s", base_name(exp_dir));
    } else {
        snprintf(title, sizeof title, "gan report: %d run%s", d->n_runs, d->n_runs == 1 ? "" : "s");
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", fp);
    svg_escape(fp, title);
    fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", page_style);
    svg_escape(fp, title);
    fputs("</h1>\n<p class=\"sub\">", fp);
    int n_inits = 0;
    for (int g = 0; g < d->n_groups; g++) {
        int seen = 0;
        for (int h = 0; h < g && !seen; h++)
            seen = strcmp(d->groups[h].key, d->groups[g].key) == 0;
        n_inits += !seen;
    }
    fprintf(fp, "%d run%s, %d init%s; from ", d->n_runs, d->n_runs == 1 ? "" : "s", n_inits,
            n_inits == 1 ? "" : "s");
    for (int i = 0; i < opts->n_inputs; i++) {
        if (i)
            fputs(", ", fp);
        svg_escape(fp, opts->inputs[i]);
    }
    fputs(". One colour per init (per run when runs of one init share a seed); with several "
          "seeds the line is their mean and the shaded band spans min to max.</p>\n",
          fp);

    fputs("<h2>Training curves</h2>\n<div class=\"charts\">\n", fp);
    for (int c = 0; c < REPORT_N_METRIC_CHARTS; c++)
        if (metric_svgs[c].text)
            fputs(metric_svgs[c].text, fp);
    fputs("</div>\n", fp);

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
          "first, middle and last epoch with a saved grid.</p>\n",
          fp);
    write_samples(fp, d);
    fputs("</body>\n</html>\n", fp);
}

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

int report_write(const report_opts_t *opts, char *html_out, size_t html_out_size, gan_err_t *err)
{
    if (!opts || opts->n_inputs < 1 || !opts->inputs)
        return gan_err_set(err, GAN_ERR_INPUT, "report: no run or experiment folder given");
    report_data_t d;
    int single_experiment = 0;
    int rc = load(&d, opts, &single_experiment, err);
    if (rc)
        return rc;

    char exp_dir[1024], html[1024], svg_dir[1024];
    if (single_experiment)
        strip_slashes(exp_dir, sizeof exp_dir, opts->inputs[0]);
    if (opts->html_path) {
        snprintf(html, sizeof html, "%s", opts->html_path);
    } else if (single_experiment) {
        rc = fs_join(html, sizeof html, exp_dir, "report.html", err);
    } else {
        snprintf(html, sizeof html, "report.html");
    }
    if (opts->svg_dir)
        strip_slashes(svg_dir, sizeof svg_dir, opts->svg_dir);
    else
        fs_dirname(svg_dir, sizeof svg_dir, html);

    report_svg_t metric_svgs[REPORT_N_METRIC_CHARTS] = {{0}};
    report_svg_t layer_svgs[REPORT_N_LAYER_CHARTS] = {{0}};
    for (int c = 0; c < REPORT_N_METRIC_CHARTS && rc == GAN_OK; c++)
        rc = report_chart_metric(&metric_svgs[c], &d, c, err);
    for (int c = 0; c < REPORT_N_LAYER_CHARTS && rc == GAN_OK && d.any_layers; c++)
        rc = report_chart_layers(&layer_svgs[c], &d, c, err);

    char html_dir[1024];
    fs_dirname(html_dir, sizeof html_dir, html);
    if (rc == GAN_OK)
        rc = fs_mkdirs(svg_dir, err);
    if (rc == GAN_OK)
        rc = fs_mkdirs(html_dir, err);
    if (rc == GAN_OK)
        rc = write_charts(svg_dir, report_metric_charts, metric_svgs, REPORT_N_METRIC_CHARTS, err);
    if (rc == GAN_OK && d.any_layers)
        rc = write_charts(svg_dir, report_layer_charts, layer_svgs, REPORT_N_LAYER_CHARTS, err);

    if (rc == GAN_OK) {
        atomic_file_t af;
        rc = atomic_begin(&af, html, err);
        if (rc == GAN_OK) {
            write_page(af.fp, &d, opts, single_experiment ? exp_dir : NULL, metric_svgs,
                       layer_svgs);
            rc = atomic_commit(&af, err);
        }
    }
    if (rc == GAN_OK && html_out)
        snprintf(html_out, html_out_size, "%s", html);
    for (int c = 0; c < REPORT_N_METRIC_CHARTS; c++)
        free(metric_svgs[c].text);
    for (int c = 0; c < REPORT_N_LAYER_CHARTS; c++)
        free(layer_svgs[c].text);
    free_data(&d);
    return rc;
}
