/* Kept epochs (issue 16), end to end through the built binary on tiny runs
 * of the real MNIST (skipped without data/mnist): gan train --keep-every,
 * --epoch of sample, eval and export, gan eval --all-epochs, exactness
 * across SIGKILL and --resume, experiments, and the progress strip of a
 * real run's grids.
 *
 * The independent checks: a kept epoch's weights are compared with the
 * checkpoint of a second run that was trained only that far (parsed here,
 * not by src/checkpoint.c: magic "GANCKPT1", u32 version, u32 header
 * length, header, u32 crc32, then sections of u32 tag, u64 length, bytes,
 * u32 crc32); --all-epochs against the FD that training itself wrote into
 * metrics.csv at those epochs; PNGs through stb_image. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <stb_image.h>

#include "gan/classifier.h"
#include "test_util.h"
#include "test_cli.h"

/* Small nets: the tests check files and exactness, not image quality.
 * G: 100 -> 32 -> 64 -> 784, D: 784 -> 64 -> 32 -> 1. */
#define SMALL_NETS "--g-hidden=32,64", "--d-hidden=64,32"
/* Parameters (weights and biases) of those nets, counted by hand. */
#define G_PARAMS (100 * 32 + 32 + 32 * 64 + 64 + 64 * 784 + 784)
#define D_PARAMS (784 * 64 + 64 + 64 * 32 + 32 + 32 * 1 + 1)
#define TINY "--limit=640", "--batch=64", "--seed=5", SMALL_NETS, "--threads=1", "--quiet"

TestSuite(epochs, .fini = teardown, .timeout = 900);

static void start(void)
{
    need_mnist();
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "epochs");
}

/* ---- the checkpoint container, parsed independently ---------------------- */

#define MAX_SECTIONS 16

typedef struct {
    char *header;
    int n;
    uint32_t tag[MAX_SECTIONS];
    uint64_t len[MAX_SECTIONS];
    const uint8_t *data[MAX_SECTIONS];
} ckpt_t;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void read_ckpt(ckpt_t *c, const char *path)
{
    size_t len;
    const uint8_t *b = (const uint8_t *)must_read(path, &len);
    memset(c, 0, sizeof *c);
    cr_assert(len >= 20 && memcmp(b, "GANCKPT1", 8) == 0, "%s: bad magic", path);
    cr_assert_eq(le32(b + 8), 1, "%s: version", path);
    uint32_t hlen = le32(b + 12);
    cr_assert(hlen <= len - 20, "%s: header length %u past the end", path, hlen);
    c->header = track(malloc(hlen + 1));
    memcpy(c->header, b + 16, hlen);
    c->header[hlen] = '\0';
    cr_assert_eq(le32(b + 16 + hlen), (uint32_t)crc32(0L, b + 16, hlen), "%s: header CRC", path);
    size_t pos = 20 + (size_t)hlen;
    while (pos < len) {
        cr_assert(len - pos >= 16 && c->n < MAX_SECTIONS, "%s: bad section at %zu", path, pos);
        uint64_t n = (uint64_t)le32(b + pos + 4) | (uint64_t)le32(b + pos + 8) << 32;
        cr_assert(n <= len - pos - 16, "%s: section past the end", path);
        const uint8_t *data = b + pos + 12;
        cr_assert_eq(le32(data + n), (uint32_t)crc32(0L, data, (uInt)n), "%s: section CRC", path);
        c->tag[c->n] = le32(b + pos);
        c->len[c->n] = n;
        c->data[c->n] = data;
        c->n++;
        pos += 16 + (size_t)n;
    }
}

/* The section with tag; fails the test when there is none. */
static int section(const ckpt_t *c, uint32_t tag)
{
    for (int i = 0; i < c->n; i++)
        if (c->tag[i] == tag)
            return i;
    cr_assert_fail("no section %u", tag);
    return -1;
}

/* A number of the header ("key": value); fails when missing. */
static double header_number(const ckpt_t *c, const char *key)
{
    char want[64];
    snprintf(want, sizeof want, "\"%s\": ", key);
    const char *p = strstr(c->header, want);
    cr_assert_not_null(p, "header has no %s:\n%s", key, c->header);
    return atof(p + strlen(want));
}

