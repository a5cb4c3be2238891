/* THE option table: every setting of a training run is one row (its
 * command-line name, JSON key, type, place in train_cfg_t, range, default,
 * whether an experiment may vary it and how it passes it to its runs, the
 * commands that take it, its help). Everything about options is a loop over
 * it: defaults, range checks, parsing, the JSON of config.json and of
 * checkpoint headers (by key), getopt tables, --help, the man page and the
 * bash completion (both made from --help), the experiment's axes and run
 * names, and the comparison of a run's recorded settings with new ones.
 *
 * Adding an option = one row here (run_config.c) + one field in
 * train_cfg_t. Nothing here prints; errors are one line in gan_err_t,
 * "--<name>=<value>: <what is wrong>". */
#ifndef GAN_RUN_CONFIG_H
#define GAN_RUN_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gan/bf16.h"
#include "gan/error.h"
#include "gan/gan.h"
#include "gan/init.h"
#include "gan/optim.h"
#include "gan/products.h"

/* Every setting that shapes a run (written to config.json and to every
 * checkpoint header; a resumed run takes them from there). The options of
 * the table point into it; arch.image_size and adam.eps are recorded but
 * are not options. */
typedef struct {
    gan_arch_t arch;
    init_scheme_t g_init, d_init;
    float init_std;          /* std of the `random` scheme */
    adam_cfg_t adam;         /* G's Adam, and D's but for its learning rate: */
    float d_lr;              /* D's (0: adam.lr; two time-scale rule, Heusel et al. 2017) */
    int batch, epochs;
    uint64_t seed;
    char data_dir[PATH_MAX]; /* "": found when needed (data_path.h) */
    long limit;              /* use the first `limit` training images; 0 = all */
    int threads;             /* product threads (threads.h); 0 = the library's */
    int sample_every;        /* epochs between sample grids */
    int grid;                /* grid side: grid x grid samples */
    /* Sample quality (eval.h) every eval_every epochs and after the last
     * one (0: never): FD and class coverage of eval_n samples, measured
     * with the classifier file ("": found when needed). */
    int eval_every;
    long eval_n;
    char classifier[PATH_MAX];
    /* steps.csv and the TensorBoard step scalars get the first step and
     * every log_every-th (0: none); events = 0 writes no event file. */
    int log_every;
    int events;
    precision_t precision;   /* the step's matrix products (bf16.h) */
    products_lib_t products; /* the library of fp32's products (products.h) */
    int keep_every;          /* kept epochs: every keep_every-th and the last (0: none) */
} train_cfg_t;

/* What a value is, for parsing, printing, checking and JSON. */
typedef enum {
    CFG_INT,       /* int; range lo..hi */
    CFG_LONG,      /* long; range lo..hi */
    CFG_U64,       /* uint64_t (the seed); range lo..hi */
    CFG_FLOAT,     /* float; range lo..hi, written %.9g (exact) */
    CFG_INIT,      /* init_scheme_t by name */
    CFG_INIT_BOTH, /* --init: g_init and d_init at once; its JSON is the label */
    CFG_SIZES,     /* int list "256,512,1024" (count at count_offset); each lo..hi */
    CFG_PATH,      /* char[PATH_MAX]; "" means found when needed */
    CFG_PRECISION, /* precision_t by name */
    CFG_PRODUCTS,  /* products_lib_t by name */
    CFG_FLAG       /* int 0/1, default 1, set to 0 by --no-<name> */
} cfg_type_t;

/* How an experiment gives a run the setting (its `gan train` argv). */
typedef enum {
    CFG_PASS_ALWAYS,     /* --name=value */
    CFG_PASS_NEVER,      /* the caller's (threads, epochs) or said by others (init) */
    CFG_PASS_IF_CHANGED, /* only when not the default, so plans of runs from
                            before the option stay as they were */
    CFG_PASS_IF_EVAL     /* only with eval-every > 0 (eval-n, classifier) */
} cfg_pass_t;

/* The commands that take an option (a mask). */
enum {
    CFG_CMD_TRAIN = 1, CFG_CMD_EXPERIMENT = 2, CFG_CMD_PROBE = 4, CFG_CMD_SAMPLE = 8,
    CFG_CMD_EVAL = 16, CFG_CMD_CLASSIFIER = 32
};
#define CFG_CMD_TRAINING (CFG_CMD_TRAIN | CFG_CMD_EXPERIMENT)

