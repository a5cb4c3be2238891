/* `gan train`, `gan sample` and `gan export` end to end, through the built
 * binary (GAN_BIN, set by the Makefile) on the real MNIST in data/mnist/.
 *
 * Every test works in its own mkdtemp folder, removed by the suite's .fini
 * (also when an assertion ends the test early), which also kills a run
 * still going. Runs are tiny (--limit of a few hundred images, small hidden
 * layers, --threads=1; the signal tests use a few thousand images so that a
 * signal can land mid-epoch), about 10 s for the file with --jobs=2 on two
 * cores. Tests that need the data skip when
 * data/mnist/train-images-idx3-ubyte.gz is missing (./download_mnist.sh
 * fetches it); option checks that fail before the data is read run anyway.
 *
 * The checkpoint container is parsed here independently of
 * src/checkpoint.c (DESIGN.md, "Checkpoint format"): magic "GANCKPT1", u32
 * version, u32 header length, header, u32 crc32, then sections of u32 tag,
 * u64 length, bytes, u32 crc32. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <stb_image.h>

#include "gan/classifier.h"
#include "test_util.h"

#define METRICS_HEADER                                                                 \
    "epoch,steps,g_loss,d_loss,d_acc,d_acc_real,d_acc_fake,d_real,d_fake,seconds," \
    "images_per_sec,g_acc"
#define N_COLS 12
#define COL_SECONDS 9 /* seconds and images_per_sec: the timing columns */

/* Small nets: the tests check files and exactness, not image quality. */
#define SMALL_NETS "--g-hidden=32,64", "--d-hidden=64,32"

#include "test_cli.h"

TestSuite(train, .fini = teardown, .timeout = 600);

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "train"); }

/* ---- metrics.csv --------------------------------------------------------- */

#define MAX_ROWS 16

typedef struct {
    int n_rows;
    double v[MAX_ROWS][N_COLS];
    char *row[MAX_ROWS]; /* the text of each row, without the newline */
} metrics_t;

/* Reads run/metrics.csv: the exact header, then rows of 11 plain numbers. */
static void read_metrics(metrics_t *m, const char *run)
{
    char *path = join(run, "metrics.csv");
    char *text = must_read(path, NULL);
    memset(m, 0, sizeof *m);
    size_t hlen = strlen(METRICS_HEADER);
    cr_assert(strncmp(text, METRICS_HEADER "\n", hlen + 1) == 0,
              "%s: header is not exactly\n%s\nbut starts with\n%.120s", path, METRICS_HEADER,
              text);
    char *p = text + hlen + 1;
    while (*p) {
        char *nl = strchr(p, '\n');
        cr_assert(nl != NULL, "%s: last row has no newline: %s", path, p);
        *nl = '\0';
        cr_assert(m->n_rows < MAX_ROWS, "%s: too many rows", path);
        int r = m->n_rows++;
        m->row[r] = p;
        char *q = p;
        for (int c = 0; c < N_COLS; c++) {
            char *end = NULL;
            errno = 0;
            m->v[r][c] = strtod(q, &end);
            cr_assert(end != q && errno == 0, "%s: row %d column %d is not a number: %s", path,
                      r + 1, c + 1, p);
            cr_assert(isfinite(m->v[r][c]), "%s: row %d column %d is not finite: %s", path,
                      r + 1, c + 1, p);
            char want = c == N_COLS - 1 ? '\0' : ',';
            cr_assert(*end == want, "%s: row %d: expected %d comma-separated columns: %s",
                      path, r + 1, N_COLS, p);
            q = end + 1;
        }
        p = nl + 1;
    }
}

/* The row's text without its timing columns (seconds, images_per_sec),
 * into out: what must not differ between two runs of one seed. */
static void deterministic_text(char *out, size_t size, const char *row)
{
    size_t n = 0;
    int col = 0;
    for (const char *p = row; *p && n + 1 < size; p++) {
        if (col < COL_SECONDS || col > COL_SECONDS + 1)
            out[n++] = *p;
        col += *p == ',';
    }
    out[n] = '\0';
}

/* Rows of a and b identical except the timing columns. */
static void expect_same_metrics(const metrics_t *a, const metrics_t *b, const char *what)
{
    cr_assert_eq(a->n_rows, b->n_rows, "%s: %d rows vs %d", what, a->n_rows, b->n_rows);
    for (int r = 0; r < a->n_rows; r++) {
        char ta[1024], tb[1024];
        deterministic_text(ta, sizeof ta, a->row[r]);
        deterministic_text(tb, sizeof tb, b->row[r]);
        cr_expect_str_eq(ta, tb, "%s: metrics row %d differs:\n%s\n%s", what, r + 1, a->row[r],
                         b->row[r]);
    }
}