/* ---- folders and files ----------------------------------------------------- */

/* The names in dir (sorted, "." and ".." left out), one per line. */
static char *listing(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    cr_assert(n >= 0, "%s: %s", dir, strerror(errno));
    char *out = track(calloc(1, (size_t)n * 300 + 1));
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
            strcat(strcat(out, names[i]->d_name), "\n");
        free(names[i]);
    }
    free(names);
    return out;
}

static int same_bytes(const char *a, const char *b)
{
    size_t la, lb;
    char *pa = must_read(a, &la), *pb = must_read(b, &lb);
    return la == lb && memcmp(pa, pb, la) == 0;
}

static char *out_text(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/out.txt", tmp_dir);
    return must_read(p, NULL);
}

/* A run ended by `gan` with exit 2 and one line on stderr that holds
 * every needle. */
static void expect_error(int rc, const char *what, const char *const *needles)
{
    char *err = last_stderr();
    cr_expect_eq(rc, 2, "%s: exit %d, want 2; stderr: %s", what, rc, err);
    size_t len = strlen(err);
    cr_expect(len > 0 && strchr(err, '\n') == err + len - 1, "%s: not one line: %s", what, err);
    for (int i = 0; needles[i]; i++)
        cr_expect_not_null(strstr(err, needles[i]), "%s: stderr lacks '%s': %s", what,
                           needles[i], err);
}

/* An untrained classifier at path: FDs are then numbers, which is all the
 * comparisons here need. */
static void write_classifier(const char *path)
{
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg);
    classifier_t clf;
    gan_err_t err;
    cr_assert_eq(classifier_create(&clf, &cfg, 64, &err), GAN_OK, "%s", err.msg);
    int rc = classifier_save(&clf, path, 0.0, &err);
    classifier_destroy(&clf);
    cr_assert_eq(rc, GAN_OK, "%s", err.msg);
}

/* ---- kept epochs ----------------------------------------------------------- */

