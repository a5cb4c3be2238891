/* Weight-initialization schemes; formulas and sources in init.h. */
#include "gan/init.h"

#include <math.h>
#include <string.h>

static const char *const init_names[INIT_COUNT] = {
    [INIT_RANDOM] = "random",
    [INIT_UNIFORM] = "uniform",
    [INIT_XAVIER_NORMAL] = "xavier_normal",
    [INIT_XAVIER_UNIFORM] = "xavier_uniform",
    [INIT_HE_NORMAL] = "he_normal",
    [INIT_HE_UNIFORM] = "he_uniform",
    [INIT_HE_XAVIER] = "he_xavier",
};

const char *init_name(init_scheme_t scheme)
{
    return (unsigned)scheme < INIT_COUNT ? init_names[scheme] : "?";
}

const char *init_valid_names(void)
{
    return "random, uniform, xavier_normal, xavier_uniform, he_normal, he_uniform, he_xavier";
}

int init_from_name(init_scheme_t *scheme, const char *name, gan_err_t *err)
{
    for (int i = 0; i < INIT_COUNT; i++) {
        if (strcmp(name, init_names[i]) == 0) {
            *scheme = (init_scheme_t)i;
            return GAN_OK;
        }
    }
    return gan_err_set(err, GAN_ERR_INPUT, "unknown init scheme '%s' (valid: %s)",
                       name, init_valid_names());
}

init_scheme_t init_resolve(init_scheme_t scheme, act_t act)
{
    if (scheme != INIT_HE_XAVIER)
        return scheme;
    return act == ACT_RELU || act == ACT_LEAKY_RELU ? INIT_HE_NORMAL
                                                    : INIT_XAVIER_NORMAL;
}

/* He et al. 2015 derive the gain for a rectifier with negative slope a:
 * Var(w) = 2 / ((1 + a^2) fan_in). A plain ReLU is a = 0. */
static double he_slope(act_t act, float leak)
{
    return act == ACT_LEAKY_RELU ? (double)leak : 0.0;
}

/* For U(-r, r) schemes: r. Zero for the normal ones. */
static double uniform_range(init_scheme_t scheme, int fan_in, int fan_out,
                            act_t act, float leak)
{
    double a = he_slope(act, leak);
    switch (scheme) {
    case INIT_UNIFORM: return 1.0 / sqrt((double)fan_in);
    case INIT_XAVIER_UNIFORM: return sqrt(6.0 / (fan_in + fan_out));
    case INIT_HE_UNIFORM: return sqrt(6.0 / ((1.0 + a * a) * fan_in));
    default: return 0.0;
    }
}

double init_weight_std(init_scheme_t scheme, int fan_in, int fan_out,
                       act_t act, float leak, float init_std)
{
    scheme = init_resolve(scheme, act);
    double a = he_slope(act, leak);
    switch (scheme) {
    case INIT_RANDOM: return init_std;
    case INIT_XAVIER_NORMAL: return sqrt(2.0 / (fan_in + fan_out));
    case INIT_HE_NORMAL: return sqrt(2.0 / ((1.0 + a * a) * fan_in));
    default: return uniform_range(scheme, fan_in, fan_out, act, leak) / sqrt(3.0);
    }
}

void init_weights(float *w, size_t n_w, float *b, size_t n_b, int fan_in, int fan_out,
                  init_scheme_t scheme, act_t act, float leak, float init_std, rng_t *rng)
{
    scheme = init_resolve(scheme, act);
    double r = uniform_range(scheme, fan_in, fan_out, act, leak);
    if (r > 0.0) {
        for (size_t i = 0; i < n_w; i++)
            w[i] = rng_uniform_range(rng, (float)-r, (float)r);
    } else {
        float std = (float)init_weight_std(scheme, fan_in, fan_out, act, leak, init_std);
        rng_fill_normal(rng, w, n_w, 0.0f, std);
    }
    if (scheme == INIT_UNIFORM) {
        for (size_t i = 0; i < n_b; i++)
            b[i] = rng_uniform_range(rng, (float)-r, (float)r);
    } else if (n_b) {
        memset(b, 0, n_b * sizeof *b);
    }
}

/* w: n_out x n_in, b: n_out */
void init_layer(float *w, float *b, int n_in, int n_out, init_scheme_t scheme,
                act_t act, float leak, float init_std, rng_t *rng)
{
    init_weights(w, (size_t)n_out * n_in, b, (size_t)n_out, n_in, n_out, scheme, act, leak,
                 init_std, rng);
}

void init_network(net_t *net, init_scheme_t scheme, float init_std, rng_t *rng)
{
    for (int l = 0; l < net->n_layers; l++) {
        const layer_t *layer = &net->layers[l];
        const layer_kind_ops_t *k = layer_kind_ops(layer->kind);
        if (!layer->n_weights || !k->fans)
            continue;
        int fan_in, fan_out;
        k->fans(layer, &fan_in, &fan_out);
        init_weights(net->params + layer->w_off, layer->n_weights, net->params + layer->b_off,
                     layer->p_off + layer->n_params - layer->b_off, fan_in, fan_out, scheme,
                     net_layer_act(net, l), net->leak, init_std, rng);
    }
}
