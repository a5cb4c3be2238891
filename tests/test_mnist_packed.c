/* The packed training images (mnist_packed.h) against the dense ones:
 * every image unpacked by mnist_packed_batch must be the floats that
 * mnist_batch makes of the loaded bytes, bit for bit, on hand-made images
 * (all zero, all nonzero, a size that is not a multiple of 8) and on the
 * whole real training set, which must also pack to under 20 MB. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "gan/idx.h"
#include "gan/mnist_packed.h"
#include "gan/rng.h"
#include "test_util.h"

/* Unpacks images [0, n) of p and of ds in batches and compares the bits. */
static void expect_same_batches(const mnist_packed_t *p, const mnist_t *ds)
{
    enum { BATCH = 64 };
    const size_t d = (size_t)ds->rows * ds->cols;
    float *want = malloc(BATCH * d * sizeof *want), *got = malloc(BATCH * d * sizeof *got);
    uint32_t idx[BATCH];
    cr_assert(want && got);
    /* Backwards, so that offsets are used, not a running cursor. */
    for (size_t first = 0; first < ds->n; first += BATCH) {
        int batch = ds->n - first < BATCH ? (int)(ds->n - first) : BATCH;
        for (int b = 0; b < batch; b++)
            idx[b] = (uint32_t)(ds->n - 1 - first - (size_t)b);
        mnist_batch(want, ds, idx, batch);
        memset(got, 0x7f, BATCH * d * sizeof *got);
        mnist_packed_batch(got, p, idx, batch);
        if (memcmp(want, got, (size_t)batch * d * sizeof *got) != 0) {
            for (size_t i = 0; i < (size_t)batch * d; i++)
                cr_assert(memcmp(&want[i], &got[i], sizeof *got) == 0,
                          "image %u pixel %zu: unpacked %.9g, mnist_batch %.9g",
                          idx[i / d], i % d, (double)got[i], (double)want[i]);
        }
    }
    free(want);
    free(got);
}

Test(mnist_packed, hand_made_images_unpack_to_mnist_batch_bit_for_bit)
{
    enum { N = 5, ROWS = 3, COLS = 5 }; /* 15 pixels: a bitmap of 2 bytes, 1 bit spare */
    uint8_t images[N * ROWS * COLS], labels[N] = {0};
    memset(images, 0, ROWS * COLS);                    /* all background */
    memset(images + ROWS * COLS, 255, ROWS * COLS);    /* no zero at all */
    rng_t rng;
    rng_seed(&rng, 3, 0);
    for (int i = 2 * ROWS * COLS; i < N * ROWS * COLS; i++) {
        uint32_t r = (uint32_t)rng_next(&rng);
        images[i] = r % 3 ? 0 : (uint8_t)(r >> 8); /* mostly zeros, any value */
    }
    images[N * ROWS * COLS - 1] = 1; /* the last pixel: the bitmap's last used bit */
    mnist_t ds = {.images = images, .labels = labels, .n = N, .rows = ROWS, .cols = COLS};
    mnist_packed_t p;
    gan_err_t err;
    cr_assert_eq(mnist_pack(&p, &ds, N, &err), GAN_OK, "%s", err.msg);
    /* Hand-derived sizes: 2 bitmap bytes each, plus the nonzero pixels. */
    cr_expect_eq(p.offset[1] - p.offset[0], 2);
    cr_expect_eq(p.offset[2] - p.offset[1], 2 + ROWS * COLS);
    expect_same_batches(&p, &ds);
    mnist_packed_free(&p);
}

Test(mnist_packed, packing_the_first_n_leaves_the_rest_out)
{
    uint8_t images[4 * 4] = {0, 1, 0, 2, 3, 0, 0, 0, 9, 9, 9, 9, 0, 0, 0, 7}, labels[4] = {0};
    mnist_t ds = {.images = images, .labels = labels, .n = 4, .rows = 2, .cols = 2};
    mnist_packed_t p;
    gan_err_t err;
    cr_assert_eq(mnist_pack(&p, &ds, 2, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(p.n, 2);
    /* 1 bitmap byte each; image 0 has 2 nonzero pixels, image 1 has 1. */
    cr_expect_eq(p.offset[2], (1 + 2) + (1 + 1));
    ds.n = 2;
    expect_same_batches(&p, &ds);
    mnist_packed_free(&p);
}

Test(mnist_packed, the_real_training_set_unpacks_bit_for_bit_from_under_20_mb, .timeout = 120)
{
    mnist_t ds;
    gan_err_t err;
    if (mnist_load_dir(&ds, "data/mnist", 1, &err) != GAN_OK)
        cr_skip_test("%s (run ./download_mnist.sh)", err.msg);
    mnist_packed_t p;
    cr_assert_eq(mnist_pack(&p, &ds, ds.n, &err), GAN_OK, "%s", err.msg);
    cr_expect_lt(mnist_packed_size(&p), 20u << 20, "packed: %zu bytes (dense: %zu)",
                 mnist_packed_size(&p), ds.n * 784);
    expect_same_batches(&p, &ds);
    mnist_packed_free(&p);
    mnist_free(&ds);
}
