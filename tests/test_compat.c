/* Runs made before the network of layers (net.h) still work: the run in
 * tests/fixtures/pre_net_run was made by the gan of the commit before it
 * (z 8, G 8-3-784, D 784-3-2-1, 256 images, one epoch, seed 7, fp32):
 *   gan train --limit=256 --z-dim=8 --g-hidden=3 --d-hidden=3,2 --batch=32
 *             --epochs=1 --threads=1 --seed=7 --grid=4 --no-events
 * and pre_net_sample.png / pre_net_manifest.json are what that gan's
 * `gan sample --n=16` and `gan export` made of it. Its checkpoint header
 * has no "arch" and its layers.csv no "name" column. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "gan/checkpoint.h"
#include "gan/ckpt_meaning.h"
#include "test_util.h"
#include "test_cli.h"

#define FIXTURE "tests/fixtures/pre_net_run"
/* layers.csv before layers had names. */
#define LAYERS_HEADER \
    "epoch,net,layer,act,act_mean,act_std,frac_saturated,frac_negative,weight_std,grad_norm"

TestSuite(compat, .fini = teardown, .timeout = 600);

/* A copy of the fixture run in tmp_dir/run (the run is resumed in place). */
static char *fixture_copy(void)
{
    need_mnist();
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "compat");
    char *run = tmp_path("run");
    cr_assert_eq(mkdir(run, 0755), 0);
    const char *files[] = {"checkpoint.bin", "config.json", "metrics.csv", "layers.csv",
                           "steps.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n;
        char *data = must_read(join(FIXTURE, files[i]), &n);
        test_write_file(join(run, files[i]), data, n);
    }
    return run;
}

static uint8_t *load_png(const char *path, int *w, int *h)
{
    int comp;
    uint8_t *p = stbi_load(path, w, h, &comp, 1);
    cr_assert_not_null(p, "%s: stb_image cannot read it (%s)", path, stbi_failure_reason());
    return track(p);
}

/* The float32 data of an .npy file (after its header), n floats. */
static const float *npy_floats(const char *path, size_t *n)
{
    size_t len;
    char *buf = must_read(path, &len);
    cr_assert(len > 10 && memcmp(buf, "\x93NUMPY", 6) == 0, "%s: not an .npy file", path);
    size_t header = 10 + (size_t)(uint8_t)buf[8] + 256 * (size_t)(uint8_t)buf[9];
    *n = (len - header) / sizeof(float);
    return (const float *)(buf + header);
}

/* The export's tensors of net (prefix "G"), layer by layer weight then
 * bias, are the checkpoint's parameter section of that net, bit for bit. */
static void expect_export_is_section(const char *exp, const char *prefix, const float *params,
                                     size_t n_params, int n_layers)
{
    size_t at = 0;
    for (int l = 0; l < n_layers; l++) {
        for (int bias = 0; bias <= 1; bias++) {
            char name[64];
            snprintf(name, sizeof name, "%s.%d.%s.npy", prefix, l, bias ? "bias" : "weight");
            size_t n;
            const float *data = npy_floats(join(exp, name), &n);
            cr_assert_leq(at + n, n_params, "%s: more floats than the checkpoint has", name);
            cr_expect(memcmp(data, params + at, n * sizeof(float)) == 0,
                      "%s differs from the checkpoint's parameters", name);
            at += n;
        }
    }
    cr_expect_eq(at, n_params, "%s: the export holds %zu of %zu parameters", prefix, at,
                 n_params);
}

Test(compat, a_run_from_before_the_net_samples_the_grid_it_sampled_then)
{
    char *run = fixture_copy();
    char *png = tmp_path("s.png");
    GAN_OK("sample", "--run", run, "--n=16", "-o", png);
    int w, h, w0, h0;
    uint8_t *got = load_png(png, &w, &h);
    uint8_t *want = load_png("tests/fixtures/pre_net_sample.png", &w0, &h0);
    cr_assert(w == w0 && h == h0, "%d x %d, want %d x %d", w, h, w0, h0);
    /* Byte for byte on the machine that made it; a CPU whose BLAS kernels
     * sum in another order may move a pixel by one step of 255. */
    int worst = 0;
    for (int i = 0; i < w * h; i++)
        worst = abs(got[i] - want[i]) > worst ? abs(got[i] - want[i]) : worst;
    cr_expect_leq(worst, 1, "a pixel differs by %d from the grid the old gan drew", worst);
}