/* Plausibility of every row of a run with `steps` steps per epoch. */
static void check_metrics_values(const metrics_t *m, long steps)
{
    for (int r = 0; r < m->n_rows; r++) {
        const double *v = m->v[r];
        cr_expect_eq(v[0], r + 1, "row %d: epoch %g", r + 1, v[0]);
        cr_expect_eq(v[1], (double)steps, "row %d: steps %g, want %ld", r + 1, v[1], steps);
        cr_expect(v[2] > 0 && v[3] > 0, "row %d: BCE losses must be positive: %s", r + 1,
                  m->row[r]);
        for (int c = 4; c <= 8; c++)
            cr_expect(v[c] >= 0.0 && v[c] <= 1.0, "row %d column %d = %g not in [0,1]: %s",
                      r + 1, c + 1, v[c], m->row[r]);
        /* d_acc is the mean of the two accuracies (each printed to 1e-6). */
        cr_expect(fabs(v[4] - 0.5 * (v[5] + v[6])) <= 1.01e-6,
                  "row %d: d_acc %g is not the mean of %g and %g", r + 1, v[4], v[5], v[6]);
        cr_expect(v[9] >= 0.0 && v[10] > 0.0, "row %d: seconds %g, images/s %g", r + 1, v[9],
                  v[10]);
        /* Issue 15: G accuracy, the share of fakes D takes for real. */
        cr_expect(fabs(v[11] - (1.0 - v[6])) <= 1.01e-6, "row %d: g_acc %g is not 1 - %g", r + 1,
                  v[11], v[6]);
    }
}

/* ---- the checkpoint container -------------------------------------------- */

#define MAX_SECTIONS 32

typedef struct {
    uint32_t version;
    char *header; /* NUL-terminated copy */
    int n;
    uint32_t tag[MAX_SECTIONS];
    uint64_t len[MAX_SECTIONS];
    const uint8_t *data[MAX_SECTIONS];
} ckpt_t;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint32_t crc_of(const uint8_t *p, uint64_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}

/* Parses path, checking every length and CRC. */
static void read_ckpt(ckpt_t *c, const char *path)
{
    size_t len;
    const uint8_t *b = (const uint8_t *)must_read(path, &len);
    memset(c, 0, sizeof *c);
    cr_assert(len >= 20 && memcmp(b, "GANCKPT1", 8) == 0, "%s: bad magic", path);
    c->version = le32(b + 8);
    uint32_t hlen = le32(b + 12);
    cr_assert(hlen <= len - 20, "%s: header length %u past the end", path, hlen);
    c->header = track(malloc(hlen + 1));
    memcpy(c->header, b + 16, hlen);
    c->header[hlen] = '\0';
    cr_assert_eq(le32(b + 16 + hlen), crc_of(b + 16, hlen), "%s: header CRC", path);
    size_t pos = 20 + (size_t)hlen;
    while (pos < len) {
        cr_assert(len - pos >= 16, "%s: truncated section at %zu", path, pos);
        cr_assert(c->n < MAX_SECTIONS, "%s: too many sections", path);
        uint32_t tag = le32(b + pos);
        uint64_t n = le64(b + pos + 4);
        cr_assert(n <= len - pos - 16, "%s: section %u length %llu past the end", path, tag,
                  (unsigned long long)n);
        const uint8_t *data = b + pos + 12;
        cr_assert_eq(le32(data + n), crc_of(data, n), "%s: section %u CRC", path, tag);
        c->tag[c->n] = tag;
        c->len[c->n] = n;
        c->data[c->n] = data;
        c->n++;
        pos += 16 + (size_t)n;
    }
}

static int ckpt_find(const ckpt_t *c, uint32_t tag)
{
    for (int i = 0; i < c->n; i++)
        if (c->tag[i] == tag)
            return i;
    cr_assert_fail("checkpoint has no section %u", tag);
    return -1;
}

/* A whole-number field of the JSON header ("epoch", "step"). */
static long header_number(const ckpt_t *c, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(c->header, pattern);
    cr_assert(p != NULL, "checkpoint header has no %s:\n%s", pattern, c->header);
    return strtol(p + strlen(pattern), NULL, 10);
}

/* Tags 1..10 (G params, G Adam m, v, D params, D Adam m, v, Adam step
 * counts, noise RNG, fixed noise, epoch sums) all present and byte-identical,
 * and the same header. */
static void expect_same_checkpoint(const char *path_a, const char *path_b)
{
    ckpt_t a, b;
    read_ckpt(&a, path_a);
    read_ckpt(&b, path_b);
    cr_expect_eq(a.version, b.version);
    cr_expect_str_eq(a.header, b.header, "checkpoint headers differ:\n%s\n--- vs ---\n%s",
                     a.header, b.header);
    cr_expect_eq(a.n, b.n, "%d sections vs %d", a.n, b.n);
    for (uint32_t tag = 1; tag <= 10; tag++) {
        int i = ckpt_find(&a, tag), j = ckpt_find(&b, tag);
        cr_expect(a.len[i] == b.len[j] && memcmp(a.data[i], b.data[j], a.len[i]) == 0,
                  "checkpoint section %u differs (%llu vs %llu bytes)", tag,
                  (unsigned long long)a.len[i], (unsigned long long)b.len[j]);
    }
}

/* ---- other files ---------------------------------------------------------- */

/* Decodes a PNG and checks it is an 8-bit gray w x h image. */
static void expect_png(const char *path, int w, int h)
{
    int x = 0, y = 0, comp = 0;
    unsigned char *pixels = stbi_load(path, &x, &y, &comp, 0);
    cr_assert(pixels != NULL, "%s: cannot decode (%s)", path, stbi_failure_reason());
    stbi_image_free(pixels);
    cr_expect(x == w && y == h, "%s: %dx%d, want %dx%d", path, x, y, w, h);
    cr_expect_eq(comp, 1, "%s: %d channels, want 1 (gray)", path, comp);
}

