/* A dense layer's products with bf16 operands: OpenBLAS on bf16-rounded
 * floats, or oneDNN matmul primitives made once per shape; see
 * dense_bf16.h. Nothing here rounds: the operands arrive in bf16 form. */
#include "gan/dense_bf16.h"

#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FORWARD, INPUT_GRAD, WEIGHT_GRAD_SET, WEIGHT_GRAD_ADD, N_PRODUCTS };

/* One oneDNN matmul and the memory objects it runs on; the objects have no
 * buffer of their own: each run points them at the caller's arrays. */
typedef struct {
    dnnl_primitive_t primitive;
    dnnl_memory_t src, weights, dst, scratchpad;
} product_t;

struct dense_bf16 {
    dense_bf16_backend_t backend;
    int n_in, n_out, max_batch;
    size_t operand_size;
    /* oneDNN backends only: */
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    int n_rows;
    int rows[DENSE_BF16_MAX_BATCHES + 1]; /* ascending; the last is max_batch */
    product_t products[DENSE_BF16_MAX_BATCHES + 1][N_PRODUCTS];
    void *scratchpad;  /* shared by every primitive: they run one at a time */
    void *pad_dy;      /* max_batch x n_out operands: rows of an unprepared batch */
    void *pad_x;       /* max_batch x n_in operands */
    float *pad_out;    /* max_batch x max(n_in, n_out) */
};

dense_bf16_backend_t dense_bf16_backend(precision_t precision)
{
    return precision == PRECISION_BF16 ? DENSE_BF16_ONEDNN : DENSE_BF16_EMULATED;
}

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "SSE4.1";
    case dnnl_cpu_isa_avx: return "AVX";
    case dnnl_cpu_isa_avx2: return "AVX2";
    case dnnl_cpu_isa_avx2_vnni: return "AVX2 with VNNI";
    case dnnl_cpu_isa_avx512_mic: return "AVX-512 (Xeon Phi)";
    case dnnl_cpu_isa_avx512_mic_4ops: return "AVX-512 (Xeon Phi, 4ops)";
    case dnnl_cpu_isa_avx512_core: return "AVX-512 (avx512_core)";
    case dnnl_cpu_isa_avx512_core_vnni: return "AVX-512 with VNNI";
    case dnnl_cpu_isa_avx512_core_bf16: return "AVX-512 with AVX512_BF16";
    case dnnl_cpu_isa_avx512_core_amx: return "AVX-512 with AMX";
    default: return "unknown";
    }
}

/* The one line for a CPU on which oneDNN makes no bf16 matmul. oneDNN 2.x
 * runs bf16 on AVX-512 (avx512_core: converting in software; with
 * AVX512_BF16 in hardware); AVX2 machines have no bf16 kernels in it. */
static int unsupported(gan_err_t *err)
{
    const dnnl_version_t *v = dnnl_version();
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    const int has_avx512 = (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
    const char *alternatives =
        "use --precision=bf16-emulated (the same bf16 numerics through OpenBLAS on any CPU, "
        "slower than fp32) or --precision=fp32";
    /* oneDNN's own variables cap the instruction set it uses: say so, or
     * the message would blame a CPU that has AVX-512. */
    const char *cap = getenv("ONEDNN_MAX_CPU_ISA");
    const char *cap_name = "ONEDNN_MAX_CPU_ISA";
    if (!cap) {
        cap = getenv("DNNL_MAX_CPU_ISA");
        cap_name = "DNNL_MAX_CPU_ISA";
    }
    char capped[128] = "";
    if (cap)
        snprintf(capped, sizeof capped, ", capped by %s=%.40s", cap_name, cap);
    if (!has_avx512)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "--precision=bf16: this CPU has no AVX-512 (oneDNN %d.%d.%d found "
                           "%s%s), and oneDNN's bf16 matrix products need AVX-512 (avx512_core; "
                           "full speed with AVX512_BF16); %s",
                           v->major, v->minor, v->patch, isa_name(isa), capped, alternatives);
    return gan_err_set(err, GAN_ERR_INPUT,
                       "--precision=bf16: oneDNN %d.%d.%d makes no bf16 matrix product on this "
                       "CPU (it found %s%s); %s",
                       v->major, v->minor, v->patch, isa_name(isa), capped, alternatives);
}

