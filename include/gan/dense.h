/* Fully connected layer, W stored out x in like PyTorch's nn.Linear so an
 * exported tensor lines up with a PyTorch twin. Every product is one
 * cblas_sgemm/sgemv call; nothing here allocates. */
#ifndef GAN_DENSE_H
#define GAN_DENSE_H

/* How backward treats the parameter-gradient buffers it is given. */
typedef enum {
    GRADS_ADD, /* dw += ..., db += ...: several passes add up (zero first) */
    GRADS_SET  /* dw = ..., db = ...: one pass; saves zeroing the buffer and
                  reading it back inside the product */
} grad_mode_t;

/* y = x w^T + b, or y = x w^T when b is NULL (the caller then adds the
 * bias in its activation pass: act_forward_bias).
 * x: B x n_in, w: n_out x n_in, b: n_out, y: B x n_out (overwritten). */
void dense_forward(float *y, const float *x, const float *w, const float *b,
                   int batch, int n_in, int n_out);

/* dx = dy w (overwritten; skipped when dx is NULL, e.g. for a first layer),
 * dw (+)= dy^T x and db (+)= colsum(dy) (added or set as mode says; skipped
 * when NULL, e.g. when only the input gradient is wanted).
 * dy: B x n_out, x: B x n_in, w: n_out x n_in, ones: B ones (the sgemv
 * vector for the column sum), dx: B x n_in, dw: n_out x n_in, db: n_out. */
void dense_backward(float *dx, float *dw, float *db, const float *dy,
                    const float *x, const float *w, const float *ones,
                    int batch, int n_in, int n_out, grad_mode_t mode);

#endif
