/* Options shared by `gan train` and `gan experiment`; see train_options.h. */
#include "train_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct option train_long_options[] = {
    {"init", required_argument, 0, OPT_INIT},
    {"g-init", required_argument, 0, OPT_G_INIT},
    {"d-init", required_argument, 0, OPT_D_INIT},
    {"init-std", required_argument, 0, OPT_INIT_STD},
    {"seed", required_argument, 0, OPT_SEED},
    {"data", required_argument, 0, OPT_DATA},
    {"limit", required_argument, 0, OPT_LIMIT},
    {"threads", required_argument, 0, OPT_THREADS},
    {"sample-every", required_argument, 0, OPT_SAMPLE_EVERY},
    {"grid", required_argument, 0, OPT_GRID},
    {"z-dim", required_argument, 0, OPT_Z_DIM},
    {"leak", required_argument, 0, OPT_LEAK},
    {"g-hidden", required_argument, 0, OPT_G_HIDDEN},
    {"d-hidden", required_argument, 0, OPT_D_HIDDEN},
    {"lr", required_argument, 0, OPT_LR},
    {"beta1", required_argument, 0, OPT_BETA1},
    {"beta2", required_argument, 0, OPT_BETA2},
    {"batch", required_argument, 0, OPT_BATCH},
    {"epochs", required_argument, 0, OPT_EPOCHS},
    {"eval-every", required_argument, 0, OPT_EVAL_EVERY},
    {"eval-n", required_argument, 0, OPT_EVAL_N},
    {"classifier", required_argument, 0, OPT_CLASSIFIER},
    {0, 0, 0, 0},
};

void train_options_merge(struct option *out, const struct option *own)
{
    memcpy(out, train_long_options, TRAIN_N_LONG_OPTIONS * sizeof *out);
    int n = 0;
    do
        out[TRAIN_N_LONG_OPTIONS + n] = own[n];
    while (own[n++].name);
}

static const char *option_name(int code)
{
    for (int i = 0; train_long_options[i].name; i++)
        if (train_long_options[i].val == code)
            return train_long_options[i].name;
    return "?";
}

/* "256,512,1024" -> sizes; every entry a whole number in 1..16384. */
static int parse_hidden(const char *option, const char *arg, int *sizes, int *n)
{
    int count = 0;
    const char *p = arg;
    if (*p == '\0')
        return cli_fail(2, "--%s=: empty list (e.g. --%s=256,512,1024)", option, option);
    while (*p) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0') || v < 1 || v > 16384)
            return cli_fail(2, "--%s=%s: expected comma-separated sizes 1..16384, e.g. 256,512,1024",
                            option, arg);
        if (count == GAN_MAX_HIDDEN)
            return cli_fail(2, "--%s=%s: at most %d hidden layers", option, arg, GAN_MAX_HIDDEN);
        sizes[count++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && *p == '\0')
            return cli_fail(2, "--%s=%s: trailing comma", option, arg);
    }
    *n = count;
    return 0;
}

static int parse_init(const char *option, const char *arg, init_scheme_t *out)
{
    gan_err_t err;
    if (init_from_name(out, arg, &err) != GAN_OK)
        return cli_fail(2, "--%s: %s", option, err.msg);
    return 0;
}

