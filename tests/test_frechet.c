/* Tests for the Gaussian fit and Frechet distance (src/frechet.c), the
 * class coverage and the generator evaluation (src/eval.c).
 *
 * The distance is checked against closed forms computed here without any
 * eigendecomposition: for commuting (diagonal, or diagonal in a common
 * rotated basis) covariances FD = |mu1 - mu2|^2 + sum (sqrt(a_i) -
 * sqrt(b_i))^2; for 2 x 2 covariances Tr sqrt(C1 C2) = sqrt(tr(C1 C2) + 2
 * sqrt(det C1 det C2)) (the two eigenvalues l1, l2 of C1 C2 are real and
 * >= 0, and (sqrt(l1) + sqrt(l2))^2 = l1 + l2 + 2 sqrt(l1 l2)); FD adds up
 * over diagonal blocks and is unchanged when both Gaussians are rotated by
 * the same orthogonal Q, which gives non-commuting, fully dense cases of
 * any size with a known answer.
 *
 * The last test trains the classifier on real MNIST (skipped when
 * data/mnist is absent) with the documented short schedule, `gan
 * classifier train --epochs=4` (Adam, lr 1e-3 falling linearly to 1e-4,
 * batch 128, seed 1: 97.9% with one thread, ~9 s), and checks that real
 * training images are much closer to the test images than an untrained
 * generator's samples. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan/classifier.h"
#include "gan/eval.h"
#include "gan/frechet.h"
#include "gan/gan.h"
#include "gan/rng.h"
#include "test_util.h"

TestSuite(frechet);

/* ---- small double-precision helpers (plain loops) ------------------------ */

static double *dalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    cr_assert(p, "out of memory");
    return p;
}

/* c = a b, all d x d */
static void matmul(double *c, const double *a, const double *b, int d)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0.0;
            for (int k = 0; k < d; k++)
                s += a[i * d + k] * b[k * d + j];
            c[i * d + j] = s;
        }
}

