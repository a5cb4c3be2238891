/* What the parts of a training run share: the run state, and the
 * functions of checkpoints (train_checkpoint.c) and of what the run hands
 * its files (train_log.c) that the loop in train.c calls. Not a public
 * header: only src/train*.c include it (the run folder's writers,
 * run_*.c, take plain arguments). */
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
#include "gan/run_files.h"
#include "gan/run_lock.h"
#include "gan/train.h"

/* Running sums of the epoch in progress (saved in checkpoints, so a run
 * stopped mid-epoch still reports the whole epoch's means). */
typedef struct {
    double d_loss, g_loss, d_real, d_fake, acc_real, acc_fake, seconds, steps;
} epoch_sums_t;

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
    /* Watching the run (train_log.c): the steps.csv rows of the epoch not
     * yet written (room for an epoch's, allocated in run_prepare) and the
     * TensorBoard writer (NULL with --no-events). */
    run_step_row_t *step_rows;
    long n_step_rows, max_step_rows;
    events_writer_t *events;
    run_lock_t *lock;          /* held from before the first write to the end */
    int resuming;              /* continuing the run's checkpoint (else a new run) */
    int force;                 /* a new run replaces what the folder holds */
    char products[64];         /* the library of the products (threads.h) */
    int lock_lost;             /* run_guard found the lock gone: nothing more is written */
    gan_err_t lost;            /* ... and why (its one line) */
    int metrics_without_g_acc; /* a run begun before g_acc: its rows keep that shape */
    int layers_without_name;   /* a run begun before layer names: layers.csv likewise */
    int steps_csv_from_start;  /* the checkpoint knows log_every: steps.csv has every
                                * logged step (runs from before it began steps.csv later) */
    double next_refresh;       /* clock_seconds() of the lock's next refresh */
} run_t;

/* train_internal.c */

/* Called before every write to the run folder (checkpoint, kept epoch, CSV
 * append, grid, event file, journal line): GAN_OK while run->lock is still
 * this process's claim (run_lock_check). Once it is not, this and every
 * later call fail at once with the same GAN_ERR_RUNTIME line, so a writer
 * that lost its lock writes nothing more. */
int run_guard(run_t *run, gan_err_t *err);
/* Rewrites the claim (run_lock_refresh) and sets the next refresh time: it
 * tells other processes (and machines) that the run is alive. A lost lock
 * or a claim that cannot be rewritten fails as run_guard does, and every
 * later run_guard too. */
int run_refresh_lock(run_t *run, gan_err_t *err);

/* train_checkpoint.c */

/* path = dir/checkpoint.bin, prev = dir/checkpoint.prev.bin (run_path). */
int run_ckpt_paths(char path[PATH_MAX], char prev[PATH_MAX], const char *dir, gan_err_t *err);

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

/* train_log.c: what the run hands its files (see its top). Each writes
 * only after run_guard. */

/* Steps done since the run started: epoch * steps_per_epoch + step. */
int64_t train_global_step(const run_t *run);
/* Allocates the table of an epoch's steps.csv rows. */
int train_log_prepare(run_t *run, gan_err_t *err);
/* Opens the event file (unless --no-events); a resumed run's starts with a
 * SessionLog START at the first step it will train. */
int train_log_open(run_t *run, int resumed, gan_err_t *err);
/* After a step (run->step already counts it): keeps its row and writes its
 * step scalars when the step is logged (the first and every log_every-th).
 * Allocates nothing. */
int train_log_step(run_t *run, const gan_stats_t *st, gan_err_t *err);
/* Appends the kept rows to steps.csv durably and empties the table. */
int train_log_steps(run_t *run, gan_err_t *err);
/* metrics.csv's header line (without newline) for this run's settings. */
const char *train_metrics_header(const run_t *run);
/* One metrics.csv row, made durable, and its values as TensorBoard scalars
 * at the end of the row's epoch. */
int train_log_metrics(run_t *run, const run_metrics_t *m, gan_err_t *err);
/* The layers.csv rows of an epoch (0: before training), from the probe
 * batches and the epoch's gradient-norm sums over `steps` steps, and their
 * histograms. */
int train_log_layers(run_t *run, int epoch, double steps, gan_err_t *err);
/* samples/epoch_NNNN.png from the fixed noise (and the image summary). */
int train_log_samples(run_t *run, int epoch, gan_err_t *err);
/* Event records so far on disk (fflush + fsync). */
int train_log_flush(run_t *run, gan_err_t *err);
/* Closes the event file; the error of its last flush. */
int train_log_close(run_t *run, gan_err_t *err);
/* Frees what train_log_prepare/open made (closing without a report). */
void train_log_free(run_t *run);

#endif
