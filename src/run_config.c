/* The option table and everything that loops over it; see run_config.h. */
#include "gan/run_config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/classifier.h"
#include "gan/data_path.h"
#include "gan/json.h"

#define F(field) offsetof(train_cfg_t, field)
#define TRAINING CFG_CMD_TRAINING
#define MODEL "model and training"
#define DATA "data and output"
#define QUALITY "sample quality (needs a classifier: ./gan classifier train)"
#define WATCH "watching (TensorBoard: tensorboard --logdir runs)"

/* In help order; the JSON of a run lists them in this order too. */
const cfg_option_t cfg_options[] = {
    {"init", "init", CFG_INIT_BOTH, 0, 0, 0, 0, "he_xavier", 0, "", CFG_PASS_NEVER,
     TRAINING | CFG_CMD_PROBE, MODEL, "NAME", "init scheme of G and D", NULL},
    {"g-init", "g_init", CFG_INIT, F(g_init), 0, 0, 0, "he_xavier", 0, "ginit_",
     CFG_PASS_ALWAYS, TRAINING, MODEL, "NAME", "G's scheme instead of --init's", NULL},
    {"d-init", "d_init", CFG_INIT, F(d_init), 0, 0, 0, "he_xavier", 0, "dinit_",
     CFG_PASS_ALWAYS, TRAINING, MODEL, "NAME", "D's scheme instead of --init's", NULL},
    {"init-std", "init_std", CFG_FLOAT, F(init_std), 0, 1e-12, 100, "0.01", 0, "std",
     CFG_PASS_ALWAYS, TRAINING | CFG_CMD_PROBE, MODEL, "S", "std of the 'random' scheme", NULL},
    {"seed", "seed", CFG_U64, F(seed), 0, 0, 2147483647.0, "1", 0, "s", CFG_PASS_ALWAYS,
     TRAINING | CFG_CMD_PROBE | CFG_CMD_SAMPLE | CFG_CMD_EVAL | CFG_CMD_CLASSIFIER, MODEL, "N",
     "seed of data order, noise and weights", NULL},
    {"epochs", "epochs", CFG_INT, F(epochs), 0, 1, 100000, "30", 0, NULL, CFG_PASS_NEVER,
     TRAINING, MODEL, "N", "total epochs", NULL},
    {"lr", "lr", CFG_FLOAT, F(adam.lr), 0, 1e-12, 9.99, "0.0002", 0, "lr", CFG_PASS_ALWAYS,
     TRAINING, MODEL, "X", "Adam learning rate", NULL},
    {"d-lr", "d_lr", CFG_FLOAT, F(d_lr), 0, 0, 9.99, "0", 1, "dlr", CFG_PASS_IF_CHANGED,
     TRAINING, MODEL, "X", "D's Adam learning rate (0: --lr's)", NULL},
    {"beta1", "beta1", CFG_FLOAT, F(adam.beta1), 0, 0, 0.999999, "0.5", 0, "b1_",
     CFG_PASS_ALWAYS, TRAINING, MODEL, "X", "Adam beta1", NULL},
    {"beta2", "beta2", CFG_FLOAT, F(adam.beta2), 0, 0, 0.999999, "0.999", 0, "b2_",
     CFG_PASS_ALWAYS, TRAINING, MODEL, "X", "Adam beta2", NULL},
    {"batch", "batch", CFG_INT, F(batch), 0, 1, 65536, "64", 0, "bs", CFG_PASS_ALWAYS, TRAINING,
     MODEL, "N", "batch size (the last partial batch of an epoch is dropped)", NULL},
    {NULL, "eps", CFG_FLOAT, F(adam.eps), 0, 1e-30, 1, "1e-08", 1, NULL, CFG_PASS_NEVER, 0, NULL,
     NULL, NULL, NULL},
    {"z-dim", "z_dim", CFG_INT, F(arch.z_dim), 0, 1, 4096, "100", 0, "z", CFG_PASS_ALWAYS,
     TRAINING, MODEL, "N", "noise size", NULL},
    {NULL, "image_size", CFG_INT, F(arch.image_size), 0, 1, 1 << 20, "784", 0, NULL,
     CFG_PASS_NEVER, 0, NULL, NULL, NULL, NULL},
    {"leak", "leak", CFG_FLOAT, F(arch.leak), 0, 0, 0.999, "0.2", 0, "leak", CFG_PASS_ALWAYS,
     TRAINING | CFG_CMD_PROBE, MODEL, "X", "leaky-ReLU slope", NULL},
    {"g-hidden", "g_hidden", CFG_SIZES, F(arch.g_hidden), F(arch.n_g_hidden), 1, 16384,
     "256,512,1024", 0, "g", CFG_PASS_ALWAYS, TRAINING, MODEL, "LIST", "G hidden sizes", NULL},
    {"d-hidden", "d_hidden", CFG_SIZES, F(arch.d_hidden), F(arch.n_d_hidden), 1, 16384,
     "1024,512,256", 0, "d", CFG_PASS_ALWAYS, TRAINING, MODEL, "LIST", "D hidden sizes", NULL},
    {"precision", "precision", CFG_PRECISION, F(precision), 0, 0, 0, "fp32", 1, "",
     CFG_PASS_IF_CHANGED, TRAINING, MODEL, "MODE",
     "the matrix products of training:\n"
     "fp32: float products (which library: --products), the reference;\n"
     "bf16: oneDNN with bf16 operands and fp32 accumulation\n"
     "(needs a CPU with AVX-512, fast with AVX512_BF16);\n"
     "bf16-emulated: the same bf16 numerics through OpenBLAS\n"
     "on any CPU, slower than fp32 (for studying bf16).\n"
     "Weights, Adam, losses and metrics stay fp32; samples\n"
     "and evaluations run fp32. Kept by --resume", NULL},
    {"products", "products_lib", CFG_PRODUCTS, F(products), 0, 0, 0, "auto", 1, "",
     CFG_PASS_IF_CHANGED, TRAINING, MODEL, "LIB",
     "the library of fp32's matrix products: auto (oneDNN\n"
     "where the CPU has AVX-512, else OpenBLAS), openblas\n"
     "(the bits of runs made before this option), onednn\n"
     "(strict fp32 math). bf16 is always oneDNN. The run\n"
     "records the library used; --resume may change it",
     /* Runs from before it made their bits with OpenBLAS: they resume there. */
     "openblas"},
    {"data", "data_dir", CFG_PATH, F(data_dir), 0, 0, 0, "", 0, NULL, CFG_PASS_ALWAYS,
     TRAINING | CFG_CMD_PROBE, DATA, "DIR",
     "MNIST folder (default: the first of $GAN_DATA/mnist,\n"
     "data/mnist, ~/.local/share/gan/mnist that exists)", NULL},
    {"limit", "limit", CFG_LONG, F(limit), 0, 0, 100000000.0, "0", 0, "n", CFG_PASS_IF_CHANGED,
     TRAINING, DATA, "N", "use the first N training images (0: all 60000)", NULL},
    {"threads", "threads", CFG_INT, F(threads), 0, 0, 256, "0", 0, NULL, CFG_PASS_NEVER,
     TRAINING | CFG_CMD_SAMPLE | CFG_CMD_EVAL | CFG_CMD_CLASSIFIER, DATA, "N",
     "threads of the matrix products, OpenBLAS in fp32, oneDNN in\n"
     "bf16 (0: the library default, all cores; a resumed run keeps\n"
     "its own count unless given)", NULL},
    {"sample-every", "sample_every", CFG_INT, F(sample_every), 0, 1, 100000, "1", 0, NULL,
     CFG_PASS_ALWAYS, TRAINING, DATA, "N", "write a sample grid every N epochs", NULL},
    {"grid", "grid", CFG_INT, F(grid), 0, 1, 32, "8", 0, NULL, CFG_PASS_ALWAYS, TRAINING, DATA,
     "N", "grid side: N x N samples", NULL},
    {"keep-every", "keep_every", CFG_INT, F(keep_every), 0, 0, 100000, "0", 1, NULL,
     CFG_PASS_IF_CHANGED, TRAINING, DATA, "K",
     "keep G and D of every K-th and the last epoch in\n"
     "checkpoints/epoch_NNNN.bin, for --epoch of sample, eval\n"
     "and export (0: none; ~12 MB each, default nets)", NULL},
    {"eval-every", "eval_every", CFG_INT, F(eval_every), 0, 0, 100000, "0", 1, NULL,
     CFG_PASS_ALWAYS, TRAINING, QUALITY, "K",
     "FD and class coverage every K epochs and after the last\n"
     "(0: never); adds columns to metrics.csv", NULL},
    {"eval-n", "eval_n", CFG_LONG, F(eval_n), 0, 2, 100000, "10000", 1, NULL, CFG_PASS_IF_EVAL,
     TRAINING, QUALITY, "N", "generated samples per evaluation", NULL},
    {"classifier", "classifier", CFG_PATH, F(classifier), 0, 0, 0, "", 1, NULL,
     CFG_PASS_IF_EVAL, TRAINING, QUALITY, "PATH",
     "the classifier (default: mnist-classifier.bin in the first\n"
     "of $GAN_DATA, data and ~/.local/share/gan that holds one)", NULL},
    {"log-every", "log_every", CFG_INT, F(log_every), 0, 0, 1000000, "10", 1, NULL,
     CFG_PASS_ALWAYS, TRAINING, WATCH, "N",
     "steps.csv and step scalars at the first step and every\n"
     "N-th (0: none)", NULL},
    {"events", "events", CFG_FLAG, F(events), 0, 0, 1, "1", 1, NULL, CFG_PASS_ALWAYS, TRAINING,
     WATCH, NULL, "write no TensorBoard event file (default: write one)", NULL},
};
const int cfg_n_options = (int)(sizeof cfg_options / sizeof cfg_options[0]);

