/* Tests for the IDX reader and the MNIST dataset (src/idx.c, src/mnist.c).
 *
 * Every test writes its own fixture files into a fresh directory under /tmp
 * (removed afterwards), so the expected bytes are the ones the test wrote,
 * not ones the reader produced. Each fault the reader must catch has its own
 * test that checks the error code, the file named in the message and a
 * phrase specific to that fault. The last test reads the real MNIST files
 * when they have been downloaded into data/mnist/ and is skipped otherwise. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gan/idx.h"
#include "test_util.h"

/* ---- fixture files ---------------------------------------------------- */

static char tmp_dir[64];

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "idx"); }
static void remove_tmp_dir(void) { test_tmpdir_remove(tmp_dir); }

/* The timeout turns a reader that blocks (on a FIFO) into a failure
 * instead of a hung suite; no test asserts how long anything takes. */
TestSuite(idx, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 60);
TestSuite(mnist, .init = make_tmp_dir, .fini = remove_tmp_dir);

static test_path_t tmp_path(const char *name) { return test_path(tmp_dir, name); }

/* A tiny dataset: 3 images of 2 x 3 pixels (both extremes, the two values
 * either side of the midpoint, and a few others) and their labels. */
enum { FIX_N = 3, FIX_ROWS = 2, FIX_COLS = 3, FIX_PIXELS = FIX_N * FIX_ROWS * FIX_COLS };
static const uint8_t fix_images[FIX_PIXELS] = {
    0,  255, 127, 128, 1,   254, /* image 0 */
    10, 20,  30,  40,  50,  60,  /* image 1 */
    99, 0,   0,   0,   200, 7,   /* image 2 */
};
static const uint8_t fix_labels[FIX_N] = {5, 0, 9};

/* Serializes an IDX file: magic 00 00, type, rank, big-endian u32 dims,
 * then the data bytes. Returns the length written into buf. */