/* c = q a q^T */
static void rotate(double *c, const double *q, const double *a, int d)
{
    double *t = dalloc((size_t)d * d), *qt = dalloc((size_t)d * d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            qt[i * d + j] = q[j * d + i];
    matmul(t, a, qt, d);
    matmul(c, q, t, d);
    free(t);
    free(qt);
}

/* y = q x */
static void rotate_vec(double *y, const double *q, const double *x, int d)
{
    for (int i = 0; i < d; i++) {
        y[i] = 0.0;
        for (int k = 0; k < d; k++)
            y[i] += q[i * d + k] * x[k];
    }
}

/* A random orthogonal d x d matrix: Gram-Schmidt on normal rows. */
static void random_orthogonal(double *q, int d, rng_t *rng)
{
    for (int i = 0; i < d; i++) {
        for (int k = 0; k < d; k++)
            q[i * d + k] = rng_normal(rng);
        for (int r = 0; r < i; r++) {
            double dot = 0.0;
            for (int k = 0; k < d; k++)
                dot += q[i * d + k] * q[r * d + k];
            for (int k = 0; k < d; k++)
                q[i * d + k] -= dot * q[r * d + k];
        }
        double norm = 0.0;
        for (int k = 0; k < d; k++)
            norm += q[i * d + k] * q[i * d + k];
        norm = sqrt(norm);
        cr_assert(norm > 1e-6);
        for (int k = 0; k < d; k++)
            q[i * d + k] /= norm;
    }
}

static double fd_of(const double *mu1, const double *c1, const double *mu2, const double *c2,
                    int d)
{
    frechet_ws_t ws;
    gan_err_t err;
    cr_assert_eq(frechet_ws_create(&ws, d, &err), GAN_OK, "%s", err.msg);
    double fd = NAN;
    cr_assert_eq(frechet_distance(&fd, mu1, c1, mu2, c2, &ws, &err), GAN_OK, "%s", err.msg);
    frechet_ws_destroy(&ws);
    return fd;
}

/* ---- the distance against closed forms ------------------------------------ */

/* Rounding: covariance entries and means here are O(1) and traces O(d).
 * The eigenvalues of S1 C2 S1 come out with absolute error ~1e-16 x its
 * norm; the square root turns that into ~1e-8 x sqrt(norm) for an
 * eigenvalue near 0 (the singular cases) and ~1e-16 relative otherwise.
 * FD_TOL = 1e-9 absolute + 1e-10 relative covers the regular cases with
 * room; the singular ones use FD_TOL_SINGULAR (see there). */
#define FD_ATOL 1e-9
#define FD_RTOL 1e-10

static void expect_fd(double got, double want, double atol, const char *what)
{
    cr_expect(fabs(got - want) <= atol + FD_RTOL * fabs(want),
              "%s: FD %.15g, closed form %.15g (diff %.3g)", what, got, want, fabs(got - want));
}

Test(frechet, diagonal_covariances_match_the_closed_form)
{
    enum { D = 5 };
    const double a[D] = {1.0, 4.0, 0.25, 2.0, 9.0}, b[D] = {4.0, 1.0, 0.25, 3.0, 0.01};
    const double mu1[D] = {0.0, 1.0, -2.0, 0.5, 3.0}, mu2[D] = {1.0, 1.0, 0.0, -0.5, 3.0};
    double c1[D * D] = {0}, c2[D * D] = {0}, want = 0.0;
    for (int i = 0; i < D; i++) {
        c1[i * D + i] = a[i];
        c2[i * D + i] = b[i];
        want += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + (sqrt(a[i]) - sqrt(b[i])) * (sqrt(a[i]) - sqrt(b[i]));
    }
    /* by hand: means 1 + 0 + 4 + 1 + 0 = 6; sqrt terms 1 + 1 + 0 + (sqrt2 - sqrt3)^2 + 2.9^2 */
    cr_expect(fabs(want - (6.0 + 2.0 + pow(sqrt(2.0) - sqrt(3.0), 2) + 8.41)) < 1e-12);
    expect_fd(fd_of(mu1, c1, mu2, c2, D), want, FD_ATOL, "diagonal");
    expect_fd(fd_of(mu2, c2, mu1, c1, D), want, FD_ATOL, "diagonal, swapped");
}

Test(frechet, commuting_rotated_covariances_match_the_closed_form)
{
    enum { D = 12 };
    rng_t rng;
    rng_seed(&rng, 5, 0);
    double q[D * D], da[D * D] = {0}, db[D * D] = {0}, c1[D * D], c2[D * D];
    double m1[D], m2[D], mu1[D], mu2[D], want = 0.0;
    random_orthogonal(q, D, &rng);
    for (int i = 0; i < D; i++) {
        double a = 0.1 + 3.0 * rng_uniform(&rng), b = 0.1 + 3.0 * rng_uniform(&rng);
        da[i * D + i] = a;
        db[i * D + i] = b;
        m1[i] = rng_normal(&rng);
        m2[i] = rng_normal(&rng);
        want += (m1[i] - m2[i]) * (m1[i] - m2[i]) + (sqrt(a) - sqrt(b)) * (sqrt(a) - sqrt(b));
    }
    rotate(c1, q, da, D);
    rotate(c2, q, db, D);
    rotate_vec(mu1, q, m1, D);
    rotate_vec(mu2, q, m2, D);
    expect_fd(fd_of(mu1, c1, mu2, c2, D), want, FD_ATOL, "C1 = Q A Q^T, C2 = Q B Q^T");
}

/* Tr sqrt(C1 C2) of 2 x 2 blocks: sqrt(tr(C1 C2) + 2 sqrt(det C1 det C2)). */
static double tr_sqrt_2x2(const double *c1, const double *c2)
{
    double p[4];
    matmul(p, c1, c2, 2);
    double det1 = c1[0] * c1[3] - c1[1] * c1[2], det2 = c2[0] * c2[3] - c2[1] * c2[2];
    return sqrt(p[0] + p[3] + 2.0 * sqrt(det1 * det2));
}

static double fd_2x2(const double *mu1, const double *c1, const double *mu2, const double *c2)
{
    return (mu1[0] - mu2[0]) * (mu1[0] - mu2[0]) + (mu1[1] - mu2[1]) * (mu1[1] - mu2[1]) +
           c1[0] + c1[3] + c2[0] + c2[3] - 2.0 * tr_sqrt_2x2(c1, c2);
}

Test(frechet, non_commuting_2x2_matches_the_closed_form)
{
    /* C1 C2 != C2 C1 for these. */
    const double c1[4] = {2.0, 1.0, 1.0, 3.0}, c2[4] = {1.0, -0.4, -0.4, 0.5};
    const double mu1[2] = {0.5, -1.0}, mu2[2] = {0.0, 0.25};
    double want = fd_2x2(mu1, c1, mu2, c2);
    /* by hand: tr(C1 C2) = (2 - 0.4) + (-0.4 + 1.5) = 2.7, det C1 = 5,
     * det C2 = 0.34: Tr sqrt = sqrt(2.7 + 2 sqrt(1.7)); means 0.25 + 1.5625 */
    cr_expect(fabs(want - (1.8125 + 6.5 - 2.0 * sqrt(2.7 + 2.0 * sqrt(1.7)))) < 1e-12);
    expect_fd(fd_of(mu1, c1, mu2, c2, 2), want, FD_ATOL, "2x2");
    expect_fd(fd_of(mu2, c2, mu1, c1, 2), want, FD_ATOL, "2x2, swapped");
}

/* Diagonal blocks of 2 x 2 (one of them singular), rotated by a common
 * random Q: dense, non-commuting, with a known answer. */
Test(frechet, rotated_blocks_of_2x2_match_the_closed_form)
{
    enum { NB = 4, D = 2 * NB };
    const double blocks1[NB][4] = {
        {2.0, 1.0, 1.0, 3.0}, {1.0, 1.0, 1.0, 1.0} /* singular */, {0.5, 0.1, 0.1, 0.2},
        {4.0, -1.5, -1.5, 1.0}};
    const double blocks2[NB][4] = {
        {1.0, -0.4, -0.4, 0.5}, {2.0, 0.3, 0.3, 0.7}, {0.3, -0.2, -0.2, 0.9},
        {1.0, 0.9, 0.9, 1.0}};
    double c1b[D * D] = {0}, c2b[D * D] = {0}, m1[D], m2[D], want = 0.0;
    rng_t rng;
    rng_seed(&rng, 6, 0);
    for (int k = 0; k < NB; k++) {
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                c1b[(2 * k + i) * D + 2 * k + j] = blocks1[k][2 * i + j];
                c2b[(2 * k + i) * D + 2 * k + j] = blocks2[k][2 * i + j];
            }
        m1[2 * k] = rng_normal(&rng), m1[2 * k + 1] = rng_normal(&rng);
        m2[2 * k] = rng_normal(&rng), m2[2 * k + 1] = rng_normal(&rng);
        want += fd_2x2(m1 + 2 * k, blocks1[k], m2 + 2 * k, blocks2[k]);
    }
    double q[D * D], c1[D * D], c2[D * D], mu1[D], mu2[D];
    random_orthogonal(q, D, &rng);
    rotate(c1, q, c1b, D);
    rotate(c2, q, c2b, D);
    rotate_vec(mu1, q, m1, D);
    rotate_vec(mu2, q, m2, D);
    /* The singular block makes one eigenvalue of C1 (and of S1 C2 S1) 0
     * up to rounding (~1e-16): its square root is then ~1e-8, hence 1e-7. */
    expect_fd(fd_of(mu1, c1, mu2, c2, D), want, 1e-7, "rotated blocks");
    expect_fd(fd_of(mu2, c2, mu1, c1, D), want, 1e-7, "rotated blocks, swapped");
}

