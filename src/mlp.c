/* The MLP architecture as a net; see mlp.h. */
#include "gan/mlp.h"

#include <string.h>

int mlp_arch(net_arch_t *arch, int n_layers, const int *sizes, const act_t *acts, float leak,
             gan_err_t *err)
{
    if (n_layers < 1 || n_layers > NET_MAX_LAYERS)
        return gan_err_set(err, GAN_ERR_INPUT, "mlp: %d layers (must be 1..%d)", n_layers,
                           NET_MAX_LAYERS);
    *arch = (net_arch_t){.input = shape_flat(sizes[0]), .leak = leak, .n_layers = n_layers};
    for (int l = 0; l < n_layers; l++)
        arch->layers[l] = (layer_spec_t){LAYER_DENSE, acts[l], shape_flat(sizes[l + 1])};
    return GAN_OK;
}

int mlp_create(mlp_t *net, int n_layers, const int *sizes, const act_t *acts, float leak,
               int max_batch, gan_err_t *err)
{
    net_arch_t arch;
    int rc = mlp_arch(&arch, n_layers, sizes, acts, leak, err);
    if (rc) {
        memset(net, 0, sizeof *net);
        return rc;
    }
    return net_create(net, &arch, max_batch, err);
}
