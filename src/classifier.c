/* The MNIST classifier behind the sample-quality metrics; see classifier.h.
 *
 * Training is the textbook loop (forward, fused softmax CE, backward, Adam)
 * over the project's own net (an MLP, mlp.h); it does not know about GANs, and it does not
 * keep the optimizer state in the saved file, because the file is only ever
 * read to compute features. */
#include "gan/classifier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/checkpoint.h"
#include "gan/fsutil.h"
#include "gan/init.h"
#include "gan/json.h"
#include "gan/loss.h"
#include "gan/rng.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "classifier files store floats in host order, which must be little-endian"
#endif

/* Checkpoint section tag of the parameters. */
enum { SEC_PARAMS = 1 };

void classifier_cfg_default(classifier_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->image_size = 784;
    cfg->n_hidden = 2;
    cfg->hidden[0] = 512;
    cfg->hidden[1] = 256;
    cfg->adam = ADAM_DEFAULTS;
    cfg->lr_final = 1e-4f;
    cfg->batch = 128;
    cfg->epochs = 10;
    cfg->seed = 1;
}

int classifier_cfg_check(const classifier_cfg_t *cfg, gan_err_t *err)
{
    if (cfg->image_size < 1 || cfg->image_size > (1 << 20))
        return gan_err_set(err, GAN_ERR_INPUT, "classifier: image size %d (must be 1..1048576)",
                           cfg->image_size);
    if (cfg->n_hidden < 1 || cfg->n_hidden > CLASSIFIER_MAX_HIDDEN)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "classifier: %d hidden layers (must be 1..%d: the last one gives "
                           "the features)", cfg->n_hidden, CLASSIFIER_MAX_HIDDEN);
    for (int i = 0; i < cfg->n_hidden; i++)
        if (cfg->hidden[i] < 1 || cfg->hidden[i] > 16384)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "classifier: hidden layer of %d units (must be 1..16384)",
                               cfg->hidden[i]);
    if (!(cfg->adam.lr > 0.0f && cfg->adam.lr <= 1.0f) ||
        !(cfg->lr_final > 0.0f && cfg->lr_final <= 1.0f))
        return gan_err_set(err, GAN_ERR_INPUT,
                           "classifier: learning rates %g -> %g (must be in (0, 1])",
                           (double)cfg->adam.lr, (double)cfg->lr_final);
    if (cfg->batch < 1 || cfg->batch > 65536)
        return gan_err_set(err, GAN_ERR_INPUT, "classifier: batch %d (must be 1..65536)",
                           cfg->batch);
    if (cfg->epochs < 1 || cfg->epochs > 10000)
        return gan_err_set(err, GAN_ERR_INPUT, "classifier: %d epochs (must be 1..10000)",
                           cfg->epochs);
    return GAN_OK;
}

int classifier_create(classifier_t *c, const classifier_cfg_t *cfg, int max_batch,
                      gan_err_t *err)
{
    memset(c, 0, sizeof *c);
    int rc = classifier_cfg_check(cfg, err);
    if (rc)
        return rc;
    if (max_batch < 1)
        return gan_err_set(err, GAN_ERR_INPUT, "classifier: max batch %d (must be >= 1)",
                           max_batch);
    c->cfg = *cfg;
    c->max_batch = max_batch;
    int n_layers = cfg->n_hidden + 1;
    int sizes[CLASSIFIER_MAX_HIDDEN + 2];
    act_t acts[CLASSIFIER_MAX_HIDDEN + 1];
    sizes[0] = cfg->image_size;
    for (int i = 0; i < cfg->n_hidden; i++) {
        sizes[i + 1] = cfg->hidden[i];
        acts[i] = ACT_RELU;
    }
    sizes[n_layers] = CLASSIFIER_N_CLASSES;
    acts[n_layers - 1] = ACT_IDENTITY; /* logits: the softmax is fused into the loss */
    rc = mlp_create(&c->net, n_layers, sizes, acts, 0.0f, max_batch, err);
    if (!rc)
        rc = adam_create(&c->opt, c->net.n_params, cfg->adam, err);
    if (rc) {
        classifier_destroy(c);
        return rc;
    }
    c->x = malloc((size_t)max_batch * cfg->image_size * sizeof *c->x);
    c->labels = malloc((size_t)max_batch * sizeof *c->labels);
    c->dlogits = malloc((size_t)max_batch * CLASSIFIER_N_CLASSES * sizeof *c->dlogits);
    if (!c->x || !c->labels || !c->dlogits) {
        classifier_destroy(c);
        return gan_err_set(err, GAN_ERR_RUNTIME, "classifier: out of memory");
    }
    /* He for the ReLU layers, Xavier for the logit layer (init.h). */
    rng_t rng;
    rng_seed(&rng, cfg->seed, CLASSIFIER_STREAM_INIT);
    init_network(&c->net, INIT_HE_XAVIER, INIT_DEFAULT_STD, &rng);
    return GAN_OK;
}