Test(epochs, kept_epochs_hold_the_weights_of_a_run_stopped_there)
{
    start();
    char *run = tmp_path("run"), *short_run = tmp_path("short");
    GAN_OK("train", "--out", run, "--epochs=3", "--keep-every=2", TINY);
    /* Every 2nd epoch and the last: 2 and 3, nothing else (no temporaries). */
    cr_expect_str_eq(listing(join(run, "checkpoints")), "epoch_0002.bin\nepoch_0003.bin\n");
    cr_expect_not_null(strstr(must_read(join(run, "config.json"), NULL), "\"keep_every\": 2,"));

    /* The same run trained only 2 epochs: its checkpoint holds the weights
     * that kept epoch 2 must hold. */
    GAN_OK("train", "--out", short_run, "--epochs=2", TINY);
    ckpt_t kept, stopped, last, final;
    read_ckpt(&kept, join(run, "checkpoints/epoch_0002.bin"));
    read_ckpt(&stopped, join(short_run, "checkpoint.bin"));
    cr_expect_not_null(strstr(kept.header, "\"format\": \"gan kept epoch\""), "%s", kept.header);
    cr_expect_eq(header_number(&kept, "epoch"), 2);
    cr_expect_eq(header_number(&stopped, "epoch"), 2);
    cr_expect_eq(header_number(&stopped, "step"), 0);
    /* Weights only: G's (tag 1) and D's (tag 4) parameters, nothing else. */
    cr_assert_eq(kept.n, 2, "%d sections, want G and D parameters only", kept.n);
    cr_expect(kept.tag[0] == 1 && kept.tag[1] == 4, "tags %u, %u", kept.tag[0], kept.tag[1]);
    cr_expect_eq(kept.len[0], (uint64_t)G_PARAMS * 4);
    cr_expect_eq(kept.len[1], (uint64_t)D_PARAMS * 4);
    for (uint32_t tag = 1; tag <= 4; tag += 3) {
        int a = section(&kept, tag), b = section(&stopped, tag);
        cr_expect(kept.len[a] == stopped.len[b] &&
                      memcmp(kept.data[a], stopped.data[b], kept.len[a]) == 0,
                  "section %u of kept epoch 2 differs from the 2-epoch run's checkpoint", tag);
    }
    /* The last epoch is kept too, equal to the run's final checkpoint. */
    read_ckpt(&last, join(run, "checkpoints/epoch_0003.bin"));
    read_ckpt(&final, join(run, "checkpoint.bin"));
    cr_expect_eq(header_number(&last, "epoch"), 3);
    int a = section(&last, 1), b = section(&final, 1);
    cr_expect(memcmp(last.data[a], final.data[b], last.len[a]) == 0, "epoch 3 G differs");

    /* What the commands make of them: samples and exports of --epoch=2 are
     * those of the run stopped at epoch 2. */
    char *a_npy = tmp_path("a.npy"), *b_npy = tmp_path("b.npy");
    GAN_OK("sample", "--run", run, "--epoch=2", "--n=100", "--format=npy", "--dtype=float",
           "-o", a_npy, "--threads=1");
    GAN_OK("sample", "--run", short_run, "--n=100", "--format=npy", "--dtype=float", "-o",
           b_npy, "--threads=1");
    cr_expect(same_bytes(a_npy, b_npy), "sample --epoch=2 differs from the 2-epoch run's");
    GAN_OK("sample", "--run", run, "--epoch=2", "--threads=1");
    cr_expect(exists(join(run, "sample-epoch_0002.png")), "default output names the epoch");
    cr_expect_not(exists(join(run, "sample.png")));
    char *a_exp = tmp_path("a-export"), *b_exp = tmp_path("b-export");
    GAN_OK("export", "--run", run, "--epoch=2", "--out", a_exp);
    GAN_OK("export", "--run", short_run, "--out", b_exp);
    static const char *const tensors[] = {"G.0.weight.npy", "G.2.bias.npy", "D.0.weight.npy",
                                          "D.2.bias.npy"};
    for (int i = 0; i < 4; i++)
        cr_expect(same_bytes(join(a_exp, tensors[i]), join(b_exp, tensors[i])), "%s differs",
                  tensors[i]);
    char *manifest = must_read(join(a_exp, "manifest.json"), NULL);
    cr_expect_not_null(strstr(manifest, "\"epoch\": 2,"), "%s", manifest);
    cr_expect_not_null(strstr(manifest, "checkpoints/epoch_0002.bin\""), "%s", manifest);

    /* A run replaced with --force keeps nothing of the old one's epochs. */
    GAN_OK("train", "--out", run, "--force", "--epochs=1", TINY);
    cr_expect_str_eq(listing(join(run, "checkpoints")), "");
    const char *const gone[] = {"epoch 2 was not kept; kept epochs: none", NULL};
    expect_error(GAN("sample", "--run", run, "--epoch=2"), "after --force", gone);
}

