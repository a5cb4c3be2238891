/* bf16: the rounding, the products with bf16 operands and the bf16 MLP,
 * each against something that does not share the code under test:
 *
 * - rounding: bit patterns derived by hand (in the table's comments) from
 *   the definition of round-to-nearest-even on the upper 16 bits;
 * - products: operands drawn directly as bf16-representable values (an
 *   8-bit integer mantissa times a power of two), against a triple loop in
 *   double; the allowed difference is fp32 accumulation error,
 *   (K + 2) 2^-24 sum|a b| for an inner dimension K (Higham's gamma_K bound;
 *   each product of two bf16 values is exact in fp32, so nothing else can
 *   differ);
 * - the MLP: a double-precision forward and backward written here that
 *   rounds exactly the operands mlp.h says are rounded, with its own bf16
 *   rounding (frexp, nearbyint, ldexp: no bit tricks). */
#include <criterion/criterion.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gan/bf16.h"
#include "gan/dense_bf16.h"
#include "gan/mlp.h"
#include "test_util.h"

static dense_bf16_t *prod_a, *prod_b;
static mlp_t net, net_fp32;

static void teardown(void)
{
    dense_bf16_destroy(prod_a);
    dense_bf16_destroy(prod_b);
    prod_a = prod_b = NULL;
    mlp_destroy(&net);
    mlp_destroy(&net_fp32);
}

TestSuite(bf16, .fini = teardown);