const cfg_option_t *cfg_option(const char *name)
{
    for (int i = 0; i < cfg_n_options; i++)
        if (cfg_options[i].name && strcmp(cfg_options[i].name, name) == 0)
            return &cfg_options[i];
    return NULL;
}

static void *field(train_cfg_t *cfg, const cfg_option_t *o)
{
    return (char *)cfg + o->offset;
}

static const void *cfield(const train_cfg_t *cfg, const cfg_option_t *o)
{
    return (const char *)cfg + o->offset;
}

static const char *label(const cfg_option_t *o)
{
    return o->name ? o->name : o->key;
}

/* --- parsing and printing one value --------------------------------------- */

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
static int parse_sizes(int *sizes, int *n, const cfg_option_t *o, const char *arg,
                       gan_err_t *err)
{
    int count = 0;
    const char *p = arg;
    if (*p == '\0')
        return gan_err_set(err, GAN_ERR_INPUT, "--%s=: empty list (e.g. --%s=256,512,1024)",
                           label(o), label(o));
    while (*p) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0') || v < o->lo || v > o->hi)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "--%s=%s: expected comma-separated sizes between %g and %g, e.g. "
                               "256,512,1024", label(o), arg, o->lo, o->hi);
        if (count == GAN_MAX_HIDDEN)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: at most %d hidden layers", label(o),
                               arg, GAN_MAX_HIDDEN);
        sizes[count++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && *p == '\0')
            return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: trailing comma", label(o), arg);
    }
    *n = count;
    return GAN_OK;
}

