/* IDX reader: one validated pass over a gzipped or raw IDX file, from a
 * path or from memory (the fuzzer's way in), through the same code.
 *
 * The whole file is treated as untrusted: only a regular file is opened
 * (a FIFO would block), the header is checked field by field, the promised
 * size is computed with overflow guards and capped before anything is
 * allocated, and the body must be exactly as long as the header says (no
 * fewer bytes, no trailing bytes). The work is bounded by what the header
 * promises: past the promised data at most a small margin is inflated, so a
 * gzip bomb appended to a valid file costs next to nothing. Every fault is
 * reported as "<path>: <fault>" and leaves the output zeroed.
 *
 * gzip is decided by the first two bytes (1f 8b), as gzip(1) does, and
 * inflated with zlib directly rather than gzread, which would read any
 * trailing data to its end to find further gzip members. Several members
 * (`cat a.gz b.gz`, pigz, bgzip) are one content, as gzip(1) reads them:
 * after a member ends, a byte 1f starts the next one; anything else there
 * is trailing garbage.
 *
 * It deliberately knows nothing about MNIST (that is mnist.c) and only
 * accepts unsigned-byte elements, the one type MNIST-like datasets use. */
#include "gan/idx.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gan/fsutil.h"

#define IDX_TYPE_U8 0x08
/* Far above any MNIST-like file (the training images are 47 MB), far below
 * what a corrupt header could ask for (up to 2^128 bytes). */
#define IDX_MAX_BYTES ((size_t)1 << 30)
/* How far past the promised data we look: enough to count small trailing
 * garbage exactly and to reach the CRC at the end of a gzip stream that a
 * corruption made a little longer; little enough that a file with a huge
 * tail (a gzip bomb of zeros) is refused after reading next to nothing. */
#define IDX_TAIL_MARGIN ((size_t)64 << 10)
/* Compressed bytes read from the file at a time. */
#define IDX_IN_CHUNK ((size_t)256 << 10)
#define IDX_REFETCH "re-run ./download_mnist.sh"

/* The bytes of one IDX file, gzipped (first bytes 1f 8b, as gzip(1) itself
 * decides) or raw, from a caller's buffer or an open file. One inflate
 * stream either way, so both entry points share every check. */
typedef struct {
    const char *name; /* for messages */
    int want_rank;    /* 0: any; else the rank the caller expects */
    int fd;           /* -1: all input is in zs.next_in from the start */
    uint64_t in_size; /* bytes of the whole file or buffer */
    unsigned char *in_buf;
    int gzip;
    int zs_ready;     /* inflateInit2 succeeded: inflateEnd is due */
    int stream_end;   /* the gzip stream (trailer and CRC included) is complete */
    int in_eof;       /* no more input after zs.avail_in */
    z_stream zs;      /* next_in/avail_in are the unread input, raw files too */
} idx_src_t;

/* One read(2) of up to n bytes, retried on EINTR; *got 0 at end of file. */
static int read_some(idx_src_t *src, unsigned char *buf, size_t n, size_t *got, gan_err_t *err)
{
    ssize_t r;
    do
        r = read(src->fd, buf, n);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: read error (%s)", src->name,
                           strerror(errno));
    *got = (size_t)r;
    return GAN_OK;
}

/* Makes input available in zs once the previous input is used up (for
 * memory there is no more); sets in_eof at the end of the file. */
static int refill(idx_src_t *src, gan_err_t *err)
{
    if (src->zs.avail_in > 0 || src->in_eof)
        return GAN_OK;
    size_t got = 0;
    int rc = src->fd < 0 ? GAN_OK : read_some(src, src->in_buf, IDX_IN_CHUNK, &got, err);
    if (rc != GAN_OK)
        return rc;
    if (src->fd >= 0)
        src->zs.next_in = src->in_buf;
    src->zs.avail_in = (uInt)got;
    src->in_eof = got == 0;
    return GAN_OK;
}

/* Decides gzip or raw from the first two bytes and starts inflate. */
static int src_start(idx_src_t *src, gan_err_t *err)
{
    if (src->fd >= 0) {
        /* Reads until two bytes are in (a regular file gives them at once,
         * but nothing promises it). */
        size_t have = 0, got = 1;
        while (have < 2 && got > 0) {
            int rc = read_some(src, src->in_buf + have, IDX_IN_CHUNK - have, &got, err);
            if (rc != GAN_OK)
                return rc;
            have += got;
        }
        src->zs.next_in = src->in_buf;
        src->zs.avail_in = (uInt)have;
        src->in_eof = have == 0;
    }
    src->gzip = src->zs.avail_in >= 2 && src->zs.next_in[0] == 0x1f && src->zs.next_in[1] == 0x8b;
    if (!src->gzip)
        return GAN_OK;
    /* 15 + 16: a gzip wrapper only (its magic is already checked). */
    if (inflateInit2(&src->zs, 15 + 16) != Z_OK)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory in zlib", src->name);
    src->zs_ready = 1;
    return GAN_OK;
}