static size_t idx_bytes(uint8_t *buf, size_t cap, uint8_t type, int rank, const uint32_t *dims,
                        const uint8_t *data, size_t n_data)
{
    size_t len = 4 + 4 * (size_t)rank + n_data;
    cr_assert_leq(len, cap, "fixture buffer too small");
    buf[0] = 0;
    buf[1] = 0;
    buf[2] = type;
    buf[3] = (uint8_t)rank;
    for (int i = 0; i < rank; i++) {
        buf[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        buf[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        buf[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        buf[7 + 4 * i] = (uint8_t)dims[i];
    }
    if (n_data > 0)
        memcpy(buf + 4 + 4 * rank, data, n_data);
    return len;
}

static void write_gz(const char *path, const void *buf, size_t n)
{
    gzFile gz = gzopen(path, "wb");
    cr_assert_not_null(gz, "cannot create %s", path);
    cr_assert_eq(gzwrite(gz, buf, (unsigned)n), (int)n, "short gzwrite to %s", path);
    cr_assert_eq(gzclose(gz), Z_OK, "gzclose %s", path);
}

static void write_file(const char *path, const void *buf, size_t n, int gz)
{
    if (gz)
        write_gz(path, buf, n);
    else
        test_write_file(path, buf, n);
}

/* Reads a whole (non-empty) file back (to corrupt or cut it). Caller frees. */
static uint8_t *slurp(const char *path, size_t *n)
{
    uint8_t *buf = test_read_file(path, n);
    cr_assert_gt(*n, 0);
    return buf;
}

static void write_fix_images(const char *path, int gz)
{
    uint8_t buf[128];
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    write_file(path, buf, idx_bytes(buf, sizeof buf, 0x08, 3, dims, fix_images, FIX_PIXELS), gz);
}

static void write_labels(const char *path, const uint8_t *labels, uint32_t n, int gz)
{
    uint8_t buf[128];
    write_file(path, buf, idx_bytes(buf, sizeof buf, 0x08, 1, &n, labels, n), gz);
}

/* Writes an image-shaped file whose header and data length are given. */
static void write_header_and_data(const char *path, uint8_t type, int rank, const uint32_t *dims,
                                  size_t n_data)
{
    uint8_t buf[128];
    cr_assert_leq(n_data, sizeof fix_images * 2);
    uint8_t data[sizeof fix_images * 2];
    memcpy(data, fix_images, sizeof fix_images);
    memcpy(data + sizeof fix_images, fix_images, sizeof fix_images);
    test_write_file(path, buf, idx_bytes(buf, sizeof buf, type, rank, dims, data, n_data));
}

/* ---- checks ----------------------------------------------------------- */

static int msg_names(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(msg, path, n) == 0 && msg[n] == ':';
}

/* idx_read on path must fail with code, a one-line message that starts
 * with "<path>:" and contains what, and a zeroed output. */
static void expect_idx_fault(const char *path, int code, const char *what)
{
    idx_t out;
    memset(&out, 0xA5, sizeof out); /* the reader must zero it, not us */
    gan_err_t err = {{0}};
    int rc = idx_read(&out, path, &err);
    cr_expect_eq(rc, code, "%s: code %d, expected %d (message: %s)", path, rc, code, err.msg);
    cr_expect_not_null(strstr(err.msg, what), "message \"%s\" lacks \"%s\"", err.msg, what);
    cr_expect(msg_names(err.msg, path), "message \"%s\" does not start with \"%s:\"", err.msg,
              path);
    cr_expect_null(strchr(err.msg, '\n'), "message is not one line: \"%s\"", err.msg);
    cr_expect(out.data == NULL && out.rank == 0 && out.n_elems == 0 && out.dims[0] == 0,
              "output not zeroed after an error");
}

/* Same for mnist_load; culprit is the file the message must name. */
static void expect_mnist_fault(const char *images, const char *labels, const char *culprit,
                               int code, const char *what)
{
    mnist_t ds;
    memset(&ds, 0xA5, sizeof ds);
    gan_err_t err = {{0}};
    int rc = mnist_load(&ds, images, labels, &err);
    cr_expect_eq(rc, code, "code %d, expected %d (message: %s)", rc, code, err.msg);
    cr_expect_not_null(strstr(err.msg, what), "message \"%s\" lacks \"%s\"", err.msg, what);
    cr_expect(msg_names(err.msg, culprit), "message \"%s\" does not start with \"%s:\"",
              err.msg, culprit);
    cr_expect(ds.images == NULL && ds.labels == NULL && ds.n == 0 && ds.rows == 0 &&
                  ds.cols == 0,
              "dataset not zeroed after an error");
}

static void expect_fixture_idx(const char *path)
{
    idx_t out;
    gan_err_t err = {{0}};
    int rc = idx_read(&out, path, &err);
    cr_assert_eq(rc, GAN_OK, "idx_read: %s", err.msg);
    cr_expect_eq(out.rank, 3);
    cr_expect_eq(out.dims[0], FIX_N);
    cr_expect_eq(out.dims[1], FIX_ROWS);
    cr_expect_eq(out.dims[2], FIX_COLS);
    cr_expect_eq(out.n_elems, FIX_PIXELS);
    cr_expect_arr_eq(out.data, fix_images, FIX_PIXELS, "pixels differ from the ones written");
    idx_free(&out);
    cr_expect_null(out.data, "idx_free leaves a dangling pointer");
}

/* ---- idx_read: valid files -------------------------------------------- */

Test(idx, reads_raw_file_exactly)
{
    test_path_t p = tmp_path("images-idx3-ubyte");
    write_fix_images(p.s, 0);
    expect_fixture_idx(p.s);
}

Test(idx, reads_gzipped_file_exactly)
{
    test_path_t p = tmp_path("images-idx3-ubyte.gz");
    write_fix_images(p.s, 1);
    expect_fixture_idx(p.s);
}

Test(idx, free_accepts_null_and_zeroed)
{
    idx_t zero = {0};
    idx_free(NULL);
    idx_free(&zero);
    mnist_t ds = {0};
    mnist_free(NULL);
    mnist_free(&ds);
}

/* ---- idx_read: one test per fault ------------------------------------- */

Test(idx, rejects_missing_file)
{
    test_path_t p = tmp_path("absent-idx3-ubyte.gz");
    expect_idx_fault(p.s, GAN_ERR_INPUT, "not found");
    expect_idx_fault(p.s, GAN_ERR_INPUT, "download_mnist.sh");
}

Test(idx, rejects_directory)
{
    expect_idx_fault(tmp_dir, GAN_ERR_INPUT, "not a regular file");
}

Test(idx, rejects_bad_magic)
{
    test_path_t p = tmp_path("magic");
    uint8_t buf[128];
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    size_t n = idx_bytes(buf, sizeof buf, 0x08, 3, dims, fix_images, FIX_PIXELS);
    buf[0] = 0x12;
    buf[1] = 0x34;
    test_write_file(p.s, buf, n);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "bad magic 0x1234");
}

Test(idx, rejects_wrong_element_type)
{
    test_path_t p = tmp_path("float-idx");
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    write_header_and_data(p.s, 0x0D, 3, dims, FIX_PIXELS); /* 0x0D: float32 elements */
    expect_idx_fault(p.s, GAN_ERR_INPUT, "element type 0x0d");
}

Test(idx, rejects_rank_zero)
{
    test_path_t p = tmp_path("rank0");
    write_header_and_data(p.s, 0x08, 0, NULL, 0);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "rank 0");
}

Test(idx, rejects_rank_above_max)
{
    test_path_t p = tmp_path("rank5");
    const uint32_t dims[5] = {1, 1, 1, 1, 1};
    write_header_and_data(p.s, 0x08, 5, dims, 1);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "rank 5");
}

