/* bfloat16 and the precision of training's matrix products.
 *
 * bf16 is the upper half of an IEEE float32: 1 sign bit, the same 8
 * exponent bits (so the same range as fp32) and 7 stored mantissa bits,
 * 8 bits of precision with the implicit one. Rounding a float to bf16 to
 * nearest (ties to even) changes it by at most 2^-8 of its magnitude
 * (half the spacing 2^-7 between bf16 neighbours at 1): the unit roundoff
 * u = 2^-8 that the tests derive their tolerances from. The product of two
 * bf16 values has at most 16 significant bits, so it is exact in fp32:
 * multiplying bf16-rounded floats with sgemm gives bf16 products with
 * fp32 accumulation, which is what makes --precision=bf16-emulated the
 * same numerics as oneDNN's bf16 matmul up to the order of summation.
 *
 * A bf16 "operand" array holds the bf16 copies the products read: uint16
 * bit patterns for PRECISION_BF16 (what oneDNN takes), floats whose values
 * are bf16-representable for PRECISION_BF16_EMULATED (what sgemm takes).
 * This module does not know layers; mlp.h owns where the copies live. */
#ifndef GAN_BF16_H
#define GAN_BF16_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"

/* How the matrix products of training run (--precision). In every mode the
 * weights, biases, Adam moments, activations' fp32 outputs, loss and
 * metrics are fp32; the bf16 modes round only the products' operands. */
typedef enum {
    PRECISION_FP32,          /* OpenBLAS sgemm on fp32: the reference */
    PRECISION_BF16,          /* oneDNN matmul, bf16 operands, fp32 accumulation */
    PRECISION_BF16_EMULATED, /* the same numerics through OpenBLAS on any CPU */
    PRECISION_COUNT
} precision_t;

/* "fp32", "bf16", "bf16-emulated". */
const char *precision_name(precision_t precision);
/* Parses a name; GAN_ERR_INPUT listing the valid names otherwise. */
int precision_from_name(precision_t *precision, const char *name, gan_err_t *err);
/* "fp32, bf16, bf16-emulated" for help texts and messages. */
const char *precision_valid_names(void);

/* Round to nearest, ties to even: NaN stays NaN (made quiet, sign kept),
 * +-inf stays +-inf, finite values beyond the largest bf16 (after
 * rounding) become +-inf, -0 stays -0. */
uint16_t bf16_from_float(float x);
float bf16_to_float(uint16_t bits);
/* bf16_to_float(bf16_from_float(x)): x rounded to a bf16 value, as a float. */
float bf16_round(float x);

/* Bytes per element of an operand array of a bf16 precision: 2 for
 * PRECISION_BF16, 4 for PRECISION_BF16_EMULATED. */
size_t bf16_operand_size(precision_t precision);
/* Element `at` of an operand array (for offsets into it). */
void *bf16_operand_at(void *operands, size_t at, precision_t precision);
const void *bf16_operand_at_const(const void *operands, size_t at, precision_t precision);

/* Rounds src[0..n) into elements at..at+n of the operand array dst. */
void bf16_store(void *dst, size_t at, const float *src, size_t n, precision_t precision);
/* Elements at..at+n of dst as floats into out (tests, statistics). */
void bf16_load(float *out, const void *src, size_t at, size_t n, precision_t precision);

/* Elements a loop handles between a computation and the bf16 rounding of
 * its results, so the results are rounded while still in L1 (4 KiB of
 * floats): "the same pass" over memory as the computation. */
#define BF16_CHUNK 1024

/* Elements below which an element-wise bf16 pass stays on the calling
 * thread: waking bf16's other OpenMP threads (threads.h) costs more than
 * they would save. The passes split larger arrays by rows or chunks, which
 * changes no bit: every element is computed alone. */
#define BF16_PARALLEL_MIN (32 * BF16_CHUNK)

#endif
