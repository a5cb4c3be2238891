/* Timing and recording wrappers around OpenBLAS; see blas_trace.h. Only the
 * benchmark links this file: the library and the CLI call OpenBLAS
 * directly. */
#include "blas_trace.h"

#include <cblas.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gan/clock.h"
#include "gan/rng.h"

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE,
                         const enum CBLAS_TRANSPOSE, const blasint, const blasint,
                         const blasint, const float, const float *, const blasint,
                         const float *, const blasint, const float, float *, const blasint);
typedef void (*sgemv_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const blasint,
                         const blasint, const float, const float *, const blasint,
                         const float *, const blasint, const float, float *, const blasint);

static sgemm_fn real_sgemm;
static sgemv_fn real_sgemv;
static int tracing;
static double traced_seconds;
static blas_trace_t *recording;

static void resolve(void)
{
    if (real_sgemm)
        return;
    real_sgemm = (sgemm_fn)dlsym(RTLD_NEXT, "cblas_sgemm");
    real_sgemv = (sgemv_fn)dlsym(RTLD_NEXT, "cblas_sgemv");
    if (!real_sgemm || !real_sgemv) {
        /* Only reachable if OpenBLAS is not a shared library: nothing to
         * forward to, and no way to go on measuring. */
        fprintf(stderr, "gan-bench: cannot find OpenBLAS's cblas_sgemm/sgemv (%s)\n", dlerror());
        exit(1);
    }
}

static void record(const blas_call_t *call)
{
    if (!recording || recording->n_calls >= BLAS_TRACE_MAX_CALLS)
        return;
    recording->calls[recording->n_calls++] = *call;
    recording->flops += call->is_gemv ? 2.0 * call->m * call->n
                                      : 2.0 * call->m * call->n * call->k;
}

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                 const enum CBLAS_TRANSPOSE tb, const blasint m, const blasint n,
                 const blasint k, const float alpha, const float *a, const blasint lda,
                 const float *b, const blasint ldb, const float beta, float *c,
                 const blasint ldc)
{
    resolve();
    if (!tracing) {
        real_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    double t0 = clock_seconds();
    real_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    traced_seconds += clock_seconds() - t0;
    record(&(blas_call_t){0, order, ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c});
}

void cblas_sgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta, const blasint m,
                 const blasint n, const float alpha, const float *a, const blasint lda,
                 const float *x, const blasint incx, const float beta, float *y,
                 const blasint incy)
{
    resolve();
    if (!tracing) {
        real_sgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
        return;
    }
    double t0 = clock_seconds();
    real_sgemv(order, ta, m, n, alpha, a, lda, x, incx, beta, y, incy);
    traced_seconds += clock_seconds() - t0;
    record(&(blas_call_t){1, order, ta, 0, m, n, 0, lda, incx, incy, alpha, beta, a, x, y});
}

void blas_trace_begin(blas_trace_t *rec)
{
    resolve();
    if (rec)
        memset(rec, 0, sizeof *rec);
    recording = rec;
    traced_seconds = 0.0;
    tracing = 1;
}

double blas_trace_end(void)
{
    tracing = 0;
    recording = NULL;
    return traced_seconds;
}

/* ---- replay ---- */

typedef struct {
    const void *key;   /* the caller's array */
    size_t floats;     /* largest extent any call reads or writes */
    float *data;
} replay_buf_t;

struct blas_replay {
    blas_trace_t rec;
    int n_bufs;
    replay_buf_t bufs[3 * BLAS_TRACE_MAX_CALLS];
    float *a[BLAS_TRACE_MAX_CALLS], *b[BLAS_TRACE_MAX_CALLS], *c[BLAS_TRACE_MAX_CALLS];
};

/* Floats spanned by a row-major rows x cols matrix with leading dim ld. */
static size_t extent(int rows, int cols, int ld)
{
    return rows > 0 ? (size_t)(rows - 1) * ld + cols : 0;
}

/* Index of key's buffer, growing it to floats; -1 if the table is full. */
static int buf_for(blas_replay_t *r, const void *key, size_t floats)
{
    for (int i = 0; i < r->n_bufs; i++) {
        if (r->bufs[i].key == key) {
            if (floats > r->bufs[i].floats)
                r->bufs[i].floats = floats;
            return i;
        }
    }
    r->bufs[r->n_bufs] = (replay_buf_t){key, floats, NULL};
    return r->n_bufs++;
}

