/* libFuzzer target for the strict readers of metrics.csv and layers.csv
 * (src/metrics_csv.c): any bytes, read through the stream entry points as
 * both kinds of table, must be either read completely or refused with one
 * message; on success every accessor is exercised on every column named in
 * the header. The same bytes then go through the resume's trim
 * (metrics_csv_trim) as each of a run's three logs: refused with one line
 * or trimmed, never a crash, a hang or a quadratic walk. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gan/metrics_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the values read go, so that the reads cannot be optimised away. */
static volatile double sink;

static void use_table(const metrics_csv_t *t)
{
    static const char *const cols[] = {"epoch", "g_loss", "fd", "net", "act", "layer", "nope"};
    int rows = metrics_csv_rows(t);
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        const double *v = metrics_csv_col(t, cols[c]);
        double sum = 0.0;
        for (int r = 0; v && r < rows; r++)
            sum += v[r];
        metrics_csv_last_finite_row(t, cols[c]);
        for (int r = -1; r <= rows; r++) {
            const char *s = metrics_csv_text(t, cols[c], r);
            if (s)
                sum += (double)strlen(s);
        }
        sink = sum;
    }
    (void)metrics_csv_name(t);
}

static void read_as(int layers, const uint8_t *data, size_t size)
{
    /* fmemopen refuses a zero-sized buffer in some libc versions; an empty
     * stream is then what /dev/null gives. */
    FILE *fp = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
    if (!fp)
        return;
    metrics_csv_t *t = NULL;
    gan_err_t err;
    int rc = layers ? metrics_csv_read_layers_fp(&t, fp, "fuzz.csv", &err)
                    : metrics_csv_read_fp(&t, fp, "fuzz.csv", &err);
    fclose(fp);
    if (rc == GAN_OK)
        use_table(t);
    else if (t || strchr(err.msg, '\n'))
        __builtin_trap(); /* the contract: NULL table and one line on error */
    metrics_csv_free(t);
}

static void trim_as(const csv_vouch_t *v, const uint8_t *data, size_t size)
{
    FILE *out = fopen("/dev/null", "w");
    if (!out)
        return;
    csv_trim_report_t rep;
    gan_err_t err;
    int rc = metrics_csv_trim(out, (const char *)data, size, "fuzz.csv", v, &rep, &err);
    fclose(out);
    if (rc != GAN_OK && (strchr(err.msg, '\n') || strncmp(err.msg, "fuzz.csv", 8) != 0))
        __builtin_trap();
    if (rc == GAN_OK && (rep.repeats < 0 || rep.tail < 0))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_as(0, data, size);
    read_as(1, data, size);
    static const csv_vouch_t vouch[] = {
        {METRICS_CSV_COLUMNS, "run", 1, 3, 1, 0},
        {LAYERS_CSV_COLUMNS, "run", 0, 2, 2, 0},
        {STEPS_CSV_COLUMNS, "run", 1, 40, 0, 40},
        {STEPS_CSV_COLUMNS, "run", 1, 40, 0, 0},
    };
    for (size_t i = 0; i < sizeof vouch / sizeof vouch[0]; i++)
        trim_as(&vouch[i], data, size);
    return 0;
}
