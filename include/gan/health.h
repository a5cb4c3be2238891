/* Cheap numerical health checks: the trainer stops a diverged run with a
 * clear message instead of writing NaN images. */
#ifndef GAN_HEALTH_H
#define GAN_HEALTH_H

#include <stddef.h>

/* Index of the first NaN or infinity in a[0..n), or n if all are finite. */
size_t health_first_nonfinite(const float *a, size_t n);

#endif
