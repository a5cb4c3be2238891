/* Activation statistics; see act_stats.h. Accumulates in double: layers
 * hold up to millions of values and float sums would drift. */
#include "gan/act_stats.h"

#include <math.h>

void act_stats_moments(const float *a, size_t n, double *mean, double *std, size_t *n_bad)
{
    double sum = 0.0;
    size_t n_ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(a[i])) {
            sum += a[i];
            n_ok++;
        }
    }
    double m = n_ok ? sum / (double)n_ok : 0.0;
    /* Second pass around the mean: no cancellation for large means. */
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(a[i])) {
            double d = (double)a[i] - m;
            ss += d * d;
        }
    }
    *mean = m;
    *std = n_ok ? sqrt(ss / (double)n_ok) : 0.0;
    if (n_bad)
        *n_bad = n - n_ok;
}

static int is_saturated(float y, act_t act)
{
    if (act == ACT_TANH)
        return fabsf(y) > 0.99f;
    if (act == ACT_SIGMOID)
        return y < 0.01f || y > 0.99f;
    return 0;
}

void act_stats_compute(act_stats_t *st, const float *y, size_t n, act_t act)
{
    size_t n_bad = 0, n_sat = 0, n_zero = 0, n_neg = 0;
    act_stats_moments(y, n, &st->mean, &st->std, &n_bad);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float v = y[i];
        if (!isfinite(v))
            continue;
        if (v < lo)
            lo = v;
        if (v > hi)
            hi = v;
        n_sat += (size_t)is_saturated(v, act);
        n_zero += v == 0.0f;
        n_neg += v < 0.0f;
    }
    double count = n ? (double)n : 1.0;
    st->min = n_bad == n ? 0.0 : lo;
    st->max = n_bad == n ? 0.0 : hi;
    st->n_nonfinite = n_bad;
    st->frac_saturated = (double)n_sat / count;
    st->frac_zero = (double)n_zero / count;
    st->frac_negative = (double)n_neg / count;
}
