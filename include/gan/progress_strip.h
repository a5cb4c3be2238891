/* The progress strip of a run: one picture of how its generator changed,
 * one row per saved sample grid (samples/epoch_NNNN.png, oldest on top),
 * each row the first cells of that grid's first row. The grids are G of
 * the same fixed noise at every epoch, so a column follows one noise
 * vector through training.
 *
 * Layout as png_grid.h: rows x cols cells of cell x cell pixels with
 * `padding` pixels of 0 around and between them, where rows is the number
 * of grids and cols = min(max_cols, the grids' columns). The pixels are the
 * grids' own (decoded, not regenerated), so a strip row equals the cells of
 * its grid byte for byte.
 *
 * Reads PNGs (stb_image, PNG only, compiled into progress_strip.c with its
 * symbols private); writes nothing: the caller encodes the strip
 * (progress_strip_png) and stores it where it wants. */
#ifndef GAN_PROGRESS_STRIP_H
#define GAN_PROGRESS_STRIP_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"

/* The report's strips: 8 columns, few enough to stay small on the page. */
#define PROGRESS_STRIP_COLS 8

typedef struct {
    uint8_t *pixels;  /* width x height, row-major, owned */
    int width, height;
    int rows, cols;
} progress_strip_t;

/* Builds the strip from the grid PNGs paths[0..n) (one row each, in that
 * order), grids of cell x cell images with `padding` (28 and 2 for a
 * run's grids). GAN_ERR_INPUT naming the file when a grid cannot be read
 * or decoded, when its size does not fit that layout, or when it differs
 * from the first grid's size; GAN_ERR_RUNTIME when memory runs out. On
 * error *out holds nothing. */
int progress_strip_build(progress_strip_t *out, const char *const *paths, int n, int cell,
                         int padding, int max_cols, gan_err_t *err);

/* The strip as an 8-bit gray PNG in memory (*png malloc'ed, the caller
 * frees). GAN_ERR_RUNTIME when encoding fails. */
int progress_strip_png(unsigned char **png, size_t *size, const progress_strip_t *strip,
                       gan_err_t *err);

/* Frees the pixels; NULL and a zeroed strip are fine. */
void progress_strip_free(progress_strip_t *strip);

#endif
