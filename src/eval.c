/* Sample-quality evaluation of a generator (FD + class coverage); see
 * eval.h. It strings together the classifier, the Gaussian fit and the
 * Frechet distance; it owns no math of its own beyond the class histogram. */
#include "gan/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void class_coverage(coverage_t *out, const float *probs, size_t n)
{
    const int k = CLASSIFIER_N_CLASSES;
    memset(out, 0, sizeof *out);
    double confidence = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *p = probs + i * k;
        int best = 0;
        for (int j = 1; j < k; j++)
            if (p[j] > p[best])
                best = j;
        out->counts[best]++;
        confidence += p[best];
    }
    out->n = (long)n;
    if (n == 0)
        return;
    out->mean_confidence = confidence / (double)n;
    for (int j = 0; j < k; j++) {
        if (out->counts[j] == 0)
            continue;
        double share = (double)out->counts[j] / (double)n;
        out->entropy_bits -= share * log2(share);
        if (share >= EVAL_COVERED_SHARE)
            out->classes_covered++;
    }
}

int eval_create(eval_ctx_t *ctx, classifier_t *clf, const mnist_t *real, size_t max_n,
                int z_dim, gan_err_t *err)
{
    memset(ctx, 0, sizeof *ctx);
    if (max_n < 2 || max_n > (size_t)1 << 24)
        return gan_err_set(err, GAN_ERR_INPUT, "eval: %zu samples (must be 2..16777216)",
                           max_n);
    if (z_dim < 0)
        return gan_err_set(err, GAN_ERR_INPUT, "eval: noise width %d", z_dim);
    if ((long)real->rows * real->cols != clf->cfg.image_size || real->n < 2)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "eval: the real set has %zu images of %d x %d pixels; the "
                           "classifier takes %d pixels and a fit needs 2 images",
                           real->n, real->rows, real->cols, clf->cfg.image_size);
    ctx->clf = clf;
    ctx->max_n = max_n;
    ctx->batch = clf->max_batch;
    ctx->dim = classifier_n_features(clf);
    ctx->z_dim = z_dim;
    int rc = frechet_ws_create(&ctx->ws, ctx->dim, err);
    if (rc) {
        eval_destroy(ctx);
        return rc;
    }
    size_t d = (size_t)ctx->dim, rows = max_n > real->n ? max_n : real->n;
    ctx->images = malloc((size_t)ctx->batch * clf->cfg.image_size * sizeof *ctx->images);
    ctx->rows = malloc((size_t)ctx->batch * sizeof *ctx->rows);
    ctx->z = malloc(((size_t)ctx->batch * z_dim + 1) * sizeof *ctx->z);
    ctx->features = malloc(rows * d * sizeof *ctx->features);
    ctx->probs = malloc(max_n * CLASSIFIER_N_CLASSES * sizeof *ctx->probs);
    ctx->mu_real = malloc(d * sizeof *ctx->mu_real);
    ctx->cov_real = malloc(d * d * sizeof *ctx->cov_real);
    ctx->mu = malloc(d * sizeof *ctx->mu);
    ctx->cov = malloc(d * d * sizeof *ctx->cov);
    if (!ctx->images || !ctx->rows || !ctx->z || !ctx->features || !ctx->probs ||
        !ctx->mu_real || !ctx->cov_real || !ctx->mu || !ctx->cov) {
        eval_destroy(ctx);
        return gan_err_set(err, GAN_ERR_RUNTIME, "eval: out of memory for %zu samples", rows);
    }
    for (size_t start = 0; start < real->n; start += (size_t)ctx->batch) {
        int b = real->n - start < (size_t)ctx->batch ? (int)(real->n - start) : ctx->batch;
        for (int i = 0; i < b; i++)
            ctx->rows[i] = (uint32_t)(start + (size_t)i);
        mnist_batch(ctx->images, real, ctx->rows, b);
        classifier_predict(clf, ctx->features + start * d, NULL, ctx->images, b);
    }
    rc = frechet_fit(ctx->mu_real, ctx->cov_real, ctx->features, real->n, &ctx->ws, err);
    if (rc) {
        eval_destroy(ctx);
        return rc;
    }
    ctx->n_real = real->n;
    return GAN_OK;
}