Test(compat, a_run_from_before_the_net_exports_its_checkpoint_s_weights)
{
    char *run = fixture_copy();
    char *exp = tmp_path("exp");
    GAN_OK("export", "--run", run, "--out", exp);
    /* The manifest's position, dtype and layout, and its tensors (names,
     * files, shapes, activations) are the old export's; the paths above
     * them are as given, and the settings in between are written by the
     * option table (another key order, keys added since). */
    char *got = must_read(join(exp, "manifest.json"), NULL);
    char *want = must_read("tests/fixtures/pre_net_manifest.json", NULL);
    const char *keys[] = {"  \"epoch\"", "  \"tensors\""};
    for (int k = 0; k < 2; k++) {
        char *g = strstr(got, keys[k]), *w = strstr(want, keys[k]);
        cr_assert(g && w, "%s in both manifests", keys[k]);
        size_t n = k == 0 ? (size_t)(strstr(w, "  \"config\"") - w) : strlen(w);
        cr_expect(strncmp(g, w, n) == 0 && (k == 0 || strlen(g) == n), "from %s:\n%s\nwant\n%s",
                  keys[k], g, w);
    }

    ckpt_file_t ckpt;
    gan_err_t err;
    cr_assert_eq(ckpt_read(&ckpt, join(run, "checkpoint.bin"), &err), GAN_OK, "%s", err.msg);
    /* G 8-3-784: 8*3+3 + 3*784+784; D 784-3-2-1: 784*3+3 + 3*2+2 + 2+1. */
    const size_t g_n = 27 + 3136, d_n = 2355 + 8 + 3;
    const float *g = ckpt_section(&ckpt, CKPT_SEC_G_PARAMS, g_n * sizeof(float), "fixture", "G",
                                  &err);
    const float *d = ckpt_section(&ckpt, CKPT_SEC_D_PARAMS, d_n * sizeof(float), "fixture", "D",
                                  &err);
    cr_assert(g && d, "%s", err.msg);
    expect_export_is_section(exp, "G", g, g_n, 2);
    expect_export_is_section(exp, "D", d, d_n, 3);
    ckpt_free(&ckpt);
}

Test(compat, a_run_from_before_the_net_is_evaluated)
{
    char *run = fixture_copy();
    char *clf = tmp_path("clf.bin");
    GAN_OK("classifier", "train", "--out", clf, "--limit=512", "--epochs=1", "--threads=1",
           "--quiet");
    GAN_OK("eval", "--run", run, "--classifier", clf, "--n=100", "--threads=1");
    char *out = must_read(join(tmp_dir, "out.txt"), NULL);
    cr_expect(strstr(out, "fd ") != NULL, "no Frechet distance in: %s", out);
}

