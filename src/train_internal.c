/* The run's hold on its folder, shared by every part of a training run
 * that writes (train.c, train_checkpoint.c, train_log.c): the check before
 * each write and the lock's refresh. See train_internal.h. */
#include "gan/clock.h"
#include "train_internal.h"

/* Sticky: once the claim is not ours, no later write even looks. */
static int lose_lock(run_t *run, const gan_err_t *why, gan_err_t *err)
{
    run->lock_lost = 1;
    run->lost = *why;
    if (err)
        *err = *why;
    return GAN_ERR_RUNTIME;
}

int run_guard(run_t *run, gan_err_t *err)
{
    if (run->lock_lost) {
        if (err)
            *err = run->lost;
        return GAN_ERR_RUNTIME;
    }
    gan_err_t why;
    if (!run->lock || run_lock_check(run->lock, &why) == GAN_OK)
        return GAN_OK;
    return lose_lock(run, &why, err);
}

/* Tells other processes (and machines) that the run is alive; a lost lock
 * (or a claim that cannot be rewritten) stops the run before it writes
 * anything more, so a holder judged stale elsewhere stops within one
 * refresh period. */
int run_refresh_lock(run_t *run, gan_err_t *err)
{
    run->next_refresh = clock_seconds() + RUN_LOCK_REFRESH_SECONDS;
    if (run->lock_lost)
        return run_guard(run, err);
    gan_err_t why;
    if (run_lock_refresh(run->lock, &why) == GAN_OK)
        return GAN_OK;
    return lose_lock(run, &why, err);
}
