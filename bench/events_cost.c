/* The events writer's cost per epoch: the same records train.c and
 * run_files.c write, replayed through events.h (see events_cost.h). */
#include "events_cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gan/clock.h"
#include "gan/events.h"
#include "gan/fsutil.h"
#include "gan/png_grid.h"

/* The metrics.csv columns an epoch logs as scalars (without evaluation). */
enum { METRIC_SCALARS = 11 };
enum { GRID = 8, CELL = 28 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int write_histograms(events_writer_t *w, const net_t *net, int64_t step, gan_err_t *err)
{
    int rc = GAN_OK;
    for (int l = 0; l < net->n_layers && !rc; l++) {
        const layer_t *layer = &net->layers[l];
        rc = events_write_histogram(w, "weights", step, events_wall_time(),
                                    net->params + layer->w_off,
                                    (size_t)layer->n_in * layer->n_out, err);
        if (!rc)
            rc = events_write_histogram(w, "activations", step, events_wall_time(),
                                        net->acts[l], (size_t)net->batch * layer->n_out, err);
    }
    return rc;
}

static int one_epoch(const char *dir, const gan_t *gan, int steps_per_epoch, int log_every,
                     const char *png, size_t png_size, double *seconds, gan_err_t *err)
{
    events_writer_t *w = NULL;
    double t0 = clock_seconds();
    int rc = events_open(&w, dir, events_wall_time(), err);
    for (int s = 1; s <= steps_per_epoch && !rc; s++) {
        if (s % log_every != 0 && s != 1)
            continue;
        for (int k = 0; k < 4 && !rc; k++) /* g_loss, d_loss, d_real, d_fake */
            rc = events_write_scalar(w, "step/loss", s, events_wall_time(), 0.5f + 0.001f * s,
                                     err);
    }
    for (int k = 0; k < METRIC_SCALARS && !rc; k++)
        rc = events_write_scalar(w, "epoch/metric", steps_per_epoch, events_wall_time(), 0.7f,
                                 err);
    if (!rc)
        rc = write_histograms(w, &gan->g, steps_per_epoch, err);
    if (!rc)
        rc = write_histograms(w, &gan->d, steps_per_epoch, err);
    if (!rc)
        rc = events_write_image(w, "samples", steps_per_epoch, events_wall_time(), png, png_size,
                                GRID * (CELL + 2) + 2, GRID * (CELL + 2) + 2, EVENTS_GRAY, err);
    if (!rc)
        rc = events_flush(w, err);
    if (w) {
        char path[4096];
        snprintf(path, sizeof path, "%s", events_path(w));
        int close_rc = events_close(w, err);
        rc = rc ? rc : close_rc;
        unlink(path);
    }
    *seconds = clock_seconds() - t0;
    return rc;
}

int bench_events_epoch(const gan_t *gan, int steps_per_epoch, int log_every, int rounds,
                       double *ms)
{
    char dir[] = "/tmp/gan-bench-events-XXXXXX", png_path[64];
    gan_err_t err;
    if (!mkdtemp(dir))
        return -1;
    /* A grid of G's current outputs, as the trainer saves it. */
    snprintf(png_path, sizeof png_path, "%s/grid.png", dir);
    char *png = NULL;
    size_t png_size = 0;
    double *times = calloc((size_t)rounds, sizeof *times);
    int rc = times ? GAN_OK : -1;
    if (!rc)
        rc = png_grid_write(png_path, gan->g.acts[gan->g.n_layers - 1], GRID * GRID, GRID, CELL,
                            CELL, 2, &err);
    if (!rc)
        rc = fs_read_all(png_path, (size_t)16 << 20, &png, &png_size, &err);
    unlink(png_path);
    for (int r = 0; r < rounds && !rc; r++)
        rc = one_epoch(dir, gan, steps_per_epoch, log_every, png, png_size, &times[r], &err);
    if (rc)
        fprintf(stderr, "gan-bench: events: %s\n", rc == -1 ? "out of memory" : err.msg);
    else {
        qsort(times, (size_t)rounds, sizeof *times, cmp_double);
        *ms = times[rounds / 2] * 1e3;
    }
    free(png);
    free(times);
    rmdir(dir);
    return rc ? -1 : 0;
}