Test(compat, a_run_from_before_the_net_resumes_and_keeps_its_layers_csv_shape)
{
    char *run = fixture_copy();
    GAN_OK("train", "--resume", run, "--epochs=2", "--threads=1", "--quiet", "--data",
           "data/mnist");
    char *metrics = must_read(join(run, "metrics.csv"), NULL);
    int lines = 0;
    for (char *p = metrics; *p; p++)
        lines += *p == '\n';
    cr_expect_eq(lines, 3, "metrics.csv: header and 2 epochs, got %d lines:\n%s", lines, metrics);
    /* Old columns, one row per layer (2 of G, 3 of D) for epochs 0, 1, 2. */
    char *layers = must_read(join(run, "layers.csv"), NULL);
    cr_expect(strncmp(layers, LAYERS_HEADER "\n", strlen(LAYERS_HEADER) + 1) == 0, "%s", layers);
    int rows = 0;
    for (char *line = strchr(layers, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        int commas = 0;
        for (char *p = line; *p != '\n'; p++)
            commas += *p == ',';
        cr_expect_eq(commas, 9, "layers.csv row of %d fields: %.80s", commas + 1, line);
        rows++;
    }
    cr_expect_eq(rows, 15, "layers.csv:\n%s", layers);
    /* The resumed checkpoint has the architecture, and loads again. */
    ckpt_file_t ckpt;
    gan_err_t err;
    cr_assert_eq(ckpt_read(&ckpt, join(run, "checkpoint.bin"), &err), GAN_OK, "%s", err.msg);
    cr_expect(strstr(ckpt.header, "\"arch\": {\"G\": {\"input\": [8, 1, 1]") != NULL, "%s",
              ckpt.header);
    ckpt_free(&ckpt);
    GAN_OK("sample", "--run", run, "--n=4", "-o", tmp_path("after.png"));
}

/* The fixture's checkpoint rewritten (valid CRCs) with `arch` inserted
 * after its "format" line. */
static void write_with_arch(const char *path, const char *arch)
{
    ckpt_file_t ckpt;
    gan_err_t err;
    cr_assert_eq(ckpt_read(&ckpt, FIXTURE "/checkpoint.bin", &err), GAN_OK, "%s", err.msg);
    const char *after = strstr(ckpt.header, "\"gan checkpoint\",\n");
    cr_assert_not_null(after);
    after += strlen("\"gan checkpoint\",\n");
    char *header = track(malloc(strlen(ckpt.header) + strlen(arch) + 8));
    sprintf(header, "%.*s  %s,\n%s", (int)(after - ckpt.header), ckpt.header, arch, after);
    cr_assert_eq(ckpt_write(path, header, ckpt.sections, ckpt.n_sections, &err), GAN_OK, "%s",
                 err.msg);
    ckpt_free(&ckpt);
}

#define G_ARCH                                                                             \
    "\"G\": {\"input\": [8, 1, 1], \"leak\": 0.2, \"layers\": ["                          \
    "{\"kind\": \"dense\", \"in\": [8, 1, 1], \"out\": [3, 1, 1], \"act\": \"leaky_relu\"}," \
    "{\"kind\": \"dense\", \"in\": [3, 1, 1], \"out\": [784, 1, 1], \"act\": \"tanh\"}]}"
#define D_ARCH(last_act)                                                                     \
    "\"D\": {\"input\": [784, 1, 1], \"leak\": 0.2, \"layers\": ["                           \
    "{\"kind\": \"dense\", \"in\": [784, 1, 1], \"out\": [3, 1, 1], \"act\": \"leaky_relu\"}," \
    "{\"kind\": \"dense\", \"in\": [3, 1, 1], \"out\": [2, 1, 1], \"act\": \"leaky_relu\"},"  \
    "{\"kind\": \"dense\", \"in\": [2, 1, 1], \"out\": [1, 1, 1], \"act\": \"" last_act "\"}]}"

Test(compat, a_checkpoint_whose_arch_is_not_its_mlp_is_refused_and_one_that_is_loads)
{
    char *run = fixture_copy();
    char *ckpt = join(run, "checkpoint.bin");
    write_with_arch(ckpt, "\"arch\": {" G_ARCH ", " D_ARCH("identity") "}");
    GAN_OK("sample", "--run", run, "--n=4", "-o", tmp_path("ok.png"));
    write_with_arch(ckpt, "\"arch\": {" G_ARCH ", " D_ARCH("sigmoid") "}");
    cr_expect_eq(GAN("sample", "--run", run, "--n=4", "-o", tmp_path("bad.png")), 2);
    char *msg = last_stderr();
    cr_expect(strstr(msg, "checkpoint.bin: the header's architecture of D (3 layers) is not the "
                          "MLP its g_hidden/d_hidden describe") != NULL, "%s", msg);
    write_with_arch(ckpt, "\"arch\": {" G_ARCH "}");
    cr_expect_eq(GAN("export", "--run", run, "--out", tmp_path("exp")), 2);
    msg = last_stderr();
    cr_expect(strstr(msg, "checkpoint.bin: the header's \"arch\" has no net \"D\"") != NULL, "%s",
              msg);
}
