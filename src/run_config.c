/* The settings of a training run: defaults, checks, and their flat JSON
 * form (config.json and checkpoint headers). */
#include "gan/train.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/data_path.h"
#include "gan/json.h"

void train_cfg_default(train_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->arch = gan_arch_default();
    cfg->g_init = cfg->d_init = INIT_HE_XAVIER;
    cfg->init_std = INIT_DEFAULT_STD;
    cfg->adam = (adam_cfg_t){.lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .eps = 1e-8f};
    cfg->batch = 64;
    cfg->epochs = 30;
    cfg->seed = 1;
    /* Not found: "" here, and train_cfg_check names the places searched. */
    data_path_find(cfg->data_dir, sizeof cfg->data_dir, DATA_PATH_MNIST, NULL);
    cfg->limit = 0;
    cfg->threads = 0;
    cfg->sample_every = 1;
    cfg->grid = 8;
    cfg->eval_every = 0;
    cfg->eval_n = 10000;
    /* Where `gan classifier train` puts it when there is none yet: a run
     * that evaluates then fails naming that file. */
    if (data_path_write_target(cfg->classifier, sizeof cfg->classifier, DATA_PATH_CLASSIFIER,
                               NULL) != GAN_OK)
        snprintf(cfg->classifier, sizeof cfg->classifier, "%s", CLASSIFIER_DEFAULT_PATH);
    cfg->log_every = TRAIN_LOG_EVERY_DEFAULT;
    cfg->events = 1;
    cfg->precision = PRECISION_FP32;
    cfg->keep_every = 0;
}