static float from_bits(uint32_t bits)
{
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* ---- rounding -------------------------------------------------------------- */

/* bf16 keeps the upper 16 bits; the lower 16 decide the rounding: below
 * 0x8000 down, above up, exactly 0x8000 (a tie) towards the even upper
 * half. Values: 0x3f80 = 1.0, 0x3f81 = 1 + 2^-7, 0x3f82 = 1 + 2^-6. */
static const struct {
    uint32_t in;
    uint16_t want;
    const char *what;
} rounding_cases[] = {
    {0x3f800000, 0x3f80, "1.0 is a bf16 value"},
    {0x3f808000, 0x3f80, "1 + 2^-8, a tie between 0x3f80 (even) and 0x3f81: down to even"},
    {0x3f818000, 0x3f82, "1 + 3 2^-8, a tie between 0x3f81 and 0x3f82 (even): up to even "
                         "(truncation gives 0x3f81)"},
    {0x3f808001, 0x3f81, "one bit above a tie: up"},
    {0x3f807fff, 0x3f80, "one bit below a tie: down"},
    {0x3f80ffff, 0x3f81, "low half 0xffff: up (truncation gives 0x3f80)"},
    {0x3f81c000, 0x3f82, "three quarters of an ulp above 0x3f81: up"},
    {0xbf808000, 0xbf80, "-(1 + 2^-8): a tie, magnitude down to even"},
    {0xbf818000, 0xbf82, "-(1 + 3 2^-8): a tie, magnitude up to even"},
    {0xbf80c000, 0xbf81, "negative, above a tie: magnitude up"},
    {0xbf804000, 0xbf80, "negative, below a tie: magnitude down"},
    {0x3fff8000, 0x4000, "a tie above 0x3fff (odd) carries into the exponent: 2.0"},
    {0x7f7f7fff, 0x7f7f, "just below the tie above the largest bf16 (3.39e38): stays"},
    {0x7f7f8000, 0x7f80, "the tie above the largest bf16 (0x7f7f is odd): up to +inf"},
    {0x7f7fffff, 0x7f80, "FLT_MAX overflows to +inf"},
    {0xff7fffff, 0xff80, "-FLT_MAX overflows to -inf"},
    {0x7f800000, 0x7f80, "+inf stays +inf"},
    {0xff800000, 0xff80, "-inf stays -inf"},
    {0x00000000, 0x0000, "+0"},
    {0x80000000, 0x8000, "-0 keeps its sign"},
    {0x00000001, 0x0000, "the smallest subnormal rounds to 0"},
    {0x00008000, 0x0000, "a subnormal tie: down to even (0)"},
    {0x00018000, 0x0002, "a subnormal tie above 0x0001 (odd): up to 0x0002"},
    {0x007fffff, 0x0080, "the largest subnormal rounds up to the smallest normal 2^-126"},
    {0x7fc00000, 0x7fc0, "the quiet NaN stays itself"},
    {0xffc00001, 0xffc0, "a negative NaN stays a negative NaN"},
    {0x7f800001, 0x7fc0, "a NaN with payload only in the low half stays NaN (truncation gives "
                         "+inf), made quiet"},
    {0x7fa00000, 0x7fe0, "a signaling NaN gets the quiet bit (0x0040) and keeps its payload"},
};
enum { N_ROUNDING = sizeof rounding_cases / sizeof rounding_cases[0] };

Test(bf16, rounds_to_nearest_even_not_by_truncation)
{
    for (int i = 0; i < N_ROUNDING; i++) {
        uint16_t got = bf16_from_float(from_bits(rounding_cases[i].in));
        cr_expect_eq(got, rounding_cases[i].want, "0x%08x -> 0x%04x, want 0x%04x: %s",
                     rounding_cases[i].in, got, rounding_cases[i].want, rounding_cases[i].what);
    }
}

Test(bf16, nan_stays_nan_and_inf_stays_inf_as_floats)
{
    cr_expect(isnan(bf16_round(from_bits(0x7f800001))), "low-payload NaN became %g",
              bf16_round(from_bits(0x7f800001)));
    cr_expect(isnan(bf16_round(NAN)));
    cr_expect(isinf(bf16_round(INFINITY)) && bf16_round(INFINITY) > 0);
    cr_expect(isinf(bf16_round(-INFINITY)) && bf16_round(-INFINITY) < 0);
    cr_expect(isinf(bf16_round(FLT_MAX)), "FLT_MAX rounds to inf");
    cr_expect_eq(bf16_round(3.0f), 3.0f);
    cr_expect_eq(bf16_to_float(0x3f82), 1.015625f);
}

/* The array stores, in both operand forms, round exactly like the scalar
 * (the table again, through the vectorized loops at odd lengths). */
Test(bf16, stores_round_like_the_table_in_both_operand_forms)
{
    float in[N_ROUNDING];
    uint16_t packed[N_ROUNDING + 3];
    float rounded[N_ROUNDING + 3];
    for (int i = 0; i < N_ROUNDING; i++)
        in[i] = from_bits(rounding_cases[i].in);
    memset(packed, 0xab, sizeof packed);
    memset(rounded, 0xab, sizeof rounded);
    bf16_store(packed, 3, in, N_ROUNDING, PRECISION_BF16);
    bf16_store(rounded, 3, in, N_ROUNDING, PRECISION_BF16_EMULATED);
    cr_expect_eq(packed[2], 0xabab, "a store wrote before its offset");
    for (int i = 0; i < N_ROUNDING; i++) {
        uint32_t bits;
        memcpy(&bits, &rounded[3 + i], sizeof bits);
        cr_expect_eq(packed[3 + i], rounding_cases[i].want, "packed [%d]: 0x%04x, want 0x%04x",
                     i, packed[3 + i], rounding_cases[i].want);
        cr_expect_eq(bits, (uint32_t)rounding_cases[i].want << 16,
                     "emulated [%d]: 0x%08x, want 0x%04x0000", i, bits, rounding_cases[i].want);
    }
    float back[N_ROUNDING];
    bf16_load(back, packed, 3, N_ROUNDING, PRECISION_BF16);
    cr_expect(memcmp(back, rounded + 3, sizeof back) == 0, "load of packed != emulated store");
}

Test(bf16, precision_names_round_trip_and_unknown_names_are_refused)
{
    for (int p = 0; p < PRECISION_COUNT; p++) {
        precision_t back;
        cr_expect_eq(precision_from_name(&back, precision_name((precision_t)p), NULL), GAN_OK);
        cr_expect_eq(back, (precision_t)p);
    }
    gan_err_t err;
    precision_t p;
    cr_expect_eq(precision_from_name(&p, "bf16_emulated", &err), GAN_ERR_INPUT);
    cr_expect(strstr(err.msg, "fp32, bf16, bf16-emulated") != NULL, "%s", err.msg);
}

/* ---- products ---------------------------------------------------------------- */

static uint64_t lcg_state;

static uint32_t next_u32(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(lcg_state >> 33);
}

/* A bf16-representable float: +-m 2^(e - 7), m an 8-bit mantissa
 * 128..255, e in -4..1 (values 2^-4 .. 4 in magnitude); 1 in 16 is zero. */
static float bf16_value(void)
{
    uint32_t r = next_u32();
    if ((r & 15) == 0)
        return 0.0f;
    double m = 128 + (r >> 4) % 128;
    int e = (int)((r >> 12) % 6) - 4;
    return (float)((r >> 20 & 1 ? -1 : 1) * ldexp(m, e - 7));
}

static void fill(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = bf16_value();
}

/* C (m x n) = A B with A(i, k) = a[i * a_row + k * a_col], B(k, j) =
 * b[k * b_row + j * b_col], in double; bound(i, j) = (K + 2) 2^-24 sum |A B|
 * plus |c0| when accumulating onto c0. */
static void reference_product(double *c, double *bound, const float *c0, const float *a,
                              int a_row, int a_col, const float *b, int b_row, int b_col, int m,
                              int n, int k)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double sum = c0 ? c0[i * n + j] : 0.0, mag = c0 ? fabs(c0[i * n + j]) : 0.0;
            for (int t = 0; t < k; t++) {
                double term = (double)a[i * a_row + t * a_col] * b[t * b_row + j * b_col];
                sum += term;
                mag += fabs(term);
            }
            c[i * n + j] = sum;
            bound[i * n + j] = (k + 2) * ldexp(1.0, -24) * mag;
        }
}

