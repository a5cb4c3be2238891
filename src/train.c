/* Training runs: the epoch loop. See train.h for the contract and the
 * random streams; the math of a step is in gan.c, what the run hands its
 * files (layer statistics, grids, rows) in train_log.c, their formats in
 * run_files.c and run_log.c, checkpoints in train_checkpoint.c. Nothing
 * here prints. */
#include "gan/train.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gan/ckpt_meaning.h"
#include "gan/clock.h"
#include "gan/data_path.h"
#include "gan/fsutil.h"
#include "gan/health.h"
#include "gan/json.h"
#include "gan/metrics_csv.h"
#include "gan/threads.h"
#include "train_internal.h"

/* Loads the data and allocates everything the loop needs, so that a bad
 * setting or a missing file is reported before any file is written. */
/* Loads the classifier and the test images and fits the real Gaussian, so
 * that each evaluation allocates nothing. Done before training starts: a
 * missing classifier stops the run at once, not after the first epoch. */
static int prepare_eval(run_t *run, gan_err_t *err)
{
    const train_cfg_t *cfg = &run->cfg;
    /* The default classifier (no --classifier: where `gan classifier train`
     * would put it) is missing: name every place searched, not only that. */
    char target[PATH_MAX], found[PATH_MAX];
    gan_err_t search;
    if (!fs_exists(cfg->classifier) &&
        data_path_write_target(target, sizeof target, DATA_PATH_CLASSIFIER, NULL) == GAN_OK &&
        strcmp(target, cfg->classifier) == 0 &&
        data_path_find(found, sizeof found, DATA_PATH_CLASSIFIER, &search) != GAN_OK)
        return gan_err_set(err, GAN_ERR_INPUT, "--eval-every=%d needs the MNIST classifier: %s",
                           cfg->eval_every, search.msg);
    int rc = classifier_load(&run->clf, cfg->classifier, cfg->batch, NULL, err);
    if (!rc)
        rc = mnist_load_dir(&run->test, cfg->data_dir, 0, err);
    if (!rc)
        rc = eval_create(&run->eval, &run->clf, &run->test, (size_t)cfg->eval_n,
                         cfg->arch.z_dim, err);
    return rc;
}

/* FD and class coverage of the generator as it is now, from the same noise
 * every time (the run's seed, EVAL_STREAM_NOISE), so epochs compare like
 * with like; the training streams are not touched. */
static int evaluate(run_t *run, run_metrics_t *m, gan_err_t *err)
{
    rng_t rng;
    rng_seed(&rng, run->cfg.seed, EVAL_STREAM_NOISE);
    double start = clock_seconds();
    int rc = eval_generator(&m->eval, &run->eval, &run->gan, (size_t)run->cfg.eval_n, &rng, err);
    m->eval_seconds = clock_seconds() - start;
    m->evaluated = rc == GAN_OK;
    return rc;
}

