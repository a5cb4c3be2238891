/* Strict readers of metrics.csv and layers.csv; see metrics_csv.h.
 *
 * The whole file is read into memory and split in place (runs have at most
 * thousands of rows). Values are kept column-major, so a column is one
 * contiguous array a chart can draw directly. It deliberately knows nothing
 * about what the columns mean beyond the order checks on epoch/layer. */
#include "gan/metrics_csv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/fsutil.h"

struct metrics_csv {
    char *name;
    int n_rows, n_cols;
    char **cols;     /* n_cols header names */
    int *is_text;    /* n_cols flags */
    double *values;  /* n_cols x n_rows, column-major */
    char **texts;    /* n_cols x n_rows, column-major; NULL outside text columns */
};

/* What one kind of table requires. */
typedef struct {
    const char *columns;     /* required, comma separated */
    const char *text_cols;   /* the columns holding text, comma separated */
    int epoch_strict;        /* 1: epoch strictly increasing, 0: never decreasing */
    int check_layer;         /* "layer" is a whole number >= 0 */
    int allow_empty;         /* a header-only file is a table of 0 rows */
    int check_step;          /* "step" is a whole number, strictly increasing */
} table_spec_t;

static const table_spec_t metrics_spec = {METRICS_CSV_REQUIRED_COLUMNS, "", 1, 0, 0, 0};
static const table_spec_t layers_spec = {LAYERS_CSV_COLUMNS, "net,act,name", 0, 1, 1, 0};
static const table_spec_t steps_spec = {STEPS_CSV_COLUMNS, "", 0, 0, 1, 1};

void metrics_csv_free(metrics_csv_t *t)
{
    if (!t)
        return;
    if (t->texts)
        for (size_t i = 0; i < (size_t)t->n_cols * (size_t)t->n_rows; i++)
            free(t->texts[i]);
    if (t->cols)
        for (int c = 0; c < t->n_cols; c++)
            free(t->cols[c]);
    free(t->texts);
    free(t->cols);
    free(t->is_text);
    free(t->values);
    free(t->name);
    free(t);
}

int metrics_csv_rows(const metrics_csv_t *t)
{
    return t ? t->n_rows : 0;
}

const char *metrics_csv_name(const metrics_csv_t *t)
{
    return t ? t->name : NULL;
}

static int find_col(const metrics_csv_t *t, const char *name)
{
    for (int c = 0; c < t->n_cols; c++)
        if (strcmp(t->cols[c], name) == 0)
            return c;
    return -1;
}

const double *metrics_csv_col(const metrics_csv_t *t, const char *name)
{
    int c = t ? find_col(t, name) : -1;
    return c < 0 ? NULL : t->values + (size_t)c * (size_t)t->n_rows;
}

int metrics_csv_last_finite_row(const metrics_csv_t *t, const char *name)
{
    const double *v = metrics_csv_col(t, name);
    for (int r = v ? t->n_rows - 1 : -1; r >= 0; r--)
        if (isfinite(v[r]))
            return r;
    return -1;
}

const char *metrics_csv_text(const metrics_csv_t *t, const char *name, int row)
{
    int c = t ? find_col(t, name) : -1;
    if (c < 0 || !t->is_text[c] || row < 0 || row >= t->n_rows)
        return NULL;
    return t->texts[(size_t)c * (size_t)t->n_rows + (size_t)row];
}

/* 1 if name is one of the comma-separated words in list. */
static int in_list(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, name, n) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Splits line at ',' in place into at most max fields; returns the number
 * of fields found (max + 1 means "more than max"). */
static int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (n < max)
            fields[n] = trim(p);
        n++;
        if (!comma || n > max)
            return n > max ? max + 1 : n;
        p = comma + 1;
    }
}

/* Counts fields without splitting (for the message of a wrong count). */
static int count_fields(const char *line)
{
    int n = 1;
    for (; *line; line++)
        n += *line == ',';
    return n;
}