int train_cfg_check(const train_cfg_t *cfg, gan_err_t *err)
{
    const gan_arch_t *a = &cfg->arch;
    if (!cfg->data_dir[0]) {
        char unused[PATH_MAX];
        return data_path_find(unused, sizeof unused, DATA_PATH_MNIST, err);
    }
    if (a->z_dim < 1 || a->z_dim > 4096)
        return gan_err_set(err, GAN_ERR_INPUT, "--z-dim=%d: must be 1..4096", a->z_dim);
    if (!(a->leak >= 0.0f && a->leak < 1.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--leak=%g: must be in [0, 1)", a->leak);
    for (int i = 0; i < a->n_g_hidden; i++)
        if (a->g_hidden[i] < 1 || a->g_hidden[i] > 16384)
            return gan_err_set(err, GAN_ERR_INPUT, "--g-hidden: size %d must be 1..16384",
                               a->g_hidden[i]);
    for (int i = 0; i < a->n_d_hidden; i++)
        if (a->d_hidden[i] < 1 || a->d_hidden[i] > 16384)
            return gan_err_set(err, GAN_ERR_INPUT, "--d-hidden: size %d must be 1..16384",
                               a->d_hidden[i]);
    if (!(cfg->adam.lr > 0.0f && cfg->adam.lr < 10.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--lr=%g: must be in (0, 10)", cfg->adam.lr);
    if (!(cfg->adam.beta1 >= 0.0f && cfg->adam.beta1 < 1.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--beta1=%g: must be in [0, 1)", cfg->adam.beta1);
    if (!(cfg->adam.beta2 >= 0.0f && cfg->adam.beta2 < 1.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--beta2=%g: must be in [0, 1)", cfg->adam.beta2);
    if (!(cfg->init_std > 0.0f && cfg->init_std <= 100.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--init-std=%g: must be in (0, 100]",
                           cfg->init_std);
    if (cfg->batch < 1 || cfg->batch > 65536)
        return gan_err_set(err, GAN_ERR_INPUT, "--batch=%d: must be 1..65536", cfg->batch);
    if (cfg->epochs < 1 || cfg->epochs > 100000)
        return gan_err_set(err, GAN_ERR_INPUT, "--epochs=%d: must be 1..100000", cfg->epochs);
    if (cfg->limit < 0)
        return gan_err_set(err, GAN_ERR_INPUT, "--limit=%ld: must be >= 0", cfg->limit);
    if (cfg->threads < 0 || cfg->threads > 256)
        return gan_err_set(err, GAN_ERR_INPUT, "--threads=%d: must be 0..256", cfg->threads);
    if (cfg->eval_every < 0 || cfg->eval_every > 100000)
        return gan_err_set(err, GAN_ERR_INPUT, "--eval-every=%d: must be 0..100000 (0: never)",
                           cfg->eval_every);
    if (cfg->eval_n < 2 || cfg->eval_n > 100000)
        return gan_err_set(err, GAN_ERR_INPUT, "--eval-n=%ld: must be 2..100000", cfg->eval_n);
    if (cfg->sample_every < 1)
        return gan_err_set(err, GAN_ERR_INPUT, "--sample-every=%d: must be >= 1",
                           cfg->sample_every);
    if (cfg->grid < 1 || cfg->grid > 32)
        return gan_err_set(err, GAN_ERR_INPUT, "--grid=%d: must be 1..32", cfg->grid);
    if (cfg->log_every < 0 || cfg->log_every > 1000000)
        return gan_err_set(err, GAN_ERR_INPUT, "--log-every=%d: must be 0..1000000 (0: never)",
                           cfg->log_every);
    if (cfg->events != 0 && cfg->events != 1)
        return gan_err_set(err, GAN_ERR_INPUT, "--events=%d: must be 0 or 1", cfg->events);
    if ((unsigned)cfg->precision >= PRECISION_COUNT)
        return gan_err_set(err, GAN_ERR_INPUT, "precision %d: must be one of %s",
                           (int)cfg->precision, precision_valid_names());
    if (cfg->keep_every < 0 || cfg->keep_every > 100000)
        return gan_err_set(err, GAN_ERR_INPUT, "--keep-every=%d: must be 0..100000 (0: none)",
                           cfg->keep_every);
    return GAN_OK;
}

void train_init_label(char *out, size_t size, const train_cfg_t *cfg)
{
    if (cfg->g_init == cfg->d_init)
        snprintf(out, size, "%s", init_name(cfg->g_init));
    else
        snprintf(out, size, "%s+%s", init_name(cfg->g_init), init_name(cfg->d_init));
}

static void write_int_list(FILE *fp, const char *key, const int *v, int n)
{
    fprintf(fp, "  \"%s\": [", key);
    for (int i = 0; i < n; i++)
        fprintf(fp, "%s%d", i ? ", " : "", v[i]);
    fputs("],\n", fp);
}

void train_cfg_write_fields(FILE *fp, const train_cfg_t *cfg)
{
    char label[64];
    train_init_label(label, sizeof label, cfg);
    fprintf(fp, "  \"init\": \"%s\",\n", label);
    fprintf(fp, "  \"g_init\": \"%s\",\n", init_name(cfg->g_init));
    fprintf(fp, "  \"d_init\": \"%s\",\n", init_name(cfg->d_init));
    /* %.9g round-trips a float exactly. */
    fprintf(fp, "  \"init_std\": %.9g,\n", cfg->init_std);
    fprintf(fp, "  \"seed\": %llu,\n", (unsigned long long)cfg->seed);
    fprintf(fp, "  \"z_dim\": %d,\n", cfg->arch.z_dim);
    fprintf(fp, "  \"image_size\": %d,\n", cfg->arch.image_size);
    write_int_list(fp, "g_hidden", cfg->arch.g_hidden, cfg->arch.n_g_hidden);
    write_int_list(fp, "d_hidden", cfg->arch.d_hidden, cfg->arch.n_d_hidden);
    fprintf(fp, "  \"leak\": %.9g,\n", cfg->arch.leak);
    fprintf(fp, "  \"lr\": %.9g,\n", cfg->adam.lr);
    fprintf(fp, "  \"beta1\": %.9g,\n", cfg->adam.beta1);
    fprintf(fp, "  \"beta2\": %.9g,\n", cfg->adam.beta2);
    fprintf(fp, "  \"eps\": %.9g,\n", cfg->adam.eps);
    fprintf(fp, "  \"batch\": %d,\n", cfg->batch);
    fprintf(fp, "  \"epochs\": %d,\n", cfg->epochs);
    fputs("  \"data_dir\": ", fp);
    json_write_string(fp, cfg->data_dir);
    fputs(",\n", fp);
    fprintf(fp, "  \"limit\": %ld,\n", cfg->limit);
    fprintf(fp, "  \"threads\": %d,\n", cfg->threads);
    fprintf(fp, "  \"sample_every\": %d,\n", cfg->sample_every);
    fprintf(fp, "  \"grid\": %d,\n", cfg->grid);
    fprintf(fp, "  \"eval_every\": %d,\n", cfg->eval_every);
    fprintf(fp, "  \"eval_n\": %ld,\n", cfg->eval_n);
    fprintf(fp, "  \"log_every\": %d,\n", cfg->log_every);
    fprintf(fp, "  \"events\": %d,\n", cfg->events);
    fprintf(fp, "  \"precision\": \"%s\",\n", precision_name(cfg->precision));
    fprintf(fp, "  \"keep_every\": %d,\n", cfg->keep_every);
    /* Only a run that evaluates uses a classifier; the default one is found
     * from the current folder (data_path.h), which must not make the same
     * run's checkpoint differ from one folder to another. */
    fputs("  \"classifier\": ", fp);
    json_write_string(fp, cfg->eval_every > 0 ? cfg->classifier : "");
}

/* Reads a number key into *out; on failure fills err naming the key. */
static int read_number(const char *json, const char *key, double *out, const char *origin,
                       gan_err_t *err)
{
    if (json_get_number(json, key, out) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting '%s' missing or not a number",
                           origin, key);
    return GAN_OK;
}

static int read_init(const char *json, const char *key, init_scheme_t *out,
                     const char *origin, gan_err_t *err)
{
    char name[64];
    if (json_get_string(json, key, name, sizeof name) != 0 ||
        init_from_name(out, name, NULL) != GAN_OK)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting '%s' missing or unknown", origin,
                           key);
    return GAN_OK;
}

int train_cfg_read_json(train_cfg_t *cfg, const char *json, const char *origin,
                        gan_err_t *err)
{
    train_cfg_default(cfg);
    static const char *const keys[] = {
        "init_std", "seed", "z_dim", "image_size", "leak", "lr", "beta1", "beta2", "eps",
        "batch", "epochs", "limit", "threads", "sample_every", "grid"};
    enum { n_keys = sizeof keys / sizeof keys[0] };
    double v[n_keys];
    for (int i = 0; i < n_keys; i++) {
        int rc = read_number(json, keys[i], &v[i], origin, err);
        if (rc)
            return rc;
    }
    cfg->init_std = (float)v[0];
    cfg->seed = (uint64_t)v[1];
    cfg->arch.z_dim = (int)v[2];
    cfg->arch.image_size = (int)v[3];
    cfg->arch.leak = (float)v[4];
    cfg->adam = (adam_cfg_t){(float)v[5], (float)v[6], (float)v[7], (float)v[8]};
    cfg->batch = (int)v[9];
    cfg->epochs = (int)v[10];
    cfg->limit = (long)v[11];
    cfg->threads = (int)v[12];
    cfg->sample_every = (int)v[13];
    cfg->grid = (int)v[14];
    int rc = read_init(json, "g_init", &cfg->g_init, origin, err);
    if (!rc)
        rc = read_init(json, "d_init", &cfg->d_init, origin, err);
    if (rc)
        return rc;
    if (json_get_int_array(json, "g_hidden", cfg->arch.g_hidden, GAN_MAX_HIDDEN,
                           &cfg->arch.n_g_hidden) != 0 ||
        json_get_int_array(json, "d_hidden", cfg->arch.d_hidden, GAN_MAX_HIDDEN,
                           &cfg->arch.n_d_hidden) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: hidden layer lists missing or bad", origin);
    if (json_get_string(json, "data_dir", cfg->data_dir, sizeof cfg->data_dir) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting 'data_dir' missing", origin);
    /* Runs from before sample-quality evaluation existed have no eval keys:
     * they keep the defaults (no evaluation). */
    double eval_every, eval_n;
    if (json_get_number(json, "eval_every", &eval_every) == 0)
        cfg->eval_every = (int)eval_every;
    if (json_get_number(json, "eval_n", &eval_n) == 0)
        cfg->eval_n = (long)eval_n;
    /* Runs from before issue 15 keep the defaults: logging from the resume
     * on (their steps.csv and events start there). */
    double log_every, events;
    if (json_get_number(json, "log_every", &log_every) == 0)
        cfg->log_every = (int)log_every;
    if (json_get_number(json, "events", &events) == 0)
        cfg->events = (int)events;
    /* Runs from before --precision have no such key: they trained in fp32.
     * A key that is there must name a precision (a damaged one is never
     * taken for fp32). */
    char precision[64];
    if (json_get_string(json, "precision", precision, sizeof precision) == 0) {
        if (precision_from_name(&cfg->precision, precision, NULL) != GAN_OK)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: setting 'precision' is '%s' (valid: %s)",
                               origin, precision, precision_valid_names());
    } else if (strstr(json, "\"precision\":")) {
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting 'precision' is not one of %s", origin,
                           precision_valid_names());
    }
    /* Runs from before issue 16 kept no epochs. */
    double keep_every;
    if (json_get_number(json, "keep_every", &keep_every) == 0)
        cfg->keep_every = (int)keep_every;
    if (cfg->eval_every > 0 &&
        json_get_string(json, "classifier", cfg->classifier, sizeof cfg->classifier) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting 'classifier' missing", origin);
    if (cfg->arch.image_size < 1 || cfg->arch.image_size > (1 << 20))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: bad image_size", origin);
    gan_err_t why;
    if (train_cfg_check(cfg, &why) != GAN_OK)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: settings out of range (%.300s)", origin,
                           why.msg);
    return GAN_OK;
}

/* --- the training options, by name ------------------------------------- */

typedef enum {
    OPT_KIND_INT, OPT_KIND_FLOAT, OPT_KIND_INIT, OPT_KIND_SIZES, OPT_KIND_PATH, OPT_KIND_PRECISION
} opt_kind_t;

/* How a new run of an experiment is given the setting (train_cfg_setting_arg). */
typedef enum {
    PASS_ALWAYS,    /* --name=value */
    PASS_NEVER,     /* the caller's (threads, epochs) or implied (init: g-init and d-init) */
    PASS_IF_CHANGED,/* only when not the default (limit 0: all images; keep-every 0;
                       precision fp32), so the plans of runs from before the
                       option stay as they were */
    PASS_IF_EVAL,   /* only with eval-every > 0 (eval-n, classifier) */
    PASS_AS_NO_FLAG /* 0 is --no-<name>; 1 is the default, said by nothing */
} opt_pass_t;

typedef struct {
    const char *name;
    opt_kind_t kind;
    double lo, hi;
    opt_pass_t pass;
} opt_spec_t;

/* One range per option, for every command that takes it. */
static const opt_spec_t opt_specs[] = {
    {"init", OPT_KIND_INIT, 0, 0, PASS_NEVER},
    {"g-init", OPT_KIND_INIT, 0, 0, PASS_ALWAYS},
    {"d-init", OPT_KIND_INIT, 0, 0, PASS_ALWAYS},
    {"init-std", OPT_KIND_FLOAT, 1e-12, 100.0, PASS_ALWAYS},
    {"seed", OPT_KIND_INT, 0, 2147483647.0, PASS_ALWAYS},
    {"data", OPT_KIND_PATH, 0, 0, PASS_ALWAYS},
    {"limit", OPT_KIND_INT, 1, 100000000.0, PASS_IF_CHANGED},
    {"threads", OPT_KIND_INT, 1, 256, PASS_NEVER},
    {"sample-every", OPT_KIND_INT, 1, 100000, PASS_ALWAYS},
    {"grid", OPT_KIND_INT, 1, 32, PASS_ALWAYS},
    {"z-dim", OPT_KIND_INT, 1, 4096, PASS_ALWAYS},
    {"leak", OPT_KIND_FLOAT, 0.0, 0.999, PASS_ALWAYS},
    {"g-hidden", OPT_KIND_SIZES, 1, 16384, PASS_ALWAYS},
    {"d-hidden", OPT_KIND_SIZES, 1, 16384, PASS_ALWAYS},
    {"lr", OPT_KIND_FLOAT, 1e-12, 9.99, PASS_ALWAYS},
    {"beta1", OPT_KIND_FLOAT, 0.0, 0.999999, PASS_ALWAYS},
    {"beta2", OPT_KIND_FLOAT, 0.0, 0.999999, PASS_ALWAYS},
    {"batch", OPT_KIND_INT, 1, 65536, PASS_ALWAYS},
    {"epochs", OPT_KIND_INT, 1, 100000, PASS_NEVER},
    {"eval-every", OPT_KIND_INT, 0, 100000, PASS_ALWAYS},
    {"eval-n", OPT_KIND_INT, 2, 100000, PASS_IF_EVAL},
    {"classifier", OPT_KIND_PATH, 0, 0, PASS_IF_EVAL},
    {"log-every", OPT_KIND_INT, 0, 1000000, PASS_ALWAYS},
    {"events", OPT_KIND_INT, 0, 1, PASS_AS_NO_FLAG},
    {"precision", OPT_KIND_PRECISION, 0, 0, PASS_IF_CHANGED},
    {"keep-every", OPT_KIND_INT, 0, 100000, PASS_IF_CHANGED},
};
enum { n_opt_specs = sizeof opt_specs / sizeof opt_specs[0] };

static const opt_spec_t *find_spec(const char *name)
{
    for (int i = 0; i < n_opt_specs; i++)
        if (strcmp(opt_specs[i].name, name) == 0)
            return &opt_specs[i];
    return NULL;
}

int train_cfg_setting_arg(char *out, size_t size, const train_cfg_t *cfg, int *cursor)
{
    char value[PATH_MAX + 64], fallback[PATH_MAX + 64];
    train_cfg_t defaults;
    train_cfg_default(&defaults);
    while (*cursor < n_opt_specs) {
        const opt_spec_t *o = &opt_specs[(*cursor)++];
        if (o->pass == PASS_NEVER || (o->pass == PASS_IF_EVAL && cfg->eval_every == 0))
            continue;
        train_cfg_get(value, sizeof value, cfg, o->name, 1);
        if (o->pass == PASS_IF_CHANGED) {
            train_cfg_get(fallback, sizeof fallback, &defaults, o->name, 1);
            if (strcmp(value, fallback) == 0)
                continue;
        }
        if (o->pass == PASS_AS_NO_FLAG) {
            if (strcmp(value, "0") != 0)
                continue;
            snprintf(out, size, "--no-%s", o->name);
        } else {
            snprintf(out, size, "--%s=%s", o->name, value);
        }
        return 1;
    }
    return 0;
}

/* Options that do not make a run another run: epochs (raised on purpose),
 * threads (their own rule: train_opts_t.threads_given), the data (checked
 * by content, train_pixels_crc32, so moved data still resumes), the
 * classifier (a path that only changes what is measured), init (said by
 * g-init and d-init). eval-n only counts when the run evaluates. */
static int diff_skips(const opt_spec_t *o, const train_cfg_t *a)
{
    static const char *const skipped[] = {"epochs", "threads", "data", "classifier", "init"};
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        if (strcmp(o->name, skipped[i]) == 0)
            return 1;
    return o->pass == PASS_IF_EVAL && a->eval_every == 0;
}

int train_cfg_diff(train_cfg_diff_t *d, const train_cfg_t *recorded, const train_cfg_t *requested)
{
    memset(d, 0, sizeof *d);
    for (int i = 0; i < n_opt_specs; i++) {
        const opt_spec_t *o = &opt_specs[i];
        if (diff_skips(o, recorded))
            continue;
        train_cfg_get(d->recorded, sizeof d->recorded, recorded, o->name, 1);
        train_cfg_get(d->requested, sizeof d->requested, requested, o->name, 1);
        if (strcmp(d->recorded, d->requested) != 0) {
            /* Shown as people write them unless only the last bits differ. */
            char shown_a[sizeof d->recorded], shown_b[sizeof d->requested];
            train_cfg_get(shown_a, sizeof shown_a, recorded, o->name, 0);
            train_cfg_get(shown_b, sizeof shown_b, requested, o->name, 0);
            if (strcmp(shown_a, shown_b) != 0) {
                memcpy(d->recorded, shown_a, sizeof shown_a);
                memcpy(d->requested, shown_b, sizeof shown_b);
            }
            d->option = o->name;
            return 1;
        }
    }
    d->recorded[0] = d->requested[0] = '\0';
    return 0;
}

int train_cfg_is_option(const char *name)
{
    return find_spec(name) != NULL;
}

int train_parse_int(long *out, const char *option, const char *text, long lo, long hi,
                    gan_err_t *err)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0')
        return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: not a whole number", option, text);
    if (v < lo || v > hi)
        return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: must be between %ld and %ld", option,
                           text, lo, hi);
    *out = v;
    return GAN_OK;
}

int train_parse_float(double *out, const char *option, const char *text, double lo, double hi,
                      gan_err_t *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v))
        return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: not a number", option, text);
    if (v < lo || v > hi)
        return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: must be between %g and %g", option,
                           text, lo, hi);
    *out = v;
    return GAN_OK;
}

/* "256,512,1024" -> sizes; every entry a whole number in lo..hi. */
static int parse_sizes(int *sizes, int *n, const opt_spec_t *o, const char *arg, gan_err_t *err)
{
    int count = 0;
    const char *p = arg;
    if (*p == '\0')
        return gan_err_set(err, GAN_ERR_INPUT, "--%s=: empty list (e.g. --%s=256,512,1024)",
                           o->name, o->name);
    while (*p) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0') || v < o->lo || v > o->hi)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "--%s=%s: expected comma-separated sizes %g..%g, e.g. 256,512,1024",
                               o->name, arg, o->lo, o->hi);
        if (count == GAN_MAX_HIDDEN)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: at most %d hidden layers", o->name,
                               arg, GAN_MAX_HIDDEN);
        sizes[count++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && *p == '\0')
            return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: trailing comma", o->name, arg);
    }
    *n = count;
    return GAN_OK;
}

