/* Fused sigmoid + binary cross entropy; see loss.h for the formula. */
#include "gan/loss.h"

#include <math.h>

/* logits: n, dlogits: n */
float bce_logits(float *dlogits, const float *logits, float target, int n,
                 float scale)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double x = logits[i];
        double e = exp(-fabs(x)); /* in (0, 1]: cannot overflow */
        sum += fmax(x, 0.0) - x * target + log1p(e);
        if (dlogits) {
            double s = x >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            dlogits[i] = (float)(scale * (s - target));
        }
    }
    return n > 0 ? (float)(sum / n) : 0.0f;
}
