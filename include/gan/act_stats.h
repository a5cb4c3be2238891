/* Summary statistics of a layer's activations: what the initialization
 * study looks at (collapse to 0, saturation at the ends of tanh/sigmoid,
 * the share of the leaky region). Shared by `gan probe` and the per-layer
 * log of training runs (layers.csv). */
#ifndef GAN_ACT_STATS_H
#define GAN_ACT_STATS_H

#include <stddef.h>

#include "gan/activation.h"

typedef struct {
    double mean, std;       /* over the finite values (population std) */
    double min, max;
    double frac_saturated;  /* tanh: |y| > 0.99; sigmoid: y < 0.01 or > 0.99;
                               0 for other activations */
    double frac_zero;       /* y == 0 exactly (dead ReLU units) */
    double frac_negative;   /* y < 0 (the leaky region of leaky_relu) */
    size_t n_nonfinite;     /* inf/NaN values, left out of the above */
} act_stats_t;

/* Statistics of y[0..n), the output of an activation act. */
void act_stats_compute(act_stats_t *st, const float *y, size_t n, act_t act);

/* Mean and population std of the finite values of a[0..n); the number of
 * non-finite values goes to *n_bad unless it is NULL. */
void act_stats_moments(const float *a, size_t n, double *mean, double *std, size_t *n_bad);

#endif