void eval_destroy(eval_ctx_t *ctx)
{
    if (!ctx)
        return;
    frechet_ws_destroy(&ctx->ws);
    free(ctx->images);
    free(ctx->rows);
    free(ctx->z);
    free(ctx->features);
    free(ctx->probs);
    free(ctx->mu_real);
    free(ctx->cov_real);
    free(ctx->mu);
    free(ctx->cov);
    memset(ctx, 0, sizeof *ctx);
}

static int check_n(const eval_ctx_t *ctx, size_t n, gan_err_t *err)
{
    if (n < 2 || n > ctx->max_n)
        return gan_err_set(err, GAN_ERR_INPUT, "eval: %zu samples (this context takes 2..%zu)",
                           n, ctx->max_n);
    return GAN_OK;
}

/* Classifies rows [start, start + b) of the evaluated set, held in images. */
static void classify(eval_ctx_t *ctx, const float *images, size_t start, int b)
{
    classifier_predict(ctx->clf, ctx->features + start * (size_t)ctx->dim,
                       ctx->probs + start * CLASSIFIER_N_CLASSES, images, b);
}

/* FD and coverage of the n rows classified so far. */
static int finish(eval_result_t *out, eval_ctx_t *ctx, size_t n, gan_err_t *err)
{
    int rc = frechet_fit(ctx->mu, ctx->cov, ctx->features, n, &ctx->ws, err);
    if (!rc)
        rc = frechet_distance(&out->fd, ctx->mu, ctx->cov, ctx->mu_real, ctx->cov_real, &ctx->ws,
                              err);
    if (!rc)
        class_coverage(&out->coverage, ctx->probs, n);
    return rc;
}

int eval_generator(eval_result_t *out, eval_ctx_t *ctx, gan_t *gan, size_t n, rng_t *rng,
                   gan_err_t *err)
{
    int rc = check_n(ctx, n, err);
    if (rc)
        return rc;
    if (gan->arch.z_dim != ctx->z_dim || gan->arch.image_size != ctx->clf->cfg.image_size)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "eval: generator maps %d noise values to %d pixels; this context "
                           "takes %d noise values and the classifier %d pixels",
                           gan->arch.z_dim, gan->arch.image_size, ctx->z_dim,
                           ctx->clf->cfg.image_size);
    int batch = gan->g.max_batch < ctx->batch ? gan->g.max_batch : ctx->batch;
    for (size_t start = 0; start < n; start += (size_t)batch) {
        int b = n - start < (size_t)batch ? (int)(n - start) : batch;
        rng_fill_normal(rng, ctx->z, (size_t)b * ctx->z_dim, 0.0f, 1.0f);
        classify(ctx, gan_generate(gan, ctx->z, b), start, b);
    }
    return finish(out, ctx, n, err);
}

int eval_images(eval_result_t *out, eval_ctx_t *ctx, const mnist_t *ds,
                const uint32_t *indices, size_t n, gan_err_t *err)
{
    int rc = check_n(ctx, n, err);
    if (rc)
        return rc;
    if ((long)ds->rows * ds->cols != ctx->clf->cfg.image_size || n > ds->n)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "eval: %zu images of %d x %d pixels asked from a set of %zu; the "
                           "classifier takes %d pixels", n, ds->rows, ds->cols, ds->n,
                           ctx->clf->cfg.image_size);
    for (size_t start = 0; start < n; start += (size_t)ctx->batch) {
        int b = n - start < (size_t)ctx->batch ? (int)(n - start) : ctx->batch;
        for (int i = 0; i < b; i++)
            ctx->rows[i] = indices ? indices[start + (size_t)i] : (uint32_t)(start + (size_t)i);
        mnist_batch(ctx->images, ds, ctx->rows, b);
        classify(ctx, ctx->images, start, b);
    }
    return finish(out, ctx, n, err);
}
