/* Issue 15: what `gan train` writes for watching a run (the TensorBoard
 * event file, steps.csv, g_acc), end to end through the built binary on the
 * real MNIST with tiny runs.
 *
 * The event files are read by the tests' own decoder (tfrecord_decode.h:
 * bitwise CRC-32C, protoc against tests/events/event.proto), never by
 * src/events.c, and compared with the run's plain files: every epoch scalar
 * with its metrics.csv field, every step scalar with its steps.csv field,
 * every image with samples/epoch_NNNN.png, every histogram's counts with
 * the layer's size. The tag names below are the contract of README and
 * docs/FORMATS.md, written out here on purpose (not taken from the code).
 * Resumed runs are merged as TensorBoard does: a file's SessionLog START at
 * step S drops the events of earlier files with step >= S. Skips without
 * protoc or MNIST. */
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

#include "test_cli.h"
#include "tfrecord_decode.h"

TestSuite(tensorboard, .fini = teardown, .timeout = 900);

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "tb"); }

/* G: 100 -> 32 -> 64 -> 784, D: 784 -> 64 -> 32 -> 1. */
#define SMALL_NETS "--g-hidden=32,64", "--d-hidden=64,32"
static const int g_dims[] = {100, 32, 64, 784}, d_dims[] = {784, 64, 32, 1};
enum { N_LAYERS = 3, PROBE = 64 /* grid 8 x 8, batch 64 */ };

/* ---- the events of a run, decoded ---------------------------------------- */

typedef enum { EV_SCALAR, EV_IMAGE, EV_HISTO, EV_START, EV_VERSION } ev_kind_t;

typedef struct {
    ev_kind_t kind;
    char tag[80];
    long step;
    float value;  /* EV_SCALAR */
    char *text;   /* protoc's text of EV_IMAGE and EV_HISTO (events_free) */
    int file;     /* index of the file in name order */
} ev_t;

enum { MAX_EVENTS = 4096, MAX_FILES = 8 };

typedef struct {
    ev_t ev[MAX_EVENTS];
    int n;
    int n_files;
} events_t;

/* The run's event files in name order (TensorBoard's loading order). */
static int list_event_files(char names[MAX_FILES][256], const char *run)
{
    DIR *d = opendir(run);
    cr_assert_not_null(d, "%s: %s", run, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "events.out.tfevents.", 20) == 0) {
            cr_assert_lt(n, MAX_FILES);
            snprintf(names[n++], 256, "%s", e->d_name);
        }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[256];
            memcpy(t, names[j], 256);
            memcpy(names[j], names[j - 1], 256);
            memcpy(names[j - 1], t, 256);
        }
    return n;
}

/* Decodes every record of every event file of run into out, in order.
 * Checks the framing (both CRCs of every record) and that each file starts
 * with file_version "brain.Event:2". */
static void read_run_events(events_t *out, const char *run)
{
    char names[MAX_FILES][256];
    out->n = 0;
    out->n_files = list_event_files(names, run);
    for (int f = 0; f < out->n_files; f++) {
        size_t n;
        uint8_t *buf = (uint8_t *)must_read(join(run, names[f]), &n); /* tracked */
        static rec_t recs[MAX_EVENTS];
        char why[200] = "";
        long nr = split_records(buf, n, recs, MAX_EVENTS, why, sizeof why);
        cr_assert_gt(nr, 0, "%s: %s", names[f], why);
        for (long r = 0; r < nr; r++) {
            char *t = decode_record(tmp_dir, &recs[r]);
            cr_assert_lt(out->n, MAX_EVENTS);
            ev_t *e = &out->ev[out->n++];
            memset(e, 0, sizeof *e);
            e->file = f;
            e->step = (long)text_num(t, "step", 0);
            size_t len;
            const char *tag = text_field(t, "tag", 0, &len);
            if (tag && len >= 2)
                snprintf(e->tag, sizeof e->tag, "%.*s", (int)len - 2, tag + 1);
            if (text_field(t, "file_version", 0, &len)) {
                e->kind = EV_VERSION;
                cr_expect(text_has_string(t, "file_version", "brain.Event:2"), "%s", t);
            } else if (strstr(t, "session_log {")) {
                e->kind = EV_START;
                const char *st = text_field(t, "status", 0, &len);
                cr_expect(st && len == 5 && strncmp(st, "START", 5) == 0, "%s", t);
            } else if (text_field(t, "simple_value", 0, &len)) {
                e->kind = EV_SCALAR;
                e->value = strtof(text_field(t, "simple_value", 0, &len), NULL);
            } else if (strstr(t, "image {")) {
                e->kind = EV_IMAGE;
            } else {
                cr_assert(strstr(t, "histo {") != NULL, "unexpected record:\n%.300s", t);
                e->kind = EV_HISTO;
            }
            cr_expect_eq(r == 0, e->kind == EV_VERSION,
                         "%s: record %ld: file_version must be the first record, and only it",
                         names[f], r);
            if (e->kind == EV_IMAGE || e->kind == EV_HISTO)
                e->text = t;
            else
                free(t);
        }
    }
}