typedef struct {
    const char *name;       /* --name; NULL for a recorded field that is no option */
    const char *key;        /* JSON key; NULL: not recorded */
    cfg_type_t type;
    size_t offset;          /* of the value in train_cfg_t */
    size_t count_offset;    /* CFG_SIZES: of the int count */
    double lo, hi;          /* the one range, for every command */
    const char *def;        /* the default, as the option is written; also what a
                               JSON without the key (a run from before it) reads as */
    int json_since;         /* 1: a JSON without the key reads as def (added later);
                               0: the key is required */
    const char *axis;       /* prefix of the value in run names when an experiment
                               may vary it ("lr" -> he_xavier-lr0.0004-s1); NULL: no axis */
    cfg_pass_t pass;
    unsigned commands;      /* CFG_CMD_* */
    const char *section;    /* help section, "model and training" */
    const char *metavar;    /* "X", "N", "LIST" (CFG_FLAG: none) */
    const char *help;       /* help lines, '\n' between; "(default ...)" is added */
    const char *before;     /* json_since: what a run from before the key had, when
                               not def (NULL: def) */
} cfg_option_t;

/* The table and its length. */
extern const cfg_option_t cfg_options[];
extern const int cfg_n_options;

/* The row of --name, or NULL. */
const cfg_option_t *cfg_option(const char *name);

/* The defaults of `gan train` (he_xavier, Adam 2e-4 / 0.5 / 0.999, batch
 * 64, 30 epochs, seed 1, 8 x 8 grids, ...): every row's def. No file is
 * looked at: data_dir and classifier stay "" until needed. */
void train_cfg_default(train_cfg_t *cfg);

/* Fills data_dir and classifier when "" (data_path.h: the first existing
 * place, or for the classifier where `gan classifier train` puts it).
 * GAN_ERR_INPUT naming every place searched when there is no MNIST. Call
 * once per command (a plan of 10,000 runs calls it once). */
int train_cfg_find_paths(train_cfg_t *cfg, gan_err_t *err);

/* Every value in its row's range and consistent; GAN_ERR_INPUT naming the
 * option and its range. */
int train_cfg_check(const train_cfg_t *cfg, gan_err_t *err);

/* Parses value into the option's field; GAN_ERR_INPUT "--<name>=<value>:
 * <what is wrong>" for an unknown name or a value out of range. */
int train_cfg_set(train_cfg_t *cfg, const char *name, const char *value, gan_err_t *err);
/* 1 when name is an option of the table. */
int train_cfg_is_option(const char *name);
/* The option's value as text train_cfg_set reads back (exact != 0: floats
 * to the last bit, %.9g; 0: as people write them, %g); -1 for an unknown
 * name. */
int train_cfg_get(char *out, size_t size, const train_cfg_t *cfg, const char *name, int exact);

/* The settings as the lines of a flat JSON object ("key": value), separated
 * by ",\n", no newline after the last: the caller opens and closes the
 * object and adds its own keys (config.json and checkpoint headers). */
void train_cfg_write_fields(FILE *fp, const train_cfg_t *cfg);
/* Reads them back by key; a key added after runs were made reads as its
 * default when missing. GAN_ERR_INPUT naming origin and the key. */
int train_cfg_read_json(train_cfg_t *cfg, const char *json, const char *origin,
                        gan_err_t *err);

/* The arguments that give `gan train` exactly cfg's settings, one per
 * call, by each row's pass rule: writes "--name=value" (or "--no-name")
 * into out and returns 1; 0 after the last. *cursor starts at 0. */
int train_cfg_setting_arg(char *out, size_t size, const train_cfg_t *cfg, int *cursor);

/* The first option whose value differs between a run's recorded settings
 * and the ones asked for (train_cfg_get, exact). Leaves out epochs (a raise
 * is allowed), threads (train_opts_t.threads_given), the data folder (a
 * run's data is checked by content) and the classifier. Returns 1 and fills
 * d on a difference, 0 when the settings make the same run. */
typedef struct {
    const char *option;
    char recorded[PATH_MAX + 64], requested[PATH_MAX + 64];
} train_cfg_diff_t;
int train_cfg_diff(train_cfg_diff_t *d, const train_cfg_t *recorded, const train_cfg_t *requested);

/* A whole-number or real option of the table parsed with its one range
 * (for commands that take it outside train_cfg_t: --seed of sample, the
 * probe's --leak). */
int train_option_parse_int(long *out, const char *name, const char *text, gan_err_t *err);
int train_option_parse_float(double *out, const char *name, const char *text, gan_err_t *err);

/* Strict number parsing: the whole text must be a number in [lo, hi];
 * GAN_ERR_INPUT "--<option>=<text>: ..." otherwise. */
int train_parse_int(long *out, const char *option, const char *text, long lo, long hi,
                    gan_err_t *err);
int train_parse_float(double *out, const char *option, const char *text, double lo, double hi,
                      gan_err_t *err);

/* Label of a run's init: the scheme name if G and D share it, else
 * "<g>+<d>" (config.json's "init"). */
void train_init_label(char *out, size_t size, const train_cfg_t *cfg);

/* --help of the options command takes, by section, each with its default. */
void cfg_options_help(FILE *out, unsigned command);

#endif