blas_replay_t *blas_replay_create(const blas_trace_t *rec)
{
    blas_replay_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->rec = *rec;
    int ia[BLAS_TRACE_MAX_CALLS], ib[BLAS_TRACE_MAX_CALLS], ic[BLAS_TRACE_MAX_CALLS];
    for (int i = 0; i < rec->n_calls; i++) {
        const blas_call_t *k = &rec->calls[i];
        size_t na, nb, nc;
        if (k->is_gemv) {
            int x_len = k->trans_a == CblasNoTrans ? k->n : k->m;
            int y_len = k->trans_a == CblasNoTrans ? k->m : k->n;
            na = extent(k->m, k->n, k->lda);
            nb = (size_t)(x_len - 1) * k->ldb + 1;
            nc = (size_t)(y_len - 1) * k->ldc + 1;
        } else {
            int ar = k->trans_a == CblasNoTrans ? k->m : k->k;
            int ac = k->trans_a == CblasNoTrans ? k->k : k->m;
            int br = k->trans_b == CblasNoTrans ? k->k : k->n;
            int bc = k->trans_b == CblasNoTrans ? k->n : k->k;
            /* At least m k and k n floats, so every layout fits. */
            na = extent(ar, ac, k->lda);
            nb = extent(br, bc, k->ldb);
            if (na < (size_t)k->m * k->k)
                na = (size_t)k->m * k->k;
            if (nb < (size_t)k->k * k->n)
                nb = (size_t)k->k * k->n;
            nc = extent(k->m, k->n, k->ldc);
        }
        ia[i] = buf_for(r, k->a, na);
        ib[i] = buf_for(r, k->b, nb);
        ic[i] = buf_for(r, k->c, nc);
    }
    rng_t rng;
    rng_seed(&rng, 7, 0);
    for (int i = 0; i < r->n_bufs; i++) {
        r->bufs[i].data = malloc(r->bufs[i].floats * sizeof(float));
        if (!r->bufs[i].data) {
            blas_replay_destroy(r);
            return NULL;
        }
        rng_fill_normal(&rng, r->bufs[i].data, r->bufs[i].floats, 0.0f, 0.1f);
    }
    for (int i = 0; i < rec->n_calls; i++) {
        r->a[i] = r->bufs[ia[i]].data;
        r->b[i] = r->bufs[ib[i]].data;
        r->c[i] = r->bufs[ic[i]].data;
    }
    return r;
}

void blas_replay_destroy(blas_replay_t *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_bufs; i++)
        free(r->bufs[i].data);
    free(r);
}

static void run_call(blas_replay_t *r, int i, int layout)
{
    blas_call_t alt = r->rec.calls[i];
    const blas_call_t *k = &alt;
    if (layout >= 0 && !k->is_gemv) {
        /* Row-major: an untransposed A is m x k (ld k), a transposed one
         * k x m (ld m); B likewise with k x n / n x k. The buffers hold
         * m k and k n floats either way. */
        alt.trans_a = layout & 2 ? CblasTrans : CblasNoTrans;
        alt.trans_b = layout & 1 ? CblasTrans : CblasNoTrans;
        alt.lda = layout & 2 ? alt.m : alt.k;
        alt.ldb = layout & 1 ? alt.k : alt.n;
    }
    /* Calls that accumulate (beta = 1) random-walk their output by ~0.1
     * per replay from inputs ~0.1: far from overflow or denormals for any
     * bench length, so they run as recorded. */
    if (k->is_gemv)
        real_sgemv(k->order, k->trans_a, k->m, k->n, k->alpha, r->a[i], k->lda, r->b[i], k->ldb,
                   k->beta, r->c[i], k->ldc);
    else
        real_sgemm(k->order, k->trans_a, k->trans_b, k->m, k->n, k->k, k->alpha, r->a[i],
                   k->lda, r->b[i], k->ldb, k->beta, r->c[i], k->ldc);
}

void blas_replay_run(blas_replay_t *r)
{
    for (int i = 0; i < r->rec.n_calls; i++)
        run_call(r, i, -1);
}

double blas_replay_time_call(blas_replay_t *r, int index, int layout, int reps)
{
    run_call(r, index, layout);
    double t0 = clock_seconds();
    for (int i = 0; i < reps; i++)
        run_call(r, index, layout);
    return (clock_seconds() - t0) / reps;
}
