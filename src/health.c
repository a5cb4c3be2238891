/* Non-finite scan. Must not be compiled with -ffinite-math-only, which
 * would let the compiler assume the answer. */
#include "gan/health.h"

#include <math.h>

size_t health_first_nonfinite(const float *a, size_t n)
{
    /* Scan in blocks with a branch-free sum first: x * 0 is 0 for finite x
     * and NaN for NaN or infinity, so a block whose sum is 0 is clean. */
    size_t i = 0;
    const size_t block = 256;
    for (; i + block <= n; i += block) {
        float acc = 0.0f;
        for (size_t j = 0; j < block; j++)
            acc += a[i + j] * 0.0f;
        if (acc != 0.0f)
            break;
    }
    for (; i < n; i++)
        if (!isfinite(a[i]))
            return i;
    return n;
}
