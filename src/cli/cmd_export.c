/* gan export: a run's weights (the latest, or a kept epoch's) as NumPy .npy
 * files plus manifest.json, so numpy / PyTorch users can load the model (W
 * is out x in like nn.Linear).
 *
 * The folder is published whole (fsutil's atomic_dir): the files go into a
 * private sibling folder renamed into place at the end, and an earlier
 * export there (told by its manifest) is replaced whole, so a reader never
 * sees a 4-layer G's G.3.*.npy next to a 3-layer G's manifest, and a kill
 * leaves the old export or the new one. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gan/fsutil.h"
#include "gan/json.h"
#include "gan/npy.h"
#include "gan/train.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan export --run=DIR --out=DIR [--epoch=K]\n"
            "\n"
            "Writes every weight and bias of G and D from DIR/checkpoint.bin as .npy\n"
            "(float32, little-endian; weights out x in as in torch.nn.Linear) and a\n"
            "manifest.json naming each file's net, layer, tensor, shape and activation.\n"
            "The weights are the fp32 master weights in every --precision.\n"
            "  --run=DIR   run folder (required)\n"
            "  --out=DIR   output folder (required): a new or empty folder, or an earlier\n"
            "              export, which is replaced whole; any other folder is refused\n"
            "  --epoch=K   the weights of kept epoch K (DIR/checkpoints/, gan train\n"
            "              --keep-every); an epoch not kept is an error naming the kept\n"
            "              ones (default: the latest checkpoint)\n");
}

/* Writes one net's tensors and their manifest entries. */
static int export_net(FILE *manifest, int *first, const net_t *net, const char *prefix,
                      const char *out_dir, gan_err_t *err)
{
    for (int l = 0; l < net->n_layers; l++) {
        const layer_t *layer = &net->layers[l];
        for (int is_bias = 0; is_bias <= 1; is_bias++) {
            const char *tensor = is_bias ? "bias" : "weight";
            char file[128], path[PATH_MAX + 256];
            snprintf(file, sizeof file, "%s.%d.%s.npy", prefix, l, tensor);
            int rc = fs_join(path, sizeof path, out_dir, file, err);
            if (rc)
                return rc;
            size_t shape[2] = {(size_t)layer->n_out, (size_t)layer->n_in};
            const float *data = net->params + (is_bias ? layer->b_off : layer->w_off);
            rc = npy_write(path, data, is_bias ? 1 : 2, shape, err);
            if (rc)
                return rc;
            char shape_text[64];
            if (is_bias)
                snprintf(shape_text, sizeof shape_text, "[%d]", layer->n_out);
            else
                snprintf(shape_text, sizeof shape_text, "[%d, %d]", layer->n_out, layer->n_in);
            fprintf(manifest,
                    "%s\n    {\"name\": \"%s.%d.%s\", \"file\": \"%s\", \"net\": \"%s\", "
                    "\"layer\": %d, \"tensor\": \"%s\", \"shape\": %s, \"activation\": \"%s\"}",
                    *first ? "" : ",", prefix, l, tensor, file, prefix, l, tensor, shape_text,
                    act_name(layer->act));
            *first = 0;
        }
    }
    return GAN_OK;
}

/* 1 if dir holds an earlier export: a manifest.json of format "gan export". */
static int is_earlier_export(const char *dir)
{
    char path[PATH_MAX + 32], format[32] = "", *text = NULL;
    size_t n = 0;
    if (fs_join(path, sizeof path, dir, "manifest.json", NULL) ||
        fs_read_all(path, (size_t)1 << 20, &text, &n, NULL))
        return 0;
    int yes = json_get_string(text, "format", format, sizeof format) == 0 &&
              strcmp(format, "gan export") == 0;
    free(text);
    return yes;
}

int cmd_export(int argc, char **argv)
{
    static const struct option options[] = {
        {"run", required_argument, 0, 'r'}, {"out", required_argument, 0, 'o'},
        {"epoch", required_argument, 0, 'e'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *run_dir = NULL, *out_dir = NULL;
    long epoch = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'r': run_dir = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'e':
            if (cli_parse_int("epoch", optarg, 1, CLI_EPOCH_MAX, &epoch))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("export");
        }
    }
    if (optind < argc)
        return cli_fail(2, "export: unexpected argument '%s'", argv[optind]);
    if (!run_dir || !out_dir)
        return cli_fail(2, "export: --run=DIR and --out=DIR are required");

    if (!out_dir[0])
        return cli_fail(2, "--out: empty path; give the folder to export into");

    gan_err_t err;
    atomic_dir_t out;
    int rc = atomic_dir_begin(&out, out_dir, is_earlier_export,
                              "it holds no earlier export (no manifest.json of gan export), so "
                              "gan export would mix its files with others: remove it or pick "
                              "another --out", &err);
    if (rc)
        return cli_fail_err(rc, &err);
    gan_t gan;
    train_cfg_t cfg;
    train_weights_t from;
    rc = train_load_weights(&gan, &cfg, &from, run_dir, (int)epoch, 1, &err);
    if (rc) {
        atomic_dir_abort(&out);
        return cli_fail_err(rc, &err);
    }
    atomic_file_t af = {0};
    rc = atomic_begin_in(&af, out.tmp_path, "manifest.json", &err);
    if (!rc) {
        fputs("{\n  \"format\": \"gan export\",\n  \"run\": ", af.fp);
        json_write_string(af.fp, run_dir);
        fputs(",\n  \"weights\": ", af.fp);
        json_write_string(af.fp, from.path);
        fprintf(af.fp, ",\n  \"epoch\": %d,\n  \"step\": %ld", from.epoch, from.step);
        fputs(",\n  \"dtype\": \"float32\",\n  \"layout\": \"weight is out x in; y = x W^T + b "
              "(torch.nn.Linear)\",\n  \"config\": {\n",
              af.fp);
        train_cfg_write_fields(af.fp, &cfg);
        fputs("\n  },\n  \"tensors\": [", af.fp);
        int first = 1;
        rc = export_net(af.fp, &first, &gan.g, "G", out.tmp_path, &err);
        if (!rc)
            rc = export_net(af.fp, &first, &gan.d, "D", out.tmp_path, &err);
        fputs("\n  ]\n}\n", af.fp);
        rc = rc ? rc : atomic_commit(&af, &err);
        atomic_abort(&af);
    }
    gan_destroy(&gan);
    rc = rc ? rc : atomic_dir_commit(&out, &err);
    atomic_dir_abort(&out);
    if (rc)
        return cli_fail_err(rc, &err);
    char manifest[PATH_MAX + 32];
    if (fs_join(manifest, sizeof manifest, out_dir, "manifest.json", NULL) == GAN_OK)
        printf("%s\n", manifest);
    return 0;
}
