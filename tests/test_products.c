/* The products backend (products.h): oneDNN's f32 products are fp32
 * products (strict fpmath, fp32 rounding, against a double product written
 * here), the auto rule, and a run records the library it used. */
#include "test_cli.h"

#include <dnnl.h>

#include "gan/bf16.h"
#include "gan/products.h"
#include "gan/rng.h"
#include "gan/train.h"

/* The widest product of the default MLP: batch 64, 784 -> 1024. */
enum { B = 64, N_IN = 784, N_OUT = 1024 };

static float *x, *w, *dy, *y, *dx, *dw;
static products_t *prod;

static void fini(void)
{
    products_destroy(prod);
    prod = NULL;
    free(x), free(w), free(dy), free(y), free(dx), free(dw);
    x = w = dy = y = dx = dw = NULL;
}

static void fill(float *v, size_t n, rng_t *rng)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)rng_normal(rng);
}

static void make_operands(void)
{
    rng_t rng;
    rng_seed(&rng, 24, 4);
    x = malloc(sizeof *x * B * N_IN);
    w = malloc(sizeof *w * N_OUT * N_IN);
    dy = malloc(sizeof *dy * B * N_OUT);
    y = malloc(sizeof *y * B * N_OUT);
    dx = malloc(sizeof *dx * B * N_IN);
    dw = malloc(sizeof *dw * N_OUT * N_IN);
    cr_assert(x && w && dy && y && dx && dw);
    fill(x, B * N_IN, &rng);
    fill(w, (size_t)N_OUT * N_IN, &rng);
    fill(dy, B * N_OUT, &rng);
}

/* The worst error of got (rows x cols, row-major) against the double
 * product sum_k a(r, k) b(k, c), relative to sum_k |a(r, k) b(k, c)|: the
 * scale of fp32's rounding error of that sum, whatever cancels. a(r, k) is
 * a[r * ar + k * ak], b(k, c) is b[k * bk + c * bc]. */
static double worst_error(const float *got, const float *a, size_t ar, size_t ak, const float *b,
                          size_t bk, size_t bc, int rows, int cols, int inner, double base)
{
    double worst = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            double sum = base, mag = 0;
            for (int k = 0; k < inner; k++) {
                double t = (double)a[r * ar + k * ak] * (double)b[k * bk + c * bc];
                sum += t;
                mag += fabs(t);
            }
            double e = fabs((double)got[(size_t)r * cols + c] - sum) / (mag + fabs(base));
            worst = e > worst ? e : worst;
        }
    return worst;
}

/* fp32 accumulates K products with relative rounding 2^-24 each: the error
 * relative to sum |a b| stays below K 2^-24 = 4.7e-5 for K = 784 in the
 * worst case and is ~sqrt(K) 2^-24 = 1.7e-6 in practice. Rounding the
 * operands to bf16 (2^-9) gives ~2^-9 / sqrt(K) = 7e-5 instead: 1e-5 tells
 * the two apart. */
#define FP32_BOUND 1e-5

/* Runs the three products of a dense layer on backend and returns the
 * worst error of each against the double products (the weight gradient
 * once set, once added onto itself: 2 dy^T x). */
static void run_three(products_backend_t backend, double err[4])
{
    gan_err_t e;
    cr_assert_eq(products_create(&prod, backend, N_IN, N_OUT, B, NULL, 0, &e), GAN_OK, "%s",
                 e.msg);
    products_forward(prod, y, x, w, B);
    products_backward(prod, dx, dw, dy, x, w, B, GRADS_SET);
    /* y = x w^T: x (B x N_IN), w^T (N_IN x N_OUT): w^T(k, c) = w[c N_IN + k] */
    err[0] = worst_error(y, x, N_IN, 1, w, 1, N_IN, B, N_OUT, N_IN, 0);
    /* dx = dy w: dy (B x N_OUT), w (N_OUT x N_IN) */
    err[1] = worst_error(dx, dy, N_OUT, 1, w, N_IN, 1, B, N_IN, N_OUT, 0);
    /* dw = dy^T x: dy^T(r, k) = dy[k N_OUT + r], x (B x N_IN) */
    err[2] = worst_error(dw, dy, 1, N_OUT, x, N_IN, 1, N_OUT, N_IN, B, 0);
    products_backward(prod, NULL, dw, dy, x, w, B, GRADS_ADD);
    double worst = 0;
    for (int r = 0; r < N_OUT; r++)
        for (int c = 0; c < N_IN; c += 7) {
            double sum = 0, mag = 0;
            for (int k = 0; k < B; k++) {
                double t = (double)dy[k * N_OUT + r] * x[k * N_IN + c];
                sum += t;
                mag += fabs(t);
            }
            double e2 = fabs(dw[(size_t)r * N_IN + c] - 2 * sum) / (2 * mag);
            worst = e2 > worst ? e2 : worst;
        }
    err[3] = worst;
}