static int run_prepare(run_t *run, const train_cfg_t *cfg, gan_err_t *err)
{
    run->cfg = *cfg;
    cfg = &run->cfg;
    int rc = train_cfg_find_paths(&run->cfg, err);
    if (!rc)
        rc = train_cfg_check(cfg, err);
    if (rc)
        return rc;
    mnist_t loaded;
    rc = mnist_load_dir(&loaded, cfg->data_dir, 1, err);
    if (rc)
        return rc;
    size_t pixels = (size_t)loaded.rows * loaded.cols;
    size_t n_images = loaded.n;
    if (cfg->limit > 0 && (size_t)cfg->limit < n_images)
        n_images = (size_t)cfg->limit;
    if (pixels != (size_t)cfg->arch.image_size)
        rc = gan_err_set(err, GAN_ERR_INPUT, "%s: images are %dx%d, the run expects %d pixels",
                         cfg->data_dir, loaded.rows, loaded.cols, cfg->arch.image_size);
    else if ((size_t)cfg->batch > n_images)
        rc = gan_err_set(err, GAN_ERR_INPUT,
                         "--batch=%d: larger than the %zu training images in use (--limit)",
                         cfg->batch, n_images);
    /* The images in use are packed and the loaded copy freed before the
     * nets exist: the run never holds both. */
    if (!rc) {
        run->data_crc = ckpt_crc32(loaded.images, n_images * pixels);
        rc = mnist_pack(&run->data, &loaded, n_images, err);
    }
    mnist_free(&loaded);
    if (rc)
        return rc;
    run->steps_per_epoch = (long)(n_images / (size_t)cfg->batch);
    /* The run records where its data is from any folder it is run from
     * (a resume checks the data by content, train_pixels_crc32). */
    char absolute[PATH_MAX];
    if (realpath(cfg->data_dir, absolute) && strlen(absolute) < sizeof run->cfg.data_dir)
        snprintf(run->cfg.data_dir, sizeof run->cfg.data_dir, "%s", absolute);

    const products_lib_t lib = products_resolve(cfg->products, cfg->precision);
    threads_set_products(cfg->threads, lib);
    /* The count the bits depend on, not "the library's default". */
    if (run->cfg.threads == 0)
        run->cfg.threads = threads_products_of(lib);
    products_describe(run->products, sizeof run->products,
                      products_backend(lib, cfg->precision));
    adam_cfg_t d_adam = cfg->adam;
    if (cfg->d_lr > 0)
        d_adam.lr = cfg->d_lr;
    rc = gan_create(&run->gan, &cfg->arch, cfg->adam, d_adam, cfg->batch, err);
    if (!rc)
        rc = gan_set_products(&run->gan, cfg->precision, lib, err);
    if (rc)
        return rc;
    run->n_samples = cfg->grid * cfg->grid;
    run->real = malloc((size_t)cfg->batch * pixels * sizeof *run->real);
    run->z = malloc((size_t)cfg->batch * cfg->arch.z_dim * sizeof *run->z);
    run->order = malloc(n_images * sizeof *run->order);
    run->fixed_noise = malloc((size_t)run->n_samples * cfg->arch.z_dim * sizeof(float));
    run->samples = malloc((size_t)run->n_samples * pixels * sizeof(float));
    /* D's probe batch: the first training images, at most one batch (D's
     * work buffers hold max batch rows). */
    int n_probe = run->n_samples < cfg->batch ? run->n_samples : cfg->batch;
    run->probe_real = malloc((size_t)n_probe * pixels * sizeof(float));
    run->probe_prob = malloc((size_t)n_probe * sizeof(float));
    if (!run->real || !run->z || !run->order || !run->fixed_noise || !run->samples ||
        !run->probe_real || !run->probe_prob)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    for (int i = 0; i < n_probe; i++)
        run->order[i] = (uint32_t)i;
    mnist_packed_batch(run->probe_real, &run->data, run->order, n_probe);
    rc = train_log_prepare(run, err);
    if (rc)
        return rc;
    return cfg->eval_every > 0 ? prepare_eval(run, err) : GAN_OK;
}

static void run_free(run_t *run)
{
    train_log_free(run);
    gan_destroy(&run->gan);
    mnist_packed_free(&run->data);
    free(run->real);
    free(run->z);
    free(run->order);
    free(run->fixed_noise);
    free(run->samples);
    free(run->probe_real);
    free(run->probe_prob);
    eval_destroy(&run->eval);
    classifier_destroy(&run->clf);
    mnist_free(&run->test);
}

/* --- the loop ------------------------------------------------------- */

/* Adds each layer's weight-gradient norm of the step to sums[layer]. */
static void add_grad_norms(double *sums, const double *norms, int n_layers)
{
    for (int l = 0; l < n_layers; l++)
        sums[l] += norms[l];
}

static void add_step_stats(epoch_sums_t *s, const gan_stats_t *st)
{
    s->d_loss += st->d_loss;
    s->g_loss += st->g_loss;
    s->d_real += st->d_real;
    s->d_fake += st->d_fake;
    s->acc_real += st->acc_real;
    s->acc_fake += st->acc_fake;
    s->steps += 1;
}

