/* The MNIST dataset: an image IDX file and a label IDX file checked against
 * each other, kept as bytes, and the float batches a training step reads.
 *
 * It does not shuffle (the batch sampler owns the order and passes indices)
 * and does not insist on 28 x 28: any rank-3 image file whose labels are
 * digits loads, so Fashion-MNIST and tiny test fixtures work too; callers
 * that need 784 inputs check rows and cols. */
#include "gan/idx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MNIST_N_CLASSES 10

/* Moves the pixel and label buffers out of the two IDX files into ds after
 * checking that they describe the same images. Frees both on error. */
static int take_pair(mnist_t *ds, idx_t *img, idx_t *lab, const char *images_path,
                     const char *labels_path, gan_err_t *err)
{
    int rc = GAN_ERR_INPUT;
    if (img->dims[0] != lab->dims[0]) {
        gan_err_set(err, rc, "%s: label count %u differs from the image count %u in %s; "
                    "re-run ./download_mnist.sh",
                    labels_path, lab->dims[0], img->dims[0], images_path);
        goto fail;
    }
    for (size_t i = 0; i < lab->n_elems; i++) {
        if (lab->data[i] >= MNIST_N_CLASSES) {
            gan_err_set(err, rc, "%s: label %u at index %zu is out of range 0..9; "
                        "re-run ./download_mnist.sh",
                        labels_path, lab->data[i], i);
            goto fail;
        }
    }
    /* idx_read capped the file at 1 GiB, so rows and cols fit an int. */
    ds->images = img->data;
    ds->labels = lab->data;
    ds->n = img->dims[0];
    ds->rows = (int)img->dims[1];
    ds->cols = (int)img->dims[2];
    return GAN_OK;
fail:
    idx_free(img);
    idx_free(lab);
    return rc;
}

int mnist_load(mnist_t *ds, const char *images_path, const char *labels_path,
               gan_err_t *err)
{
    memset(ds, 0, sizeof *ds);
    idx_t img, lab;
    /* The ranks are checked by the reader, first thing: a labels file given
     * as images is named as such, not blamed for "trailing garbage". */
    int rc = idx_read_rank(&img, images_path, 3, err);
    if (rc != GAN_OK)
        return rc;
    rc = idx_read_rank(&lab, labels_path, 1, err);
    if (rc != GAN_OK) {
        idx_free(&img);
        return rc;
    }
    return take_pair(ds, &img, &lab, images_path, labels_path, err);
}

/* Fills path with "<dir>/<name>.gz" if that exists, else "<dir>/<name>" if
 * that exists; otherwise reports the .gz name, the one download_mnist.sh
 * writes. */
static int find_file(char *path, size_t size, const char *dir, const char *name,
                     gan_err_t *err)
{
    int len = snprintf(path, size, "%s/%s.gz", dir, name);
    if (len < 0 || (size_t)len >= size)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: directory name too long", dir);
    if (access(path, F_OK) == 0)
        return GAN_OK;
    path[len - 3] = '\0';
    if (access(path, F_OK) == 0)
        return GAN_OK;
    return gan_err_set(err, GAN_ERR_INPUT, "%s/%s.gz: not found; run ./download_mnist.sh",
                       dir, name);
}

int mnist_load_dir(mnist_t *ds, const char *dir, int train, gan_err_t *err)
{
    memset(ds, 0, sizeof *ds);
    const char *images_name = train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
    const char *labels_name = train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
    char images_path[4096], labels_path[4096];
    int rc = find_file(images_path, sizeof images_path, dir, images_name, err);
    if (rc != GAN_OK)
        return rc;
    rc = find_file(labels_path, sizeof labels_path, dir, labels_name, err);
    if (rc != GAN_OK)
        return rc;
    return mnist_load(ds, images_path, labels_path, err);
}

void mnist_free(mnist_t *ds)
{
    if (!ds)
        return;
    free(ds->images);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

/* x: batch x rows*cols; ds->images: n x rows*cols; indices: batch values < n.
 * Dividing (not multiplying by 1/127.5f, which is inexact) keeps 0 -> -1 and
 * 255 -> +1 exact, so a saturated tanh output can match a real pixel. */
void mnist_batch(float *x, const mnist_t *ds, const uint32_t *indices, int batch)
{
    const size_t d = (size_t)ds->rows * (size_t)ds->cols;
    for (int b = 0; b < batch; b++) {
        const uint8_t *restrict src = ds->images + (size_t)indices[b] * d;
        float *restrict dst = x + (size_t)b * d;
        for (size_t i = 0; i < d; i++)
            dst[i] = (float)src[i] / 127.5f - 1.0f;
    }
}
