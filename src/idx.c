/* IDX reader: one validated pass over a gzipped or raw IDX file.
 *
 * The whole file is treated as untrusted: the header is checked field by
 * field, the promised size is computed with overflow guards and capped before
 * anything is allocated, and the body must be exactly as long as the header
 * says (no fewer bytes, no trailing bytes). Every fault is reported as
 * "<path>: <fault>" and leaves the output zeroed.
 *
 * It deliberately knows nothing about MNIST (that is mnist.c) and only
 * accepts unsigned-byte elements, the one type MNIST-like datasets use. */
#include "gan/idx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_TYPE_U8 0x08
/* Far above any MNIST-like file (the training images are 47 MB), far below
 * what a corrupt header could ask for (up to 2^128 bytes). */
#define IDX_MAX_BYTES ((size_t)1 << 30)
/* gzread takes an unsigned length and returns an int count. */
#define IDX_READ_CHUNK ((size_t)1 << 30)
/* zlib's default is 8 KiB; a larger buffer means fewer read(2) calls. */
#define IDX_GZ_BUFFER (256u * 1024u)
#define IDX_REFETCH "re-run ./download_mnist.sh"

/* Turns zlib's error state into our code and message. A read(2) failure or
 * an allocation failure is a runtime problem; anything wrong with the bytes
 * is a bad input file. */
static int gz_fault(gzFile gz, const char *path, gan_err_t *err)
{
    int errnum = Z_OK;
    const char *what = gzerror(gz, &errnum);
    /* zlib prefixes its message with the name it was given, "<fd:N>" for a
     * gzdopen'ed file; we name the file ourselves. */
    const char *sep = strstr(what, ": ");
    if (what[0] == '<' && sep)
        what = sep + 2;
    if (errnum == Z_ERRNO)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: read error (%s)", path, what);
    if (errnum == Z_MEM_ERROR)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory in zlib", path);
    if (errnum == Z_BUF_ERROR)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: truncated gzip stream (%s); " IDX_REFETCH, path, what);
    return gan_err_set(err, GAN_ERR_INPUT, "%s: corrupt gzip stream (%s); " IDX_REFETCH,
                       path, what);
}

/* Reads up to n bytes into buf with as few gzread calls as the unsigned
 * length allows; *got is how many arrived (less than n only at end of
 * file). Fails on a zlib error, including a gzip stream cut off mid-way,
 * which gzread reports only through gzerror. */
