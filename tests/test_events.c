/* Tests for CRC-32C (src/crc32c.c), the protobuf writer (src/pbuf.c) and
 * the TensorBoard event-file writer (src/events.c).
 *
 * Independent references:
 *  - CRC-32C: RFC 3720 B.4's test vectors and "123456789" (the CRC
 *    catalogue's check value), and every table entry recomputed here with
 *    the bit-by-bit definition; the TFRecord mask against a value worked
 *    out by hand from the formula of TensorFlow's crc32c.h;
 *  - pbuf: byte sequences given in the Protocol Buffers encoding guide
 *    (150 in field 1 is 08 96 01, "testing" in field 2 is 12 07 74 65 ...);
 *  - event files: this file's own TFRecord reader (its CRC is the bitwise
 *    one, not the library's table) strips the framing, and Debian's protoc
 *    decodes every record against tests/events/event.proto, transcribed
 *    from TensorFlow's field numbers. The text protoc prints is checked
 *    field by field, and protoc re-encodes it to exactly the record's bytes
 *    (field order, defaults and packing as protobuf's own serializer).
 *    Histograms are checked against TF's default buckets as histogram.cc
 *    defines them, rebuilt here, with every value placed by upper_bound.
 * The event tests skip themselves when protoc is missing. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <stb_image.h>

#include "gan/crc32c.h"
#include "gan/events.h"
#include "gan/pbuf.h"
#include "gan/png_grid.h"
#include "test_util.h"
#include "tfrecord_decode.h"

TestSuite(crc32c);

Test(crc32c, rfc3720_b4_vectors)
{
    uint8_t buf[32];
    memset(buf, 0x00, sizeof buf);
    cr_expect_eq(crc32c_value(buf, 32), 0x8A9136AAu, "32 x 0x00: %08x", crc32c_value(buf, 32));
    memset(buf, 0xFF, sizeof buf);
    cr_expect_eq(crc32c_value(buf, 32), 0x62A8AB43u, "32 x 0xFF: %08x", crc32c_value(buf, 32));
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    cr_expect_eq(crc32c_value(buf, 32), 0x46DD794Eu, "0..31: %08x", crc32c_value(buf, 32));
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    cr_expect_eq(crc32c_value(buf, 32), 0x113FDB5Cu, "31..0: %08x", crc32c_value(buf, 32));
    /* B.4's iSCSI read command PDU (48 bytes). */
    static const uint8_t iscsi[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    cr_expect_eq(crc32c_value(iscsi, 48), 0xD9963A56u, "iSCSI read: %08x",
                 crc32c_value(iscsi, 48));
    cr_expect_eq(crc32c_value("123456789", 9), 0xE3069283u, "123456789: %08x",
                 crc32c_value("123456789", 9));
    cr_expect_eq(crc32c_value(NULL, 0), 0u, "empty input");
}

Test(crc32c, every_table_entry_matches_the_bitwise_definition)
{
    for (int b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        cr_expect_eq(crc32c_value(&byte, 1), ref_crc32c(&byte, 1), "byte 0x%02x", b);
    }
}

Test(crc32c, extend_continues_a_crc)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    for (size_t cut = 0; cut <= n; cut++)
        cr_expect_eq(crc32c_extend(crc32c_value(s, cut), s + cut, n - cut), ref_crc32c(s, n),
                     "split at %zu", cut);
}

Test(crc32c, mask_is_tensorflows_and_unmask_inverts_it)
{
    /* By hand: 0xE3069283 rotated right by 15 is 0x25073c0d; plus
     * 0xa282ead8 is 0xc78ab0e5 (mod 2^32). */
    cr_expect_eq(crc32c_mask(0xE3069283u), 0xc78ab0e5u, "%08x", crc32c_mask(0xE3069283u));
    cr_expect_eq(crc32c_mask(0), 0xa282ead8u);
    uint32_t x = 0x12345678u;
    for (int i = 0; i < 1000; i++, x = x * 1664525u + 1013904223u) {
        cr_expect_eq(crc32c_mask(x), ref_mask(x), "mask %08x", x);
        cr_expect_eq(crc32c_unmask(crc32c_mask(x)), x, "unmask %08x", x);
    }
}

