/* Tests for the bounded readers (issue 12): whole-file reads (fs_read_all),
 * the checkpoint container reader and the table readers refuse what is not
 * a regular file without blocking or reading it, refuse files larger than
 * their format allows before reading them, and name the damage of a
 * checkpoint without advice that only the caller can give.
 *
 * Fixtures are written into a fresh folder under /tmp by each test; the
 * expected bytes are the ones the test wrote. The suite's timeout turns a
 * reader that blocks on a FIFO into a failure instead of a hung suite; no
 * test asserts how long anything takes. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gan/checkpoint.h"
#include "gan/classifier.h"
#include "gan/fsutil.h"
#include "gan/metrics_csv.h"
#include "gan/run_dir.h"
#include "test_util.h"

static char tmp_dir[64];

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "readers"); }
static void remove_tmp_dir(void) { test_tmpdir_remove(tmp_dir); }

TestSuite(readers, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 60);

static test_path_t tmp_path(const char *name) { return test_path(tmp_dir, name); }

static test_path_t make_fifo(const char *name)
{
    test_path_t p = tmp_path(name);
    cr_assert_eq(mkfifo(p.s, 0600), 0, "mkfifo %s", p.s);
    return p;
}

/* rc must be code and err one line starting with "<path>:" and holding what. */
static void expect_fault(int rc, const gan_err_t *err, int code, const char *path,
                         const char *what)
{
    size_t n = strlen(path);
    cr_expect_eq(rc, code, "code %d, expected %d (message: %s)", rc, code, err->msg);
    cr_expect(strncmp(err->msg, path, n) == 0 && err->msg[n] == ':',
              "message \"%s\" does not start with \"%s:\"", err->msg, path);
    cr_expect_not_null(strstr(err->msg, what), "message \"%s\" lacks \"%s\"", err->msg, what);
    cr_expect_null(strchr(err->msg, '\n'), "message is not one line: \"%s\"", err->msg);
}

static void expect_read_all_fault(const char *path, size_t max_bytes, const char *what)
{
    char *data = (char *)&data; /* must come back NULL */
    size_t n = 1;
    gan_err_t err = {{0}};
    int rc = fs_read_all(path, max_bytes, &data, &n, &err);
    expect_fault(rc, &err, GAN_ERR_INPUT, path, what);
    cr_expect(data == NULL && n == 0, "output not cleared after an error");
}

/* ---- fs_read_all ------------------------------------------------------ */

