/* Experiment plans: axes, run names, run states, train argument vectors,
 * the plan as JSON Lines and summary.csv; see experiment.h. */
#include "gan/experiment.h"

#include <stdlib.h>
#include <string.h>

#include "gan/checkpoint.h"
#include "gan/fsutil.h"
#include "gan/json.h"
#include "gan/metrics_csv.h"

/* The axes come from the option table (run_config.h): the rows with a
 * run-name prefix. init (--inits) comes first and seed (--seeds) last;
 * neither is a --vary axis. */
static const cfg_option_t *axis_row(const char *option)
{
    const cfg_option_t *o = cfg_option(option);
    return o && o->axis ? o : NULL;
}

static int is_vary_option(const char *option)
{
    return axis_row(option) && strcmp(option, "init") != 0 && strcmp(option, "seed") != 0;
}

int experiment_axis_names(const char *const **names)
{
    static const char *list[EXP_MAX_AXIS_NAMES];
    static int n;
    if (n == 0) {
        list[n++] = "init";
        for (int i = 0; i < cfg_n_options && n < EXP_MAX_AXIS_NAMES - 1; i++)
            if (cfg_options[i].name && is_vary_option(cfg_options[i].name))
                list[n++] = cfg_options[i].name;
        list[n++] = "seed";
    }
    *names = list;
    return n;
}

void experiment_axis_label(char *out, size_t size, const train_cfg_t *cfg, const char *axis)
{
    if (train_cfg_get(out, size, cfg, axis, 0) != 0)
        out[0] = '\0';
}

const char *experiment_vary_options(void)
{
    static char text[512];
    if (!text[0]) {
        const char *const *names;
        int n = experiment_axis_names(&names);
        size_t len = 0;
        for (int i = 1; i < n - 1 && len < sizeof text; i++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", i > 1 ? ", " : "",
                                    names[i]);
    }
    return text;
}

static const char *name_prefix(const char *option)
{
    const cfg_option_t *o = axis_row(option);
    return o ? o->axis : "";
}

void experiment_init(experiment_t *e, const train_cfg_t *base, const char *dir)
{
    memset(e, 0, sizeof *e);
    e->base = *base;
    snprintf(e->dir, sizeof e->dir, "%s", dir);
}

static void axis_free(exp_axis_t *a)
{
    for (int v = 0; v < a->n_values; v++) {
        free(a->texts[v]);
        free(a->labels[v]);
    }
    free(a->texts);
    free(a->labels);
    memset(a, 0, sizeof *a);
}

void experiment_free(experiment_t *e)
{
    for (int i = 0; i < e->n_axes; i++)
        axis_free(&e->axes[i]);
    e->n_axes = 0;
}

int experiment_axis(const experiment_t *e, const char *option)
{
    for (int i = 0; i < e->n_axes; i++)
        if (strcmp(e->axes[i].option, option) == 0)
            return i;
    return -1;
}

/* Appends an axis whose values are the n strings of values: each must be
 * accepted by train_cfg_set and differ from the others as shown. what
 * names the user's text in messages. */
