/* NumPy .npy writer (format version 1.0) for float32 and uint8 arrays, so a
 * tensor the C code produced (samples, parameters, a batch) opens with
 * numpy.load().
 *
 * Layout: magic "\x93NUMPY", version bytes 1 0, u16 little-endian header
 * length, then the header dict
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * ('|u1' for uint8) padded with spaces and ended by '\n' so that data starts
 * at a multiple of 64 bytes (what current NumPy writes), then the raw
 * little-endian data in C (row-major) order. Only writing: there is
 * deliberately no reader here (the tests read the files with NumPy). */
#ifndef GAN_NPY_H
#define GAN_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"
#include "gan/fsutil.h"

/* Largest ndim accepted (NumPy's own limit is larger; none of ours is). */
#define NPY_MAX_NDIM 16

typedef enum { NPY_FLOAT32, NPY_UINT8 } npy_dtype_t;

/* Writes data (prod(shape) floats, row-major) to path atomically. ndim 0
 * writes a scalar (shape "()", one float); 1-D shapes are written "(A,)".
 * Returns GAN_OK; GAN_ERR_INPUT for ndim outside 0..NPY_MAX_NDIM or an
 * element count that overflows; GAN_ERR_RUNTIME (message names path) if the
 * file cannot be written, and then no new file appears under path. */
int npy_write(const char *path, const float *data, int ndim, const size_t *shape,
              gan_err_t *err);

/* A .npy file written in pieces, for arrays too large to hold at once
 * (gan sample --format=npy --n=100000): npy_begin writes the header,
 * npy_append_* add elements in row-major order, npy_commit checks that
 * exactly prod(shape) elements came and renames the file into place. */
typedef struct {
    atomic_file_t af;
    npy_dtype_t dtype;
    size_t expected, written; /* elements */
} npy_writer_t;

/* Opens path (atomically, see fsutil.h) and writes the header. Errors as
 * npy_write; on error nothing is left open. */
int npy_begin(npy_writer_t *w, const char *path, npy_dtype_t dtype, int ndim,
              const size_t *shape, gan_err_t *err);
/* Appends n elements; the dtype must match the writer's. GAN_ERR_INPUT past
 * the declared size or for a wrong dtype, GAN_ERR_RUNTIME on a write error.
 * On error the writer is aborted (the temporary file removed). */
int npy_append_f32(npy_writer_t *w, const float *data, size_t n, gan_err_t *err);
int npy_append_u8(npy_writer_t *w, const uint8_t *data, size_t n, gan_err_t *err);
/* Renames into place; GAN_ERR_INPUT (and abort) if fewer elements came. */
int npy_commit(npy_writer_t *w, gan_err_t *err);
/* Removes the temporary file; safe after commit or a failed call. */
void npy_abort(npy_writer_t *w);

#endif