static int read_full(size_t *got, gzFile gz, void *buf, size_t n, const char *path,
                     gan_err_t *err)
{
    unsigned char *p = buf;
    *got = 0;
    while (*got < n) {
        size_t left = n - *got;
        unsigned chunk = (unsigned)(left < IDX_READ_CHUNK ? left : IDX_READ_CHUNK);
        int r = gzread(gz, p + *got, chunk);
        if (r < 0)
            return gz_fault(gz, path, err);
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    if (*got < n) {
        int errnum = Z_OK;
        gzerror(gz, &errnum);
        if (errnum != Z_OK)
            return gz_fault(gz, path, err);
    }
    return GAN_OK;
}

/* Counts the bytes left after the promised data. Reading on to the end
 * (rather than stopping at the first extra byte) matters for gzip: a
 * corrupt stream may inflate to too many bytes, and only the CRC check at
 * its end tells corruption apart from genuine trailing garbage. */
static int count_rest(size_t *extra, gzFile gz, const char *path, gan_err_t *err)
{
    unsigned char buf[4096];
    size_t got;
    *extra = 0;
    do {
        int rc = read_full(&got, gz, buf, sizeof buf, path, err);
        if (rc != GAN_OK)
            return rc;
        *extra += got;
    } while (got == sizeof buf);
    return GAN_OK;
}

/* Opens path for gzread, telling a missing file (the usual case: the data
 * was never downloaded) apart from other failures. */
static int open_gz(gzFile *gz, const char *path, gan_err_t *err)
{
    *gz = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: not found; run ./download_mnist.sh",
                               path);
        return gan_err_set(err, GAN_ERR_INPUT, "%s: cannot open (%s)", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return gan_err_set(err, GAN_ERR_INPUT, "%s: not a regular file", path);
    }
    *gz = gzdopen(fd, "rb");
    if (!*gz) {
        close(fd); /* gzdopen does not close fd when it fails */
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory opening the file", path);
    }
    /* Cannot fail: it is called before the first read. */
    gzbuffer(*gz, IDX_GZ_BUFFER);
    return GAN_OK;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Checks the header fields of the open file and fills rank, dims and
 * n_elems of out (not data). */
static int read_header(idx_t *out, gzFile gz, const char *path, gan_err_t *err)
{
    unsigned char head[4], dims[4 * IDX_MAX_RANK];
    size_t got;
    int rc = read_full(&got, gz, head, sizeof head, path, err);
    if (rc != GAN_OK)
        return rc;
    if (got < sizeof head)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: truncated header (%zu of 4 bytes); " IDX_REFETCH, path, got);
    if (head[0] != 0 || head[1] != 0)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: bad magic 0x%02x%02x (not an IDX file); " IDX_REFETCH, path,
                           head[0], head[1]);
    if (head[2] != IDX_TYPE_U8)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: element type 0x%02x, expected 0x08 (unsigned byte); "
                           IDX_REFETCH, path, head[2]);
    int rank = head[3];
    if (rank < 1 || rank > IDX_MAX_RANK)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: rank %d, expected 1..%d; " IDX_REFETCH,
                           path, rank, IDX_MAX_RANK);

    size_t n_dim_bytes = 4 * (size_t)rank;
    rc = read_full(&got, gz, dims, n_dim_bytes, path, err);
    if (rc != GAN_OK)
        return rc;
    if (got < n_dim_bytes)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: truncated header (%zu of %zu dimension bytes); " IDX_REFETCH,
                           path, got, n_dim_bytes);

    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        uint32_t d = be32(dims + 4 * i);
        if (d == 0)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: dimension %d is 0; " IDX_REFETCH,
                               path, i);
        /* n * d > IDX_MAX_BYTES, written so that it cannot overflow. */
        if (n > IDX_MAX_BYTES / d)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s: dimensions too large (dimension %d is %u; the data "
                               "would exceed the 1 GiB limit); corrupt header? " IDX_REFETCH,
                               path, i, d);
        n *= d;
        out->dims[i] = d;
    }
    out->rank = rank;
    out->n_elems = n;
    return GAN_OK;
}

/* Header, then the whole body (one gzread call, as the size cap keeps it
 * within gzread's chunk), then a check that nothing follows. */
static int read_all(idx_t *out, gzFile gz, const char *path, gan_err_t *err)
{
    int rc = read_header(out, gz, path, err);
    if (rc != GAN_OK)
        return rc;
    out->data = malloc(out->n_elems);
    if (!out->data)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory (%zu bytes)", path,
                           out->n_elems);
    size_t got;
    rc = read_full(&got, gz, out->data, out->n_elems, path, err);
    if (rc != GAN_OK)
        return rc;
    if (got < out->n_elems)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: truncated data (header promises %zu bytes, file has %zu); "
                           IDX_REFETCH, path, out->n_elems, got);
    size_t extra;
    rc = count_rest(&extra, gz, path, err);
    if (rc != GAN_OK)
        return rc;
    if (extra > 0)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: trailing garbage: %zu bytes after the %zu data bytes the "
                           "header promises; " IDX_REFETCH, path, extra, out->n_elems);
    return GAN_OK;
}

int idx_read(idx_t *out, const char *path, gan_err_t *err)
{
    memset(out, 0, sizeof *out);
    gzFile gz;
    int rc = open_gz(&gz, path, err);
    if (rc != GAN_OK)
        return rc;
    rc = read_all(out, gz, path, err);
    /* Nothing to learn from closing a file opened for reading: read_full
     * already asked gzerror about a stream cut off mid-way. */
    gzclose(gz);
    if (rc != GAN_OK)
        idx_free(out);
    return rc;
}

void idx_free(idx_t *idx)
{
    if (!idx)
        return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
