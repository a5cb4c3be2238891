/* Training images packed by their zeros; see mnist_packed.h. */
#include "gan/mnist_packed.h"

#include <stdlib.h>
#include <string.h>

static size_t bitmap_bytes(const mnist_packed_t *p)
{
    return ((size_t)p->rows * (size_t)p->cols + 7) / 8;
}

int mnist_pack(mnist_packed_t *out, const mnist_t *ds, size_t n, gan_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->n = n <= ds->n ? n : ds->n;
    out->rows = ds->rows;
    out->cols = ds->cols;
    const size_t d = (size_t)ds->rows * (size_t)ds->cols, map = bitmap_bytes(out);
    out->offset = malloc((out->n + 1) * sizeof *out->offset);
    if (!out->offset)
        goto oom;
    /* Two passes: sizes first, so the images go into one exact allocation. */
    uint64_t at = 0;
    for (size_t i = 0; i < out->n; i++) {
        const uint8_t *img = ds->images + i * d;
        size_t nonzero = 0;
        for (size_t k = 0; k < d; k++)
            nonzero += img[k] != 0;
        out->offset[i] = at;
        at += map + nonzero;
    }
    out->offset[out->n] = at;
    out->bytes = malloc(at ? at : 1);
    if (!out->bytes)
        goto oom;
    for (size_t i = 0; i < out->n; i++) {
        const uint8_t *img = ds->images + i * d;
        uint8_t *bits = out->bytes + out->offset[i], *values = bits + map;
        memset(bits, 0, map);
        for (size_t k = 0; k < d; k++)
            if (img[k]) {
                bits[k / 8] |= (uint8_t)(1u << (k % 8));
                *values++ = img[k];
            }
    }
    return GAN_OK;
oom:
    mnist_packed_free(out);
    return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory packing %zu training images", n);
}

void mnist_packed_free(mnist_packed_t *p)
{
    if (!p)
        return;
    free(p->bytes);
    free(p->offset);
    memset(p, 0, sizeof *p);
}

size_t mnist_packed_size(const mnist_packed_t *p)
{
    return p->offset ? (size_t)p->offset[p->n] + (p->n + 1) * sizeof *p->offset : 0;
}

void mnist_packed_batch(float *x, const mnist_packed_t *p, const uint32_t *indices, int batch)
{
    const size_t d = (size_t)p->rows * (size_t)p->cols, map = bitmap_bytes(p);
    /* 0 maps to 0 / 127.5 - 1 = -1 exactly, as in mnist_batch. */
    const float zero = 0.0f / 127.5f - 1.0f;
    for (int b = 0; b < batch; b++) {
        const uint8_t *bits = p->bytes + p->offset[indices[b]], *values = bits + map;
        float *restrict dst = x + (size_t)b * d;
        for (size_t k = 0; k < d; k++)
            dst[k] = zero;
        for (size_t byte = 0; byte < map; byte++)
            for (unsigned m = bits[byte]; m; m &= m - 1)
                dst[byte * 8 + (size_t)__builtin_ctz(m)] = (float)*values++ / 127.5f - 1.0f;
    }
}
