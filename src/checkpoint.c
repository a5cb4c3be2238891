/* Checkpoint container reader and writer; see checkpoint.h.
 *
 * The reader treats the file as hostile: every length is checked against
 * the file size before it is used, nothing larger than the file is ever
 * allocated, and its messages name the damage without advice, because only
 * the caller knows the way out (a run has checkpoint.prev.bin, a classifier
 * has to be retrained). */
#include "gan/checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gan/fsutil.h"

static const char ckpt_magic[8] = {'G', 'A', 'N', 'C', 'K', 'P', 'T', '1'};

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* zlib's crc32 takes a uInt length: feed large sections in pieces. */
uint32_t ckpt_crc32(const void *data, uint64_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    const Bytef *p = data;
    while (len > 0) {
        uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return (uint32_t)crc;
}

int ckpt_write(const char *path, const char *header_json,
               const ckpt_section_t *sections, int n_sections, gan_err_t *err)
{
    atomic_file_t af;
    int rc = atomic_begin(&af, path, err);
    if (rc)
        return rc;
    uint8_t buf[16];
    size_t header_len = strlen(header_json);
    fwrite(ckpt_magic, 1, sizeof ckpt_magic, af.fp);
    put_u32(buf, CKPT_VERSION);
    put_u32(buf + 4, (uint32_t)header_len);
    fwrite(buf, 1, 8, af.fp);
    fwrite(header_json, 1, header_len, af.fp);
    put_u32(buf, ckpt_crc32(header_json, header_len));
    fwrite(buf, 1, 4, af.fp);
    for (int i = 0; i < n_sections; i++) {
        put_u32(buf, sections[i].tag);
        put_u64(buf + 4, sections[i].len);
        fwrite(buf, 1, 12, af.fp);
        if (sections[i].len)
            fwrite(sections[i].data, 1, sections[i].len, af.fp);
        put_u32(buf, ckpt_crc32(sections[i].data, sections[i].len));
        fwrite(buf, 1, 4, af.fp);
    }
    /* fwrite errors stick to the stream; atomic_commit checks ferror. */
    return atomic_commit(&af, err);
}

static int corrupt(ckpt_file_t *out, gan_err_t *err, const char *name, const char *what)
{
    ckpt_free(out);
    return gan_err_set(err, GAN_ERR_INPUT, "%s: damaged checkpoint (%s)", name, what);
}

/* Where the parser reads from: a caller's buffer, or an open regular file
 * read with pread, so the structure can be checked before the whole file is
 * loaded. */
typedef struct {
    const uint8_t *mem; /* NULL: read fd */
    int fd;
    uint64_t size;
} ckpt_source_t;

/* n bytes at offset (offset + n <= size, checked by the caller); -1 with
 * errno set (EIO for a file that shrank under us) if they cannot be read. */
static int source_read(const ckpt_source_t *src, uint64_t offset, void *buf, uint64_t n)
{
    if (src->mem) {
        if (n)
            memcpy(buf, src->mem + offset, n);
        return 0;
    }
    uint8_t *p = buf;
    while (n > 0) {
        size_t chunk = n > ((size_t)1 << 30) ? ((size_t)1 << 30) : (size_t)n;
        ssize_t got = pread(src->fd, p, chunk, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO;
            return -1;
        }
        p += got;
        offset += (uint64_t)got;
        n -= (uint64_t)got;
    }
    return 0;
}

static int read_failed(ckpt_file_t *out, gan_err_t *err, const char *name)
{
    int e = errno;
    ckpt_free(out);
    return gan_err_set(err, GAN_ERR_RUNTIME, "%s: read error (%s)", name, strerror(e));
}

/* Three passes, so that a hostile file costs little: the fixed header and
 * the JSON header (small, capped), then the section headers alone, checked
 * to add up to exactly the file size; only then is the whole file loaded
 * and every CRC checked. */
static int parse(ckpt_file_t *out, const ckpt_source_t *src, const char *name, int header_only,
                 gan_err_t *err)
{
    memset(out, 0, sizeof *out);
    const uint64_t size = src->size;
    if (size > CKPT_MAX_BYTES)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: larger than %llu bytes, the most a gan checkpoint can be; not a "
                           "checkpoint?", name, (unsigned long long)CKPT_MAX_BYTES);
    uint8_t fixed[16];
    if (size >= sizeof fixed && source_read(src, 0, fixed, sizeof fixed) != 0)
        return read_failed(out, err, name);
    if (size < sizeof fixed || memcmp(fixed, ckpt_magic, 8) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: not a gan checkpoint (bad magic)", name);
    uint32_t version = get_u32(fixed + 8);
    if (version != CKPT_VERSION)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: checkpoint format version %u, this gan reads version %d",
                           name, version, CKPT_VERSION);

    uint64_t header_len = get_u32(fixed + 12);
    uint64_t pos = sizeof fixed;
    if (header_len > CKPT_MAX_HEADER_BYTES)
        return corrupt(out, err, name, "header longer than 1 MiB");
    if (header_len > size - pos || size - pos - header_len < 4)
        return corrupt(out, err, name, "header length past the end of the file");
    out->header = malloc(header_len + 4 + 1);
    if (!out->header)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", name);
    if (source_read(src, pos, out->header, header_len + 4) != 0)
        return read_failed(out, err, name);
    uint32_t header_crc = get_u32((const uint8_t *)out->header + header_len);
    out->header[header_len] = '\0';
    if (ckpt_crc32(out->header, header_len) != header_crc)
        return corrupt(out, err, name, "header CRC mismatch");
    if (header_only)
        return GAN_OK;
    pos += header_len + 4;

    uint64_t offsets[CKPT_MAX_SECTIONS];
    while (pos < size) {
        if (size - pos < 12)
            return corrupt(out, err, name, "truncated section header");
        if (out->n_sections == CKPT_MAX_SECTIONS)
            return corrupt(out, err, name, "too many sections");
        uint8_t head[12];
        if (source_read(src, pos, head, sizeof head) != 0)
            return read_failed(out, err, name);
        uint64_t len = get_u64(head + 4);
        pos += 12;
        if (len > size - pos || size - pos - len < 4)
            return corrupt(out, err, name, "section length past the end of the file");
        /* A reader takes a tag's first section: a second one would be data
         * no check looks at, so a file with one is damaged. */
        uint32_t tag = get_u32(head);
        for (int i = 0; i < out->n_sections; i++)
            if (out->sections[i].tag == tag) {
                char what[64];
                snprintf(what, sizeof what, "section %u appears twice", tag);
                return corrupt(out, err, name, what);
            }
        offsets[out->n_sections] = pos;
        out->sections[out->n_sections++] = (ckpt_section_t){tag, NULL, len};
        pos += len + 4;
    }

    out->blob = malloc(size);
    if (!out->blob) {
        ckpt_free(out);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory (%llu bytes)", name,
                           (unsigned long long)size);
    }
    if (source_read(src, 0, out->blob, size) != 0)
        return read_failed(out, err, name);
    for (int i = 0; i < out->n_sections; i++) {
        ckpt_section_t *sec = &out->sections[i];
        sec->data = out->blob + offsets[i];
        if (ckpt_crc32(sec->data, sec->len) != get_u32(out->blob + offsets[i] + sec->len)) {
            char what[64];
            snprintf(what, sizeof what, "CRC mismatch in section %u", sec->tag);
            return corrupt(out, err, name, what);
        }
    }
    return GAN_OK;
}