/* Up to n bytes of the file's content (inflated if gzipped) into buf; *got
 * is how many arrived, fewer than n only at the end of the content. A gzip
 * stream that stops before its end is "truncated", one that inflate or its
 * CRC rejects is "corrupt". */
static int src_read(idx_src_t *src, void *buf, size_t n, size_t *got, gan_err_t *err)
{
    unsigned char *out = buf;
    *got = 0;
    while (*got < n && !src->stream_end) {
        int rc = refill(src, err);
        if (rc != GAN_OK)
            return rc;
        size_t want = n - *got;
        if (!src->gzip) {
            if (src->zs.avail_in == 0)
                break;
            size_t take = want < src->zs.avail_in ? want : src->zs.avail_in;
            memcpy(out + *got, src->zs.next_in, take);
            src->zs.next_in += take;
            src->zs.avail_in -= (uInt)take;
            *got += take;
            continue;
        }
        if (src->zs.avail_in == 0)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s: truncated gzip stream (unexpected end of file); "
                               IDX_REFETCH, src->name);
        uInt chunk = want > (1u << 30) ? (1u << 30) : (uInt)want;
        src->zs.next_out = out + *got;
        src->zs.avail_out = chunk;
        int zrc = inflate(&src->zs, Z_NO_FLUSH);
        *got += chunk - src->zs.avail_out;
        if (zrc == Z_STREAM_END) {
            /* The end of one member: another may follow (gzip(1) reads
             * concatenated members as one content). */
            rc = refill(src, err);
            if (rc != GAN_OK)
                return rc;
            if (src->zs.avail_in > 0 && src->zs.next_in[0] == 0x1f) {
                if (inflateReset(&src->zs) != Z_OK)
                    return gan_err_set(err, GAN_ERR_RUNTIME, "%s: zlib cannot start the next "
                                       "gzip member", src->name);
            } else {
                src->stream_end = 1;
            }
        } else if (zrc == Z_MEM_ERROR)
            return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory in zlib", src->name);
        else if (zrc == Z_DATA_ERROR || zrc == Z_NEED_DICT || zrc == Z_STREAM_ERROR)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: corrupt gzip stream (%s); " IDX_REFETCH,
                               src->name, src->zs.msg ? src->zs.msg : "bad data");
        /* Z_OK and Z_BUF_ERROR (no progress until more input): go on. */
    }
    return GAN_OK;
}

/* Whether any compressed byte follows the end of the gzip stream (another
 * gzip member or garbage): one more read settles it. */
static int bytes_after_stream(int *any, idx_src_t *src, gan_err_t *err)
{
    int rc = refill(src, err);
    *any = src->zs.avail_in > 0;
    return rc;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* What a file of an IDX rank holds, by the MNIST naming (idx1 labels,
 * idx3 images), for the message when the other one was expected. */
static void rank_text(char *out, size_t size, int rank)
{
    if (rank == 1)
        snprintf(out, size, "a labels file (IDX magic 0x00000801)");
    else if (rank == 3)
        snprintf(out, size, "an images file (IDX magic 0x00000803)");
    else
        snprintf(out, size, "an IDX file of rank %d (magic 0x000008%02x)", rank, rank);
}

/* "<d0> x <d1> x ..." of the dims and their product in bytes, for the
 * message of a header promising more than IDX_MAX_BYTES. */
static int too_large(idx_src_t *src, const unsigned char *dims, int rank, gan_err_t *err)
{
    char shape[128] = "", total[40];
    unsigned long long n = 1;
    int overflow = 0;
    for (int i = 0; i < rank; i++) {
        uint32_t d = be32(dims + 4 * i);
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%u", i ? " x " : "", d);
        overflow |= n > ULLONG_MAX / d;
        n = overflow ? n : n * d;
    }
    if (overflow)
        snprintf(total, sizeof total, "over 2^64");
    else
        snprintf(total, sizeof total, "%llu", n);
    return gan_err_set(err, GAN_ERR_INPUT,
                       "%s: too large: the header promises %u items (%s = %s bytes, over the "
                       "1 GiB limit) in a %llu-byte %sfile; corrupt header? " IDX_REFETCH, src->name,
                       be32(dims), shape, total, (unsigned long long)src->in_size,
                       src->gzip ? "gzip " : "");
}

/* Checks the header fields of the open file and fills rank, dims and
 * n_elems of out (not data). */
static int read_header(idx_t *out, idx_src_t *src, gan_err_t *err)
{
    unsigned char head[4], dims[4 * IDX_MAX_RANK];
    size_t got;
    const char *path = src->name;
    int rc = src_read(src, head, sizeof head, &got, err);
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
    if (src->want_rank && rank != src->want_rank) {
        char is[64], want[64];
        rank_text(is, sizeof is, rank);
        rank_text(want, sizeof want, src->want_rank);
        return gan_err_set(err, GAN_ERR_INPUT, "%s: %s where %s was expected; check which file "
                           "is which, or " IDX_REFETCH, path, is, want);
    }

    size_t n_dim_bytes = 4 * (size_t)rank;
    rc = src_read(src, dims, n_dim_bytes, &got, err);
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
        if (n > IDX_MAX_BYTES / d) {
            for (int j = i + 1; j < rank; j++) /* a later 0 is the fault to name */
                if (be32(dims + 4 * j) == 0)
                    return gan_err_set(err, GAN_ERR_INPUT, "%s: dimension %d is 0; "
                                       IDX_REFETCH, path, j);
            return too_large(src, dims, rank, err);
        }
        n *= d;
        out->dims[i] = d;
    }
    out->rank = rank;
    out->n_elems = n;
    return GAN_OK;
}