static void expect_within(const float *got, const double *want, const double *bound, int n,
                          const char *what)
{
    int bad = -1;
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double diff = fabs(got[i] - want[i]);
        if (!(diff <= bound[i]) && bad < 0)
            bad = i;
        worst = diff > worst ? diff : worst;
    }
    cr_expect(bad < 0, "%s: [%d] = %.9g, want %.9g within %.3g (worst |diff| %.3g)", what, bad,
              bad >= 0 ? got[bad] : 0.0, bad >= 0 ? want[bad] : 0.0, bad >= 0 ? bound[bad] : 0.0,
              worst);
}

enum { N_IN = 37, N_OUT = 23, MAX_B = 9 };

typedef struct {
    float x[MAX_B * N_IN], w[N_OUT * N_IN], dy[MAX_B * N_OUT], dw0[N_OUT * N_IN];
} operands_t;

static void make_operands(operands_t *o, uint64_t seed)
{
    lcg_state = seed;
    fill(o->x, MAX_B * N_IN);
    fill(o->w, N_OUT * N_IN);
    fill(o->dy, MAX_B * N_OUT);
    fill(o->dw0, N_OUT * N_IN);
}

/* The three products of d at `batch` rows (operands in d's form: packed
 * when packed) against the double reference. */
static void check_products(const dense_bf16_t *d, const operands_t *o, int batch, int packed,
                           const char *label)
{
    const precision_t form = packed ? PRECISION_BF16 : PRECISION_BF16_EMULATED;
    static uint16_t x16[MAX_B * N_IN], w16[N_OUT * N_IN], dy16[MAX_B * N_OUT];
    const void *x = o->x, *w = o->w, *dy = o->dy;
    if (packed) {
        bf16_store(x16, 0, o->x, MAX_B * N_IN, form);
        bf16_store(w16, 0, o->w, N_OUT * N_IN, form);
        bf16_store(dy16, 0, o->dy, MAX_B * N_OUT, form);
        x = x16, w = w16, dy = dy16;
    }
    static float y[MAX_B * N_OUT], dx[MAX_B * N_IN], dw[N_OUT * N_IN];
    static double want[MAX_B * N_IN + N_OUT * N_IN], bound[MAX_B * N_IN + N_OUT * N_IN];
    char what[128];

    dense_bf16_forward(d, y, x, w, batch);
    reference_product(want, bound, NULL, o->x, N_IN, 1, o->w, 1, N_IN, batch, N_OUT, N_IN);
    snprintf(what, sizeof what, "%s, batch %d: y = x w^T", label, batch);
    expect_within(y, want, bound, batch * N_OUT, what);

    memcpy(dw, o->dw0, sizeof dw);
    dense_bf16_backward(d, dx, dw, dy, x, w, batch, GRADS_ADD);
    reference_product(want, bound, NULL, o->dy, N_OUT, 1, o->w, N_IN, 1, batch, N_IN, N_OUT);
    snprintf(what, sizeof what, "%s, batch %d: dx = dy w", label, batch);
    expect_within(dx, want, bound, batch * N_IN, what);
    reference_product(want, bound, o->dw0, o->dy, 1, N_OUT, o->x, N_IN, 1, N_OUT, N_IN, batch);
    snprintf(what, sizeof what, "%s, batch %d: dw += dy^T x", label, batch);
    expect_within(dw, want, bound, N_OUT * N_IN, what);

    memset(dx, 0x7f, sizeof dx); /* must not be written: NULL means skipped */
    dense_bf16_backward(d, NULL, dw, dy, x, w, batch, GRADS_SET);
    reference_product(want, bound, NULL, o->dy, 1, N_OUT, o->x, N_IN, 1, N_OUT, N_IN, batch);
    snprintf(what, sizeof what, "%s, batch %d: dw = dy^T x", label, batch);
    expect_within(dw, want, bound, N_OUT * N_IN, what);
}

