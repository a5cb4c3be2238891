/* NumPy .npy writer, format version 1.0, float32 and uint8; see npy.h.
 *
 * Format reference: numpy/lib/format.py (NEP 1). The header dict is written
 * byte for byte the way numpy.save writes it, padded so the data starts on a
 * 64-byte boundary (NumPy's ARRAY_ALIGN). Writes go through fsutil's atomic
 * writer. No reader, no other dtypes, no Fortran order: not needed here. */
#include "gan/npy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gan/fsutil.h"

enum {
    NPY_ALIGN = 64,      /* numpy.lib.format.ARRAY_ALIGN */
    NPY_PREAMBLE = 10,   /* magic (6) + version (2) + u16 header length (2) */
    NPY_HEADER_CAP = 1024 /* fits NPY_MAX_NDIM dims of 20 digits each */
};

/* Builds the padded header text (dict, spaces, '\n') into buf; returns its
 * length, a value that makes NPY_PREAMBLE + length a multiple of NPY_ALIGN. */
static size_t npy_header(char *buf, npy_dtype_t dtype, int ndim, const size_t *shape)
{
    size_t len = (size_t)snprintf(buf, NPY_HEADER_CAP,
                                  "{'descr': '%s', 'fortran_order': False, 'shape': (",
                                  dtype == NPY_UINT8 ? "|u1" : "<f4");
    for (int i = 0; i < ndim; i++)
        len += (size_t)snprintf(buf + len, NPY_HEADER_CAP - len, i ? ", %zu" : "%zu", shape[i]);
    /* A 1-tuple needs its trailing comma, as in Python: (3,). */
    len += (size_t)snprintf(buf + len, NPY_HEADER_CAP - len, ndim == 1 ? ",), }" : "), }");
    size_t total = NPY_PREAMBLE + len + 1; /* + the final '\n' */
    size_t padded = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    memset(buf + len, ' ', padded - total);
    len += padded - total;
    buf[len++] = '\n';
    return len;
}

/* Writes n floats as little-endian float32 whatever the host byte order. */
static int npy_write_data(FILE *fp, const float *data, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return n == 0 || fwrite(data, sizeof *data, n, fp) == n;
#else
    unsigned char chunk[4096];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &data[i], sizeof bits);
        for (int b = 0; b < 4; b++)
            chunk[used++] = (unsigned char)(bits >> (8 * b));
        if (used == sizeof chunk || i + 1 == n) {
            if (fwrite(chunk, 1, used, fp) != used)
                return 0;
            used = 0;
        }
    }
    return 1;
#endif
}

int npy_begin(npy_writer_t *w, const char *path, npy_dtype_t dtype, int ndim,
              const size_t *shape, gan_err_t *err)
{
    memset(w, 0, sizeof *w);
    if (ndim < 0 || ndim > NPY_MAX_NDIM)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: ndim %d outside 0..%d", path, ndim,
                           NPY_MAX_NDIM);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] != 0 && count > SIZE_MAX / sizeof(float) / shape[i])
            return gan_err_set(err, GAN_ERR_INPUT, "%s: array too large", path);
        count *= shape[i];
    }
    char header[NPY_HEADER_CAP];
    size_t header_len = npy_header(header, dtype, ndim, shape);
    unsigned char preamble[NPY_PREAMBLE] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                            (unsigned char)(header_len & 0xff),
                                            (unsigned char)(header_len >> 8)};
    int rc = atomic_begin(&w->af, path, err);
    if (rc)
        return rc;
    w->dtype = dtype;
    w->expected = count;
    if (fwrite(preamble, 1, sizeof preamble, w->af.fp) != sizeof preamble ||
        fwrite(header, 1, header_len, w->af.fp) != header_len) {
        int e = errno;
        npy_abort(w);
        return gan_err_set(err, GAN_ERR_RUNTIME,
                           "%s: write failed (%s); the previous file is untouched", path,
                           strerror(e));
    }
    return GAN_OK;
}

/* Checks an append of n elements of dtype against what the header declared. */
static int npy_check_append(npy_writer_t *w, npy_dtype_t dtype, size_t n, gan_err_t *err)
{
    if (!w->af.fp)
        return gan_err_set(err, GAN_ERR_INPUT, "npy writer: not open");
    if (dtype != w->dtype || n > w->expected - w->written) {
        const char *path = w->af.final_path;
        int rc = gan_err_set(err, GAN_ERR_INPUT, "%s: %s (%zu of %zu elements written, %zu more)",
                             path, dtype != w->dtype ? "wrong dtype" : "more elements than the shape holds",
                             w->written, w->expected, n);
        npy_abort(w);
        return rc;
    }
    return GAN_OK;
}

static int npy_write_failed(npy_writer_t *w, gan_err_t *err)
{
    int e = errno;
    int rc = gan_err_set(err, GAN_ERR_RUNTIME,
                         "%s: write failed (%s); the previous file is untouched",
                         w->af.final_path, strerror(e));
    npy_abort(w);
    return rc;
}

int npy_append_f32(npy_writer_t *w, const float *data, size_t n, gan_err_t *err)
{
    int rc = npy_check_append(w, NPY_FLOAT32, n, err);
    if (rc)
        return rc;
    if (!npy_write_data(w->af.fp, data, n))
        return npy_write_failed(w, err);
    w->written += n;
    return GAN_OK;
}

int npy_append_u8(npy_writer_t *w, const uint8_t *data, size_t n, gan_err_t *err)
{
    int rc = npy_check_append(w, NPY_UINT8, n, err);
    if (rc)
        return rc;
    if (n && fwrite(data, 1, n, w->af.fp) != n)
        return npy_write_failed(w, err);
    w->written += n;
    return GAN_OK;
}

int npy_commit(npy_writer_t *w, gan_err_t *err)
{
    if (w->af.fp && w->written != w->expected) {
        int rc = gan_err_set(err, GAN_ERR_INPUT, "%s: %zu of %zu elements written",
                             w->af.final_path, w->written, w->expected);
        npy_abort(w);
        return rc;
    }
    return atomic_commit(&w->af, err);
}

void npy_abort(npy_writer_t *w)
{
    atomic_abort(&w->af);
}

int npy_write(const char *path, const float *data, int ndim, const size_t *shape,
              gan_err_t *err)
{
    npy_writer_t w;
    int rc = npy_begin(&w, path, NPY_FLOAT32, ndim, shape, err);
    if (!rc)
        rc = npy_append_f32(&w, data, w.expected, err);
    return rc ? rc : npy_commit(&w, err);
}