void train_shuffle_epoch(uint32_t *order, size_t n_images, uint64_t seed, int epoch)
{
    rng_t shuffle;
    rng_seed(&shuffle, seed, TRAIN_STREAM_SHUFFLE + (uint64_t)epoch);
    for (size_t i = 0; i < n_images; i++)
        order[i] = (uint32_t)i;
    rng_shuffle_u32(&shuffle, order, n_images);
}

void train_make_batch(float *real, float *z, const mnist_packed_t *data, const uint32_t *order,
                      long step, int batch, int z_dim, rng_t *noise)
{
    mnist_packed_batch(real, data, order + (size_t)step * batch, batch);
    rng_fill_normal(noise, z, (size_t)batch * z_dim, 0.0f, 1.0f);
}

void train_init_weights(gan_t *gan, const train_cfg_t *cfg, rng_t *noise)
{
    rng_t g_rng, d_rng;
    rng_seed(&g_rng, cfg->seed, TRAIN_STREAM_G_INIT);
    rng_seed(&d_rng, cfg->seed, TRAIN_STREAM_D_INIT);
    rng_seed(noise, cfg->seed, TRAIN_STREAM_NOISE);
    gan_init(gan, cfg->g_init, cfg->d_init, cfg->init_std, &g_rng, &d_rng);
}

static void report(const run_t *run, train_progress_t *p)
{
    if (run->opts->on_progress)
        run->opts->on_progress(run->opts->ctx, p);
}

static void progress_from_sums(train_progress_t *p, const run_t *run, double seconds)
{
    double steps = run->sums.steps > 0 ? run->sums.steps : 1;
    p->epoch = run->epoch + 1;
    p->epochs = run->cfg.epochs;
    p->step = run->step;
    p->steps = run->steps_per_epoch;
    p->d_loss = run->sums.d_loss / steps;
    p->g_loss = run->sums.g_loss / steps;
    p->epoch_seconds = seconds;
    p->images_per_sec = seconds > 0 ? run->sums.steps * run->cfg.batch / seconds : 0;
    p->batch = run->cfg.batch;
    p->image_size = run->cfg.arch.image_size;
    p->z_dim = run->cfg.arch.z_dim;
    p->run_dir = run->opts->run_dir;
}

static void notice(const run_t *run, const char *text)
{
    train_progress_t p = {.event = TRAIN_EVENT_NOTICE, .notice = text,
                          .run_dir = run->opts->run_dir};
    report(run, &p);
}

static int finish_epoch(run_t *run, gan_err_t *err)
{
    const gan_t *gan = &run->gan;
    size_t bad_g = health_first_nonfinite(gan->g.params, gan->g.n_params);
    size_t bad_d = health_first_nonfinite(gan->d.params, gan->d.n_params);
    if (bad_g < gan->g.n_params || bad_d < gan->d.n_params)
        return gan_err_set(err, GAN_ERR_RUNTIME,
                           "%s: training diverged in epoch %d (non-finite %s parameter); the last "
                           "good checkpoint and metrics are kept",
                           run->opts->run_dir, run->epoch + 1,
                           bad_g < gan->g.n_params ? "G" : "D");
    const epoch_sums_t *s = &run->sums;
    run_metrics_t m = {
        .epoch = run->epoch + 1,
        .steps = (long)s->steps,
        .g_loss = s->g_loss / s->steps,
        .d_loss = s->d_loss / s->steps,
        .d_acc_real = s->acc_real / s->steps,
        .d_acc_fake = s->acc_fake / s->steps,
        .d_real = s->d_real / s->steps,
        .d_fake = s->d_fake / s->steps,
        .seconds = s->seconds,
        .images_per_sec = s->seconds > 0 ? s->steps * run->cfg.batch / s->seconds : 0,
    };
    m.d_acc = 0.5 * (m.d_acc_real + m.d_acc_fake);
    m.g_acc = 1.0 - m.d_acc_fake;
    int rc = run_refresh_lock(run, err);
    if (rc)
        return rc;
    int every = run->cfg.eval_every;
    if (every > 0 && (m.epoch % every == 0 || m.epoch == run->cfg.epochs))
        rc = evaluate(run, &m, err);
    if (!rc)
        rc = train_log_metrics(run, &m, err);
    if (!rc)
        rc = train_log_steps(run, err);
    if (!rc)
        rc = train_log_layers(run, m.epoch, s->steps, err);
    if (rc)
        return rc;
    run->epoch++;
    run->step = 0;
    memset(&run->sums, 0, sizeof run->sums);
    memset(run->grad_norm_sums, 0, sizeof run->grad_norm_sums);
    if (run->epoch % run->cfg.sample_every == 0 || run->epoch == run->cfg.epochs) {
        rc = train_log_samples(run, run->epoch, err);
        if (rc)
            return rc;
    }
    /* A kept epoch's weights are on disk before the checkpoint vouches for
     * the epoch: a kill in between trains the epoch again and writes the
     * same file again, so a resumed run keeps what a straight one does. */
    if (run_keeps_epoch(run, run->epoch)) {
        rc = run_write_kept(run, err);
        if (rc)
            return rc;
    }
    /* The epoch's events are on disk before the checkpoint vouches for them. */
    rc = train_log_flush(run, err);
    if (!rc)
        rc = run_write_checkpoint(run, err);
    if (rc)
        return rc;
    train_progress_t p = {.event = TRAIN_EVENT_EPOCH, .metrics = &m};
    progress_from_sums(&p, run, m.seconds);
    p.epoch = m.epoch;
    p.step = p.steps;
    p.d_loss = m.d_loss;
    p.g_loss = m.g_loss;
    p.images_per_sec = m.images_per_sec;
    report(run, &p);
    return GAN_OK;
}

