/* Progress strips from a run's sample grids; see progress_strip.h.
 *
 * The PNG decoder is stb_image, compiled into this file only, PNG only,
 * from memory only (the bytes come through fs_read_all, which refuses what
 * is not a regular file or is too large before reading), with
 * STB_IMAGE_STATIC so its symbols never clash with libstb.so, which the
 * tests link to read files back. This file does not write files. */
#include "gan/progress_strip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/fsutil.h"
#include "gan/png_grid.h"

/* A 32 x 32 grid of 28 px cells is ~1 MB of PNG at worst; 16 MB stops
 * absurd files, and STBI_MAX_DIMENSIONS absurd headers (png_grid's own
 * limit on a side). */
#define GRID_MAX_BYTES ((size_t)16 << 20)

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS (1 << 16)
/* With STB_IMAGE_STATIC the loaders we do not call are unused static
 * functions. Two of them (stbi_load_gif_from_memory, which STBI_ONLY_PNG
 * leaves declared, and stbi_set_unpremultiply_on_load_thread, which stb
 * 2.27 never defines) are reported at the end of the file, which a
 * push/pop around the include does not reach: this file therefore ignores
 * -Wunused-function to its end. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image.h>

/* Decodes the grid at path into *pixels (gray, *w x *h, stbi's malloc). */
static int load_grid(uint8_t **pixels, int *w, int *h, const char *path, gan_err_t *err)
{
    char *data = NULL;
    size_t n = 0;
    int rc = fs_read_all(path, GRID_MAX_BYTES, &data, &n, err);
    if (rc)
        return rc;
    int comp = 0;
    *pixels = stbi_load_from_memory((const stbi_uc *)data, (int)n, w, h, &comp, 1);
    free(data);
    if (!*pixels)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: not a PNG image (%s)", path,
                           stbi_failure_reason());
    return GAN_OK;
}

int progress_strip_build(progress_strip_t *out, const char *const *paths, int n, int cell,
                         int padding, int max_cols, gan_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (n < 1 || cell < 1 || padding < 0 || max_cols < 1)
        return gan_err_set(err, GAN_ERR_INPUT, "progress strip: bad layout (%d grids, cell %d, "
                           "padding %d, %d columns)", n, cell, padding, max_cols);
    int step = cell + padding, grid_w = 0, grid_h = 0, rc = GAN_OK;
    for (int i = 0; i < n && !rc; i++) {
        uint8_t *grid = NULL;
        int w = 0, h = 0;
        rc = load_grid(&grid, &w, &h, paths[i], err);
        if (rc)
            break;
        if (i == 0) {
            grid_w = w;
            grid_h = h;
            if (w < step + padding || h < step + padding || (w - padding) % step ||
                (h - padding) % step)
                rc = gan_err_set(err, GAN_ERR_INPUT, "%s: %d x %d px is not a grid of %d px "
                                 "cells with %d px padding", paths[i], w, h, cell, padding);
            int grid_cols = (w - padding) / step;
            out->cols = grid_cols < max_cols ? grid_cols : max_cols;
            out->rows = n;
            png_grid_size(out->rows * out->cols, out->cols, cell, cell, padding, &out->width,
                          &out->height);
            if (!rc && out->width == 0)
                rc = gan_err_set(err, GAN_ERR_INPUT, "progress strip: %d rows of %d cells are "
                                 "too large for one image", out->rows, out->cols);
            if (!rc && !(out->pixels = calloc((size_t)out->width * out->height, 1)))
                rc = gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
        } else if (w != grid_w || h != grid_h) {
            rc = gan_err_set(err, GAN_ERR_INPUT, "%s: %d x %d px, but %s is %d x %d", paths[i],
                             w, h, paths[0], grid_w, grid_h);
        }
        /* Cell (0, c) of the grid becomes cell (i, c) of the strip. */
        for (int c = 0; c < out->cols && !rc; c++)
            for (int y = 0; y < cell; y++)
                memcpy(out->pixels + (size_t)(padding + i * step + y) * out->width + padding +
                           (size_t)c * step,
                       grid + (size_t)(padding + y) * w + padding + (size_t)c * step,
                       (size_t)cell);
        stbi_image_free(grid);
    }
    if (rc)
        progress_strip_free(out);
    return rc;
}

int progress_strip_png(unsigned char **png, size_t *size, const progress_strip_t *strip,
                       gan_err_t *err)
{
    *png = NULL;
    *size = 0;
    char *bytes = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&bytes, &len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    int rc = png_write_gray_fp(mem, strip->pixels, strip->width, strip->height,
                               "progress strip", err);
    if (fclose(mem) != 0 && !rc)
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "progress strip: out of memory");
    if (rc) {
        free(bytes);
        return rc;
    }
    *png = (unsigned char *)bytes;
    *size = len;
    return GAN_OK;
}

void progress_strip_free(progress_strip_t *strip)
{
    if (!strip)
        return;
    free(strip->pixels);
    memset(strip, 0, sizeof *strip);
}