void classifier_destroy(classifier_t *c)
{
    if (!c)
        return;
    net_destroy(&c->net);
    adam_destroy(&c->opt);
    free(c->x);
    free(c->labels);
    free(c->dlogits);
    free(c->order);
    memset(c, 0, sizeof *c);
}

int classifier_n_features(const classifier_t *c)
{
    return c->net.layers[c->net.n_layers - 2].n_out;
}

float classifier_lr(const classifier_cfg_t *cfg, int epoch)
{
    if (cfg->epochs <= 1)
        return cfg->adam.lr;
    double t = (double)(epoch < cfg->epochs ? epoch : cfg->epochs - 1) / (cfg->epochs - 1);
    return (float)(cfg->adam.lr + t * (cfg->lr_final - cfg->adam.lr));
}

static int check_images(const classifier_t *c, const mnist_t *ds, gan_err_t *err)
{
    if ((long)ds->rows * ds->cols != c->cfg.image_size)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "classifier: images of %d x %d pixels, the classifier takes %d",
                           ds->rows, ds->cols, c->cfg.image_size);
    return GAN_OK;
}

/* Index of the largest of the k values in row. */
static int argmax(const float *row, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

int classifier_train_epoch(classifier_t *c, const mnist_t *train, classifier_epoch_t *stats,
                           gan_err_t *err)
{
    int rc = check_images(c, train, err);
    if (rc)
        return rc;
    if (c->max_batch < c->cfg.batch)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "classifier: built for batches of %d, training needs %d",
                           c->max_batch, c->cfg.batch);
    if (train->n > UINT32_MAX)
        return gan_err_set(err, GAN_ERR_INPUT, "classifier: %zu training images (too many)",
                           train->n);
    if (c->order_cap < train->n) {
        uint32_t *order = realloc(c->order, train->n * sizeof *order);
        if (!order)
            return gan_err_set(err, GAN_ERR_RUNTIME, "classifier: out of memory");
        c->order = order;
        c->order_cap = train->n;
    }
    const size_t n = train->n;
    for (size_t i = 0; i < n; i++)
        c->order[i] = (uint32_t)i;
    rng_t rng;
    rng_seed(&rng, c->cfg.seed, CLASSIFIER_STREAM_SHUFFLE + (uint64_t)c->epoch);
    rng_shuffle_u32(&rng, c->order, n);
    c->opt.cfg.lr = classifier_lr(&c->cfg, c->epoch);

    const int k = CLASSIFIER_N_CLASSES;
    double loss_sum = 0.0;
    long correct = 0;
    for (size_t start = 0; start < n; start += (size_t)c->cfg.batch) {
        int b = n - start < (size_t)c->cfg.batch ? (int)(n - start) : c->cfg.batch;
        const uint32_t *rows = c->order + start;
        mnist_batch(c->x, train, rows, b);
        for (int i = 0; i < b; i++)
            c->labels[i] = train->labels[rows[i]];
        const float *logits = net_forward(&c->net, c->x, b);
        float loss = softmax_ce(c->dlogits, logits, c->labels, b, k, 1.0f / (float)b);
        if (!isfinite(loss))
            return gan_err_set(err, GAN_ERR_RUNTIME,
                               "classifier: loss is %g at epoch %d, image %zu; lower the "
                               "learning rate", (double)loss, c->epoch + 1, start);
        for (int i = 0; i < b; i++)
            correct += argmax(logits + (size_t)i * k, k) == c->labels[i];
        loss_sum += (double)loss * b;
        net_backward(&c->net, NULL, c->dlogits, NET_GRADS_SET);
        adam_step(&c->opt, c->net.params, c->net.grads);
    }
    c->epoch++;
    if (stats) {
        stats->n = (long)n;
        stats->loss = n ? loss_sum / (double)n : 0.0;
        stats->accuracy = n ? (double)correct / (double)n : 0.0;
    }
    return GAN_OK;
}

