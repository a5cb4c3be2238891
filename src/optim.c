/* Adam and SGD, each one loop over flat buffers; see optim.h. */
#include "gan/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int adam_create(adam_t *adam, size_t n, adam_cfg_t cfg, gan_err_t *err)
{
    memset(adam, 0, sizeof *adam);
    adam->cfg = cfg;
    adam->n = n;
    adam->m = calloc(n ? 2 * n : 1, sizeof *adam->m);
    if (!adam->m)
        return gan_err_set(err, GAN_ERR_RUNTIME, "adam: out of memory for %zu parameters", n);
    adam->v = adam->m + n;
    return GAN_OK;
}

void adam_destroy(adam_t *adam)
{
    if (!adam)
        return;
    free(adam->m);
    memset(adam, 0, sizeof *adam);
}

void adam_begin_step(adam_t *adam)
{
    const adam_cfg_t c = adam->cfg;
    adam->step++;
    /* Bias corrections in double: 1 - 0.999^t loses digits in float. */
    double bias1 = 1.0 - pow(c.beta1, (double)adam->step);
    double bias2 = 1.0 - pow(c.beta2, (double)adam->step);
    adam->step_size = (float)(c.lr / bias1);
    adam->inv_sqrt_bias2 = (float)(1.0 / sqrt(bias2));
}

/* params, m, v: first + n (slice [first, first + n)), grads: n */
void adam_update_range(adam_t *adam, float *params, const float *grads, size_t first,
                       size_t n)
{
    const adam_cfg_t c = adam->cfg;
    const float b1 = c.beta1, b2 = c.beta2, eps = c.eps;
    const float step_size = adam->step_size, inv_sqrt_bias2 = adam->inv_sqrt_bias2;
    float *m = adam->m + first, *v = adam->v + first, *p = params + first;
    for (size_t i = 0; i < n; i++) {
        float g = grads[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        p[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_sqrt_bias2 + eps);
    }
}

void adam_step(adam_t *adam, float *params, const float *grads)
{
    adam_begin_step(adam);
    adam_update_range(adam, params, grads, 0, adam->n);
}

void sgd_step(float *params, const float *grads, size_t n, float lr)
{
    for (size_t i = 0; i < n; i++)
        params[i] -= lr * grads[i];
}