int ckpt_read_mem(ckpt_file_t *out, const void *data, size_t size, const char *name,
                  gan_err_t *err)
{
    ckpt_source_t src = {data ? data : "", -1, size};
    return parse(out, &src, name, 0, err);
}

/* A checkpoint file as a source: a regular file only (a FIFO would block),
 * its size from fstat. */
static int open_source(ckpt_source_t *src, const char *path, gan_err_t *err)
{
    *src = (ckpt_source_t){NULL, -1, 0};
    return fs_open_regular(path, NULL, &src->fd, &src->size, err);
}

int ckpt_read(ckpt_file_t *out, const char *path, gan_err_t *err)
{
    memset(out, 0, sizeof *out);
    ckpt_source_t src = {NULL, -1, 0};
    int rc = open_source(&src, path, err);
    if (rc)
        return rc;
    rc = parse(out, &src, path, 0, err);
    close(src.fd);
    return rc;
}

void ckpt_free(ckpt_file_t *ckpt)
{
    if (!ckpt)
        return;
    free(ckpt->header);
    free(ckpt->blob);
    memset(ckpt, 0, sizeof *ckpt);
}

const void *ckpt_section(const ckpt_file_t *ckpt, uint32_t tag, uint64_t len,
                         const char *path, const char *name, gan_err_t *err)
{
    for (int i = 0; i < ckpt->n_sections; i++) {
        if (ckpt->sections[i].tag != tag)
            continue;
        if (ckpt->sections[i].len != len) {
            gan_err_set(err, GAN_ERR_INPUT,
                        "%s: section %s has %llu bytes, the header's architecture needs %llu",
                        path, name, (unsigned long long)ckpt->sections[i].len,
                        (unsigned long long)len);
            return NULL;
        }
        return ckpt->sections[i].data;
    }
    gan_err_set(err, GAN_ERR_INPUT, "%s: section %s missing", path, name);
    return NULL;
}

int ckpt_read_header(char **header, const char *path, gan_err_t *err)
{
    *header = NULL;
    ckpt_source_t src = {NULL, -1, 0};
    int rc = open_source(&src, path, err);
    if (rc)
        return rc;
    ckpt_file_t head;
    rc = parse(&head, &src, path, 1, err);
    close(src.fd);
    if (rc)
        return rc;
    *header = head.header; /* the only thing a header-only parse holds */
    return GAN_OK;
}
