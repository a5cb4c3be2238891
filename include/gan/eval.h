/* Sample quality of a generator, measured with the MNIST classifier
 * (classifier.h): the Frechet distance (frechet.h) between the classifier's
 * penultimate features of N generated images and of the real test images
 * (FID's recipe, Heusel et al. 2017, with MNIST features), and the class
 * coverage of the samples (the histogram of predicted classes: mode
 * collapse shows as few classes).
 *
 * An eval context is created once per run of a program: it computes and
 * caches the real images' Gaussian (mean, covariance) and owns every
 * buffer, so an evaluation (e.g. one per training epoch) allocates
 * nothing. Nothing here prints or touches files. */
#ifndef GAN_EVAL_H
#define GAN_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "gan/classifier.h"
#include "gan/error.h"
#include "gan/frechet.h"
#include "gan/gan.h"
#include "gan/idx.h"
#include "gan/rng.h"

/* A class counts as covered with at least this share of the samples. */
#define EVAL_COVERED_SHARE 0.05

/* Seed stream of the evaluation noise (`gan eval`), apart from the
 * trainer's streams (train.h). */
#define EVAL_STREAM_NOISE 900

typedef struct {
    long counts[CLASSIFIER_N_CLASSES]; /* samples per predicted (argmax) class */
    long n;                            /* samples */
    double entropy_bits;    /* entropy of counts / n in bits: log2(10) = 3.32 when
                               uniform, 0 when every sample is one class */
    int classes_covered;    /* classes with >= EVAL_COVERED_SHARE of the samples */
    double mean_confidence; /* mean over samples of the largest class probability */
} coverage_t;

/* Coverage of n rows of class probabilities (n x CLASSIFIER_N_CLASSES, each
 * row summing to 1; ties go to the lower class). n = 0 gives zeros. */
void class_coverage(coverage_t *out, const float *probs, size_t n);

typedef struct {
    double fd;            /* Frechet distance to the real images */
    coverage_t coverage;
} eval_result_t;

/* Fields are read-only for callers. */
typedef struct {
    classifier_t *clf;    /* borrowed: must outlive the context */
    size_t max_n;         /* samples per evaluation at most */
    int batch;            /* rows per forward (the classifier's max batch) */
    int dim;              /* feature width */
    int z_dim;            /* generator noise width (0: no generator) */
    size_t n_real;        /* real images behind mu_real, cov_real */
    float *images;        /* batch x image_size */
    uint32_t *rows;       /* batch dataset row indices */
    float *z;             /* batch x z_dim */
    float *features;      /* max(max_n, n_real) x dim */
    float *probs;         /* max_n x CLASSIFIER_N_CLASSES */
    double *mu_real, *cov_real; /* dim, dim x dim: the cached real Gaussian */
    double *mu, *cov;           /* dim, dim x dim: the last evaluated set */
    frechet_ws_t ws;
} eval_ctx_t;

/* Builds a context for evaluations of up to max_n samples from generators
 * with z_dim noise inputs (0 when only real images will be evaluated), and
 * fits the Gaussian of the classifier features of every image of real (>= 2
 * images of the classifier's size; the 10k test images). GAN_ERR_INPUT for
 * bad sizes, GAN_ERR_RUNTIME out of memory or on a LAPACK failure; on error
 * ctx is destroyable. */
int eval_create(eval_ctx_t *ctx, classifier_t *clf, const mnist_t *real, size_t max_n,
                int z_dim, gan_err_t *err);
/* Frees everything (not the classifier); accepts a zeroed or destroyed ctx. */
void eval_destroy(eval_ctx_t *ctx);

/* FD and coverage of n (2..max_n) samples G(z), z ~ N(0, 1) drawn from rng,
 * generated in batches of min(ctx batch, G's max batch). Runs G forward
 * (its activation buffers are overwritten; parameters and optimizer state
 * are not touched). Give it an rng of its own (stream EVAL_STREAM_NOISE):
 * drawing from a training run's noise stream would change the run. GAN_ERR_INPUT when G's noise or image size does not
 * match the context. */
int eval_generator(eval_result_t *out, eval_ctx_t *ctx, gan_t *gan, size_t n, rng_t *rng,
                   gan_err_t *err);

/* The same for n (2..max_n) real images of ds: rows indices[0..n) (each
 * < ds->n), or the first n rows when indices is NULL (the reference a perfect generator
 * would score: e.g. training images against the test images). */
int eval_images(eval_result_t *out, eval_ctx_t *ctx, const mnist_t *ds,
                const uint32_t *indices, size_t n, gan_err_t *err);

#endif
