/* Sample grids as 8-bit grayscale PNGs; see png_grid.h for the layout and the
 * pixel mapping (both follow torchvision's make_grid / save_image, so a grid
 * from this program and one from a PyTorch twin line up pixel for pixel).
 *
 * The PNG encoder is stb_image_write, compiled into this file only
 * (STB_IMAGE_WRITE_STATIC keeps its symbols private, so they never clash with
 * libstb.so, which the tests link for stb_image) with zlib's compress2 as its
 * deflate: smaller files and faster than stb's built-in compressor. The PNG
 * bytes go through fsutil's atomic writer, never straight to the final name.
 * This file does not read PNGs and knows nothing about training. */
#include "gan/png_grid.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gan/fsutil.h"

/* zlib level 6: zlib's own default, the usual size/speed balance. */
enum { PNG_ZLIB_LEVEL = 6 };

/* stb's compress hook: deflates data into a malloc'ed zlib stream (stb frees
 * it with STBIW_FREE, i.e. free). NULL on failure makes stb report failure.
 * stb passes its own quality setting; we use PNG_ZLIB_LEVEL instead. */
static unsigned char *png_zlib_compress(unsigned char *data, int data_len, int *out_len,
                                        int quality)
{
    (void)quality;
    if (data_len < 0)
        return NULL;
    uLongf n = compressBound((uLong)data_len);
    unsigned char *out = malloc(n);
    if (!out)
        return NULL;
    if (compress2(out, &n, data, (uLong)data_len, PNG_ZLIB_LEVEL) != Z_OK || n > INT_MAX) {
        free(out);
        return NULL;
    }
    *out_len = (int)n;
    return out;
}

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBIW_ZLIB_COMPRESS png_zlib_compress
/* With STB_IMAGE_WRITE_STATIC every writer we do not call (BMP, TGA, HDR,
 * JPEG, the stdio variants) is an unused static function; silence exactly
 * that, for this include only. (STBI_WRITE_NO_STDIO would drop the stdio
 * ones but leaves stbi_write_hdr_to_func declared static and never defined,
 * a warning this pragma does not reach under gcc 12.) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

/* Sanity bound on one side of a grid; also keeps every product below in int
 * range together with the width * height check. */
enum { PNG_MAX_SIDE = 1 << 16 };

/* Images per row: torchvision's make_grid uses min(nrow, n). */
static int grid_cols(int n, int nrow)
{
    return nrow < n ? nrow : n;
}

void png_grid_size(int n, int nrow, int h, int w, int padding, int *width, int *height)
{
    *width = 0;
    *height = 0;
    if (n < 1 || nrow < 1 || h < 1 || w < 1 || padding < 0)
        return;
    long long cols = grid_cols(n, nrow);
    long long rows = (n + cols - 1) / cols;
    long long gw = cols * ((long long)w + padding) + padding;
    long long gh = rows * ((long long)h + padding) + padding;
    if (gw > PNG_MAX_SIDE || gh > PNG_MAX_SIDE || (gw + 1) * gh > INT_MAX)
        return;
    *width = (int)gw;
    *height = (int)gh;
}

/* torchvision: clamp to [-1, 1], (x + 1) / 2, then mul(255).add(0.5) and a
 * truncating uint8 cast, each step in float32. !(x >= -1) also sends NaN
 * to 0 (torch leaves NaN to the cast, which is undefined). */
static uint8_t tanh_to_byte(float x)
{
    if (!(x >= -1.0f))
        return 0;
    if (x >= 1.0f)
        return 255;
    float t = (x + 1.0f) / 2.0f;
    float p = t * 255.0f;
    p = p + 0.5f;
    return (uint8_t)p;
}

void png_grid_render(uint8_t *pixels, const float *images, int n, int nrow, int h, int w,
                     int padding)
{
    int width, height;
    png_grid_size(n, nrow, h, w, padding, &width, &height);
    if (width == 0)
        return;
    memset(pixels, 0, (size_t)width * (size_t)height);
    int cols = grid_cols(n, nrow);
    for (int i = 0; i < n; i++) {
        const float *img = images + (size_t)i * (size_t)h * (size_t)w;
        size_t x0 = (size_t)(i % cols) * (size_t)(w + padding) + (size_t)padding;
        size_t y0 = (size_t)(i / cols) * (size_t)(h + padding) + (size_t)padding;
        for (int r = 0; r < h; r++) {
            uint8_t *dst = pixels + (y0 + (size_t)r) * (size_t)width + x0;
            const float *src = img + (size_t)r * (size_t)w;
            for (int c = 0; c < w; c++)
                dst[c] = tanh_to_byte(src[c]);
        }
    }
}

/* stb hands over the whole encoded PNG in one call; remember a short write. */
typedef struct {
    FILE *fp;
    int failed;
    int saved_errno;
} png_sink_t;

static void png_sink_write(void *context, void *data, int size)
{
    png_sink_t *sink = context;
    if (size > 0 && fwrite(data, 1, (size_t)size, sink->fp) != (size_t)size) {
        sink->failed = 1;
        sink->saved_errno = errno;
    }
}

void png_pixels_from_tanh(uint8_t *out, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tanh_to_byte(x[i]);
}

static int png_size_ok(int width, int height)
{
    return width >= 1 && height >= 1 && width <= PNG_MAX_SIDE && height <= PNG_MAX_SIDE &&
           ((long long)width + 1) * height <= INT_MAX;
}

int png_write_gray_fp(FILE *fp, const uint8_t *pixels, int width, int height, const char *name,
                      gan_err_t *err)
{
    if (!png_size_ok(width, height))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: invalid image size %d x %d", name, width,
                           height);
    png_sink_t sink = {fp, 0, 0};
    if (!stbi_write_png_to_func(png_sink_write, &sink, width, height, 1, pixels, width))
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: PNG encoding failed (out of memory?)",
                           name);
    if (sink.failed)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: write failed (%s)", name,
                           sink.saved_errno ? strerror(sink.saved_errno) : "I/O error");
    return GAN_OK;
}

int png_grid_write_pixels(const char *path, const uint8_t *pixels, int width, int height,
                          gan_err_t *err)
{
    if (!png_size_ok(width, height))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: invalid image size %d x %d", path, width,
                           height);
    atomic_file_t af;
    int rc = atomic_begin(&af, path, err);
    if (rc)
        return rc;
    rc = png_write_gray_fp(af.fp, pixels, width, height, path, err);
    if (rc) {
        atomic_abort(&af);
        return rc;
    }
    return atomic_commit(&af, err);
}

int png_grid_write(const char *path, const float *images, int n, int nrow, int h, int w,
                   int padding, gan_err_t *err)
{
    int width, height;
    png_grid_size(n, nrow, h, w, padding, &width, &height);
    if (width == 0)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: invalid grid (%d images of %d x %d, %d per row, padding %d)",
                           path, n, h, w, nrow, padding);
    uint8_t *pixels = malloc((size_t)width * (size_t)height);
    if (!pixels)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory for a %d x %d grid", path,
                           width, height);
    png_grid_render(pixels, images, n, nrow, h, w, padding);
    int rc = png_grid_write_pixels(path, pixels, width, height, err);
    free(pixels);
    return rc;
}