/* No temporary or hidden files left behind by atomic writes. */
static void expect_no_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert(d != NULL, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        size_t l = strlen(n);
        cr_expect(n[0] != '.' && !(l > 4 && !strcmp(n + l - 4, ".new")) && !strstr(n, ".tmp"),
                  "%s: leftover temporary file %s", dir, n);
    }
    closedir(d);
}

static char *sample_path(const char *run, int epoch)
{
    char name[64];
    snprintf(name, sizeof name, "samples/epoch_%04d.png", epoch);
    return join(run, name);
}

/* One-line stderr of the last run, mentioning every needle. */
static void expect_one_line_error(const char *what, const char *const *needles)
{
    char *err = last_stderr();
    size_t len = strlen(err);
    cr_expect(len > 0 && err[len - 1] == '\n' && strchr(err, '\n') == err + len - 1,
              "%s: stderr is not exactly one line:\n%s", what, err);
    cr_expect(strncmp(err, "gan: ", 5) == 0, "%s: stderr does not start with 'gan: ': %s",
              what, err);
    for (int i = 0; needles[i]; i++)
        cr_expect(strstr(err, needles[i]) != NULL, "%s: stderr does not mention '%s': %s",
                  what, needles[i], err);
}

/* ---- the tests ------------------------------------------------------------- */

/* 600 images in batches of 64: 9 steps, the last 24 images dropped. */
Test(train, run_folder_has_config_metrics_samples_and_checkpoints)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--limit=600", "--batch=64", "--epochs=2", SMALL_NETS,
           "--threads=1", "--quiet");

    cr_expect(exists(join(run, "config.json")), "config.json missing");
    cr_expect(exists(join(run, "checkpoint.bin")), "checkpoint.bin missing");
    cr_expect(exists(join(run, "checkpoint.prev.bin")), "checkpoint.prev.bin missing");
    for (int e = 0; e <= 2; e++)
        expect_png(sample_path(run, e), 242, 242); /* 8 x 28 + 9 x 2 */
    cr_expect(!exists(sample_path(run, 3)), "a grid for an epoch that was not trained");
    expect_no_temporaries(run);
    expect_no_temporaries(join(run, "samples"));

    metrics_t m;
    read_metrics(&m, run);
    cr_assert_eq(m.n_rows, 2, "metrics.csv: %d rows, want 2", m.n_rows);
    check_metrics_values(&m, 600 / 64);

    /* The checkpoint is the state after the last epoch, with every section. */
    ckpt_t c;
    read_ckpt(&c, join(run, "checkpoint.bin"));
    cr_expect_eq(c.version, 1);
    cr_expect_eq(header_number(&c, "epoch"), 2);
    cr_expect_eq(header_number(&c, "step"), 0);
    for (uint32_t tag = 1; tag <= 10; tag++)
        ckpt_find(&c, tag);
    /* G 100 -> 32 -> 64 -> 784 and D 784 -> 64 -> 32 -> 1, float32. */
    size_t g_params = 100 * 32 + 32 + 32 * 64 + 64 + 64 * 784 + 784;
    size_t d_params = 784 * 64 + 64 + 64 * 32 + 32 + 32 + 1;
    cr_expect_eq(c.len[ckpt_find(&c, 1)], g_params * 4);
    cr_expect_eq(c.len[ckpt_find(&c, 4)], d_params * 4);

    char *config = must_read(join(run, "config.json"), NULL);
    cr_expect(strstr(config, "\"limit\": 600") != NULL, "config.json lacks the limit:\n%s",
              config);
    cr_expect(strstr(config, "\"seed\": 1") != NULL, "config.json lacks the seed:\n%s", config);
}

Test(train, grid_option_sets_the_sample_grid_size)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--limit=256", "--batch=64", "--epochs=1", "--grid=4",
           SMALL_NETS, "--threads=1", "--quiet");
    expect_png(sample_path(run, 0), 122, 122); /* 4 x 28 + 5 x 2 */
    expect_png(sample_path(run, 1), 122, 122);
}

/* Issue 4: 2 epochs straight vs 1 epoch + --resume to 2 epochs, same seed
 * and one thread, give byte-identical checkpoints and identical metrics. */
Test(train, resume_after_one_epoch_matches_two_straight_epochs)
{
    need_mnist();
    make_tmp_dir();
    char *straight = tmp_path("straight"), *resumed = tmp_path("resumed");
    GAN_OK("train", "--out", straight, "--limit=640", "--batch=64", "--epochs=2", "--seed=7",
           SMALL_NETS, "--threads=1", "--quiet");
    GAN_OK("train", "--out", resumed, "--limit=640", "--batch=64", "--epochs=1", "--seed=7",
           SMALL_NETS, "--threads=1", "--quiet");
    GAN_OK("train", "--resume", resumed, "--epochs=2", "--threads=1", "--quiet");

    expect_same_checkpoint(join(straight, "checkpoint.bin"), join(resumed, "checkpoint.bin"));
    metrics_t a, b;
    read_metrics(&a, straight);
    read_metrics(&b, resumed);
    cr_expect_eq(a.n_rows, 2);
    expect_same_metrics(&a, &b, "straight vs resumed");
    /* The grid of epoch 2 comes from identical weights. */
    size_t la, lb;
    char *pa = must_read(sample_path(straight, 2), &la);
    char *pb = must_read(sample_path(resumed, 2), &lb);
    cr_expect(la == lb && memcmp(pa, pb, la) == 0, "samples/epoch_0002.png differ");

    /* A finished run: resuming without more epochs does nothing. */
    GAN_OK("train", "--resume", resumed, "--quiet");
    read_metrics(&b, resumed);
    cr_expect_eq(b.n_rows, 2);
}

