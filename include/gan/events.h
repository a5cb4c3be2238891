/* TensorBoard event files: scalars, images, histograms and session starts
 * written while a run trains, readable by `tensorboard --logdir runs`.
 *
 * A file is a sequence of TFRecords (tensorflow/core/lib/io/record_writer.h):
 * u64 little-endian length, u32 masked CRC-32C of those 8 bytes, the data,
 * u32 masked CRC-32C of the data. Each record's data is one serialized
 * tensorflow.Event (tensorflow/core/util/event.proto); the first carries
 * file_version "brain.Event:2". Scalars, images and histograms are the
 * legacy Summary.Value kinds (simple_value, image, histo of
 * tensorflow/core/framework/summary.proto), which TensorBoard still reads.
 *
 * Records are appended and never rewritten. A crash can leave a torn last
 * record; TensorBoard's reader treats a short or bad last record as the end
 * of the data written so far, so everything before it stays readable. On
 * --resume, the caller opens a NEW file and writes a SessionLog START at the
 * resume step first: TensorBoard then discards the events of earlier files
 * with a step at or after it ("restart" handling of its event accumulator).
 *
 * All memory is allocated in events_open; a write allocates only in the
 * rare case that a record is larger than any before (the record buffer
 * doubles). Writes go through stdio: call events_flush (fflush + fsync)
 * when the data should be on disk, e.g. at the end of an epoch.
 * Not thread-safe: one writer per thread. */
#ifndef GAN_EVENTS_H
#define GAN_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "gan/error.h"

typedef struct events_writer events_writer_t;

/* Every event file's name starts so; TensorBoard finds files by it. */
#define EVENTS_FILE_PREFIX "events.out.tfevents."

/* Image colorspaces of Summary.Image (summary.proto, field 3). */
typedef enum {
    EVENTS_GRAY = 1,
    EVENTS_GRAY_ALPHA = 2,
    EVENTS_RGB = 3,
    EVENTS_RGBA = 4
} events_colorspace_t;

/* ---- lifetime ----------------------------------------------------------- */

/* Creates "<dir>/events.out.tfevents.<unix-seconds>.<hostname>.<pid>" (the
 * seconds of wall_time, zero-padded to 10 digits as TensorFlow's writer
 * does) and writes the file_version record stamped wall_time. dir must
 * exist. The name is never reused: if it exists (a second writer of this
 * process in the same second) ".1" .. ".9" is appended, which keeps the
 * files in creation order for TensorBoard's name-sorted loading.
 * *out is the writer (free with events_close) or NULL on error:
 * GAN_ERR_RUNTIME naming the file when it cannot be created or written,
 * or on out of memory. */
int events_open(events_writer_t **out, const char *dir, double wall_time, gan_err_t *err);

/* Flushes, fsyncs and closes the file and frees the writer. Returns the
 * error of that final flush (GAN_ERR_RUNTIME naming the file) or of an
 * earlier failed write, else GAN_OK; after a failed write or a refused
 * gate what is still buffered is dropped, never written. Accepts NULL
 * (GAN_OK). */
int events_close(events_writer_t *w, gan_err_t *err);

/* Asked before any bytes reach the file (a flush, the close, a record that
 * would fill stdio's buffer): GAN_OK lets them through; anything else
 * fails the writer as a failed write does, with the gate's message, and
 * nothing more is ever written (a run's writer that lost its lock). */
typedef int (*events_gate_fn)(void *ctx, gan_err_t *err);
void events_set_gate(events_writer_t *w, events_gate_fn gate, void *ctx);

/* Path of the writer's file (owned by the writer). */
const char *events_path(const events_writer_t *w);

/* The current time as TensorBoard wants it: seconds since the Unix epoch
 * (CLOCK_REALTIME), with sub-second precision. */
double events_wall_time(void);

/* ---- records -------------------------------------------------------------
 * Every write returns GAN_OK, GAN_ERR_INPUT for a bad argument (nothing is
 * written), or GAN_ERR_RUNTIME naming the file when the write fails. After
 * a failed write every later write and flush fails too (the file may end
 * in a torn record, which no reader reads past). tag must be non-empty;
 * '/' groups tags in TensorBoard ("loss/g"). wall_time is seconds since the
 * Unix epoch (events_wall_time()). */

/* Summary.Value.simple_value: one point of a scalar curve. NaN and inf are
 * written as they are (TensorBoard shows them). */
int events_write_scalar(events_writer_t *w, const char *tag, int64_t step, double wall_time,
                        float value, gan_err_t *err);

/* Summary.Image: an encoded image (PNG bytes, n of them) of height x width
 * pixels in the given colorspace. The bytes are copied as they are. */
int events_write_image(events_writer_t *w, const char *tag, int64_t step, double wall_time,
                       const void *png, size_t n, int height, int width,
                       events_colorspace_t colorspace, gan_err_t *err);

/* HistogramProto of values[0..n) over TensorFlow's default buckets
 * (tensorflow/core/lib/histogram/histogram.cc): limits 0, +-1e-12 * 1.1^k
 * below 1e20, and +-DBL_MAX; min, max, num, sum and sum of squares in
 * double; runs of empty buckets merged into one empty bucket as TF's
 * EncodeToProto does. Non-finite values are left out of every field (TF
 * would index past its bucket array for +inf and NaN). With no finite
 * value, min = DBL_MAX, max = -DBL_MAX and one empty bucket, as TF writes
 * an empty histogram. values may be NULL when n is 0. */
int events_write_histogram(events_writer_t *w, const char *tag, int64_t step,
                           double wall_time, const float *values, size_t n, gan_err_t *err);

/* SessionLog{status: START} at step: written first into the new file of a
 * resumed run, so TensorBoard drops what the killed process logged after
 * its last checkpoint (see the top of this header). */
int events_write_session_start(events_writer_t *w, int64_t step, double wall_time,
                               gan_err_t *err);

/* fflush + fsync: every record written so far is on disk on GAN_OK. */
int events_flush(events_writer_t *w, gan_err_t *err);

#endif