static void events_free(events_t *ev)
{
    for (int i = 0; i < ev->n; i++)
        free(ev->ev[i].text);
    ev->n = 0;
}

/* TensorBoard's view: a file's SessionLog START at step S drops the
 * events of earlier files with step >= S (event_accumulator's restart
 * purge). Returns the number of START records seen. */
static int merge_like_tensorboard(events_t *ev)
{
    int starts = 0;
    for (int i = 0; i < ev->n; i++) {
        if (ev->ev[i].kind != EV_START)
            continue;
        starts++;
        long s = ev->ev[i].step;
        int f = ev->ev[i].file, k = 0;
        for (int j = 0; j < ev->n; j++)
            if (!(ev->ev[j].file < f && ev->ev[j].step >= s)) {
                ev->ev[k++] = ev->ev[j];
            } else {
                free(ev->ev[j].text);
                i -= j < i;
            }
        ev->n = k;
    }
    return starts;
}

static const ev_t *find_event(const events_t *ev, ev_kind_t kind, const char *tag, long step,
                              int *count)
{
    const ev_t *found = NULL;
    *count = 0;
    for (int i = 0; i < ev->n; i++)
        if (ev->ev[i].kind == kind && ev->ev[i].step == step && strcmp(ev->ev[i].tag, tag) == 0) {
            found = &ev->ev[i];
            (*count)++;
        }
    return found;
}

static int count_kind(const events_t *ev, ev_kind_t kind, const char *tag_prefix)
{
    int n = 0;
    for (int i = 0; i < ev->n; i++)
        n += ev->ev[i].kind == kind &&
             strncmp(ev->ev[i].tag, tag_prefix, strlen(tag_prefix)) == 0;
    return n;
}

/* ---- the run's CSV files ------------------------------------------------- */

/* The n-th comma-separated field of line (up to the next comma or newline). */
static void csv_field(char *out, size_t size, const char *line, int n)
{
    const char *p = line;
    for (int i = 0; i < n; i++) {
        p = strpbrk(p, ",\n");
        cr_assert(p && *p == ',', "field %d missing in %.80s", n, line);
        p++;
    }
    size_t len = strcspn(p, ",\n");
    snprintf(out, size, "%.*s", (int)len, p);
}

static int count_fields(const char *line)
{
    int n = 1;
    for (const char *p = line; *p && *p != '\n'; p++)
        n += *p == ',';
    return n;
}