/* Parses text into the row's field of cfg, with the row's one range. */
static int set_value(train_cfg_t *cfg, const cfg_option_t *o, const char *text, gan_err_t *err)
{
    void *at = field(cfg, o);
    long n = 0;
    double x = 0;
    gan_err_t why;
    int rc = GAN_OK;
    switch (o->type) {
    case CFG_INT:
    case CFG_FLAG:
        rc = train_parse_int(&n, label(o), text, (long)o->lo, (long)o->hi, err);
        if (!rc)
            *(int *)at = (int)n;
        return rc;
    case CFG_LONG:
        rc = train_parse_int(&n, label(o), text, (long)o->lo, (long)o->hi, err);
        if (!rc)
            *(long *)at = n;
        return rc;
    case CFG_U64:
        rc = train_parse_int(&n, label(o), text, (long)o->lo, (long)o->hi, err);
        if (!rc)
            *(uint64_t *)at = (uint64_t)n;
        return rc;
    case CFG_FLOAT:
        /* The range holds for the float stored, so a value read back from
         * its %.9g text (0.999000013 for --leak=0.999) stays in range. */
        rc = train_parse_float(&x, label(o), text, -HUGE_VAL, HUGE_VAL, err);
        if (!rc && !((float)x >= (float)o->lo && (float)x <= (float)o->hi))
            rc = gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: must be between %g and %g", label(o),
                             text, o->lo, o->hi);
        if (!rc)
            *(float *)at = (float)x;
        return rc;
    case CFG_INIT:
    case CFG_INIT_BOTH: {
        init_scheme_t scheme;
        if (init_from_name(&scheme, text, &why) != GAN_OK)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s: %s", label(o), why.msg);
        if (o->type == CFG_INIT)
            *(init_scheme_t *)at = scheme;
        else
            cfg->g_init = cfg->d_init = scheme;
        return GAN_OK;
    }
    case CFG_SIZES:
        return parse_sizes(at, (int *)((char *)cfg + o->count_offset), o, text, err);
    case CFG_PATH:
        if (strlen(text) >= PATH_MAX)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s: path longer than %d bytes", label(o),
                               PATH_MAX - 1);
        snprintf(at, PATH_MAX, "%s", text);
        return GAN_OK;
    case CFG_PRECISION:
        if (precision_from_name(at, text, &why) != GAN_OK)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: %s", label(o), text, why.msg);
        return GAN_OK;
    case CFG_PRODUCTS:
        if (products_lib_from_name(at, text, &why) != GAN_OK)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s=%s: %s", label(o), text, why.msg);
        return GAN_OK;
    }
    return gan_err_set(err, GAN_ERR_INPUT, "--%s: unknown option type", label(o));
}

