/* IDX files (the MNIST container format) and the MNIST dataset.
 *
 * An IDX file is a big-endian header (two zero bytes, an element-type byte,
 * a rank byte, then one u32 per dimension) followed by the elements. Files
 * may be gzipped (one or several concatenated members) or raw (told apart by
 * the gzip magic 1f 8b). Only unsigned-byte
 * elements are accepted, because that is all MNIST (and Fashion-MNIST) use.
 *
 * Pixels stay uint8 (47 MB for the training set instead of 188 MB as float);
 * mnist_batch converts just the rows a training step needs. */
#ifndef GAN_IDX_H
#define GAN_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"

#define IDX_MAX_RANK 4

typedef struct {
    uint8_t *data;           /* owned; product(dims) bytes */
    int rank;                /* 1..IDX_MAX_RANK */
    uint32_t dims[IDX_MAX_RANK];
    size_t n_elems;          /* product of dims */
} idx_t;

/* Reads and validates a whole unsigned-byte IDX file (gz or raw). Only a
 * regular file is opened (a FIFO, device or directory is refused without
 * blocking), and at most 64 KiB past the promised data is read: more is
 * "trailing garbage", however long. On error returns GAN_ERR_INPUT (bad or
 * missing file) or GAN_ERR_RUNTIME (out of memory, read error), fills err
 * with "<path>: <fault>" and leaves out zeroed. */
int idx_read(idx_t *out, const char *path, gan_err_t *err);
/* idx_read of a file that must have the given rank (1 labels, 3 images in
 * the MNIST naming; 0: any). Another rank is refused right after the magic,
 * naming what the file is and what was expected ("a labels file (IDX magic
 * 0x00000801) where an images file (0x00000803) was expected"), before its
 * body could be blamed for anything else. */
int idx_read_rank(idx_t *out, const char *path, int rank, gan_err_t *err);
/* The same on size bytes of a file's content in memory (at most 2 GiB);
 * name stands for the file in messages. */
int idx_read_mem(idx_t *out, const void *data, size_t size, const char *name, gan_err_t *err);
void idx_free(idx_t *idx);

typedef struct {
    uint8_t *images; /* owned; n x rows*cols, row-major */
    uint8_t *labels; /* owned; n values in 0..9 */
    size_t n;
    int rows, cols;
} mnist_t;

/* Loads an image file (rank 3) and a label file (rank 1) and checks they
 * agree (same count, labels 0..9). Same error contract as idx_read. */
int mnist_load(mnist_t *ds, const char *images_path, const char *labels_path,
               gan_err_t *err);

/* Loads the training (train != 0) or test split from dir, using the standard
 * file names (train-images-idx3-ubyte.gz, ...; the .gz or the raw name). A
 * missing file's message says to run ./download_mnist.sh. */
int mnist_load_dir(mnist_t *ds, const char *dir, int train, gan_err_t *err);
void mnist_free(mnist_t *ds);

/* Writes rows indices[0..batch) of ds into x (batch x rows*cols floats),
 * mapping pixel p to p/127.5 - 1, i.e. [0,255] -> [-1,1]. */
void mnist_batch(float *x, const mnist_t *ds, const uint32_t *indices, int batch);

#endif