/* The README's tag of a metrics.csv column. */
static const char *tag_of_column(const char *col)
{
    static const char *const map[][2] = {
        {"epoch", "progress/epoch"}, {"steps", "progress/steps"}, {"g_loss", "loss/g"},
        {"d_loss", "loss/d"},        {"d_acc", "d/acc"},          {"d_acc_real", "d/acc_real"},
        {"d_acc_fake", "d/acc_fake"}, {"d_real", "d/real"},       {"d_fake", "d/fake"},
        {"seconds", "time/seconds"}, {"images_per_sec", "time/images_per_sec"},
        {"g_acc", "g/acc"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(col, map[i][0]) == 0)
            return map[i][1];
    cr_assert_fail("column %s has no tag in the contract", col);
    return NULL;
}

/* Every field of every metrics.csv row is a scalar at the end of its
 * epoch (epoch * steps_per_epoch) with the value the file shows; and there
 * are no other epoch scalars. */
static void expect_epoch_scalars(const events_t *ev, const char *run, long spe)
{
    char *text = must_read(join(run, "metrics.csv"), NULL);
    char *header = text, *row = strchr(text, '\n') + 1;
    int n_cols = count_fields(header), n_rows = 0;
    for (; *row; row = strchr(row, '\n') + 1, n_rows++) {
        char field[64];
        csv_field(field, sizeof field, row, 0);
        long step = atol(field) * spe;
        for (int c = 0; c < n_cols; c++) {
            char col[64];
            csv_field(col, sizeof col, header, c);
            csv_field(field, sizeof field, row, c);
            int count;
            const ev_t *e = find_event(ev, EV_SCALAR, tag_of_column(col), step, &count);
            cr_expect_eq(count, 1, "%s at step %ld: %d scalars", tag_of_column(col), step, count);
            float want = strtof(field, NULL);
            cr_expect(e && memcmp(&e->value, &want, sizeof want) == 0,
                      "%s at step %ld: %.9g in the events, %s in metrics.csv", col, step,
                      e ? (double)e->value : NAN, field);
        }
    }
    int n_epoch_scalars = 0;
    for (int i = 0; i < ev->n; i++)
        n_epoch_scalars += ev->ev[i].kind == EV_SCALAR && strncmp(ev->ev[i].tag, "step/", 5) != 0;
    cr_expect_eq(n_epoch_scalars, n_rows * n_cols, "%d epoch scalars for %d rows x %d columns",
                 n_epoch_scalars, n_rows, n_cols);
}

/* Every steps.csv row is four step scalars with its values, and there are
 * no others. */
static void expect_step_scalars(const events_t *ev, const char *run)
{
    char *text = must_read(join(run, "steps.csv"), NULL);
    cr_assert(strncmp(text, "step,epoch,g_loss,d_loss,d_real,d_fake\n", 39) == 0,
              "steps.csv header: %.60s", text);
    static const char *const tags[] = {"step/g_loss", "step/d_loss", "step/d_real", "step/d_fake"};
    int n_rows = 0;
    for (char *row = strchr(text, '\n') + 1; *row; row = strchr(row, '\n') + 1, n_rows++) {
        cr_assert_eq(count_fields(row), 6, "steps.csv row: %.80s", row);
        char field[64];
        csv_field(field, sizeof field, row, 0);
        long step = atol(field);
        for (int k = 0; k < 4; k++) {
            csv_field(field, sizeof field, row, 2 + k);
            int count;
            const ev_t *e = find_event(ev, EV_SCALAR, tags[k], step, &count);
            cr_expect_eq(count, 1, "%s at step %ld: %d scalars", tags[k], step, count);
            float want = strtof(field, NULL);
            cr_expect(e && memcmp(&e->value, &want, sizeof want) == 0,
                      "%s at step %ld: %.9g in the events, %s in steps.csv", tags[k], step,
                      e ? (double)e->value : NAN, field);
        }
    }
    cr_expect_gt(n_rows, 0, "steps.csv has no rows");
    cr_expect_eq(count_kind(ev, EV_SCALAR, "step/"), 4 * n_rows, "%d step scalars for %d rows",
                 count_kind(ev, EV_SCALAR, "step/"), n_rows);
}

/* steps.csv of a run of `epochs` x spe steps logged every `every`: the
 * first step and every every-th, each once, in order, epoch by epoch. */
static void expect_steps_logged(const char *run, int epochs, long spe, int every)
{
    char *text = must_read(join(run, "steps.csv"), NULL);
    char *row = strchr(text, '\n') + 1;
    for (long s = 1; s <= epochs * spe; s++) {
        if (s != 1 && s % every != 0)
            continue;
        char field[64];
        cr_assert(*row, "steps.csv ends before step %ld", s);
        csv_field(field, sizeof field, row, 0);
        cr_expect_eq(atol(field), s, "steps.csv: step %s where %ld was due", field, s);
        csv_field(field, sizeof field, row, 1);
        cr_expect_eq(atol(field), (s - 1) / spe + 1, "step %ld: epoch %s", s, field);
        row = strchr(row, '\n') + 1;
    }
    cr_expect_eq(*row, '\0', "steps.csv has rows past the last step: %.60s", row);
}

static double histo_bucket_sum(const char *t)
{
    double sum = 0;
    int n = text_count(t, "bucket");
    for (int j = 0; j < n; j++)
        sum += text_num(t, "bucket", j);
    return sum;
}

/* Per epoch 0..epochs and per layer of G and D: a weight histogram counting
 * every weight (n_in x n_out) and an activation histogram counting the
 * probe batch's outputs (PROBE x n_out). */
static void expect_histograms(const events_t *ev, int epochs, long spe)
{
    for (int e = 0; e <= epochs; e++)
        for (int net = 0; net < 2; net++)
            for (int l = 0; l < N_LAYERS; l++) {
                const int *dims = net ? d_dims : g_dims;
                char tag[64];
                int count;
                snprintf(tag, sizeof tag, "%s/dense%d/weights", net ? "D" : "G", l);
                const ev_t *w = find_event(ev, EV_HISTO, tag, e * spe, &count);
                cr_expect_eq(count, 1, "%s at epoch %d: %d histograms", tag, e, count);
                if (w) {
                    double want = (double)dims[l] * dims[l + 1];
                    cr_expect_eq(histo_bucket_sum(w->text), want, "%s epoch %d: %g counted",
                                 tag, e, histo_bucket_sum(w->text));
                    cr_expect_eq(text_num(w->text, "num", 0), want, "%s num", tag);
                }
                snprintf(tag, sizeof tag, "%s/dense%d/activations", net ? "D" : "G", l);
                const ev_t *a = find_event(ev, EV_HISTO, tag, e * spe, &count);
                cr_expect_eq(count, 1, "%s at epoch %d: %d histograms", tag, e, count);
                if (a)
                    cr_expect_eq(histo_bucket_sum(a->text), (double)PROBE * dims[l + 1],
                                 "%s epoch %d: %g counted, want %d x %d", tag, e,
                                 histo_bucket_sum(a->text), PROBE, dims[l + 1]);
            }
    cr_expect_eq(count_kind(ev, EV_HISTO, ""), (epochs + 1) * 2 * N_LAYERS * 2);
}

/* One image per grid samples/epoch_NNNN.png, at step NNNN * spe, with the
 * file's bytes. */
static void expect_images(const events_t *ev, const char *run, int epochs, long spe)
{
    for (int e = 0; e <= epochs; e++) {
        char name[64];
        snprintf(name, sizeof name, "samples/epoch_%04d.png", e);
        size_t n;
        char *png = must_read(join(run, name), &n);
        int count;
        const ev_t *img = find_event(ev, EV_IMAGE, "samples", e * spe, &count);
        cr_expect_eq(count, 1, "epoch %d: %d images", e, count);
        if (!img)
            continue;
        size_t got_n;
        uint8_t *got = text_bytes(img->text, "encoded_image_string", &got_n);
        cr_expect(got_n == n && memcmp(got, png, n) == 0, "%s: the image summary's %zu bytes "
                  "differ from the file's %zu", name, got_n, n);
        cr_expect_eq((int)text_num(img->text, "height", 0), 8 * 28 + 9 * 2);
        cr_expect_eq((int)text_num(img->text, "width", 0), 8 * 28 + 9 * 2);
        free(got);
    }
    cr_expect_eq(count_kind(ev, EV_IMAGE, ""), epochs + 1);
}

/* No tag has two events at one step, and the step scalars of merged are
 * exactly those of straight (same tags, same steps, same values). */
static void expect_same_step_scalars(const events_t *straight, const events_t *merged)
{
    int n_a = count_kind(straight, EV_SCALAR, "step/"), n_b = count_kind(merged, EV_SCALAR, "step/");
    cr_expect_eq(n_b, n_a, "%d step scalars after merging, %d in the uninterrupted run", n_b, n_a);
    for (int i = 0; i < straight->n; i++) {
        const ev_t *e = &straight->ev[i];
        if (e->kind != EV_SCALAR)
            continue;
        int count;
        const ev_t *m = find_event(merged, EV_SCALAR, e->tag, e->step, &count);
        cr_expect_eq(count, 1, "%s at step %ld: %d events after merging", e->tag, e->step,
                     count);
        cr_expect((m && memcmp(&m->value, &e->value, sizeof e->value) == 0) ||
                      strncmp(e->tag, "time/", 5) == 0,
                  "%s at step %ld: %.9g vs %.9g", e->tag, e->step, m ? (double)m->value : NAN,
                  (double)e->value);
    }
}

static void expect_same_bytes(const char *a, const char *b)
{
    size_t na, nb;
    char *x = must_read(a, &na), *y = must_read(b, &nb);
    cr_expect(na == nb && memcmp(x, y, na) == 0, "%s and %s differ (%zu vs %zu bytes)", a, b,
              na, nb);
}

/* metrics.csv rows without the timing columns (seconds, images_per_sec). */
static void expect_same_metrics_but_time(const char *a, const char *b)
{
    char *x = must_read(a, NULL), *y = must_read(b, NULL);
    for (char *p = x, *q = y; *p || *q; p = strchr(p, '\n') + 1, q = strchr(q, '\n') + 1) {
        cr_assert(*p && *q, "%s and %s have different row counts", a, b);
        int n = count_fields(p);
        cr_assert_eq(n, count_fields(q));
        for (int c = 0; c < n; c++) {
            char fa[64], fb[64], col[64];
            csv_field(col, sizeof col, x, c);
            if (!strcmp(col, "seconds") || !strcmp(col, "images_per_sec"))
                continue;
            csv_field(fa, sizeof fa, p, c);
            csv_field(fb, sizeof fb, q, c);
            cr_expect_str_eq(fa, fb, "%s: column %s differs: %s vs %s", a, col, fa, fb);
        }
    }
}

/* ---- the tests ------------------------------------------------------------ */

#define TINY "--limit=640", "--batch=64", "--seed=7", SMALL_NETS, "--threads=1", "--quiet"
enum { TINY_SPE = 640 / 64 };

Test(tensorboard, events_hold_what_metrics_steps_samples_and_layers_hold)
{
    need_mnist();
    need_protoc();
    make_tmp_dir();
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, TINY, "--epochs=2", "--log-every=3");
    events_t *ev = track(malloc(sizeof *ev));
    read_run_events(ev, run);
    cr_assert_eq(ev->n_files, 1, "%d event files in a new run", ev->n_files);
    cr_expect_eq(count_kind(ev, EV_START, ""), 0, "a new run has no SessionLog START");
    expect_steps_logged(run, 2, TINY_SPE, 3);
    expect_epoch_scalars(ev, run, TINY_SPE);
    expect_step_scalars(ev, run);
    expect_images(ev, run, 2, TINY_SPE);
    expect_histograms(ev, 2, TINY_SPE);
    events_free(ev);
}