static int parse_header(metrics_csv_t *t, char *line, const table_spec_t *spec, gan_err_t *err)
{
    int n = count_fields(line);
    t->cols = calloc((size_t)n, sizeof *t->cols);
    t->is_text = calloc((size_t)n, sizeof *t->is_text);
    char **fields = calloc((size_t)n, sizeof *fields);
    if (!t->cols || !t->is_text || !fields) {
        free(fields);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", t->name);
    }
    split_fields(line, fields, n);
    int rc = GAN_OK;
    for (int c = 0; c < n && rc == GAN_OK; c++) {
        if (fields[c][0] == '\0') {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s:1: column %d has an empty name; expected the header '%s'",
                             t->name, c + 1, spec->columns);
            break;
        }
        for (int k = 0; k < c; k++)
            if (strcmp(fields[k], fields[c]) == 0) {
                rc = gan_err_set(err, GAN_ERR_INPUT, "%s:1: column '%s' appears twice in the header",
                                 t->name, fields[c]);
                break;
            }
        if (rc)
            break;
        t->cols[c] = strdup(fields[c]);
        if (!t->cols[c])
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", t->name);
        t->n_cols = c + 1;
        t->is_text[c] = in_list(spec->text_cols, fields[c]);
    }
    free(fields);
    if (rc)
        return rc;
    /* Every required column must be there; extra ones are ignored. */
    char need[256];
    snprintf(need, sizeof need, "%s", spec->columns);
    for (char *save = NULL, *name = strtok_r(need, ",", &save); name;
         name = strtok_r(NULL, ",", &save))
        if (find_col(t, name) < 0)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s:1: no column '%s' in the header; expected '%s' (extra columns "
                               "after these are fine)",
                               t->name, name, spec->columns);
    return GAN_OK;
}

