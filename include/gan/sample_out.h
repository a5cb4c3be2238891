/* Where `gan sample` puts its images: one PNG grid, one .npy array, or a
 * folder of single PNGs (the input pytorch-fid and torch-fidelity take).
 * Images arrive in batches (sample_out_add) so that 100,000 samples never
 * sit in memory at once; only the grid, which is at most SAMPLE_GRID_MAX
 * images, is kept until the end.
 *
 * Every format appears under its final name only when complete:
 *   png   rendered at close and written atomically (fsutil.h); the path
 *         is checked at open, so a bad one fails before any work;
 *   npy   streamed into a temporary file renamed at close (npy.h);
 *   dir   N files 000000.png, 000001.png, ... written into the sibling
 *         folder DIR.tmp.HOST.PID without an fsync per file; at close one
 *         syncfs() makes them all durable, then the folder is renamed to
 *         DIR (fsutil's atomic_dir). A crash leaves DIR.tmp.HOST.PID (never
 *         a half-filled DIR). DIR must be missing or an empty folder (a
 *         folder holding files is refused: mixing old and new samples would
 *         skew any FID quietly), or a symlink to one (written through);
 *         its parent folders are created.
 * An empty path is refused at open.
 *
 * Pixels: the tanh output mapped to bytes as png_grid.h says (png, dir,
 * npy uint8); npy float32 holds G's output itself, in [-1, 1]. */
#ifndef GAN_SAMPLE_OUT_H
#define GAN_SAMPLE_OUT_H

#include "gan/error.h"
#include "gan/npy.h"

#define SAMPLE_GRID_MAX 1024
#define SAMPLE_BULK_MAX 100000

typedef enum { SAMPLE_FORMAT_PNG, SAMPLE_FORMAT_NPY, SAMPLE_FORMAT_DIR } sample_format_t;

/* "png" | "npy" | "dir" <-> the enum; from_name returns -1 for an unknown
 * name. */
const char *sample_format_name(sample_format_t f);
int sample_format_from_name(sample_format_t *f, const char *name);

typedef struct sample_out sample_out_t;

/* Opens the output for n images of h x w. grid_cols: images per grid row
 * (png only). dtype: npy only (NPY_UINT8 or NPY_FLOAT32). *out is freed by
 * sample_out_close or sample_out_abort. GAN_ERR_INPUT for n beyond the
 * format's limit (SAMPLE_GRID_MAX, SAMPLE_BULK_MAX), an output that cannot
 * be one (see above), GAN_ERR_RUNTIME for I/O; messages name the path. */
int sample_out_open(sample_out_t **out, const char *path, sample_format_t format,
                    npy_dtype_t dtype, long n, int h, int w, int grid_cols, gan_err_t *err);

/* Adds count images (count x h*w floats in G's [-1, 1] range, in order).
 * GAN_ERR_INPUT past the n declared at open. */
int sample_out_add(sample_out_t *o, const float *images, long count, gan_err_t *err);

/* Finishes (all n images must have come), puts the output under its final
 * name and frees o. On error nothing new is left under the final name. */
int sample_out_close(sample_out_t *o, gan_err_t *err);

/* Removes whatever was written and frees o; o may be NULL. */
void sample_out_abort(sample_out_t *o);

#endif
