/* The files of a run folder besides the checkpoints and the lock:
 * config.json, metrics.csv, layers.csv, steps.csv, the sample grids, and
 * making and clearing the folder. Their formats (DESIGN.md, "Files a run
 * writes"; docs/FORMATS.md), written from plain rows and buffers that the
 * trainer computes (train_log.c); paths come from run_dir.h.
 *
 * Not done here: training, statistics, the generator's forward pass, the
 * TensorBoard mirror (run_log.h), the check that the writer still holds
 * the run's lock (the trainer's, before every call that writes). Nothing
 * here prints; errors are one line in gan_err_t. */
#ifndef GAN_RUN_FILES_H
#define GAN_RUN_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gan/error.h"
#include "gan/eval.h"
#include "gan/metrics_csv.h"
#include "gan/run_config.h"
#include "gan/run_dir.h"
#include "gan/run_lock.h"

/* What config.json records besides the settings. */
typedef struct {
    size_t train_images;          /* the training images in use (after --limit) */
    long steps_per_epoch;
    uint32_t train_pixels_crc32;  /* CRC-32 of their pixels */
    const char *products;         /* the library of the products (threads.h) */
} run_facts_t;

/* dir/config.json (atomic): the settings, the facts, the thread counts,
 * the start time and the program's version. */
int run_write_config(const char *dir, const train_cfg_t *cfg, const run_facts_t *facts,
                     gan_err_t *err);

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
} run_metrics_t;

/* metrics.csv's header line (without newline): the columns of a run that
 * evaluates (with_eval) and of one begun after g_acc existed (with_g_acc). */
const char *run_metrics_header(int with_eval, int with_g_acc);
/* 1 when dir/metrics.csv was begun without the g_acc column (before it
 * existed): a resumed run keeps its rows' shape to the end. 0 for any other
 * file, a missing one, or one that is not a regular file (never opened in a
 * way that can block; the trim that reads it next names it). */
int run_metrics_without_g_acc(const char *dir);
/* 1 when the run's layers.csv was begun before layers had names (its
 * header is LAYERS_CSV_COLUMNS exactly): its rows keep that shape. */
int run_layers_without_name(const char *dir);
/* m as one metrics.csv line (with its newline) of the given shape, into
 * out (size bytes; 4096 holds any row). */
void run_metrics_row(char *out, size_t size, const run_metrics_t *m, int with_eval,
                     int with_g_acc);

/* One row of layers.csv: the statistics of one layer (net "G" or "D",
 * layer index counted from the input) at the end of an epoch (0: before
 * training). */
typedef struct {
    int epoch;
    const char *net;
    int layer;
    const char *act;         /* the activation whose output the statistics describe */
    double mean, std, frac_saturated, frac_negative;
    double weight_std, grad_norm;
    const char *name;        /* "dense2" (the layer's kind and index); NULL: a run
                                begun before names, whose rows keep 10 columns */
} run_layer_row_t;

/* Writes r as one layers.csv line to fp. */
void run_write_layer_row_fp(FILE *fp, const run_layer_row_t *r);

/* One row of steps.csv (the values as the event file holds them). */
typedef struct {
    int64_t step;
    int epoch;
    float g_loss, d_loss, d_real, d_fake;
} run_step_row_t;

/* Writes r as one steps.csv line to fp. */
void run_write_step_row_fp(FILE *fp, const run_step_row_t *r);

/* Appends text (whole lines) to the run's file f (RUN_METRICS, RUN_LAYERS,
 * RUN_STEPS) durably (fs_append_durably), so a crash loses at most the
 * epoch in progress. */
int run_append(const char *dir, run_file_t f, const char *text, gan_err_t *err);

/* Writes a new CSV log's header line (header plus newline) as dir's file f,
 * atomically, replacing what was there. */
int run_begin_csv(const char *dir, run_file_t f, const char *header, gan_err_t *err);

/* Rewrites a CSV log (atomically) from what the checkpoint vouches for
 * (metrics_csv_trim: repairs in *report, refusals naming file, line and
 * the fix); a refused file is left as it was. The rewrite replaces the
 * file only while lock (not NULL) is still ours: a holder stopped in the
 * middle and taken over must not put back the rows of before the new
 * holder's appends. */
int run_trim_csv(const char *path, const csv_vouch_t *vouch, const run_lock_t *lock,
                 csv_trim_report_t *report, gan_err_t *err);

/* samples/epoch_NNNN.png of dir: the n images (rows x cols pixels each,
 * values in [-1, 1]) in a grid of `grid` per row with 2 px padding.
 * *width and *height get the picture's size. */
int run_write_grid(const char *dir, int epoch, const float *images, int n, int grid, int rows,
                   int cols, int *width, int *height, gan_err_t *err);

/* A new run's folder: refused (GAN_ERR_INPUT) if it holds a run, unless
 * force; created if missing, with its samples/ folder. Its lock is taken
 * (*lock, unless the caller holds it already) before anything in it is
 * written or, with force, removed. */
int run_make_folder(run_lock_t **lock, const char *dir, double stale_seconds, int force,
                    gan_err_t *err);
/* Removes a run's files (and leftovers of atomic writes); the lock stays.
 * Each removal is made only while lock (not NULL) is still ours: a holder
 * that lost its lock (stopped and taken over) must not remove the new
 * holder's files. GAN_ERR_RUNTIME, naming the lost lock, when it is not. */
int run_remove_files(const char *dir, const run_lock_t *lock, gan_err_t *err);

#endif
