/* Sample outputs of `gan sample`: a PNG grid, a .npy array or a folder of
 * PNGs, fed in batches; see sample_out.h for the guarantees of each.
 *
 * Why the folder is not written file by file atomically: an fsync per file
 * costs a disk flush each (50,000 of them would take minutes on a disk), and
 * a folder of samples is only useful whole. So the files go into a private
 * folder without fsync, one syncfs() flushes them together, and one rename
 * publishes the folder. This file does not generate images: it only stores
 * what it is given. */
#include "gan/sample_out.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    char tmp_dir[PATH_MAX + 32]; /* dir: DIR.tmp.PID while writing */
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

/* Number of entries of a folder besides . and ..; -1 if it cannot be read. */
static long dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Removes the files of a folder we made and the folder itself. */
static void remove_tmp_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char file[PATH_MAX + 300];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(file, sizeof file, "%s/%s", path, e->d_name);
                unlink(file);
            }
        closedir(d);
    }
    rmdir(path);
}

static int open_dir(sample_out_t *o, gan_err_t *err)
{
    struct stat st;
    if (lstat(o->path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s: exists and is not a folder; --format=dir writes a new "
                               "or empty folder", o->path);
        long n = dir_entries(o->path);
        if (n != 0)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s: folder is not empty (%ld entries); samples go into a new "
                               "or empty folder, so old and new ones never mix: remove it or "
                               "pick another -o", o->path, n);
    }
    char parent[PATH_MAX];
    fs_dirname(parent, sizeof parent, o->path);
    int rc = fs_mkdirs(parent, err);
    if (rc)
        return rc;
    snprintf(o->tmp_dir, sizeof o->tmp_dir, "%s.tmp.%ld", o->path, (long)getpid());
    if (mkdir(o->tmp_dir, 0777) != 0) {
        int e = errno;
        o->tmp_dir[0] = '\0';
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot create the folder %s.tmp.%ld (%s)",
                           o->path, o->path, (long)getpid(), strerror(e));
    }
    return GAN_OK;
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
    char file[PATH_MAX + 64];
    snprintf(file, sizeof file, "%s/%06ld.png", o->tmp_dir, index);
    FILE *fp = fopen(file, "wb");
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

/* Flushes every file of the folder with one syncfs, then publishes it. */
static int close_dir(sample_out_t *o, gan_err_t *err)
{
    int fd = open(o->tmp_dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || syncfs(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot flush the files to disk (%s)",
                           o->tmp_dir, strerror(e));
    }
    close(fd);
    /* rename() replaces an empty folder and refuses a non-empty one, so a
     * folder that filled up meanwhile is never merged into. */
    if (rename(o->tmp_dir, o->path) != 0)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot rename %s into place (%s)",
                           o->path, o->tmp_dir, strerror(errno));
    o->tmp_dir[0] = '\0';
    char parent[PATH_MAX];
    fs_dirname(parent, sizeof parent, o->path);
    fd = open(parent, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd); /* the rename itself */
        close(fd);
    }
    return GAN_OK;
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
        rc = close_dir(o, err);
    sample_out_abort(o);
    return rc;
}

void sample_out_abort(sample_out_t *o)
{
    if (!o)
        return;
    if (o->format == SAMPLE_FORMAT_NPY)
        npy_abort(&o->npy);
    if (o->tmp_dir[0])
        remove_tmp_dir(o->tmp_dir);
    free(o->grid);
    free(o->pixels);
    free(o);
}
