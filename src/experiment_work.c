/* Workers of a plan: claim a run by its lock, train it in this process,
 * repeat (experiment.h). Any number of workers, on any number of machines
 * sharing the experiment folder, may work on one plan: the run lock
 * (run_lock.h) makes one of them the only writer of a run, and the state is
 * judged again under the lock, so a run finished by another worker between
 * our first look and our claim is never trained again. Nothing here forks
 * or prints. */
#include "gan/experiment.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gan/clock.h"
#include "gan/fsutil.h"

typedef struct {
    const exp_work_opts_t *opts;
    const exp_run_t *run;
    double started;
} work_ctx_t;

static void report(const exp_work_opts_t *opts, const exp_work_progress_t *p)
{
    if (opts->on_progress)
        opts->on_progress(opts->ctx, p);
}

static void on_train_progress(void *ctx, const train_progress_t *p)
{
    const work_ctx_t *w = ctx;
    if (p->event == TRAIN_EVENT_NOTICE) {
        exp_work_progress_t e = {.event = EXP_WORK_NOTICE, .run = w->run, .message = p->notice};
        report(w->opts, &e);
    }
    if (p->event != TRAIN_EVENT_EPOCH)
        return;
    exp_work_progress_t e = {.event = EXP_WORK_EPOCH, .run = w->run, .epoch = p->epoch,
                             .seconds = clock_seconds() - w->started};
    report(w->opts, &e);
}

typedef enum { TRY_TRAINED, TRY_FINISHED, TRY_BUSY, TRY_FAILED, TRY_STOPPED } try_result_t;

/* One attempt at one run: claim it, then let train_run judge under the
 * lock what it needs (train_opts_t.ensure: the one state -> action rule,
 * the same a printed plan's argv runs), release. */
static try_result_t try_run(const experiment_t *e, const exp_run_t *run,
                            const exp_work_opts_t *opts, gan_err_t *err)
{
    run_lock_t *lock = NULL;
    int rc = fs_mkdirs(run->dir, err);
    if (!rc)
        rc = run_lock_acquire(&lock, run->dir, opts->stale_seconds, err);
    if (rc == RUN_LOCK_BUSY)
        return TRY_BUSY;
    if (rc)
        return TRY_FAILED;
    run_status_t st;
    if (experiment_run_status(&st, e, run, NULL) == GAN_OK && st.state != RUN_STATE_FINISHED) {
        run_holder_t prev;
        exp_work_progress_t p = {.event = EXP_WORK_CLAIMED, .run = run, .status = &st,
                                 .took_over = run_lock_took_over(lock, &prev) ? &prev : NULL};
        report(opts, &p);
    }
    work_ctx_t w = {.opts = opts, .run = run, .started = clock_seconds()};
    train_cfg_t cfg = run->cfg;
    if (opts->threads > 0)
        cfg.threads = opts->threads;
    train_opts_t topts = {
        .run_dir = run->dir,
        .ensure = 1,
        .threads_given = opts->threads_given,
        .stale_seconds = opts->stale_seconds,
        .lock = lock,
        .on_progress = on_train_progress,
        .ctx = &w,
        .stop = opts->stop,
    };
    rc = train_run(&cfg, &topts, err);
    if (rc == GAN_OK) {
        exp_work_progress_t f = {.event = EXP_WORK_FINISHED, .run = run,
                                 .seconds = clock_seconds() - w.started};
        report(opts, &f);
    }
    run_lock_release(lock);
    switch (rc) {
    case GAN_OK: return TRY_TRAINED;
    case TRAIN_ALREADY_FINISHED: return TRY_FINISHED;
    case TRAIN_STOPPED: return TRY_STOPPED;
    default: return TRY_FAILED;
    }
}

int experiment_work(const experiment_t *e, const exp_work_opts_t *opts, exp_work_stats_t *stats,
                    gan_err_t *err)
{
    memset(stats, 0, sizeof *stats);
    long count = opts->share_count > 0 ? opts->share_count : 1;
    double poll = opts->poll_seconds > 0 ? opts->poll_seconds : 5.0;
    /* A claim turns stale after stale_seconds of watching it: look at least
     * that often, so a short --stale takes a dead holder's run over soon. */
    if (opts->stale_seconds > 0 && opts->stale_seconds < poll)
        poll = opts->stale_seconds;
    unsigned char *failed = calloc(e->n_runs ? e->n_runs : 1, 1);
    if (!failed)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    int rc = GAN_OK;
    for (;;) {
        int n_busy = 0, progressed = 0;
        for (size_t i = (size_t)opts->share_index; i < e->n_runs; i += (size_t)count) {
            if (opts->stop && *opts->stop) {
                rc = TRAIN_STOPPED;
                goto done;
            }
            if (failed[i])
                continue;
            exp_run_t run;
            run_status_t st;
            gan_err_t why;
            rc = experiment_run(&run, e, i, err);
            if (rc)
                goto done;
            if (experiment_run_status(&st, e, &run, &why) == GAN_OK &&
                st.state == RUN_STATE_FINISHED)
                continue;
            /* A quick look first: no folder is made for a run another
             * worker holds. */
            if (run_lock_held(run.dir, opts->stale_seconds)) {
                n_busy++;
                continue;
            }
            switch (try_run(e, &run, opts, &why)) {
            case TRY_TRAINED: stats->trained++; progressed = 1; break;
            case TRY_FINISHED: break;
            case TRY_BUSY: n_busy++; break;
            case TRY_STOPPED: stats->stopped_in_run = 1; rc = TRAIN_STOPPED; goto done;
            case TRY_FAILED: {
                failed[i] = 1;
                stats->failed++;
                progressed = 1;
                exp_work_progress_t p = {.event = EXP_WORK_FAILED, .run = &run,
                                         .message = why.msg};
                report(opts, &p);
                break;
            }
            }
        }
        if (n_busy == 0)
            break;
        if (!progressed) {
            exp_work_progress_t p = {.event = EXP_WORK_WAITING, .n_busy = n_busy};
            report(opts, &p);
            struct timespec pause = {(time_t)poll, (long)((poll - (double)(time_t)poll) * 1e9)};
            nanosleep(&pause, NULL);
        }
    }
    rc = GAN_OK;
done:
    free(failed);
    return rc;
}

int experiment_missing(const experiment_t *e, size_t *missing, size_t max, size_t *n_missing,
                       gan_err_t *err)
{
    *n_missing = 0;
    for (size_t i = 0; i < e->n_runs; i++) {
        exp_run_t run;
        run_status_t st;
        int rc = experiment_run(&run, e, i, err);
        if (rc)
            return rc;
        gan_err_t why;
        if (experiment_run_status(&st, e, &run, &why) == GAN_OK && st.state == RUN_STATE_FINISHED)
            continue;
        if (missing && *n_missing < max)
            missing[*n_missing] = i;
        (*n_missing)++;
    }
    return GAN_OK;
}