Test(epochs, an_epoch_not_kept_is_an_error_naming_the_kept_ones)
{
    start();
    char *run = tmp_path("run"), *plain = tmp_path("plain"), *clf = tmp_path("clf.bin");
    write_classifier(clf);
    char clf_opt[200];
    snprintf(clf_opt, sizeof clf_opt, "--classifier=%s", clf);
    GAN_OK("train", "--out", run, "--epochs=3", "--keep-every=2", TINY);
    const char *const kept[] = {"epoch 1 was not kept; kept epochs: 2, 3", NULL};
    char *png = tmp_path("one.png"), *exp_dir = tmp_path("export");
    expect_error(GAN("sample", "--run", run, "--epoch=1", "-o", png), "sample", kept);
    cr_expect_not(exists(png), "no output for a missing epoch");
    expect_error(GAN("export", "--run", run, "--epoch=1", "--out", exp_dir), "export", kept);
    cr_expect_not(exists(exp_dir));
    expect_error(GAN("eval", "--run", run, "--epoch=1", clf_opt), "eval", kept);
    cr_expect_str_empty(out_text(), "eval printed a result");
    /* Not a later epoch either, and never the latest instead. */
    const char *const later[] = {"epoch 4 was not kept; kept epochs: 2, 3", NULL};
    expect_error(GAN("sample", "--run", run, "--epoch=4", "-o", png), "sample 4", later);

    /* A run without --keep-every: says how to keep epochs. */
    GAN_OK("train", "--out", plain, "--epochs=1", TINY);
    const char *const none[] = {"kept epochs: none", "--keep-every=K", "(epoch 1)", NULL};
    expect_error(GAN("sample", "--run", plain, "--epoch=1", "-o", png), "plain sample", none);
    const char *const all_none[] = {"kept no epochs", "--keep-every=K", NULL};
    expect_error(GAN("eval", "--run", plain, "--all-epochs", clf_opt), "all-epochs", all_none);

    /* Bad usage. */
    const char *const zero[] = {"--epoch=0", NULL};
    expect_error(GAN("sample", "--run", run, "--epoch=0"), "--epoch=0", zero);
    const char *const both[] = {"--epoch and --all-epochs", NULL};
    expect_error(GAN("eval", "--run", run, "--epoch=2", "--all-epochs", clf_opt), "both", both);
    const char *const ref[] = {"--epoch: only with --run", NULL};
    expect_error(GAN("eval", "--reference", "--epoch=2", clf_opt), "reference", ref);
    const char *const resumed[] = {"--keep-every", "keeps its own settings", NULL};
    expect_error(GAN("train", "--resume", run, "--keep-every=1", "--epochs=4"), "resume",
                 resumed);
    const char *const range[] = {"--keep-every=-1", NULL};
    expect_error(GAN("train", "--out", tmp_path("x"), "--keep-every=-1"), "range", range);
}

/* Splits a CSV line in place; returns the field count. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

#define ALL_EPOCHS_HEADER                                                                  \
    "epoch,fd,class_entropy,classes_covered,class_confidence,class_0,class_1,class_2,"     \
    "class_3,class_4,class_5,class_6,class_7,class_8,class_9"

Test(epochs, all_epochs_prints_a_csv_line_per_kept_epoch_as_training_measured_it)
{
    start();
    char *run = tmp_path("run"), *clf = tmp_path("clf.bin");
    write_classifier(clf);
    char clf_opt[200];
    snprintf(clf_opt, sizeof clf_opt, "--classifier=%s", clf);
    /* Training evaluates every epoch (--eval-every=1, 300 samples) and keeps
     * epochs 2 and 3; --all-epochs measures the kept files afterwards. */
    GAN_OK("train", "--out", run, "--epochs=3", "--keep-every=2", "--eval-every=1",
           "--eval-n=300", clf_opt, TINY);
    GAN_OK("eval", "--run", run, "--all-epochs", "--n=300", clf_opt, "--threads=1");
    char *out = out_text();

    /* metrics.csv: epoch -> fd, class_entropy, classes_covered (columns 12..14). */
    double fd[4] = {0}, entropy[4] = {0};
    int covered[4] = {0};
    char *metrics = must_read(join(run, "metrics.csv"), NULL), *save = NULL;
    strtok_r(metrics, "\n", &save);
    for (char *line; (line = strtok_r(NULL, "\n", &save));) {
        char *f[40];
        cr_assert_eq(split_csv(line, f, 40), 27, "metrics.csv row shape");
        int e = atoi(f[0]);
        cr_assert(e >= 1 && e <= 3);
        fd[e] = atof(f[12]);
        entropy[e] = atof(f[13]);
        covered[e] = atoi(f[14]);
    }

    save = NULL;
    char *line = strtok_r(out, "\n", &save);
    cr_assert_not_null(line, "no output");
    cr_expect_str_eq(line, ALL_EPOCHS_HEADER);
    static const int want_epochs[] = {2, 3};
    for (int i = 0; i < 2; i++) {
        line = strtok_r(NULL, "\n", &save);
        cr_assert_not_null(line, "no line for epoch %d", want_epochs[i]);
        char *f[20];
        cr_assert_eq(split_csv(line, f, 20), 15, "fields of: %s", line);
        int e = atoi(f[0]);
        cr_expect_eq(e, want_epochs[i]);
        double shares = 0;
        for (int k = 5; k < 15; k++)
            shares += atof(f[k]);
        cr_expect(fabs(shares - 1.0) < 2e-3, "epoch %d: class shares sum to %g", e, shares);
        /* The same noise as training's evaluation; the classifier runs on
         * batches of another size here (256 against the training batch),
         * which moves float sums by ~1e-6: hence the relative 1e-4. */
        cr_expect(fabs(atof(f[1]) - fd[e]) <= 1e-4 * fd[e],
                  "epoch %d: --all-epochs fd %s, metrics.csv %.4f", e, f[1], fd[e]);
        cr_expect(fabs(atof(f[2]) - entropy[e]) <= 2e-3, "epoch %d: entropy %s vs %.4f", e,
                  f[2], entropy[e]);
        cr_expect_eq(atoi(f[3]), covered[e], "epoch %d: classes covered", e);
    }
    cr_expect_null(strtok_r(NULL, "\n", &save), "one line per kept epoch, nothing more");
}