static int failed(gan_err_t *err, const char *what, dnnl_status_t status)
{
    return gan_err_set(err, GAN_ERR_RUNTIME, "oneDNN: %s failed (status %d)", what, (int)status);
}

/* A row-major 2-D memory descriptor rows x cols whose element (r, c) sits
 * at r * row_stride + c * col_stride: transposed operands are the same
 * arrays read with swapped strides, never copied. */
static dnnl_status_t matrix_desc(dnnl_memory_desc_t *md, dnnl_dim_t rows, dnnl_dim_t cols,
                                 dnnl_data_type_t type, dnnl_dim_t row_stride,
                                 dnnl_dim_t col_stride)
{
    const dnnl_dims_t dims = {rows, cols}, strides = {row_stride, col_stride};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides);
}

/* dst (m x n, f32, row-major) (+)= src (m x k) weights (k x n); src and
 * weights of `type` with the given strides (element units). */
static dnnl_status_t make_product(product_t *p, size_t *scratch_bytes, dnnl_engine_t engine,
                                  dnnl_data_type_t type, dnnl_dim_t m, dnnl_dim_t k,
                                  dnnl_dim_t n, const dnnl_dim_t src_strides[2],
                                  const dnnl_dim_t weight_strides[2], int accumulate)
{
    dnnl_memory_desc_t src, weights, dst;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = matrix_desc(&src, m, k, type, src_strides[0], src_strides[1]);
    if (s == dnnl_success)
        s = matrix_desc(&weights, k, n, type, weight_strides[0], weight_strides[1]);
    if (s == dnnl_success)
        s = matrix_desc(&dst, m, n, dnnl_f32, n, 1);
    if (s == dnnl_success)
        s = dnnl_matmul_desc_init(&desc, &src, &weights, NULL, &dst);
    /* The scratchpad is ours (allocated once, below), so executing a
     * primitive never asks the library for memory of that kind. */
    if (s == dnnl_success)
        s = dnnl_primitive_attr_create(&attr);
    if (s == dnnl_success)
        s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    /* f32 means fp32 math: strict, whatever ONEDNN_DEFAULT_FPMATH_MODE or
     * dnnl_set_default_fpmath_mode say (they would allow bf16 or tf32
     * kernels, whose rounding is not fp32's). */
    if (s == dnnl_success)
        s = dnnl_primitive_attr_set_fpmath_mode(attr, dnnl_fpmath_mode_strict);
    if (s == dnnl_success && accumulate) {
        s = dnnl_post_ops_create(&post_ops);
        if (s == dnnl_success)
            s = dnnl_post_ops_append_sum(post_ops, 1.0f);
        if (s == dnnl_success)
            s = dnnl_primitive_attr_set_post_ops(attr, post_ops);
    }
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL);
    if (s == dnnl_success)
        s = dnnl_primitive_create(&p->primitive, pd);
    const dnnl_memory_desc_t *scratch = NULL;
    if (s == dnnl_success) {
        scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        size_t bytes = scratch ? dnnl_memory_desc_get_size(scratch) : 0;
        if (bytes > *scratch_bytes)
            *scratch_bytes = bytes;
        s = dnnl_memory_create(&p->scratchpad, scratch, engine, DNNL_MEMORY_NONE);
    }
    if (s == dnnl_success)
        s = dnnl_memory_create(&p->src, &src, engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success)
        s = dnnl_memory_create(&p->weights, &weights, engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success)
        s = dnnl_memory_create(&p->dst, &dst, engine, DNNL_MEMORY_NONE);
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(post_ops);
    dnnl_primitive_attr_destroy(attr);
    return s;
}

static void product_destroy(product_t *p)
{
    dnnl_primitive_destroy(p->primitive);
    dnnl_memory_destroy(p->src);
    dnnl_memory_destroy(p->weights);
    dnnl_memory_destroy(p->dst);
    dnnl_memory_destroy(p->scratchpad);
    memset(p, 0, sizeof *p);
}