static int train_loop(run_t *run, gan_err_t *err)
{
    const train_cfg_t *cfg = &run->cfg;
    const int batch = cfg->batch;
    while (run->epoch < cfg->epochs) {
        train_shuffle_epoch(run->order, run->data.n, cfg->seed, run->epoch + 1);
        double start = clock_seconds() - run->sums.seconds;
        while (run->step < run->steps_per_epoch) {
            train_make_batch(run->real, run->z, &run->data, run->order, run->step, batch,
                             cfg->arch.z_dim, &run->noise_rng);
            gan_stats_t st;
            gan_step(&run->gan, run->real, run->z, batch, &st);
            if (!isfinite(st.d_loss) || !isfinite(st.g_loss))
                return gan_err_set(err, GAN_ERR_RUNTIME,
                                   "%s: training diverged at epoch %d step %ld (d_loss %g, "
                                   "g_loss %g); the last good checkpoint and metrics are kept",
                                   run->opts->run_dir, run->epoch + 1, run->step + 1, st.d_loss,
                                   st.g_loss);
            add_grad_norms(run->grad_norm_sums[0], st.g_grad_norm, run->gan.g.n_layers);
            add_grad_norms(run->grad_norm_sums[1], st.d_grad_norm, run->gan.d.n_layers);
            add_step_stats(&run->sums, &st);
            run->step++;
            int rc = train_log_step(run, &st, err);
            if (rc)
                return rc;
            run->sums.seconds = clock_seconds() - start;
            if (start + run->sums.seconds >= run->next_refresh) {
                rc = run_refresh_lock(run, err);
                if (rc)
                    return rc;
            }

            train_progress_t p = {.event = TRAIN_EVENT_STEP, .real = run->real, .z = run->z};
            progress_from_sums(&p, run, run->sums.seconds);
            report(run, &p);
            if (run->opts->stop && *run->opts->stop && run->step < run->steps_per_epoch) {
                /* The partial epoch's step rows and events go to disk before
                 * the checkpoint that vouches for them: the resumed process
                 * logs from the next step on, so none is lost or doubled. */
                rc = train_log_steps(run, err);
                if (!rc)
                    rc = train_log_flush(run, err);
                if (!rc)
                    rc = run_write_checkpoint(run, err);
                return rc ? rc : TRAIN_STOPPED;
            }
        }
        int rc = finish_epoch(run, err);
        if (rc)
            return rc;
        if (run->opts->stop && *run->opts->stop && run->epoch < cfg->epochs)
            return TRAIN_STOPPED;
    }
    return GAN_OK;
}