/* Counts the content bytes after the promised data, but only up to
 * IDX_TAIL_MARGIN + 1 of them: *extra > IDX_TAIL_MARGIN means "more than
 * the margin". Within the margin a gzip stream is read to its end, so its
 * CRC still tells a corrupt stream (reported as such) from trailing
 * garbage. */
static int count_tail(size_t *extra, idx_src_t *src, gan_err_t *err)
{
    unsigned char buf[4096];
    *extra = 0;
    while (*extra <= IDX_TAIL_MARGIN) {
        size_t got;
        int rc = src_read(src, buf, sizeof buf, &got, err);
        if (rc != GAN_OK)
            return rc;
        *extra += got;
        if (got < sizeof buf)
            break;
    }
    return GAN_OK;
}

/* deflate expands at most 1032:1 (RFC 1951: a 258-byte match in about two
 * bits), so this many content bytes is more than in_size bytes can hold. */
#define IDX_DEFLATE_MAX_RATIO 1032

/* Header, then the whole body, then a bounded check that nothing follows. */
static int read_all(idx_t *out, idx_src_t *src, gan_err_t *err)
{
    const char *path = src->name;
    int rc = src_start(src, err);
    if (rc != GAN_OK)
        return rc;
    rc = read_header(out, src, err);
    if (rc != GAN_OK)
        return rc;
    /* A short file with a header promising up to 1 GiB must not cost a
     * 1 GiB allocation to be found short. */
    uint64_t most = src->gzip ? src->in_size * IDX_DEFLATE_MAX_RATIO : src->in_size;
    if (out->n_elems > most)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: truncated data (header promises %zu bytes, more than a %llu-byte "
                           "%sfile can hold); " IDX_REFETCH, path, out->n_elems,
                           (unsigned long long)src->in_size, src->gzip ? "gzip " : "");
    out->data = malloc(out->n_elems);
    if (!out->data)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory (%zu bytes)", path,
                           out->n_elems);
    size_t got;
    rc = src_read(src, out->data, out->n_elems, &got, err);
    if (rc != GAN_OK)
        return rc;
    if (got < out->n_elems)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: truncated data (header promises %zu bytes, file has %zu); "
                           IDX_REFETCH, path, out->n_elems, got);
    size_t extra;
    rc = count_tail(&extra, src, err);
    if (rc != GAN_OK)
        return rc;
    if (extra > IDX_TAIL_MARGIN)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: trailing garbage: more than %zu bytes after the %zu data bytes "
                           "the header promises; " IDX_REFETCH, path, IDX_TAIL_MARGIN,
                           out->n_elems);
    if (extra > 0)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: trailing garbage: %zu bytes after the %zu data bytes the "
                           "header promises; " IDX_REFETCH, path, extra, out->n_elems);
    if (src->gzip) {
        int any;
        rc = bytes_after_stream(&any, src, err);
        if (rc != GAN_OK)
            return rc;
        if (any)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s: trailing garbage after the end of the gzip stream; "
                               IDX_REFETCH, path);
    }
    return GAN_OK;
}

/* Reads from src (input set up by the caller) into out; zeroes out and
 * frees everything on error. */
static int read_src(idx_t *out, idx_src_t *src, gan_err_t *err)
{
    int rc = read_all(out, src, err);
    if (src->zs_ready)
        inflateEnd(&src->zs);
    if (rc != GAN_OK)
        idx_free(out);
    return rc;
}

int idx_read_mem(idx_t *out, const void *data, size_t size, const char *name, gan_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (size > IDX_MAX_BYTES * 2)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: larger than %zu bytes; " IDX_REFETCH, name,
                           IDX_MAX_BYTES * 2);
    idx_src_t src = {.name = name, .fd = -1, .in_size = size};
    src.zs.next_in = (Bytef *)data;
    src.zs.avail_in = (uInt)size;
    return read_src(out, &src, err);
}

int idx_read(idx_t *out, const char *path, gan_err_t *err)
{
    return idx_read_rank(out, path, 0, err);
}

int idx_read_rank(idx_t *out, const char *path, int rank, gan_err_t *err)
{
    memset(out, 0, sizeof *out);
    idx_src_t src = {.name = path, .fd = -1, .want_rank = rank};
    int rc = fs_open_regular(path, "run ./download_mnist.sh", &src.fd, &src.in_size, err);
    if (rc != GAN_OK)
        return rc;
    src.in_buf = malloc(IDX_IN_CHUNK);
    if (!src.in_buf) {
        close(src.fd);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", path);
    }
    rc = read_src(out, &src, err);
    free(src.in_buf);
    close(src.fd);
    return rc;
}
void idx_free(idx_t *idx)
{
    if (!idx)
        return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