int train_option_parse_int(long *out, const char *name, const char *text, gan_err_t *err)
{
    const opt_spec_t *o = find_spec(name);
    if (!o || o->kind != OPT_KIND_INT)
        return gan_err_set(err, GAN_ERR_INPUT, "--%s: not a whole-number option", name);
    return train_parse_int(out, name, text, (long)o->lo, (long)o->hi, err);
}

int train_cfg_set(train_cfg_t *cfg, const char *name, const char *value, gan_err_t *err)
{
    const opt_spec_t *o = find_spec(name);
    if (!o)
        return gan_err_set(err, GAN_ERR_INPUT, "--%s: not a training option", name);
    long n = 0;
    double x = 0;
    int rc = GAN_OK;
    init_scheme_t scheme;
    switch (o->kind) {
    case OPT_KIND_INT: rc = train_parse_int(&n, name, value, (long)o->lo, (long)o->hi, err); break;
    case OPT_KIND_FLOAT: rc = train_parse_float(&x, name, value, o->lo, o->hi, err); break;
    case OPT_KIND_INIT: {
        gan_err_t why;
        if (init_from_name(&scheme, value, &why) != GAN_OK)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s: %s", name, why.msg);
        break;
    }
    case OPT_KIND_SIZES:
        return parse_sizes(strcmp(name, "g-hidden") == 0 ? cfg->arch.g_hidden : cfg->arch.d_hidden,
                           strcmp(name, "g-hidden") == 0 ? &cfg->arch.n_g_hidden
                                                         : &cfg->arch.n_d_hidden,
                           o, value, err);
    case OPT_KIND_PRECISION: {
        gan_err_t why;
        if (precision_from_name(&cfg->precision, value, &why) != GAN_OK)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s: %s", name, why.msg);
        return GAN_OK;
    }
    case OPT_KIND_PATH: {
        char *dst = strcmp(name, "data") == 0 ? cfg->data_dir : cfg->classifier;
        size_t cap = strcmp(name, "data") == 0 ? sizeof cfg->data_dir : sizeof cfg->classifier;
        if (strlen(value) >= cap)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: path longer than %zu bytes", name,
                               value, cap - 1);
        snprintf(dst, cap, "%s", value);
        return GAN_OK;
    }
    }
    if (rc)
        return rc;
    if (!strcmp(name, "init")) cfg->g_init = cfg->d_init = scheme;
    else if (!strcmp(name, "g-init")) cfg->g_init = scheme;
    else if (!strcmp(name, "d-init")) cfg->d_init = scheme;
    else if (!strcmp(name, "init-std")) cfg->init_std = (float)x;
    else if (!strcmp(name, "seed")) cfg->seed = (uint64_t)n;
    else if (!strcmp(name, "limit")) cfg->limit = n;
    else if (!strcmp(name, "threads")) cfg->threads = (int)n;
    else if (!strcmp(name, "sample-every")) cfg->sample_every = (int)n;
    else if (!strcmp(name, "grid")) cfg->grid = (int)n;
    else if (!strcmp(name, "z-dim")) cfg->arch.z_dim = (int)n;
    else if (!strcmp(name, "leak")) cfg->arch.leak = (float)x;
    else if (!strcmp(name, "lr")) cfg->adam.lr = (float)x;
    else if (!strcmp(name, "beta1")) cfg->adam.beta1 = (float)x;
    else if (!strcmp(name, "beta2")) cfg->adam.beta2 = (float)x;
    else if (!strcmp(name, "batch")) cfg->batch = (int)n;
    else if (!strcmp(name, "epochs")) cfg->epochs = (int)n;
    else if (!strcmp(name, "eval-every")) cfg->eval_every = (int)n;
    else if (!strcmp(name, "eval-n")) cfg->eval_n = n;
    else if (!strcmp(name, "log-every")) cfg->log_every = (int)n;
    else if (!strcmp(name, "events")) cfg->events = (int)n;
    else if (!strcmp(name, "keep-every")) cfg->keep_every = (int)n;
    return GAN_OK;
}

