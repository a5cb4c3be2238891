/* The layout of a run folder: every file name in one table, path building
 * with one limit (PATH_MAX), and the run's state as its checkpoint tells it.
 * The lock that makes one process the only writer of a run is run_lock.h.
 *
 * State comes from the checkpoint, never from counting rows: an epoch's
 * metrics row is appended before its checkpoint is written, so a kill in
 * between leaves a row the checkpoint does not vouch for (resume drops it).
 *
 * Nothing here prints; errors are one line in gan_err_t. */
#ifndef GAN_RUN_DIR_H
#define GAN_RUN_DIR_H

#include <limits.h>
#include <stddef.h>

#include "gan/error.h"

/* The files and folders of a run folder. */
typedef enum {
    RUN_CONFIG,      /* config.json */
    RUN_METRICS,     /* metrics.csv */
    RUN_LAYERS,      /* layers.csv */
    RUN_CKPT,        /* checkpoint.bin: the resume point */
    RUN_CKPT_PREV,   /* checkpoint.prev.bin: the one before */
    RUN_CKPT_NEW,    /* checkpoint.bin.new: the next one, before its renames */
    RUN_SAMPLES,     /* samples/ (folder of epoch_NNNN.png) */
    RUN_LOCK,        /* lock: the writer's claim */
    RUN_CLAIMS,      /* claims.log: every claim and release of the run, appended
                        by the lock's holder only */
    RUN_STEPS,       /* steps.csv: step-level losses every --log-every steps */
    RUN_KEPT,        /* checkpoints/ (folder of epoch_NNNN.bin: the weights of
                        the epochs --keep-every keeps) */
    RUN_CKPT_DAMAGED, /* checkpoint.damaged.bin: a damaged checkpoint.bin that
                         --from-prev set aside (then .1.bin, .2.bin, ...) */
    RUN_N_FILES
} run_file_t;

/* The file's name inside a run folder ("metrics.csv"). */
const char *run_file_name(run_file_t f);

/* out (PATH_MAX bytes) = dir + "/" + the file's name. GAN_ERR_INPUT naming
 * the whole path when it is longer than PATH_MAX. */
int run_path(char out[PATH_MAX], const char *dir, run_file_t f, gan_err_t *err);

/* 1 when name (a file name, no folder) is a TensorBoard event file of a run
 * (events.out.tfevents.*: one per process that trained it). */
int run_is_events_file(const char *name);

/* samples/epoch_NNNN.png of a run. */
int run_sample_path(char out[PATH_MAX], const char *dir, int epoch, gan_err_t *err);

/* checkpoints/epoch_NNNN.bin of a run: the kept weights of an epoch. */
int run_kept_path(char out[PATH_MAX], const char *dir, int epoch, gan_err_t *err);

/* The one reader of those names: the epoch of a file name inside folder
 * (RUN_SAMPLES: "epoch_0005.png", RUN_KEPT: "epoch_0005.bin"), exactly as
 * run_sample_path and run_kept_path write it (at least four digits, a
 * leading zero only as padding to four); -1 for any other name
 * ("epoch_5.bin", "epoch_00005.bin", a temporary ".epoch_0005.bin.tmp.*")
 * and for a folder without epoch files. */
int run_epoch_of_name(const char *name, run_file_t folder);

/* The epochs whose weights dir/checkpoints/ holds, ascending, from the file
 * names (run_epoch_of_name: temporary files of a write in progress are not
 * kept epochs). *epochs is malloc'ed (the caller frees; NULL when
 * *n is 0). A run without the folder has none: GAN_OK, *n = 0.
 * GAN_ERR_RUNTIME when the folder cannot be read or memory runs out. */
int run_kept_epochs(int **epochs, int *n, const char *dir, gan_err_t *err);

/* Writes "2, 4, 5" (the list run_kept_epochs gives) into out, or "none";
 * a list too long for size ends in "...". For messages. */
void run_kept_list_text(char *out, size_t size, const int *epochs, int n);

typedef enum {
    RUN_STATE_NONE,     /* no run here (no folder, or an empty one) */
    RUN_STATE_STARTED,  /* files of a run (config.json, metrics.csv) but no
                           checkpoint yet: killed before its first one */
    RUN_STATE_PARTIAL,  /* a checkpoint with fewer epochs than the run's total */
    RUN_STATE_FINISHED  /* a checkpoint at the end of the run's last epoch */
} run_state_t;

typedef struct {
    run_state_t state;
    int epoch;      /* finished epochs, from the checkpoint (0 if none) */
    long step;      /* steps into the next epoch (a checkpoint written at Ctrl-C) */
    int epochs;     /* the run's total, from the checkpoint */
    int from_prev;  /* the state comes from checkpoint.prev.bin (checkpoint.bin
                       missing: a crash between the two renames) */
} run_status_t;

/* Reads only the checkpoint's header (cheap: a few KB, CRC-checked), so a
 * plan of many runs can be judged quickly. GAN_ERR_INPUT if the header is
 * damaged; a missing folder or checkpoint is not an error (NONE/STARTED). */
int run_status(run_status_t *st, const char *dir, gan_err_t *err);

/* "new", "started", "partial", "finished". */
const char *run_state_name(run_state_t s);

#endif
