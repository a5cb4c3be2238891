/* Fused losses on logits (sigmoid + BCE, softmax + CE); see loss.h for the
 * formulas. */
#include "gan/loss.h"

#include <math.h>
#include <stddef.h>

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

/* log(sum_j exp(x_j)) of one row as m + log(sum_j exp(x_j - m)) with
 * m = max_j x_j: every exponent is <= 0 and the sum is >= 1. x: k */
static double log_sum_exp(const float *x, int k)
{
    double m = x[0];
    for (int j = 1; j < k; j++)
        m = fmax(m, (double)x[j]);
    double s = 0.0;
    for (int j = 0; j < k; j++)
        s += exp((double)x[j] - m);
    return m + log(s);
}

/* logits: batch x k, labels: batch, dlogits: batch x k */
float softmax_ce(float *dlogits, const float *logits, const int *labels, int batch, int k,
                 float scale)
{
    double sum = 0.0;
    for (int b = 0; b < batch; b++) {
        const float *x = logits + (size_t)b * k;
        double lse = log_sum_exp(x, k);
        sum += lse - x[labels[b]];
        if (dlogits) {
            float *d = dlogits + (size_t)b * k;
            for (int j = 0; j < k; j++) {
                double p = exp((double)x[j] - lse); /* softmax_j */
                d[j] = (float)(scale * (p - (j == labels[b] ? 1.0 : 0.0)));
            }
        }
    }
    return batch > 0 ? (float)(sum / batch) : 0.0f;
}

/* logits: batch x k, probs: batch x k */
void softmax_rows(float *probs, const float *logits, int batch, int k)
{
    for (int b = 0; b < batch; b++) {
        const float *x = logits + (size_t)b * k;
        double lse = log_sum_exp(x, k);
        float *p = probs + (size_t)b * k;
        for (int j = 0; j < k; j++)
            p[j] = (float)exp((double)x[j] - lse);
    }
}