/* The four products of a layer for `rows` rows. x: rows x n_in,
 * w: n_out x n_in, dy: rows x n_out (all row-major). */
static dnnl_status_t make_products(dense_bf16_t *d, product_t *p, size_t *scratch_bytes,
                                   dnnl_data_type_t type, dnnl_dim_t rows)
{
    const dnnl_dim_t n_in = d->n_in, n_out = d->n_out;
    /* forward: x (rows x n_in) times w^T (n_in x n_out: w read column-wise) */
    const dnnl_dim_t x_strides[2] = {n_in, 1}, wt_strides[2] = {1, n_in};
    /* input gradient: dy (rows x n_out) times w (n_out x n_in) */
    const dnnl_dim_t dy_strides[2] = {n_out, 1}, w_strides[2] = {n_in, 1};
    /* weight gradient: dy^T (n_out x rows: dy read column-wise) times x */
    const dnnl_dim_t dyt_strides[2] = {1, n_out};
    dnnl_status_t s = make_product(&p[FORWARD], scratch_bytes, d->engine, type, rows, n_in,
                                   n_out, x_strides, wt_strides, 0);
    if (s == dnnl_success)
        s = make_product(&p[INPUT_GRAD], scratch_bytes, d->engine, type, rows, n_out, n_in,
                         dy_strides, w_strides, 0);
    for (int add = 0; add <= 1 && s == dnnl_success; add++)
        s = make_product(&p[add ? WEIGHT_GRAD_ADD : WEIGHT_GRAD_SET], scratch_bytes, d->engine,
                         type, n_out, rows, n_in, dyt_strides, x_strides, add);
    return s;
}

/* The sorted, distinct row counts: batches plus max_batch. */
static void collect_rows(dense_bf16_t *d, const int *batches, int n_batches)
{
    d->n_rows = 0;
    for (int i = 0; i <= n_batches; i++) {
        int r = i < n_batches ? batches[i] : d->max_batch;
        int at = 0;
        while (at < d->n_rows && d->rows[at] < r)
            at++;
        if (at < d->n_rows && d->rows[at] == r)
            continue;
        memmove(&d->rows[at + 1], &d->rows[at], (size_t)(d->n_rows - at) * sizeof d->rows[0]);
        d->rows[at] = r;
        d->n_rows++;
    }
}

static int create_onednn(dense_bf16_t *d, const int *batches, int n_batches, gan_err_t *err)
{
    const dnnl_data_type_t type = d->backend == DENSE_BF16_ONEDNN ? dnnl_bf16 : dnnl_f32;
    dnnl_status_t s = dnnl_engine_create(&d->engine, dnnl_cpu, 0);
    if (s != dnnl_success)
        return failed(err, "creating the CPU engine", s);
    s = dnnl_stream_create(&d->stream, d->engine, dnnl_stream_default_flags);
    if (s != dnnl_success)
        return failed(err, "creating a stream", s);
    collect_rows(d, batches, n_batches);
    size_t scratch_bytes = 0;
    for (int r = 0; r < d->n_rows; r++) {
        s = make_products(d, d->products[r], &scratch_bytes, type, d->rows[r]);
        if (s == dnnl_unimplemented && type == dnnl_bf16)
            return unsupported(err);
        if (s != dnnl_success)
            return failed(err, "creating a matmul primitive", s);
    }
    size_t widest = (size_t)(d->n_in > d->n_out ? d->n_in : d->n_out);
    size_t max_rows = (size_t)d->max_batch;
    d->scratchpad = malloc(scratch_bytes ? scratch_bytes : 1);
    /* Not zeroed here: padded() writes every row of a run, and pages no
     * training step touches then never count in the RSS. */
    d->pad_dy = malloc(max_rows * (size_t)d->n_out * d->operand_size);
    d->pad_x = malloc(max_rows * (size_t)d->n_in * d->operand_size);
    d->pad_out = malloc(max_rows * widest * sizeof *d->pad_out);
    if (!d->scratchpad || !d->pad_dy || !d->pad_x || !d->pad_out)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory for the bf16 products");
    for (int r = 0; r < d->n_rows; r++)
        for (int k = 0; k < N_PRODUCTS; k++) {
            s = dnnl_memory_set_data_handle(d->products[r][k].scratchpad, d->scratchpad);
            if (s != dnnl_success)
                return failed(err, "setting the scratchpad", s);
        }
    return GAN_OK;
}

