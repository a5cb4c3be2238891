/* NumPy .npy writer (format version 1.0) for float32 arrays, so a tensor the
 * C code produced (samples, parameters, a batch) opens with numpy.load().
 *
 * Layout: magic "\x93NUMPY", version bytes 1 0, u16 little-endian header
 * length, then the header dict
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ended by '\n' so that data starts at a multiple of
 * 64 bytes (what current NumPy writes), then the raw little-endian float32
 * data in C (row-major) order. Only writing: there is deliberately no
 * reader here (the tests parse the files themselves). */
#ifndef GAN_NPY_H
#define GAN_NPY_H

#include <stddef.h>

#include "gan/error.h"

/* Largest ndim accepted (NumPy's own limit is larger; none of ours is). */
#define NPY_MAX_NDIM 16

/* Writes data (prod(shape) floats, row-major) to path atomically. ndim 0
 * writes a scalar (shape "()", one float); 1-D shapes are written "(A,)".
 * Returns GAN_OK; GAN_ERR_INPUT for ndim outside 0..NPY_MAX_NDIM or an
 * element count that overflows; GAN_ERR_RUNTIME (message names path) if the
 * file cannot be written, and then no new file appears under path. */
int npy_write(const char *path, const float *data, int ndim, const size_t *shape,
              gan_err_t *err);

#endif
