/* TensorBoard event-file writer; see events.h for the file format and the
 * guarantees.
 *
 * Sources (numbers and constants only, no code taken):
 *  - tensorflow/core/util/event.proto: Event {double wall_time = 1;
 *    int64 step = 2; oneof what {string file_version = 3; Summary summary = 5;
 *    SessionLog session_log = 7; ...}}, SessionLog {SessionStatus status = 1}
 *    with START = 1;
 *  - tensorflow/core/framework/summary.proto: Summary {repeated Value value
 *    = 1}, Summary.Value {string tag = 1; oneof value {float simple_value = 2;
 *    Image image = 4; HistogramProto histo = 5; ...}}, Summary.Image
 *    {int32 height = 1; int32 width = 2; int32 colorspace = 3;
 *    bytes encoded_image_string = 4}, HistogramProto {double min = 1;
 *    max = 2; num = 3; sum = 4; sum_squares = 5; repeated double
 *    bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]};
 *  - tensorflow/core/lib/io/record_writer.h: the record framing (see
 *    events.h) with crc32c::Mask of tensorflow/core/lib/hash/crc32c.h;
 *  - tensorflow/core/lib/histogram/histogram.cc: default bucket limits and
 *    EncodeToProto's merging of empty buckets;
 *  - the file name: TensorFlow's EventsWriter and TensorBoard's loaders
 *    select files by "tfevents" in the name and read them in name order.
 *
 * Messages are serialized as protobuf's own serializer would: fields in
 * field-number order, proto3 fields holding their default (0, empty) left
 * out, members of a oneof always written (a oneof member has presence: a
 * scalar of value 0 must still say it is a simple_value). The tests check
 * that protoc re-encodes its decoding of every record to the same bytes.
 *
 * What this file does not do: read event files, write the newer
 * tensor-based summaries (TensorBoard converts the legacy ones itself),
 * compress records, or decide what to log (train.c does). */
#include "gan/events.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gan/crc32c.h"
#include "gan/pbuf.h"

/* Field numbers (sources above). */
enum {
    EVENT_WALL_TIME = 1,
    EVENT_STEP = 2,
    EVENT_FILE_VERSION = 3,
    EVENT_SUMMARY = 5,
    EVENT_SESSION_LOG = 7,
    SESSION_LOG_STATUS = 1,
    SESSION_LOG_START = 1, /* SessionLog.SessionStatus.START */
    SUMMARY_VALUE = 1,
    VALUE_TAG = 1,
    VALUE_SIMPLE_VALUE = 2,
    VALUE_IMAGE = 4,
    VALUE_HISTO = 5,
    IMAGE_HEIGHT = 1,
    IMAGE_WIDTH = 2,
    IMAGE_COLORSPACE = 3,
    IMAGE_ENCODED = 4,
    HISTO_MIN = 1,
    HISTO_MAX = 2,
    HISTO_NUM = 3,
    HISTO_SUM = 4,
    HISTO_SUM_SQUARES = 5,
    HISTO_BUCKET_LIMIT = 6,
    HISTO_BUCKET = 7
};

/* event.proto: "Current version is "brain.Event:2"". TensorBoard's restart
 * handling (SessionLog START) is enabled only for versions >= 2. */
#define EVENTS_FILE_VERSION "brain.Event:2"

/* TFRecord: u64 length + u32 masked CRC before the data, u32 masked CRC
 * after it (record_writer.h, kHeaderSize and kFooterSize). */
enum { RECORD_HEADER = 12, RECORD_FOOTER = 4 };

/* Record buffer allocated at open: an 8 x 8 grid PNG is ~15 KB and a
 * histogram of trained weights ~6 KB, so records almost never grow it. */
enum { EVENTS_INITIAL_BUFFER = 64 * 1024 };
/* stdio buffer of the file: several records per write(2). */
enum { EVENTS_STDIO_BUFFER = 64 * 1024 };

/* histogram.cc: positive limits start at 1e-12 and grow by 10% while below
 * 1e20; computed by repeated multiplication, exactly as TF does, because
 * 1e-12 * pow(1.1, k) rounds differently for some k. */
#define HISTO_FIRST_LIMIT 1.0e-12
#define HISTO_GROWTH 1.1
#define HISTO_LAST_BELOW 1.0e20

/* Top bits of a non-negative double that index pos_below: 11 exponent
 * bits and 4 mantissa bits; 0x7FF0 and up are inf and NaN. */
enum { SLICE_SHIFT = 48, SLICES = 1 << 15, SLICES_FINITE = 0x7FF0 };