/* Writes the row's value; %.9g gives a float back exactly, %g as people
 * write it. */
static void get_value(char *out, size_t size, const train_cfg_t *cfg, const cfg_option_t *o,
                      int exact)
{
    const void *at = cfield(cfg, o);
    switch (o->type) {
    case CFG_INT:
    case CFG_FLAG: snprintf(out, size, "%d", *(const int *)at); return;
    case CFG_LONG: snprintf(out, size, "%ld", *(const long *)at); return;
    case CFG_U64: snprintf(out, size, "%llu", (unsigned long long)*(const uint64_t *)at); return;
    case CFG_FLOAT: snprintf(out, size, exact ? "%.9g" : "%g", *(const float *)at); return;
    case CFG_INIT: snprintf(out, size, "%s", init_name(*(const init_scheme_t *)at)); return;
    case CFG_INIT_BOTH: train_init_label(out, size, cfg); return;
    case CFG_SIZES: {
        const int *v = at;
        int n = *(const int *)((const char *)cfg + o->count_offset);
        size_t len = 0;
        out[0] = '\0';
        for (int i = 0; i < n && len < size; i++)
            len += (size_t)snprintf(out + len, size - len, "%s%d", i ? "," : "", v[i]);
        return;
    }
    case CFG_PATH: snprintf(out, size, "%s", (const char *)at); return;
    case CFG_PRECISION: snprintf(out, size, "%s", precision_name(*(const precision_t *)at)); return;
    case CFG_PRODUCTS:
        snprintf(out, size, "%s", products_lib_name(*(const products_lib_t *)at));
        return;
    }
    out[0] = '\0';
}

/* --- the settings as a whole ------------------------------------------------ */

void train_cfg_default(train_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < cfg_n_options; i++) {
        const cfg_option_t *o = &cfg_options[i];
        /* The table's defaults are in range: a failure here is a bad row,
         * which the option-table test catches. */
        set_value(cfg, o, o->def, NULL);
    }
}

int train_cfg_find_paths(train_cfg_t *cfg, gan_err_t *err)
{
    if (!cfg->data_dir[0]) {
        int rc = data_path_find(cfg->data_dir, sizeof cfg->data_dir, DATA_PATH_MNIST, err);
        if (rc)
            return rc;
    }
    /* Where `gan classifier train` puts it when there is none yet: a run
     * that evaluates then fails naming that file. */
    if (!cfg->classifier[0] &&
        data_path_write_target(cfg->classifier, sizeof cfg->classifier, DATA_PATH_CLASSIFIER,
                               NULL) != GAN_OK)
        snprintf(cfg->classifier, sizeof cfg->classifier, "%s", CLASSIFIER_DEFAULT_PATH);
    return GAN_OK;
}

