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
    {"log-every", required_argument, 0, OPT_LOG_EVERY},
    {"no-events", no_argument, 0, OPT_NO_EVENTS},
    {"precision", required_argument, 0, OPT_PRECISION},
    {"keep-every", required_argument, 0, OPT_KEEP_EVERY},
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

int train_option_apply(train_cfg_t *cfg, int code, const char *arg)
{
    gan_err_t err;
    /* The one flag among the options: --no-events is the setting events=0. */
    int rc = code == OPT_NO_EVENTS ? train_cfg_set(cfg, "events", "0", &err)
                                   : train_cfg_set(cfg, option_name(code), arg, &err);
    return rc ? cli_fail_err(2, &err) : 0;
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
            "  --precision=MODE     the matrix products of training (default fp32):\n"
            "                       fp32: OpenBLAS sgemm, the reference;\n"
            "                       bf16: oneDNN with bf16 operands and fp32 accumulation\n"
            "                       (needs a CPU with AVX-512, fast with AVX512_BF16);\n"
            "                       bf16-emulated: the same bf16 numerics through OpenBLAS\n"
            "                       on any CPU, slower than fp32 (for studying bf16).\n"
            "                       Weights, Adam, losses and metrics stay fp32; samples\n"
            "                       and evaluations run fp32. Kept by --resume\n"
            "data and output:\n"
            "  --data=DIR           MNIST folder (default: the first of $GAN_DATA/mnist,\n"
            "                       data/mnist, ~/.local/share/gan/mnist that exists)\n"
            "  --limit=N            use the first N training images (default all 60000)\n"
            "  --threads=N          threads of the matrix products, OpenBLAS in fp32, oneDNN in\n"
            "                       bf16 (default: all cores)\n"
            "  --sample-every=N     write a sample grid every N epochs (default 1)\n"
            "  --grid=N             grid side: N x N samples (default 8)\n"
            "  --keep-every=K       keep G and D of every K-th and the last epoch in\n"
            "                       checkpoints/epoch_NNNN.bin, for --epoch of sample, eval\n"
            "                       and export (default 0: none; ~12 MB each, default nets)\n"
            "sample quality (needs a classifier: ./gan classifier train):\n"
            "  --eval-every=K       FD and class coverage every K epochs and after the last\n"
            "                       (default 0: never); adds columns to metrics.csv\n"
            "  --eval-n=N           generated samples per evaluation (2..100000, default 10000)\n"
            "  --classifier=PATH    the classifier (default: mnist-classifier.bin in the first\n"
            "                       of $GAN_DATA, data (%s) and\n"
            "                       ~/.local/share/gan that holds one)\n"
            "watching (TensorBoard: tensorboard --logdir runs):\n"
            "  --log-every=N        steps.csv and step scalars at the first step and every\n"
            "                       N-th (default %d; 0: none)\n"
            "  --no-events          write no TensorBoard event file (default: write one)\n",
            init_valid_names(), CLASSIFIER_DEFAULT_PATH, TRAIN_LOG_EVERY_DEFAULT);
}
