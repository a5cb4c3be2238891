/* What the parts of a training run share: the run state, and the
 * functions of the run folder (run_files.c) and of checkpoints
 * (train_checkpoint.c) that the loop in train.c calls. Not a public header:
 * only src/train*.c and src/run_files.c include it. */
#ifndef GAN_TRAIN_INTERNAL_H
#define GAN_TRAIN_INTERNAL_H

#include <stdint.h>

#include "gan/checkpoint.h"
#include "gan/classifier.h"
#include "gan/eval.h"
#include "gan/events.h"
#include "gan/idx.h"
#include "gan/metrics_csv.h"
#include "gan/mnist_packed.h"
#include "gan/rng.h"
#include "gan/run_dir.h"
#include "gan/run_lock.h"
#include "gan/train.h"

/* Running sums of the epoch in progress (saved in checkpoints, so a run
 * stopped mid-epoch still reports the whole epoch's means). */
typedef struct {
    double d_loss, g_loss, d_real, d_fake, acc_real, acc_fake, seconds, steps;
} epoch_sums_t;

/* One row of steps.csv (the values as the event file holds them). */
typedef struct {
    int64_t step;
    int epoch;
    float g_loss, d_loss, d_real, d_fake;
} step_row_t;

typedef struct {
    train_cfg_t cfg;
    const train_opts_t *opts;
    mnist_packed_t data;      /* the training images in use (after --limit), packed */
    uint32_t data_crc;        /* CRC-32 of their pixels, as loaded */
    long steps_per_epoch;     /* the last partial batch is dropped */
    gan_t gan;
    rng_t noise_rng;
    float *real, *z;          /* batch x image_size, batch x z_dim */
    uint32_t *order;          /* data.n: this epoch's shuffled indices */
    int n_samples;            /* grid * grid */
    float *fixed_noise;       /* n_samples x z_dim */
    float *samples;           /* n_samples x image_size */
    int epoch;                /* finished epochs */
    long step;                /* steps done in epoch + 1 */
    epoch_sums_t sums;
    /* Per layer of G [0] and D [1]: the sum over this epoch's steps of the
     * L2 norm of the weight gradient (layers.csv reports the mean). */
    double grad_norm_sums[2][MLP_MAX_LAYERS];
    float *probe_real;        /* n_samples x image_size: D's fixed probe batch */
    float *probe_prob;        /* n_samples: sigmoid of D's probe logits */
    /* Sample quality (cfg.eval_every > 0): the classifier, the real test
     * images and the evaluation context caching their Gaussian. */
    classifier_t clf;
    mnist_t test;
    eval_ctx_t eval;
    char path_layers[PATH_MAX], path_metrics[PATH_MAX], path_samples[PATH_MAX];
    char path_ckpt[PATH_MAX], path_prev[PATH_MAX], path_ckpt_new[PATH_MAX];
    char path_steps[PATH_MAX];
    char path_kept[PATH_MAX];  /* checkpoints/ */
    /* Watching the run (run_log.c): the steps.csv rows of the epoch not yet
     * written (room for an epoch's, allocated in run_prepare) and the
     * TensorBoard writer (NULL with --no-events). */
    step_row_t *step_rows;
    long n_step_rows, max_step_rows;
    events_writer_t *events;
    run_lock_t *lock;          /* held from before the first write to the end */
    int resuming;              /* continuing the run's checkpoint (else a new run) */
    int force;                 /* a new run replaces what the folder holds */
    char products[64];         /* the library of the products (threads.h) */
    int lock_lost;             /* run_guard found the lock gone: nothing more is written */
    gan_err_t lost;            /* ... and why (its one line) */
    int metrics_without_g_acc; /* a run begun before g_acc: its rows keep that shape */
    int steps_csv_from_start;  /* the checkpoint knows log_every: steps.csv has every
                                * logged step (runs from before it began steps.csv later) */
    double next_refresh;       /* clock_seconds() of the lock's next refresh */
} run_t;

/* train.c */

/* Called before every write to the run folder (checkpoint, kept epoch, CSV
 * append, grid, event file, journal line): GAN_OK while run->lock is still
 * this process's claim (run_lock_check). Once it is not, this and every
 * later call fail at once with the same GAN_ERR_RUNTIME line, so a writer
 * that lost its lock writes nothing more. */
int run_guard(run_t *run, gan_err_t *err);

/* train_checkpoint.c */

/* Writes the run's whole state; the previous checkpoint.bin is kept as
 * checkpoint.prev.bin. */
int run_write_checkpoint(run_t *run, gan_err_t *err);
/* Writes checkpoints/epoch_NNNN.bin for the epoch just finished: G's and
 * D's weights only (atomic, like the checkpoint). */