int classifier_accuracy(double *accuracy, classifier_t *c, const mnist_t *ds, gan_err_t *err)
{
    *accuracy = 0.0;
    int rc = check_images(c, ds, err);
    if (rc)
        return rc;
    const int k = CLASSIFIER_N_CLASSES;
    uint32_t rows[256];
    int chunk = c->max_batch < 256 ? c->max_batch : 256;
    long correct = 0;
    for (size_t start = 0; start < ds->n; start += (size_t)chunk) {
        int b = ds->n - start < (size_t)chunk ? (int)(ds->n - start) : chunk;
        for (int i = 0; i < b; i++)
            rows[i] = (uint32_t)(start + (size_t)i);
        mnist_batch(c->x, ds, rows, b);
        const float *logits = net_forward(&c->net, c->x, b);
        for (int i = 0; i < b; i++)
            correct += argmax(logits + (size_t)i * k, k) == ds->labels[start + (size_t)i];
    }
    if (ds->n)
        *accuracy = (double)correct / (double)ds->n;
    return GAN_OK;
}

void classifier_predict(classifier_t *c, float *features, float *probs, const float *x,
                        int batch)
{
    const float *logits = net_forward(&c->net, x, batch);
    if (features)
        memcpy(features, c->net.acts[c->net.n_layers - 2],
               (size_t)batch * classifier_n_features(c) * sizeof *features);
    if (probs)
        softmax_rows(probs, logits, batch, CLASSIFIER_N_CLASSES);
}

