/* The tests' own reader of TensorBoard event files, independent of
 * src/crc32c.c and src/events.c: a TFRecord splitter with the bit-by-bit
 * CRC-32C of RFC 3720, and Debian's protoc decoding each record against
 * tests/events/event.proto (transcribed from TensorFlow's field numbers)
 * into text that the helpers below pick fields from. Shared by
 * test_events.c (the writer) and test_tensorboard.c (the runs' files).
 * Static functions only: each test file gets its own copy. */
#ifndef GAN_TEST_TFRECORD_H
#define GAN_TEST_TFRECORD_H

#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* ---- reference CRC-32C: the bit-by-bit definition ------------------------ */

/* RFC 3720, 12.1: reflected polynomial 0x82F63B78, initial value and final
 * xor 0xFFFFFFFF; one bit at a time, no table. */
static uint32_t ref_crc32c(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

/* TensorFlow's crc32c.h: rotate right by 15, add 0xa282ead8. */
static uint32_t ref_mask(uint32_t c)
{
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}


/* ---- the test's own TFRecord reader -------------------------------------- */

typedef struct {
    const uint8_t *data;
    size_t n;
} rec_t;

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Splits buf into records (record_writer.h's layout), checking both masked
 * CRCs. Returns the number of records, or -1 with the reason in why. */
static long split_records(const uint8_t *buf, size_t n, rec_t *recs, long max, char *why,
                          size_t why_size)
{
    long count = 0;
    size_t off = 0;
    while (off < n) {
        if (n - off < 12) {
            snprintf(why, why_size, "record %ld: torn header at offset %zu", count, off);
            return -1;
        }
        uint64_t len = get_le(buf + off, 8);
        if ((uint32_t)get_le(buf + off + 8, 4) != ref_mask(ref_crc32c(buf + off, 8))) {
            snprintf(why, why_size, "record %ld: length CRC mismatch at offset %zu", count, off);
            return -1;
        }
        if (len > n - off - 12 || n - off - 12 - len < 4) {
            snprintf(why, why_size, "record %ld: torn data at offset %zu", count, off);
            return -1;
        }
        const uint8_t *data = buf + off + 12;
        if ((uint32_t)get_le(data + len, 4) != ref_mask(ref_crc32c(data, (size_t)len))) {
            snprintf(why, why_size, "record %ld: data CRC mismatch at offset %zu", count, off);
            return -1;
        }
        cr_assert_lt(count, max, "more than %ld records", max);
        recs[count].data = data;
        recs[count].n = (size_t)len;
        count++;
        off += 12 + (size_t)len + 4;
    }
    return count;
}

/* ---- protoc as the decoder ------------------------------------------------ */

#define PROTO_DIR "tests/events"
#define PROTO_FILE PROTO_DIR "/event.proto"

static void need_protoc(void)
{
    if (system("command -v protoc >/dev/null 2>&1") != 0)
        cr_skip_test("protoc not found: install Debian's protobuf-compiler "
                     "(scripts/install-deps.sh does) to decode event files");
    cr_assert_eq(access(PROTO_FILE, R_OK), 0, "%s missing: run the tests from the repository root",
                 PROTO_FILE);
}

/* protoc --decode of one record (files in work_dir), as malloc'd text. Also checks that no
 * field is unknown to event.proto and that protoc --encode of the text gives
 * back exactly the record's bytes. */
static char *decode_record(const char *work_dir, const rec_t *r)
{
    test_path_t in = test_path(work_dir, "rec.bin"), txt = test_path(work_dir, "rec.txt"),
                re = test_path(work_dir, "rec.re.bin");
    test_write_file(in.s, r->data, r->n);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "protoc --proto_path=" PROTO_DIR " --decode=tensorboard.Event " PROTO_FILE
             " < %s > %s",
             in.s, txt.s);
    cr_assert_eq(system(cmd), 0, "protoc could not decode a record of %zu bytes", r->n);
    char *text = test_read_file(txt.s, NULL);
    for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
        while (*line == ' ')
            line++;
        cr_expect(!(*line >= '0' && *line <= '9'), "field unknown to event.proto: %.40s", line);
    }
    snprintf(cmd, sizeof cmd,
             "protoc --proto_path=" PROTO_DIR " --encode=tensorboard.Event " PROTO_FILE
             " < %s > %s",
             txt.s, re.s);
    cr_assert_eq(system(cmd), 0, "protoc could not re-encode its own text");
    size_t n;
    uint8_t *again = test_read_file(re.s, &n);
    cr_expect(n == r->n && memcmp(again, r->data, n) == 0,
              "protoc re-encodes the record differently (%zu vs %zu bytes): not canonical", n,
              r->n);
    free(again);
    return text;
}

/* The value of the nth (0-based) line "key: value" of text (any depth),
 * as a pointer into text and its length; NULL when there is none. */
static const char *text_field(const char *text, const char *key, int nth, size_t *len)
{
    size_t k = strlen(key);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        const char *p = line;
        while (*p == ' ')
            p++;
        if (strncmp(p, key, k) == 0 && p[k] == ':' && p[k + 1] == ' ' && nth-- == 0) {
            *len = (size_t)(end - (p + k + 2));
            return p + k + 2;
        }
        line = *end ? end + 1 : end;
    }
    return NULL;
}

static int text_count(const char *text, const char *key)
{
    int n = 0;
    size_t len;
    while (text_field(text, key, n, &len))
        n++;
    return n;
}

/* A numeric field as double; a proto3 field left out (its default) is 0. */
static double text_num(const char *text, const char *key, int nth)
{
    size_t len;
    const char *v = text_field(text, key, nth, &len);
    return v ? strtod(v, NULL) : 0.0;
}

/* A quoted string field, unescaped (protoc's C escapes: \n \r \t \" \' \\
 * and three-digit octal), into a malloc'd buffer; length into *n. */
static uint8_t *text_bytes(const char *text, const char *key, size_t *n)
{
    size_t len;
    const char *v = text_field(text, key, 0, &len);
    cr_assert_not_null(v, "no field %s", key);
    cr_assert(len >= 2 && v[0] == '"' && v[len - 1] == '"', "%s is not a quoted string", key);
    uint8_t *out = malloc(len);
    size_t m = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        if (v[i] != '\\') {
            out[m++] = (uint8_t)v[i];
            continue;
        }
        char c = v[++i];
        if (c >= '0' && c <= '7') {
            int x = 0;
            for (int d = 0; d < 3 && v[i] >= '0' && v[i] <= '7'; d++, i++)
                x = x * 8 + (v[i] - '0');
            i--;
            out[m++] = (uint8_t)x;
        } else {
            out[m++] = (uint8_t)(c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
        }
    }
    *n = m;
    return out;
}

static int text_has_string(const char *text, const char *key, const char *want)
{
    size_t len;
    const char *v = text_field(text, key, 0, &len);
    size_t w = strlen(want);
    return v && len == w + 2 && v[0] == '"' && strncmp(v + 1, want, w) == 0;
}


#endif
