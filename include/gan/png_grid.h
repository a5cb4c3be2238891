/* Sample grids: a batch of generator outputs laid out like
 * torchvision.utils.make_grid and saved as an 8-bit grayscale PNG
 * (DESIGN.md, "Files a run writes": samples/epoch_NNNN.png).
 *
 * Layout: cols = min(nrow, n) images per row (torchvision's nrow; like
 * make_grid, a batch smaller than nrow gives a narrower grid), rows =
 * ceil(n / cols), and `padding` pixels of value 0 around and between the
 * cells (make_grid's pad_value 0). Cells past the last image stay 0.
 * Unlike make_grid, a single image still gets its padding.
 *
 * Pixel mapping from the tanh range, as torchvision's
 * save_image(normalize=True, value_range=(-1, 1)) does it in float32:
 * x clamped to [-1, 1], t = (x + 1) / 2, pixel = floor(t * 255 + 0.5).
 * So -1 -> 0, 0 -> 128, 0.5 -> 191, +1 -> 255; NaN -> 0. */
#ifndef GAN_PNG_GRID_H
#define GAN_PNG_GRID_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gan/error.h"

/* Grid size in pixels for n images of h x w (all sizes >= 1, padding >= 0):
 * width = cols*(w+padding)+padding, height = rows*(h+padding)+padding.
 * Sizes too large for an int (or invalid arguments) give 0 x 0. */
void png_grid_size(int n, int nrow, int h, int w, int padding, int *width, int *height);

/* Renders the grid into pixels (width x height bytes, row-major, sized by
 * png_grid_size; the caller allocates). images: n x (h*w) floats, image i
 * at images + i*h*w, each row-major h x w. Does nothing for a grid that
 * png_grid_size gives 0 x 0. */
void png_grid_render(uint8_t *pixels, const float *images, int n, int nrow, int h, int w,
                     int padding);

/* Renders the grid and writes it to path as an 8-bit grayscale PNG, atomically
 * (a temporary file in the same folder renamed into place, see fsutil.h).
 * Returns GAN_OK; GAN_ERR_INPUT for invalid sizes; GAN_ERR_RUNTIME (message
 * names path) when memory, encoding or the write fails, and then no file
 * exists under path that was not there before (an old one is untouched). */
int png_grid_write(const char *path, const float *images, int n, int nrow, int h, int w,
                   int padding, gan_err_t *err);

/* Writes an already rendered gray image (width x height bytes, row-major)
 * as an 8-bit grayscale PNG, atomically. Errors as png_grid_write. */
int png_grid_write_pixels(const char *path, const uint8_t *pixels, int width, int height,
                          gan_err_t *err);

/* The pixel mapping above for n values: out[i] = byte of x[i]. */
void png_pixels_from_tanh(uint8_t *out, const float *x, size_t n);

/* Encodes a gray image (width x height bytes, row-major) as an 8-bit
 * grayscale PNG onto fp, not atomically and without fsync: for writers that
 * make many files and give their own guarantee for the whole set (a folder
 * of samples renamed into place, sample_out.h). GAN_ERR_INPUT for invalid
 * sizes; GAN_ERR_RUNTIME (naming name) when encoding or writing fails. */
int png_write_gray_fp(FILE *fp, const uint8_t *pixels, int width, int height, const char *name,
                      gan_err_t *err);

#endif