static int add_axis(experiment_t *e, const char *option, char *const *values, int n,
                    const char *what, gan_err_t *err)
{
    if (experiment_axis(e, option) >= 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: the %s axis is given twice", what, option);
    if (e->n_axes == EXP_MAX_AXES)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: at most %d axes", what, EXP_MAX_AXES);
    if (n == 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: empty list of values", what);
    exp_axis_t *a = &e->axes[e->n_axes];
    memset(a, 0, sizeof *a);
    snprintf(a->option, sizeof a->option, "%s", option);
    a->texts = calloc((size_t)n, sizeof *a->texts);
    a->labels = calloc((size_t)n, sizeof *a->labels);
    if (!a->texts || !a->labels) {
        axis_free(a);
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    for (int v = 0; v < n; v++) {
        train_cfg_t probe = e->base;
        gan_err_t why;
        if (values[v][0] == '\0' || train_cfg_set(&probe, option, values[v], &why) != GAN_OK) {
            axis_free(a);
            if (values[v][0] == '\0')
                return gan_err_set(err, GAN_ERR_INPUT, "%s: empty value", what);
            return gan_err_set(err, GAN_ERR_INPUT, "%s: %s", what, why.msg);
        }
        char label[128];
        experiment_axis_label(label, sizeof label, &probe, option);
        for (int w = 0; w < v; w++)
            if (strcmp(a->labels[w], label) == 0) {
                axis_free(a);
                return gan_err_set(err, GAN_ERR_INPUT, "%s: value %s is listed twice", what,
                                   label);
            }
        a->texts[v] = strdup(values[v]);
        a->labels[v] = strdup(label);
        a->n_values = v + 1;
        if (!a->texts[v] || !a->labels[v]) {
            axis_free(a);
            return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
        }
    }
    e->n_axes++;
    return GAN_OK;
}

/* Splits text at sep into at most max pieces (in place). */
static int split(char **pieces, int max, char *text, char sep)
{
    int n = 0;
    char *p = text;
    for (;;) {
        if (n == max)
            return -1;
        pieces[n++] = p;
        char *next = strchr(p, sep);
        if (!next)
            return n;
        *next = '\0';
        p = next + 1;
    }
}

#define EXP_MAX_VALUES 4096

static int add_list_axis(experiment_t *e, const char *option, const char *list, char sep,
                         const char *what, gan_err_t *err)
{
    char *copy = strdup(list);
    char **pieces = malloc(EXP_MAX_VALUES * sizeof *pieces);
    if (!copy || !pieces) {
        free(copy);
        free(pieces);
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    int n = list[0] ? split(pieces, EXP_MAX_VALUES, copy, sep) : 0;
    int rc = n < 0 ? gan_err_set(err, GAN_ERR_INPUT, "%s: more than %d values", what,
                                 EXP_MAX_VALUES)
                   : add_axis(e, option, pieces, n, what, err);
    free(copy);
    free(pieces);
    return rc;
}

int experiment_add_inits(experiment_t *e, const char *list, gan_err_t *err)
{
    char what[64 + PATH_MAX];
    snprintf(what, sizeof what, "--inits=%s", list);
    return add_list_axis(e, "init", list, ',', what, err);
}

int experiment_add_vary(experiment_t *e, const char *spec, gan_err_t *err)
{
    char what[64 + PATH_MAX];
    snprintf(what, sizeof what, "--vary=%s", spec);
    const char *eq = strchr(spec, '=');
    if (!eq)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: expected OPTION=V1,V2,... (e.g. "
                           "--vary=lr=0.0001,0.0002)", what);
    char option[32];
    size_t len = (size_t)(eq - spec);
    if (len >= sizeof option)
        len = sizeof option - 1;
    memcpy(option, spec, len);
    option[len] = '\0';
    if (strcmp(option, "init") == 0 || strcmp(option, "seed") == 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: use --%ss=... for the %s axis", what, option,
                           option);
    if (!is_vary_option(option))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: '%s' cannot be an axis; one of: %s", what,
                           option, experiment_vary_options());
    char sep = strcmp(option, "g-hidden") == 0 || strcmp(option, "d-hidden") == 0 ? '/' : ',';
    return add_list_axis(e, option, eq + 1, sep, what, err);
}

int experiment_add_seeds(experiment_t *e, unsigned long long first, long count, gan_err_t *err)
{
    if (count < 1 || count > EXP_MAX_VALUES)
        return gan_err_set(err, GAN_ERR_INPUT, "--seeds=%ld: must be 1..%d", count,
                           EXP_MAX_VALUES);
    char **texts = malloc((size_t)count * sizeof *texts);
    char *storage = malloc((size_t)count * 24);
    if (!texts || !storage) {
        free(texts);
        free(storage);
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    for (long s = 0; s < count; s++) {
        texts[s] = storage + s * 24;
        snprintf(texts[s], 24, "%llu", first + (unsigned long long)s);
    }
    int rc = add_axis(e, "seed", texts, (int)count, "--seeds", err);
    free(texts);
    free(storage);
    return rc;
}

/* Writes a run's folder name from its axis values. */
static void format_name(char *out, size_t size, const experiment_t *e, const int *value)
{
    size_t len = 0;
    out[0] = '\0';
    for (int a = 0; a < e->n_axes && len < size; a++) {
        const exp_axis_t *axis = &e->axes[a];
        len += (size_t)snprintf(out + len, size - len, "%s%s%s", a ? "-" : "",
                                name_prefix(axis->option), axis->labels[value[a]]);
    }
    /* Size lists are "256,512,1024": commas are awkward in folder names. */
    for (char *p = out; *p; p++)
        if (*p == ',')
            *p = 'x';
}

static void run_values(int *value, const experiment_t *e, size_t i)
{
    for (int a = e->n_axes - 1; a >= 0; a--) {
        value[a] = (int)(i % (size_t)e->axes[a].n_values);
        i /= (size_t)e->axes[a].n_values;
    }
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int experiment_finish(experiment_t *e, gan_err_t *err)
{
    /* The seed axis last, whatever order the axes were added in. */
    int s = experiment_axis(e, "seed");
    if (s >= 0 && s != e->n_axes - 1) {
        exp_axis_t seed = e->axes[s];
        memmove(&e->axes[s], &e->axes[s + 1], (size_t)(e->n_axes - 1 - s) * sizeof seed);
        e->axes[e->n_axes - 1] = seed;
    }
    size_t n = 1;
    for (int a = 0; a < e->n_axes; a++) {
        if (n > (size_t)1000000 / (size_t)e->axes[a].n_values)
            return gan_err_set(err, GAN_ERR_INPUT, "experiment: more than 1000000 runs");
        n *= (size_t)e->axes[a].n_values;
    }
    e->n_runs = n;
    /* Names are unique when no two value tuples print alike: check. */
    char *names = malloc(n * EXP_NAME_MAX);
    char **sorted = malloc(n * sizeof *sorted);
    if (!names || !sorted) {
        free(names);
        free(sorted);
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    int value[EXP_MAX_AXES];
    for (size_t i = 0; i < n; i++) {
        run_values(value, e, i);
        sorted[i] = names + i * EXP_NAME_MAX;
        format_name(sorted[i], EXP_NAME_MAX, e, value);
    }
    qsort(sorted, n, sizeof *sorted, compare_names);
    int rc = GAN_OK;
    for (size_t i = 1; i < n && !rc; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            rc = gan_err_set(err, GAN_ERR_INPUT, "experiment: two runs would share the folder "
                             "%s; make the axis values differ as printed", sorted[i]);
    free(names);
    free(sorted);
    return rc;
}

int experiment_run(exp_run_t *run, const experiment_t *e, size_t i, gan_err_t *err)
{
    memset(run, 0, sizeof *run);
    run->index = i;
    run->cfg = e->base;
    run_values(run->value, e, i);
    for (int a = 0; a < e->n_axes; a++) {
        const exp_axis_t *axis = &e->axes[a];
        int rc = train_cfg_set(&run->cfg, axis->option, axis->texts[run->value[a]], err);
        if (rc)
            return rc;
    }
    format_name(run->name, sizeof run->name, e, run->value);
    return fs_join(run->dir, sizeof run->dir, e->dir, run->name, err);
}

int experiment_run_status(run_status_t *st, const experiment_t *e, const exp_run_t *run,
                          gan_err_t *err)
{
    int rc = run_status(st, run->dir, err);
    if (rc || st->state < RUN_STATE_PARTIAL)
        return rc;
    st->state = st->epoch >= e->base.epochs && st->step == 0 ? RUN_STATE_FINISHED
                                                             : RUN_STATE_PARTIAL;
    return GAN_OK;
}

/* A run already made (a checkpoint) with other settings than the plan
 * gives it is not this plan's run: say which option differs. */
int experiment_run_check(const experiment_t *e, const exp_run_t *run, const run_status_t *st,
                         gan_err_t *err)
{
    (void)e;
    if (st->state < RUN_STATE_PARTIAL)
        return GAN_OK;
    char path[PATH_MAX], *header = NULL;
    int rc = run_path(path, run->dir, st->from_prev ? RUN_CKPT_PREV : RUN_CKPT, err);
    if (!rc)
        rc = ckpt_read_header(&header, path, err);
    train_cfg_t recorded;
    if (!rc)
        rc = train_cfg_read_json(&recorded, header, path, err);
    free(header);
    if (rc)
        return rc;
    train_cfg_diff_t d;
    if (train_cfg_diff(&d, &recorded, &run->cfg))
        return gan_err_set(err, EXP_RUN_MISMATCH,
                           "%s: run %s was trained with --%s=%s, this plan asks for --%s=%s; "
                           "repeat the experiment's settings, or give the new ones another "
                           "--name", e->dir, run->name, d.option, d.recorded, d.option,
                           d.requested);
    return GAN_OK;
}

int experiment_check_settings(const experiment_t *e, gan_err_t *err)
{
    for (size_t i = 0; i < e->n_runs; i++) {
        exp_run_t run;
        run_status_t st;
        int rc = experiment_run(&run, e, i, err);
        if (rc)
            return rc;
        gan_err_t why;
        if (experiment_run_status(&st, e, &run, &why) != GAN_OK)
            continue; /* damaged: that run says so when it is trained */
        rc = experiment_run_check(e, &run, &st, err);
        if (rc == EXP_RUN_MISMATCH)
            return GAN_ERR_INPUT;
    }
    return GAN_OK;
}

/* --- argument vectors --------------------------------------------------- */


static int push(char **argv, int *n, const char *fmt, const char *a, const char *b)
{
    size_t len = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = malloc(len);
    if (!s)
        return -1;
    snprintf(s, len, fmt, a, b ? b : "");
    argv[(*n)++] = s;
    argv[*n] = NULL;
    return 0;
}

void experiment_args_free(char **argv)
{
    if (!argv)
        return;
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

char **experiment_train_args(const experiment_t *e, const exp_run_t *run, const char *self,
                             int threads)
{
    enum { max = 64 }; /* every training option, and room to spare */
    char **argv = calloc(max + 12, sizeof *argv);
    if (!argv)
        return NULL;
    int n = 0, bad = 0;
    char value[PATH_MAX + 64];
    bad |= push(argv, &n, "%s%s", self, NULL);
    bad |= push(argv, &n, "%s%s", "train", NULL);
    bad |= push(argv, &n, "--out=%s%s", run->dir, NULL);
    for (int cursor = 0; train_cfg_setting_arg(value, sizeof value, &run->cfg, &cursor) && n < max;)
        bad |= push(argv, &n, "%s%s", value, NULL);
    snprintf(value, sizeof value, "%d", e->base.epochs);
    bad |= push(argv, &n, "--epochs=%s%s", value, NULL);
    if (threads > 0) {
        snprintf(value, sizeof value, "%d", threads);
        bad |= push(argv, &n, "--threads=%s%s", value, NULL);
    }
    bad |= push(argv, &n, "%s%s", "--continue", NULL);
    if (bad) {
        experiment_args_free(argv);
        return NULL;
    }
    return argv;
}

int experiment_write_plan(FILE *fp, const experiment_t *e, const char *self, int threads,
                          size_t *n_damaged, gan_err_t *err)
{
    *n_damaged = 0;
    for (size_t i = 0; i < e->n_runs; i++) {
        exp_run_t run;
        run_status_t st;
        gan_err_t why;
        int rc = experiment_run(&run, e, i, err);
        if (rc)
            return rc;
        /* A damaged run is one line saying so: the rest of the plan still
         * prints, and its argv refuses the same way when it is run. */
        const char *state = NULL;
        if (experiment_run_status(&st, e, &run, &why) != GAN_OK)
            state = "damaged";
        else if ((rc = experiment_run_check(e, &run, &st, &why)) == EXP_RUN_MISMATCH)
            return *err = why, GAN_ERR_INPUT;
        else if (rc)
            state = "damaged";
        if (state)
            (*n_damaged)++;
        fputs("{\"name\": ", fp);
        json_write_string(fp, run.name);
        fputs(", \"dir\": ", fp);
        json_write_string(fp, run.dir);
        fputs(", \"axes\": {", fp);
        for (int a = 0; a < e->n_axes; a++) {
            fputs(a ? ", " : "", fp);
            json_write_string(fp, e->axes[a].option);
            fputs(": ", fp);
            json_write_string(fp, e->axes[a].labels[run.value[a]]);
        }
        fprintf(fp, "}, \"state\": \"%s\", \"epochs_done\": %d, \"epochs\": %d, ",
                state ? state : run_state_name(st.state), state ? 0 : st.epoch, e->base.epochs);
        if (state) {
            fputs("\"reason\": ", fp);
            json_write_string(fp, why.msg);
            fputs(", ", fp);
        }
        fputs("\"argv\": [", fp);
        char **argv = experiment_train_args(e, &run, self, threads);
        if (!argv)
            return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
        for (int k = 0; argv[k]; k++) {
            fputs(k ? ", " : "", fp);
            json_write_string(fp, argv[k]);
        }
        experiment_args_free(argv);
        fputs("]}\n", fp);
    }
    return ferror(fp) ? gan_err_set(err, GAN_ERR_RUNTIME, "plan: write failed") : GAN_OK;
}

/* --- summary.csv -------------------------------------------------------- */

static void write_summary_row(FILE *fp, const experiment_t *e, const exp_run_t *run,
                              const metrics_csv_t *t, int with_eval)
{
    fputs(run->name, fp);
    for (int a = 0; a < e->n_axes; a++) {
        fputc(',', fp);
        for (const char *p = e->axes[a].labels[run->value[a]]; *p; p++)
            fputc(*p == ',' ? 'x' : *p, fp);
    }
    static const char *const cols[] = {"g_loss", "d_loss", "d_acc", "d_acc_real",
                                       "d_acc_fake", "d_real", "d_fake"};
    int rows = metrics_csv_rows(t);
    fprintf(fp, ",%d", rows);
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        fprintf(fp, ",%.6f", metrics_csv_col(t, cols[c])[rows - 1]);
    const double *secs = metrics_csv_col(t, "seconds");
    double total = 0;
    for (int r = 0; r < rows; r++)
        total += secs[r];
    fprintf(fp, ",%.1f", total);
    if (with_eval) {
        /* The last evaluated epoch (later ones may say nan). */
        int r = metrics_csv_last_finite_row(t, "fd");
        const double *fd = metrics_csv_col(t, "fd"),
                     *entropy = metrics_csv_col(t, "class_entropy"),
                     *covered = metrics_csv_col(t, "classes_covered");
        if (r < 0 || !entropy || !covered)
            fputs(",nan,nan,nan", fp);
        else
            fprintf(fp, ",%.4f,%.4f,%.0f", fd[r], entropy[r], covered[r]);
    }
    fputc('\n', fp);
}

int experiment_write_summary(const experiment_t *e, gan_err_t *err)
{
    atomic_file_t af;
    int rc = atomic_begin_in(&af, e->dir, "summary.csv", err);
    if (rc)
        return rc;
    int with_eval = e->base.eval_every > 0;
    fputs("run", af.fp);
    for (int a = 0; a < e->n_axes; a++) {
        fputc(',', af.fp);
        for (const char *p = e->axes[a].option; *p; p++)
            fputc(*p == '-' ? '_' : *p, af.fp);
    }
    fputs(",epochs,g_loss,d_loss,d_acc,d_acc_real,d_acc_fake,d_real,d_fake,train_seconds", af.fp);
    fputs(with_eval ? ",fd,class_entropy,classes_covered\n" : "\n", af.fp);
    for (size_t i = 0; i < e->n_runs && !rc; i++) {
        exp_run_t run;
        char path[PATH_MAX];
        metrics_csv_t *t = NULL;
        rc = experiment_run(&run, e, i, err);
        if (!rc)
            rc = run_path(path, run.dir, RUN_METRICS, err);
        if (!rc)
            rc = metrics_csv_read(&t, path, err);
        if (!rc)
            write_summary_row(af.fp, e, &run, t, with_eval);
        metrics_csv_free(t);
    }
    if (rc) {
        atomic_abort(&af);
        return rc;
    }
    return atomic_commit(&af, err);
}