Test(idx, rejects_zero_dimension)
{
    test_path_t p = tmp_path("zero-dim");
    const uint32_t dims[3] = {FIX_N, 0, FIX_COLS};
    write_header_and_data(p.s, 0x08, 3, dims, 0);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "dimension 1 is 0");
}

/* 60000 x 28000 x 28 would be 47 GB: no overflow, but far over the cap. */
Test(idx, rejects_absurd_dimensions)
{
    test_path_t p = tmp_path("absurd");
    const uint32_t dims[3] = {60000, 28000, 28};
    write_header_and_data(p.s, 0x08, 3, dims, FIX_PIXELS);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "too large");
}

/* A GAN_ERR_INPUT here (not GAN_ERR_RUNTIME for a failed malloc, and no
 * AddressSanitizer abort for a huge allocation) shows nothing was
 * allocated. */
Test(idx, rejects_overflowing_dimensions)
{
    test_path_t p = tmp_path("overflow");
    const uint32_t dims[3] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    write_header_and_data(p.s, 0x08, 3, dims, FIX_PIXELS);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "too large");
}

/* 65536^4 = 2^64 wraps a 64-bit size_t to exactly 0: an unguarded product
 * would accept this header with an empty body. */
Test(idx, rejects_dimensions_whose_product_wraps_to_zero)
{
    test_path_t p = tmp_path("wrap");
    const uint32_t dims[4] = {65536, 65536, 65536, 65536};
    write_header_and_data(p.s, 0x08, 4, dims, 0);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "too large");
}

Test(idx, rejects_empty_file)
{
    test_path_t p = tmp_path("empty");
    test_write_file(p.s, "", 0);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "truncated header (0 of 4 bytes)");
}

Test(idx, rejects_truncated_dimensions)
{
    test_path_t p = tmp_path("short-dims");
    const uint8_t head[] = {0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0};
    test_write_file(p.s, head, sizeof head);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "truncated header (6 of 12 dimension bytes)");
}

Test(idx, rejects_truncated_data)
{
    test_path_t p = tmp_path("short-data");
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    write_header_and_data(p.s, 0x08, 3, dims, FIX_PIXELS - 1);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "truncated data (header promises 18 bytes, file has 17)");
}

Test(idx, rejects_truncated_data_in_gzip)
{
    test_path_t p = tmp_path("short-data.gz");
    uint8_t buf[128];
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    size_t n = idx_bytes(buf, sizeof buf, 0x08, 3, dims, fix_images, FIX_PIXELS);
    write_gz(p.s, buf, n - 5);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "truncated data (header promises 18 bytes, file has 13)");
}

Test(idx, rejects_trailing_garbage)
{
    test_path_t p = tmp_path("long-data");
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    write_header_and_data(p.s, 0x08, 3, dims, FIX_PIXELS + 2);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "trailing garbage: 2 bytes");
}

