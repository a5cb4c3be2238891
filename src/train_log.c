/* What a training run hands the run folder's writers: the trainer's side
 * of metrics.csv, layers.csv, steps.csv, the sample grids and the
 * TensorBoard event file. Here the values are computed (D's forward on the
 * probe batch, the layer statistics, G on the fixed noise, the steps.csv
 * rows of the epoch); run_files.c writes them in the files' formats and
 * run_log.c mirrors the same values to TensorBoard.
 *
 * Nothing here allocates in the step loop: the rows of steps.csv go to a
 * table sized for an epoch when the run is prepared, and the step scalars
 * through the event writer's record buffer. Rows reach the disk at the end
 * of the epoch (and before a Ctrl-C checkpoint), with the metrics row, so
 * steps.csv holds exactly the steps the checkpoint vouches for, give or
 * take the rows a resume trims. Every write is preceded by run_guard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/act_stats.h"
#include "gan/run_log.h"
#include "train_internal.h"

int64_t train_global_step(const run_t *run)
{
    return (int64_t)run->epoch * run->steps_per_epoch + run->step;
}

int train_log_prepare(run_t *run, gan_err_t *err)
{
    int every = run->cfg.log_every;
    if (every <= 0)
        return GAN_OK;
    /* The first step and every every-th: at most spe / every + 2 in an epoch. */
    run->max_step_rows = run->steps_per_epoch / every + 2;
    run->step_rows = malloc((size_t)run->max_step_rows * sizeof *run->step_rows);
    if (!run->step_rows)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    return GAN_OK;
}

/* The event writer asks before anything reaches its file: a writer that
 * lost its lock writes no event (and drops what it buffered). */
static int lock_gate(void *ctx, gan_err_t *err)
{
    return run_guard(ctx, err);
}

int train_log_open(run_t *run, int resumed, gan_err_t *err)
{
    if (!run->cfg.events)
        return GAN_OK;
    int rc = run_guard(run, err);
    return rc ? rc
              : run_log_open(&run->events, run->opts->run_dir,
                             resumed ? train_global_step(run) + 1 : 0, lock_gate, run, err);
}

int train_log_flush(run_t *run, gan_err_t *err)
{
    return run->events ? events_flush(run->events, err) : GAN_OK;
}

int train_log_close(run_t *run, gan_err_t *err)
{
    int rc = events_close(run->events, err);
    run->events = NULL;
    return rc;
}

void train_log_free(run_t *run)
{
    events_close(run->events, NULL);
    run->events = NULL;
    free(run->step_rows);
    run->step_rows = NULL;
}

int train_log_step(run_t *run, const gan_stats_t *st, gan_err_t *err)
{
    int every = run->cfg.log_every;
    int64_t step = train_global_step(run);
    if (every <= 0 || (step % every != 0 && step != 1) || run->n_step_rows >= run->max_step_rows)
        return GAN_OK;
    run_step_row_t *r = &run->step_rows[run->n_step_rows++];
    *r = (run_step_row_t){step, run->epoch + 1, (float)st->g_loss, (float)st->d_loss,
                          (float)st->d_real, (float)st->d_fake};
    return run_log_step(run->events, r, err);
}

int train_log_steps(run_t *run, gan_err_t *err)
{
    if (run->n_step_rows == 0)
        return GAN_OK;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    for (long i = 0; i < run->n_step_rows; i++)
        run_write_step_row_fp(mem, &run->step_rows[i]);
    if (fclose(mem) != 0 || !text) {
        free(text);
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    }
    int rc = run_guard(run, err);
    if (!rc)
        rc = run_append(run->opts->run_dir, RUN_STEPS, text, err);
    free(text);
    if (!rc)
        run->n_step_rows = 0;
    return rc;
}

const char *train_metrics_header(const run_t *run)
{
    return run_metrics_header(run->cfg.eval_every > 0, !run->metrics_without_g_acc);
}

/* Appends one row and makes it durable, so a crash loses at most the epoch
 * in progress; TensorBoard gets the row's values as the file has them. */
int train_log_metrics(run_t *run, const run_metrics_t *m, gan_err_t *err)
{
    char line[4096];
    run_metrics_row(line, sizeof line, m, run->cfg.eval_every > 0, !run->metrics_without_g_acc);
    int rc = run_guard(run, err);
    if (!rc)
        rc = run_append(run->opts->run_dir, RUN_METRICS, line, err);
    return rc ? rc : run_log_metrics(run->events, train_metrics_header(run), line,
                                     (int64_t)m->epoch * run->steps_per_epoch, err);
}