struct events_writer {
    FILE *fp;
    char *iobuf;           /* stdio's buffer, EVENTS_STDIO_BUFFER bytes: ours, so
                              its size is known (glibc ignores the size of
                              setvbuf without a buffer and uses st_blksize) */
    char path[PATH_MAX];
    pbuf_t rec;            /* one framed record: header, Event, footer */
    int failed;            /* sticky after a failed write */
    gan_err_t failure;     /* the message of that write */
    /* At least the bytes in stdio's buffer (written since the last fflush):
     * a record that could overflow it flushes first, after the gate, so
     * stdio never writes to the file on its own. */
    size_t pending;
    events_gate_fn gate;   /* asked before anything reaches the file; may be NULL */
    void *gate_ctx;
    /* TF's default histogram: n_limits = 2 * n_pos + 1 limits, namely
     * -pos[n_pos-1] .. -pos[0], 0, pos[0] .. pos[n_pos-1], where pos holds
     * the positive limits ending with DBL_MAX. */
    size_t n_pos;
    size_t n_limits;
    double *pos;
    double *limits;
    /* pos_below[p]: how many pos[] are below the smallest double whose top
     * 16 bits (sign 0, 11 exponent bits, 4 mantissa bits) are p. Such a
     * slice of the doubles spans a ratio of at most 1 + 1/16 < 1.1, so it
     * holds at most one limit, and a value's place among the limits is one
     * table load and one comparison: no search and no unpredictable branch
     * (the weights of both networks are 3 M values an epoch). */
    uint16_t *pos_below;
    uint64_t *counts;      /* per bucket, n_limits */
    double *out_limit;     /* the merged buckets written, n_limits at most */
    double *out_count;
};

const char *events_path(const events_writer_t *w)
{
    return w->path;
}

double events_wall_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- histogram buckets ---------------------------------------------------- */

static int histo_init(events_writer_t *w)
{
    size_t n = 0;
    for (double v = HISTO_FIRST_LIMIT; v < HISTO_LAST_BELOW; v *= HISTO_GROWTH)
        n++;
    w->n_pos = n + 1;
    w->n_limits = 2 * w->n_pos + 1;
    /* one more: pos[n_pos] = +inf, a sentinel the lookups may read */
    w->pos = malloc((w->n_pos + 1) * sizeof *w->pos);
    w->limits = malloc(w->n_limits * sizeof *w->limits);
    w->counts = malloc(w->n_limits * sizeof *w->counts);
    w->out_limit = malloc(w->n_limits * sizeof *w->out_limit);
    w->out_count = malloc(w->n_limits * sizeof *w->out_count);
    w->pos_below = malloc(SLICES * sizeof *w->pos_below);
    if (!w->pos || !w->limits || !w->counts || !w->out_limit || !w->out_count ||
        !w->pos_below)
        return 0;
    size_t k = 0;
    for (double v = HISTO_FIRST_LIMIT; v < HISTO_LAST_BELOW; v *= HISTO_GROWTH)
        w->pos[k++] = v;
    w->pos[k] = DBL_MAX;
    w->pos[k + 1] = INFINITY;
    for (size_t i = 0; i < w->n_pos; i++) {
        w->limits[i] = -w->pos[w->n_pos - 1 - i];
        w->limits[w->n_pos + 1 + i] = w->pos[i];
    }
    w->limits[w->n_pos] = 0.0;
    size_t below = 0;
    for (uint32_t p = 0; p < SLICES; p++) {
        uint64_t bits = (uint64_t)p << SLICE_SHIFT;
        double lowest;
        memcpy(&lowest, &bits, sizeof lowest);
        while (p < SLICES_FINITE && below < w->n_pos && w->pos[below] < lowest)
            below++;
        w->pos_below[p] = (uint16_t)below;
    }
    return 1;
}

/* TF's bucket of a finite x: the index of the first limit greater than x
 * (std::upper_bound over the limits). TF would index one past the end for
 * x == DBL_MAX; that value goes into the last bucket here. */
static size_t histo_bucket(const events_writer_t *w, double x)
{
    double a = fabs(x);
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    size_t below = w->pos_below[bits >> SLICE_SHIFT];
    size_t lt = below + (w->pos[below] < a); /* how many pos[] are < |x| */
    size_t le = lt + (w->pos[lt] == a);      /* how many pos[] are <= |x| */
    /* x >= 0: the first limit > x is pos[le], at index n_pos + 1 + le.
     * x < 0: -pos[i] > x for pos[i] < |x|; the first such limit in
     * increasing order is -pos[lt - 1], at index n_pos - lt (lt == 0: the
     * limit 0, at index n_pos). */
    size_t b = x >= 0.0 ? w->n_pos + 1 + le : w->n_pos - lt;
    return b < w->n_limits ? b : w->n_limits - 1;
}

