/* gan report: charts and sample grids of runs side by side (report.h does
 * the work). Parses argv, prints the page's path on stdout, errors on
 * stderr; exit 0, 1 (cannot write) or 2 (bad usage or input). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gan/report.h"

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: gan report RUN_OR_EXPERIMENT... [options]\n"
            "\n"
            "Reads run folders (with metrics.csv) or experiment folders (whose run\n"
            "subfolders are taken in name order) and writes one self-contained HTML\n"
            "page: G loss, D loss, D accuracy and D(x)/D(G(z)) against epoch (one\n"
            "colour per value of the colour axis; runs that differ only in the seed\n"
            "are drawn as their mean and min-max band), per-layer statistics when the\n"
            "runs have layers.csv, a table of final-epoch metrics (mean +- std per\n"
            "group of seeds) and each run's sample grids at its first, middle and\n"
            "last epoch. The charts are also written as SVG files (g_loss.svg,\n"
            "d_loss.svg, d_acc.svg, g_acc.svg, d_real_fake.svg, fd.svg, layers_grad_norm.svg,\n"
            "layers_act_std.svg, steps_g_loss.svg, steps_d_loss.svg, steps_d_real_fake.svg).\n"
            "\n"
            "An AXIS is a training option each run's config.json records: init,\n"
            "g-init, d-init, init-std, lr, beta1, beta2, batch, z-dim, leak,\n"
            "g-hidden, d-hidden, limit, seed.\n"
            "\n"
            "options:\n"
            "  -o, --output=FILE   the page (default: EXP/report.html when the only\n"
            "                      argument is an experiment folder, else ./report.html)\n"
            "      --svg-dir=DIR   where the SVG files go (default: the page's folder)\n"
            "      --color=AXIS    one colour per value of AXIS (default: init)\n"
            "      --facet=AXIS    one panel per value of AXIS (default: none, one panel)\n"
            "      --steps=WHICH   step-level charts from steps.csv: first-epoch (default),\n"
            "                      all (every logged step) or none\n"
            "  -h, --help          this help\n"
            "\n"
            "examples: gan report runs/demo    # writes runs/demo/report.html\n"
            "          gan report runs/study --facet=lr   # a panel per learning rate\n");
}

int cmd_report(int argc, char **argv)
{
    enum { OPT_SVG_DIR = 256, OPT_COLOR, OPT_FACET, OPT_STEPS };
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"svg-dir", required_argument, NULL, OPT_SVG_DIR},
        {"color", required_argument, NULL, OPT_COLOR},
        {"facet", required_argument, NULL, OPT_FACET},
        {"steps", required_argument, NULL, OPT_STEPS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    report_opts_t opts = {0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            opts.html_path = optarg;
            break;
        case OPT_SVG_DIR:
            opts.svg_dir = optarg;
            break;
        case OPT_COLOR:
            opts.color_axis = optarg;
            break;
        case OPT_FACET:
            opts.facet_axis = optarg;
            break;
        case OPT_STEPS:
            if (!strcmp(optarg, "first-epoch"))
                opts.steps = REPORT_STEPS_FIRST_EPOCH;
            else if (!strcmp(optarg, "all"))
                opts.steps = REPORT_STEPS_ALL;
            else if (!strcmp(optarg, "none"))
                opts.steps = REPORT_STEPS_NONE;
            else
                return cli_fail(2, "report: --steps=%s: use first-epoch, all or none", optarg);
            break;
        case 'h':
            print_help(stdout);
            return 0;
        default: /* names the word; main.c has turned getopt's own message off */
            return cli_usage_error("report");
        }
    }
    if (optind >= argc)
        return cli_fail(2, "report: give at least one run or experiment folder (e.g. runs/demo); "
                           "try 'gan report --help'");
    opts.inputs = (const char *const *)(argv + optind);
    opts.n_inputs = argc - optind;

    gan_err_t err;
    char html[PATH_MAX];
    int rc = report_write(&opts, html, sizeof html, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    printf("%s\n", html);
    return 0;
}
