/* Protocol Buffers wire-format writer; see pbuf.h for the contract and the
 * choice made for embedded-message lengths. The encoding rules here
 * (varint groups, little-endian fixed widths, keys as field << 3 | wire
 * type, sign-extended negative int32/int64, packed repeated as one
 * length-delimited field) are those of the Protocol Buffers encoding guide.
 * This file knows nothing about TensorBoard's messages; events.c does. */
#include "gan/pbuf.h"

#include <stdlib.h>
#include <string.h>

int pbuf_init_grow(pbuf_t *b, size_t cap, gan_err_t *err)
{
    if (cap < 1)
        cap = 1;
    b->data = malloc(cap);
    b->len = 0;
    b->cap = b->data ? cap : 0;
    b->growable = 1;
    b->failed = b->data == NULL;
    if (!b->data)
        return gan_err_set(err, GAN_ERR_RUNTIME,
                           "out of memory for a %zu-byte protobuf buffer", cap);
    return GAN_OK;
}

void pbuf_init_fixed(pbuf_t *b, void *mem, size_t cap)
{
    b->data = mem;
    b->len = 0;
    b->cap = mem ? cap : 0;
    b->growable = 0;
    b->failed = 0;
}

void pbuf_free(pbuf_t *b)
{
    if (!b)
        return;
    if (b->growable)
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void pbuf_reset(pbuf_t *b)
{
    b->len = 0;
    b->failed = b->growable && b->data == NULL;
}

int pbuf_ok(const pbuf_t *b)
{
    return !b->failed;
}

/* Room for n more bytes: 1 if there is (after growing), else 0 with failed
 * set. Doubling keeps the number of reallocations logarithmic in the
 * largest message ever written. */
static int pbuf_room(pbuf_t *b, size_t n)
{
    if (b->failed)
        return 0;
    if (n <= b->cap - b->len)
        return 1;
    if (!b->growable || n > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return 0;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

void pbuf_reserve(pbuf_t *b, size_t n)
{
    pbuf_room(b, n);
}

void pbuf_put_raw(pbuf_t *b, const void *p, size_t n)
{
    if (n == 0 || !pbuf_room(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

size_t pbuf_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes the varint of v at p (which has room for it); returns its size. */
static size_t varint_encode(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

void pbuf_put_varint(pbuf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    pbuf_put_raw(b, tmp, varint_encode(tmp, v));
}

void pbuf_put_fixed32(pbuf_t *b, uint32_t v)
{
    uint8_t le[4];
    for (int i = 0; i < 4; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    pbuf_put_raw(b, le, sizeof le);
}

void pbuf_put_fixed64(pbuf_t *b, uint64_t v)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    pbuf_put_raw(b, le, sizeof le);
}

void pbuf_put_float(pbuf_t *b, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    pbuf_put_fixed32(b, bits);
}

void pbuf_put_double(pbuf_t *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    pbuf_put_fixed64(b, bits);
}

void pbuf_put_tag(pbuf_t *b, uint32_t field, int wire_type)
{
    pbuf_put_varint(b, ((uint64_t)field << 3) | (uint64_t)wire_type);
}

void pbuf_uint64(pbuf_t *b, uint32_t field, uint64_t v)
{
    pbuf_put_tag(b, field, PBUF_WIRE_VARINT);
    pbuf_put_varint(b, v);
}

void pbuf_int64(pbuf_t *b, uint32_t field, int64_t v)
{
    pbuf_uint64(b, field, (uint64_t)v);
}

void pbuf_fixed32(pbuf_t *b, uint32_t field, uint32_t v)
{
    pbuf_put_tag(b, field, PBUF_WIRE_FIXED32);
    pbuf_put_fixed32(b, v);
}

void pbuf_fixed64(pbuf_t *b, uint32_t field, uint64_t v)
{
    pbuf_put_tag(b, field, PBUF_WIRE_FIXED64);
    pbuf_put_fixed64(b, v);
}

void pbuf_float(pbuf_t *b, uint32_t field, float v)
{
    pbuf_put_tag(b, field, PBUF_WIRE_FIXED32);
    pbuf_put_float(b, v);
}

void pbuf_double(pbuf_t *b, uint32_t field, double v)
{
    pbuf_put_tag(b, field, PBUF_WIRE_FIXED64);
    pbuf_put_double(b, v);
}

void pbuf_bytes(pbuf_t *b, uint32_t field, const void *p, size_t n)
{
    pbuf_put_tag(b, field, PBUF_WIRE_LEN);
    pbuf_put_varint(b, n);
    pbuf_put_raw(b, p, n);
}

void pbuf_string(pbuf_t *b, uint32_t field, const char *s)
{
    pbuf_bytes(b, field, s, strlen(s));
}

void pbuf_packed_double(pbuf_t *b, uint32_t field, const double *v, size_t n)
{
    if (n > SIZE_MAX / 8) {
        b->failed = 1;
        return;
    }
    pbuf_put_tag(b, field, PBUF_WIRE_LEN);
    pbuf_put_varint(b, (uint64_t)n * 8);
    if (!pbuf_room(b, n * 8))
        return;
    for (size_t i = 0; i < n; i++)
        pbuf_put_double(b, v[i]);
}

size_t pbuf_begin(pbuf_t *b, uint32_t field)
{
    pbuf_put_tag(b, field, PBUF_WIRE_LEN);
    if (!pbuf_room(b, 1))
        return 0;
    size_t mark = b->len;
    b->data[b->len++] = 0; /* the length, filled in by pbuf_end */
    return mark;
}

void pbuf_end(pbuf_t *b, size_t mark)
{
    if (b->failed)
        return;
    size_t body = b->len - (mark + 1);
    size_t k = pbuf_varint_size(body);
    if (k > 1) {
        if (!pbuf_room(b, k - 1))
            return;
        memmove(b->data + mark + k, b->data + mark + 1, body);
        b->len += k - 1;
    }
    varint_encode(b->data + mark, body);
}