/* config.json of this run (settings, data and the products). */
static int write_config(const run_t *run, gan_err_t *err)
{
    run_facts_t facts = {run->data.n, run->steps_per_epoch, run->data_crc, run->products};
    return run_write_config(run->opts->run_dir, &run->cfg, &facts, err);
}

static int start_new_run(run_t *run, gan_err_t *err)
{
    const char *dir = run->opts->run_dir;
    int rc = run_make_folder(&run->lock, dir, run->opts->stale_seconds, run->force, err);
    if (!rc)
        rc = run_guard(run, err);
    if (!rc)
        rc = write_config(run, err);
    if (!rc)
        rc = train_log_open(run, 0, err);
    if (rc)
        return rc;
    rng_t fixed_rng;
    rng_seed(&fixed_rng, run->cfg.seed, TRAIN_STREAM_FIXED_NOISE);
    train_init_weights(&run->gan, &run->cfg, &run->noise_rng);
    rng_fill_normal(&fixed_rng, run->fixed_noise,
                    (size_t)run->n_samples * run->cfg.arch.z_dim, 0.0f, 1.0f);
    rc = run_guard(run, err);
    if (!rc)
        rc = run_begin_csv(dir, RUN_METRICS, train_metrics_header(run), err);
    if (!rc)
        rc = run_begin_csv(dir, RUN_LAYERS, LAYERS_CSV_NAMED_COLUMNS, err);
    if (!rc)
        rc = run_begin_csv(dir, RUN_STEPS, STEPS_CSV_COLUMNS, err);
    if (!rc)
        rc = train_log_layers(run, 0, 0, err);
    if (!rc)
        rc = train_log_samples(run, 0, err);
    if (!rc)
        rc = train_log_flush(run, err);
    if (!rc)
        rc = run_write_checkpoint(run, err);
    return rc;
}

/* --from-prev: a damaged checkpoint.bin is kept aside, so the run
 * continues from checkpoint.prev.bin (the next checkpoint then does not
 * push the damaged one over the good previous one). Only a checkpoint.bin
 * that fails to read is damaged: a good one is never filed away (that
 * would throw the newest state away), and an earlier damaged one is never
 * overwritten (the next free checkpoint.damaged.N.bin is used). */
static int set_damaged_aside(run_t *run, gan_err_t *err)
{
    const char *dir = run->opts->run_dir;
    char ckpt_path[PATH_MAX], prev[PATH_MAX];
    int rc = run_ckpt_paths(ckpt_path, prev, dir, err);
    if (rc)
        return rc;
    if (!fs_exists(prev))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no checkpoint.prev.bin to resume from", dir);
    if (!fs_exists(ckpt_path))
        return GAN_OK;
    ckpt_file_t ckpt;
    gan_err_t why;
    rc = ckpt_read(&ckpt, ckpt_path, &why);
    if (!rc) {
        rc = ckpt_meaning_check(&ckpt, ckpt_path, 0, NULL, &why);
        ckpt_free(&ckpt);
        if (!rc)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: reads fine, so --from-prev would file "
                               "the newest state away; resume from it without --from-prev: gan "
                               "train --resume=%s", ckpt_path, dir);
    }
    if (rc != GAN_ERR_INPUT) { /* not damage: an I/O error, out of memory */
        if (err)
            *err = why;
        return rc;
    }
    char aside[PATH_MAX];
    rc = run_path(aside, dir, RUN_CKPT_DAMAGED, err);
    /* checkpoint.damaged.bin, else checkpoint.damaged.1.bin, ... (we hold
     * the lock: no other gan renames into the folder meanwhile). */
    size_t stem = strlen(aside) - strlen(".bin");
    for (int n = 1; !rc && fs_exists(aside); n++)
        if (snprintf(aside + stem, sizeof aside - stem, ".%d.bin", n) >= (int)(sizeof aside - stem))
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: path too long", dir);
    if (!rc && rename(ckpt_path, aside) != 0)
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot move aside to %s (%s)",
                         ckpt_path, aside, strerror(errno));
    return rc;
}