/* ---- pbuf against the encoding guide ------------------------------------- */

TestSuite(pbuf);

static void expect_bytes(const pbuf_t *b, const uint8_t *want, size_t n, const char *label)
{
    cr_expect(pbuf_ok(b), "%s: buffer failed", label);
    cr_expect_eq(b->len, n, "%s: %zu bytes, expected %zu", label, b->len, n);
    for (size_t i = 0; i < n && i < b->len; i++)
        cr_expect_eq(b->data[i], want[i], "%s: byte %zu is %02x, expected %02x", label, i,
                     b->data[i], want[i]);
}

Test(pbuf, guide_examples)
{
    pbuf_t b;
    cr_assert_eq(pbuf_init_grow(&b, 4, NULL), GAN_OK);
    pbuf_uint64(&b, 1, 150);
    expect_bytes(&b, (const uint8_t[]){0x08, 0x96, 0x01}, 3, "150 in field 1");
    pbuf_reset(&b);
    pbuf_string(&b, 2, "testing");
    expect_bytes(&b, (const uint8_t[]){0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}, 9,
                 "\"testing\" in field 2");
    pbuf_reset(&b);
    /* int32 -2: ten bytes, sign-extended (guide, "Signed Integers"). */
    pbuf_int64(&b, 1, -2);
    expect_bytes(&b,
                 (const uint8_t[]){0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0x01},
                 11, "-2 in field 1");
    pbuf_reset(&b);
    pbuf_double(&b, 1, 1.0);
    pbuf_float(&b, 2, 1.0f);
    pbuf_fixed32(&b, 3, 0x01020304u);
    expect_bytes(&b,
                 (const uint8_t[]){0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x15, 0, 0, 0x80, 0x3f,
                                   0x1d, 0x04, 0x03, 0x02, 0x01},
                 19, "double 1, float 1, fixed32");
    pbuf_reset(&b);
    /* The guide's embedded message: Test3 {c = Test1 {a = 150}} in field 3. */
    size_t m = pbuf_begin(&b, 3);
    pbuf_uint64(&b, 1, 150);
    pbuf_end(&b, m);
    expect_bytes(&b, (const uint8_t[]){0x1a, 0x03, 0x08, 0x96, 0x01}, 5, "embedded");
    pbuf_reset(&b);
    /* Packed repeated: the guide's 3, 270, 86942 as varints differ from
     * doubles; here two doubles give length 16. */
    pbuf_packed_double(&b, 6, (const double[]){1.0, -2.0}, 2);
    expect_bytes(&b,
                 (const uint8_t[]){0x32, 0x10, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0,
                                   0x00, 0xc0},
                 18, "packed doubles");
    pbuf_free(&b);
    pbuf_free(NULL);
}

Test(pbuf, long_embedded_message_gets_a_two_byte_length)
{
    pbuf_t b;
    cr_assert_eq(pbuf_init_grow(&b, 1, NULL), GAN_OK);
    uint8_t body[300];
    for (int i = 0; i < 300; i++)
        body[i] = (uint8_t)(i * 7);
    size_t outer = pbuf_begin(&b, 5);
    size_t inner = pbuf_begin(&b, 1);
    pbuf_bytes(&b, 4, body, 200); /* 0x22, 0xc8 0x01, 200 bytes = 203 */
    pbuf_end(&b, inner);          /* 0x0a, 0xcb 0x01, 203 bytes = 206 */
    pbuf_end(&b, outer);          /* 0x2a, 0xce 0x01, 206 bytes = 209 */
    cr_assert(pbuf_ok(&b));
    cr_assert_eq(b.len, 209u, "%zu bytes", b.len);
    const uint8_t head[] = {0x2a, 0xce, 0x01, 0x0a, 0xcb, 0x01, 0x22, 0xc8, 0x01};
    cr_expect_eq(memcmp(b.data, head, sizeof head), 0, "keys and lengths");
    cr_expect_eq(memcmp(b.data + 9, body, 200), 0, "body moved intact");
    pbuf_free(&b);
}

