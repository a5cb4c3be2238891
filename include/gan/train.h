/* Training runs: epochs over MNIST, per-epoch metrics, sample grids,
 * resumable checkpoints, written into a run folder (its layout and files:
 * run_dir.h, run_files.h; DESIGN.md, "Files a run writes"); never prints:
 * progress goes through a callback and errors through gan_err_t.
 *
 * Random streams (all from the run's seed; see rng_seed): G's and D's
 * initial weights each have their own stream, the data order of epoch e is
 * a fresh shuffle from stream TRAIN_STREAM_SHUFFLE + e, the noise of the
 * training steps and the fixed sample noise have theirs. So two runs with
 * one seed and different init schemes see identical batches and noise. */
#ifndef GAN_TRAIN_H
#define GAN_TRAIN_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "gan/error.h"
#include "gan/eval.h"
#include "gan/gan.h"
#include "gan/init.h"
#include "gan/mnist_packed.h"
#include "gan/optim.h"
#include "gan/rng.h"
#include "gan/run_config.h"
#include "gan/run_files.h"

/* Returned by train_run when the stop flag was raised: the checkpoint is
 * written and the run can be resumed. */
#define TRAIN_STOPPED 3
/* Returned by train_run with opts->ensure when the run already has its
 * epochs: nothing was written. */
#define TRAIN_ALREADY_FINISHED 5

/* steps.csv and step scalars: the first step and every 10th. 10 resolves
 * the first hundred steps (where G loss of a fresh start moves most) at
 * about 94 rows an epoch of MNIST at batch 64. */
#define TRAIN_LOG_EVERY_DEFAULT 10

enum {
    TRAIN_STREAM_G_INIT = 1,
    TRAIN_STREAM_D_INIT = 2,
    TRAIN_STREAM_NOISE = 3,
    TRAIN_STREAM_FIXED_NOISE = 4,
    TRAIN_STREAM_SHUFFLE = 1000
};

/* How train_run feeds a GAN, for anyone who must step one exactly as it
 * does (the bench). train_init_weights draws G's and D's weights from the
 * seed's init streams and seeds noise with the step-noise stream;
 * train_shuffle_epoch writes epoch's order of n_images indices (epochs
 * count from 1); train_make_batch fills real (batch x image_size, pixels
 * in [-1, 1]) with the step-th batch of order and z (batch x z_dim) with
 * the next draws of noise. */
void train_init_weights(gan_t *gan, const train_cfg_t *cfg, rng_t *noise);
void train_shuffle_epoch(uint32_t *order, size_t n_images, uint64_t seed, int epoch);
void train_make_batch(float *real, float *z, const mnist_packed_t *data, const uint32_t *order,
                      long step, int batch, int z_dim, rng_t *noise);

/* NOTICE: something the user should know that is not an error (e.g. rows
 * of metrics.csv dropped on resume because no checkpoint vouched for
 * them); the text is in notice. */
typedef enum {
    TRAIN_EVENT_START, TRAIN_EVENT_STEP, TRAIN_EVENT_EPOCH, TRAIN_EVENT_NOTICE
} train_event_t;

typedef struct {
    train_event_t event;
    int epoch, epochs;        /* epoch being trained (1-based) and total */
    long step, steps;         /* steps done in this epoch, steps per epoch */
    double d_loss, g_loss;    /* running means over this epoch */
    double images_per_sec;    /* this epoch so far */
    double epoch_seconds;     /* this epoch so far */
    const run_metrics_t *metrics;   /* TRAIN_EVENT_EPOCH only */
    const float *real, *z;    /* TRAIN_EVENT_STEP: the batch just trained on */
    int batch, image_size, z_dim;
    const char *run_dir;
    const char *notice;       /* TRAIN_EVENT_NOTICE only */
} train_progress_t;

typedef struct {
    const char *run_dir;
    int resume;               /* continue from run_dir/checkpoint.bin */
    int from_prev;            /* resume: from checkpoint.prev.bin (the damaged
                                 checkpoint.bin is kept as checkpoint.damaged.bin) */
    int force;                /* start fresh even if run_dir holds a run */
    int ensure;               /* bring the run to cfg's epochs, judging its state
                                 under the lock: start it (new, or killed before
                                 its first checkpoint), resume it (its recorded
                                 settings must equal cfg's, epochs aside), or
                                 return TRAIN_ALREADY_FINISHED. Safe to repeat
                                 at any time: what a printed plan runs. */
    int threads_given;        /* resume: cfg->threads was asked for; otherwise
                                 the run's recorded thread count is kept (other
                                 counts give other bits) */
    double stale_seconds;     /* the run lock's staleness (0: RUN_LOCK_STALE_SECONDS) */
    struct run_lock *lock;    /* the run's lock when the caller already holds it
                                 (it stays the caller's); NULL: train_run takes it */
    void (*on_progress)(void *ctx, const train_progress_t *p);
    void *ctx;
    volatile sig_atomic_t *stop; /* set non-zero (e.g. by SIGINT) to stop */
} train_opts_t;

/* Trains cfg into opts->run_dir, holding the folder's lock (run_lock.h) from
 * before the first write to the end: a second writer gets RUN_LOCK_BUSY
 * naming the holder, and changes nothing. A new run refuses an existing run
 * folder (GAN_ERR_INPUT) unless force. Returns GAN_OK, TRAIN_STOPPED (checkpoint
 * written), GAN_ERR_INPUT (bad data, folder exists, ...) or GAN_ERR_RUNTIME
 * (I/O failure, divergence: the last good checkpoint and the metrics so far
 * are kept). Nothing is created before the data and settings check out. */
int train_run(const train_cfg_t *cfg, const train_opts_t *opts, gan_err_t *err);

/* Reads the settings of the run in run_dir from its checkpoint (falling
 * back to checkpoint.prev.bin when checkpoint.bin is missing, or reading it
 * when from_prev). epoch gets the number of finished epochs (may be NULL). */
int train_load_config(train_cfg_t *cfg, int *epoch, const char *run_dir, int from_prev,
                      gan_err_t *err);

/* Builds the run's GAN (max_batch rows) and loads its latest weights. */
int train_load_gan(gan_t *gan, train_cfg_t *cfg, const char *run_dir, int max_batch,
                   gan_err_t *err);

/* What train_load_weights loaded. */
typedef struct {
    int epoch;             /* finished epochs of the weights */
    long step;             /* steps into the next epoch (a checkpoint written
                              at Ctrl-C); 0 for a kept epoch */
    char path[PATH_MAX];   /* the file read */
} train_weights_t;

/* train_load_gan for any epoch: epoch < 0 loads the latest checkpoint,
 * epoch >= 0 the kept weights of that epoch (checkpoints/epoch_NNNN.bin,
 * gan train --keep-every). An epoch that was not kept is GAN_ERR_INPUT
 * naming the kept ones ("<dir>: epoch 3 was not kept; kept epochs: 2, 4,
 * 5"), never another epoch in its place. from (may be NULL) gets what was
 * loaded. On error gan holds nothing (gan_destroy is safe). */
int train_load_weights(gan_t *gan, train_cfg_t *cfg, train_weights_t *from, const char *run_dir,
                       int epoch, int max_batch, gan_err_t *err);
/* GAN_OK when run_dir keeps epoch; otherwise the error train_load_weights
 * gives for it (cheap: no file is read), for commands that check before
 * loading anything else. */
int train_check_epoch(const char *run_dir, int epoch, gan_err_t *err);

#endif
