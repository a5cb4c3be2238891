/* Seconds on the monotonic clock, for measuring durations (epoch times,
 * progress, evaluations, benchmarks); never a date. */
#ifndef GAN_CLOCK_H
#define GAN_CLOCK_H

#include <time.h>

static inline double clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#endif
