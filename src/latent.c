/* Paths between noise vectors; see latent.h for linear vs slerp. Computed in
 * double (the angle of two 100-d vectors near parallel loses digits in
 * float), rounded once to float. Knows nothing about the generator. */
#include "gan/latent.h"

#include <math.h>
#include <string.h>

static const char *const path_names[] = {"linear", "slerp"};

const char *latent_path_name(latent_path_t p)
{
    return (unsigned)p < 2 ? path_names[p] : "?";
}

int latent_path_from_name(latent_path_t *p, const char *name)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, path_names[i]) == 0) {
            *p = (latent_path_t)i;
            return 0;
        }
    return -1;
}

void latent_interpolate(float *out, const float *a, const float *b, int dim, double t,
                        latent_path_t path)
{
    if (t <= 0.0) {
        memcpy(out, a, (size_t)dim * sizeof *out);
        return;
    }
    if (t >= 1.0) {
        memcpy(out, b, (size_t)dim * sizeof *out);
        return;
    }
    double wa = 1.0 - t, wb = t;
    if (path == LATENT_SLERP) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < dim; i++) {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        double c = aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 1.0;
        c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
        double omega = acos(c), s = sin(omega);
        if (s > 1e-6) {
            wa = sin((1.0 - t) * omega) / s;
            wb = sin(t * omega) / s;
        }
    }
    for (int i = 0; i < dim; i++)
        out[i] = (float)(wa * a[i] + wb * b[i]);
}
