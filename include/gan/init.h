/* Weight-initialization schemes (DESIGN.md, table "Weight-initialization
 * schemes"). fan_in / fan_out come from a layer's kind and shapes
 * (layers.h: a dense layer's in / out sizes), a is the leaky-ReLU slope of
 * the net, and the activation a layer is "followed by" is net_layer_act's.
 *
 *   random          N(0, s^2), s = init_std (0.01: the small-random baseline)
 *   uniform         U(+-1/sqrt(fan_in)) weights and biases (nn.Linear default)
 *   xavier_normal   N(0, 2/(fan_in+fan_out))            Glorot & Bengio 2010
 *   xavier_uniform  U(+-sqrt(6/(fan_in+fan_out)))
 *   he_normal       N(0, 2/((1+a^2) fan_in))            He et al. 2015
 *   he_uniform      U(+-sqrt(6/((1+a^2) fan_in)))
 *   he_xavier       he_normal before (leaky) ReLU, xavier_normal elsewhere
 *                   (the tanh output of G, the sigmoid/logit output of D)
 *
 * Biases are 0 except for `uniform`. Draws go layer by layer, weights
 * row-major then biases, from the rng the caller passes. */
#ifndef GAN_INIT_H
#define GAN_INIT_H

#include "gan/activation.h"
#include "gan/error.h"
#include "gan/net.h"
#include "gan/rng.h"

typedef enum {
    INIT_RANDOM,
    INIT_UNIFORM,
    INIT_XAVIER_NORMAL,
    INIT_XAVIER_UNIFORM,
    INIT_HE_NORMAL,
    INIT_HE_UNIFORM,
    INIT_HE_XAVIER,
    INIT_COUNT
} init_scheme_t;

#define INIT_DEFAULT_STD 0.01f

const char *init_name(init_scheme_t scheme);
/* Parses a scheme name; on failure returns GAN_ERR_INPUT and a message that
 * lists every valid name. */
int init_from_name(init_scheme_t *scheme, const char *name, gan_err_t *err);
/* "random, uniform, ..." for help texts. */
const char *init_valid_names(void);

/* The scheme a layer followed by act really gets: he_xavier resolves to
 * he_normal or xavier_normal, every other scheme to itself. */
init_scheme_t init_resolve(init_scheme_t scheme, act_t act);

/* Standard deviation of the weight distribution the scheme gives a layer
 * (for uniform schemes: range / sqrt(3)). */
double init_weight_std(init_scheme_t scheme, int fan_in, int fan_out,
                       act_t act, float leak, float init_std);

/* Initializes n_w weights with the scheme's distribution for fan_in and
 * fan_out, then n_b biases (the "biases" column of the table). */
void init_weights(float *w, size_t n_w, float *b, size_t n_b, int fan_in, int fan_out,
                  init_scheme_t scheme, act_t act, float leak, float init_std, rng_t *rng);

/* Initializes one dense layer. w: n_out x n_in, b: n_out. */
void init_layer(float *w, float *b, int n_in, int n_out, init_scheme_t scheme,
                act_t act, float leak, float init_std, rng_t *rng);

/* Initializes every layer of net that has weights, bottom up. */
void init_network(net_t *net, init_scheme_t scheme, float init_std, rng_t *rng);
/* init_network under the name it had when every net was an MLP. */
static inline void init_mlp(net_t *net, init_scheme_t scheme, float init_std, rng_t *rng)
{
    init_network(net, scheme, init_std, rng);
}

#endif
