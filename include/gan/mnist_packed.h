/* The training images as training holds them: packed by their zeros.
 *
 * Four in five MNIST pixels are 0 (background), so each image is kept as a
 * bitmap of its nonzero pixels (one bit per pixel, rows*cols/8 bytes
 * rounded up) followed by the values of those pixels in order: about 15 MB
 * for the 60,000 training images instead of 47 MB, which is what keeps a
 * training run's peak RSS under 100 MB with bf16's weight copies and
 * oneDNN on top. Unpacking a batch costs a few microseconds per image
 * against milliseconds per step. */
#ifndef GAN_MNIST_PACKED_H
#define GAN_MNIST_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"
#include "gan/idx.h"

typedef struct {
    size_t n;          /* images */
    int rows, cols;
    uint8_t *bytes;    /* owned; image i at bytes + offset[i] */
    uint64_t *offset;  /* owned; n + 1 entries */
} mnist_packed_t;

/* Packs the first n images of ds (n <= ds->n). GAN_ERR_RUNTIME out of
 * memory (out is then zeroed). */
int mnist_pack(mnist_packed_t *out, const mnist_t *ds, size_t n, gan_err_t *err);
void mnist_packed_free(mnist_packed_t *p);

/* Bytes held (the packed images and their offsets). */
size_t mnist_packed_size(const mnist_packed_t *p);

/* mnist_batch on the packed images: the same floats, bit for bit
 * (pixel p -> p/127.5 - 1). */
void mnist_packed_batch(float *x, const mnist_packed_t *p, const uint32_t *indices, int batch);

#endif
