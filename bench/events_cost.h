/* The events writer's cost per epoch (gan-bench, issue 15). */
#ifndef GAN_BENCH_EVENTS_COST_H
#define GAN_BENCH_EVENTS_COST_H

#include "gan/gan.h"

/* Replays what `gan train` writes to its event file in one epoch (defaults:
 * the step scalars every log_every steps, the metrics row's scalars, the
 * weight and activation histograms of every layer of both nets, one
 * sample grid, the end-of-epoch fsync) into a fresh file in a temp folder,
 * rounds times; *ms gets the median ms per epoch. gan must have run a step
 * (its activations are histogrammed). 0 on success. */
int bench_events_epoch(const gan_t *gan, int steps_per_epoch, int log_every, int rounds,
                       double *ms);

#endif