/* Issue 4: Ctrl-C finishes the step, writes the checkpoint, says how to
 * resume and exits 130; resuming then gives exactly the run that was never
 * interrupted. The signal is timed to land inside epoch 2, so the resumed
 * run continues from the middle of an epoch (its epoch sums, noise stream
 * and shuffle position all come from the checkpoint). */
Test(train, sigint_stops_mid_epoch_and_resume_matches_an_uninterrupted_run)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("interrupted"), *ref = tmp_path("uninterrupted");
#define SIGINT_ARGS "--limit=6400", "--batch=64", "--epochs=3", "--seed=3", \
        "--g-hidden=64,128", "--d-hidden=128,64", "--threads=1", "--quiet"
    const long steps = 6400 / 64;

    pid_t pid = spawn_gan((const char *const[]){"train", "--out", run, SIGINT_ARGS, NULL});
    /* Epoch 1 is complete once checkpoint.prev.bin exists (the epoch-0
     * checkpoint moves there when epoch 1's is written, after its metrics
     * row and grid). Then wait a quarter of epoch 1's time, to be inside
     * epoch 2. */
    char *prev = join(run, "checkpoint.prev.bin");
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    metrics_t m;
    for (;;) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            child = 0;
            cr_assert_fail("the run ended (status %d) before it could be interrupted: %s",
                           status, last_stderr());
        }
        if (exists(prev))
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        cr_assert(now.tv_sec - t0.tv_sec <= 300, "no epoch finished within 300 s");
        usleep(2000);
    }
    read_metrics(&m, run);
    cr_assert_eq(m.n_rows, 1);
    double epoch_seconds = m.v[0][9];
    usleep((useconds_t)(epoch_seconds / 4 * 1e6));
    cr_assert_eq(kill(pid, SIGINT), 0, "kill: %s", strerror(errno));
    int rc = wait_gan(pid);
    char *err = last_stderr();
    cr_assert_eq(rc, 130, "exit %d after SIGINT, want 130; stderr: %s", rc, err);
    cr_expect(strstr(err, "--resume") != NULL, "stderr does not say how to resume: %s", err);

    ckpt_t c;
    read_ckpt(&c, join(run, "checkpoint.bin"));
    long epoch = header_number(&c, "epoch"), step = header_number(&c, "step");
    cr_expect(epoch == 1 && step > 0 && step < steps,
              "the stop should land inside epoch 2 (epoch 1 took %.3f s, SIGINT %.3f s after "
              "it); the checkpoint is at epoch %ld step %ld",
              epoch_seconds, epoch_seconds / 4, epoch, step);
    read_metrics(&m, run);
    cr_expect_eq(m.n_rows, (int)epoch, "metrics rows %d for %ld finished epochs", m.n_rows,
                 epoch);
    expect_no_temporaries(run);

    GAN_OK("train", "--resume", run, "--quiet");
    read_metrics(&m, run);
    cr_assert_eq(m.n_rows, 3, "%d metrics rows after the resumed run, want 3", m.n_rows);
    check_metrics_values(&m, steps);

    GAN_OK("train", "--out", ref, SIGINT_ARGS);
    metrics_t want;
    read_metrics(&want, ref);
    expect_same_metrics(&want, &m, "uninterrupted vs interrupted + resumed");
    expect_same_checkpoint(join(ref, "checkpoint.bin"), join(run, "checkpoint.bin"));
#undef SIGINT_ARGS
}

/* Starts a run (args) and returns once its first checkpoint exists (the
 * epoch-0 one, written just before the first step) plus delay seconds. */
static pid_t start_and_wait_for_checkpoint(const char *run, const char *const *args,
                                           double delay)
{
    pid_t pid = spawn_gan(args);
    char *ckpt = join(run, "checkpoint.bin");
    for (int i = 0; !exists(ckpt); i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            child = 0;
            cr_assert_fail("the run ended (status %d) before its first checkpoint: %s", status,
                           last_stderr());
        }
        cr_assert(i < 150000, "no checkpoint within 300 s");
        usleep(2000);
    }
    usleep((useconds_t)(delay * 1e6));
    return pid;
}

/* Issue 4: SIGTERM stops like Ctrl-C with exit 143; a second Ctrl-C exits
 * at once (130) and must not leave a damaged checkpoint: both runs resume. */