/* Parses a whole cell as a number; 0 on success. */
static int parse_number(const char *s, double *out)
{
    if (*s == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return -1;
    /* ERANGE on underflow still gives a usable (tiny or zero) value; on
     * overflow strtod returns +-HUGE_VAL, i.e. inf, which we accept. */
    *out = v;
    return 0;
}

static int is_whole(double v)
{
    return isfinite(v) && v >= 0 && v == floor(v) && v < 1e15;
}

/* Grows the row-major staging arrays to hold one more row. */
static int reserve_row(double **vals, char ***texts, int *cap, int n_rows, int n_cols)
{
    if (n_rows < *cap)
        return 0;
    int new_cap = *cap ? *cap * 2 : 64;
    double *v = realloc(*vals, (size_t)new_cap * (size_t)n_cols * sizeof *v);
    if (!v)
        return -1;
    *vals = v;
    char **tx = realloc(*texts, (size_t)new_cap * (size_t)n_cols * sizeof *tx);
    if (!tx)
        return -1;
    *texts = tx;
    *cap = new_cap;
    return 0;
}

static int parse_table(metrics_csv_t *t, char *data, size_t n, const table_spec_t *spec,
                       gan_err_t *err)
{
    if (n == 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s:1: empty file; expected the header line '%s'",
                           t->name, spec->columns);
    const char *nul = memchr(data, '\0', n);
    if (nul) {
        int line = 1;
        for (const char *p = data; p < nul; p++)
            line += *p == '\n';
        return gan_err_set(err, GAN_ERR_INPUT, "%s:%d: contains a NUL byte; not a text file",
                           t->name, line);
    }

    double *vals = NULL;   /* row-major staging */
    char **texts = NULL;
    int cap = 0, n_rows = 0, rc = GAN_OK;
    char **fields = NULL;
    int epoch_col = -1, layer_col = -1, step_col = -1;
    double last_epoch = -1.0, last_step = -1.0;
    char *p = data, *end = data + n;
    for (int line_no = 1; p < end && rc == GAN_OK; line_no++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            rc = gan_err_set(err, GAN_ERR_INPUT,
                             "%s:%d: truncated last line (no newline at the end: '%.40s'); was "
                             "the file cut off while being written?",
                             t->name, line_no, p);
            break;
        }
        *nl = '\0';
        if (nl > p && nl[-1] == '\r')
            nl[-1] = '\0';
        char *line = p;
        p = nl + 1;
        if (line_no == 1) {
            rc = parse_header(t, line, spec, err);
            if (rc)
                break;
            fields = calloc((size_t)t->n_cols, sizeof *fields);
            if (!fields) {
                rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", t->name);
                break;
            }
            epoch_col = find_col(t, "epoch");
            layer_col = spec->check_layer ? find_col(t, "layer") : -1;
            step_col = spec->check_step ? find_col(t, "step") : -1;
            continue;
        }
        if (line[0] == '\0') {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s:%d: empty line; expected %d fields", t->name,
                             line_no, t->n_cols);
            break;
        }
        int nf_total = count_fields(line);
        if (nf_total != t->n_cols) {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s:%d: %d fields, expected %d as in the header",
                             t->name, line_no, nf_total, t->n_cols);
            break;
        }
        if (reserve_row(&vals, &texts, &cap, n_rows, t->n_cols)) {
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", t->name);
            break;
        }
        split_fields(line, fields, t->n_cols);
        double *row = vals + (size_t)n_rows * (size_t)t->n_cols;
        char **trow = texts + (size_t)n_rows * (size_t)t->n_cols;
        for (int c = 0; c < t->n_cols; c++)
            trow[c] = NULL;
        n_rows++; /* counted now so a failure below frees this row's texts */
        for (int c = 0; c < t->n_cols && rc == GAN_OK; c++) {
            if (fields[c][0] == '\0') {
                rc = gan_err_set(err, GAN_ERR_INPUT, "%s:%d: column '%s' is empty", t->name,
                                 line_no, t->cols[c]);
            } else if (t->is_text[c]) {
                row[c] = NAN;
                trow[c] = strdup(fields[c]);
                if (!trow[c])
                    rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", t->name);
            } else if (parse_number(fields[c], &row[c])) {
                rc = gan_err_set(err, GAN_ERR_INPUT, "%s:%d: column '%s': '%.40s' is not a number",
                                 t->name, line_no, t->cols[c], fields[c]);
            }
        }
        if (rc)
            break;
        double epoch = row[epoch_col];
        if (!is_whole(epoch)) {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s:%d: epoch '%s' is not a whole number >= 0",
                             t->name, line_no, fields[epoch_col]);
        } else if (spec->epoch_strict ? epoch <= last_epoch : epoch < last_epoch) {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s:%d: epoch %.0f after epoch %.0f; epochs must %s",
                             t->name, line_no, epoch, last_epoch,
                             spec->epoch_strict ? "increase from row to row" : "never decrease");
        } else if (layer_col >= 0 && !is_whole(row[layer_col])) {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s:%d: layer '%s' is not a whole number >= 0",
                             t->name, line_no, fields[layer_col]);
        } else if (step_col >= 0 && !(is_whole(row[step_col]) && row[step_col] > last_step)) {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s:%d: step '%s' is not a whole number above "
                             "the step before (%.0f)", t->name, line_no, fields[step_col],
                             last_step);
        }
        if (step_col >= 0)
            last_step = row[step_col];
        last_epoch = epoch;
    }
    free(fields);
    if (rc == GAN_OK && n_rows == 0 && !spec->allow_empty)
        rc = gan_err_set(err, GAN_ERR_INPUT,
                         "%s:2: no data rows after the header (the run has no finished epoch)",
                         t->name);
    if (rc == GAN_OK) {
        /* Transpose into column-major storage. */
        size_t cells = (size_t)n_rows * (size_t)t->n_cols;
        t->values = malloc((cells + 1) * sizeof *t->values);
        t->texts = calloc(cells + 1, sizeof *t->texts);
        if (!t->values || !t->texts) {
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", t->name);
        } else {
            for (int r = 0; r < n_rows; r++)
                for (int c = 0; c < t->n_cols; c++) {
                    size_t src = (size_t)r * (size_t)t->n_cols + (size_t)c;
                    size_t dst = (size_t)c * (size_t)n_rows + (size_t)r;
                    t->values[dst] = vals[src];
                    t->texts[dst] = texts[src];
                    texts[src] = NULL;
                }
            t->n_rows = n_rows;
        }
    }
    if (texts)
        for (size_t i = 0; i < (size_t)n_rows * (size_t)t->n_cols; i++)
            free(texts[i]);
    free(texts);
    free(vals);
    return rc;
}

static int read_buffer(metrics_csv_t **out, char *data, size_t n, const char *name,
                       const table_spec_t *spec, gan_err_t *err)
{
    *out = NULL;
    metrics_csv_t *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", name);
    }
    int rc = parse_table(t, data, n, spec, err);
    if (rc) {
        metrics_csv_free(t);
        return rc;
    }
    *out = t;
    return GAN_OK;
}