/* Trims one CSV log to the rows the checkpoint vouches for (csv_vouch_t),
 * saying in one notice line each what was repaired. */
static int trim_log(run_t *run, run_file_t f, const char *header, long first_key,
                    long max_key, int rows_per_key, long last_logged, gan_err_t *err)
{
    csv_vouch_t vouch = {header, run->opts->run_dir, first_key, max_key, rows_per_key,
                         last_logged};
    csv_trim_report_t rep;
    char path[PATH_MAX];
    int rc = run_path(path, run->opts->run_dir, f, err);
    if (!rc)
        rc = run_guard(run, err);
    if (!rc)
        rc = run_trim_csv(path, &vouch, run->lock, &rep, err);
    char text[PATH_MAX + 200];
    if (!rc && rep.header_restored) {
        snprintf(text, sizeof text, "%s: no header line (or a damaged one); restored it from "
                 "the run's settings", path);
        notice(run, text);
    }
    if (!rc && rep.repeats) {
        snprintf(text, sizeof text, "%s: dropped %d repeated row%s (identical to an earlier "
                 "one)", path, rep.repeats, rep.repeats > 1 ? "s" : "");
        notice(run, text);
    }
    if (!rc && rep.tail) {
        snprintf(text, sizeof text, "%s: dropped %d line%s after the rows the checkpoint (epoch "
                 "%d, step %ld) vouches for: later rows, or an append torn by a kill", path,
                 rep.tail, rep.tail > 1 ? "s" : "", run->epoch, run->step);
        notice(run, text);
    }
    return rc;
}

/* metrics.csv: one row per epoch 1..epoch; layers.csv: a row per layer of
 * G and D for epochs 0..epoch; steps.csv: rows up to the global step,
 * logged every log_every steps and at step 1. */
static int trim_logs(run_t *run, gan_err_t *err)
{
    int64_t step = train_global_step(run);
    long every = run->cfg.log_every, last_logged = 0;
    if (every > 0 && step >= 1 && run->steps_csv_from_start)
        last_logged = step < every ? 1 : (long)(step - step % every);
    int rc = trim_log(run, RUN_METRICS, train_metrics_header(run), 1, run->epoch, 1, 0, err);
    if (!rc)
        rc = trim_log(run, RUN_LAYERS,
                      run->layers_without_name ? LAYERS_CSV_COLUMNS : LAYERS_CSV_NAMED_COLUMNS,
                      0, run->epoch,
                      run->gan.g.n_layers + run->gan.d.n_layers, 0, err);
    if (!rc)
        rc = trim_log(run, RUN_STEPS, STEPS_CSV_COLUMNS, 1, (long)step, 0, last_logged, err);
    return rc;
}

/* The CRC-32 of the pixels a run trained on, from its checkpoint's header
 * or, for a checkpoint from before it held one, its config.json; "" when
 * neither says. */
static void recorded_data_crc(char *out, size_t size, const ckpt_file_t *ckpt, const char *dir)
{
    out[0] = '\0';
    if (json_get_string(ckpt->header, "train_pixels_crc32", out, size) == 0)
        return;
    char path[PATH_MAX], *text = NULL;
    size_t n;
    if (run_path(path, dir, RUN_CONFIG, NULL) == GAN_OK &&
        fs_read_all(path, 1 << 20, &text, &n, NULL) == GAN_OK &&
        json_get_string(text, "train_pixels_crc32", out, size) != 0)
        out[0] = '\0';
    free(text);
}

/* A resumed run trains on the images it began with (by content, wherever
 * they are now), and says so when it goes on with another thread count or
 * product library: from there its bits differ from an uninterrupted run's. */