Test(readers, read_all_reads_a_file_up_to_its_cap_exactly)
{
    test_path_t p = tmp_path("ten");
    test_write_file(p.s, "0123456789", 10);
    char *data = NULL;
    size_t n = 0;
    gan_err_t err = {{0}};
    cr_assert_eq(fs_read_all(p.s, 10, &data, &n, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(n, 10);
    cr_expect_eq(memcmp(data, "0123456789", 11), 0, "bytes or terminating NUL differ");
    free(data);
}

Test(readers, read_all_refuses_a_file_over_its_cap)
{
    test_path_t p = tmp_path("eleven");
    test_write_file(p.s, "0123456789A", 11);
    expect_read_all_fault(p.s, 10, "larger than 10 bytes");
}

/* Before the fix fopen() of a FIFO blocked (the suite's timeout failed it). */
Test(readers, read_all_refuses_a_fifo_without_blocking)
{
    test_path_t p = make_fifo("config.json");
    expect_read_all_fault(p.s, 1 << 20, "not a regular file (a FIFO)");
}

/* Before the fix /dev/zero was read until the buffer could not grow. */
Test(readers, read_all_refuses_a_device)
{
    expect_read_all_fault("/dev/zero", 1 << 20, "not a regular file (a character device)");
}

Test(readers, read_all_refuses_a_directory_and_names_a_missing_file)
{
    expect_read_all_fault(tmp_dir, 1 << 20, "not a regular file (a directory)");
    expect_read_all_fault(tmp_path("absent").s, 1 << 20, "not found");
}

/* ---- checkpoint container --------------------------------------------- */

/* A small container written by ckpt_write: a header and two sections. */
static void write_small_checkpoint(const char *path)
{
    static const float weights[5] = {1.0f, -2.0f, 0.5f, 0.0f, 3.0f};
    static const uint8_t state[3] = {7, 8, 9};
    const ckpt_section_t sections[2] = {{1, weights, sizeof weights}, {2, state, sizeof state}};
    gan_err_t err = {{0}};
    cr_assert_eq(ckpt_write(path, "{\"epoch\": 3}", sections, 2, &err), GAN_OK, "%s", err.msg);
}

Test(readers, checkpoint_refuses_fifo_and_device)
{
    ckpt_file_t ckpt;
    gan_err_t err = {{0}};
    test_path_t fifo = make_fifo("checkpoint.bin");
    expect_fault(ckpt_read(&ckpt, fifo.s, &err), &err, GAN_ERR_INPUT, fifo.s,
                 "not a regular file (a FIFO)");
    expect_fault(ckpt_read(&ckpt, "/dev/zero", &err), &err, GAN_ERR_INPUT, "/dev/zero",
                 "not a regular file (a character device)");
    cr_expect(ckpt.blob == NULL && ckpt.header == NULL, "output not zeroed");
}

/* The container reader cannot know the way out (a run has
 * checkpoint.prev.bin, a classifier has none): its message names the
 * damage only. Before the fix it advised checkpoint.prev.bin for any file. */
Test(readers, damaged_checkpoint_message_names_the_damage_only)
{
    test_path_t p = tmp_path("classifier.bin");
    write_small_checkpoint(p.s);
    size_t n;
    uint8_t *bytes = test_read_file(p.s, &n);
    bytes[n - 5] ^= 0x01; /* last byte of the last section */
    test_write_file(p.s, bytes, n);
    free(bytes);
    ckpt_file_t ckpt;
    gan_err_t err = {{0}};
    char want[600];
    snprintf(want, sizeof want, "%s: damaged checkpoint (CRC mismatch in section 2)", p.s);
    cr_expect_eq(ckpt_read(&ckpt, p.s, &err), GAN_ERR_INPUT);
    cr_expect_str_eq(err.msg, want);
}

/* A tag twice (found by fuzz_checkpoint: a second, NaN-filled D params
 * section after a valid one): readers take the first, so the second would
 * be bytes no check looks at; the file is refused as damaged. */
Test(readers, checkpoint_with_a_section_tag_twice_is_refused)
{
    static const float weights[2] = {1.0f, 2.0f}, nan_weights[2] = {NAN, NAN};
    const ckpt_section_t sections[3] = {
        {4, weights, sizeof weights}, {5, weights, sizeof weights}, {4, nan_weights, sizeof nan_weights}};
    test_path_t p = tmp_path("twice.bin");
    gan_err_t err = {{0}};
    cr_assert_eq(ckpt_write(p.s, "{\"epoch\": 1}", sections, 3, &err), GAN_OK, "%s", err.msg);
    ckpt_file_t ckpt;
    char want[600];
    snprintf(want, sizeof want, "%s: damaged checkpoint (section 4 appears twice)", p.s);
    cr_expect_eq(ckpt_read(&ckpt, p.s, &err), GAN_ERR_INPUT);
    cr_expect_str_eq(err.msg, want);
    cr_expect(ckpt.blob == NULL && ckpt.header == NULL, "output not zeroed");
}

/* ckpt_read_mem is the parser ckpt_read runs: the bytes of a file give the
 * sections that were written, and each cut of the file is refused, except
 * at a section boundary, which the container cannot tell from a file with
 * fewer sections (callers find the section missing: ckpt_section). */
Test(readers, checkpoint_from_memory_matches_what_was_written)
{
    test_path_t p = tmp_path("small.bin");
    write_small_checkpoint(p.s);
    size_t n;
    uint8_t *bytes = test_read_file(p.s, &n);
    ckpt_file_t ckpt;
    gan_err_t err = {{0}};
    cr_assert_eq(ckpt_read_mem(&ckpt, bytes, n, "mem", &err), GAN_OK, "%s", err.msg);
    cr_expect_str_eq(ckpt.header, "{\"epoch\": 3}");
    cr_assert_eq(ckpt.n_sections, 2);
    const float want[5] = {1.0f, -2.0f, 0.5f, 0.0f, 3.0f};
    const float *w = ckpt_section(&ckpt, 1, sizeof want, "mem", "weights", &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_expect_arr_eq(w, want, sizeof want);
    ckpt_free(&ckpt);
    const size_t after_header = 16 + strlen("{\"epoch\": 3}") + 4;
    const size_t after_first = after_header + 12 + sizeof want + 4;
    for (size_t cut = 0; cut < n; cut++) {
        if (cut == after_header || cut == after_first) {
            cr_expect_eq(ckpt_read_mem(&ckpt, bytes, cut, "mem", &err), GAN_OK, "%s", err.msg);
            cr_expect_eq(ckpt.n_sections, cut == after_first, "cut to %zu bytes", cut);
            ckpt_free(&ckpt);
            continue;
        }
        int rc = ckpt_read_mem(&ckpt, bytes, cut, "mem", &err);
        cr_expect_eq(rc, GAN_ERR_INPUT, "a file cut to %zu of %zu bytes was accepted", cut, n);
        cr_expect(ckpt.blob == NULL && ckpt.header == NULL && ckpt.n_sections == 0,
                  "output not zeroed after a cut to %zu bytes", cut);
    }
    free(bytes);
}

/* A header length beyond 1 MiB is refused before anything that large is
 * allocated, even when the file is long enough to hold it. */
Test(readers, checkpoint_refuses_a_header_over_one_mib)
{
    size_t n = 16 + ((size_t)1 << 20) + 1 + 4;
    uint8_t *bytes = calloc(n, 1);
    cr_assert_not_null(bytes);
    memcpy(bytes, "GANCKPT1\x01\x00\x00\x00", 12);
    uint32_t len = (1u << 20) + 1;
    for (int i = 0; i < 4; i++)
        bytes[12 + i] = (uint8_t)(len >> (8 * i));
    ckpt_file_t ckpt;
    gan_err_t err = {{0}};
    expect_fault(ckpt_read_mem(&ckpt, bytes, n, "big", &err), &err, GAN_ERR_INPUT, "big",
                 "header longer than 1 MiB");
    free(bytes);
}

/* --classifier=/dev/zero read 2 GB before failing. */
Test(readers, classifier_load_refuses_a_device)
{
    classifier_t c;
    gan_err_t err = {{0}};
    expect_fault(classifier_load(&c, "/dev/zero", 8, NULL, &err), &err, GAN_ERR_INPUT,
                 "/dev/zero", "not a regular file (a character device)");
    classifier_destroy(&c);
}

/* A damaged classifier has no checkpoint.prev.bin: its message gives the
 * command that makes a new one, and never the run's --from-prev advice. */
Test(readers, a_damaged_classifier_names_the_command_that_remakes_it)
{
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg);
    classifier_t c;
    gan_err_t err = {{0}};
    cr_assert_eq(classifier_create(&c, &cfg, 8, &err), GAN_OK, "%s", err.msg);
    char dir[64];
    test_tmpdir_make(dir, sizeof dir, "clf");
    test_path_t p = test_path(dir, "clf.bin");
    cr_assert_eq(classifier_save(&c, p.s, 0.5, &err), GAN_OK, "%s", err.msg);
    classifier_destroy(&c);
    size_t n;
    unsigned char *bytes = test_read_file(p.s, &n);
    bytes[n - 100] ^= 0x40; /* inside the last section */
    test_write_file(p.s, bytes, n);
    free(bytes);
    cr_expect_eq(classifier_load(&c, p.s, 8, NULL, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "damaged checkpoint"), "'%s'", err.msg);
    cr_expect_not_null(strstr(err.msg, "make a new one with ./gan classifier train --out="),
                       "'%s'", err.msg);
    cr_expect_null(strstr(err.msg, "prev"), "'%s'", err.msg);
    classifier_destroy(&c);
    test_tmpdir_remove(dir);
}

/* A plan judges every run by its checkpoint's header: a FIFO named
 * checkpoint.bin must be refused, not block the planning of a sweep. */
Test(readers, run_status_refuses_a_fifo_checkpoint_without_blocking)
{
    char dir[64];
    test_tmpdir_make(dir, sizeof dir, "status");
    test_path_t p = test_path(dir, "checkpoint.bin");
    cr_assert_eq(mkfifo(p.s, 0644), 0);
    run_status_t st;
    gan_err_t err = {{0}};
    expect_fault(run_status(&st, dir, &err), &err, GAN_ERR_INPUT, p.s,
                 "not a regular file (a FIFO)");
    test_tmpdir_remove(dir);
}

/* ---- metrics.csv / layers.csv ----------------------------------------- */

Test(readers, tables_refuse_fifo_without_blocking)
{
    test_path_t p = make_fifo("metrics.csv");
    metrics_csv_t *t = NULL;
    gan_err_t err = {{0}};
    expect_fault(metrics_csv_read(&t, p.s, &err), &err, GAN_ERR_INPUT, p.s,
                 "not a regular file (a FIFO)");
    cr_expect_null(t);
    expect_fault(metrics_csv_read_layers(&t, p.s, &err), &err, GAN_ERR_INPUT, p.s,
                 "not a regular file (a FIFO)");
    cr_expect_null(t);
}
