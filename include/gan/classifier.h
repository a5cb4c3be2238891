/* An MNIST digit classifier: the feature extractor of the sample-quality
 * metrics (frechet.h, eval.h), in the spirit of FID (Heusel et al. 2017)
 * with an MNIST network in place of Inception, which does not fit 28 x 28
 * gray digits.
 *
 * The net is an MLP (mlp.h, a net_t), 784 -> 512 -> 256 -> 10 by default: ReLU hidden
 * layers (He-initialized), an identity output (logits) and the fused
 * softmax cross entropy of loss.h, trained with Adam (optim.h) on images
 * mapped to [-1, 1] exactly as mnist_batch does, the range of G's tanh
 * output. Its last hidden layer (256 post-ReLU values) is the feature space.
 *
 * Deterministic for a seed: the initial weights come from stream
 * CLASSIFIER_STREAM_INIT of the seed and the data order of epoch e from a
 * fresh shuffle from stream CLASSIFIER_STREAM_SHUFFLE + e (for a fixed
 * OpenBLAS thread count, like the GAN trainer).
 *
 * Saved in the checkpoint container (checkpoint.h) with the JSON header
 * key "kind": "mnist-classifier" and the layer sizes; the parameters are one
 * float32 section. Nothing here prints. */
#ifndef GAN_CLASSIFIER_H
#define GAN_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"
#include "gan/idx.h"
#include "gan/mlp.h"
#include "gan/optim.h"

#define CLASSIFIER_KIND "mnist-classifier"
#define CLASSIFIER_N_CLASSES 10
#define CLASSIFIER_MAX_HIDDEN 8
#define CLASSIFIER_DEFAULT_PATH "data/mnist-classifier.bin"

enum { CLASSIFIER_STREAM_INIT = 1, CLASSIFIER_STREAM_SHUFFLE = 1000 };

typedef struct {
    int image_size;                          /* 784 */
    int n_hidden, hidden[CLASSIFIER_MAX_HIDDEN]; /* 512, 256 */
    adam_cfg_t adam;                         /* lr: the starting learning rate */
    float lr_final;  /* lr of the last epoch; lr falls linearly per epoch
                        from adam.lr to lr_final */
    int batch, epochs;
    uint64_t seed;
} classifier_cfg_t;

/* 784 -> 512 -> 256 -> 10, Adam (0.9, 0.999) with lr falling linearly from
 * 1e-3 to 1e-4 over 10 epochs, batch 128, seed 1. */
void classifier_cfg_default(classifier_cfg_t *cfg);

/* GAN_ERR_INPUT naming the setting when a value is out of range. */
int classifier_cfg_check(const classifier_cfg_t *cfg, gan_err_t *err);

/* Fields are read-only for callers. */
typedef struct {
    classifier_cfg_t cfg;
    net_t net;
    adam_t opt;
    int max_batch;
    int epoch;          /* epochs trained so far */
    float *x;           /* max_batch x image_size: the current batch */
    int *labels;        /* max_batch */
    float *dlogits;     /* max_batch x CLASSIFIER_N_CLASSES */
    uint32_t *order;    /* data order of the current epoch */
    size_t order_cap;   /* entries allocated in order */
} classifier_t;

/* Builds the net for cfg with max_batch rows (>= cfg->batch to train) and
 * initializes its weights from cfg->seed. GAN_ERR_INPUT for bad settings,
 * GAN_ERR_RUNTIME out of memory; on error c is destroyable. */
int classifier_create(classifier_t *c, const classifier_cfg_t *cfg, int max_batch,
                      gan_err_t *err);
/* Frees everything; accepts a zeroed or already destroyed classifier. */
void classifier_destroy(classifier_t *c);

/* Width of the feature layer (the last hidden layer). */
int classifier_n_features(const classifier_t *c);

/* The learning rate of epoch e (0-based) of the schedule in cfg. */
float classifier_lr(const classifier_cfg_t *cfg, int epoch);

typedef struct {
    double loss;      /* mean cross entropy over the epoch's images */
    double accuracy;  /* share of the epoch's images classified right during training */
    long n;           /* images seen */
} classifier_epoch_t;

/* Trains epoch c->epoch (then increments it) over every image of train in
 * a seeded shuffle, in batches of cfg.batch (the last one smaller). The
 * data-order buffer is allocated on the first call (or when train is larger
 * than before); the steps themselves allocate nothing. GAN_ERR_INPUT when the
 * images are not image_size pixels, GAN_ERR_RUNTIME out of memory or when
 * the loss is not finite. */
int classifier_train_epoch(classifier_t *c, const mnist_t *train, classifier_epoch_t *stats,
                           gan_err_t *err);

/* *accuracy = share of the images of ds whose most probable class is their
 * label (0 for an empty set). GAN_ERR_INPUT when the images are not
 * image_size pixels. */
int classifier_accuracy(double *accuracy, classifier_t *c, const mnist_t *ds, gan_err_t *err);

/* One forward of batch <= max_batch images x (batch x image_size, in
 * [-1, 1]). features (batch x classifier_n_features, post-ReLU) and probs
 * (batch x CLASSIFIER_N_CLASSES, softmax) are written unless NULL. */
void classifier_predict(classifier_t *c, float *features, float *probs, const float *x,
                        int batch);

/* Writes the classifier to path atomically (checkpoint.h), recording
 * test_accuracy in the header. GAN_ERR_RUNTIME on I/O failure. */
int classifier_save(const classifier_t *c, const char *path, double test_accuracy,
                    gan_err_t *err);

/* Loads a classifier written by classifier_save, built for max_batch rows
 * (its training schedule comes from the header; the Adam state is not
 * saved). GAN_ERR_INPUT naming path when the file is missing (with the
 * command that makes one), is not a classifier, or does not match its
 * header; on error c is destroyable. test_accuracy (may be NULL) gets the
 * recorded accuracy. */
int classifier_load(classifier_t *c, const char *path, int max_batch, double *test_accuracy,
                    gan_err_t *err);

#endif
