/* Optimizers over one flat parameter buffer and its gradient buffer.
 *
 * Sign convention: grads hold the true dL/dparams and the optimizer
 * subtracts (params move downhill). */
#ifndef GAN_OPTIM_H
#define GAN_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"

typedef struct {
    float lr, beta1, beta2, eps;
} adam_cfg_t;

/* torch.optim.Adam's defaults; the GAN trainer overrides lr and beta1. */
#define ADAM_DEFAULTS ((adam_cfg_t){.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f})

typedef struct {
    adam_cfg_t cfg;
    size_t n;
    float *m, *v;  /* first and second moment estimates, n each, owned */
    int64_t step;  /* updates done so far */
    float step_size, inv_sqrt_bias2; /* of the current step (adam_begin_step) */
} adam_t;

/* Allocates zeroed moments for n parameters. GAN_ERR_RUNTIME if out of
 * memory (adam is then destroyable). */
int adam_create(adam_t *adam, size_t n, adam_cfg_t cfg, gan_err_t *err);
void adam_destroy(adam_t *adam);

/* One Adam update (Kingma & Ba 2015, Algorithm 1, in the form of PyTorch's
 * torch.optim.Adam: eps is added to sqrt(v_hat)):
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  t += 1
 *   p -= lr / (1-b1^t) * m / (sqrt(v) / sqrt(1-b2^t) + eps) */
void adam_step(adam_t *adam, float *params, const float *grads);

/* The same update in pieces, for a trainer that updates each layer as soon
 * as its gradient is ready: adam_begin_step once (t += 1, bias
 * corrections), then adam_update_range over slices that together cover the
 * n parameters once. params[i], m[i], v[i] for i in [first, first + n)
 * move by grads[0..n). Equal to adam_step bit for bit. */
void adam_begin_step(adam_t *adam);
void adam_update_range(adam_t *adam, float *params, const float *grads, size_t first,
                       size_t n);

/* p -= lr g */
void sgd_step(float *params, const float *grads, size_t n, float lr);

#endif