Test(train, sigterm_and_a_second_sigint_leave_a_resumable_run)
{
    need_mnist();
    make_tmp_dir();
#define STOP_ARGS "--limit=3200", "--batch=64", "--epochs=2", "--g-hidden=64,128", \
        "--d-hidden=128,64", "--threads=1", "--quiet"
    char *run = tmp_path("term");
    pid_t pid = start_and_wait_for_checkpoint(
        run, (const char *const[]){"train", "--out", run, STOP_ARGS, NULL}, 0.05);
    cr_assert_eq(kill(pid, SIGTERM), 0);
    int rc = wait_gan(pid);
    char *err = last_stderr();
    cr_expect_eq(rc, 143, "exit %d after SIGTERM, want 143; stderr: %s", rc, err);
    cr_expect(strstr(err, "--resume") != NULL, "stderr does not say how to resume: %s", err);
    ckpt_t c;
    read_ckpt(&c, join(run, "checkpoint.bin"));
    GAN_OK("train", "--resume", run, "--quiet");
    metrics_t m;
    read_metrics(&m, run);
    cr_expect_eq(m.n_rows, 2);

    char *run2 = tmp_path("twice");
    pid = start_and_wait_for_checkpoint(
        run2, (const char *const[]){"train", "--out", run2, STOP_ARGS, NULL}, 0.05);
    cr_assert_eq(kill(pid, SIGINT), 0);
    usleep(1000);
    cr_assert_eq(kill(pid, SIGINT), 0);
    rc = wait_gan(pid);
    cr_expect_eq(rc, 130, "exit %d after two SIGINTs, want 130; stderr: %s", rc, last_stderr());
    GAN_OK("train", "--resume", run2, "--quiet");
    read_metrics(&m, run2);
    cr_expect_eq(m.n_rows, 2);
    read_ckpt(&c, join(run2, "checkpoint.bin"));
    cr_expect_eq(header_number(&c, "epoch"), 2);
#undef STOP_ARGS
}

/* Each bad value: exit 2, one line naming the option, no folder created. */
Test(train, bad_options_exit_2_with_one_line_and_create_nothing)
{
    cr_assert(exists(GAN_BIN), "%s missing: build it with make", GAN_BIN);
    make_tmp_dir();
    char *run = tmp_path("run");
    static const struct {
        const char *arg, *arg2, *needle, *needle2;
        int needs_data;
    } cases[] = {
        {"--epochs=-1", NULL, "--epochs", NULL, 0},
        {"--epochs=0", NULL, "--epochs", NULL, 0},
        {"--batch=0", NULL, "--batch", NULL, 0},
        {"--batch=300", "--limit=256", "--batch", NULL, 1},
        {"--lr=abc", NULL, "--lr", NULL, 0},
        {"--lr=1e-3x", NULL, "--lr", NULL, 0},
        {"--init=bogus", NULL, "--init", "bogus", 0},
        {"--g-init=bogus", NULL, "--g-init", NULL, 0},
        {"--g-hidden=12,,3", NULL, "--g-hidden", NULL, 0},
        {"--d-hidden=64,", NULL, "--d-hidden", NULL, 0},
        {"--g-hidden=", NULL, "--g-hidden", NULL, 0},
        {"--data=/nonexistent", NULL, "/nonexistent", "download_mnist.sh", 0},
        {"--eval-every=-1", NULL, "--eval-every", NULL, 0},
        {"--eval-n=1", NULL, "--eval-n", NULL, 0},
        {"--eval-every=1", "--classifier=/nonexistent.bin", "/nonexistent.bin",
         "gan classifier train", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].needs_data && !exists(MNIST_TRAIN))
            continue;
        const char *a2 = cases[i].arg2 ? cases[i].arg2 : "--quiet";
        int rc = GAN("train", "--out", run, cases[i].arg, a2, "--quiet");
        cr_expect_eq(rc, 2, "%s: exit %d, want 2; stderr: %s", cases[i].arg, rc, last_stderr());
        const char *needles[] = {cases[i].needle, cases[i].needle2, NULL};
        expect_one_line_error(cases[i].arg, needles);
        cr_expect(!exists(run), "%s: the run folder was created", cases[i].arg);
    }

    /* An unknown option is a usage error naming it (getopt's own message,
     * plus a pointer to --help). */
    int rc = GAN("train", "--out", run, "--no-such-option", "--quiet");
    char *err = last_stderr();
    cr_expect_eq(rc, 2, "unknown option: exit %d, want 2; stderr: %s", rc, err);
    cr_expect(strstr(err, "no-such-option") != NULL, "unknown option not named: %s", err);
    cr_expect(!exists(run), "unknown option: the run folder was created");
}

/* An existing run is never overwritten; --force replaces it. */
Test(train, existing_run_folder_is_refused_and_force_replaces_it)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--limit=256", "--batch=64", "--epochs=2", SMALL_NETS,
           "--threads=1", "--quiet");
    size_t lm, lc;
    char *metrics = must_read(join(run, "metrics.csv"), &lm);
    char *ckpt = must_read(join(run, "checkpoint.bin"), &lc);

    int rc = GAN("train", "--out", run, "--limit=256", "--batch=64", "--epochs=1", "--seed=2",
                 SMALL_NETS, "--threads=1", "--quiet");
    cr_expect_eq(rc, 2, "second run into the same folder: exit %d, want 2", rc);
    const char *needles[] = {run, "--resume", "--force", NULL};
    expect_one_line_error("second run", needles);
    size_t lm2, lc2;
    char *metrics2 = must_read(join(run, "metrics.csv"), &lm2);
    char *ckpt2 = must_read(join(run, "checkpoint.bin"), &lc2);
    cr_expect(lm == lm2 && memcmp(metrics, metrics2, lm) == 0, "metrics.csv was changed");
    cr_expect(lc == lc2 && memcmp(ckpt, ckpt2, lc) == 0, "checkpoint.bin was changed");
    cr_expect(exists(sample_path(run, 2)), "samples of the first run removed");

    /* --force: a fresh 1-epoch run; nothing of the old 2-epoch run is left. */
    GAN_OK("train", "--out", run, "--force", "--limit=256", "--batch=64", "--epochs=1",
           "--seed=2", SMALL_NETS, "--threads=1", "--quiet");
    metrics_t m;
    read_metrics(&m, run);
    cr_expect_eq(m.n_rows, 1, "after --force: %d rows, want 1", m.n_rows);
    cr_expect(!exists(sample_path(run, 2)), "after --force: the old run's epoch-2 grid is left");
    ckpt_t c;
    read_ckpt(&c, join(run, "checkpoint.bin"));
    cr_expect_eq(header_number(&c, "epoch"), 1);
    cr_expect_eq(header_number(&c, "seed"), 2);
}