static int check_resume_matches(run_t *run, const ckpt_file_t *ckpt, gan_err_t *err)
{
    const char *dir = run->opts->run_dir;
    char crc[32];
    recorded_data_crc(crc, sizeof crc, ckpt, dir);
    char *end = NULL;
    unsigned long want = strtoul(crc, &end, 16);
    if (crc[0] && end && *end == '\0' && want != run->data_crc)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: the training images in %s are not the ones the run was trained "
                           "on (CRC-32 of their pixels %08x, the run recorded %s); give the "
                           "run's data with --data=FOLDER",
                           dir, run->cfg.data_dir, run->data_crc, crc);
    char text[PATH_MAX + 200];
    double threads = 0;
    if (json_get_number(ckpt->header, "threads", &threads) == 0 && threads > 0 &&
        (int)threads != run->cfg.threads) {
        snprintf(text, sizeof text, "%s: trained so far with %d product thread%s, continuing "
                 "with %d: from here its numbers differ from an uninterrupted run's bits",
                 dir, (int)threads, threads > 1 ? "s" : "", run->cfg.threads);
        notice(run, text);
    }
    char products[64];
    if (json_get_string(ckpt->header, "products", products, sizeof products) == 0 &&
        strcmp(products, run->products) != 0) {
        snprintf(text, sizeof text, "%s: trained so far with the products of %s, continuing "
                 "with %s: from here its numbers differ from an uninterrupted run's bits",
                 dir, products, run->products);
        notice(run, text);
    }
    return GAN_OK;
}

static int resume_run(run_t *run, gan_err_t *err)
{
    const char *dir = run->opts->run_dir;
    run_status_t st;
    int rc = run_status(&st, dir, NULL);
    if (!fs_is_dir(dir))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no such run folder", dir);
    if (rc == GAN_OK && st.state == RUN_STATE_NONE)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no run here (no checkpoint.bin); start one "
                           "with gan train --out=%s", dir, dir);
    /* No checkpoint yet: a live holder may be writing its first one, so
     * the lock is looked at before --force is advised. */
    if (rc == GAN_OK && st.state == RUN_STATE_STARTED && !run->lock) {
        int busy = run_lock_probe(dir, run->opts->stale_seconds, err);
        if (busy)
            return busy;
    }
    if (rc == GAN_OK && st.state == RUN_STATE_STARTED)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: the run stopped before its first checkpoint, "
                           "so there is nothing to resume; start it over with the same options "
                           "and --out=%s --force", dir, dir);
    rc = run->lock ? GAN_OK : run_lock_acquire(&run->lock, dir, run->opts->stale_seconds, err);
    if (!rc && run->opts->from_prev)
        rc = set_damaged_aside(run, err);
    if (rc)
        return rc;
    /* A kill may have left temporary files of atomic writes (we hold the
     * lock, so they are nobody's). */
    char samples[PATH_MAX];
    rc = run_path(samples, dir, RUN_SAMPLES, err);
    if (rc)
        return rc;
    fs_remove_stale_temps(dir);
    fs_remove_stale_temps(samples);
    ckpt_file_t ckpt;
    char path[PATH_MAX];
    rc = run_read_checkpoint(&ckpt, path, sizeof path, dir, 0, err);
    if (rc)
        return rc;
    rc = check_resume_matches(run, &ckpt, err);
    if (!rc)
        rc = run_restore_state(&run->gan, run, &ckpt, path, err);
    ckpt_free(&ckpt);
    /* --epochs may have been raised: config.json follows the checkpoint. */
    if (!rc)
        rc = run_guard(run, err);
    if (!rc)
        rc = write_config(run, err);
    if (!rc) {
        /* A run begun before a column existed keeps its rows' shape. */
        run->metrics_without_g_acc = run_metrics_without_g_acc(dir);
        run->layers_without_name = run_layers_without_name(dir);
    }
    if (!rc)
        rc = trim_logs(run, err);
    if (!rc)
        rc = fs_mkdirs(samples, err);
    if (!rc)
        rc = run_trim_kept(run, err);
    if (!rc)
        rc = train_log_open(run, 1, err);
    return rc;
}