/* 2 epochs straight vs 1 epoch + --resume: byte-identical checkpoints and
 * steps.csv, metrics.csv but for its timing columns; the resumed run's two
 * event files, merged as TensorBoard merges them, hold every step scalar
 * once. A steps.csv row beyond the checkpoint (a kill between the rows and
 * the checkpoint) is trimmed by the resume. */
Test(tensorboard, resume_keeps_steps_csv_and_events_exact)
{
    need_mnist();
    need_protoc();
    make_tmp_dir();
    char *straight = tmp_path("straight"), *resumed = tmp_path("resumed");
    GAN_OK("train", "--out", straight, TINY, "--epochs=2");
    GAN_OK("train", "--out", resumed, TINY, "--epochs=1");
    FILE *fp = fopen(join(resumed, "steps.csv"), "a");
    cr_assert_not_null(fp);
    fputs("11,2,1,1,0.5,0.5\n", fp);
    fclose(fp);
    GAN_OK("train", "--resume", resumed, "--epochs=2", "--threads=1", "--quiet");

    expect_same_bytes(join(straight, "checkpoint.bin"), join(resumed, "checkpoint.bin"));
    expect_same_bytes(join(straight, "steps.csv"), join(resumed, "steps.csv"));
    expect_same_metrics_but_time(join(straight, "metrics.csv"), join(resumed, "metrics.csv"));
    expect_steps_logged(resumed, 2, TINY_SPE, 10);

    events_t *a = track(malloc(sizeof *a)), *b = track(malloc(sizeof *b));
    read_run_events(a, straight);
    read_run_events(b, resumed);
    cr_assert_eq(b->n_files, 2, "%d event files after one resume", b->n_files);
    /* The second file's first record after the version: START at the first
     * step the resumed process trains. */
    cr_expect(b->ev[b->n - 1].file == 1);
    int first = 0;
    while (first < b->n && b->ev[first].file == 0)
        first++;
    cr_assert_lt(first + 1, b->n);
    cr_expect_eq(b->ev[first + 1].kind, EV_START, "second file: START right after the version");
    cr_expect_eq(b->ev[first + 1].step, TINY_SPE + 1, "START at step %ld", b->ev[first + 1].step);
    cr_expect_eq(merge_like_tensorboard(b), 1);
    expect_same_step_scalars(a, b);
    expect_epoch_scalars(b, resumed, TINY_SPE);
    expect_step_scalars(b, resumed);
    expect_images(b, resumed, 2, TINY_SPE);
    expect_histograms(b, 2, TINY_SPE);
    events_free(a);
    events_free(b);
}