int train_cfg_check(const train_cfg_t *cfg, gan_err_t *err)
{
    char text[PATH_MAX + 64];
    train_cfg_t scratch = *cfg;
    for (int i = 0; i < cfg_n_options; i++) {
        const cfg_option_t *o = &cfg_options[i];
        if (o->type == CFG_PATH || o->type == CFG_INIT_BOTH)
            continue;
        if (o->type == CFG_INIT && (unsigned)*(const init_scheme_t *)cfield(cfg, o) >= INIT_COUNT)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s: not a scheme", label(o));
        if (o->type == CFG_PRECISION &&
            (unsigned)*(const precision_t *)cfield(cfg, o) >= PRECISION_COUNT)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s: not one of %s", label(o),
                               precision_valid_names());
        if (o->type == CFG_PRODUCTS &&
            (unsigned)*(const products_lib_t *)cfield(cfg, o) >= PRODUCTS_LIB_COUNT)
            return gan_err_set(err, GAN_ERR_INPUT, "--%s: not one of auto, openblas, onednn",
                               label(o));
        if (o->type == CFG_SIZES) {
            int n = *(const int *)((const char *)cfg + o->count_offset);
            if (n < 1 || n > GAN_MAX_HIDDEN)
                return gan_err_set(err, GAN_ERR_INPUT, "--%s: 1 to %d sizes", label(o),
                                   GAN_MAX_HIDDEN);
        }
        /* In range when its exact text parses back under the row's range:
         * one rule for the command line, JSON and this check. */
        get_value(text, sizeof text, cfg, o, 1);
        int rc = set_value(&scratch, o, text, err);
        if (rc)
            return rc;
    }
    return GAN_OK;
}

void train_init_label(char *out, size_t size, const train_cfg_t *cfg)
{
    if (cfg->g_init == cfg->d_init)
        snprintf(out, size, "%s", init_name(cfg->g_init));
    else
        snprintf(out, size, "%s+%s", init_name(cfg->g_init), init_name(cfg->d_init));
}

int train_cfg_is_option(const char *name)
{
    return cfg_option(name) != NULL;
}

int train_cfg_set(train_cfg_t *cfg, const char *name, const char *value, gan_err_t *err)
{
    const cfg_option_t *o = cfg_option(name);
    if (!o)
        return gan_err_set(err, GAN_ERR_INPUT, "--%s: not a training option", name);
    return set_value(cfg, o, value, err);
}

int train_cfg_get(char *out, size_t size, const train_cfg_t *cfg, const char *name, int exact)
{
    const cfg_option_t *o = cfg_option(name);
    if (!o)
        return -1;
    get_value(out, size, cfg, o, exact);
    return 0;
}

static int is_number(cfg_type_t t)
{
    return t == CFG_INT || t == CFG_LONG || t == CFG_U64 || t == CFG_FLOAT || t == CFG_FLAG;
}

void train_cfg_write_fields(FILE *fp, const train_cfg_t *cfg)
{
    char text[PATH_MAX + 64];
    int first = 1;
    for (int i = 0; i < cfg_n_options; i++) {
        const cfg_option_t *o = &cfg_options[i];
        if (!o->key)
            continue;
        get_value(text, sizeof text, cfg, o, 1);
        /* Only a run that evaluates uses a classifier; the default one is
         * found from the current folder, which must not make the same run's
         * checkpoint differ from one folder to another. */
        if (o->type == CFG_PATH && o->pass == CFG_PASS_IF_EVAL && cfg->eval_every == 0)
            text[0] = '\0';
        fprintf(fp, "%s  \"%s\": ", first ? "" : ",\n", o->key);
        first = 0;
        if (o->type == CFG_SIZES)
            fprintf(fp, "[%s]", text);
        else if (is_number(o->type))
            fputs(text, fp);
        else
            json_write_string(fp, text);
    }
}