Test(idx, rejects_trailing_garbage_in_gzip)
{
    test_path_t p = tmp_path("long-data.gz");
    uint8_t buf[128];
    const uint32_t dims[1] = {FIX_PIXELS - 1};
    write_gz(p.s, buf, idx_bytes(buf, sizeof buf, 0x08, 1, dims, fix_images, FIX_PIXELS));
    expect_idx_fault(p.s, GAN_ERR_INPUT, "trailing garbage: 1 bytes");
}

/* A gzip file big enough to hold real deflate blocks, with bytes flipped in
 * the middle of the compressed data: inflate fails or the CRC-32 at the
 * end of the stream does not match. */
Test(idx, rejects_corrupt_gzip_stream)
{
    test_path_t p = tmp_path("corrupt.gz");
    enum { N = 64, SIDE = 28 };
    static uint8_t pixels[N * SIDE * SIDE], buf[N * SIDE * SIDE + 16];
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (uint8_t)((i * 2654435761u) >> 13); /* varied, not constant */
    const uint32_t dims[3] = {N, SIDE, SIDE};
    write_gz(p.s, buf, idx_bytes(buf, sizeof buf, 0x08, 3, dims, pixels, sizeof pixels));

    size_t n;
    uint8_t *gz = slurp(p.s, &n);
    for (size_t i = n / 2; i < n / 2 + 4; i++)
        gz[i] ^= 0xFF;
    test_write_file(p.s, gz, n);
    free(gz);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "corrupt gzip stream");
}

/* A download cut short: the gzip stream stops mid-way. */
Test(idx, rejects_cut_gzip_file)
{
    test_path_t p = tmp_path("cut.gz");
    enum { N = 64, SIDE = 28 };
    static uint8_t pixels[N * SIDE * SIDE], buf[N * SIDE * SIDE + 16];
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (uint8_t)((i * 2654435761u) >> 13);
    const uint32_t dims[3] = {N, SIDE, SIDE};
    write_gz(p.s, buf, idx_bytes(buf, sizeof buf, 0x08, 3, dims, pixels, sizeof pixels));

    size_t n;
    uint8_t *gz = slurp(p.s, &n);
    test_write_file(p.s, gz, n / 2);
    free(gz);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "truncated gzip stream");
}

/* ---- idx_read: hostile files (issue 12) -------------------------------- */

/* open() of a FIFO blocks until a writer comes: the reader must look at the
 * file's type first. Before the fix this test hung (the suite's timeout
 * failed it). */
Test(idx, refuses_fifo_without_blocking)
{
    test_path_t p = tmp_path("train-images-idx3-ubyte.gz");
    cr_assert_eq(mkfifo(p.s, 0600), 0, "mkfifo %s", p.s);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "not a regular file (a FIFO)");
}

Test(idx, refuses_character_device)
{
    expect_idx_fault("/dev/zero", GAN_ERR_INPUT, "not a regular file (a character device)");
}

/* A valid file followed by 1 GiB of zeros, gzipped together (about 1 MB on
 * disk), streamed through deflate so the test never holds the 1 GiB. The
 * reader must stop after a small margin and call the rest trailing
 * garbage; before the fix it inflated all of it and reported the exact
 * count (1073741824 bytes). */
Test(idx, refuses_gzip_bomb_of_trailing_zeros)
{
    test_path_t p = tmp_path("bomb-idx3-ubyte.gz");
    uint8_t head[128];
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    size_t n_head = idx_bytes(head, sizeof head, 0x08, 3, dims, fix_images, FIX_PIXELS);
    FILE *fp = fopen(p.s, "wb");
    cr_assert_not_null(fp);
    z_stream zs = {0};
    cr_assert_eq(deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    static uint8_t zeros[1 << 20], out[1 << 16];
    for (int chunk = -1; chunk <= 1024; chunk++) {
        int last = chunk == 1024;
        zs.next_in = chunk < 0 ? head : zeros;
        zs.avail_in = chunk < 0 ? (uInt)n_head : last ? 0 : (uInt)sizeof zeros;
        do {
            zs.next_out = out;
            zs.avail_out = sizeof out;
            int rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
            cr_assert(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR, "deflate %d", rc);
            size_t have = sizeof out - zs.avail_out;
            cr_assert_eq(fwrite(out, 1, have, fp), have);
        } while (zs.avail_out == 0);
    }
    cr_assert_eq(zs.total_in, n_head + ((uLong)1 << 30));
    deflateEnd(&zs);
    cr_assert_eq(fclose(fp), 0);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "trailing garbage: more than 65536 bytes");
}

