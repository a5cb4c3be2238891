/* The matrix products of a step, behind one interface (DESIGN.md's
 * "products" part). A dense layer's three products:
 *   forward         y = x w^T          x: B x n_in, w: n_out x n_in
 *   input gradient  dx = dy w          dy: B x n_out
 *   weight gradient dw (+)= dy^T x
 * and the bias gradient's column sum db (+)= dy^T 1.
 *
 * Backends (products_backend_t), from a library and a precision:
 *   OpenBLAS f32    cblas_sgemm (dense.c): the fallback and the bits of
 *                   runs made before the library became a choice; it
 *                   also runs bf16-emulated (floats holding bf16 values);
 *   oneDNN f32      dnnl matmul, f32 operands and STRICT fp32 math (the
 *                   primitives' fpmath mode is set to strict, so neither
 *                   ONEDNN_DEFAULT_FPMATH_MODE nor a process default can
 *                   turn it into bf16 or tf32 math);
 *   oneDNN bf16     dnnl matmul, bf16 operands, fp32 accumulation.
 * The oneDNN backends create their primitives once per shape in
 * products_create (dense_bf16.c); no call here allocates.
 *
 * The column sum is OpenBLAS's sgemv in every backend: it is not a
 * product of two operands and stays fp32 (bf16.h). */
#ifndef GAN_PRODUCTS_H
#define GAN_PRODUCTS_H

#include "gan/bf16.h"
#include "gan/dense.h"
#include "gan/error.h"

/* --products: which library runs fp32's products. */
typedef enum {
    PRODUCTS_AUTO,     /* the faster one on this CPU (products_resolve) */
    PRODUCTS_OPENBLAS,
    PRODUCTS_ONEDNN,
    PRODUCTS_LIB_COUNT
} products_lib_t;

typedef enum {
    PRODUCTS_OPENBLAS_F32,
    PRODUCTS_OPENBLAS_BF16_EMULATED,
    PRODUCTS_ONEDNN_F32,
    PRODUCTS_ONEDNN_BF16
} products_backend_t;

/* "auto", "openblas", "onednn". */
const char *products_lib_name(products_lib_t lib);
/* Parses one of those; GAN_ERR_INPUT naming them otherwise. */
int products_lib_from_name(products_lib_t *lib, const char *name, gan_err_t *err);

/* 1 when oneDNN runs AVX-512 kernels here (avx512_core or better): the
 * rule of PRODUCTS_AUTO, from gan-bench on Zen 5 (oneDNN f32 2x OpenBLAS's
 * Haswell kernels) and OpenBLAS's own AVX2 kernels elsewhere. */
int products_onednn_is_faster(void);

/* The library that runs precision's products: bf16 always oneDNN,
 * bf16-emulated always OpenBLAS, fp32 lib (PRODUCTS_AUTO: oneDNN where
 * products_onednn_is_faster, else OpenBLAS). Never PRODUCTS_AUTO. */
products_lib_t products_resolve(products_lib_t lib, precision_t precision);

/* The library that drew a run's fp32 grids, from a checkpoint header:
 * its "products" (products_describe): PRODUCTS_ONEDNN for "onednn f32",
 * else PRODUCTS_OPENBLAS; a header without it (a kept epoch) goes by its
 * "products_lib" resolved here (a bf16 run: OpenBLAS); a run from before
 * --products: PRODUCTS_OPENBLAS. */
products_lib_t products_lib_recorded(const char *header);

/* The backend of precision on the resolved library lib. */
products_backend_t products_backend(products_lib_t lib, precision_t precision);

/* What a run records as its "products" (the bits depend on it):
 * "openblas Haswell" (OpenBLAS's kernel core), "onednn f32",
 * "onednn bf16", "openblas Haswell bf16-emulated". */
void products_describe(char *out, size_t size, products_backend_t backend);

typedef struct products products_t;

/* Prepares one layer's products n_in -> n_out for up to max_batch rows
 * (the oneDNN backends: primitives for max_batch and the n_batches row
 * counts in batches; other batches run padded). GAN_ERR_INPUT when oneDNN
 * cannot run the backend on this CPU or the sizes are bad (the message
 * says why), GAN_ERR_RUNTIME out of memory. *out is NULL on error. */
int products_create(products_t **out, products_backend_t backend, int n_in, int n_out,
                    int max_batch, const int *batches, int n_batches, gan_err_t *err);
void products_destroy(products_t *p);
products_backend_t products_backend_of(const products_t *p);
/* 1 when p's oneDNN primitives run in strict fpmath mode (read back from
 * oneDNN); 1 for the OpenBLAS backends. */
int products_fpmath_strict(const products_t *p);

/* y = x w^T (y: batch x n_out, overwritten). Operands are floats, or bf16
 * operand arrays (bf16.h) in the bf16 backends. */
void products_forward(const products_t *p, float *y, const void *x, const void *w, int batch);

/* dx = dy w (skipped when dx is NULL), dw (+)= dy^T x as mode says
 * (skipped when dw is NULL). Operands as in products_forward. */
void products_backward(const products_t *p, float *dx, float *dw, const void *dy, const void *x,
                       const void *w, int batch, grad_mode_t mode);

/* db (+)= dy^T ones (fp32; dy: batch x n, ones: batch ones). */
void products_colsum(float *db, const float *dy, const float *ones, int batch, int n,
                     grad_mode_t mode);

#endif
