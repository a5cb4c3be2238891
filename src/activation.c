/* Activations and their derivatives; see activation.h for why backward
 * reads the output. The loops are plain so gcc vectorizes them. */
#include "gan/activation.h"

#include <math.h>
#include <string.h>

static const char *const act_names[ACT_COUNT] = {
    [ACT_IDENTITY] = "identity", [ACT_RELU] = "relu",
    [ACT_LEAKY_RELU] = "leaky_relu", [ACT_TANH] = "tanh",
    [ACT_SIGMOID] = "sigmoid",
};

const char *act_name(act_t act)
{
    return (unsigned)act < ACT_COUNT ? act_names[act] : "?";
}

int act_from_name(act_t *act, const char *name, gan_err_t *err)
{
    for (int i = 0; i < ACT_COUNT; i++) {
        if (strcmp(name, act_names[i]) == 0) {
            *act = (act_t)i;
            return GAN_OK;
        }
    }
    return gan_err_set(err, GAN_ERR_INPUT,
                       "unknown activation '%s' (valid: identity, relu, leaky_relu, tanh, sigmoid)",
                       name);
}

static float sigmoidf(float x)
{
    /* Branch on the sign so exp() never overflows. */
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* x: n, y: n */
void act_forward(float *y, const float *x, size_t n, act_t act, float leak)
{
    switch (act) {
    case ACT_IDENTITY:
        if (y != x)
            memmove(y, x, n * sizeof *y);
        break;
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case ACT_LEAKY_RELU:
        /* Multiplying by a selected slope (rather than selecting x or
         * leak*x) lets gcc vectorize the loop. */
        for (size_t i = 0; i < n; i++)
            y[i] = (x[i] > 0.0f ? 1.0f : leak) * x[i];
        break;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanhf(x[i]);
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = sigmoidf(x[i]);
        break;
    default:
        break;
    }
}

/* y: rows x cols, b: cols. One switch per row keeps each inner loop a plain
 * vectorizable sweep. */
void act_forward_bias(float *y, const float *b, int rows, int cols, act_t act,
                      float leak)
{
    for (int r = 0; r < rows; r++) {
        float *row = y + (size_t)r * cols;
        switch (act) {
        case ACT_IDENTITY:
            for (int j = 0; j < cols; j++)
                row[j] += b[j];
            break;
        case ACT_RELU:
            for (int j = 0; j < cols; j++) {
                float x = row[j] + b[j];
                row[j] = x > 0.0f ? x : 0.0f;
            }
            break;
        case ACT_LEAKY_RELU:
            for (int j = 0; j < cols; j++) {
                float x = row[j] + b[j];
                row[j] = (x > 0.0f ? 1.0f : leak) * x;
            }
            break;
        case ACT_TANH:
            for (int j = 0; j < cols; j++)
                row[j] = tanhf(row[j] + b[j]);
            break;
        case ACT_SIGMOID:
            for (int j = 0; j < cols; j++)
                row[j] = sigmoidf(row[j] + b[j]);
            break;
        default:
            break;
        }
    }
}

/* dy: n, y: n (forward output), dx: n */
void act_backward(float *dx, const float *dy, const float *y, size_t n,
                  act_t act, float leak)
{
    switch (act) {
    case ACT_IDENTITY:
        if (dx != dy)
            memmove(dx, dy, n * sizeof *dx);
        break;
    case ACT_RELU:
        for (size_t i = 0; i < n; i++)
            dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++)
            dx[i] = (y[i] > 0.0f ? 1.0f : leak) * dy[i];
        break;
    case ACT_TANH: /* d tanh = 1 - tanh^2 */
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    case ACT_SIGMOID: /* d sigmoid = s (1 - s) */
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    default:
        break;
    }
}

/* The bf16 passes split their rows (chunks) over the OpenMP threads that
 * --threads gives bf16's products (threads.h), which would otherwise wait
 * for the next product; BF16_PARALLEL_MIN says when. */
/* y: rows x cols, y16: rows x cols operands, b: cols */
void act_forward_bias_bf16(float *y, void *y16, const float *b, int rows, int cols, act_t act,
                           float leak, precision_t precision)
{
#pragma omp parallel for schedule(static) if ((size_t)rows * cols >= BF16_PARALLEL_MIN)
    for (int r = 0; r < rows; r++) {
        float *row = y + (size_t)r * cols;
        act_forward_bias(row, b, 1, cols, act, leak);
        bf16_store(y16, (size_t)r * cols, row, (size_t)cols, precision);
    }
}

/* dy: n, y: n, dx: n, dx16: n operands */
void act_backward_bf16(float *dx, void *dx16, const float *dy, const float *y, size_t n,
                       act_t act, float leak, precision_t precision)
{
#pragma omp parallel for schedule(static) if (n >= BF16_PARALLEL_MIN)
    for (size_t i = 0; i < n; i += BF16_CHUNK) {
        size_t m = n - i < BF16_CHUNK ? n - i : BF16_CHUNK;
        act_backward(dx + i, dy + i, y + i, m, act, leak);
        bf16_store(dx16, i, dx + i, m, precision);
    }
}

/* x: n, y: n, y16: n operands */
void act_forward_bf16(float *y, void *y16, const float *x, size_t n, act_t act, float leak,
                      precision_t precision)
{
#pragma omp parallel for schedule(static) if (n >= BF16_PARALLEL_MIN)
    for (size_t i = 0; i < n; i += BF16_CHUNK) {
        size_t m = n - i < BF16_CHUNK ? n - i : BF16_CHUNK;
        act_forward(y + i, x + i, m, act, leak);
        bf16_store(y16, i, y + i, m, precision);
    }
}