/* The row's value from json into cfg as text set_value reads. */
static int read_key(train_cfg_t *cfg, const cfg_option_t *o, const char *json, const char *origin,
                    gan_err_t *err)
{
    char text[PATH_MAX + 64];
    int found;
    if (o->type == CFG_SIZES) {
        int v[GAN_MAX_HIDDEN], n = 0;
        found = json_get_int_array(json, o->key, v, GAN_MAX_HIDDEN, &n) == 0;
        size_t len = 0;
        text[0] = '\0';
        for (int i = 0; found && i < n; i++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%d", i ? "," : "", v[i]);
    } else if (is_number(o->type)) {
        double x;
        found = json_get_number(json, o->key, &x) == 0;
        if (found && o->type == CFG_FLOAT)
            snprintf(text, sizeof text, "%.9g", x);
        else if (found && (x != floor(x) || fabs(x) > 9e15))
            return gan_err_set(err, GAN_ERR_INPUT, "%s: setting '%s' is not a whole number",
                               origin, o->key);
        else if (found)
            snprintf(text, sizeof text, "%.0f", x);
    } else {
        found = json_get_string(json, o->key, text, sizeof text) == 0;
    }
    if (!found) {
        /* A key added after runs were made: those runs had its default. A
         * key that is there but unreadable is never taken for the default. */
        char pat[80];
        snprintf(pat, sizeof pat, "\"%s\":", o->key);
        if (!o->json_since || strstr(json, pat))
            return gan_err_set(err, GAN_ERR_INPUT, "%s: setting '%s' missing or bad", origin,
                               o->key);
        snprintf(text, sizeof text, "%s", o->before ? o->before : o->def);
    }
    gan_err_t why;
    if (set_value(cfg, o, text, &why) != GAN_OK)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting '%s' is '%.200s', not a valid value "
                           "(%.300s)", origin, o->key, text, why.msg);
    return GAN_OK;
}

int train_cfg_read_json(train_cfg_t *cfg, const char *json, const char *origin, gan_err_t *err)
{
    train_cfg_default(cfg);
    for (int i = 0; i < cfg_n_options; i++) {
        const cfg_option_t *o = &cfg_options[i];
        /* "init" is written as a label for people; g_init and d_init say it. */
        if (!o->key || o->type == CFG_INIT_BOTH)
            continue;
        int rc = read_key(cfg, o, json, origin, err);
        if (rc)
            return rc;
    }
    gan_err_t why;
    if (train_cfg_check(cfg, &why) != GAN_OK)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: settings out of range (%.300s)", origin,
                           why.msg);
    return GAN_OK;
}

