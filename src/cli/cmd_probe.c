/* gan probe: the classic activation-distribution experiment (probe.h).
 * Parses options, runs the probe, prints the per-layer table on stdout and
 * writes the histogram figure. All the math lives in src/probe.c. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "gan/run_config.h"
#include "gan/activation.h"
#include "gan/init.h"
#include "gan/mlp.h"
#include "gan/probe.h"

static void print_help(FILE *out)
{
    /* The ranges of the options the probe shares with training: the table's. */
    const cfg_option_t *std = cfg_option("init-std"), *seed = cfg_option("seed"),
                       *leak = cfg_option("leak");
    fprintf(out,
            "usage: gan probe --act=NAME --init=NAME [options]\n"
            "\n"
            "Feeds one batch through a deep MLP (a dense layer and the activation, repeated)\n"
            "right after initialization and shows how each layer's outputs are spread:\n"
            "a table on stdout and an SVG with one histogram per layer.\n"
            "\n"
            "options (default in brackets):\n"
            "  --act=NAME       activation after every layer: tanh, sigmoid, relu, leaky_relu (required)\n"
            "  --init=NAME      init scheme (required): %s\n"
            "  --init-std=S     weight std of --init=random, %g..%g [%g]\n"
            "  --layers=N       number of layers, 1..%d [10]\n"
            "  --width=N        units per layer, 1..%d [500]\n"
            "  --batch=N        rows of the probe batch, 1..%d [1000]\n"
            "  --seed=N         seed of the weights and the inputs, %.0f..%.0f [1]\n"
            "  --leak=A         negative slope of leaky_relu, %g..%g [%g]\n"
            "  --data=DIR       feed MNIST training images from DIR (784 inputs) instead of\n"
            "                   N(0,1) inputs of size --width [off]\n"
            "  --backward       also one backward pass with dL/dy = 1/batch for every output\n"
            "                   (L = mean over the batch of the sum of the outputs) and print\n"
            "                   ||dL/dW|| and ||dL/dy|| (Frobenius norms) per layer [off]\n"
            "  -o, --output=PATH  the SVG figure [probe-ACT-INIT.svg in the current folder;\n"
            "                   random adds its std: probe-tanh-random-0.01.svg; --data adds -mnist]\n"
            "  -h, --help       this text\n"
            "\n"
            "table columns: weight std = measured std of the layer's weights; mean, std: those\n"
            "of the layer's outputs (after the activation); saturated = share with |tanh| > 0.99\n"
            "or sigmoid outside [0.01, 0.99]; zero = share exactly 0 (dead ReLU units);\n"
            "negative = share below 0.\n"
            "\n"
            "the four classic cases:\n"
            "  gan probe --act=tanh --init=random --init-std=0.01   deep layers collapse to 0\n"
            "  gan probe --act=tanh --init=random --init-std=1      outputs pile up at -1 and +1\n"
            "  gan probe --act=tanh --init=xavier_normal            spread kept over depth\n"
            "  gan probe --act=relu --init=he_normal                spread kept over depth\n",
            init_valid_names(), std->lo, std->hi, (double)INIT_DEFAULT_STD, MLP_MAX_LAYERS,
            PROBE_MAX_WIDTH, PROBE_MAX_BATCH, seed->lo, seed->hi, leak->lo, leak->hi,
            (double)ACT_DEFAULT_LEAK);
}

static void print_table(const probe_result_t *res)
{
    const probe_cfg_t *cfg = &res->cfg;
    const int sat = cfg->act == ACT_TANH || cfg->act == ACT_SIGMOID;
    char title[256];
    probe_describe(title, sizeof title, res);
    printf("# %s\n", title);
    printf("%5s %10s %11s %11s %10s %7s %9s", "layer", "weight std", "mean", "std", "saturated",
           "zero", "negative");
    if (cfg->backward)
        printf(" %11s %11s", "|dL/dW|", "|dL/dy|");
    putchar('\n');
    printf("%5s %10s %11.4g %11.4g\n", "input", "", res->input_mean, res->input_std);
    for (int l = 0; l < res->n_layers; l++) {
        const probe_layer_t *st = &res->layers[l];
        char sat_text[16];
        if (sat)
            snprintf(sat_text, sizeof sat_text, "%.1f%%", 100.0 * st->stats.frac_saturated);
        else
            snprintf(sat_text, sizeof sat_text, "-");
        printf("%5d %10.4g %11.4g %11.4g %10s %6.1f%% %8.1f%%", l + 1, st->weight_std, st->stats.mean,
               st->stats.std, sat_text, 100.0 * st->stats.frac_zero, 100.0 * st->stats.frac_negative);
        if (cfg->backward)
            printf(" %11.4g %11.4g", st->grad_w_norm, st->grad_out_norm);
        putchar('\n');
    }
    if (cfg->backward)
        printf("# gradient reaching the input: ||dL/dx|| = %.4g\n", res->grad_in_norm);
}

static void warn_overflow(const probe_result_t *res)
{
    for (int l = 0; l < res->n_layers; l++) {
        if (res->layers[l].stats.n_nonfinite) {
            fprintf(stderr,
                    "gan: probe: %zu outputs of layer %d overflowed to inf/NaN; the statistics "
                    "leave them out\n",
                    res->layers[l].stats.n_nonfinite, l + 1);
            return;
        }
    }
}