int run_write_kept(run_t *run, gan_err_t *err);
/* 1 when the run keeps the weights of this epoch (every keep_every-th and
 * the last). */
int run_keeps_epoch(const run_t *run, int epoch);
/* On resume: removes kept files of epochs the checkpoint does not vouch
 * for (a kill between a kept file and its checkpoint; the epoch is trained
 * again and its file written again) and temporaries of killed writes. */
int run_trim_kept(run_t *run, gan_err_t *err);
/* Reads run_dir/checkpoint.bin (or checkpoint.prev.bin if a crash fell
 * between the two renames of run_write_checkpoint, or from_prev asks for
 * it); used gets its path. A damaged checkpoint.bin's message ends with the
 * command that resumes from checkpoint.prev.bin when there is one. */
int run_read_checkpoint(ckpt_file_t *ckpt, char *used, size_t used_size, const char *run_dir,
                        int from_prev, gan_err_t *err);
/* Restores the GAN's weights and, when run is not NULL, the optimizer,
 * noise, fixed noise and epoch position. */
int run_restore_state(gan_t *gan, run_t *run, const ckpt_file_t *ckpt, const char *path,
                      gan_err_t *err);

/* run_files.c */

/* config.json: the settings plus data checksum, version, threads. */
int run_write_config(const run_t *run, const char *dir, gan_err_t *err);
/* On resume: notes whether metrics.csv was begun without the g_acc column
 * (before it existed), so the run's rows keep one shape to the end. */
void run_detect_metrics_shape(run_t *run);
/* metrics.csv's header line (without newline) for this run's settings. */
const char *run_metrics_header(const run_t *run);
/* One metrics.csv row, made durable, and its values as TensorBoard scalars
 * at the end of the row's epoch. */
int run_append_metrics(run_t *run, const train_metrics_t *m, gan_err_t *err);
/* Rewrites a CSV log (atomically) from what the checkpoint vouches for
 * (metrics_csv_trim: repairs in *report, refusals naming file, line and
 * the fix); a refused file is left as it was. */
int run_trim_csv(const char *path, const csv_vouch_t *vouch, csv_trim_report_t *report,
                 gan_err_t *err);
/* The layers.csv rows of an epoch (0: before training), from the probe
 * batches and the epoch's gradient-norm sums over `steps` steps. */
int run_write_layer_rows(run_t *run, int epoch, double steps, gan_err_t *err);
/* samples/epoch_NNNN.png from the fixed noise (and the image summary). */
int run_write_samples(run_t *run, int epoch, gan_err_t *err);
/* A new run's folder: refused (GAN_ERR_INPUT) if it holds a run, unless
 * force; created if missing. Its lock is taken (run->lock) before anything
 * in it is written or, with force, removed. */
int run_make_folder(run_t *run, const char *dir, int force, gan_err_t *err);
/* Removes a run's files (and leftovers of atomic writes); the lock stays. */
void run_remove_files(const char *dir);

/* run_log.c: steps.csv and the TensorBoard event file (see its top). */

/* Steps done since the run started: epoch * steps_per_epoch + step. */
int64_t run_global_step(const run_t *run);
/* Allocates the table of an epoch's steps.csv rows. */
int run_log_prepare(run_t *run, gan_err_t *err);
/* Opens the event file (unless --no-events); a resumed run's starts with a
 * SessionLog START at the first step it will train. */
int run_log_open(run_t *run, int resumed, gan_err_t *err);
/* After a step (run->step already counts it): keeps its row and writes its
 * step scalars when the step is logged (the first and every log_every-th).
 * Allocates nothing. */
int run_log_step(run_t *run, const gan_stats_t *st, gan_err_t *err);
/* Appends the kept rows to steps.csv durably and empties the table. */
int run_log_write_steps(run_t *run, gan_err_t *err);
/* Epoch scalars: every field of a metrics.csv row, tagged by column. */
int run_log_metrics(run_t *run, const char *header, const char *row, int64_t step,
                    gan_err_t *err);
/* Histograms of one layer's weights and probe-batch activations. */
int run_log_histograms(run_t *run, const char *net_name, int layer, const float *weights,
                       size_t n_weights, const float *acts, size_t n_acts, int64_t step,
                       gan_err_t *err);
/* The grid PNG at png_path (height x width pixels) as an image summary. */
int run_log_image(run_t *run, const char *png_path, int height, int width, int64_t step,
                  gan_err_t *err);
/* Event records so far on disk (fflush + fsync). */
int run_log_flush(run_t *run, gan_err_t *err);
/* Closes the event file; the error of its last flush. */
int run_log_close(run_t *run, gan_err_t *err);
/* Frees what run_log_prepare/open made (closing without a report). */
void run_log_free(run_t *run);

#endif
