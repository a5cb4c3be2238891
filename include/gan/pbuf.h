/* A minimal Protocol Buffers writer: just the wire format that TensorBoard's
 * event files need (https://protobuf.dev/programming-guides/encoding/).
 *
 * Wire types: 0 varint (int32, int64, uint32, uint64, bool, enum), 1 fixed 64-bit
 * (fixed64, double), 2 length-delimited (bytes, string, embedded message,
 * packed repeated), 5 fixed 32-bit (fixed32, float). No zigzag (sint*),
 * no groups, no reading.
 *
 * Writes go to a pbuf_t, either caller memory of a fixed size or a buffer
 * that grows by doubling. Writers do not return codes: a write that does
 * not fit (fixed buffer) or cannot grow (out of memory) sets a sticky
 * `failed` flag and makes every later write a no-op, so a whole message is
 * written and then checked once with pbuf_ok.
 *
 * Embedded messages: pbuf_begin reserves ONE byte for the length and
 * pbuf_end writes the real length; when it needs more than one byte (body
 * of 128 bytes or more) the body is moved up by the extra bytes. Small
 * messages (scalars: the common case) thus cost nothing extra, large ones
 * one memmove of their body (a 15 KB image: about a microsecond), and
 * nothing allocates when the buffer is already large enough. Two-pass sizing
 * would avoid the move but needs a size function per message type to be
 * kept in step with its writer by hand. */
#ifndef GAN_PBUF_H
#define GAN_PBUF_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"

typedef struct {
    uint8_t *data;
    size_t len;  /* bytes written */
    size_t cap;  /* bytes available at data */
    int growable; /* 1: data is ours (malloc) and grows; 0: caller's memory */
    int failed;   /* sticky: a write did not fit or could not grow */
} pbuf_t;

enum {
    PBUF_WIRE_VARINT = 0,
    PBUF_WIRE_FIXED64 = 1,
    PBUF_WIRE_LEN = 2,
    PBUF_WIRE_FIXED32 = 5
};

/* ---- set-up ------------------------------------------------------------- */

/* A growable buffer with cap bytes allocated now (at least 1). Free it with
 * pbuf_free. GAN_ERR_RUNTIME when the allocation fails. */
int pbuf_init_grow(pbuf_t *b, size_t cap, gan_err_t *err);
/* A buffer over caller memory mem[0..cap), never grown or freed. */
void pbuf_init_fixed(pbuf_t *b, void *mem, size_t cap);
/* Frees a growable buffer's memory; accepts NULL and fixed buffers. */
void pbuf_free(pbuf_t *b);
/* Empties the buffer (keeps its memory) and clears the failed flag. */
void pbuf_reset(pbuf_t *b);
/* 1 while every write so far fitted, else 0. */
int pbuf_ok(const pbuf_t *b);
/* Makes room for n more bytes now (growable buffers), so that the writes
 * that follow do not allocate; sets failed when it cannot. */
void pbuf_reserve(pbuf_t *b, size_t n);

/* ---- raw pieces (no field tag) ------------------------------------------ */

void pbuf_put_raw(pbuf_t *b, const void *p, size_t n);
/* Base-128 varint, least significant group first: 1 to 10 bytes. */
void pbuf_put_varint(pbuf_t *b, uint64_t v);
/* Little-endian, whatever the host's byte order. */
void pbuf_put_fixed32(pbuf_t *b, uint32_t v);
void pbuf_put_fixed64(pbuf_t *b, uint64_t v);
/* The IEEE-754 bits of v as fixed32 / fixed64. */
void pbuf_put_float(pbuf_t *b, float v);
void pbuf_put_double(pbuf_t *b, double v);
/* A field key: (field << 3) | wire_type as a varint. field >= 1. */
void pbuf_put_tag(pbuf_t *b, uint32_t field, int wire_type);
/* Bytes pbuf_put_varint would write for v. */
size_t pbuf_varint_size(uint64_t v);

/* ---- fields (key + value) ----------------------------------------------- */

/* uint32/uint64/bool/enum. */
void pbuf_uint64(pbuf_t *b, uint32_t field, uint64_t v);
/* int32/int64: a negative value is sign-extended to 64 bits (10 bytes),
 * as the encoding guide requires for both. */
void pbuf_int64(pbuf_t *b, uint32_t field, int64_t v);
void pbuf_fixed32(pbuf_t *b, uint32_t field, uint32_t v);
void pbuf_fixed64(pbuf_t *b, uint32_t field, uint64_t v);
void pbuf_float(pbuf_t *b, uint32_t field, float v);
void pbuf_double(pbuf_t *b, uint32_t field, double v);
/* bytes: n bytes of p (p may be NULL when n is 0). */
void pbuf_bytes(pbuf_t *b, uint32_t field, const void *p, size_t n);
/* string: the NUL-terminated s, without its NUL. */
void pbuf_string(pbuf_t *b, uint32_t field, const char *s);
/* packed repeated double: one length-delimited field of n * 8 bytes. */
void pbuf_packed_double(pbuf_t *b, uint32_t field, const double *v, size_t n);

/* Embedded message (or any length-delimited field built in pieces): begin
 * writes the key and reserves the length, returns a mark; write the body;
 * end(mark) fills in the length. Nest freely, ending in reverse order. */
size_t pbuf_begin(pbuf_t *b, uint32_t field);
void pbuf_end(pbuf_t *b, size_t mark);

#endif