int dense_bf16_create(dense_bf16_t **out, dense_bf16_backend_t backend, int n_in, int n_out,
                      int max_batch, const int *batches, int n_batches, gan_err_t *err)
{
    *out = NULL;
    if (n_in < 1 || n_out < 1 || max_batch < 1 || n_batches < 0 ||
        n_batches > DENSE_BF16_MAX_BATCHES)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "bf16 products: bad sizes %d -> %d, max batch %d, %d row counts",
                           n_in, n_out, max_batch, n_batches);
    for (int i = 0; i < n_batches; i++)
        if (batches[i] < 1 || batches[i] > max_batch)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "bf16 products: row count %d outside 1..%d", batches[i],
                               max_batch);
    dense_bf16_t *d = calloc(1, sizeof *d);
    if (!d)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory for the bf16 products");
    d->backend = backend;
    d->n_in = n_in;
    d->n_out = n_out;
    d->max_batch = max_batch;
    d->operand_size = backend == DENSE_BF16_ONEDNN ? sizeof(uint16_t) : sizeof(float);
    if (backend != DENSE_BF16_EMULATED) {
        int rc = create_onednn(d, batches, n_batches, err);
        if (rc) {
            dense_bf16_destroy(d);
            return rc;
        }
    }
    *out = d;
    return GAN_OK;
}

void dense_bf16_destroy(dense_bf16_t *d)
{
    if (!d)
        return;
    for (int r = 0; r < DENSE_BF16_MAX_BATCHES + 1; r++)
        for (int k = 0; k < N_PRODUCTS; k++)
            product_destroy(&d->products[r][k]);
    if (d->stream)
        dnnl_stream_destroy(d->stream);
    if (d->engine)
        dnnl_engine_destroy(d->engine);
    free(d->scratchpad);
    free(d->pad_dy);
    free(d->pad_x);
    free(d->pad_out);
    free(d);
}

/* Index of the smallest prepared row count >= batch (max_batch always is). */
static int rows_index(const dense_bf16_t *d, int batch)
{
    int r = 0;
    while (r < d->n_rows - 1 && d->rows[r] < batch)
        r++;
    return r;
}

/* Runs p on the given arrays. Executing a primitive created successfully on
 * arrays of its shape does not fail, so the statuses are not checked (the
 * functions here return nothing, like dense.h's). */
static void run(const dense_bf16_t *d, const product_t *p, const void *src, const void *weights,
                float *dst)
{
    dnnl_memory_set_data_handle(p->src, (void *)src);
    dnnl_memory_set_data_handle(p->weights, (void *)weights);
    dnnl_memory_set_data_handle(p->dst, dst);
    const dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, p->src},
        {DNNL_ARG_WEIGHTS, p->weights},
        {DNNL_ARG_DST, p->dst},
        {DNNL_ARG_SCRATCHPAD, p->scratchpad},
    };
    dnnl_primitive_execute(p->primitive, d->stream, 4, args);
    dnnl_stream_wait(d->stream);
}

/* rows x cols operands: the first batch rows of src, then zero rows, in pad. */
static const void *padded(const dense_bf16_t *d, void *pad, const void *src, int batch, int rows,
                          int cols)
{
    size_t row_bytes = (size_t)cols * d->operand_size;
    memcpy(pad, src, (size_t)batch * row_bytes);
    memset((char *)pad + (size_t)batch * row_bytes, 0, (size_t)(rows - batch) * row_bytes);
    return pad;
}

