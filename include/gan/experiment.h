/* Experiments: a plan of runs, the Cartesian product of axes (the init
 * scheme, any training option that changes a run, and the seed), one run
 * folder per point, named from its axis values; each run's state, the
 * `gan train` argument vector that trains or resumes it, the plan as JSON
 * Lines, and summary.csv.
 *
 * Pairing: runs differ only in their axis values; for one seed they see the
 * same data order and noise streams (train.h), as far as an axis allows (a
 * batch axis cuts the same order into other batches; a z-dim axis draws the
 * same stream into other shapes).
 *
 * Runs are not stored: run i is computed from its index (mixed radix over
 * the axes, the last axis, the seed, fastest), so a plan of 10,000 runs
 * costs a few KB. Nothing here starts processes or prints: the CLI (or any
 * scheduler reading --plan) does. */
#ifndef GAN_EXPERIMENT_H
#define GAN_EXPERIMENT_H

#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>

#include "gan/error.h"
#include "gan/run_dir.h"
#include "gan/run_lock.h"
#include "gan/train.h"

#define EXP_MAX_AXES 16
#define EXP_NAME_MAX 256

typedef struct {
    char option[32];  /* "init", "lr", "g-hidden", ..., "seed" */
    int n_values;
    char **texts;     /* each value as given (what train_cfg_set reads) */
    char **labels;    /* each value as shown and used in names ("0.0004") */
} exp_axis_t;

typedef struct {
    train_cfg_t base;          /* every setting that is not an axis */
    char dir[PATH_MAX];        /* the experiment folder */
    int n_axes;
    exp_axis_t axes[EXP_MAX_AXES]; /* init first, --vary axes in order, seed last */
    size_t n_runs;
} experiment_t;

/* Every axis a plan (or a report) knows, by training option name, from the
 * option table: "init" first, each option --vary takes, "seed" last.
 * Returns how many (at most EXP_MAX_AXIS_NAMES); *names points to a static
 * list. */
#define EXP_MAX_AXIS_NAMES 32
int experiment_axis_names(const char *const **names);

/* The value of axis in cfg as shown and used in run names ("0.0004",
 * "256,512,1024", "he_xavier"); "" for an unknown axis. */
void experiment_axis_label(char *out, size_t size, const train_cfg_t *cfg, const char *axis);

/* The options --vary takes, comma separated (for help and messages). */
const char *experiment_vary_options(void);

/* Starts a plan over base in folder dir with no axes yet. */
void experiment_init(experiment_t *e, const train_cfg_t *base, const char *dir);
/* Adds the init axis from "random,he_xavier". */
int experiment_add_inits(experiment_t *e, const char *list, gan_err_t *err);
/* Adds one --vary axis from "OPTION=V1,V2,..."; for g-hidden and d-hidden
 * the values are separated by '/' (each a comma-separated size list:
 * "g-hidden=256,512,1024/128,128,128"). GAN_ERR_INPUT, naming the --vary
 * text, for an unknown option, a value the option refuses, an axis given
 * twice, an empty list or a value listed twice. */
int experiment_add_vary(experiment_t *e, const char *spec, gan_err_t *err);
/* Adds the seed axis: first, first+1, ..., first+count-1. */
int experiment_add_seeds(experiment_t *e, unsigned long long first, long count, gan_err_t *err);
/* Closes the plan: counts the runs and checks that their names are unique
 * (GAN_ERR_INPUT naming two runs that would share a folder). */
int experiment_finish(experiment_t *e, gan_err_t *err);
void experiment_free(experiment_t *e);

/* Index of an axis by option name, or -1. */
int experiment_axis(const experiment_t *e, const char *option);

typedef struct {
    size_t index;
    char name[EXP_NAME_MAX];   /* "he_xavier-lr0.0004-s2" */
    char dir[PATH_MAX];        /* <experiment>/<name> */
    int value[EXP_MAX_AXES];   /* index into each axis's values */
    train_cfg_t cfg;           /* base with the run's axis values */
} exp_run_t;

/* Run i (0 <= i < n_runs). */
int experiment_run(exp_run_t *run, const experiment_t *e, size_t i, gan_err_t *err);

/* The run's state against the plan's epochs: finished when its checkpoint
 * has all of them; partial when it has fewer (also when --epochs was
 * raised); started or new otherwise. */
int experiment_run_status(run_status_t *st, const experiment_t *e, const exp_run_t *run,
                          gan_err_t *err);

/* experiment_run_check's code for a run made with other settings. */
#define EXP_RUN_MISMATCH 6

/* GAN_OK when the run has no checkpoint or was made with the settings the
 * plan gives it (epochs, threads, the data folder and the classifier
 * aside: train_cfg_diff); EXP_RUN_MISMATCH naming the experiment, the run,
 * the option and both values otherwise; GAN_ERR_INPUT when its checkpoint
 * header cannot be read. st is the run's status. */