/* A run killed with SIGKILL at some moment, then resumed, ends with the
 * kept files of a run never interrupted, byte for byte; kept files beyond
 * the checkpoint (written before a kill, or left by anything else) and
 * temporaries of a killed write do not survive the resume. */
Test(epochs, resume_after_sigkill_keeps_exactly_what_a_straight_run_keeps)
{
    start();
#define KILL_ARGS "--epochs=4", "--keep-every=2", "--limit=3200", "--batch=64", "--seed=9", \
        "--g-hidden=64,128", "--d-hidden=128,64", "--threads=1", "--quiet"
    char *straight = tmp_path("straight"), *killed = tmp_path("killed");
    GAN_OK("train", "--out", straight, KILL_ARGS);

    pid_t pid = spawn_gan((const char *const[]){"train", "--out", killed, KILL_ARGS, NULL});
    /* Kill once kept epoch 2 is written, after a delay of 0-20 ms that
     * differs from run to run: between that file and its checkpoint, or in
     * epoch 3. */
    char *kept2 = join(killed, "checkpoints/epoch_0002.bin");
    for (int i = 0; !exists(kept2); i++) {
        int status;
        cr_assert(waitpid(pid, &status, WNOHANG) == 0, "the run ended before epoch 2: %s",
                  last_stderr());
        cr_assert(i < 300000, "no kept epoch 2 within 300 s");
        usleep(1000);
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    usleep((useconds_t)(now.tv_nsec % 20000));
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    child = 0;

    /* checkpoint.bin, or the one before when the kill fell between the two
     * renames of a checkpoint write. */
    char *first = join(killed, "checkpoint.bin");
    ckpt_t c;
    read_ckpt(&c, exists(first) ? first : join(killed, "checkpoint.prev.bin"));
    int epoch = (int)header_number(&c, "epoch");
    cr_assert(epoch < 4, "the run finished before the kill: no resume to test");
    /* Whatever a kill could leave beyond the checkpoint: a kept file of a
     * later epoch (garbage here, so a survivor shows) and a temporary. */
    char *kept_dir = join(killed, "checkpoints");
    mkdir(kept_dir, 0755);
    for (int e = epoch + 1; e <= 4; e++) {
        char name[64];
        snprintf(name, sizeof name, "epoch_%04d.bin", e);
        test_write_file(join(kept_dir, name), "not a checkpoint", 16);
    }
    test_write_file(join(kept_dir, ".epoch_0002.bin.tmp.99999"), "torn", 4);

    GAN_OK("train", "--resume", killed, "--threads=1", "--quiet");
    char *want = listing(join(straight, "checkpoints"));
    cr_expect_str_eq(want, "epoch_0002.bin\nepoch_0004.bin\n");
    cr_expect_str_eq(listing(kept_dir), want, "killed at epoch %d and resumed", epoch);
    cr_expect(same_bytes(join(straight, "checkpoints/epoch_0002.bin"),
                         join(kept_dir, "epoch_0002.bin")), "epoch 2 differs");
    cr_expect(same_bytes(join(straight, "checkpoints/epoch_0004.bin"),
                         join(kept_dir, "epoch_0004.bin")), "epoch 4 differs");
    cr_expect(same_bytes(join(straight, "checkpoint.bin"), first), "final checkpoints differ");
#undef KILL_ARGS
}

/* --keep-every is a run setting: kept by --resume (raising --epochs keeps
 * every K-th of the new total, and the epoch that was last before stays);
 * gan experiment passes it to its runs and to the commands of its plan. */
Test(epochs, keep_every_is_a_run_setting_of_train_resume_and_experiment)
{
    start();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--epochs=3", "--keep-every=2", TINY);
    GAN_OK("train", "--resume", run, "--epochs=5", "--threads=1", "--quiet");
    cr_expect_str_eq(listing(join(run, "checkpoints")),
                     "epoch_0002.bin\nepoch_0003.bin\nepoch_0004.bin\nepoch_0005.bin\n");
    cr_expect_not_null(strstr(must_read(join(run, "config.json"), NULL), "\"keep_every\": 2,"));

    char *exp = tmp_path("exp");
    GAN_OK("experiment", "--out", exp, "--inits=he_xavier", "--seeds=1", "--epochs=2",
           "--keep-every=1", "--limit=256", SMALL_NETS, "--jobs=1", "--threads=1");
    cr_expect_str_eq(listing(join(exp, "he_xavier-s1/checkpoints")),
                     "epoch_0001.bin\nepoch_0002.bin\n");
    GAN_OK("experiment", "--out", tmp_path("plan"), "--inits=he_xavier", "--seeds=1",
           "--epochs=2", "--keep-every=3", "--plan");
    cr_expect_not_null(strstr(out_text(), "\"--keep-every=3\""), "plan argv: %s", out_text());
}

/* gan report on a real run: its progress strip is one row per saved grid
 * (--sample-every=2: epochs 0, 2 and the last, 3), each row the first 8
 * cells of that grid, read back with stb_image. */
Test(epochs, progress_strip_of_a_run_is_the_first_cells_of_every_saved_grid)
{
    start();
    char *run = tmp_path("run"), *page = tmp_path("rep/report.html");
    GAN_OK("train", "--out", run, "--epochs=3", "--sample-every=2", TINY);
    GAN_OK("report", run, "-o", page);
    enum { W = 8 * 30 + 2, H = 3 * 30 + 2, G = 8 * 30 + 2 };
    int w, h, comp;
    uint8_t *strip = stbi_load(tmp_path("rep/progress-run.png"), &w, &h, &comp, 0);
    cr_assert_not_null(strip, "progress-run.png: %s", stbi_failure_reason());
    track(strip);
    cr_expect_eq(comp, 1);
    cr_assert(w == W && h == H, "%d x %d, want %d x %d: 3 rows of 8 cells of 28 px + 2 px", w,
              h, W, H);
    static const int epochs[] = {0, 2, 3};
    for (int r = 0; r < 3; r++) {
        char name[64];
        snprintf(name, sizeof name, "samples/epoch_%04d.png", epochs[r]);
        int gw, gh;
        uint8_t *grid = stbi_load(join(run, name), &gw, &gh, &comp, 1);
        cr_assert_not_null(grid);
        track(grid);
        cr_assert(gw == G && gh == G);
        int bad = 0;
        /* Row r of the strip, padding included, is the grid's first row. */
        for (int y = 0; y < 30; y++)
            for (int x = 0; x < W; x++)
                bad += strip[(size_t)(r * 30 + y) * W + x] != grid[(size_t)y * G + x];
        cr_expect_eq(bad, 0, "row %d: %d pixels differ from %s's first row", r, bad, name);
    }
    for (int x = 0; x < W; x++)
        cr_expect_eq(strip[(size_t)(H - 1) * W + x], 0, "bottom padding");
    char *html = must_read(page, NULL);
    cr_expect_not_null(strstr(html, "alt=\"progress of run, epochs 0 to 3\""));
}