/* x: B x n_in, w: n_out x n_in, y: B x n_out */
void dense_bf16_forward(const dense_bf16_t *d, float *y, const void *x, const void *w,
                        int batch)
{
    if (d->backend == DENSE_BF16_EMULATED) {
        dense_forward(y, x, w, NULL, batch, d->n_in, d->n_out);
        return;
    }
    int r = rows_index(d, batch), rows = d->rows[r];
    if (rows == batch) {
        run(d, &d->products[r][FORWARD], x, w, y);
        return;
    }
    run(d, &d->products[r][FORWARD], padded(d, d->pad_x, x, batch, rows, d->n_in), w,
        d->pad_out);
    memcpy(y, d->pad_out, (size_t)batch * d->n_out * sizeof *y);
}

/* dy: B x n_out, x: B x n_in, w: n_out x n_in, dx: B x n_in, dw: n_out x n_in */
void dense_bf16_backward(const dense_bf16_t *d, float *dx, float *dw, const void *dy,
                         const void *x, const void *w, int batch, grad_mode_t mode)
{
    if (d->backend == DENSE_BF16_EMULATED) {
        dense_backward(dx, dw, NULL, dy, x, w, NULL, batch, d->n_in, d->n_out, mode);
        return;
    }
    int r = rows_index(d, batch), rows = d->rows[r];
    const product_t *weight_grad = &d->products[r][mode == GRADS_ADD ? WEIGHT_GRAD_ADD
                                                                     : WEIGHT_GRAD_SET];
    if (rows == batch) {
        if (dx)
            run(d, &d->products[r][INPUT_GRAD], dy, w, dx);
        if (dw)
            run(d, weight_grad, dy, x, dw);
        return;
    }
    /* Zero rows add nothing to dy^T x, and their rows of dx are dropped. */
    const void *dy_rows = padded(d, d->pad_dy, dy, batch, rows, d->n_out);
    if (dx) {
        run(d, &d->products[r][INPUT_GRAD], dy_rows, w, d->pad_out);
        memcpy(dx, d->pad_out, (size_t)batch * d->n_in * sizeof *dx);
    }
    if (dw)
        run(d, weight_grad, dy_rows, padded(d, d->pad_x, x, batch, rows, d->n_in), dw);
}

int dense_bf16_native_check(gan_err_t *err)
{
    dnnl_engine_t engine = NULL;
    dnnl_status_t s = dnnl_engine_create(&engine, dnnl_cpu, 0);
    if (s != dnnl_success)
        return failed(err, "creating the CPU engine", s);
    dnnl_memory_desc_t a, b, c;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    const dnnl_dim_t strides[2] = {2, 1};
    s = matrix_desc(&a, 2, 2, dnnl_bf16, strides[0], strides[1]);
    if (s == dnnl_success)
        s = matrix_desc(&b, 2, 2, dnnl_bf16, strides[0], strides[1]);
    if (s == dnnl_success)
        s = matrix_desc(&c, 2, 2, dnnl_f32, strides[0], strides[1]);
    if (s == dnnl_success)
        s = dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c);
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL);
    dnnl_primitive_desc_destroy(pd);
    dnnl_engine_destroy(engine);
    if (s == dnnl_unimplemented)
        return unsupported(err);
    return s == dnnl_success ? GAN_OK : failed(err, "creating a bf16 matmul", s);
}

int dense_bf16_fpmath_strict(const dense_bf16_t *d)
{
    if (d->backend == DENSE_BF16_EMULATED)
        return 1;
    for (int r = 0; r < d->n_rows; r++)
        for (int k = 0; k < N_PRODUCTS; k++) {
            const_dnnl_primitive_desc_t pd = NULL;
            const_dnnl_primitive_attr_t attr = NULL;
            dnnl_fpmath_mode_t mode = dnnl_fpmath_mode_any;
            if (dnnl_primitive_get_primitive_desc(d->products[r][k].primitive, &pd) !=
                    dnnl_success ||
                dnnl_primitive_desc_get_attr(pd, &attr) != dnnl_success ||
                dnnl_primitive_attr_get_fpmath_mode(attr, &mode) != dnnl_success ||
                mode != dnnl_fpmath_mode_strict)
                return 0;
        }
    return 1;
}