/* Bytes after the end of the gzip stream used to be ignored by gzread;
 * garbage (not a further gzip member) is refused. */
Test(idx, refuses_bytes_after_gzip_stream)
{
    test_path_t p = tmp_path("after-stream.gz");
    write_fix_images(p.s, 1);
    FILE *fp = fopen(p.s, "ab");
    cr_assert_not_null(fp);
    cr_assert_eq(fwrite("junk", 1, 4, fp), 4);
    cr_assert_eq(fclose(fp), 0);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "trailing garbage after the end of the gzip stream");
}

/* A valid file gzipped as several members (`cat a.gz b.gz`, pigz, bgzip),
 * split mid-header and mid-data, is one content as gzip(1) reads it; an
 * empty member between is fine too. Before the fix it was refused as
 * "truncated data" (the reader stopped at the end of the first member). */
Test(idx, reads_a_multi_member_gzip_as_one_file)
{
    test_path_t p = tmp_path("multi-idx3-ubyte.gz"), part = tmp_path("part.gz");
    uint8_t buf[128];
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    size_t n = idx_bytes(buf, sizeof buf, 0x08, 3, dims, fix_images, FIX_PIXELS);
    const size_t cuts[] = {0, 6, 6, 20, n}; /* members [0,6) [6,6) [6,20) [20,n) */
    FILE *out = fopen(p.s, "wb");
    cr_assert_not_null(out);
    for (int m = 0; m + 1 < 5; m++) {
        write_gz(part.s, buf + cuts[m], cuts[m + 1] - cuts[m]);
        size_t len;
        uint8_t *gz = test_read_file(part.s, &len);
        cr_assert_eq(fwrite(gz, 1, len, out), len);
        free(gz);
    }
    cr_assert_eq(fclose(out), 0);
    expect_fixture_idx(p.s);
    /* Garbage after the last member is still garbage. */
    out = fopen(p.s, "ab");
    cr_assert_not_null(out);
    cr_assert_eq(fwrite("junk", 1, 4, out), 4);
    cr_assert_eq(fclose(out), 0);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "trailing garbage after the end of the gzip stream");
}

/* A header promising 10^9 images of 28 x 28 blamed "dimension 1 is 28":
 * the message names the count, the total and the file's size. */
Test(idx, a_huge_promise_names_the_count_and_the_file_size)
{
    test_path_t p = tmp_path("huge");
    const uint32_t dims[3] = {1000000000u, 28, 28};
    write_header_and_data(p.s, 0x08, 3, dims, FIX_PIXELS);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "promises 1000000000 items (1000000000 x 28 x 28 = "
                                         "784000000000 bytes");
    expect_idx_fault(p.s, GAN_ERR_INPUT, "in a 34-byte file");
}

/* A 16-byte file promising 1 GiB is short whatever follows: refused before
 * the 1 GiB is allocated (a GAN_ERR_RUNTIME "out of memory" under a memory
 * limit would mean it was not). */
Test(idx, refuses_promise_larger_than_the_file_can_hold)
{
    test_path_t p = tmp_path("promise");
    const uint32_t dims[3] = {1024, 1024, 1024};
    write_header_and_data(p.s, 0x08, 3, dims, FIX_PIXELS);
    expect_idx_fault(p.s, GAN_ERR_INPUT, "more than a 34-byte file can hold");
}

/* idx_read_mem is the same reader on a buffer: the bytes of both fixture
 * files, raw and gzipped, give the pixels written, and a fault is named
 * after the given name. */