Test(pbuf, fixed_buffer_overflow_is_sticky)
{
    uint8_t mem[4];
    pbuf_t b;
    pbuf_init_fixed(&b, mem, sizeof mem);
    pbuf_uint64(&b, 1, 150);
    cr_expect(pbuf_ok(&b));
    pbuf_uint64(&b, 1, 150);
    cr_expect(!pbuf_ok(&b), "6 bytes into 4 must fail");
    size_t len = b.len;
    pbuf_put_raw(&b, "x", 1);
    cr_expect_eq(b.len, len, "no write after a failure");
    pbuf_reset(&b);
    cr_expect(pbuf_ok(&b), "reset clears the failure");
    pbuf_free(&b); /* fixed memory: not freed */
}

static char tmp_dir[64];

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "events"); }
static void remove_tmp_dir(void) { test_tmpdir_remove(tmp_dir); }

TestSuite(events, .init = make_tmp_dir, .fini = remove_tmp_dir);

/* The one events file in tmp_dir, read whole; its name into name. */
static uint8_t *read_events_file(size_t *n, char *name, size_t name_size)
{
    DIR *d = opendir(tmp_dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "events.out.tfevents.", 20) == 0) {
            found++;
            snprintf(name, name_size, "%s", e->d_name);
        }
    closedir(d);
    cr_assert_eq(found, 1, "%d events files in %s, expected 1", found, tmp_dir);
    return test_read_file(test_path(tmp_dir, name).s, n);
}

enum { MAX_RECORDS = 64 };
/* 2023-11-14 22:13:20.25 UTC: exact in binary, so it must come back exactly. */
#define T0 1700000000.25

/* ---- event files ---------------------------------------------------------- */