/* Ctrl-C inside epoch 2, then --resume: steps.csv byte-identical to an
 * uninterrupted run's (the partial epoch's rows were written before the
 * Ctrl-C checkpoint, the resumed process logs from the next step), and the
 * merged events hold every step scalar once. Timed as the SIGINT test of
 * test_train.c. */
Test(tensorboard, sigint_mid_epoch_loses_and_doubles_no_step)
{
    need_mnist();
    need_protoc();
    make_tmp_dir();
    char *run = tmp_path("interrupted"), *ref = tmp_path("uninterrupted");
#define SIGINT_ARGS "--limit=6400", "--batch=64", "--epochs=2", "--seed=3", \
        "--g-hidden=64,128", "--d-hidden=128,64", "--threads=1", "--log-every=7", "--quiet"
    const long spe = 6400 / 64;
    pid_t pid = spawn_gan((const char *const[]){"train", "--out", run, SIGINT_ARGS, NULL});
    char *prev = join(run, "checkpoint.prev.bin");
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!exists(prev)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            child = 0;
            cr_assert_fail("the run ended before it could be interrupted: %s", last_stderr());
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        cr_assert(now.tv_sec - t0.tv_sec <= 300, "no epoch finished within 300 s");
        usleep(2000);
    }
    char *metrics = must_read(join(run, "metrics.csv"), NULL), field[64];
    csv_field(field, sizeof field, strchr(metrics, '\n') + 1, 9);
    usleep((useconds_t)(atof(field) / 4 * 1e6));
    cr_assert_eq(kill(pid, SIGINT), 0);
    cr_assert_eq(wait_gan(pid), 130, "exit after SIGINT: %s", last_stderr());
    /* The checkpoint is inside epoch 2; steps.csv ends at its step. */
    char *steps = must_read(join(run, "steps.csv"), NULL);
    char *last = steps + strlen(steps) - 2;
    while (last > steps && *last != '\n')
        last--;
    long last_step = atol(last + 1);
    cr_expect(last_step > spe && last_step < 2 * spe,
              "the stop should land inside epoch 2: steps.csv ends at step %ld", last_step);

    GAN_OK("train", "--resume", run, "--quiet");
    GAN_OK("train", "--out", ref, SIGINT_ARGS);
    expect_same_bytes(join(ref, "steps.csv"), join(run, "steps.csv"));
    expect_same_bytes(join(ref, "checkpoint.bin"), join(run, "checkpoint.bin"));
    events_t *a = track(malloc(sizeof *a)), *b = track(malloc(sizeof *b));
    read_run_events(a, ref);
    read_run_events(b, run);
    cr_assert_eq(b->n_files, 2);
    cr_expect_eq(merge_like_tensorboard(b), 1);
    expect_same_step_scalars(a, b);
    expect_step_scalars(b, run);
    events_free(a);
    events_free(b);
#undef SIGINT_ARGS
}

/* --no-events: no event file, in the new run and after --resume (a run
 * setting, in config.json); steps.csv is still written. */
Test(tensorboard, no_events_writes_no_event_file_and_resume_keeps_it)
{
    need_mnist();
    make_tmp_dir();
    char *run = tmp_path("quiet");
    GAN_OK("train", "--out", run, TINY, "--epochs=1", "--no-events");
    char names[MAX_FILES][256];
    cr_expect_eq(list_event_files(names, run), 0, "an event file despite --no-events: %s",
                 names[0]);
    cr_expect(strstr(must_read(join(run, "config.json"), NULL), "\"events\": 0") != NULL,
              "config.json does not record events = 0");
    GAN_OK("train", "--resume", run, "--epochs=2", "--threads=1", "--quiet");
    cr_expect_eq(list_event_files(names, run), 0, "--resume wrote an event file: %s", names[0]);
    expect_steps_logged(run, 2, TINY_SPE, 10);
    cr_expect_neq(GAN("train", "--resume", run, "--epochs=3", "--no-events", "--quiet"), 0,
                  "--no-events with --resume: a run setting cannot change");
}
