/* Element-wise activations, forward and backward side by side.
 *
 * Every derivative here is computed from the activation's OUTPUT y, so a
 * network stores one tensor per layer (its post-activation) and backward
 * never needs the pre-activation: tanh' = 1 - y^2, sigmoid' = y (1 - y),
 * and for (leaky) ReLU with slope >= 0, y > 0 exactly when x > 0. */
#ifndef GAN_ACTIVATION_H
#define GAN_ACTIVATION_H

#include <stddef.h>

#include "gan/bf16.h"
#include "gan/error.h"

typedef enum {
    ACT_IDENTITY,
    ACT_RELU,
    ACT_LEAKY_RELU,
    ACT_TANH,
    ACT_SIGMOID,
    ACT_COUNT
} act_t;

#define ACT_DEFAULT_LEAK 0.2f

/* "identity", "relu", "leaky_relu", "tanh", "sigmoid". */
const char *act_name(act_t act);
/* Parses a name; on failure returns GAN_ERR_INPUT with the valid names. */
int act_from_name(act_t *act, const char *name, gan_err_t *err);

/* y = f(x), n elements; y may equal x (in place). leak: slope for x < 0 of
 * ACT_LEAKY_RELU, must be >= 0. */
void act_forward(float *y, const float *x, size_t n, act_t act, float leak);

/* y = f(y + b) row by row, in place: a dense layer's bias add fused into
 * its activation pass, so the layer output is swept once after the product.
 * y: rows x cols, b: cols. */
void act_forward_bias(float *y, const float *b, int rows, int cols, act_t act,
                      float leak);

/* dx = dy * f'(x), written from y = f(x); dx may equal dy. */
void act_backward(float *dx, const float *dy, const float *y, size_t n,
                  act_t act, float leak);

/* The bf16 modes (bf16.h): the same as act_forward_bias and act_backward,
 * and in the same pass (each row, or chunk, rounded while in cache) the
 * results' bf16 copy into the operand array y16 / dx16 (rows x cols / n
 * elements from element 0), for the matrix product that reads them next.
 * The fp32 results are bit for bit those of the functions above. */
void act_forward_bias_bf16(float *y, void *y16, const float *b, int rows, int cols, act_t act,
                           float leak, precision_t precision);
void act_backward_bf16(float *dx, void *dx16, const float *dy, const float *y, size_t n,
                       act_t act, float leak, precision_t precision);
/* act_forward and, in the same pass, its bf16 copy into y16 (n elements
 * from element 0): a standalone activation layer whose output a matrix
 * product reads next. */
void act_forward_bf16(float *y, void *y16, const float *x, size_t n, act_t act, float leak,
                      precision_t precision);

#endif
