/* The options shared by `gan train` and `gan experiment`: parsing them into
 * a train_cfg_t, and their help text. */
#ifndef GAN_CLI_TRAIN_OPTIONS_H
#define GAN_CLI_TRAIN_OPTIONS_H

#include <getopt.h>

#include "gan/train.h"

/* getopt_long codes of the shared options start here. */
enum {
    OPT_INIT = 1000, OPT_G_INIT, OPT_D_INIT, OPT_INIT_STD, OPT_SEED, OPT_DATA, OPT_LIMIT,
    OPT_THREADS, OPT_SAMPLE_EVERY, OPT_GRID, OPT_Z_DIM, OPT_LEAK, OPT_G_HIDDEN, OPT_D_HIDDEN,
    OPT_LR, OPT_BETA1, OPT_BETA2, OPT_BATCH, OPT_EPOCHS, OPT_EVAL_EVERY, OPT_EVAL_N,
    OPT_CLASSIFIER, OPT_LOG_EVERY, OPT_NO_EVENTS, OPT_PRECISION, OPT_KEEP_EVERY, OPT_TRAIN_LAST
};

/* The long options above, terminated by a zero entry. */
extern const struct option train_long_options[];
#define TRAIN_N_LONG_OPTIONS (OPT_TRAIN_LAST - OPT_INIT)

/* Fills out (room for TRAIN_N_LONG_OPTIONS + the entries of own, own's
 * zero terminator included) with the shared options followed by own. */
void train_options_merge(struct option *out, const struct option *own);

/* Applies one parsed option to cfg. Returns 0, or 2 after printing a
 * one-line error naming the option. */
int train_option_apply(train_cfg_t *cfg, int code, const char *arg);

/* Help lines of the shared options with their defaults. */
void train_options_help(FILE *out);

#endif