Test(bf16, emulated_products_equal_a_double_triple_loop_on_bf16_values)
{
    operands_t o;
    make_operands(&o, 7);
    gan_err_t err;
    cr_assert_eq(dense_bf16_create(&prod_a, DENSE_BF16_EMULATED, N_IN, N_OUT, MAX_B, NULL, 0,
                                   &err), GAN_OK, "%s", err.msg);
    for (int batch = 1; batch <= MAX_B; batch += 4)
        check_products(prod_a, &o, batch, 0, "emulated");
}

/* The oneDNN plumbing (strides of the transposed operands, one primitive
 * per prepared row count, zero-padded runs for the other counts, the sum
 * post-op of GRADS_ADD) through oneDNN's f32 matmul, which every x86 CPU
 * has: the native bf16 backend runs this same code with bf16 types. */
Test(bf16, onednn_plumbing_in_f32_equals_a_double_triple_loop_at_every_batch)
{
    operands_t o;
    make_operands(&o, 11);
    gan_err_t err;
    const int prepared[] = {5, 2};
    cr_assert_eq(dense_bf16_create(&prod_a, DENSE_F32_ONEDNN, N_IN, N_OUT, MAX_B, prepared, 2,
                                   &err), GAN_OK, "%s", err.msg);
    /* A smaller batch after a larger one with the same padded row count
     * (4 then 3, 8 then 6) finds the larger one's rows in the padding. */
    static const int order[] = {9, 4, 3, 1, 8, 6, 7, 2, 5};
    for (int i = 0; i < MAX_B; i++)
        check_products(prod_a, &o, order[i], 0, "oneDNN f32");
}

/* Native bf16 against the same double triple loop and the same bound as
 * the emulated products: the two differ only in the order of summation. */
Test(bf16, native_bf16_products_meet_the_bound_of_the_emulated_ones)
{
    gan_err_t err;
    if (dense_bf16_native_check(&err) != GAN_OK)
        cr_skip_test("no native bf16 on this CPU: %s", err.msg);
    operands_t o;
    make_operands(&o, 13);
    const int prepared[] = {4};
    cr_assert_eq(dense_bf16_create(&prod_a, DENSE_BF16_ONEDNN, N_IN, N_OUT, MAX_B, prepared, 1,
                                   &err), GAN_OK, "%s", err.msg);
    static const int order[] = {9, 4, 3, 1, 8, 6, 7, 2, 5};
    for (int i = 0; i < MAX_B; i++)
        check_products(prod_a, &o, order[i], 1, "oneDNN bf16");
}

/* Runs everywhere: oneDNN is told to use at most AVX2 (its own variable,
 * read at its first use in this test's process), which has no bf16 matmul
 * in oneDNN 2.x, so the unsupported case happens on any CPU. */