static void format_sizes(char *out, size_t size, const int *v, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%d", i ? "," : "", v[i]);
}

int train_cfg_get(char *out, size_t size, const train_cfg_t *cfg, const char *name, int exact)
{
    /* %g is what people write (0.0002); %.9g gives the float back exactly. */
    const char *ffmt = exact ? "%.9g" : "%g";
    if (!strcmp(name, "init")) train_init_label(out, size, cfg);
    else if (!strcmp(name, "g-init")) snprintf(out, size, "%s", init_name(cfg->g_init));
    else if (!strcmp(name, "d-init")) snprintf(out, size, "%s", init_name(cfg->d_init));
    else if (!strcmp(name, "init-std")) snprintf(out, size, ffmt, cfg->init_std);
    else if (!strcmp(name, "seed")) snprintf(out, size, "%llu", (unsigned long long)cfg->seed);
    else if (!strcmp(name, "data")) snprintf(out, size, "%s", cfg->data_dir);
    else if (!strcmp(name, "limit")) snprintf(out, size, "%ld", cfg->limit);
    else if (!strcmp(name, "threads")) snprintf(out, size, "%d", cfg->threads);
    else if (!strcmp(name, "sample-every")) snprintf(out, size, "%d", cfg->sample_every);
    else if (!strcmp(name, "grid")) snprintf(out, size, "%d", cfg->grid);
    else if (!strcmp(name, "z-dim")) snprintf(out, size, "%d", cfg->arch.z_dim);
    else if (!strcmp(name, "leak")) snprintf(out, size, ffmt, cfg->arch.leak);
    else if (!strcmp(name, "g-hidden")) format_sizes(out, size, cfg->arch.g_hidden, cfg->arch.n_g_hidden);
    else if (!strcmp(name, "d-hidden")) format_sizes(out, size, cfg->arch.d_hidden, cfg->arch.n_d_hidden);
    else if (!strcmp(name, "lr")) snprintf(out, size, ffmt, cfg->adam.lr);
    else if (!strcmp(name, "beta1")) snprintf(out, size, ffmt, cfg->adam.beta1);
    else if (!strcmp(name, "beta2")) snprintf(out, size, ffmt, cfg->adam.beta2);
    else if (!strcmp(name, "batch")) snprintf(out, size, "%d", cfg->batch);
    else if (!strcmp(name, "epochs")) snprintf(out, size, "%d", cfg->epochs);
    else if (!strcmp(name, "eval-every")) snprintf(out, size, "%d", cfg->eval_every);
    else if (!strcmp(name, "eval-n")) snprintf(out, size, "%ld", cfg->eval_n);
    else if (!strcmp(name, "classifier")) snprintf(out, size, "%s", cfg->classifier);
    else if (!strcmp(name, "log-every")) snprintf(out, size, "%d", cfg->log_every);
    else if (!strcmp(name, "events")) snprintf(out, size, "%d", cfg->events);
    else if (!strcmp(name, "precision")) snprintf(out, size, "%s", precision_name(cfg->precision));
    else if (!strcmp(name, "keep-every")) snprintf(out, size, "%d", cfg->keep_every);
    else return -1;
    return 0;
}
