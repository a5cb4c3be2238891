/* gan: entry point and subcommand table. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>

#include "cli.h"
#include "gan/train.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command_t;

static const command_t commands[] = {
    {"train", cmd_train, "train a GAN on MNIST into a run folder (or --resume one)"},
    {"experiment", cmd_experiment, "paired runs: the same seeds under several init schemes"},
    {"report", cmd_report, "charts and sample grids of runs side by side (SVG + HTML)"},
    {"sample", cmd_sample, "write a grid of samples from a trained generator"},
    {"export", cmd_export, "write a run's weights as NumPy .npy files"},
    {"probe", cmd_probe, "activation statistics of a deep MLP under an init scheme"},
    {"classifier", cmd_classifier, "train the MNIST classifier that gan eval measures samples with"},
    {"eval", cmd_eval, "sample quality of a run: Frechet distance and class coverage"},
    {"data", cmd_data, "check the MNIST files and print a summary"},
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: gan <command> [options]\n"
            "\n"
            "A GAN trainer for MNIST in C, for studying weight initialization.\n"
            "\n"
            "commands:\n");
    for (int i = 0; i < n_commands; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].help);
    fprintf(out,
            "\n"
            "'gan <command> --help' lists a command's options and their defaults.\n"
            "  gan train --init=he_xavier          train one run into runs/\n"
            "  gan experiment --epochs=10 --seeds=3   random vs he_xavier, paired\n"
            "  gan report runs/demo                charts + grids in runs/demo/report.html\n");
}

int cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gan: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int cli_fail_err(int code, const gan_err_t *err)
{
    return cli_fail(code, "%s", err->msg);
}

void cli_catch_stop_signals(void (*handler)(int), int hup)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (hup)
        sigaction(SIGHUP, &sa, NULL);
}

/* The subcommand's argv, so a usage error can name the offending word. */
static char **command_argv;
static int command_argc;

int cli_usage_error(const char *command)
{
    const char *word = optind > 0 && optind <= command_argc ? command_argv[optind - 1] : "?";
    fprintf(stderr, "gan: %s: unknown option or missing value '%s'; try 'gan %s --help'\n",
            command, word, command);
    return 2;
}

int cli_parse_int(const char *option, const char *text, long lo, long hi, long *out)
{
    gan_err_t err;
    return train_parse_int(out, option, text, lo, hi, &err) ? cli_fail_err(2, &err) : 0;
}

int cli_parse_shared(const char *option, const char *text, long *out)
{
    gan_err_t err;
    return train_option_parse_int(out, option, text, &err) ? cli_fail_err(2, &err) : 0;
}

int cli_parse_shared_float(const char *option, const char *text, double *out)
{
    gan_err_t err;
    return train_option_parse_float(out, option, text, &err) ? cli_fail_err(2, &err) : 0;
}

int cli_parse_float(const char *option, const char *text, double lo, double hi, double *out)
{
    gan_err_t err;
    return train_parse_float(out, option, text, lo, hi, &err) ? cli_fail_err(2, &err) : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("gan %s\n", GAN_VERSION);
        return 0;
    }
    /* Subcommands report bad options themselves, in one line. */
    opterr = 0;
    command_argc = argc - 1;
    command_argv = argv + 1;
    for (int i = 0; i < n_commands; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gan: unknown command '%s'\n", name);
    print_usage(stderr);
    return 2;
}