Test(bf16, native_bf16_without_cpu_support_is_one_clean_error)
{
    setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 1);
    gan_err_t err;
    cr_assert_eq(dense_bf16_create(&prod_a, DENSE_BF16_ONEDNN, N_IN, N_OUT, MAX_B, NULL, 0, &err),
                 GAN_ERR_INPUT);
    cr_expect_null(prod_a);
    cr_expect(strchr(err.msg, '\n') == NULL, "not one line: %s", err.msg);
    const char *needed[] = {"--precision=bf16:", "AVX-512", "AVX2", "ONEDNN_MAX_CPU_ISA=AVX2",
                            "--precision=bf16-emulated", "--precision=fp32"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        cr_expect(strstr(err.msg, needed[i]) != NULL, "message lacks '%s': %s", needed[i],
                  err.msg);
    gan_err_t check;
    cr_expect_eq(dense_bf16_native_check(&check), GAN_ERR_INPUT);
    cr_expect_str_eq(check.msg, err.msg);
    /* The other modes do not need oneDNN's bf16. */
    cr_expect_eq(dense_bf16_create(&prod_b, DENSE_BF16_EMULATED, N_IN, N_OUT, MAX_B, NULL, 0,
                                   &err), GAN_OK);
}

/* ---- the MLP against a double-precision model of the bf16 design ------------ */

/* Round to nearest even at 8 significant bits, in double arithmetic:
 * x = f 2^e with 0.5 <= |f| < 1, and nearbyint (ties to even in the
 * default rounding mode) of f 2^8 keeps 8 bits. Normal numbers only, which
 * is all these nets produce. */
static double round8(double x)
{
    if (x == 0.0)
        return x;
    int e;
    double f = frexp(x, &e);
    return ldexp(nearbyint(f * 256.0), e - 8);
}

enum { MAX_L = 3, MAX_W = 8, MB = 4 };

typedef struct {
    int n_layers, sizes[MAX_L + 1];
    act_t acts[MAX_L];
} net_shape_t;

static double act_ref(act_t act, double z)
{
    switch (act) {
    case ACT_LEAKY_RELU: return z > 0 ? z : 0.2 * z;
    case ACT_TANH: return tanh(z);
    default: return z;
    }
}

static double act_slope_ref(act_t act, double y)
{
    switch (act) {
    case ACT_LEAKY_RELU: return y > 0 ? 1.0 : 0.2;
    case ACT_TANH: return 1.0 - y * y;
    default: return 1.0;
    }
}

/* The bf16 MLP of mlp.h in double: every product reads round8 of its two
 * operands (the input, hidden outputs, weights, output gradients times
 * f'); biases, activations and the bias gradient use unrounded values. */
static void reference_mlp(double *out, double *dx, double *grads, const net_shape_t *s,
                          const float *params, const float *x, const float *dout, int batch)
{
    double act[MAX_L + 1][MB * MAX_W];
    size_t off[MAX_L];
    size_t at = 0;
    for (int l = 0; l < s->n_layers; l++) {
        off[l] = at;
        at += (size_t)s->sizes[l + 1] * (s->sizes[l] + 1);
    }
    for (int i = 0; i < batch * s->sizes[0]; i++)
        act[0][i] = x[i];
    for (int l = 0; l < s->n_layers; l++) {
        int n_in = s->sizes[l], n_out = s->sizes[l + 1];
        const float *w = params + off[l], *b = w + (size_t)n_in * n_out;
        for (int r = 0; r < batch; r++)
            for (int o = 0; o < n_out; o++) {
                double z = 0;
                for (int i = 0; i < n_in; i++)
                    z += round8(act[l][r * n_in + i]) * round8(w[o * n_in + i]);
                act[l + 1][r * n_out + o] = act_ref(s->acts[l], z + b[o]);
            }
    }
    int n_last = s->sizes[s->n_layers];
    memcpy(out, act[s->n_layers], sizeof(double) * batch * n_last);
    double dy[MB * MAX_W], dz[MB * MAX_W];
    for (int i = 0; i < batch * n_last; i++)
        dy[i] = dout[i];
    for (int l = s->n_layers - 1; l >= 0; l--) {
        int n_in = s->sizes[l], n_out = s->sizes[l + 1];
        const float *w = params + off[l];
        double *dw = grads + off[l], *db = dw + (size_t)n_in * n_out;
        for (int i = 0; i < batch * n_out; i++)
            dz[i] = dy[i] * act_slope_ref(s->acts[l], act[l + 1][i]);
        for (int o = 0; o < n_out; o++) {
            db[o] = 0;
            for (int r = 0; r < batch; r++)
                db[o] += dz[r * n_out + o];
            for (int i = 0; i < n_in; i++) {
                dw[o * n_in + i] = 0;
                for (int r = 0; r < batch; r++)
                    dw[o * n_in + i] += round8(dz[r * n_out + o]) * round8(act[l][r * n_in + i]);
            }
        }
        for (int r = 0; r < batch; r++)
            for (int i = 0; i < n_in; i++) {
                double sum = 0;
                for (int o = 0; o < n_out; o++)
                    sum += round8(dz[r * n_out + o]) * round8(w[o * n_in + i]);
                dy[r * n_in + i] = sum;
            }
    }
    memcpy(dx, dy, sizeof(double) * batch * s->sizes[0]);
}