int classifier_save(const classifier_t *c, const char *path, double test_accuracy,
                    gan_err_t *err)
{
    char *header = NULL;
    size_t header_len = 0;
    FILE *mem = open_memstream(&header, &header_len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    const classifier_cfg_t *cfg = &c->cfg;
    fprintf(mem, "{\n  \"format\": \"gan checkpoint\",\n  \"kind\": \"%s\",\n  \"sizes\": [%d",
            CLASSIFIER_KIND, cfg->image_size);
    for (int i = 0; i < cfg->n_hidden; i++)
        fprintf(mem, ", %d", cfg->hidden[i]);
    fprintf(mem,
            ", %d],\n  \"hidden_act\": \"relu\",\n  \"input_range\": [-1, 1],\n"
            "  \"lr\": %.9g,\n  \"lr_final\": %.9g,\n  \"beta1\": %.9g,\n  \"beta2\": %.9g,\n"
            "  \"eps\": %.9g,\n  \"batch\": %d,\n  \"epochs\": %d,\n  \"seed\": %llu,\n"
            "  \"test_accuracy\": %.6f,\n  \"version\": \"%s\"\n}\n",
            CLASSIFIER_N_CLASSES, (double)cfg->adam.lr, (double)cfg->lr_final,
            (double)cfg->adam.beta1, (double)cfg->adam.beta2, (double)cfg->adam.eps, cfg->batch,
            c->epoch, (unsigned long long)cfg->seed, test_accuracy, GAN_VERSION);
    if (fclose(mem) != 0 || !header) {
        free(header);
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    ckpt_section_t section = {SEC_PARAMS, c->net.params, c->net.n_params * sizeof(float)};
    int rc = ckpt_write(path, header, &section, 1, err);
    free(header);
    return rc;
}

/* Fills cfg from a classifier header; GAN_ERR_INPUT naming path otherwise. */
static int read_header(classifier_cfg_t *cfg, int *epochs_trained, double *test_accuracy,
                       const char *json, const char *path, gan_err_t *err)
{
    char kind[64];
    if (json_get_string(json, "kind", kind, sizeof kind) != 0)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: not an MNIST classifier (no \"kind\" in its header; a GAN run "
                           "checkpoint?); make one with ./gan classifier train", path);
    if (strcmp(kind, CLASSIFIER_KIND) != 0)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: not an MNIST classifier (kind \"%s\", expected \"%s\"); make "
                           "one with ./gan classifier train", path, kind, CLASSIFIER_KIND);
    classifier_cfg_default(cfg);
    int sizes[CLASSIFIER_MAX_HIDDEN + 2], n = 0;
    if (json_get_int_array(json, "sizes", sizes, CLASSIFIER_MAX_HIDDEN + 2, &n) != 0 || n < 3 ||
        sizes[n - 1] != CLASSIFIER_N_CLASSES)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: header has no valid \"sizes\" (input, 1..%d hidden, %d classes)",
                           path, CLASSIFIER_MAX_HIDDEN, CLASSIFIER_N_CLASSES);
    cfg->image_size = sizes[0];
    cfg->n_hidden = n - 2;
    for (int i = 0; i < cfg->n_hidden; i++)
        cfg->hidden[i] = sizes[i + 1];
    double v;
    if (json_get_number(json, "lr", &v) == 0)
        cfg->adam.lr = (float)v;
    if (json_get_number(json, "lr_final", &v) == 0)
        cfg->lr_final = (float)v;
    if (json_get_number(json, "batch", &v) == 0 && v >= 1 && v <= 65536)
        cfg->batch = (int)v;
    if (json_get_number(json, "seed", &v) == 0 && v >= 0)
        cfg->seed = (uint64_t)v;
    *epochs_trained = 0;
    if (json_get_number(json, "epochs", &v) == 0 && v >= 0 && v <= 10000) {
        *epochs_trained = (int)v;
        if (v >= 1)
            cfg->epochs = (int)v;
    }
    *test_accuracy = 0.0;
    if (json_get_number(json, "test_accuracy", &v) == 0)
        *test_accuracy = v;
    gan_err_t cfg_err;
    if (classifier_cfg_check(cfg, &cfg_err) != GAN_OK)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: bad header (%s)", path, cfg_err.msg);
    return GAN_OK;
}

int classifier_load(classifier_t *c, const char *path, int max_batch, double *test_accuracy,
                    gan_err_t *err)
{
    memset(c, 0, sizeof *c);
    if (!fs_exists(path))
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: no classifier file; make one with ./gan classifier train "
                           "(--out=%s)", path, path);
    ckpt_file_t ckpt;
    int rc = ckpt_read(&ckpt, path, err);
    if (rc == GAN_ERR_INPUT && err) {
        /* A classifier has no previous copy to fall back on: retrain it. */
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len,
                 "; make a new one with ./gan classifier train --out=%s", path);
    }
    if (rc)
        return rc;
    classifier_cfg_t cfg;
    int epochs_trained = 0;
    double acc = 0.0;
    rc = read_header(&cfg, &epochs_trained, &acc, ckpt.header, path, err);
    if (!rc)
        rc = classifier_create(c, &cfg, max_batch, err);
    if (!rc) {
        size_t bytes = c->net.n_params * sizeof(float);
        const void *params = ckpt_section(&ckpt, SEC_PARAMS, bytes, path, "parameters", err);
        if (params)
            memcpy(c->net.params, params, bytes);
        else
            rc = GAN_ERR_INPUT;
    }
    ckpt_free(&ckpt);
    if (rc) {
        classifier_destroy(c);
        return rc;
    }
    c->epoch = epochs_trained;
    if (test_accuracy)
        *test_accuracy = acc;
    return GAN_OK;
}
