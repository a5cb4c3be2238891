/* The options of the table (gan/run_config.h) on a command line: getopt
 * entries, parsing into a train_cfg_t, and their help. A table option's
 * getopt code is TRAIN_OPT_BASE + its row, so nothing depends on the order
 * of a second list. */
#ifndef GAN_CLI_TRAIN_OPTIONS_H
#define GAN_CLI_TRAIN_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

#include "gan/train.h"

#define TRAIN_OPT_BASE 1000
/* Room for the table's options in a getopt table (the command's own come
 * after them). */
#define TRAIN_OPT_ROOM 64
/* Codes of a command's own options start here. */
#define TRAIN_OPT_OWN (TRAIN_OPT_BASE + TRAIN_OPT_ROOM)

/* Fills out (room for TRAIN_OPT_ROOM + the entries of own, its zero
 * terminator included) with the table's options that command takes
 * (CFG_CMD_*), then own. */
void train_options_merge(struct option *out, unsigned command, const struct option *own);

/* The table row of a getopt code, or NULL for a command's own option. */
const cfg_option_t *train_option_row(int code);

/* Applies one parsed table option to cfg. Returns 0, or 2 after printing a
 * one-line error naming the option. */
int train_option_apply(train_cfg_t *cfg, int code, const char *arg);

/* Help lines of the table's options command takes, with their ranges and
 * defaults. */
void train_options_help(FILE *out, unsigned command);

#endif