Test(idx, read_mem_matches_the_file_reader)
{
    for (int gz = 0; gz < 2; gz++) {
        test_path_t p = tmp_path(gz ? "mem.gz" : "mem");
        write_fix_images(p.s, gz);
        size_t n;
        uint8_t *bytes = slurp(p.s, &n);
        idx_t out;
        gan_err_t err = {{0}};
        cr_assert_eq(idx_read_mem(&out, bytes, n, "buffer", &err), GAN_OK, "%s", err.msg);
        cr_expect_eq(out.rank, 3);
        cr_expect_eq(out.n_elems, FIX_PIXELS);
        cr_expect_arr_eq(out.data, fix_images, FIX_PIXELS, "pixels differ (gz %d)", gz);
        idx_free(&out);
        cr_expect_eq(idx_read_mem(&out, bytes, n - 1, "buffer", &err), GAN_ERR_INPUT);
        cr_expect(strncmp(err.msg, "buffer: truncated", 17) == 0, "message: %s", err.msg);
        cr_expect_null(out.data);
        free(bytes);
    }
}

/* ---- mnist_load ------------------------------------------------------- */

static void expect_fixture_dataset(const mnist_t *ds)
{
    cr_expect_eq(ds->n, FIX_N);
    cr_expect_eq(ds->rows, FIX_ROWS);
    cr_expect_eq(ds->cols, FIX_COLS);
    cr_expect_arr_eq(ds->images, fix_images, FIX_PIXELS, "pixels differ from the ones written");
    cr_expect_arr_eq(ds->labels, fix_labels, FIX_N, "labels differ from the ones written");
}

static void load_fixture_pair(int gz)
{
    test_path_t img = tmp_path(gz ? "img.gz" : "img"), lab = tmp_path(gz ? "lab.gz" : "lab");
    write_fix_images(img.s, gz);
    write_labels(lab.s, fix_labels, FIX_N, gz);
    mnist_t ds;
    gan_err_t err = {{0}};
    cr_assert_eq(mnist_load(&ds, img.s, lab.s, &err), GAN_OK, "mnist_load: %s", err.msg);
    expect_fixture_dataset(&ds);
    mnist_free(&ds);
    cr_expect_null(ds.images, "mnist_free leaves a dangling pointer");
}

Test(mnist, loads_raw_pair_exactly)
{
    load_fixture_pair(0);
}

Test(mnist, loads_gzipped_pair_exactly)
{
    load_fixture_pair(1);
}

Test(mnist, rejects_count_mismatch)
{
    test_path_t img = tmp_path("img"), lab = tmp_path("lab");
    write_fix_images(img.s, 0);
    write_labels(lab.s, fix_labels, FIX_N - 1, 0);
    expect_mnist_fault(img.s, lab.s, lab.s, GAN_ERR_INPUT, "label count 2 differs from the image count 3");
}

Test(mnist, rejects_label_above_9)
{
    test_path_t img = tmp_path("img"), lab = tmp_path("lab");
    const uint8_t labels[FIX_N] = {5, 10, 9};
    write_fix_images(img.s, 0);
    write_labels(lab.s, labels, FIX_N, 0);
    expect_mnist_fault(img.s, lab.s, lab.s, GAN_ERR_INPUT, "label 10 at index 1");
}

Test(mnist, rejects_images_of_wrong_rank)
{
    test_path_t img = tmp_path("img"), lab = tmp_path("lab");
    const uint32_t dims[2] = {FIX_N, FIX_ROWS * FIX_COLS};
    write_header_and_data(img.s, 0x08, 2, dims, FIX_PIXELS);
    write_labels(lab.s, fix_labels, FIX_N, 0);
    expect_mnist_fault(img.s, lab.s, img.s, GAN_ERR_INPUT, "an IDX file of rank 2 (magic 0x00000802) where an images file");
}

Test(mnist, rejects_labels_of_wrong_rank)
{
    test_path_t img = tmp_path("img"), lab = tmp_path("lab");
    const uint32_t dims[2] = {FIX_N, 1};
    write_fix_images(img.s, 0);
    write_header_and_data(lab.s, 0x08, 2, dims, FIX_N);
    expect_mnist_fault(img.s, lab.s, lab.s, GAN_ERR_INPUT, "an IDX file of rank 2 (magic 0x00000802) where a labels file");
}

/* An image file whose magic says labels (0x0801) read as 60000 labels
 * followed by "trailing garbage"; a labels file given as the images file
 * is named as such too, and the other way round. */