Test(events, scalars_version_and_session_start_decode_with_protoc)
{
    need_protoc();
    events_writer_t *w;
    gan_err_t err = {""};
    cr_assert_eq(events_open(&w, tmp_dir, T0, &err), GAN_OK, "%s", err.msg);
    const struct {
        const char *tag;
        int64_t step;
        float value;
    } sc[] = {{"loss/g", 0, 0.0f},        {"loss/d", 1, 1.25f},
              {"d/acc", 937, -3.0e-8f},   {"quality/fd", 1LL << 40, 123456.789f},
              {"d/real", 50, 0.6931472f}, {"loss/g", 100, -0.0f}};
    enum { N_SC = sizeof sc / sizeof sc[0] };
    for (int i = 0; i < N_SC; i++)
        cr_assert_eq(events_write_scalar(w, sc[i].tag, sc[i].step, T0 + i, sc[i].value, &err),
                     GAN_OK, "%s", err.msg);
    cr_assert_eq(events_write_session_start(w, 937, T0 + 10, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(events_close(w, &err), GAN_OK, "%s", err.msg);

    size_t n;
    char name[256];
    uint8_t *file = read_events_file(&n, name, sizeof name);
    char host[256] = "";
    gethostname(host, sizeof host);
    char want[600];
    snprintf(want, sizeof want, "events.out.tfevents.1700000000.%s.%ld", host, (long)getpid());
    cr_expect_str_eq(name, want, "file name");

    rec_t recs[MAX_RECORDS];
    char why[200] = "";
    long nr = split_records(file, n, recs, MAX_RECORDS, why, sizeof why);
    cr_assert_eq(nr, 1 + N_SC + 1, "records: %ld (%s)", nr, why);

    char *t = decode_record(tmp_dir, &recs[0]);
    cr_expect(text_has_string(t, "file_version", "brain.Event:2"), "first record:\n%s", t);
    cr_expect_eq(text_num(t, "wall_time", 0), T0, "first record's wall_time:\n%s", t);
    cr_expect_eq(text_count(t, "step"), 0, "step 0 is the default, left out:\n%s", t);
    free(t);
    for (int i = 0; i < N_SC; i++) {
        t = decode_record(tmp_dir, &recs[1 + i]);
        cr_expect(text_has_string(t, "tag", sc[i].tag), "record %d tag:\n%s", i + 1, t);
        cr_expect_eq((int64_t)text_num(t, "step", 0), sc[i].step, "record %d step:\n%s", i + 1,
                     t);
        cr_expect_eq(text_num(t, "wall_time", 0), T0 + i, "record %d wall_time", i + 1);
        size_t len;
        const char *v = text_field(t, "simple_value", 0, &len);
        cr_expect_not_null(v, "record %d: simple_value missing (a oneof member is always "
                              "written, even 0):\n%s",
                           i + 1, t);
        float got = v ? strtof(v, NULL) : NAN;
        cr_expect(memcmp(&got, &sc[i].value, sizeof got) == 0, "record %d: %.9g, expected %.9g",
                  i + 1, (double)got, (double)sc[i].value);
        free(t);
    }
    t = decode_record(tmp_dir, &recs[nr - 1]);
    cr_expect(strstr(t, "session_log {") != NULL, "last record:\n%s", t);
    size_t len;
    const char *st = text_field(t, "status", 0, &len);
    cr_expect(st && len == 5 && strncmp(st, "START", 5) == 0, "status:\n%s", t);
    cr_expect_eq((int64_t)text_num(t, "step", 0), 937);
    free(t);
    free(file);
}

Test(events, image_carries_the_png_bytes_unchanged)
{
    need_protoc();
    /* A real 8 x 8 grid of 28 x 28 cells, as train.c writes it. */
    enum { N = 64, H = 28, W = 28 };
    float *img = malloc(sizeof(float) * N * H * W);
    for (int i = 0; i < N * H * W; i++)
        img[i] = sinf((float)i * 0.37f);
    test_path_t png_path = test_path(tmp_dir, "grid.png");
    gan_err_t err = {""};
    cr_assert_eq(png_grid_write(png_path.s, img, N, 8, H, W, 2, &err), GAN_OK, "%s", err.msg);
    free(img);
    size_t png_n;
    uint8_t *png = test_read_file(png_path.s, &png_n);
    remove(png_path.s);
    int gw, gh;
    png_grid_size(N, 8, H, W, 2, &gw, &gh);

    events_writer_t *w;
    cr_assert_eq(events_open(&w, tmp_dir, T0, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(events_write_image(w, "samples", 937, T0 + 1, png, png_n, gh, gw, EVENTS_GRAY,
                                    &err),
                 GAN_OK, "%s", err.msg);
    cr_assert_eq(events_close(w, &err), GAN_OK, "%s", err.msg);

    size_t n;
    char name[256];
    uint8_t *file = read_events_file(&n, name, sizeof name);
    rec_t recs[MAX_RECORDS];
    char why[200] = "";
    cr_assert_eq(split_records(file, n, recs, MAX_RECORDS, why, sizeof why), 2, "%s", why);
    char *t = decode_record(tmp_dir, &recs[1]);
    cr_expect(text_has_string(t, "tag", "samples"));
    cr_expect_eq((int)text_num(t, "height", 0), gh);
    cr_expect_eq((int)text_num(t, "width", 0), gw);
    cr_expect_eq((int)text_num(t, "colorspace", 0), 1);
    cr_expect_eq((int64_t)text_num(t, "step", 0), 937);
    size_t got_n;
    uint8_t *got = text_bytes(t, "encoded_image_string", &got_n);
    cr_expect(got_n == png_n && memcmp(got, png, png_n) == 0,
              "PNG bytes differ (%zu vs %zu bytes)", got_n, png_n);
    int dw, dh, ch;
    uint8_t *pix = stbi_load_from_memory(got, (int)got_n, &dw, &dh, &ch, 0);
    cr_expect(pix && dw == gw && dh == gh && ch == 1, "stb_image decodes %d x %d x %d", dw, dh,
              ch);
    stbi_image_free(pix);
    free(got);
    free(t);
    free(file);
    free(png);
}

/* TF's default bucket limits, rebuilt from histogram.cc's description:
 * 1e-12 growing by 10% while below 1e20, then DBL_MAX, mirrored, and 0. */
static double *tf_limits(size_t *n)
{
    double pos[1000];
    size_t k = 0;
    for (double v = 1.0e-12; v < 1.0e20; v *= 1.1)
        pos[k++] = v;
    pos[k++] = DBL_MAX;
    double *lim = malloc((2 * k + 1) * sizeof *lim);
    for (size_t i = 0; i < k; i++) {
        lim[i] = -pos[k - 1 - i];
        lim[k + 1 + i] = pos[i];
    }
    lim[k] = 0.0;
    *n = 2 * k + 1;
    return lim;
}

/* std::upper_bound: the first index whose limit is greater than x. */
static size_t upper_bound(const double *lim, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lim[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Writes a histogram of values[0..n) and checks protoc's decoding against
 * TF's definition: stats over the finite values, counts per default bucket
 * by upper_bound, empty runs merged, non-empty buckets kept one by one. */
static void check_histogram(const float *values, size_t n)
{
    events_writer_t *w;
    gan_err_t err = {""};
    cr_assert_eq(events_open(&w, tmp_dir, T0, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(events_write_histogram(w, "G/layer1/weights", 3, T0 + 1, values, n, &err),
                 GAN_OK, "%s", err.msg);
    cr_assert_eq(events_close(w, &err), GAN_OK, "%s", err.msg);
    size_t fn;
    char name[256];
    uint8_t *file = read_events_file(&fn, name, sizeof name);
    rec_t recs[MAX_RECORDS];
    char why[200] = "";
    cr_assert_eq(split_records(file, fn, recs, MAX_RECORDS, why, sizeof why), 2, "%s", why);
    char *t = decode_record(tmp_dir, &recs[1]);
    cr_expect(text_has_string(t, "tag", "G/layer1/weights"));
    cr_expect(strstr(t, "histo {") != NULL, "no histo:\n%.400s", t);

    size_t nl;
    double *lim = tf_limits(&nl);
    double *want = calloc(nl, sizeof *want);
    double mn = DBL_MAX, mx = -DBL_MAX, num = 0, sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        double x = values[i];
        if (!isfinite(x))
            continue;
        want[upper_bound(lim, nl, x)] += 1;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        num += 1;
        sum += x;
        sq += x * x;
    }
    cr_expect_eq(text_num(t, "min", 0), mn, "min %.17g vs %.17g", text_num(t, "min", 0), mn);
    cr_expect_eq(text_num(t, "max", 0), mx, "max");
    cr_expect_eq(text_num(t, "num", 0), num, "num");
    cr_expect_eq(text_num(t, "sum", 0), sum, "sum %.17g vs %.17g", text_num(t, "sum", 0), sum);
    cr_expect_eq(text_num(t, "sum_squares", 0), sq, "sum_squares");

    int m = text_count(t, "bucket_limit");
    cr_expect_eq(text_count(t, "bucket"), m, "as many buckets as limits");
    double total = 0;
    size_t prev = 0; /* default index after the previous written bucket */
    int prev_empty = 0;
    for (int j = 0; j < m; j++) {
        double l = text_num(t, "bucket_limit", j), c = text_num(t, "bucket", j);
        size_t idx = upper_bound(lim, nl, l);
        cr_assert(idx > 0 && lim[idx - 1] == l, "limit %d (%.17g) is not a default limit", j, l);
        idx--;
        double s = 0;
        for (size_t i = prev; i <= idx; i++)
            s += want[i];
        cr_expect_eq(c, s, "bucket %d up to %.17g: %g, expected %g", j, l, c, s);
        if (c > 0)
            cr_expect_eq(idx, prev, "non-empty bucket %d spans several default buckets", j);
        else
            cr_expect(!prev_empty, "empty buckets %d and %d not merged", j - 1, j);
        prev_empty = c == 0;
        total += c;
        prev = idx + 1;
    }
    cr_expect_eq(prev, nl, "the buckets end at DBL_MAX, the last default limit");
    cr_expect_eq(total, num, "bucket counts sum to %g, expected %g", total, num);
    free(want);
    free(lim);
    free(t);
    free(file);
    remove(test_path(tmp_dir, name).s); /* the next call's file is the only one */
}

Test(events, histogram_of_edge_values_follows_tf)
{
    need_protoc();
    const float v[] = {0.0f,     -0.0f,    1e-12f,   -1e-12f, 1.1e-12f, 1e-13f,  -1e-13f,
                       1e-40f,   -1e-40f,  0.5f,     -0.5f,   1.0f,     -1.0f,   3.0e20f,
                       -3.0e20f, FLT_MAX,  -FLT_MAX, 0.3f,    0.3f,     0.3f,    NAN,
                       INFINITY, -INFINITY};
    check_histogram(v, sizeof v / sizeof v[0]);
}

Test(events, histogram_of_a_layer_counts_every_weight)
{
    need_protoc();
    /* G's second layer, 512 x 256 weights of a He-like spread. */
    enum { N = 512 * 256 };
    float *v = malloc(N * sizeof *v);
    uint64_t s = 42;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0; /* [0, 1) */
        v[i] = (float)((u - 0.5) * 0.2 * (1.0 + 3.0 * u * u));
    }
    check_histogram(v, N);
    free(v);
}

Test(events, empty_histogram_is_tfs_empty_histogram)
{
    need_protoc();
    const float v[] = {NAN};
    check_histogram(v, 1);
    check_histogram(NULL, 0);
}

Test(events, flipped_byte_is_caught_by_the_crc)
{
    events_writer_t *w;
    gan_err_t err = {""};
    cr_assert_eq(events_open(&w, tmp_dir, T0, &err), GAN_OK, "%s", err.msg);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(events_write_scalar(w, "loss/g", i, T0 + i, 0.5f * (float)i, &err), GAN_OK,
                     "%s", err.msg);
    cr_assert_eq(events_close(w, &err), GAN_OK, "%s", err.msg);
    size_t n;
    char name[256];
    uint8_t *file = read_events_file(&n, name, sizeof name);
    rec_t recs[MAX_RECORDS];
    char why[200] = "";
    long nr = split_records(file, n, recs, MAX_RECORDS, why, sizeof why);
    cr_assert_eq(nr, 6, "intact file: %ld records (%s)", nr, why);

    /* A bit of the third record's data (record 2's tag) flipped. */
    size_t off = (size_t)(recs[2].data - file) + recs[2].n / 2;
    file[off] ^= 0x10;
    cr_expect_eq(split_records(file, n, recs, MAX_RECORDS, why, sizeof why), -1,
                 "a flipped data byte went unnoticed");
    cr_expect(strstr(why, "record 2: data CRC mismatch") != NULL, "%s", why);
    file[off] ^= 0x10;
    /* A bit of the fourth record's length. */
    off = (size_t)(recs[3].data - file) - 12 + 1;
    file[off] ^= 0x01;
    cr_expect_eq(split_records(file, n, recs, MAX_RECORDS, why, sizeof why), -1,
                 "a flipped length byte went unnoticed");
    cr_expect(strstr(why, "record 3: length CRC mismatch") != NULL, "%s", why);
    file[off] ^= 0x01;
    /* A torn last record (a crash mid-write) is reported as torn. */
    cr_expect_eq(split_records(file, n - 3, recs, MAX_RECORDS, why, sizeof why), -1);
    cr_expect(strstr(why, "record 5: torn") != NULL, "%s", why);
    free(file);
}

Test(events, bad_arguments_are_input_errors_and_write_nothing)
{
    events_writer_t *w;
    gan_err_t err = {""};
    cr_assert_eq(events_open(&w, tmp_dir, T0, &err), GAN_OK, "%s", err.msg);
    size_t n0;
    char name[256];
    free(read_events_file(&n0, name, sizeof name));
    cr_expect_eq(events_write_scalar(w, "", 1, T0, 1.0f, &err), GAN_ERR_INPUT);
    cr_expect(strstr(err.msg, "empty summary tag") != NULL, "%s", err.msg);
    cr_expect_eq(events_write_scalar(w, NULL, 1, T0, 1.0f, &err), GAN_ERR_INPUT);
    const uint8_t png[8] = {0x89, 'P', 'N', 'G'};
    cr_expect_eq(events_write_image(w, "x", 1, T0, png, 8, 0, 5, EVENTS_GRAY, &err),
                 GAN_ERR_INPUT);
    cr_expect_eq(events_write_image(w, "x", 1, T0, png, 8, 5, 5, (events_colorspace_t)9, &err),
                 GAN_ERR_INPUT);
    cr_expect_eq(events_write_image(w, "x", 1, T0, NULL, 0, 5, 5, EVENTS_GRAY, &err),
                 GAN_ERR_INPUT);
    cr_expect_eq(events_write_histogram(w, "h", 1, T0, NULL, 3, &err), GAN_ERR_INPUT);
    cr_assert_eq(events_close(w, &err), GAN_OK, "%s", err.msg);
    size_t n1;
    free(read_events_file(&n1, name, sizeof name));
    cr_expect_eq(n1, n0, "bad calls wrote %zu bytes", n1 - n0);
    cr_expect_eq(events_close(NULL, &err), GAN_OK, "close accepts NULL");
}

Test(events, missing_folder_is_a_runtime_error_naming_it)
{
    events_writer_t *w = (events_writer_t *)&w;
    gan_err_t err = {""};
    test_path_t dir = test_path(tmp_dir, "no/such/folder");
    cr_expect_eq(events_open(&w, dir.s, T0, &err), GAN_ERR_RUNTIME);
    cr_expect_null(w);
    cr_expect(strstr(err.msg, dir.s) != NULL && strstr(err.msg, "cannot create") != NULL, "%s",
              err.msg);
}

Test(events, second_writer_of_the_same_second_gets_its_own_file)
{
    events_writer_t *a, *b;
    gan_err_t err = {""};
    cr_assert_eq(events_open(&a, tmp_dir, T0, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(events_open(&b, tmp_dir, T0 + 0.5, &err), GAN_OK, "%s", err.msg);
    size_t la = strlen(events_path(a));
    cr_expect(strncmp(events_path(b), events_path(a), la) == 0 &&
                  strcmp(events_path(b) + la, ".1") == 0,
              "%s after %s", events_path(b), events_path(a));
    cr_expect_gt(strcmp(events_path(b), events_path(a)), 0, "sorts after the first");
    cr_expect_eq(events_close(a, &err), GAN_OK);
    cr_expect_eq(events_close(b, &err), GAN_OK);
}

Test(events, failed_write_is_a_runtime_error_naming_the_file_and_sticks)
{
    events_writer_t *w;
    gan_err_t err = {""};
    cr_assert_eq(events_open(&w, tmp_dir, T0, &err), GAN_OK, "%s", err.msg);
    struct rlimit old;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit lim = {4096, old.rlim_max};
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    /* 100 KB: more than the stdio buffer, so it reaches write(2) now. */
    enum { N = 100 * 1024 };
    uint8_t *big = calloc(N, 1);
    int rc = events_write_image(w, "samples", 1, T0, big, N, 10, 10, EVENTS_GRAY, &err);
    if (rc == GAN_OK)
        rc = events_flush(w, &err);
    cr_expect_eq(rc, GAN_ERR_RUNTIME);
    cr_expect(strstr(err.msg, events_path(w)) != NULL && strstr(err.msg, "failed") != NULL, "%s",
              err.msg);
    setrlimit(RLIMIT_FSIZE, &old);
    cr_expect_eq(events_write_scalar(w, "loss/g", 2, T0, 1.0f, &err), GAN_ERR_RUNTIME,
                 "writes after a failure fail too");
    cr_expect(strstr(err.msg, "earlier write failed") != NULL, "%s", err.msg);
    cr_expect_eq(events_close(w, &err), GAN_ERR_RUNTIME, "close reports the failure");
    free(big);
}