static void expect_fp32(products_backend_t backend, const char *what)
{
    static const char *names[4] = {"y = x w^T", "dx = dy w", "dw = dy^T x", "dw += dy^T x"};
    double err[4];
    make_operands();
    run_three(backend, err);
    for (int k = 0; k < 4; k++)
        cr_expect_lt(err[k], FP32_BOUND, "%s: %s is off by %.3g of sum |a b| (fp32: < %g)", what,
                     names[k], err[k], FP32_BOUND);
}

TestSuite(products, .fini = fini);

Test(products, onednn_f32_products_equal_a_double_product_to_fp32_accuracy)
{
    expect_fp32(PRODUCTS_ONEDNN_F32, "oneDNN f32");
    cr_expect(products_fpmath_strict(prod), "oneDNN f32 primitives not in strict fpmath mode");
}

Test(products, openblas_f32_products_equal_a_double_product_to_fp32_accuracy)
{
    expect_fp32(PRODUCTS_OPENBLAS_F32, "OpenBLAS");
}

/* A process default of bf16 math (what ONEDNN_DEFAULT_FPMATH_MODE=BF16
 * sets) would let oneDNN run f32 products with bf16 arithmetic; the
 * primitives ask for strict math, so they stay fp32. Criterion runs each
 * test in its own process: the default changes for this one only. */
Test(products, onednn_f32_stays_strict_fp32_under_a_bf16_default_fpmath_mode)
{
    cr_assert_eq(dnnl_set_default_fpmath_mode(dnnl_fpmath_mode_bf16), dnnl_success);
    expect_fp32(PRODUCTS_ONEDNN_F32, "oneDNN f32 under a bf16 default");
    cr_expect(products_fpmath_strict(prod), "oneDNN f32 primitives took the bf16 default");
}

/* The bound is tight enough to see bf16: operands rounded to bf16 (as the
 * bf16 modes do) fail it. */
Test(products, the_fp32_bound_fails_bf16_rounded_operands)
{
    make_operands();
    bf16_store(x, 0, x, B * N_IN, PRECISION_BF16_EMULATED);
    bf16_store(w, 0, w, (size_t)N_OUT * N_IN, PRECISION_BF16_EMULATED);
    gan_err_t e;
    cr_assert_eq(products_create(&prod, PRODUCTS_OPENBLAS_BF16_EMULATED, N_IN, N_OUT, B, NULL, 0,
                                 &e),
                 GAN_OK, "%s", e.msg);
    products_forward(prod, y, x, w, B);
    /* against the unrounded operands */
    rng_t rng;
    rng_seed(&rng, 24, 4);
    fill(x, B * N_IN, &rng);
    fill(w, (size_t)N_OUT * N_IN, &rng);
    double err = worst_error(y, x, N_IN, 1, w, 1, N_IN, B, N_OUT, N_IN, 0);
    cr_expect_gt(err, FP32_BOUND, "bf16 operands passed the fp32 bound (%.3g)", err);
}

