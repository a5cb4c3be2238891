/* Helpers shared by the Criterion test files. */
#ifndef GAN_TEST_UTIL_H
#define GAN_TEST_UTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <stddef.h>

/* Asserts |a[i]-b[i]| <= atol + rtol*|b[i]| for every i, reporting the max
 * difference and the first bad index under label. */
static inline void expect_close(const float *a, const float *b, size_t n,
                                double atol, double rtol, const char *label)
{
    size_t first_bad = n, worst = 0;
    double worst_diff = 0.0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs((double)a[i] - (double)b[i]);
        if (!(diff <= atol + rtol * fabs((double)b[i])) && first_bad == n)
            first_bad = i;
        if (diff > worst_diff || isnan(diff)) {
            worst_diff = diff;
            worst = i;
        }
    }
    cr_expect(first_bad == n,
              "%s: first mismatch at [%zu]: %.9g vs %.9g; max |diff| %.3g at [%zu] (atol %g, rtol %g)",
              label, first_bad, first_bad < n ? (double)a[first_bad] : 0.0,
              first_bad < n ? (double)b[first_bad] : 0.0, worst_diff, worst, atol, rtol);
}

/* Same for doubles (finite-difference reference values). */
static inline void expect_close_d(const double *a, const double *b, size_t n,
                                  double atol, double rtol, const char *label)
{
    size_t first_bad = n, worst = 0;
    double worst_diff = 0.0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs(a[i] - b[i]);
        if (!(diff <= atol + rtol * fabs(b[i])) && first_bad == n)
            first_bad = i;
        if (diff > worst_diff || isnan(diff)) {
            worst_diff = diff;
            worst = i;
        }
    }
    cr_expect(first_bad == n,
              "%s: first mismatch at [%zu]: %.12g vs %.12g; max |diff| %.3g at [%zu] (atol %g, rtol %g)",
              label, first_bad, first_bad < n ? a[first_bad] : 0.0,
              first_bad < n ? b[first_bad] : 0.0, worst_diff, worst, atol, rtol);
}

#endif