static void random_floats(float *v, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(scale * ((double)next_u32() / 2147483648.0 - 1.0));
}

static void expect_close_to_double(const float *got, const double *want, size_t n,
                                   const char *what)
{
    static float as_float[MAX_L * MAX_W * (MAX_W + 1) + MB * MAX_W];
    for (size_t i = 0; i < n; i++)
        as_float[i] = (float)want[i];
    /* float32 against double on nets this small: the bound of
     * tests/test_reference.c. A bf16 rounding done at the wrong place (or
     * not at all) moves values by up to 2^-8 relative: hundreds of times
     * more. */
    expect_close(got, as_float, n, 1e-6, 1e-5, what);
}

static void check_mlp_against_reference(const net_shape_t *s, int batch, uint64_t seed,
                                        const char *label)
{
    gan_err_t err;
    cr_assert_eq(mlp_create(&net, s->n_layers, s->sizes, s->acts, 0.2f, MB, &err), GAN_OK, "%s",
                 err.msg);
    lcg_state = seed;
    random_floats(net.params, net.n_params, 0.8);
    cr_assert_eq(mlp_set_precision(&net, PRECISION_BF16_EMULATED, NULL, 0, &err), GAN_OK, "%s",
                 err.msg);
    float x[MB * MAX_W], dout[MB * MAX_W], dx[MB * MAX_W];
    random_floats(x, (size_t)batch * s->sizes[0], 1.5);
    random_floats(dout, (size_t)batch * s->sizes[s->n_layers], 1.0);
    const float *out = mlp_forward(&net, x, batch);
    static float out_copy[MB * MAX_W];
    memcpy(out_copy, out, sizeof(float) * batch * s->sizes[s->n_layers]);
    mlp_backward(&net, dx, dout, MLP_GRADS_SET);

    static double want_out[MB * MAX_W], want_dx[MB * MAX_W], want_grads[1024];
    cr_assert(net.n_params <= 1024);
    reference_mlp(want_out, want_dx, want_grads, s, net.params, x, dout, batch);
    char what[96];
    snprintf(what, sizeof what, "%s: output", label);
    expect_close_to_double(out_copy, want_out, (size_t)batch * s->sizes[s->n_layers], what);
    snprintf(what, sizeof what, "%s: input gradient", label);
    expect_close_to_double(dx, want_dx, (size_t)batch * s->sizes[0], what);
    snprintf(what, sizeof what, "%s: parameter gradients", label);
    expect_close_to_double(net.grads, want_grads, net.n_params, what);
}

Test(bf16, mlp_leaky_relu_logit_matches_a_double_model_of_the_bf16_design)
{
    const net_shape_t s = {3, {7, 6, 5, 1}, {ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_IDENTITY}};
    check_mlp_against_reference(&s, MB, 21, "7-6-5-1");
}

Test(bf16, mlp_leaky_relu_tanh_matches_a_double_model_of_the_bf16_design)
{
    const net_shape_t s = {2, {5, 6, 8}, {ACT_LEAKY_RELU, ACT_TANH}};
    check_mlp_against_reference(&s, 3, 22, "5-6-8");
}

/* mlp_forward_fp32 on a bf16 net, and the backward after it, are the fp32
 * net's bit for bit: looking at a bf16 run's net shows its fp32 weights. */
