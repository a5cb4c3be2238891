/* Training runs: epochs over MNIST, per-epoch metrics, sample grids,
 * resumable checkpoints. Owns the run folder layout (DESIGN.md, "Files a
 * run writes"); never prints: progress goes through a callback and errors
 * through gan_err_t.
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

/* Every setting that shapes a run (written to config.json and to every
 * checkpoint header; a resumed run takes them from there). */
typedef struct {
    gan_arch_t arch;
    init_scheme_t g_init, d_init;
    float init_std;          /* std of the `random` scheme */
    adam_cfg_t adam;         /* same settings for G and D */
    int batch, epochs;
    uint64_t seed;
    char data_dir[PATH_MAX];
    long limit;              /* use the first `limit` training images; 0 = all */
    int threads;             /* OpenBLAS threads */
    int sample_every;        /* epochs between sample grids */
    int grid;                /* grid side: grid x grid samples */
    /* Sample quality (eval.h) every eval_every epochs and after the last
     * one (0: never): FD and class coverage of eval_n samples, measured
     * with the classifier file; adds columns to metrics.csv. */
    int eval_every;
    long eval_n;
    char classifier[PATH_MAX];
    /* Watching a run (issue 15): steps.csv and the TensorBoard step scalars
     * get the first step and every log_every-th (0: none). events = 0
     * (--no-events) writes no TensorBoard event file. Both are run settings,
     * kept by --resume, so a run's logs have one shape from start to end,
     * also when an experiment worker on another machine takes it over. */
    int log_every;
    int events;
    /* The step's matrix products (bf16.h): a run setting, kept by --resume
     * (a run trains in one precision from start to end). Runs from before
     * it read as fp32. */
    precision_t precision;
    /* Kept epochs (issue 16): the weights of G and D after every
     * keep_every-th epoch and after the last one go to checkpoints/ (0:
     * none). A run setting, kept by --resume. */
    int keep_every;
} train_cfg_t;

/* The defaults of `gan train` (issue 4): he_xavier, Adam 2e-4 / 0.5 /
 * 0.999, batch 64, 30 epochs, seed 1, data/mnist, 8 x 8 grids. */
void train_cfg_default(train_cfg_t *cfg);

/* Checks value ranges and consistency; GAN_ERR_INPUT naming the option. */
int train_cfg_check(const train_cfg_t *cfg, gan_err_t *err);

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

/* One row of metrics.csv. */
typedef struct {
    int epoch;
    long steps;
    double g_loss, d_loss, d_acc, d_acc_real, d_acc_fake, d_real, d_fake;
    double seconds, images_per_sec;
    double g_acc;            /* 1 - d_acc_fake */
    /* Only when the run evaluates sample quality (cfg eval_every > 0);
     * epochs without an evaluation have evaluated = 0 and write nan. */
    int evaluated;
    eval_result_t eval;
    double eval_seconds;
} train_metrics_t;


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
    const train_metrics_t *metrics; /* TRAIN_EVENT_EPOCH only */
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

/* Writes the settings as the lines of a flat JSON object ("key": value),
 * separated by ",\n", with no newline after the last: the caller opens the
 * object and closes it, adding its own keys (config.json and checkpoint
 * headers share this). */
void train_cfg_write_fields(FILE *fp, const train_cfg_t *cfg);
/* Reads the keys train_cfg_write_fields writes. GAN_ERR_INPUT naming origin
 * and the key when one is missing or bad. */
int train_cfg_read_json(train_cfg_t *cfg, const char *json, const char *origin,
                        gan_err_t *err);

/* The training options by their command-line names ("lr", "g-hidden",
 * "init", ...): one parser and one range per option for every command.
 * train_cfg_set parses value into cfg; GAN_ERR_INPUT with
 * "--<name>=<value>: <what is wrong>" when the name is unknown or the value
 * out of range. train_cfg_get writes the option's value as text that
 * train_cfg_set reads back (exact != 0: floats to the last bit with %.9g;
 * 0: as people write them, %g); -1 for an unknown name. */
int train_cfg_is_option(const char *name);
int train_cfg_set(train_cfg_t *cfg, const char *name, const char *value, gan_err_t *err);
int train_cfg_get(char *out, size_t size, const train_cfg_t *cfg, const char *name, int exact);

/* The first option whose value differs between a run's recorded settings
 * and the ones asked for, as train_cfg_get writes them (exact). Leaves out
 * epochs (a raise is allowed), threads, the data folder (a run's data is
 * checked by content instead) and the classifier. Returns 1 and fills d on
 * a difference, 0 when the settings make the same run. */
typedef struct {
    const char *option;        /* "lr" */
    char recorded[PATH_MAX + 64], requested[PATH_MAX + 64];
} train_cfg_diff_t;
int train_cfg_diff(train_cfg_diff_t *d, const train_cfg_t *recorded, const train_cfg_t *requested);

/* The arguments that give `gan train` exactly cfg's settings, one per
 * call: writes the next "--name=value" (or "--no-events") into out and
 * returns 1; 0 after the last. *cursor starts at 0. Leaves out init (g-init
 * and d-init say it), threads and epochs (the caller's), limit,
 * keep-every and precision at their defaults, and eval-n and classifier
 * of a run that does not evaluate. Every option of
 * the table is here, so a new setting reaches the runs of an experiment
 * without a second list. */
int train_cfg_setting_arg(char *out, size_t size, const train_cfg_t *cfg, int *cursor);

/* A whole-number option shared by several commands (--seed, --threads)
 * parsed with its one range from the table of training options. */
int train_option_parse_int(long *out, const char *name, const char *text, gan_err_t *err);

/* Strict number parsing of an option's value: the whole text must be a
 * number in [lo, hi]; GAN_ERR_INPUT "--<option>=<text>: ..." otherwise. */
int train_parse_int(long *out, const char *option, const char *text, long lo, long hi,
                    gan_err_t *err);
int train_parse_float(double *out, const char *option, const char *text, double lo, double hi,
                      gan_err_t *err);

/* Label of a run's init: the scheme name if G and D share it, else
 * "<g>+<d>" (written to config.json as "init"). */
void train_init_label(char *out, size_t size, const train_cfg_t *cfg);

#endif