/* ---- records -------------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Starts a record in w->rec: room for the header, then the Event's
 * wall_time and step (left out when 0, the proto3 default). */
static void record_begin(events_writer_t *w, int64_t step, double wall_time)
{
    static const uint8_t header[RECORD_HEADER];
    pbuf_reset(&w->rec);
    pbuf_put_raw(&w->rec, header, sizeof header);
    uint64_t bits;
    memcpy(&bits, &wall_time, sizeof bits);
    if (bits)
        pbuf_double(&w->rec, EVENT_WALL_TIME, wall_time);
    if (step)
        pbuf_int64(&w->rec, EVENT_STEP, step);
}

/* Marks the writer failed (every later write and flush fails; close
 * discards what is buffered) with the message in err. */
static int fail(events_writer_t *w, gan_err_t *err)
{
    w->failed = 1;
    snprintf(w->failure.msg, sizeof w->failure.msg, "%s", err ? err->msg : "");
    return GAN_ERR_RUNTIME;
}

/* The gate before bytes reach the file; a refusal fails the writer. */
static int pass_gate(events_writer_t *w, gan_err_t *err)
{
    if (!w->gate)
        return GAN_OK;
    gan_err_t why;
    if (w->gate(w->gate_ctx, &why) == GAN_OK)
        return GAN_OK;
    if (err)
        *err = why;
    return fail(w, &why);
}

void events_set_gate(events_writer_t *w, events_gate_fn gate, void *ctx)
{
    w->gate = gate;
    w->gate_ctx = ctx;
}

/* Frames and writes the record built since record_begin. */
static int record_finish(events_writer_t *w, gan_err_t *err)
{
    pbuf_t *r = &w->rec;
    if (pbuf_ok(r)) {
        size_t n = r->len - RECORD_HEADER;
        put_le(r->data, n, 8);
        put_le(r->data + 8, crc32c_mask(crc32c_value(r->data, 8)), 4);
        pbuf_put_fixed32(r, crc32c_mask(crc32c_value(r->data + RECORD_HEADER, n)));
    }
    if (!pbuf_ok(r))
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory for a %zu-byte event",
                           w->path, r->len);
    /* The record would overflow stdio's buffer, which would then write on
     * its own: ask the gate and write the buffer out ourselves first. */
    if (w->pending + r->len >= EVENTS_STDIO_BUFFER) {
        int rc = pass_gate(w, err);
        if (rc)
            return rc;
        if (fflush(w->fp) != 0) {
            int e = errno;
            w->failed = 1;
            gan_err_set(&w->failure, GAN_ERR_RUNTIME, "%s: write failed (%s)", w->path,
                        e ? strerror(e) : "I/O error");
            return gan_err_set(err, GAN_ERR_RUNTIME, "%s", w->failure.msg);
        }
        w->pending = 0;
    }
    w->pending += r->len;
    if (fwrite(r->data, 1, r->len, w->fp) != r->len) {
        int e = errno;
        w->failed = 1;
        gan_err_set(&w->failure, GAN_ERR_RUNTIME, "%s: write failed (%s)", w->path,
                    e ? strerror(e) : "I/O error");
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s", w->failure.msg);
    }
    return GAN_OK;
}

/* The checks every write starts with; GAN_OK when it may go on. */
static int write_check(events_writer_t *w, const char *tag, gan_err_t *err)
{
    if (!w)
        return gan_err_set(err, GAN_ERR_INPUT, "events: no writer");
    if (w->failed)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s (an earlier write failed)",
                           w->failure.msg);
    if (tag && !tag[0])
        return gan_err_set(err, GAN_ERR_INPUT, "%s: empty summary tag", w->path);
    return GAN_OK;
}

/* Event.summary with one Value named tag, opened; close with value_end. */
static void value_begin(events_writer_t *w, const char *tag, size_t *summary, size_t *value)
{
    *summary = pbuf_begin(&w->rec, EVENT_SUMMARY);
    *value = pbuf_begin(&w->rec, SUMMARY_VALUE);
    pbuf_string(&w->rec, VALUE_TAG, tag);
}

static void value_end(events_writer_t *w, size_t summary, size_t value)
{
    pbuf_end(&w->rec, value);
    pbuf_end(&w->rec, summary);
}

