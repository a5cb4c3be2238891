/* The matrix products of a dense layer (dense.h) with bf16 operands, fp32
 * accumulation and fp32 results:
 *   forward         y = x w^T        x: B x n_in,  w: n_out x n_in
 *   input gradient  dx = dy w        dy: B x n_out
 *   weight gradient dw (+)= dy^T x
 * The operands are bf16 operand arrays (bf16.h); the bias and its gradient
 * are not products and stay with the caller in fp32.
 *
 * Backends:
 *   DENSE_BF16_EMULATED  floats holding bf16 values through OpenBLAS
 *                        (dense.h's own sgemm calls): runs on any CPU;
 *   DENSE_BF16_ONEDNN    uint16 bf16 through oneDNN matmul primitives;
 *   DENSE_F32_ONEDNN     plain floats through the same oneDNN primitives
 *                        in f32: not a training mode, it measures oneDNN's
 *                        fp32 against OpenBLAS and lets the tests exercise
 *                        the oneDNN plumbing (layouts, transposes, batches,
 *                        accumulation) on CPUs whose oneDNN has no bf16.
 *
 * The oneDNN backends create every primitive in dense_bf16_create, one per
 * product and per row count of `batches` (max_batch always among them),
 * with a scratchpad this module owns, so a step creates and allocates
 * nothing of ours (oneDNN's execute builds its small argument map itself).
 * A batch that is not one of those row counts still works: its rows are
 * copied into zero-padded buffers and run with the next larger primitive,
 * which costs copies and padded work (meant for uses outside training). */
#ifndef GAN_DENSE_BF16_H
#define GAN_DENSE_BF16_H

#include "gan/bf16.h"
#include "gan/dense.h"
#include "gan/error.h"

typedef enum {
    DENSE_BF16_EMULATED,
    DENSE_BF16_ONEDNN,
    DENSE_F32_ONEDNN
} dense_bf16_backend_t;

/* Row counts a layer's products are prepared for, at most. */
#define DENSE_BF16_MAX_BATCHES 4

typedef struct dense_bf16 dense_bf16_t;

/* The backend of a bf16 precision: PRECISION_BF16 -> DENSE_BF16_ONEDNN,
 * PRECISION_BF16_EMULATED -> DENSE_BF16_EMULATED. */
dense_bf16_backend_t dense_bf16_backend(precision_t precision);

/* Prepares the products of one layer n_in -> n_out for up to max_batch
 * rows (n_batches extra row counts in batches, each 1..max_batch; may be
 * NULL when n_batches is 0). GAN_ERR_INPUT when oneDNN cannot create a bf16
 * matmul on this CPU (the message names what the CPU lacks and the other
 * --precision modes) or the sizes are bad; GAN_ERR_RUNTIME out of memory or
 * for another oneDNN failure. *out is NULL on error. */
int dense_bf16_create(dense_bf16_t **out, dense_bf16_backend_t backend, int n_in, int n_out,
                      int max_batch, const int *batches, int n_batches, gan_err_t *err);
/* Frees everything; accepts NULL. */
void dense_bf16_destroy(dense_bf16_t *d);

/* y = x w^T for batch <= max_batch rows; y: batch x n_out, overwritten. */
void dense_bf16_forward(const dense_bf16_t *d, float *y, const void *x, const void *w,
                        int batch);

/* dx = dy w (skipped when dx is NULL), dw (+)= dy^T x as mode says
 * (skipped when dw is NULL). dy: batch x n_out, x: batch x n_in,
 * w: n_out x n_in operands; dx: batch x n_in, dw: n_out x n_in fp32. */
void dense_bf16_backward(const dense_bf16_t *d, float *dx, float *dw, const void *dy,
                         const void *x, const void *w, int batch, grad_mode_t mode);

/* GAN_OK when oneDNN can create bf16 matmul primitives on this CPU;
 * otherwise GAN_ERR_INPUT with one line naming oneDNN's version, the
 * instruction set it found and what bf16 needs, and the alternatives. */
int dense_bf16_native_check(gan_err_t *err);

/* 1 when every primitive of d runs in oneDNN's strict fpmath mode (the
 * operands' own precision, no implicit down-conversion): the primitives
 * ask for it, this reads back what oneDNN made. */
int dense_bf16_fpmath_strict(const dense_bf16_t *d);

#endif