int train_option_apply(train_cfg_t *cfg, int code, const char *arg)
{
    const char *name = option_name(code);
    long n = 0;
    double x = 0;
    int rc = 0;
    switch (code) {
    case OPT_INIT:
        rc = parse_init(name, arg, &cfg->g_init);
        cfg->d_init = cfg->g_init;
        break;
    case OPT_G_INIT: rc = parse_init(name, arg, &cfg->g_init); break;
    case OPT_D_INIT: rc = parse_init(name, arg, &cfg->d_init); break;
    case OPT_INIT_STD:
        if (!(rc = cli_parse_float(name, arg, 1e-12, 100.0, &x)))
            cfg->init_std = (float)x;
        break;
    case OPT_SEED:
        if (!(rc = cli_parse_int(name, arg, 0, 2147483647L, &n)))
            cfg->seed = (uint64_t)n;
        break;
    case OPT_DATA:
        if (strlen(arg) >= sizeof cfg->data_dir)
            return cli_fail(2, "--data: path too long");
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", arg);
        break;
    case OPT_LIMIT:
        if (!(rc = cli_parse_int(name, arg, 1, 100000000L, &n)))
            cfg->limit = n;
        break;
    case OPT_THREADS:
        if (!(rc = cli_parse_int(name, arg, 1, 256, &n)))
            cfg->threads = (int)n;
        break;
    case OPT_SAMPLE_EVERY:
        if (!(rc = cli_parse_int(name, arg, 1, 100000, &n)))
            cfg->sample_every = (int)n;
        break;
    case OPT_GRID:
        if (!(rc = cli_parse_int(name, arg, 1, 32, &n)))
            cfg->grid = (int)n;
        break;
    case OPT_Z_DIM:
        if (!(rc = cli_parse_int(name, arg, 1, 4096, &n)))
            cfg->arch.z_dim = (int)n;
        break;
    case OPT_LEAK:
        if (!(rc = cli_parse_float(name, arg, 0.0, 0.999, &x)))
            cfg->arch.leak = (float)x;
        break;
    case OPT_G_HIDDEN:
        rc = parse_hidden(name, arg, cfg->arch.g_hidden, &cfg->arch.n_g_hidden);
        break;
    case OPT_D_HIDDEN:
        rc = parse_hidden(name, arg, cfg->arch.d_hidden, &cfg->arch.n_d_hidden);
        break;
    case OPT_LR:
        if (!(rc = cli_parse_float(name, arg, 1e-12, 9.99, &x)))
            cfg->adam.lr = (float)x;
        break;
    case OPT_BETA1:
        if (!(rc = cli_parse_float(name, arg, 0.0, 0.999999, &x)))
            cfg->adam.beta1 = (float)x;
        break;
    case OPT_BETA2:
        if (!(rc = cli_parse_float(name, arg, 0.0, 0.999999, &x)))
            cfg->adam.beta2 = (float)x;
        break;
    case OPT_BATCH:
        if (!(rc = cli_parse_int(name, arg, 1, 65536, &n)))
            cfg->batch = (int)n;
        break;
    case OPT_EPOCHS:
        if (!(rc = cli_parse_int(name, arg, 1, 100000, &n)))
            cfg->epochs = (int)n;
        break;
    case OPT_EVAL_EVERY:
        if (!(rc = cli_parse_int(name, arg, 0, 100000, &n)))
            cfg->eval_every = (int)n;
        break;
    case OPT_EVAL_N:
        if (!(rc = cli_parse_int(name, arg, 2, 100000, &n)))
            cfg->eval_n = n;
        break;
    case OPT_CLASSIFIER:
        if (strlen(arg) >= sizeof cfg->classifier)
            return cli_fail(2, "--classifier: path too long");
        snprintf(cfg->classifier, sizeof cfg->classifier, "%s", arg);
        break;
    default:
        return cli_fail(2, "internal: unknown option code %d", code);
    }
    return rc;
}

void train_options_help(FILE *out)
{
    fprintf(out,
            "model and training:\n"
            "  --init=NAME          init scheme of G and D (default he_xavier)\n"
            "                       one of: %s\n"
            "  --g-init=NAME        override G's scheme\n"
            "  --d-init=NAME        override D's scheme\n"
            "  --init-std=S         std of the 'random' scheme (default 0.01)\n"
            "  --seed=N             seed of data order, noise and weights (default 1)\n"
            "  --epochs=N           total epochs (default 30)\n"
            "  --batch=N            batch size (default 64; the last partial batch of an\n"
            "                       epoch is dropped)\n"
            "  --lr=X               Adam learning rate (default 0.0002)\n"
            "  --beta1=X --beta2=X  Adam betas (default 0.5, 0.999)\n"
            "  --z-dim=N            noise size (default 100)\n"
            "  --leak=X             leaky-ReLU slope (default 0.2)\n"
            "  --g-hidden=LIST      G hidden sizes (default 256,512,1024)\n"
            "  --d-hidden=LIST      D hidden sizes (default 1024,512,256)\n"
            "data and output:\n"
            "  --data=DIR           MNIST folder (default data/mnist)\n"
            "  --limit=N            use the first N training images (default all 60000)\n"
            "  --threads=N          OpenBLAS threads (default: all cores)\n"
            "  --sample-every=N     write a sample grid every N epochs (default 1)\n"
            "  --grid=N             grid side: N x N samples (default 8)\n"
            "sample quality (needs a classifier: ./gan classifier train):\n"
            "  --eval-every=K       FD and class coverage every K epochs and after the last\n"
            "                       (default 0: never); adds columns to metrics.csv\n"
            "  --eval-n=N           generated samples per evaluation (2..100000, default 10000)\n"
            "  --classifier=PATH    the classifier (default %s)\n",
            init_valid_names(), CLASSIFIER_DEFAULT_PATH);
}