/* A damaged or truncated checkpoint.bin is refused on --resume (exit 2,
 * naming the file), and the run's files are left as they were. */
Test(train, damaged_or_truncated_checkpoint_is_refused_on_resume)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--limit=256", "--batch=64", "--epochs=1", SMALL_NETS,
           "--threads=1", "--quiet");
    char *path = join(run, "checkpoint.bin");
    size_t len, lm;
    char *good = must_read(path, &len);
    char *metrics = must_read(join(run, "metrics.csv"), &lm);
    uint32_t hlen = le32((const uint8_t *)good + 12);
    char *bad = track(malloc(len));

    static const char *const damaged_or_crc[] = {"damaged", "CRC", "crc", "truncated"};
    struct {
        const char *what;
        size_t offset; /* byte to flip, or the length to cut to */
        int truncate;
    } cases[] = {
        {"a flipped byte in G's params", 20 + hlen + 12 + 1000, 0},
        {"a flipped byte in the last section", len - 10, 0},
        {"a flipped byte in the JSON header", 16 + hlen / 2, 0},
        {"a flipped magic byte", 3, 0},
        {"truncated in the middle", len / 2, 1},
        {"truncated by one byte", len - 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(bad, good, len);
        size_t n = len;
        if (cases[i].truncate)
            n = cases[i].offset;
        else
            bad[cases[i].offset] ^= 0x5a;
        test_write_file(path, bad, n);
        int rc = GAN("train", "--resume", run, "--epochs=2", "--threads=1", "--quiet");
        char *err = last_stderr();
        cr_expect_eq(rc, 2, "%s: exit %d, want 2; stderr: %s", cases[i].what, rc, err);
        cr_expect(strstr(err, path) != NULL, "%s: the message does not name %s: %s",
                  cases[i].what, path, err);
        int says = 0;
        for (size_t k = 0; k < sizeof damaged_or_crc / sizeof damaged_or_crc[0]; k++)
            says |= strstr(err, damaged_or_crc[k]) != NULL;
        /* A bad magic may say so instead ("not a gan checkpoint"). */
        says |= i == 3 && (strstr(err, "magic") || strstr(err, "not a"));
        cr_expect(says, "%s: the message does not say what is wrong: %s", cases[i].what, err);
        size_t lm2;
        char *metrics2 = must_read(join(run, "metrics.csv"), &lm2);
        cr_expect(lm == lm2 && memcmp(metrics, metrics2, lm) == 0,
                  "%s: metrics.csv changed by a refused resume", cases[i].what);
        cr_expect(!exists(sample_path(run, 2)), "%s: trained anyway", cases[i].what);
    }
    /* The intact file resumes fine. */
    test_write_file(path, good, len);
    GAN_OK("train", "--resume", run, "--epochs=2", "--threads=1", "--quiet");
    metrics_t m;
    read_metrics(&m, run);
    cr_expect_eq(m.n_rows, 2);
}

Test(train, sample_writes_a_grid_of_n_samples)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run"), *png = tmp_path("x.png"), *png64 = tmp_path("y.png");
    GAN_OK("train", "--out", run, "--limit=256", "--batch=64", "--epochs=1", SMALL_NETS,
           "--threads=1", "--quiet");
    GAN_OK("sample", "--run", run, "--n=16", "-o", png);
    expect_png(png, 122, 122);
    GAN_OK("sample", "--run", run, "-o", png64);
    expect_png(png64, 242, 242);
    /* With the run's seed and n = grid^2 it reproduces the run's own grid. */
    size_t la, lb;
    char *a = must_read(png64, &la), *b = must_read(sample_path(run, 1), &lb);
    cr_expect(la == lb && memcmp(a, b, la) == 0,
              "gan sample --n=64 differs from samples/epoch_0001.png");

    int rc = GAN("sample", "--run", tmp_path("nothing-here"), "-o", png);
    cr_expect_eq(rc, 2, "sample of a missing run: exit %d, want 2", rc);
}

/* Parses a .npy v1.0 header: returns the data offset and fills the header
 * dict text. */