/* claims.log: who trained this run from where (one claim per start). */
static int journal_claim(run_t *run, gan_err_t *err)
{
    int rc = run_guard(run, err);
    if (rc)
        return rc;
    char what[600];
    int n = snprintf(what, sizeof what, "claim: %s epoch %d of %d",
                     run->resuming ? "resume at" : "new run,", run->epoch, run->cfg.epochs);
    run_holder_t prev;
    if (run_lock_took_over(run->lock, &prev))
        snprintf(what + n, sizeof what - (size_t)n, ", took over a stale claim of pid %ld on %s",
                 prev.pid, prev.host[0] ? prev.host : "?");
    return run_lock_journal(run->lock, what, err);
}

/* opts->ensure: what to do with the run is judged under its lock, from its
 * checkpoint, so the same command may run at any time, any number of times
 * (a printed plan's argv): start a run that has no checkpoint (its leftovers
 * are cleared: nothing vouches for them), resume a partial one with its own
 * settings, or do nothing to a finished one. A run made with other settings
 * is refused, never retrained. cfg becomes the settings to train with. */
static int judge_run(run_t *run, train_cfg_t *cfg, gan_err_t *err)
{
    const char *dir = run->opts->run_dir;
    int rc = fs_mkdirs(dir, err);
    if (!rc && !run->lock)
        rc = run_lock_acquire(&run->lock, dir, run->opts->stale_seconds, err);
    run_status_t st;
    if (!rc)
        rc = run_status(&st, dir, err);
    if (rc)
        return rc;
    if (st.state < RUN_STATE_PARTIAL) {
        run->force = 1;
        return GAN_OK;
    }
    train_cfg_t recorded;
    rc = train_load_config(&recorded, NULL, dir, 0, err);
    if (rc)
        return rc;
    train_cfg_diff_t d;
    if (train_cfg_diff(&d, &recorded, cfg))
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: the run there was trained with --%s=%s, not --%s=%s; give it "
                           "its own settings or train the new ones into another folder",
                           dir, d.option, d.recorded, d.option, d.requested);
    if (st.epoch >= cfg->epochs && st.step == 0)
        return TRAIN_ALREADY_FINISHED;
    recorded.epochs = cfg->epochs;
    if (run->opts->threads_given)
        recorded.threads = cfg->threads;
    if (cfg->data_dir[0])
        snprintf(recorded.data_dir, sizeof recorded.data_dir, "%s", cfg->data_dir);
    *cfg = recorded;
    run->resuming = 1;
    return GAN_OK;
}

int train_run(const train_cfg_t *cfg, const train_opts_t *opts, gan_err_t *err)
{
    run_t run;
    memset(&run, 0, sizeof run);
    run.opts = opts;
    run.lock = opts->lock;
    run.resuming = opts->resume;
    run.force = opts->force;
    train_cfg_t use = *cfg;
    int rc = opts->ensure ? judge_run(&run, &use, err) : GAN_OK;
    if (!rc)
        rc = run_prepare(&run, &use, err);
    if (!rc)
        rc = run.resuming ? resume_run(&run, err) : start_new_run(&run, err);
    int claimed = 0;
    if (!rc)
        rc = journal_claim(&run, err);
    if (!rc) {
        claimed = 1;
        train_progress_t p = {.event = TRAIN_EVENT_START};
        progress_from_sums(&p, &run, run.sums.seconds);
        report(&run, &p);
        run.next_refresh = clock_seconds() + RUN_LOCK_REFRESH_SECONDS;
        rc = train_loop(&run, err);
    }
    /* The event file's last flush; a failure there is the run's error only
     * when nothing failed before. */
    gan_err_t close_err;
    int close_rc = train_log_close(&run, &close_err);
    if (close_rc && (rc == GAN_OK || rc == TRAIN_STOPPED)) {
        rc = close_rc;
        if (err)
            *err = close_err;
    }
    /* A release only follows a journaled claim, and a writer that lost its
     * lock writes no line (run_lock_journal checks too). */
    if (claimed && !run.lock_lost)
        run_lock_journal(run.lock, rc == GAN_OK ? "release: finished"
                              : rc == TRAIN_STOPPED ? "release: stopped, resumable"
                                                    : "release: failed", NULL);
    if (run.lock != opts->lock)
        run_lock_release(run.lock);
    run_free(&run);
    return rc;
}
