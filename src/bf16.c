/* bfloat16 rounding and the precision names; see bf16.h. The loops use
 * integer operations on the float's bits and a select for NaN, so gcc
 * vectorizes them (no branches, no libm). */
#include "gan/bf16.h"

#include <string.h>

static const char *const precision_names[PRECISION_COUNT] = {
    [PRECISION_FP32] = "fp32",
    [PRECISION_BF16] = "bf16",
    [PRECISION_BF16_EMULATED] = "bf16-emulated",
};

const char *precision_name(precision_t precision)
{
    return (unsigned)precision < PRECISION_COUNT ? precision_names[precision] : "?";
}

const char *precision_valid_names(void) { return "fp32, bf16, bf16-emulated"; }

int precision_from_name(precision_t *precision, const char *name, gan_err_t *err)
{
    for (int i = 0; i < PRECISION_COUNT; i++) {
        if (strcmp(name, precision_names[i]) == 0) {
            *precision = (precision_t)i;
            return GAN_OK;
        }
    }
    return gan_err_set(err, GAN_ERR_INPUT, "unknown precision '%s' (valid: %s)", name,
                       precision_valid_names());
}

/* The upper 16 bits of the rounded float. Adding 0x7fff plus the lowest
 * kept bit, then truncating, rounds to nearest with ties to even (a tie,
 * low half exactly 0x8000, carries only when the kept part is odd); a
 * carry out of the mantissa steps the exponent, which is how the largest
 * values round to infinity. NaN must not take that path (a NaN whose
 * payload lies only in the low half would truncate to infinity): it keeps
 * its sign and upper payload and gets the quiet bit. */
static inline uint32_t rounded_upper(uint32_t bits)
{
    uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    uint32_t quiet_nan = (bits >> 16) | 0x40u;
    return (bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded;
}

uint16_t bf16_from_float(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (uint16_t)rounded_upper(bits);
}

float bf16_to_float(uint16_t bits)
{
    uint32_t wide = (uint32_t)bits << 16;
    float x;
    memcpy(&x, &wide, sizeof x);
    return x;
}

float bf16_round(float x) { return bf16_to_float(bf16_from_float(x)); }

size_t bf16_operand_size(precision_t precision)
{
    return precision == PRECISION_BF16 ? sizeof(uint16_t) : sizeof(float);
}

void *bf16_operand_at(void *operands, size_t at, precision_t precision)
{
    return (char *)operands + at * bf16_operand_size(precision);
}

const void *bf16_operand_at_const(const void *operands, size_t at, precision_t precision)
{
    return (const char *)operands + at * bf16_operand_size(precision);
}

static void store_serial(void *dst, size_t at, const float *src, size_t n,
                         precision_t precision)
{
    /* memcpy reads and writes the bits without breaking strict aliasing;
     * gcc turns each into a plain vector move. */
    if (precision == PRECISION_BF16) {
        uint16_t *out = (uint16_t *)dst + at;
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &src[i], sizeof bits);
            out[i] = (uint16_t)rounded_upper(bits);
        }
    } else {
        float *out = (float *)dst + at;
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &src[i], sizeof bits);
            bits = rounded_upper(bits) << 16;
            memcpy(&out[i], &bits, sizeof bits);
        }
    }
}

/* Long stores (a batch of inputs) are split over bf16's OpenMP threads
 * (threads.h), in chunks; short ones (BF16_PARALLEL_MIN), and those inside
 * a pass that is itself split, run on the calling thread. */
void bf16_store(void *dst, size_t at, const float *src, size_t n, precision_t precision)
{
    if (n < BF16_PARALLEL_MIN) {
        store_serial(dst, at, src, n, precision);
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i += BF16_CHUNK)
        store_serial(dst, at + i, src + i, n - i < BF16_CHUNK ? n - i : BF16_CHUNK, precision);
}

void bf16_load(float *out, const void *src, size_t at, size_t n, precision_t precision)
{
    if (precision == PRECISION_BF16) {
        const uint16_t *in = (const uint16_t *)src + at;
        for (size_t i = 0; i < n; i++)
            out[i] = bf16_to_float(in[i]);
    } else {
        memcpy(out, (const float *)src + at, n * sizeof *out);
    }
}