Test(mnist, a_labels_file_where_images_were_expected_is_named_so)
{
    test_path_t img = tmp_path("img"), lab = tmp_path("lab"), bad = tmp_path("bad");
    write_fix_images(img.s, 0);
    write_labels(lab.s, fix_labels, FIX_N, 0);
    /* an images file whose magic was changed to the labels' 0x0801 */
    uint8_t buf[128];
    const uint32_t dims[3] = {FIX_N, FIX_ROWS, FIX_COLS};
    size_t len = idx_bytes(buf, sizeof buf, 0x08, 3, dims, fix_images, FIX_PIXELS);
    buf[3] = 1;
    test_write_file(bad.s, buf, len);
    expect_mnist_fault(bad.s, lab.s, bad.s, GAN_ERR_INPUT,
                       "a labels file (IDX magic 0x00000801) where an images file "
                       "(IDX magic 0x00000803) was expected");
    /* the two files swapped */
    expect_mnist_fault(lab.s, img.s, lab.s, GAN_ERR_INPUT,
                       "a labels file (IDX magic 0x00000801) where an images file");
    /* the images file given as the labels too */
    expect_mnist_fault(img.s, img.s, img.s, GAN_ERR_INPUT,
                       "an images file (IDX magic 0x00000803) where a labels file");
}

/* The images load, then the labels fail: the images must be freed (the
 * sanitizer and valgrind runs catch a leak) and the label file named. */
Test(mnist, reports_label_file_fault_after_images_load)
{
    test_path_t img = tmp_path("img"), lab = tmp_path("lab");
    write_fix_images(img.s, 0);
    expect_mnist_fault(img.s, lab.s, lab.s, GAN_ERR_INPUT, "not found");
}

/* ---- mnist_load_dir --------------------------------------------------- */

Test(mnist, load_dir_reads_gz_or_raw_names)
{
    test_path_t tr_img = tmp_path("train-images-idx3-ubyte.gz");
    test_path_t tr_lab = tmp_path("train-labels-idx1-ubyte.gz");
    test_path_t te_img = tmp_path("t10k-images-idx3-ubyte");
    test_path_t te_lab = tmp_path("t10k-labels-idx1-ubyte");
    write_fix_images(tr_img.s, 1);
    write_labels(tr_lab.s, fix_labels, FIX_N, 1);
    write_fix_images(te_img.s, 0);
    write_labels(te_lab.s, fix_labels, FIX_N, 0);

    mnist_t ds;
    gan_err_t err = {{0}};
    cr_assert_eq(mnist_load_dir(&ds, tmp_dir, 1, &err), GAN_OK, "train: %s", err.msg);
    expect_fixture_dataset(&ds);
    mnist_free(&ds);
    cr_assert_eq(mnist_load_dir(&ds, tmp_dir, 0, &err), GAN_OK, "test: %s", err.msg);
    expect_fixture_dataset(&ds);
    mnist_free(&ds);
}

/* With both present the .gz wins (download_mnist.sh writes the .gz; a stale
 * raw copy must not shadow it): the raw labels here are invalid. */
Test(mnist, load_dir_prefers_gz)
{
    const uint8_t bad_labels[FIX_N] = {11, 12, 13};
    write_fix_images(tmp_path("train-images-idx3-ubyte.gz").s, 1);
    write_labels(tmp_path("train-labels-idx1-ubyte.gz").s, fix_labels, FIX_N, 1);
    write_labels(tmp_path("train-labels-idx1-ubyte").s, bad_labels, FIX_N, 0);
    mnist_t ds;
    gan_err_t err = {{0}};
    cr_assert_eq(mnist_load_dir(&ds, tmp_dir, 1, &err), GAN_OK, "%s", err.msg);
    expect_fixture_dataset(&ds);
    mnist_free(&ds);
}

Test(mnist, load_dir_names_missing_file)
{
    char want[512];
    mnist_t ds;
    gan_err_t err = {{0}};
    snprintf(want, sizeof want, "%s/train-images-idx3-ubyte.gz: not found; run ./download_mnist.sh",
             tmp_dir);
    cr_expect_eq(mnist_load_dir(&ds, tmp_dir, 1, &err), GAN_ERR_INPUT);
    cr_expect_str_eq(err.msg, want);

    write_fix_images(tmp_path("t10k-images-idx3-ubyte.gz").s, 1);
    snprintf(want, sizeof want, "%s/t10k-labels-idx1-ubyte.gz: not found; run ./download_mnist.sh",
             tmp_dir);
    cr_expect_eq(mnist_load_dir(&ds, tmp_dir, 0, &err), GAN_ERR_INPUT);
    cr_expect_str_eq(err.msg, want);
    cr_expect(ds.images == NULL && ds.labels == NULL && ds.n == 0, "dataset not zeroed");
}

