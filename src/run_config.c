/* The settings of a training run: defaults, checks, and their flat JSON
 * form (config.json and checkpoint headers). */
#include "gan/train.h"

#include <string.h>

#include "gan/json.h"

void train_cfg_default(train_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->arch = gan_arch_default();
    cfg->g_init = cfg->d_init = INIT_HE_XAVIER;
    cfg->init_std = INIT_DEFAULT_STD;
    cfg->adam = (adam_cfg_t){.lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .eps = 1e-8f};
    cfg->batch = 64;
    cfg->epochs = 30;
    cfg->seed = 1;
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "data/mnist");
    cfg->limit = 0;
    cfg->threads = 0;
    cfg->sample_every = 1;
    cfg->grid = 8;
    cfg->eval_every = 0;
    cfg->eval_n = 10000;
    snprintf(cfg->classifier, sizeof cfg->classifier, "%s", CLASSIFIER_DEFAULT_PATH);
}

int train_cfg_check(const train_cfg_t *cfg, gan_err_t *err)
{
    const gan_arch_t *a = &cfg->arch;
    if (a->z_dim < 1 || a->z_dim > 4096)
        return gan_err_set(err, GAN_ERR_INPUT, "--z-dim=%d: must be 1..4096", a->z_dim);
    if (!(a->leak >= 0.0f && a->leak < 1.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--leak=%g: must be in [0, 1)", a->leak);
    for (int i = 0; i < a->n_g_hidden; i++)
        if (a->g_hidden[i] < 1 || a->g_hidden[i] > 16384)
            return gan_err_set(err, GAN_ERR_INPUT, "--g-hidden: size %d must be 1..16384",
                               a->g_hidden[i]);
    for (int i = 0; i < a->n_d_hidden; i++)
        if (a->d_hidden[i] < 1 || a->d_hidden[i] > 16384)
            return gan_err_set(err, GAN_ERR_INPUT, "--d-hidden: size %d must be 1..16384",
                               a->d_hidden[i]);
    if (!(cfg->adam.lr > 0.0f && cfg->adam.lr < 10.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--lr=%g: must be in (0, 10)", cfg->adam.lr);
    if (!(cfg->adam.beta1 >= 0.0f && cfg->adam.beta1 < 1.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--beta1=%g: must be in [0, 1)", cfg->adam.beta1);
    if (!(cfg->adam.beta2 >= 0.0f && cfg->adam.beta2 < 1.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--beta2=%g: must be in [0, 1)", cfg->adam.beta2);
    if (!(cfg->init_std > 0.0f && cfg->init_std <= 100.0f))
        return gan_err_set(err, GAN_ERR_INPUT, "--init-std=%g: must be in (0, 100]",
                           cfg->init_std);
    if (cfg->batch < 1 || cfg->batch > 65536)
        return gan_err_set(err, GAN_ERR_INPUT, "--batch=%d: must be 1..65536", cfg->batch);
    if (cfg->epochs < 1 || cfg->epochs > 100000)
        return gan_err_set(err, GAN_ERR_INPUT, "--epochs=%d: must be 1..100000", cfg->epochs);
    if (cfg->limit < 0)
        return gan_err_set(err, GAN_ERR_INPUT, "--limit=%ld: must be >= 0", cfg->limit);
    if (cfg->threads < 0 || cfg->threads > 256)
        return gan_err_set(err, GAN_ERR_INPUT, "--threads=%d: must be 0..256", cfg->threads);
    if (cfg->eval_every < 0 || cfg->eval_every > 100000)
        return gan_err_set(err, GAN_ERR_INPUT, "--eval-every=%d: must be 0..100000 (0: never)",
                           cfg->eval_every);
    if (cfg->eval_n < 2 || cfg->eval_n > 100000)
        return gan_err_set(err, GAN_ERR_INPUT, "--eval-n=%ld: must be 2..100000", cfg->eval_n);
    if (cfg->sample_every < 1)
        return gan_err_set(err, GAN_ERR_INPUT, "--sample-every=%d: must be >= 1",
                           cfg->sample_every);
    if (cfg->grid < 1 || cfg->grid > 32)
        return gan_err_set(err, GAN_ERR_INPUT, "--grid=%d: must be 1..32", cfg->grid);
    return GAN_OK;
}

void train_init_label(char *out, size_t size, const train_cfg_t *cfg)
{
    if (cfg->g_init == cfg->d_init)
        snprintf(out, size, "%s", init_name(cfg->g_init));
    else
        snprintf(out, size, "%s+%s", init_name(cfg->g_init), init_name(cfg->d_init));
}

static void write_int_list(FILE *fp, const char *key, const int *v, int n)
{
    fprintf(fp, "  \"%s\": [", key);
    for (int i = 0; i < n; i++)
        fprintf(fp, "%s%d", i ? ", " : "", v[i]);
    fputs("],\n", fp);
}

void train_cfg_write_fields(FILE *fp, const train_cfg_t *cfg)
{
    char label[64];
    train_init_label(label, sizeof label, cfg);
    fprintf(fp, "  \"init\": \"%s\",\n", label);
    fprintf(fp, "  \"g_init\": \"%s\",\n", init_name(cfg->g_init));
    fprintf(fp, "  \"d_init\": \"%s\",\n", init_name(cfg->d_init));
    /* %.9g round-trips a float exactly. */
    fprintf(fp, "  \"init_std\": %.9g,\n", cfg->init_std);
    fprintf(fp, "  \"seed\": %llu,\n", (unsigned long long)cfg->seed);
    fprintf(fp, "  \"z_dim\": %d,\n", cfg->arch.z_dim);
    fprintf(fp, "  \"image_size\": %d,\n", cfg->arch.image_size);
    write_int_list(fp, "g_hidden", cfg->arch.g_hidden, cfg->arch.n_g_hidden);
    write_int_list(fp, "d_hidden", cfg->arch.d_hidden, cfg->arch.n_d_hidden);
    fprintf(fp, "  \"leak\": %.9g,\n", cfg->arch.leak);
    fprintf(fp, "  \"lr\": %.9g,\n", cfg->adam.lr);
    fprintf(fp, "  \"beta1\": %.9g,\n", cfg->adam.beta1);
    fprintf(fp, "  \"beta2\": %.9g,\n", cfg->adam.beta2);
    fprintf(fp, "  \"eps\": %.9g,\n", cfg->adam.eps);
    fprintf(fp, "  \"batch\": %d,\n", cfg->batch);
    fprintf(fp, "  \"epochs\": %d,\n", cfg->epochs);
    fputs("  \"data_dir\": ", fp);
    json_write_string(fp, cfg->data_dir);
    fputs(",\n", fp);
    fprintf(fp, "  \"limit\": %ld,\n", cfg->limit);
    fprintf(fp, "  \"threads\": %d,\n", cfg->threads);
    fprintf(fp, "  \"sample_every\": %d,\n", cfg->sample_every);
    fprintf(fp, "  \"grid\": %d,\n", cfg->grid);
    fprintf(fp, "  \"eval_every\": %d,\n", cfg->eval_every);
    fprintf(fp, "  \"eval_n\": %ld,\n", cfg->eval_n);
    fputs("  \"classifier\": ", fp);
    json_write_string(fp, cfg->classifier);
}

/* Reads a number key into *out; on failure fills err naming the key. */
static int read_number(const char *json, const char *key, double *out, const char *origin,
                       gan_err_t *err)
{
    if (json_get_number(json, key, out) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting '%s' missing or not a number",
                           origin, key);
    return GAN_OK;
}

static int read_init(const char *json, const char *key, init_scheme_t *out,
                     const char *origin, gan_err_t *err)
{
    char name[64];
    if (json_get_string(json, key, name, sizeof name) != 0 ||
        init_from_name(out, name, NULL) != GAN_OK)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting '%s' missing or unknown", origin,
                           key);
    return GAN_OK;
}

int train_cfg_read_json(train_cfg_t *cfg, const char *json, const char *origin,
                        gan_err_t *err)
{
    train_cfg_default(cfg);
    static const char *const keys[] = {
        "init_std", "seed", "z_dim", "image_size", "leak", "lr", "beta1", "beta2", "eps",
        "batch", "epochs", "limit", "threads", "sample_every", "grid"};
    enum { n_keys = sizeof keys / sizeof keys[0] };
    double v[n_keys];
    for (int i = 0; i < n_keys; i++) {
        int rc = read_number(json, keys[i], &v[i], origin, err);
        if (rc)
            return rc;
    }
    cfg->init_std = (float)v[0];
    cfg->seed = (uint64_t)v[1];
    cfg->arch.z_dim = (int)v[2];
    cfg->arch.image_size = (int)v[3];
    cfg->arch.leak = (float)v[4];
    cfg->adam = (adam_cfg_t){(float)v[5], (float)v[6], (float)v[7], (float)v[8]};
    cfg->batch = (int)v[9];
    cfg->epochs = (int)v[10];
    cfg->limit = (long)v[11];
    cfg->threads = (int)v[12];
    cfg->sample_every = (int)v[13];
    cfg->grid = (int)v[14];
    int rc = read_init(json, "g_init", &cfg->g_init, origin, err);
    if (!rc)
        rc = read_init(json, "d_init", &cfg->d_init, origin, err);
    if (rc)
        return rc;
    if (json_get_int_array(json, "g_hidden", cfg->arch.g_hidden, GAN_MAX_HIDDEN,
                           &cfg->arch.n_g_hidden) != 0 ||
        json_get_int_array(json, "d_hidden", cfg->arch.d_hidden, GAN_MAX_HIDDEN,
                           &cfg->arch.n_d_hidden) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: hidden layer lists missing or bad", origin);
    if (json_get_string(json, "data_dir", cfg->data_dir, sizeof cfg->data_dir) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting 'data_dir' missing", origin);
    /* Runs from before sample-quality evaluation existed have no eval keys:
     * they keep the defaults (no evaluation). */
    double eval_every, eval_n;
    if (json_get_number(json, "eval_every", &eval_every) == 0)
        cfg->eval_every = (int)eval_every;
    if (json_get_number(json, "eval_n", &eval_n) == 0)
        cfg->eval_n = (long)eval_n;
    if (cfg->eval_every > 0 &&
        json_get_string(json, "classifier", cfg->classifier, sizeof cfg->classifier) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: setting 'classifier' missing", origin);
    if (cfg->arch.image_size < 1 || cfg->arch.image_size > (1 << 20))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: bad image_size", origin);
    gan_err_t why;
    if (train_cfg_check(cfg, &why) != GAN_OK)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: settings out of range (%.300s)", origin,
                           why.msg);
    return GAN_OK;
}
