/* Sample outputs of `gan sample`: a PNG grid, a .npy array or a folder of
 * PNGs, fed in batches; see sample_out.h for the guarantees of each.
 *
 * Why the folder is not written file by file atomically: an fsync per file
 * costs a disk flush each (50,000 of them would take minutes on a disk), and
 * a folder of samples is only useful whole. So the files go into a private
 * folder without fsync and fsutil's atomic_dir publishes it whole (one
 * syncfs, one rename). This file does not generate images: it only stores
 * what it is given. */
#include "gan/sample_out.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/fsutil.h"
#include "gan/png_grid.h"

struct sample_out {
    sample_format_t format;
    long n, added;
    int h, w, grid_cols;
    char path[PATH_MAX];
    float *grid;          /* png: all n images until close */
    npy_writer_t npy;     /* npy */
    uint8_t *pixels;      /* npy uint8, dir: one batch / one image of bytes */
    size_t pixels_cap;
    atomic_dir_t dir;     /* dir: written into dir.tmp_path */
};

static const char *const format_names[] = {"png", "npy", "dir"};

const char *sample_format_name(sample_format_t f)
{
    return (unsigned)f < 3 ? format_names[f] : "?";
}

int sample_format_from_name(sample_format_t *f, const char *name)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *f = (sample_format_t)i;
            return 0;
        }
    return -1;
}

static int open_dir(sample_out_t *o, gan_err_t *err)
{
    return atomic_dir_begin(&o->dir, o->path, NULL,
                            "samples go into a new or empty folder, so old and new ones never "
                            "mix: remove it or pick another -o", err);
}

int sample_out_open(sample_out_t **out, const char *path, sample_format_t format,
                    npy_dtype_t dtype, long n, int h, int w, int grid_cols, gan_err_t *err)
{
    *out = NULL;
    long max = format == SAMPLE_FORMAT_PNG ? SAMPLE_GRID_MAX : SAMPLE_BULK_MAX;
    if (n < 1 || n > max)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: %ld images; --format=%s holds 1..%ld", path,
                           n, sample_format_name(format), max);
    if (h < 1 || w < 1 || h > 4096 || w > 4096)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: invalid image size %d x %d", path, h, w);
    if (path[0] == '\0')
        return gan_err_set(err, GAN_ERR_INPUT, "empty output path; give a file or folder name");
    sample_out_t *o = calloc(1, sizeof *o);
    if (!o)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", path);
    o->format = format;
    o->n = n;
    o->h = h;
    o->w = w;
    o->grid_cols = grid_cols > 0 ? grid_cols : 1;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') /* "out/" names the folder "out" */
        len--;
    if (len >= sizeof o->path) {
        free(o);
        return gan_err_set(err, GAN_ERR_INPUT, "%s: path longer than %d bytes", path,
                           PATH_MAX - 1);
    }
    memcpy(o->path, path, len);
    o->path[len] = '\0';
    size_t image = (size_t)h * (size_t)w;
    int rc = GAN_OK;
    if (format == SAMPLE_FORMAT_PNG) {
        o->grid = malloc((size_t)n * image * sizeof *o->grid);
        if (!o->grid)
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", path);
        else /* written only at close: a bad path must fail before the work */
            rc = fs_check_output(o->path, err);
    } else if (format == SAMPLE_FORMAT_NPY) {
        size_t shape[3] = {(size_t)n, (size_t)h, (size_t)w};
        rc = npy_begin(&o->npy, o->path, dtype, 3, shape, err);
    } else {
        rc = open_dir(o, err);
    }
    if (rc) {
        sample_out_abort(o);
        return rc;
    }
    *out = o;
    return GAN_OK;
}

/* Makes room for n bytes in o->pixels. */
static int reserve_pixels(sample_out_t *o, size_t n, gan_err_t *err)
{
    if (n <= o->pixels_cap)
        return GAN_OK;
    uint8_t *p = realloc(o->pixels, n);
    if (!p)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", o->path);
    o->pixels = p;
    o->pixels_cap = n;
    return GAN_OK;
}

static int add_png_file(sample_out_t *o, const float *image, long index, gan_err_t *err)
{
    size_t size = (size_t)o->h * (size_t)o->w;
    int rc = reserve_pixels(o, size, err);
    if (rc)
        return rc;
    png_pixels_from_tanh(o->pixels, image, size);
    char file[PATH_MAX + 192];
    snprintf(file, sizeof file, "%s/%06ld.png", o->dir.tmp_path, index);
    FILE *fp = fopen(file, "wbx"); /* a new name in our private folder */
    if (!fp)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot create (%s)", file, strerror(errno));
    rc = png_write_gray_fp(fp, o->pixels, o->w, o->h, file, err);
    if (fclose(fp) != 0 && !rc)
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: write failed (%s)", file, strerror(errno));
    return rc;
}

int sample_out_add(sample_out_t *o, const float *images, long count, gan_err_t *err)
{
    if (count < 0 || count > o->n - o->added)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: %ld more images than the %ld declared",
                           o->path, count - (o->n - o->added), o->n);
    size_t image = (size_t)o->h * (size_t)o->w;
    size_t values = (size_t)count * image;
    int rc = GAN_OK;
    if (o->format == SAMPLE_FORMAT_PNG) {
        memcpy(o->grid + (size_t)o->added * image, images, values * sizeof *images);
    } else if (o->format == SAMPLE_FORMAT_NPY && o->npy.dtype == NPY_FLOAT32) {
        rc = npy_append_f32(&o->npy, images, values, err);
    } else if (o->format == SAMPLE_FORMAT_NPY) {
        rc = reserve_pixels(o, values, err);
        if (!rc) {
            png_pixels_from_tanh(o->pixels, images, values);
            rc = npy_append_u8(&o->npy, o->pixels, values, err);
        }
    } else {
        for (long i = 0; i < count && !rc; i++)
            rc = add_png_file(o, images + (size_t)i * image, o->added + i, err);
    }
    if (!rc)
        o->added += count;
    return rc;
}

int sample_out_close(sample_out_t *o, gan_err_t *err)
{
    int rc = GAN_OK;
    if (o->added != o->n)
        rc = gan_err_set(err, GAN_ERR_INPUT, "%s: %ld of %ld images came", o->path, o->added,
                         o->n);
    else if (o->format == SAMPLE_FORMAT_PNG)
        rc = png_grid_write(o->path, o->grid, (int)o->n, o->grid_cols, o->h, o->w, 2, err);
    else if (o->format == SAMPLE_FORMAT_NPY)
        rc = npy_commit(&o->npy, err);
    else
        rc = atomic_dir_commit(&o->dir, err);
    sample_out_abort(o);
    return rc;
}

void sample_out_abort(sample_out_t *o)
{
    if (!o)
        return;
    if (o->format == SAMPLE_FORMAT_NPY)
        npy_abort(&o->npy);
    if (o->format == SAMPLE_FORMAT_DIR)
        atomic_dir_abort(&o->dir);
    free(o->grid);
    free(o->pixels);
    free(o);
}