int cmd_probe(int argc, char **argv)
{
    enum { OPT_ACT = 256, OPT_INIT, OPT_INIT_STD, OPT_LAYERS, OPT_WIDTH, OPT_BATCH, OPT_SEED,
           OPT_LEAK, OPT_DATA, OPT_BACKWARD };
    static const struct option options[] = {
        {"act", required_argument, NULL, OPT_ACT},
        {"init", required_argument, NULL, OPT_INIT},
        {"init-std", required_argument, NULL, OPT_INIT_STD},
        {"layers", required_argument, NULL, OPT_LAYERS},
        {"width", required_argument, NULL, OPT_WIDTH},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"seed", required_argument, NULL, OPT_SEED},
        {"leak", required_argument, NULL, OPT_LEAK},
        {"data", required_argument, NULL, OPT_DATA},
        {"backward", no_argument, NULL, OPT_BACKWARD},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    probe_cfg_t cfg;
    probe_cfg_default(&cfg);
    const char *act_text = NULL, *init_text = NULL, *std_text = NULL, *leak_text = NULL;
    const char *output = NULL;
    gan_err_t err;
    long v;
    double d;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case OPT_ACT:
            if (act_from_name(&cfg.act, optarg, &err) != GAN_OK || cfg.act == ACT_IDENTITY)
                return cli_fail(2, "--act=%s: unknown activation (valid: tanh, sigmoid, relu, "
                                   "leaky_relu)", optarg);
            act_text = optarg;
            break;
        case OPT_INIT:
            if (init_from_name(&cfg.init, optarg, &err) != GAN_OK)
                return cli_fail(2, "--init=%s: %s", optarg, err.msg);
            init_text = optarg;
            break;
        case OPT_INIT_STD:
            if (cli_parse_shared_float("init-std", optarg, &d))
                return 2;
            cfg.init_std = (float)d;
            std_text = optarg;
            break;
        case OPT_LAYERS:
            if (cli_parse_int("layers", optarg, 1, MLP_MAX_LAYERS, &v))
                return 2;
            cfg.n_layers = (int)v;
            break;
        case OPT_WIDTH:
            if (cli_parse_int("width", optarg, 1, PROBE_MAX_WIDTH, &v))
                return 2;
            cfg.width = (int)v;
            break;
        case OPT_BATCH:
            if (cli_parse_int("batch", optarg, 1, PROBE_MAX_BATCH, &v))
                return 2;
            cfg.batch = (int)v;
            break;
        case OPT_SEED:
            if (cli_parse_shared("seed", optarg, &v))
                return 2;
            cfg.seed = (uint64_t)v;
            break;
        case OPT_LEAK:
            if (cli_parse_shared_float("leak", optarg, &d))
                return 2;
            cfg.leak = (float)d;
            leak_text = optarg;
            break;
        case OPT_DATA:
            if (!optarg[0])
                return cli_fail(2, "--data=: empty folder name");
            cfg.data_dir = optarg;
            break;
        case OPT_BACKWARD:
            cfg.backward = 1;
            break;
        case 'o':
            if (!optarg[0])
                return cli_fail(2, "--output=: empty file name");
            output = optarg;
            break;
        case 'h':
            print_help(stdout);
            return 0;
        default:
            return cli_usage_error("probe");
        }
    }
    if (optind < argc)
        return cli_fail(2, "probe: unexpected argument '%s' (options only; try 'gan probe --help')",
                        argv[optind]);
    if (!act_text)
        return cli_fail(2, "probe: --act is required (tanh, sigmoid, relu, leaky_relu)");
    if (!init_text)
        return cli_fail(2, "probe: --init is required (%s)", init_valid_names());
    if (std_text && cfg.init != INIT_RANDOM)
        return cli_fail(2, "--init-std=%s: only used by --init=random, not --init=%s", std_text,
                        init_text);
    if (leak_text && cfg.act != ACT_LEAKY_RELU)
        return cli_fail(2, "--leak=%s: only used by --act=leaky_relu, not --act=%s", leak_text,
                        act_text);

    char default_output[256];
    if (!output) {
        char std_part[48] = "";
        if (cfg.init == INIT_RANDOM)
            snprintf(std_part, sizeof std_part, "-%g", (double)cfg.init_std);
        snprintf(default_output, sizeof default_output, "probe-%s-%s%s%s.svg", act_name(cfg.act),
                 init_name(cfg.init), std_part, cfg.data_dir ? "-mnist" : "");
        output = default_output;
    }

    probe_result_t res;
    int rc = probe_run(&res, &cfg, &err);
    if (rc != GAN_OK)
        return cli_fail_err(rc, &err);
    warn_overflow(&res);
    print_table(&res);
    rc = probe_write_svg(&res, output, &err);
    probe_result_free(&res);
    if (rc != GAN_OK)
        return cli_fail_err(rc, &err);
    printf("wrote %s\n", output);
    return fflush(stdout) == 0 ? 0 : cli_fail(1, "stdout: write failed");
}