int events_write_scalar(events_writer_t *w, const char *tag, int64_t step, double wall_time,
                        float value, gan_err_t *err)
{
    int rc = write_check(w, tag ? tag : "", err);
    if (rc)
        return rc;
    size_t s, v;
    record_begin(w, step, wall_time);
    value_begin(w, tag, &s, &v);
    pbuf_float(&w->rec, VALUE_SIMPLE_VALUE, value);
    value_end(w, s, v);
    return record_finish(w, err);
}

int events_write_image(events_writer_t *w, const char *tag, int64_t step, double wall_time,
                       const void *png, size_t n, int height, int width,
                       events_colorspace_t colorspace, gan_err_t *err)
{
    int rc = write_check(w, tag ? tag : "", err);
    if (rc)
        return rc;
    if (!png || n == 0 || height < 1 || width < 1 || colorspace < EVENTS_GRAY ||
        colorspace > EVENTS_RGBA)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: image '%s': need encoded bytes, height and width >= 1 and "
                           "colorspace 1..4 (got %zu bytes, %d x %d, colorspace %d)",
                           w->path, tag, n, height, width, (int)colorspace);
    size_t s, v;
    record_begin(w, step, wall_time);
    pbuf_reserve(&w->rec, n + 64);
    value_begin(w, tag, &s, &v);
    size_t img = pbuf_begin(&w->rec, VALUE_IMAGE);
    pbuf_int64(&w->rec, IMAGE_HEIGHT, height);
    pbuf_int64(&w->rec, IMAGE_WIDTH, width);
    pbuf_int64(&w->rec, IMAGE_COLORSPACE, colorspace);
    pbuf_bytes(&w->rec, IMAGE_ENCODED, png, n);
    pbuf_end(&w->rec, img);
    value_end(w, s, v);
    return record_finish(w, err);
}

/* A double field of a proto3 message, left out when it holds the default
 * (all bits zero: -0.0 is written, as protobuf does). */
static void put_double_nondefault(pbuf_t *b, uint32_t field, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    if (bits)
        pbuf_double(b, field, x);
}

int events_write_histogram(events_writer_t *w, const char *tag, int64_t step,
                           double wall_time, const float *values, size_t n, gan_err_t *err)
{
    int rc = write_check(w, tag ? tag : "", err);
    if (rc)
        return rc;
    if (!values && n)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: histogram '%s': no values", w->path, tag);
    /* histogram.cc, Clear() and Add(): min starts at the last limit
     * (DBL_MAX), max at -DBL_MAX; sums in double, in order. */
    double mn = DBL_MAX, mx = -DBL_MAX, num = 0.0, sum = 0.0, sum_sq = 0.0;
    memset(w->counts, 0, w->n_limits * sizeof *w->counts);
    for (size_t i = 0; i < n; i++) {
        double x = values[i];
        if (!isfinite(x))
            continue;
        w->counts[histo_bucket(w, x)]++;
        if (x < mn)
            mn = x;
        if (x > mx)
            mx = x;
        num += 1.0;
        sum += x;
        sum_sq += x * x;
    }
    /* histogram.cc, EncodeToProto(preserve_zero_buckets = false): a run of
     * empty buckets becomes one empty bucket ending at the run's last
     * limit; non-empty buckets are kept as they are. */
    size_t m = 0;
    for (size_t i = 0; i < w->n_limits;) {
        double end = w->limits[i];
        uint64_t count = w->counts[i];
        i++;
        if (count == 0)
            while (i < w->n_limits && w->counts[i] == 0)
                end = w->limits[i++];
        w->out_limit[m] = end;
        w->out_count[m] = (double)count;
        m++;
    }
    record_begin(w, step, wall_time);
    pbuf_reserve(&w->rec, 16 * m + 256);
    size_t s, v;
    value_begin(w, tag, &s, &v);
    size_t h = pbuf_begin(&w->rec, VALUE_HISTO);
    put_double_nondefault(&w->rec, HISTO_MIN, mn);
    put_double_nondefault(&w->rec, HISTO_MAX, mx);
    put_double_nondefault(&w->rec, HISTO_NUM, num);
    put_double_nondefault(&w->rec, HISTO_SUM, sum);
    put_double_nondefault(&w->rec, HISTO_SUM_SQUARES, sum_sq);
    pbuf_packed_double(&w->rec, HISTO_BUCKET_LIMIT, w->out_limit, m);
    pbuf_packed_double(&w->rec, HISTO_BUCKET, w->out_count, m);
    pbuf_end(&w->rec, h);
    value_end(w, s, v);
    return record_finish(w, err);
}

