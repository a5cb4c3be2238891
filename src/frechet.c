/* Gaussian fit and Frechet distance; see frechet.h for the method.
 *
 * LAPACK comes from OpenBLAS through its Fortran symbol (there is no
 * lapacke.h to include, and no new dependency is wanted): column-major
 * arrays, arguments by reference. Every matrix handed to it here is
 * symmetric, so row-major and column-major are the same matrix, and the
 * eigenvectors it returns in the columns of A are, read row-major, the rows
 * of the array. */
#include "gan/frechet.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK dsyevd: eigenvalues (jobz "N") or eigenvalues and eigenvectors
 * (jobz "V") of a symmetric matrix by divide and conquer. The two trailing
 * lengths are the hidden lengths gfortran passes for the character
 * arguments; LAPACKE passes them too (LAPACK_FORTRAN_STRLEN_END). */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info, size_t jobz_len, size_t uplo_len);

static int syevd(const char *jobz, int n, double *a, double *w, frechet_ws_t *ws, gan_err_t *err)
{
    int info = 0;
    dsyevd_(jobz, "U", &n, a, &n, w, ws->work, &ws->lwork, ws->iwork, &ws->liwork, &info, 1, 1);
    if (info != 0)
        return gan_err_set(err, GAN_ERR_RUNTIME,
                           "frechet: LAPACK dsyevd (jobz %s, n %d) failed with info %d%s", jobz,
                           n, info, info > 0 ? " (no convergence: NaN or Inf in the features?)"
                                             : "");
    return GAN_OK;
}

int frechet_ws_create(frechet_ws_t *ws, int dim, gan_err_t *err)
{
    memset(ws, 0, sizeof *ws);
    if (dim < 1 || dim > 16384)
        return gan_err_set(err, GAN_ERR_INPUT, "frechet: dimension %d (must be 1..16384)", dim);
    ws->dim = dim;
    size_t dd = (size_t)dim * dim;
    ws->a = malloc(dd * sizeof *ws->a);
    ws->b = malloc(dd * sizeof *ws->b);
    ws->c = malloc(dd * sizeof *ws->c);
    ws->w = malloc((size_t)dim * sizeof *ws->w);
    ws->rows = malloc((size_t)FRECHET_CHUNK * dim * sizeof *ws->rows);
    if (!ws->a || !ws->b || !ws->c || !ws->w || !ws->rows) {
        frechet_ws_destroy(ws);
        return gan_err_set(err, GAN_ERR_RUNTIME, "frechet: out of memory (dimension %d)", dim);
    }
    /* Workspace query (lwork = liwork = -1) for the larger job, "V". */
    double work_size = 0.0;
    int iwork_size = 0, query = -1, info = 0;
    dsyevd_("V", "U", &dim, ws->a, &dim, ws->w, &work_size, &query, &iwork_size, &query, &info,
            1, 1);
    if (info != 0 || !(work_size >= 1.0) || iwork_size < 1) {
        frechet_ws_destroy(ws);
        return gan_err_set(err, GAN_ERR_RUNTIME,
                           "frechet: LAPACK dsyevd workspace query failed (info %d)", info);
    }
    ws->lwork = (int)work_size;
    ws->liwork = iwork_size;
    ws->work = malloc((size_t)ws->lwork * sizeof *ws->work);
    ws->iwork = malloc((size_t)ws->liwork * sizeof *ws->iwork);
    if (!ws->work || !ws->iwork) {
        frechet_ws_destroy(ws);
        return gan_err_set(err, GAN_ERR_RUNTIME, "frechet: out of memory (dimension %d)", dim);
    }
    return GAN_OK;
}

void frechet_ws_destroy(frechet_ws_t *ws)
{
    if (!ws)
        return;
    free(ws->a);
    free(ws->b);
    free(ws->c);
    free(ws->w);
    free(ws->work);
    free(ws->iwork);
    free(ws->rows);
    memset(ws, 0, sizeof *ws);
}

