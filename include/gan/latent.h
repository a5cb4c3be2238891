/* Walks between two noise vectors of the generator, for interpolation
 * pictures (gan sample --interpolate).
 *
 * Linear: z(t) = (1 - t) a + t b. Simple, and what most GAN papers show;
 * but for Gaussian noise in d dimensions its midpoint has norm about
 * sqrt(d/2) where samples have sqrt(d), so the middle of a row is noise G
 * rarely saw in training. Spherical (slerp, White 2016, "Sampling
 * Generative Networks"): z(t) = sin((1-t) W)/sin W a + sin(t W)/sin W b,
 * W the angle between a and b, keeps the norm along the way.
 *
 * Both return a and b themselves at t = 0 and t = 1 (copied, not computed),
 * so a row's ends are exactly G(a) and G(b). */
#ifndef GAN_LATENT_H
#define GAN_LATENT_H

typedef enum { LATENT_LINEAR, LATENT_SLERP } latent_path_t;

/* "linear" | "slerp" <-> the enum; from_name returns -1 for unknown names. */
const char *latent_path_name(latent_path_t p);
int latent_path_from_name(latent_path_t *p, const char *name);

/* out (dim floats) = the point at t in [0, 1] on the path from a to b.
 * Slerp falls back to linear when a and b are (anti)parallel or zero,
 * where the angle gives no plane to rotate in. out may not alias a or b. */
void latent_interpolate(float *out, const float *a, const float *b, int dim, double t,
                        latent_path_t path);

#endif