Test(frechet, scaled_covariance_gives_trace_times_one_minus_s_squared)
{
    /* C2 = s^2 C1: Tr sqrt(C1 C2) = s tr C1, so FD = (1 - s)^2 tr C1 for
     * equal means, for any C1 (here dense, random, rank 10 of 16). */
    enum { D = 16, R = 10 };
    rng_t rng;
    rng_seed(&rng, 7, 0);
    double a[D * R], c1[D * D], c2[D * D], mu[D] = {0}, tr = 0.0;
    for (int i = 0; i < D * R; i++)
        a[i] = rng_normal(&rng);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double s = 0.0;
            for (int k = 0; k < R; k++)
                s += a[i * R + k] * a[j * R + k];
            c1[i * D + j] = s;
            c2[i * D + j] = 0.36 * s; /* s = 0.6 */
        }
    for (int i = 0; i < D; i++)
        tr += c1[i * D + i];
    /* Six eigenvalues are 0: six square roots of ~1e-15 x ||C1|| (~30). */
    expect_fd(fd_of(mu, c1, mu, c2, D), 0.16 * tr, 1e-5, "C2 = 0.36 C1");
    expect_fd(fd_of(mu, c1, mu, c1, D), 0.0, 1e-5, "C1 against itself");
}

Test(frechet, workspace_refuses_a_bad_dimension)
{
    frechet_ws_t ws;
    gan_err_t err;
    cr_expect_eq(frechet_ws_create(&ws, 0, &err), GAN_ERR_INPUT);
    frechet_ws_destroy(&ws);
    frechet_ws_destroy(&ws);
}

