/* The products of a step on OpenBLAS (dense.c) or oneDNN (dense_bf16.c);
 * see products.h. */
#include "gan/products.h"

#include <cblas.h>
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/dense_bf16.h"
#include "gan/json.h"

struct products {
    products_backend_t backend;
    int n_in, n_out;
    dense_bf16_t *dnnl; /* the oneDNN backends' primitives */
};

const char *products_lib_name(products_lib_t lib)
{
    static const char *names[PRODUCTS_LIB_COUNT] = {"auto", "openblas", "onednn"};
    return (unsigned)lib < PRODUCTS_LIB_COUNT ? names[lib] : "?";
}

int products_lib_from_name(products_lib_t *lib, const char *name, gan_err_t *err)
{
    for (int i = 0; i < PRODUCTS_LIB_COUNT; i++)
        if (strcmp(name, products_lib_name((products_lib_t)i)) == 0) {
            *lib = (products_lib_t)i;
            return GAN_OK;
        }
    return gan_err_set(err, GAN_ERR_INPUT, "not one of auto, openblas, onednn");
}

int products_onednn_is_faster(void)
{
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
}

products_lib_t products_resolve(products_lib_t lib, precision_t precision)
{
    if (precision == PRECISION_BF16)
        return PRODUCTS_ONEDNN;
    if (precision == PRECISION_BF16_EMULATED)
        return PRODUCTS_OPENBLAS;
    if (lib == PRODUCTS_AUTO)
        return products_onednn_is_faster() ? PRODUCTS_ONEDNN : PRODUCTS_OPENBLAS;
    return lib;
}

products_lib_t products_lib_recorded(const char *header)
{
    char text[64];
    if (json_get_string(header, "products", text, sizeof text) == 0)
        return strcmp(text, "onednn f32") == 0 ? PRODUCTS_ONEDNN : PRODUCTS_OPENBLAS;
    /* A kept epoch's header has the settings but not the backend: the
     * library --products resolves to here, which on the machine that made
     * the run is the one it used. A bf16 run drew its grids on OpenBLAS; a
     * run from before --products (no key) ran on OpenBLAS. */
    products_lib_t lib = PRODUCTS_OPENBLAS;
    if (json_get_string(header, "precision", text, sizeof text) == 0 &&
        strcmp(text, "fp32") != 0)
        return PRODUCTS_OPENBLAS;
    if (json_get_string(header, "products_lib", text, sizeof text) == 0 &&
        products_lib_from_name(&lib, text, NULL) == GAN_OK)
        return products_resolve(lib, PRECISION_FP32);
    return PRODUCTS_OPENBLAS;
}

products_backend_t products_backend(products_lib_t lib, precision_t precision)
{
    lib = products_resolve(lib, precision);
    if (precision == PRECISION_BF16)
        return PRODUCTS_ONEDNN_BF16;
    if (precision == PRECISION_BF16_EMULATED)
        return PRODUCTS_OPENBLAS_BF16_EMULATED;
    return lib == PRODUCTS_ONEDNN ? PRODUCTS_ONEDNN_F32 : PRODUCTS_OPENBLAS_F32;
}

void products_describe(char *out, size_t size, products_backend_t backend)
{
    switch (backend) {
    case PRODUCTS_ONEDNN_F32:
        snprintf(out, size, "onednn f32");
        break;
    case PRODUCTS_ONEDNN_BF16:
        snprintf(out, size, "onednn bf16");
        break;
    case PRODUCTS_OPENBLAS_BF16_EMULATED:
        snprintf(out, size, "openblas %s bf16-emulated", openblas_get_corename());
        break;
    default:
        snprintf(out, size, "openblas %s", openblas_get_corename());
    }
}

int products_create(products_t **out, products_backend_t backend, int n_in, int n_out,
                    int max_batch, const int *batches, int n_batches, gan_err_t *err)
{
    *out = NULL;
    if (n_in < 1 || n_out < 1 || max_batch < 1)
        return gan_err_set(err, GAN_ERR_INPUT, "products: bad sizes %d -> %d, max batch %d",
                           n_in, n_out, max_batch);
    products_t *p = calloc(1, sizeof *p);
    if (!p)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory for the products");
    p->backend = backend;
    p->n_in = n_in;
    p->n_out = n_out;
    if (backend == PRODUCTS_ONEDNN_F32 || backend == PRODUCTS_ONEDNN_BF16) {
        int rc = dense_bf16_create(&p->dnnl,
                                   backend == PRODUCTS_ONEDNN_F32 ? DENSE_F32_ONEDNN
                                                                  : DENSE_BF16_ONEDNN,
                                   n_in, n_out, max_batch, batches, n_batches, err);
        if (rc) {
            free(p);
            return rc;
        }
    }
    *out = p;
    return GAN_OK;
}

void products_destroy(products_t *p)
{
    if (!p)
        return;
    dense_bf16_destroy(p->dnnl);
    free(p);
}

products_backend_t products_backend_of(const products_t *p) { return p->backend; }

int products_fpmath_strict(const products_t *p)
{
    return p->dnnl ? dense_bf16_fpmath_strict(p->dnnl) : 1;
}

void products_forward(const products_t *p, float *y, const void *x, const void *w, int batch)
{
    if (p->dnnl)
        dense_bf16_forward(p->dnnl, y, x, w, batch);
    else
        dense_forward(y, x, w, NULL, batch, p->n_in, p->n_out);
}

void products_backward(const products_t *p, float *dx, float *dw, const void *dy, const void *x,
                       const void *w, int batch, grad_mode_t mode)
{
    if (p->dnnl)
        dense_bf16_backward(p->dnnl, dx, dw, dy, x, w, batch, mode);
    else
        dense_backward(dx, dw, NULL, dy, x, w, NULL, batch, p->n_in, p->n_out, mode);
}

void products_colsum(float *db, const float *dy, const float *ones, int batch, int n,
                     grad_mode_t mode)
{
    dense_backward(NULL, NULL, db, dy, NULL, NULL, ones, batch, 0, n, mode);
}