static int read_path(metrics_csv_t **out, const char *path, const table_spec_t *spec,
                     gan_err_t *err)
{
    *out = NULL;
    char *data = NULL;
    size_t n = 0;
    int rc = fs_read_all(path, METRICS_CSV_MAX_BYTES, &data, &n, err);
    if (rc)
        return rc;
    rc = read_buffer(out, data, n, path, spec, err);
    free(data);
    return rc;
}

static int read_stream(metrics_csv_t **out, FILE *fp, const char *name, const table_spec_t *spec,
                       gan_err_t *err)
{
    *out = NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    if (!data)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", name);
    for (;;) {
        if (n == cap) {
            char *bigger = realloc(data, cap * 2);
            if (!bigger) {
                free(data);
                return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", name);
            }
            data = bigger;
            cap *= 2;
        }
        size_t got = fread(data + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        free(data);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: read error", name);
    }
    /* The loop exits with n < cap: room for the terminating NUL. */
    data[n] = '\0';
    int rc = read_buffer(out, data, n, name, spec, err);
    free(data);
    return rc;
}

int metrics_csv_read(metrics_csv_t **out, const char *path, gan_err_t *err)
{
    return read_path(out, path, &metrics_spec, err);
}

int metrics_csv_read_fp(metrics_csv_t **out, FILE *fp, const char *name, gan_err_t *err)
{
    return read_stream(out, fp, name, &metrics_spec, err);
}

int metrics_csv_read_layers(metrics_csv_t **out, const char *path, gan_err_t *err)
{
    return read_path(out, path, &layers_spec, err);
}

int metrics_csv_read_steps(metrics_csv_t **out, const char *path, gan_err_t *err)
{
    return read_path(out, path, &steps_spec, err);
}

int metrics_csv_read_layers_fp(metrics_csv_t **out, FILE *fp, const char *name, gan_err_t *err)
{
    return read_stream(out, fp, name, &layers_spec, err);
}

/* --- trimming a run's log to what its checkpoint vouches for ------------ */

/* One line of the file: its bytes (without "\n" or "\r\n"), and whether
 * its newline was written (a last line without one is a torn append). */
typedef struct {
    const char *s;
    size_t n;
    int complete;
} trim_line_t;

/* A row written to the output: its key and line index. */
typedef struct {
    long key;
    size_t line;
} trim_row_t;

/* The header's shape: how many fields, and which hold text (layers.csv's
 * net, act and name); every other field must be a number. */
typedef struct {
    int n_fields;
    unsigned char is_text[64];
} trim_shape_t;

static void trim_shape(trim_shape_t *sh, const char *header)
{
    memset(sh, 0, sizeof *sh);
    const char *p = header;
    for (;;) {
        size_t n = strcspn(p, ",");
        if (sh->n_fields < 64)
            sh->is_text[sh->n_fields] = (n == 3 && strncmp(p, "net", 3) == 0) ||
                                        (n == 3 && strncmp(p, "act", 3) == 0) ||
                                        (n == 4 && strncmp(p, "name", 4) == 0);
        sh->n_fields++;
        if (!p[n])
            break;
        p += n + 1;
    }
}

/* Checks one complete line as a row of the shape: *key gets its first
 * field. NULL if fine, else what is wrong. */
static const char *trim_parse_row(long *key, const trim_line_t *l, const trim_shape_t *sh)
{
    if (memchr(l->s, '\0', l->n))
        return "a NUL byte";
    int field = 0;
    size_t start = 0;
    for (size_t i = 0; i <= l->n; i++) {
        if (i < l->n && l->s[i] != ',')
            continue;
        size_t n = i - start;
        const char *f = l->s + start;
        if (field >= sh->n_fields)
            return "a row with the wrong number of fields";
        if (n == 0 || n > 64)
            return "an empty or overlong field";
        if (field == 0) {
            long v = 0;
            for (size_t k = 0; k < n; k++) {
                if (f[k] < '0' || f[k] > '9' || k >= 18)
                    return "a row that does not start with a whole number";
                v = v * 10 + (f[k] - '0');
            }
            *key = v;
        } else if (field >= 64 || !sh->is_text[field]) {
            char buf[65], *end = NULL;
            memcpy(buf, f, n);
            buf[n] = '\0';
            strtod(buf, &end);
            if (end != buf + n || buf[0] == ' ' || buf[0] == '\t')
                return "a field that is not a number";
        }
        field++;
        start = i + 1;
    }
    return field == sh->n_fields ? NULL : "a row with the wrong number of fields";
}

/* The first kept row with key (rows are kept in key order), or n. */
static size_t trim_find(const trim_row_t *rows, size_t n, long key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int trim_same(const trim_line_t *a, const trim_line_t *b)
{
    return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

int metrics_csv_trim(FILE *out, const char *text, size_t len, const char *name,
                     const csv_vouch_t *v, csv_trim_report_t *rep, gan_err_t *err)
{
    memset(rep, 0, sizeof *rep);
    char key_name[32];
    snprintf(key_name, sizeof key_name, "%.*s", (int)strcspn(v->header, ","), v->header);
    const int grouped = v->rows_per_key > 0;
    /* Whether the checkpoint vouches for any row at all. */
    const int any_vouched = grouped ? v->max_key >= v->first_key : v->last_logged > 0;
    char fix[2 * PATH_MAX + 160];
    snprintf(fix, sizeof fix, "restore %s from a backup, or start the run over (gan train "
             "--out=%s --force with the settings of its config.json)", name, v->run_dir);
    if (!text) {
        if (any_vouched) {
            if (grouped)
                return gan_err_set(err, GAN_ERR_INPUT, "%s: missing, but the checkpoint vouches "
                                   "for its rows of %ss %ld..%ld; %s", name, key_name,
                                   v->first_key, v->max_key, fix);
            return gan_err_set(err, GAN_ERR_INPUT, "%s: missing, but the checkpoint vouches for "
                               "its rows up to %s %ld; %s", name, key_name, v->last_logged, fix);
        }
        rep->header_restored = 1;
        fprintf(out, "%s\n", v->header);
        return GAN_OK;
    }

    size_t n_lines = 0;
    for (size_t i = 0; i < len; i++)
        n_lines += text[i] == '\n';
    n_lines += len > 0 && text[len - 1] != '\n';
    trim_line_t *lines = malloc((n_lines ? n_lines : 1) * sizeof *lines);
    trim_row_t *rows = malloc((n_lines ? n_lines : 1) * sizeof *rows);
    if (!lines || !rows) {
        free(lines);
        free(rows);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", name);
    }
    for (size_t i = 0, pos = 0; i < n_lines; i++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lines[i] = (trim_line_t){text + pos, n, nl != NULL};
        if (nl && n > 0 && text[pos + n - 1] == '\r')
            lines[i].n--;
        pos += n + 1;
    }

    trim_shape_t shape;
    trim_shape(&shape, v->header);
    fprintf(out, "%s\n", v->header);
    size_t first = 0;
    long key = -1;
    /* The first line is the header, unless it is missing (the first line
     * is a row) or damaged: either way the settings give it back. */
    if (n_lines == 0 || !lines[0].complete || strlen(v->header) != lines[0].n ||
        memcmp(lines[0].s, v->header, lines[0].n) != 0) {
        rep->header_restored = 1;
        if (n_lines == 0 || !lines[0].complete || trim_parse_row(&key, &lines[0], &shape))
            first = n_lines > 0;
    } else {
        first = 1;
    }

    size_t n_rows = 0;
    long last = -1;     /* key of the last kept row */
    int last_count = 0; /* kept rows with that key */
    /* The first problem inside the vouched rows, by line. */
    size_t bad_line = 0, gap_line = 0;
    const char *bad = NULL;
    char bad_text[160] = "";
    long gap_key = -1;
    int in_tail = 0;
    for (size_t i = first; i < n_lines; i++) {
        const trim_line_t *l = &lines[i];
        /* All vouched rows written: what follows is the torn tail. */
        int complete = grouped ? (v->max_key < v->first_key ||
                                  (gap_key < 0 && last == v->max_key &&
                                   last_count == v->rows_per_key))
                               : last >= v->last_logged;
        if (in_tail || !l->complete) {
            rep->tail++;
            continue;
        }
        const char *what = trim_parse_row(&key, l, &shape);
        if (what) {
            /* After every vouched row and before any other row that could
             * be one: the tail a kill tore. Else it hides a vouched row. */
            int vouched_follows = 0;
            for (size_t j = i + 1; complete && j < n_lines && !vouched_follows; j++) {
                long k;
                vouched_follows = lines[j].complete && !trim_parse_row(&k, &lines[j], &shape) &&
                                  k <= v->max_key && k > last;
            }
            if (complete && !vouched_follows) {
                in_tail = 1;
                rep->tail++;
            } else if (!bad) {
                bad = what;
                bad_line = i + 1;
            }
            continue;
        }
        if (key > v->max_key) { /* a row the checkpoint does not vouch for */
            rep->tail++;
            continue;
        }
        size_t at = trim_find(rows, n_rows, key);
        int repeat = 0, same_key = 0;
        for (size_t k = at; k < n_rows && rows[k].key == key && !repeat; k++) {
            same_key = 1;
            repeat = trim_same(&lines[rows[k].line], l);
        }
        if (repeat) {
            rep->repeats++;
            continue;
        }
        int full = key == last && (!grouped || last_count >= v->rows_per_key);
        if (key < last || full || (!grouped && same_key) || (grouped && key < v->first_key)) {
            if (complete) {
                rep->tail++;
            } else if (!bad) {
                bad_line = i + 1;
                bad = bad_text;
                if (grouped && key < v->first_key)
                    snprintf(bad_text, sizeof bad_text, "a row of %s %ld, before the first (%ld)",
                             key_name, key, v->first_key);
                else if (same_key && v->rows_per_key > 1)
                    snprintf(bad_text, sizeof bad_text, "a row too many for %s %ld (it has %d, "
                             "from line %zu)", key_name, key, v->rows_per_key,
                             rows[at].line + 1);
                else if (same_key)
                    snprintf(bad_text, sizeof bad_text, "a second, different row of %s %ld "
                             "(line %zu has the first)", key_name, key, rows[at].line + 1);
                else
                    snprintf(bad_text, sizeof bad_text, "a %s that goes back (%ld after %ld)",
                             key_name, key, last);
            }
            continue;
        }
        /* Keys of a grouped log follow each other, each with all its rows. */
        if (grouped && gap_key < 0) {
            long expect = last < 0 ? v->first_key : last + 1;
            if (last >= 0 && key != last && last_count < v->rows_per_key)
                gap_key = last;
            else if (key != last && key != expect)
                gap_key = expect;
            if (gap_key >= 0)
                gap_line = i + 1;
        }
        last_count = key == last ? last_count + 1 : 1;
        last = key;
        rows[n_rows++] = (trim_row_t){key, i};
        fprintf(out, "%.*s\n", (int)l->n, l->s);
    }
    if (grouped && gap_key < 0 && v->max_key >= v->first_key) {
        if (last < 0)
            gap_key = v->first_key;
        else if (last_count < v->rows_per_key)
            gap_key = last;
        else if (last < v->max_key)
            gap_key = last + 1;
        gap_line = n_lines + 1;
    }
    free(lines);
    free(rows);

    if (bad && (gap_key < 0 || bad_line <= gap_line)) {
        /* Removing the line is the fix only when no vouched row is lost. */
        if (gap_key < 0)
            return gan_err_set(err, GAN_ERR_INPUT, "%s:%zu: %s, in the rows the checkpoint "
                               "vouches for; remove that line (sed -i '%zud' %s) and resume "
                               "again", name, bad_line, bad, bad_line, name);
        return gan_err_set(err, GAN_ERR_INPUT, "%s:%zu: %s, in the rows the checkpoint vouches "
                           "for, and no other line holds the row%s of %s %ld; %s", name, bad_line,
                           bad, v->rows_per_key > 1 ? "s" : "", key_name, gap_key, fix);
    }
    if (gap_key >= 0 && v->rows_per_key == 1)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no row of %s %ld, which the checkpoint (%s "
                           "%ld) vouches for; %s", name, key_name, gap_key, key_name, v->max_key,
                           fix);
    if (gap_key >= 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: %s %ld lacks rows (the checkpoint, at %s "
                           "%ld, vouches for %d rows of each %s from %ld); %s", name, key_name,
                           gap_key, key_name, v->max_key, v->rows_per_key, key_name, v->first_key,
                           fix);
    return GAN_OK;
}
