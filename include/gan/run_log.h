/* A run's TensorBoard event file (events.h): what the run's files hold, as
 * TensorBoard shows it. The trainer (train_log.c) hands over the same
 * values it writes to the files, so the curves are exactly the files'.
 *
 * Steps are global: steps done since the run started, so the first step is
 * 1 and the end of epoch e is e * steps_per_epoch. Everything a checkpoint
 * vouches for then has a step at most the checkpoint's, and a resumed
 * process, whose first step is one more, opens its event file with a
 * SessionLog START there: TensorBoard drops what the killed process logged
 * after the checkpoint (events with step >= START's), and keeps the rest.
 *
 * Every function takes the writer (NULL: the run has no event file,
 * --no-events, and the call does nothing). Nothing here allocates per call
 * (scalars go through the writer's record buffer) except run_log_image,
 * which reads the grid back from its file once an epoch. Not done here:
 * reading event files (tests do, with protoc). */
#ifndef GAN_RUN_LOG_H
#define GAN_RUN_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"
#include "gan/events.h"
#include "gan/run_files.h"

/* Opens a new event file in dir (events_open); every write first asks
 * gate(ctx) (events_set_gate: a writer that lost its lock writes no
 * event). resume_step > 0: the run resumes and its first step is
 * resume_step; the file starts with a SessionLog START there. 0: a new
 * run. */
int run_log_open(events_writer_t **out, const char *dir, int64_t resume_step,
                 events_gate_fn gate, void *ctx, gan_err_t *err);

/* The step scalars of one steps.csv row (step/g_loss, ... at r->step). */
int run_log_step(events_writer_t *ev, const run_step_row_t *r, gan_err_t *err);

/* Epoch scalars: every field of a metrics.csv row (header and row as the
 * file has them), tagged by column, at step. */
int run_log_metrics(events_writer_t *ev, const char *header, const char *row, int64_t step,
                    gan_err_t *err);

/* Histograms of one layer's weights and probe-batch activations. */
int run_log_histograms(events_writer_t *ev, const char *net_name, const char *layer_name,
                       const float *weights, size_t n_weights, const float *acts, size_t n_acts,
                       int64_t step, gan_err_t *err);

/* The grid PNG at png_path (height x width pixels) as an image summary. */
int run_log_image(events_writer_t *ev, const char *png_path, int height, int width, int64_t step,
                  gan_err_t *err);

#endif
