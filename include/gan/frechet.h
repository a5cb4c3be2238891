/* The Frechet distance between two Gaussians, the distance behind FID
 * (Heusel et al. 2017; the closed form is Dowson & Landau 1982):
 *
 *   FD = ||mu1 - mu2||^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2))
 *
 * Tr((C1 C2)^(1/2)) is computed as the sum of the square roots of the
 * eigenvalues of the symmetric PSD matrix S1 C2 S1, S1 = C1^(1/2) (it has
 * the eigenvalues of C1 C2, which is not symmetric), with S1 = U sqrt(L) U^T
 * from the symmetric eigendecomposition C1 = U L U^T. Both
 * eigendecompositions are LAPACK's dsyevd (OpenBLAS ships it); negative
 * eigenvalues that rounding leaves on a PSD matrix count as 0. Everything
 * is double precision; products are BLAS calls.
 *
 * A workspace of the dimension, created once, holds every buffer, so
 * fitting and measuring allocate nothing. Nothing here knows where the
 * features come from (eval.h does). */
#ifndef GAN_FRECHET_H
#define GAN_FRECHET_H

#include <stddef.h>

#include "gan/error.h"

/* Rows converted to double and centered per dsyrk call in frechet_fit. */
#define FRECHET_CHUNK 512

typedef struct {
    int dim;
    double *a, *b, *c;   /* dim x dim scratch */
    double *w;           /* dim eigenvalues */
    double *work;        /* LAPACK workspace, lwork doubles */
    int *iwork;          /* LAPACK workspace, liwork ints */
    int lwork, liwork;
    double *rows;        /* FRECHET_CHUNK x dim centered rows */
} frechet_ws_t;

/* Allocates the workspace for dim-dimensional Gaussians (asking LAPACK how
 * much it needs). GAN_ERR_INPUT for dim < 1, GAN_ERR_RUNTIME out of memory
 * or when the LAPACK query fails; on error ws is destroyable. */
int frechet_ws_create(frechet_ws_t *ws, int dim, gan_err_t *err);
/* Frees everything; accepts a zeroed or already destroyed workspace. */
void frechet_ws_destroy(frechet_ws_t *ws);

/* Gaussian fit of n >= 2 samples x (n x dim floats, row-major): mu (dim)
 * the mean, cov (dim x dim, both triangles filled) the unbiased covariance
 * (divided by n - 1), both in double. GAN_ERR_INPUT if n < 2. */
int frechet_fit(double *mu, double *cov, const float *x, size_t n, frechet_ws_t *ws,
                gan_err_t *err);

/* *fd = the Frechet distance between N(mu1, c1) and N(mu2, c2): means of
 * ws->dim values, covariances dim x dim, symmetric with both triangles
 * filled, PSD. An eigenvalue near 0 (a singular covariance: dead ReLU
 * features) comes out with an error of ~1e-16 x the largest and its square
 * root with ~1e-8 x the largest's square root, so *fd is exact to about
 * that (|FD| ~1e-6 for 10k MNIST feature vectors against themselves) and
 * may be slightly negative; it is not clamped. GAN_ERR_RUNTIME naming
 * LAPACK's info when an eigendecomposition fails. */
int frechet_distance(double *fd, const double *mu1, const double *c1, const double *mu2,
                     const double *c2, frechet_ws_t *ws, gan_err_t *err);

#endif