static size_t npy_header(const uint8_t *b, size_t len, char *dict, size_t dict_size,
                         const char *path)
{
    cr_assert(len >= 10 && memcmp(b, "\x93NUMPY", 6) == 0, "%s: bad .npy magic", path);
    cr_expect(b[6] == 1 && b[7] == 0, "%s: .npy version %d.%d, want 1.0", path, b[6], b[7]);
    size_t hlen = (size_t)b[8] | (size_t)b[9] << 8;
    cr_assert(10 + hlen <= len, "%s: header past the end", path);
    cr_expect((10 + hlen) % 16 == 0, "%s: data offset %zu not 16-aligned", path, 10 + hlen);
    cr_expect(b[10 + hlen - 1] == '\n', "%s: header does not end in a newline", path);
    cr_assert(hlen < dict_size);
    memcpy(dict, b + 10, hlen);
    dict[hlen] = '\0';
    return 10 + hlen;
}

/* The exported tensor name (shape_text, n floats) equals n floats of the
 * checkpoint section tag at float offset off. */
static void expect_npy(const char *dir, const char *name, const char *shape_text,
                       const ckpt_t *c, uint32_t tag, size_t off, size_t n)
{
    char *path = join(dir, name);
    size_t len;
    const uint8_t *b = (const uint8_t *)must_read(path, &len);
    char dict[512], want[64];
    size_t data = npy_header(b, len, dict, sizeof dict, path);
    cr_expect(strstr(dict, "'descr': '<f4'"), "%s: dtype is not <f4: %s", path, dict);
    cr_expect(strstr(dict, "'fortran_order': False"), "%s: not C order: %s", path, dict);
    snprintf(want, sizeof want, "'shape': %s", shape_text);
    cr_expect(strstr(dict, want), "%s: want %s in %s", path, want, dict);
    cr_assert_eq(len - data, n * 4, "%s: %zu data bytes, want %zu", path, len - data, n * 4);
    int i = ckpt_find(c, tag);
    cr_assert((off + n) * 4 <= c->len[i]);
    cr_expect(memcmp(b + data, c->data[i] + off * 4, n * 4) == 0,
              "%s: data differs from checkpoint section %u at float %zu", path, tag, off);
}

Test(train, export_writes_npy_files_equal_to_the_checkpoint)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run"), *out = tmp_path("export");
    GAN_OK("train", "--out", run, "--limit=256", "--batch=64", "--epochs=1", SMALL_NETS,
           "--threads=1", "--quiet");
    GAN_OK("export", "--run", run, "--out", out);
    char *manifest = must_read(join(out, "manifest.json"), NULL);
    cr_expect(strstr(manifest, "G.0.weight.npy") && strstr(manifest, "D.2.bias.npy"),
              "manifest.json does not list the files:\n%s", manifest);

    ckpt_t c;
    read_ckpt(&c, join(run, "checkpoint.bin"));
    /* Params are laid out layer by layer as [W (out x in), b (out)]. */
    expect_npy(out, "G.0.weight.npy", "(32, 100)", &c, 1, 0, 32 * 100);
    expect_npy(out, "G.0.bias.npy", "(32,)", &c, 1, 32 * 100, 32);
    expect_npy(out, "G.2.weight.npy", "(784, 64)", &c, 1, 3232 + 64 * 32 + 64, 784 * 64);
    expect_npy(out, "D.0.weight.npy", "(64, 784)", &c, 4, 0, 64 * 784);
    expect_npy(out, "D.2.bias.npy", "(1,)", &c, 4, 64 * 784 + 64 + 32 * 64 + 32 + 32, 1);
}

/* Issue 4: a run whose loss goes non-finite stops with a message naming the
 * epoch and step, exit 1, and keeps the last good checkpoint and metrics.
 * The fused loss is too stable to diverge from a bad learning rate, so the
 * test plants a NaN in G's weights (section 1, CRC fixed up) and resumes. */
Test(train, diverged_run_stops_naming_epoch_and_step_and_keeps_the_checkpoint)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--limit=256", "--batch=64", "--epochs=1", SMALL_NETS,
           "--threads=1", "--quiet");
    char *ckpt_path = join(run, "checkpoint.bin");
    size_t len;
    uint8_t *bytes = (uint8_t *)must_read(ckpt_path, &len);
    ckpt_t c;
    read_ckpt(&c, ckpt_path);
    /* Walk the sections of our own copy to D's parameters (tag 4). NaN
     * weights are refused on load (issue 22): the largest finite ones in
     * D's first row make its logits overflow at the first step instead. */
    size_t pos = 20 + strlen(c.header);
    while (le32(bytes + pos) != 4)
        pos += 16 + (size_t)le64(bytes + pos + 4);
    uint8_t *d_params = bytes + pos + 12;
    uint64_t n = le64(bytes + pos + 4);
    float huge = FLT_MAX;
    for (size_t k = 0; k < 784; k++)
        memcpy(d_params + k * sizeof huge, &huge, sizeof huge);
    uint32_t crc = crc_of(d_params, n);
    for (int k = 0; k < 4; k++)
        d_params[n + (size_t)k] = (uint8_t)(crc >> (8 * k));
    test_write_file(ckpt_path, bytes, len);
    char *metrics_before = must_read(join(run, "metrics.csv"), NULL);

    int rc = GAN("train", "--resume", run, "--epochs=2", "--threads=1", "--quiet");
    cr_expect_eq(rc, 1, "a diverged run exits 1, got %d", rc);
    char *err = last_stderr();
    cr_expect(strstr(err, "diverged at epoch 2 step 1") != NULL, "stderr: %s", err);
    cr_expect(strstr(err, "checkpoint") != NULL, "stderr should say the checkpoint is kept: %s",
              err);
    size_t after_len;
    uint8_t *after = (uint8_t *)must_read(ckpt_path, &after_len);
    cr_expect(after_len == len && memcmp(after, bytes, len) == 0,
              "the last checkpoint must be kept as it was");
    cr_expect_str_eq(must_read(join(run, "metrics.csv"), NULL), metrics_before);
}