int train_cfg_setting_arg(char *out, size_t size, const train_cfg_t *cfg, int *cursor)
{
    char value[PATH_MAX + 64], fallback[PATH_MAX + 64];
    static train_cfg_t defaults;
    static int have_defaults;
    if (!have_defaults) {
        train_cfg_default(&defaults);
        have_defaults = 1;
    }
    while (*cursor < cfg_n_options) {
        const cfg_option_t *o = &cfg_options[(*cursor)++];
        if (!o->name || o->pass == CFG_PASS_NEVER ||
            (o->pass == CFG_PASS_IF_EVAL && cfg->eval_every == 0))
            continue;
        get_value(value, sizeof value, cfg, o, 1);
        if (o->pass == CFG_PASS_IF_CHANGED) {
            get_value(fallback, sizeof fallback, &defaults, o, 1);
            if (strcmp(value, fallback) == 0)
                continue;
        }
        if (o->type == CFG_FLAG) {
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
static int diff_skips(const cfg_option_t *o, const train_cfg_t *a)
{
    static const char *const skipped[] = {"epochs", "threads", "data", "classifier", "init"};
    if (!o->name)
        return 0;
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        if (strcmp(o->name, skipped[i]) == 0)
            return 1;
    return o->pass == CFG_PASS_IF_EVAL && a->eval_every == 0;
}

int train_cfg_diff(train_cfg_diff_t *d, const train_cfg_t *recorded, const train_cfg_t *requested)
{
    memset(d, 0, sizeof *d);
    for (int i = 0; i < cfg_n_options; i++) {
        const cfg_option_t *o = &cfg_options[i];
        if (diff_skips(o, recorded))
            continue;
        get_value(d->recorded, sizeof d->recorded, recorded, o, 1);
        get_value(d->requested, sizeof d->requested, requested, o, 1);
        if (strcmp(d->recorded, d->requested) != 0) {
            /* Shown as people write them unless only the last bits differ. */
            char shown_a[sizeof d->recorded], shown_b[sizeof d->requested];
            get_value(shown_a, sizeof shown_a, recorded, o, 0);
            get_value(shown_b, sizeof shown_b, requested, o, 0);
            if (strcmp(shown_a, shown_b) != 0) {
                memcpy(d->recorded, shown_a, sizeof shown_a);
                memcpy(d->requested, shown_b, sizeof shown_b);
            }
            d->option = label(o);
            return 1;
        }
    }
    d->recorded[0] = d->requested[0] = '\0';
    return 0;
}

int train_option_parse_int(long *out, const char *name, const char *text, gan_err_t *err)
{
    const cfg_option_t *o = cfg_option(name);
    if (!o || (o->type != CFG_INT && o->type != CFG_LONG && o->type != CFG_U64))
        return gan_err_set(err, GAN_ERR_INPUT, "--%s: not a whole-number option", name);
    return train_parse_int(out, name, text, (long)o->lo, (long)o->hi, err);
}

int train_option_parse_float(double *out, const char *name, const char *text, gan_err_t *err)
{
    const cfg_option_t *o = cfg_option(name);
    if (!o || o->type != CFG_FLOAT)
        return gan_err_set(err, GAN_ERR_INPUT, "--%s: not a real-number option", name);
    return train_parse_float(out, name, text, o->lo, o->hi, err);
}

/* --- help ---------------------------------------------------------------------- */

/* "  --lr=X" padded to the help column, then the help lines, the first with
 * "(default ...)" and the range where it says something. */
static void help_row(FILE *out, const cfg_option_t *o)
{
    char left[64];
    if (o->type == CFG_FLAG)
        snprintf(left, sizeof left, "  --no-%s", o->name);
    else
        snprintf(left, sizeof left, "  --%s=%s", o->name, o->metavar);
    char extra[160] = "";
    if (o->type == CFG_INIT_BOTH)
        snprintf(extra, sizeof extra, " (default %s; one of: %s)", o->def, init_valid_names());
    else if (o->type == CFG_INT || o->type == CFG_LONG || o->type == CFG_U64)
        snprintf(extra, sizeof extra, " (%.0f..%.0f, default %s)", o->lo, o->hi, o->def);
    else if (o->type == CFG_FLOAT)
        snprintf(extra, sizeof extra, " (%g..%g, default %s)", o->lo, o->hi, o->def);
    else if (o->type == CFG_SIZES)
        snprintf(extra, sizeof extra, " (default %s)", o->def);
    else if (o->type == CFG_PRECISION || o->type == CFG_PRODUCTS)
        snprintf(extra, sizeof extra, " (default %s)", o->def);
    const char *line = o->help;
    int first = 1;
    while (*line) {
        size_t len = strcspn(line, "\n");
        int more = line[len] == '\n';
        /* The range and default close the last line, or get their own
         * when the line would pass 80 columns. */
        int own_line = !more && extra[0] && 23 + (int)len + (int)strlen(extra) > 80;
        fprintf(out, "%-23s%.*s%s\n", first ? left : "", (int)len, line,
                !more && !own_line ? extra : "");
        if (own_line)
            fprintf(out, "%-23s%s\n", "", extra + 1);
        first = 0;
        line += len + more;
    }
}

void cfg_options_help(FILE *out, unsigned command)
{
    const char *section = NULL;
    for (int i = 0; i < cfg_n_options; i++) {
        const cfg_option_t *o = &cfg_options[i];
        if (!o->name || !(o->commands & command))
            continue;
        if (!section || strcmp(section, o->section) != 0) {
            section = o->section;
            fprintf(out, "%s:\n", section);
        }
        help_row(out, o);
    }
}