/* Rows of layers.csv for one net: the statistics of each layer's output on
 * the probe batch of its last forward, named by kind and index ("dense2").
 * A layer without weights has weight_std and grad_norm 0. */
static int format_layer_rows(FILE *fp, run_t *run, int epoch, const char *name,
                             const net_t *net, const double *grad_norm_sums, double steps,
                             float *prob, gan_err_t *err)
{
    for (int l = 0; l < net->n_layers; l++) {
        const layer_t *layer = &net->layers[l];
        size_t n = (size_t)net->batch * layer->n_out;
        const float *y = net->acts[l];
        act_t act = layer->act;
        /* D's last layer is a logit; what saturates is D(x) = sigmoid. */
        if (act == ACT_IDENTITY && l == net->n_layers - 1 && layer->n_out == 1) {
            act_forward(prob, y, n, ACT_SIGMOID, 0.0f);
            y = prob;
            act = ACT_SIGMOID;
        }
        act_stats_t st;
        act_stats_compute(&st, y, n, act);
        double w_mean, w_std = 0.0;
        if (layer->n_weights)
            act_stats_moments(net->params + layer->w_off, layer->n_weights, &w_mean, &w_std,
                              NULL);
        double grad_norm = steps > 0 ? grad_norm_sums[l] / steps : 0.0;
        char layer_name[32];
        net_layer_name(layer_name, sizeof layer_name, net, l);
        run_layer_row_t row = {epoch, name, l, act_name(act), st.mean, st.std,
                               st.frac_saturated, st.frac_negative, w_std, grad_norm,
                               run->layers_without_name ? NULL : layer_name};
        run_write_layer_row_fp(fp, &row);
        /* The histograms show what the row summarizes: the weights (biases
         * left out, as weight_std) and the same activations. */
        int rc = run_log_histograms(run->events, name, layer_name, net->params + layer->w_off,
                                    layer->n_weights, y, n,
                                    (int64_t)epoch * run->steps_per_epoch, err);
        if (rc)
            return rc;
    }
    return GAN_OK;
}

/* Appends the layers.csv rows of an epoch (0: before training). */
int train_log_layers(run_t *run, int epoch, double steps, gan_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    int n_probe = run->n_samples < run->cfg.batch ? run->n_samples : run->cfg.batch;
    gan_generate(&run->gan, run->fixed_noise, n_probe);
    int rc = format_layer_rows(mem, run, epoch, "G", &run->gan.g, run->grad_norm_sums[0], steps,
                               run->probe_prob, err);
    net_forward_fp32(&run->gan.d, run->probe_real, n_probe);
    if (!rc)
        rc = format_layer_rows(mem, run, epoch, "D", &run->gan.d, run->grad_norm_sums[1], steps,
                               run->probe_prob, err);
    fclose(mem);
    if (!rc)
        rc = run_guard(run, err);
    if (!rc)
        rc = run_append(run->opts->run_dir, RUN_LAYERS, text, err);
    free(text);
    return rc;
}

/* samples/epoch_NNNN.png: G on the fixed noise, a batch at a time. */
int train_log_samples(run_t *run, int epoch, gan_err_t *err)
{
    const train_cfg_t *cfg = &run->cfg;
    const char *dir = run->opts->run_dir;
    size_t pixels = (size_t)cfg->arch.image_size;
    for (int start = 0; start < run->n_samples; start += cfg->batch) {
        int n = run->n_samples - start < cfg->batch ? run->n_samples - start : cfg->batch;
        const float *out =
            gan_generate(&run->gan, run->fixed_noise + (size_t)start * cfg->arch.z_dim, n);
        memcpy(run->samples + (size_t)start * pixels, out, (size_t)n * pixels * sizeof(float));
    }
    char path[PATH_MAX];
    int width, height;
    int rc = run_guard(run, err);
    if (!rc)
        rc = run_write_grid(dir, epoch, run->samples, run->n_samples, cfg->grid, run->data.rows,
                            run->data.cols, &width, &height, err);
    if (!rc)
        rc = run_sample_path(path, dir, epoch, err);
    return rc ? rc : run_log_image(run->events, path, height, width,
                                   (int64_t)epoch * run->steps_per_epoch, err);
}