int events_write_session_start(events_writer_t *w, int64_t step, double wall_time,
                               gan_err_t *err)
{
    int rc = write_check(w, NULL, err);
    if (rc)
        return rc;
    record_begin(w, step, wall_time);
    size_t s = pbuf_begin(&w->rec, EVENT_SESSION_LOG);
    pbuf_uint64(&w->rec, SESSION_LOG_STATUS, SESSION_LOG_START);
    pbuf_end(&w->rec, s);
    return record_finish(w, err);
}

int events_flush(events_writer_t *w, gan_err_t *err)
{
    int rc = write_check(w, NULL, err);
    if (!rc)
        rc = pass_gate(w, err);
    if (rc)
        return rc;
    w->pending = 0;
    if (fflush(w->fp) != 0 || fsync(fileno(w->fp)) != 0) {
        int e = errno;
        w->failed = 1;
        gan_err_set(&w->failure, GAN_ERR_RUNTIME, "%s: flush failed (%s)", w->path,
                    e ? strerror(e) : "I/O error");
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s", w->failure.msg);
    }
    return GAN_OK;
}

/* ---- lifetime ------------------------------------------------------------- */

static void writer_free(events_writer_t *w)
{
    pbuf_free(&w->rec);
    free(w->pos);
    free(w->limits);
    free(w->counts);
    free(w->out_limit);
    free(w->out_count);
    free(w->pos_below);
    free(w->iobuf);
    free(w);
}

/* Creates the file under a name not yet taken (see events.h); opens it
 * with O_EXCL so that an existing file is never appended to or truncated. */
static int create_file(events_writer_t *w, const char *dir, double wall_time, gan_err_t *err)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    for (char *c = host; *c; c++)
        if (*c == '/')
            *c = '_';
    long long secs = (long long)floor(wall_time);
    for (int attempt = 0; attempt <= 9; attempt++) {
        char suffix[16] = "";
        if (attempt)
            snprintf(suffix, sizeof suffix, ".%d", attempt);
        int len = snprintf(w->path, sizeof w->path, "%s/" EVENTS_FILE_PREFIX "%010lld.%s.%ld%s",
                           dir, secs, host, (long)getpid(), suffix);
        if (len < 0 || (size_t)len >= sizeof w->path)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: folder name too long for an events file",
                               dir);
        int fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot create (%s)", w->path,
                               strerror(errno));
        w->fp = fdopen(fd, "ab");
        if (!w->fp) {
            int e = errno;
            close(fd);
            unlink(w->path);
            return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot open (%s)", w->path,
                               strerror(e));
        }
        setvbuf(w->fp, w->iobuf, _IOFBF, EVENTS_STDIO_BUFFER);
        return GAN_OK;
    }
    return gan_err_set(err, GAN_ERR_RUNTIME,
                       "%s: events files of this second and process already exist up to .9",
                       w->path);
}

int events_open(events_writer_t **out, const char *dir, double wall_time, gan_err_t *err)
{
    *out = NULL;
    events_writer_t *w = calloc(1, sizeof *w);
    if (!w)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory for an events writer", dir);
    int rc = pbuf_init_grow(&w->rec, EVENTS_INITIAL_BUFFER, err);
    w->iobuf = malloc(EVENTS_STDIO_BUFFER);
    if (rc == GAN_OK && (!histo_init(w) || !w->iobuf))
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory for an events writer", dir);
    if (rc == GAN_OK)
        rc = create_file(w, dir, wall_time, err);
    if (rc) {
        writer_free(w);
        return rc;
    }
    record_begin(w, 0, wall_time);
    pbuf_string(&w->rec, EVENT_FILE_VERSION, EVENTS_FILE_VERSION);
    rc = record_finish(w, err);
    if (rc == GAN_OK)
        rc = events_flush(w, err);
    if (rc) {
        fclose(w->fp);
        unlink(w->path);
        writer_free(w);
        return rc;
    }
    *out = w;
    return GAN_OK;
}

int events_close(events_writer_t *w, gan_err_t *err)
{
    if (!w)
        return GAN_OK;
    int rc = events_flush(w, err);
    /* After a failure or a refused gate nothing more may reach the file:
     * what stdio still buffers is dropped, not written by fclose. */
    if (w->failed)
        __fpurge(w->fp);
    if (fclose(w->fp) != 0 && rc == GAN_OK)
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: close failed (%s)", w->path,
                         strerror(errno));
    writer_free(w);
    return rc;
}