Test(products, auto_is_onednn_exactly_where_onednn_has_avx512)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    int avx512 = (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
    cr_expect_eq(products_resolve(PRODUCTS_AUTO, PRECISION_FP32),
                 avx512 ? PRODUCTS_ONEDNN : PRODUCTS_OPENBLAS);
    cr_expect_eq(products_resolve(PRODUCTS_OPENBLAS, PRECISION_FP32), PRODUCTS_OPENBLAS);
    cr_expect_eq(products_resolve(PRODUCTS_ONEDNN, PRECISION_FP32), PRODUCTS_ONEDNN);
    cr_expect_eq(products_resolve(PRODUCTS_OPENBLAS, PRECISION_BF16), PRODUCTS_ONEDNN);
    cr_expect_eq(products_resolve(PRODUCTS_ONEDNN, PRECISION_BF16_EMULATED), PRODUCTS_OPENBLAS);
    cr_expect_eq(products_backend(PRODUCTS_ONEDNN, PRECISION_FP32), PRODUCTS_ONEDNN_F32);
    cr_expect_eq(products_backend(PRODUCTS_OPENBLAS, PRECISION_FP32), PRODUCTS_OPENBLAS_F32);
    cr_expect_eq(products_backend(PRODUCTS_AUTO, PRECISION_BF16), PRODUCTS_ONEDNN_BF16);
}

Test(products, library_names_parse_back_and_others_are_refused)
{
    for (int i = 0; i < PRODUCTS_LIB_COUNT; i++) {
        products_lib_t lib;
        gan_err_t e;
        cr_expect_eq(products_lib_from_name(&lib, products_lib_name((products_lib_t)i), &e),
                     GAN_OK);
        cr_expect_eq(lib, (products_lib_t)i);
    }
    products_lib_t lib;
    gan_err_t e;
    cr_expect_eq(products_lib_from_name(&lib, "mkl", &e), GAN_ERR_INPUT);
    cr_expect(strstr(e.msg, "auto, openblas, onednn"), "%s", e.msg);
}

/* ---- runs ------------------------------------------------------------- */

static void setup_runs(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "products"); }

/* A small run on lib; returns its config.json (freed by teardown). */
static char *train_small(const char *name, products_lib_t lib, gan_t *out)
{
    train_cfg_t cfg;
    small_run_cfg(&cfg);
    gan_err_t err;
    cfg.products = lib;
    char *dir = tmp_path(name);
    train_opts_t opts = {.run_dir = dir};
    cr_assert_eq(train_run(&cfg, &opts, &err), GAN_OK, "%s", err.msg);
    train_cfg_t loaded;
    cr_assert_eq(train_load_gan(out, &loaded, dir, 64, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(loaded.products, lib, "config.json/checkpoint keep --products");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", dir);
    return must_read(path, NULL);
}

Test(products, a_run_records_the_library_that_made_its_bits, .init = setup_runs,
     .fini = teardown, .timeout = 120)
{
    need_mnist();
    gan_t a, b, c;
    char *cfg_a = train_small("openblas", PRODUCTS_OPENBLAS, &a);
    char *cfg_b = train_small("onednn", PRODUCTS_ONEDNN, &b);
    train_small("onednn2", PRODUCTS_ONEDNN, &c);
    cr_expect(strstr(cfg_a, "\"products\": \"openblas "), "%s", cfg_a);
    cr_expect(strstr(cfg_b, "\"products\": \"onednn f32\""), "%s", cfg_b);
    cr_expect(strstr(cfg_b, "\"products_lib\": \"onednn\""), "the option is recorded: %s", cfg_b);
    /* What gan sample/eval/export load (train_load_gan) runs on the
     * run's recorded library: it drew the run's grids. */
    cr_expect_eq(a.g.products, PRODUCTS_OPENBLAS_F32, "the OpenBLAS run loads on %d",
                 (int)a.g.products);
    cr_expect_eq(b.g.products, PRODUCTS_ONEDNN_F32, "the oneDNN run loads on %d",
                 (int)b.g.products);
    cr_expect_eq(b.d.products, PRODUCTS_ONEDNN_F32);
    size_t gb = b.g.n_params * sizeof(float), db = b.d.n_params * sizeof(float);
    cr_expect(memcmp(b.g.params, c.g.params, gb) == 0, "oneDNN f32: the same bits twice (G)");
    cr_expect(memcmp(b.d.params, c.d.params, db) == 0, "oneDNN f32: the same bits twice (D)");
    gan_destroy(&a);
    gan_destroy(&b);
    gan_destroy(&c);
}
