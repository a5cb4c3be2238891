/* The checkpoint container (DESIGN.md, "Checkpoint format").
 *
 * Little-endian: 8-byte magic "GANCKPT1", u32 format version, u32 header
 * length, the JSON header bytes, u32 crc32 of the header, then sections,
 * each: u32 tag, u64 length, bytes, u32 crc32 (zlib) of the bytes.
 *
 * This module knows the container, not what a trainer puts in it: callers
 * pass tagged byte ranges and check section lengths against the
 * architecture in the header. Writes are atomic (fsutil.h). */
#ifndef GAN_CHECKPOINT_H
#define GAN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"

#define CKPT_VERSION 1
#define CKPT_MAX_SECTIONS 32

typedef struct {
    uint32_t tag;
    const void *data;
    uint64_t len;
} ckpt_section_t;

typedef struct {
    char *header;                         /* NUL-terminated JSON, owned */
    int n_sections;
    ckpt_section_t sections[CKPT_MAX_SECTIONS]; /* data points into blob */
    uint8_t *blob;                        /* the whole file, owned */
} ckpt_file_t;

/* zlib's CRC32 of len bytes (any length: zlib takes 32-bit lengths). */
uint32_t ckpt_crc32(const void *data, uint64_t len);

/* Writes header + sections to path atomically. GAN_ERR_RUNTIME on I/O
 * failure (disk full, ...), naming path; the old file is then untouched. */
int ckpt_write(const char *path, const char *header_json,
               const ckpt_section_t *sections, int n_sections, gan_err_t *err);

/* Reads and validates a whole checkpoint: magic, version, every length
 * against the file size, every CRC. GAN_ERR_INPUT with "<path>: <what>" on
 * any mismatch. On success the caller owns out (ckpt_free). */
int ckpt_read(ckpt_file_t *out, const char *path, gan_err_t *err);
void ckpt_free(ckpt_file_t *ckpt);

/* Reads only the JSON header of the checkpoint at path (after checking
 * magic, version and the header's CRC) into a malloc'ed NUL-terminated
 * string the caller frees: cheap where the whole file is tens of MB. Same
 * error contract as ckpt_read; *header is NULL on error. */
int ckpt_read_header(char **header, const char *path, gan_err_t *err);

/* The section with this tag if its length is exactly len, else NULL with
 * err filled ("<path>: section <name> ..."). */
const void *ckpt_section(const ckpt_file_t *ckpt, uint32_t tag, uint64_t len,
                         const char *path, const char *name, gan_err_t *err);

#endif