/* Copies the upper triangle of m (d x d, row-major) into the lower one. */
static void mirror_upper(double *m, int d)
{
    for (int i = 0; i + 1 < d; i++)
        cblas_dcopy(d - i - 1, m + (size_t)i * d + i + 1, 1, m + (size_t)(i + 1) * d + i, d);
}

/* x: n x dim, mu: dim, cov: dim x dim */
int frechet_fit(double *mu, double *cov, const float *x, size_t n, frechet_ws_t *ws,
                gan_err_t *err)
{
    const int d = ws->dim;
    if (n < 2)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "frechet: %zu samples, a covariance needs at least 2", n);
    memset(mu, 0, (size_t)d * sizeof *mu);
    for (size_t r = 0; r < n; r++) {
        const float *row = x + r * d;
        for (int j = 0; j < d; j++)
            mu[j] += row[j];
    }
    for (int j = 0; j < d; j++)
        mu[j] /= (double)n;
    /* cov = sum over chunks of Xc^T Xc, Xc the centered rows (upper
     * triangle), then / (n - 1). Centering first keeps the sum exact to
     * double rounding even when the mean is large against the spread. */
    for (size_t start = 0; start < n; start += FRECHET_CHUNK) {
        int m = n - start < FRECHET_CHUNK ? (int)(n - start) : FRECHET_CHUNK;
        for (int r = 0; r < m; r++) {
            const float *row = x + (start + (size_t)r) * d;
            double *out = ws->rows + (size_t)r * d;
            for (int j = 0; j < d; j++)
                out[j] = (double)row[j] - mu[j];
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, m, 1.0, ws->rows, d,
                    start == 0 ? 0.0 : 1.0, cov, d);
    }
    mirror_upper(cov, d);
    cblas_dscal(d * d, 1.0 / (double)(n - 1), cov, 1);
    return GAN_OK;
}

/* mu1, mu2: d; c1, c2: d x d */
int frechet_distance(double *fd, const double *mu1, const double *c1, const double *mu2,
                     const double *c2, frechet_ws_t *ws, gan_err_t *err)
{
    const int d = ws->dim;
    const size_t dd = (size_t)d * d;
    /* S1 = U sqrt(L) U^T = B^T B with B = L^(1/4) U^T, whose rows are the
     * eigenvectors (the rows of a after dsyevd) scaled by lambda^(1/4). */
    memcpy(ws->a, c1, dd * sizeof *ws->a);
    int rc = syevd("V", d, ws->a, ws->w, ws, err);
    if (rc)
        return rc;
    for (int i = 0; i < d; i++)
        cblas_dscal(d, sqrt(sqrt(fmax(ws->w[i], 0.0))), ws->a + (size_t)i * d, 1);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, d, 1.0, ws->a, d, 0.0, ws->b, d);
    /* c = C2 S1, then a = S1 (C2 S1): symmetric PSD up to rounding, and
     * similar to C1 C2 (S1^-1 (S1 C2 S1) S1 = C1 C2 when C1 is invertible;
     * the eigenvalues agree by continuity otherwise). */
    cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, d, d, 1.0, ws->b, d, c2, d, 0.0, ws->c, d);
    cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, d, d, 1.0, ws->b, d, ws->c, d, 0.0, ws->a,
                d);
    rc = syevd("N", d, ws->a, ws->w, ws, err);
    if (rc)
        return rc;
    double tr_sqrt = 0.0, tr1 = 0.0, tr2 = 0.0, dist2 = 0.0;
    for (int i = 0; i < d; i++) {
        tr_sqrt += sqrt(fmax(ws->w[i], 0.0));
        tr1 += c1[(size_t)i * d + i];
        tr2 += c2[(size_t)i * d + i];
        double diff = mu1[i] - mu2[i];
        dist2 += diff * diff;
    }
    *fd = dist2 + tr1 + tr2 - 2.0 * tr_sqrt;
    return GAN_OK;
}
