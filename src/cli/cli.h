/* The command-line front end: one function per subcommand, each in its own
 * file, dispatched by main.c. Only this layer prints to the user and picks
 * exit codes (0 ok, 1 runtime failure, 2 bad usage or input). */
#ifndef GAN_CLI_H
#define GAN_CLI_H

#include <stdio.h>

#include "gan/error.h"

int cmd_train(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_experiment(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_classifier(int argc, char **argv);
int cmd_eval(int argc, char **argv);

/* Prints "gan: <message>" on stderr and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the library error and returns its code. */
int cli_fail_err(int code, const gan_err_t *err);

/* Sends SIGINT and SIGTERM (and SIGHUP when hup) to handler, which raises
 * the stop flag that the library checks after each step. */
void cli_catch_stop_signals(void (*handler)(int), int hup);

/* Strict number parsing for option values: the whole string must be a
 * number in [lo, hi]; otherwise a usage error naming the option. */
int cli_parse_int(const char *option, const char *text, long lo, long hi, long *out);
int cli_parse_float(const char *option, const char *text, double lo, double hi, double *out);

/* The largest --epoch of sample, eval and export: train's --epochs limit. */
#define CLI_EPOCH_MAX 100000

/* --seed and --threads, whichever command takes them: one range each, from
 * the table of training options (train.h). */
int cli_parse_shared(const char *option, const char *text, long *out);
/* The same for a real-number option of the table (--leak, --init-std). */
int cli_parse_shared_float(const char *option, const char *text, double *out);

/* Usage error for an unknown option or missing argument that getopt already
 * reported; tells where to find help. */
int cli_usage_error(const char *command);

#endif
