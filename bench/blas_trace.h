/* Interposes cblas_sgemm and cblas_sgemv for the benchmark binary only.
 *
 * The bench links libgan.a statically, so the library's calls to these two
 * functions bind to the definitions in blas_trace.c, which time each call
 * and forward it to OpenBLAS (dlsym RTLD_NEXT). That gives two numbers
 * without keeping a second, hand-written copy of the step's products:
 *   - the time a real training step spends inside BLAS (in situ), and
 *   - the exact list of products of one step (shapes, transposes, beta),
 *     which blas_trace_replay runs alone on scratch buffers: the floor. */
#ifndef GAN_BENCH_BLAS_TRACE_H
#define GAN_BENCH_BLAS_TRACE_H

#define BLAS_TRACE_MAX_CALLS 256

typedef struct {
    int is_gemv;                 /* sgemv: trans_a, m x n matrix a, x = b, y = c */
    int order, trans_a, trans_b;
    int m, n, k;
    int lda, ldb, ldc;           /* for sgemv: lda, incx, incy */
    float alpha, beta;
    const void *a, *b, *c;       /* the caller's arrays: replay keeps their aliasing */
} blas_call_t;

typedef struct {
    int n_calls;
    blas_call_t calls[BLAS_TRACE_MAX_CALLS];
    double flops; /* 2 m n k per product, 2 m n per gemv */
} blas_trace_t;

/* Starts accumulating time spent inside BLAS (and, if rec is not NULL,
 * recording every call into rec, which is cleared first). */
void blas_trace_begin(blas_trace_t *rec);
/* Stops; returns the seconds spent inside BLAS since blas_trace_begin. */
double blas_trace_end(void);

/* One scratch buffer per distinct array of rec (sized to the largest
 * extent any call touches), filled with small normal values, so a replay
 * reuses arrays exactly as the step did. NULL if out of memory. */
typedef struct blas_replay blas_replay_t;
blas_replay_t *blas_replay_create(const blas_trace_t *rec);
void blas_replay_destroy(blas_replay_t *r);
/* Runs every recorded call once, in order, on the scratch buffers. */
void blas_replay_run(blas_replay_t *r);

/* Mean seconds of one recorded call run reps times alone. For a product,
 * layout 0..3 picks the transposes (bit 1: A transposed, bit 0: B
 * transposed) with the leading dimensions that layout needs: the same
 * shapes and flops, as if the operands were stored the other way round.
 * layout -1 runs the call as recorded. */
double blas_replay_time_call(blas_replay_t *r, int index, int layout, int reps);

#endif
