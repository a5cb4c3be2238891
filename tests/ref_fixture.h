/* Test-only reader for the PyTorch reference fixtures in tests/ref/, written
 * by tests/ref/make_fixtures.py (see its docstring for how to regenerate).
 *
 * Format (little-endian): 8-byte magic "GANREF01", u32 tensor count, then per
 * tensor: u32 name length, name bytes (no NUL), u32 ndim, u32 dims[ndim],
 * float32 data (row-major). Every size is checked against the file length.
 *
 * Any problem fails the current Criterion test with a message naming the
 * file; the reader never returns an error code. Bytes are decoded explicitly,
 * so the fixture reads the same on any host byte order. */
#ifndef GAN_TEST_REF_FIXTURE_H
#define GAN_TEST_REF_FIXTURE_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_MAGIC "GANREF01"
#define REF_MAX_NDIM 8

typedef struct {
    char *name;    /* NUL-terminated, points into the fixture's names */
    size_t count;  /* product of the dims */
    float *data;   /* count floats, points into the fixture's floats */
} ref_tensor_t;

typedef struct {
    char path[256];
    size_t n_tensors;
    ref_tensor_t *tensors; /* n_tensors, owned */
    char *names;           /* every name, NUL-terminated, owned */
    float *floats;         /* every tensor's data, owned */
} ref_fixture_t;

/* Frees everything; accepts NULL. */
static inline void ref_close(ref_fixture_t *f)
{
    if (!f)
        return;
    free(f->tensors);
    free(f->names);
    free(f->floats);
    free(f);
}

/* Reads a little-endian u32 at *pos if 4 bytes remain; advances *pos. */
static inline int ref_read_u32_(const unsigned char *buf, size_t len, size_t *pos,
                                uint32_t *out)
{
    if (len - *pos < 4)
        return 0;
    const unsigned char *p = buf + *pos;
    *out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
    *pos += 4;
    return 1;
}

/* Parses buf into f (whose path is set); returns NULL on success, otherwise
 * what is wrong. */
static inline const char *ref_parse_(ref_fixture_t *f, const unsigned char *buf,
                                     size_t len)
{
    size_t pos = 8;
    uint32_t n;
    if (len < 8 || memcmp(buf, REF_MAGIC, 8) != 0)
        return "bad magic (expected GANREF01)";
    if (!ref_read_u32_(buf, len, &pos, &n))
        return "truncated before the tensor count";
    /* Each tensor takes at least 8 bytes (name length, ndim). */
    if (n > (len - pos) / 8)
        return "tensor count larger than the file can hold";
    f->n_tensors = n;
    /* Names and floats are both bounded by the file length, so these sizes
     * cannot overflow. */
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    f->names = malloc(len + n);
    f->floats = malloc(len / 4 * sizeof *f->floats + 1);
    if (!f->tensors || !f->names || !f->floats)
        return "out of memory";
    size_t name_pos = 0, float_pos = 0;
    for (uint32_t t = 0; t < n; t++) {
        ref_tensor_t *tensor = &f->tensors[t];
        uint32_t name_len, ndim, dim;
        if (!ref_read_u32_(buf, len, &pos, &name_len) || name_len > len - pos)
            return "truncated in a tensor name";
        if (name_len == 0 || memchr(buf + pos, '\0', name_len))
            return "empty tensor name or NUL inside a name";
        tensor->name = f->names + name_pos;
        memcpy(tensor->name, buf + pos, name_len);
        tensor->name[name_len] = '\0';
        name_pos += name_len + 1;
        pos += name_len;
        if (!ref_read_u32_(buf, len, &pos, &ndim) || ndim > REF_MAX_NDIM)
            return "truncated or too many dims (max 8)";
        size_t count = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            if (!ref_read_u32_(buf, len, &pos, &dim))
                return "truncated in a tensor's dims";
            if (dim != 0 && count > (len - pos) / 4 / dim)
                return "tensor data runs past the end of the file (truncated?)";
            count *= dim;
        }
        if (count > (len - pos) / 4)
            return "tensor data runs past the end of the file (truncated?)";
        tensor->count = count;
        tensor->data = f->floats + float_pos;
        for (size_t i = 0; i < count; i++) {
            uint32_t bits = 0;
            ref_read_u32_(buf, len, &pos, &bits); /* in bounds: checked above */
            memcpy(&tensor->data[i], &bits, sizeof bits);
        }
        float_pos += count;
        for (uint32_t prev = 0; prev < t; prev++)
            if (strcmp(f->tensors[prev].name, tensor->name) == 0)
                return "duplicate tensor name";
    }
    if (pos != len)
        return "trailing bytes after the last tensor";
    return NULL;
}

/* Reads and validates the whole fixture at path (relative to the repo root,
 * where the tests run). Fails the test on any problem; free with ref_close. */
static inline ref_fixture_t *ref_open(const char *path)
{
    char msg[512];
    const char *problem = NULL;
    unsigned char *buf = NULL;
    ref_fixture_t *f = calloc(1, sizeof *f);
    FILE *fp = fopen(path, "rb");
    long len = -1;
    if (!f) {
        problem = "out of memory";
    } else if (!fp) {
        problem = "cannot open (run the tests from the repository root)";
    } else if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
               fseek(fp, 0, SEEK_SET) != 0) {
        problem = "cannot seek";
    } else if (!(buf = malloc((size_t)len + 1))) {
        problem = "out of memory";
    } else if (fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        problem = "short read";
    } else {
        snprintf(f->path, sizeof f->path, "%s", path);
        problem = ref_parse_(f, buf, (size_t)len);
    }
    if (fp)
        fclose(fp);
    free(buf);
    if (problem) {
        snprintf(msg, sizeof msg,
                 "%s: %s; regenerate with /usr/bin/python3 tests/ref/make_fixtures.py",
                 path, problem);
        ref_close(f);
        f = NULL;
        cr_assert_fail("%s", msg);
    }
    return f;
}

/* Returns the data of tensor name, which must hold expected_count floats
 * (fails the test otherwise). The data lives until ref_close. */
static inline const float *ref_get(ref_fixture_t *f, const char *name,
                                   size_t expected_count)
{
    for (size_t t = 0; t < f->n_tensors; t++) {
        const ref_tensor_t *tensor = &f->tensors[t];
        if (strcmp(tensor->name, name) != 0)
            continue;
        cr_assert(tensor->count == expected_count,
                  "%s: tensor %s has %zu values, the test expects %zu",
                  f->path, name, tensor->count, expected_count);
        return tensor->data;
    }
    cr_assert_fail("%s: no tensor named %s; regenerate with /usr/bin/python3 "
                   "tests/ref/make_fixtures.py", f->path, name);
    return NULL;
}

/* ref_get on *f, opening path into *f on first use: tests open the fixture
 * inside the test body (not in .init), so a missing or corrupt fixture is
 * a plain test failure with the reader's message. */
static inline const float *ref_get_lazy(ref_fixture_t **f, const char *path, const char *name,
                                        size_t expected_count)
{
    if (!*f)
        *f = ref_open(path);
    return ref_get(*f, name, expected_count);
}

#endif