/* ---- mnist_batch ------------------------------------------------------ */

/* Expected values from (2p - 255) / 255 in double, an independent form of
 * p / 127.5 - 1. The ends must be exact. */
Test(mnist, batch_maps_pixels_to_minus_one_plus_one)
{
    uint8_t images[FIX_PIXELS];
    memcpy(images, fix_images, sizeof images);
    const mnist_t ds = {.images = images, .labels = NULL, .n = FIX_N, .rows = FIX_ROWS,
                        .cols = FIX_COLS};
    const uint32_t indices[4] = {2, 0, 0, 1};
    float x[4 * FIX_ROWS * FIX_COLS], want[4 * FIX_ROWS * FIX_COLS];
    const int d = FIX_ROWS * FIX_COLS;
    for (int b = 0; b < 4; b++)
        for (int i = 0; i < d; i++)
            want[b * d + i] = (float)((2.0 * fix_images[indices[b] * d + i] - 255.0) / 255.0);

    mnist_batch(x, &ds, indices, 4);

    /* Row 1 is image 0: 0, 255, 127, 128, 1, 254 by hand. */
    cr_expect_eq(x[d + 0], -1.0f, "pixel 0 -> %.9g, expected exactly -1", x[d + 0]);
    cr_expect_eq(x[d + 1], 1.0f, "pixel 255 -> %.9g, expected exactly +1", x[d + 1]);
    const float hand[6] = {-1.0f, 1.0f, -0.00392156863f, 0.00392156863f, -0.992156863f,
                           0.992156863f};
    /* Tolerance: one rounding of the float division (half an ulp of a value
     * below 2, 6e-8) and at most one of the subtraction. */
    expect_close(x + d, hand, 6, 1.2e-7, 0.0, "image 0 by hand");
    expect_close(x, want, 4 * (size_t)d, 1.2e-7, 0.0, "gathered batch");
}

/* ---- the real files --------------------------------------------------- */

/* Label counts of the MNIST training set (LeCun et al.), a known fingerprint
 * of the genuine files. */
Test(mnist, real_mnist_matches_known_counts)
{
    struct stat st;
    if (stat("data/mnist/train-images-idx3-ubyte.gz", &st) != 0)
        cr_skip_test("data/mnist/ not downloaded (run ./download_mnist.sh)");
    const size_t train_counts[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};

    mnist_t ds;
    gan_err_t err = {{0}};
    cr_assert_eq(mnist_load_dir(&ds, "data/mnist", 1, &err), GAN_OK, "train: %s", err.msg);
    cr_expect_eq(ds.n, 60000);
    cr_expect_eq(ds.rows, 28);
    cr_expect_eq(ds.cols, 28);
    cr_expect_eq(ds.labels[0], 5, "first training label %u, expected 5", ds.labels[0]);
    size_t hist[10] = {0}, total = 0;
    for (size_t i = 0; i < ds.n; i++)
        hist[ds.labels[i]]++;
    for (int c = 0; c < 10; c++) {
        cr_expect_eq(hist[c], train_counts[c], "label %d: %zu images, expected %zu", c, hist[c],
                     train_counts[c]);
        total += hist[c];
    }
    cr_expect_eq(total, ds.n);
    mnist_free(&ds);

    cr_assert_eq(mnist_load_dir(&ds, "data/mnist", 0, &err), GAN_OK, "test: %s", err.msg);
    cr_expect_eq(ds.n, 10000);
    cr_expect_eq(ds.rows, 28);
    cr_expect_eq(ds.cols, 28);
    size_t test_total = 0, test_hist[10] = {0};
    for (size_t i = 0; i < ds.n; i++)
        test_hist[ds.labels[i]]++;
    for (int c = 0; c < 10; c++)
        test_total += test_hist[c];
    cr_expect_eq(test_total, ds.n);
    mnist_free(&ds);
}