Test(bf16, fp32_forward_of_a_bf16_net_is_the_fp32_nets_bit_for_bit)
{
    static const int sizes[] = {7, 6, 5, 1};
    static const act_t acts[] = {ACT_LEAKY_RELU, ACT_LEAKY_RELU, ACT_IDENTITY};
    gan_err_t err;
    cr_assert_eq(mlp_create(&net, 3, sizes, acts, 0.2f, MB, &err), GAN_OK);
    cr_assert_eq(mlp_create(&net_fp32, 3, sizes, acts, 0.2f, MB, &err), GAN_OK);
    lcg_state = 5;
    random_floats(net.params, net.n_params, 0.8);
    memcpy(net_fp32.params, net.params, net.n_params * sizeof(float));
    cr_assert_eq(mlp_set_precision(&net, PRECISION_BF16_EMULATED, NULL, 0, &err), GAN_OK);
    float x[MB * 7], dout[MB], dx16[MB * 7], dx32[MB * 7], out16[MB];
    random_floats(x, sizeof x / sizeof x[0], 1.0);
    random_floats(dout, MB, 1.0);
    memcpy(out16, mlp_forward(&net, x, MB), sizeof out16); /* the bf16 forward */
    const float *a = mlp_forward_fp32(&net, x, MB);
    const float *b = mlp_forward(&net_fp32, x, MB);
    cr_expect(memcmp(a, b, MB * sizeof(float)) == 0, "fp32 forward of the bf16 net differs");
    cr_expect(memcmp(out16, b, MB * sizeof(float)) != 0, "the bf16 forward rounded nothing");
    mlp_backward(&net, dx16, dout, MLP_GRADS_SET);
    mlp_backward(&net_fp32, dx32, dout, MLP_GRADS_SET);
    cr_expect(memcmp(dx16, dx32, sizeof dx16) == 0, "backward after the fp32 forward differs");
    cr_expect(memcmp(net.grads, net_fp32.grads, net.n_params * sizeof(float)) == 0);
}

/* The weights' bf16 copy follows params wherever they are changed from:
 * set_precision writes it, mlp_weights_changed a range of it (and only the
 * weights in it), mlp_params_changed all of it. */
Test(bf16, the_weights_copy_follows_params)
{
    static const int sizes[] = {7, 6, 5};
    static const act_t acts[] = {ACT_LEAKY_RELU, ACT_TANH};
    gan_err_t err;
    cr_assert_eq(mlp_create(&net, 2, sizes, acts, 0.2f, MB, &err), GAN_OK);
    lcg_state = 9;
    random_floats(net.params, net.n_params, 1.0);
    cr_assert_eq(mlp_set_precision(&net, PRECISION_BF16_EMULATED, NULL, 0, &err), GAN_OK);
    const float *copy = net.weights16;
    for (int l = 0; l < net.n_layers; l++)
        for (size_t i = 0; i < (size_t)sizes[l] * sizes[l + 1]; i++) {
            size_t at = net.layers[l].w_off + i;
            cr_assert_eq(copy[at], (float)round8(net.params[at]), "layer %d weight %zu", l, i);
        }
    /* Change every parameter; report only layer 1's first 10 weights. */
    static float before[128];
    cr_assert(net.n_params <= 128);
    memcpy(before, net.params, net.n_params * sizeof(float));
    for (size_t i = 0; i < net.n_params; i++)
        net.params[i] += 0.25f;
    size_t first = net.layers[1].w_off;
    mlp_weights_changed(&net, first, 10);
    for (size_t i = 0; i < net.n_params; i++) {
        int inside = i >= first && i < first + 10;
        int bias = (i >= net.layers[0].b_off && i < net.layers[1].w_off) ||
                   i >= net.layers[1].b_off;
        if (bias)
            continue;
        float want = (float)round8(inside ? net.params[i] : before[i]);
        cr_expect_eq(copy[i], want, "weight %zu (%s the changed range)", i,
                     inside ? "inside" : "outside");
    }
    mlp_params_changed(&net);
    for (size_t i = 0; i < (size_t)sizes[0] * sizes[1]; i++)
        cr_expect_eq(copy[i], (float)round8(net.params[i]));
    /* Back to fp32: the net computes as an fp32 net again. */
    cr_assert_eq(mlp_set_precision(&net, PRECISION_FP32, NULL, 0, &err), GAN_OK);
    cr_expect_null(net.weights16);
    cr_expect_eq(net.precision, PRECISION_FP32);
}