int experiment_run_check(const experiment_t *e, const exp_run_t *run, const run_status_t *st,
                         gan_err_t *err);

/* experiment_run_check over the plan: GAN_ERR_INPUT with the first
 * mismatch, so nothing is trained, skipped or summarized under settings a
 * run does not have. Damaged runs are left to their own training. */
int experiment_check_settings(const experiment_t *e, gan_err_t *err);

/* The `gan train` argument vector (NULL-terminated, argv[0] = self) that
 * brings the run to the plan's epochs whatever its state when it runs:
 * --out=DIR, every setting, --epochs=E and --continue (train.h: judged
 * under the run's lock, so it is safe to run at any time, any number of
 * times, in any order; never --force). threads > 0 adds --threads (else a
 * new run takes the library default and a resumed one its own). Free with
 * experiment_args_free. NULL when out of memory. */
char **experiment_train_args(const experiment_t *e, const exp_run_t *run, const char *self,
                             int threads);
void experiment_args_free(char **argv);

/* Writes the plan as JSON Lines, one object per run: name, dir, the axis
 * values, state, epochs_done, epochs and argv (see docs/FORMATS.md); a run
 * that cannot be judged has state "damaged" and a "reason" (*n_damaged
 * counts them). A run made with other settings stops the plan with
 * GAN_ERR_INPUT naming it (experiment_run_check): write into a buffer and
 * print it only on GAN_OK. */
int experiment_write_plan(FILE *fp, const experiment_t *e, const char *self, int threads,
                          size_t *n_damaged, gan_err_t *err);

/* <experiment>/summary.csv: run, one column per axis, epochs, the last
 * epoch's metrics, train_seconds (and fd, class_entropy, classes_covered of
 * the last evaluated epoch when the runs evaluate). Every run must be
 * finished. */
int experiment_write_summary(const experiment_t *e, gan_err_t *err);

/* --- workers: claim, train, repeat (experiment_work.c) ------------------ */

/* What a worker reports. */
typedef enum {
    EXP_WORK_CLAIMED,    /* status: the state it was claimed in */
    EXP_WORK_EPOCH,      /* epoch: the epoch just finished */
    EXP_WORK_FINISHED,   /* seconds: how long this worker trained it */
    EXP_WORK_STOPPED,    /* the stop flag: checkpoint written, resumable */
    EXP_WORK_FAILED,     /* message: why; the worker goes on with other runs */
    EXP_WORK_WAITING,    /* only runs held by others are left: waiting */
    EXP_WORK_NOTICE      /* message: what the run's training says (train.h) */
} exp_work_event_t;

typedef struct {
    exp_work_event_t event;
    const exp_run_t *run;          /* NULL for WAITING */
    const run_status_t *status;    /* CLAIMED */
    const run_holder_t *took_over; /* CLAIMED: the stale claim broken, or NULL */
    int epoch;                     /* EPOCH */
    double seconds;                /* FINISHED, EPOCH */
    int n_busy;                    /* WAITING: runs held by others */
    const char *message;           /* FAILED, NOTICE */
} exp_work_progress_t;

typedef struct {
    long share_index, share_count; /* runs i with i % count == index (1: all) */
    int threads;                   /* product threads of a new run (0: the library's) */
    int threads_given;             /* threads asked for: also for runs that have a
                                      count of their own (which they keep otherwise) */
    double stale_seconds;          /* the run lock's staleness (0: default) */
    double poll_seconds;           /* pause between looks at busy runs (0: 5 s) */
    void (*on_progress)(void *ctx, const exp_work_progress_t *p);
    void *ctx;
    volatile sig_atomic_t *stop;   /* non-zero: finish the step, checkpoint, return */
} exp_work_opts_t;

typedef struct {
    int trained;   /* runs this worker trained to the end */
    int failed;    /* runs that failed in this worker (not retried by it) */
    int stopped_in_run; /* TRAIN_STOPPED while training a run (checkpointed,
                           resumable); 0: stopped while holding no run */
} exp_work_stats_t;

/* Works through the share of the plan until every run of it is finished
 * (by this worker or others) or failed here: skips finished runs, claims a
 * free one by taking its lock (a stale lock is taken over and the run
 * resumes from its checkpoint), judges its state again under the lock,
 * trains it in this process, releases it; while only runs held by others
 * are left it waits (poll_seconds) and looks again, so a holder that dies
 * is taken over once its claim is stale. GAN_OK, TRAIN_STOPPED, or an
 * error that concerns the whole plan (a failing run is counted in stats,
 * not returned). */
int experiment_work(const experiment_t *e, const exp_work_opts_t *opts, exp_work_stats_t *stats,
                    gan_err_t *err);

/* The runs of the plan that are not finished: n_missing, and the first
 * max of their indices into missing (may be NULL). */
int experiment_missing(const experiment_t *e, size_t *missing, size_t max, size_t *n_missing,
                       gan_err_t *err);

#endif