/* ---- sample quality during training (issue 8) ---------------------------- */

/* Splits a CSV line in place; returns the number of fields. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    for (char *save = NULL, *f = strtok_r(line, ",", &save); f && n < max;
         f = strtok_r(NULL, ",", &save))
        fields[n++] = f;
    return n;
}

/* --eval-every=2 over 2 epochs, then --resume to 3: epoch 1 has "nan" in
 * the quality columns, epochs 2 and 3 (a multiple of 2, and the last) have
 * values that are consistent with each other, and the last one equals what
 * `gan eval` (which loads the checkpoint: another path to the same
 * generator and noise) prints. The classifier is untrained (its weights are
 * an init): the test is about plumbing, not about what FD says. */
Test(train, eval_every_adds_quality_columns_that_gan_eval_reproduces)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("run"), *clf_path = tmp_path("clf.bin");
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg);
    classifier_t clf;
    gan_err_t err;
    cr_assert_eq(classifier_create(&clf, &cfg, 64, &err), GAN_OK, "%s", err.msg);
    int rc = classifier_save(&clf, clf_path, 0.0, &err);
    classifier_destroy(&clf);
    cr_assert_eq(rc, GAN_OK, "%s", err.msg);
    char clf_opt[160];
    snprintf(clf_opt, sizeof clf_opt, "--classifier=%s", clf_path);

    GAN_OK("train", "--out", run, "--limit=320", "--batch=64", "--epochs=2", "--eval-every=2",
           "--eval-n=300", clf_opt, SMALL_NETS, "--threads=1", "--quiet");
    GAN_OK("train", "--resume", run, "--epochs=3", "--threads=1", "--quiet");

    char *text = must_read(join(run, "metrics.csv"), NULL);
    char *save = NULL;
    char *header = strtok_r(text, "\n", &save);
    cr_assert_str_eq(header, METRICS_HEADER ",fd,class_entropy,classes_covered,"
                             "class_confidence,eval_seconds,class_0,class_1,class_2,class_3,"
                             "class_4,class_5,class_6,class_7,class_8,class_9");
    double last_fd = NAN;
    for (int epoch = 1; epoch <= 3; epoch++) {
        char *line = strtok_r(NULL, "\n", &save);
        cr_assert(line != NULL, "metrics.csv: no row for epoch %d", epoch);
        char *f[32];
        cr_assert_eq(split_csv(line, f, 32), N_COLS + 15, "epoch %d: field count", epoch);
        cr_expect_eq(atoi(f[0]), epoch);
        if (epoch == 1) {
            for (int k = N_COLS; k < N_COLS + 15; k++)
                cr_expect_str_eq(f[k], "nan", "epoch 1 column %d is not nan", k);
            continue;
        }
        double fd = atof(f[N_COLS]), entropy = atof(f[N_COLS + 1]);
        int covered = atoi(f[N_COLS + 2]);
        double confidence = atof(f[N_COLS + 3]), share_sum = 0.0, entropy_check = 0.0;
        int covered_check = 0;
        for (int k = 0; k < 10; k++) {
            double p = atof(f[N_COLS + 5 + k]);
            cr_expect(p >= 0.0 && p <= 1.0, "epoch %d class %d share %g", epoch, k, p);
            share_sum += p;
            covered_check += p >= 0.05 - 5e-5;
            entropy_check -= p > 0 ? p * log2(p) : 0.0;
        }
        cr_expect(isfinite(fd) && fd > 0.0, "epoch %d: fd %g", epoch, fd);
        cr_expect(fabs(share_sum - 1.0) < 1e-3, "epoch %d: class shares sum to %g", epoch,
                  share_sum);
        /* The columns agree with each other: entropy and coverage recomputed
         * here from the printed shares (4 decimals). */
        cr_expect(fabs(entropy - entropy_check) < 2e-3, "epoch %d: entropy %g, shares give %g",
                  epoch, entropy, entropy_check);
        cr_expect_eq(covered, covered_check, "epoch %d: %d classes covered, shares give %d",
                     epoch, covered, covered_check);
        cr_expect(confidence >= 0.1 && confidence <= 1.0, "epoch %d: confidence %g", epoch,
                  confidence);
        last_fd = fd;
    }

    GAN_OK("eval", "--run", run, "--n=300", clf_opt, "--threads=1");
    char out_path[128];
    snprintf(out_path, sizeof out_path, "%s/out.txt", tmp_dir);
    char *out = must_read(out_path, NULL);
    char *fd_line = strstr(out, "\nfd ");
    cr_assert(fd_line != NULL, "gan eval printed no fd line:\n%s", out);
    double eval_fd = atof(fd_line + 4);
    cr_expect(fabs(eval_fd - last_fd) <= 1e-4 * last_fd,
              "metrics.csv fd %.4f after epoch 3, gan eval says %.4f", last_fd, eval_fd);
}
