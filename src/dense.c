/* Dense layer forward and backward on OpenBLAS; see dense.h. */
#include "gan/dense.h"

#include <cblas.h>
#include <string.h>

/* x: B x n_in, w: n_out x n_in, b: n_out, y: B x n_out */
void dense_forward(float *y, const float *x, const float *w, const float *b,
                   int batch, int n_in, int n_out)
{
    /* With a bias, seed every row with it so the product accumulates onto
     * it (beta = 1); without, the product overwrites y (beta = 0). */
    if (b)
        for (int r = 0; r < batch; r++)
            memcpy(y + (size_t)r * n_out, b, (size_t)n_out * sizeof *y);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, n_out, n_in,
                1.0f, x, n_in, w, n_in, b ? 1.0f : 0.0f, y, n_out);
}

/* dy: B x n_out, x: B x n_in, w: n_out x n_in, dx: B x n_in, dw: n_out x n_in, db: n_out */
void dense_backward(float *dx, float *dw, float *db, const float *dy,
                    const float *x, const float *w, const float *ones,
                    int batch, int n_in, int n_out, grad_mode_t mode)
{
    const float beta = mode == GRADS_ADD ? 1.0f : 0.0f;
    /* dL/dx = dL/dy * dy/dx = dy w */
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, n_in, n_out,
                    1.0f, dy, n_out, w, n_in, 0.0f, dx, n_in);
    /* dL/dw = dy^T x, summed over the batch */
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, batch,
                    1.0f, dy, n_out, x, n_in, beta, dw, n_in);
    /* dL/db = dy^T 1 */
    if (db)
        cblas_sgemv(CblasRowMajor, CblasTrans, batch, n_out, 1.0f, dy, n_out,
                    ones, 1, beta, db, 1);
}