/* ---- the fit --------------------------------------------------------------- */

Test(frechet, fit_gives_mean_and_unbiased_covariance)
{
    /* rows (1, 2), (3, 6), (5, 7): mean (3, 5); deviations (-2, -3),
     * (0, 1), (2, 2); sums of products 8, 10, 14; / (n - 1) = 2. */
    const float x[6] = {1, 2, 3, 6, 5, 7};
    frechet_ws_t ws;
    gan_err_t err;
    cr_assert_eq(frechet_ws_create(&ws, 2, &err), GAN_OK, "%s", err.msg);
    double mu[2], cov[4];
    cr_assert_eq(frechet_fit(mu, cov, x, 3, &ws, &err), GAN_OK, "%s", err.msg);
    const double want_mu[2] = {3, 5}, want_cov[4] = {4, 5, 5, 7};
    expect_close_d(mu, want_mu, 2, 0.0, 1e-15, "mean");
    expect_close_d(cov, want_cov, 4, 0.0, 1e-15, "covariance");
    cr_expect_eq(frechet_fit(mu, cov, x, 1, &ws, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "at least 2"), "%s", err.msg);
    frechet_ws_destroy(&ws);
}

Test(frechet, fit_over_several_chunks_matches_plain_loops)
{
    enum { D = 7 };
    const size_t n = 2 * FRECHET_CHUNK + 37; /* three dsyrk calls, the last partial */
    float *x = malloc(n * D * sizeof *x);
    cr_assert(x);
    rng_t rng;
    rng_seed(&rng, 8, 0);
    for (size_t i = 0; i < n * D; i++)
        x[i] = 100.0f + rng_normal(&rng) * (float)(1 + i % D); /* a large mean */
    double want_mu[D] = {0}, want_cov[D * D] = {0}, mu[D], cov[D * D];
    for (size_t r = 0; r < n; r++)
        for (int j = 0; j < D; j++)
            want_mu[j] += x[r * D + j] / (double)n;
    for (size_t r = 0; r < n; r++)
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++)
                want_cov[i * D + j] += (x[r * D + i] - want_mu[i]) * (x[r * D + j] - want_mu[j]) /
                                       (double)(n - 1);
    frechet_ws_t ws;
    gan_err_t err;
    cr_assert_eq(frechet_ws_create(&ws, D, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(frechet_fit(mu, cov, x, n, &ws, &err), GAN_OK, "%s", err.msg);
    /* Sums of ~1000 terms in two orders: ~1e-13 relative. */
    expect_close_d(mu, want_mu, D, 0.0, 1e-12, "mean");
    expect_close_d(cov, want_cov, D * D, 1e-12, 1e-11, "covariance");
    /* Its FD to itself is ~0 and to the exact fit too. */
    double fd;
    cr_assert_eq(frechet_distance(&fd, mu, cov, want_mu, want_cov, &ws, &err), GAN_OK);
    cr_expect(fabs(fd) < 1e-9, "FD of a fit to the plain-loop fit: %g", fd);
    frechet_ws_destroy(&ws);
    free(x);
}

Test(frechet, samples_of_a_known_gaussian_fit_close_to_it)
{
    /* x = mu + L z with z ~ N(0, I), C = L L^T (tr C = 5.99), n = 20000.
     * Sampling error alone gives an FD of about E|dmu|^2 = tr C / n = 3e-4
     * plus a covariance term of the same order (about tr C / 2n on the
     * diagonal): ~5e-4 in all. A covariance 10% off would add
     * (sqrt(1.1) - 1)^2 tr C = 0.014, a wrong mean far more; 2e-3 sits
     * between (and the seed is fixed). */
    enum { D = 3 };
    const size_t n = 20000;
    const double l[D * D] = {1.0, 0.0, 0.0, 0.5, 2.0, 0.0, -0.3, 0.4, 0.7};
    const double mu_true[D] = {1.0, -2.0, 0.5};
    double c_true[D * D];
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            c_true[i * D + j] = 0.0;
            for (int k = 0; k < D; k++)
                c_true[i * D + j] += l[i * D + k] * l[j * D + k];
        }
    float *x = malloc(n * D * sizeof *x);
    cr_assert(x);
    rng_t rng;
    rng_seed(&rng, 9, 0);
    for (size_t r = 0; r < n; r++) {
        double z[D] = {rng_normal(&rng), rng_normal(&rng), rng_normal(&rng)};
        for (int i = 0; i < D; i++) {
            double v = mu_true[i];
            for (int k = 0; k < D; k++)
                v += l[i * D + k] * z[k];
            x[r * D + i] = (float)v;
        }
    }
    frechet_ws_t ws;
    gan_err_t err;
    cr_assert_eq(frechet_ws_create(&ws, D, &err), GAN_OK, "%s", err.msg);
    double mu[D], cov[D * D], fd;
    cr_assert_eq(frechet_fit(mu, cov, x, n, &ws, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(frechet_distance(&fd, mu, cov, mu_true, c_true, &ws, &err), GAN_OK);
    cr_expect(fd >= -1e-12 && fd < 2e-3, "FD of the fit to the true Gaussian: %g", fd);
    frechet_ws_destroy(&ws);
    free(x);
}

/* ---- class coverage ----------------------------------------------------------- */

TestSuite(coverage);

#define K CLASSIFIER_N_CLASSES

/* Row with probability p on class c and the rest spread evenly. */
static void peaked_row(float *row, int c, float p)
{
    for (int j = 0; j < K; j++)
        row[j] = (1.0f - p) / (K - 1);
    row[c] = p;
}

Test(coverage, hand_made_rows)
{
    /* classes 3, 3, 7, 0 with max probabilities 0.9, 0.7, 0.5, 0.6:
     * shares 1/2, 1/4, 1/4 -> entropy 0.5 + 0.5 + 0.5 = 1.5 bits; 3
     * classes of >= 5%; confidence (0.9 + 0.7 + 0.5 + 0.6) / 4 = 0.675. */
    float probs[4 * K];
    peaked_row(probs + 0 * K, 3, 0.9f);
    peaked_row(probs + 1 * K, 3, 0.7f);
    peaked_row(probs + 2 * K, 7, 0.5f);
    peaked_row(probs + 3 * K, 0, 0.6f);
    coverage_t cv;
    class_coverage(&cv, probs, 4);
    const long want[K] = {1, 0, 0, 2, 0, 0, 0, 1, 0, 0};
    for (int j = 0; j < K; j++)
        cr_expect_eq(cv.counts[j], want[j], "class %d: %ld", j, cv.counts[j]);
    cr_expect_eq(cv.n, 4);
    cr_expect(fabs(cv.entropy_bits - 1.5) < 1e-12, "entropy %.15g", cv.entropy_bits);
    cr_expect_eq(cv.classes_covered, 3);
    cr_expect(fabs(cv.mean_confidence - 0.675) < 1e-7, "confidence %.9g", cv.mean_confidence);
}

Test(coverage, one_class_has_zero_entropy_and_uniform_has_log2_10)
{
    float probs[100 * K];
    for (int i = 0; i < 100; i++)
        peaked_row(probs + i * K, 4, 1.0f);
    coverage_t cv;
    class_coverage(&cv, probs, 100);
    cr_expect_eq(cv.counts[4], 100);
    cr_expect_eq(cv.entropy_bits, 0.0);
    cr_expect_eq(cv.classes_covered, 1);
    cr_expect(fabs(cv.mean_confidence - 1.0) < 1e-12);
    for (int i = 0; i < 100; i++)
        peaked_row(probs + i * K, i % K, 0.3f);
    class_coverage(&cv, probs, 100);
    cr_expect(fabs(cv.entropy_bits - log2(10.0)) < 1e-12, "entropy %.15g", cv.entropy_bits);
    cr_expect_eq(cv.classes_covered, 10);
}

Test(coverage, five_percent_is_covered_and_just_below_is_not)
{
    float probs[100 * K];
    for (int i = 0; i < 100; i++)
        peaked_row(probs + i * K, i < 5 ? 1 : 2, 0.8f); /* 5 of 100 in class 1 */
    coverage_t cv;
    class_coverage(&cv, probs, 100);
    cr_expect_eq(cv.classes_covered, 2, "5%% counts as covered");
    peaked_row(probs + 4 * K, 2, 0.8f); /* 4 of 100 */
    class_coverage(&cv, probs, 100);
    cr_expect_eq(cv.classes_covered, 1, "4%% does not");
}

Test(coverage, ties_go_to_the_lower_class_and_empty_input_gives_zeros)
{
    float probs[K] = {0};
    probs[6] = probs[2] = 0.5f;
    coverage_t cv;
    class_coverage(&cv, probs, 1);
    cr_expect_eq(cv.counts[2], 1);
    class_coverage(&cv, probs, 0);
    cr_expect_eq(cv.n, 0);
    cr_expect_eq(cv.entropy_bits, 0.0);
    cr_expect_eq(cv.classes_covered, 0);
    cr_expect_eq(cv.mean_confidence, 0.0);
}

/* ---- evaluation on real MNIST ----------------------------------------------- */

TestSuite(eval_mnist, .timeout = 300);

Test(eval_mnist, trained_classifier_reaches_97_5_and_real_images_beat_an_untrained_generator)
{
    if (access("data/mnist/train-images-idx3-ubyte.gz", R_OK) != 0)
        cr_skip_test("data/mnist/ not downloaded (run ./download_mnist.sh)");
    gan_err_t err;
    mnist_t train, test;
    cr_assert_eq(mnist_load_dir(&train, "data/mnist", 1, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(mnist_load_dir(&test, "data/mnist", 0, &err), GAN_OK, "%s", err.msg);

    /* The documented short schedule: the defaults with 4 epochs. */
    classifier_cfg_t cfg;
    classifier_cfg_default(&cfg);
    cfg.epochs = 4;
    classifier_t clf;
    cr_assert_eq(classifier_create(&clf, &cfg, 256, &err), GAN_OK, "%s", err.msg);
    for (int e = 0; e < cfg.epochs; e++)
        cr_assert_eq(classifier_train_epoch(&clf, &train, NULL, &err), GAN_OK, "%s", err.msg);
    double acc;
    cr_assert_eq(classifier_accuracy(&acc, &clf, &test, &err), GAN_OK, "%s", err.msg);
    cr_expect(acc >= 0.975, "test accuracy %.4f after %d epochs, want >= 0.975", acc,
              cfg.epochs);

    enum { N = 5000 };
    gan_arch_t arch = gan_arch_default();
    eval_ctx_t ctx;
    cr_assert_eq(eval_create(&ctx, &clf, &test, N, arch.z_dim, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(ctx.n_real, 10000);
    cr_expect_eq(ctx.dim, 256);

    eval_result_t real, untrained, self;
    cr_assert_eq(eval_images(&real, &ctx, &train, NULL, N, &err), GAN_OK, "%s", err.msg);
    /* A random half of the test set against the whole test set: the same
     * distribution, so FD ~ sampling noise only. (Not the first half: the
     * two halves of MNIST's test set come from different writers, SD-3
     * and SD-1, and their FD is ~9, more than the training images'.) */
    uint32_t *half = malloc(test.n * sizeof *half);
    cr_assert(half);
    for (uint32_t i = 0; i < test.n; i++)
        half[i] = i;
    rng_t pick;
    rng_seed(&pick, 3, 0);
    rng_shuffle_u32(&pick, half, test.n);
    cr_assert_eq(eval_images(&self, &ctx, &test, half, N, &err), GAN_OK, "%s", err.msg);
    free(half);

    gan_t gan = {0};
    cr_assert_eq(gan_create(&gan, &arch, ADAM_DEFAULTS, ADAM_DEFAULTS, 128, &err), GAN_OK, "%s",
                 err.msg);
    rng_t g_rng, d_rng, noise;
    rng_seed(&g_rng, 1, 1);
    rng_seed(&d_rng, 1, 2);
    gan_init(&gan, INIT_HE_XAVIER, INIT_HE_XAVIER, INIT_DEFAULT_STD, &g_rng, &d_rng);
    rng_seed(&noise, 1, EVAL_STREAM_NOISE);
    cr_assert_eq(eval_generator(&untrained, &ctx, &gan, N, &noise, &err), GAN_OK, "%s", err.msg);

    /* Measured with this schedule (one thread, 97.9% accuracy): 5000
     * training images 4.1, a random half of the test set 0.6, untrained
     * he_xavier G 483. The bounds leave wide room for all three. */
    cr_expect(real.fd > 0.0 && real.fd < 30.0, "FD of %d training images: %.3f", N, real.fd);
    cr_expect(untrained.fd > 20.0 * real.fd, "FD untrained G %.3f vs real images %.3f",
              untrained.fd, real.fd);
    cr_expect(self.fd >= 0.0 && self.fd < real.fd,
              "FD of half the test images to the test set %.4f, training images %.4f", self.fd,
              real.fd);
    cr_expect_eq(real.coverage.classes_covered, 10);
    cr_expect(real.coverage.entropy_bits > 3.25, "entropy of real images %.4f bits",
              real.coverage.entropy_bits);
    cr_expect(real.coverage.mean_confidence > 0.95, "confidence on real images %.4f",
              real.coverage.mean_confidence);
    cr_expect(untrained.coverage.mean_confidence < real.coverage.mean_confidence);

    /* The context refuses more samples than it was made for, and a
     * generator of another size. */
    cr_expect_eq(eval_images(&real, &ctx, &train, NULL, N + 1, &err), GAN_ERR_INPUT);
    gan_destroy(&gan);
    arch.z_dim = 7;
    cr_assert_eq(gan_create(&gan, &arch, ADAM_DEFAULTS, ADAM_DEFAULTS, 16, &err), GAN_OK);
    cr_expect_eq(eval_generator(&untrained, &ctx, &gan, N, &noise, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "noise"), "%s", err.msg);

    gan_destroy(&gan);
    eval_destroy(&ctx);
    eval_destroy(&ctx);
    classifier_destroy(&clf);
    mnist_free(&train);
    mnist_free(&test);
}
