/* Strict readers of a run folder's tables: metrics.csv (one row per epoch,
 * DESIGN.md "Files a run writes") and layers.csv (per-layer statistics,
 * issue 6). Columns are found by header name, so columns appended later
 * are ignored; every required column must be present.
 *
 * Strict means a file is either read completely or refused with ONE message
 * "<file>:<line>: <what is wrong>" (GAN_ERR_INPUT): an empty file, a
 * header-only file (a run with no finished epoch), a last line without its
 * newline (a truncated write), a row with a different number of fields than
 * the header, an empty field or a field that is not a number, epochs out of
 * order. Numbers are read with strtod: "nan" and "inf" are accepted (a
 * diverged epoch is data to show, not a broken file); "\r\n" line ends too.
 *
 * Not a general CSV parser: no quoting, the separator is ','. */
#ifndef GAN_METRICS_CSV_H
#define GAN_METRICS_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "gan/error.h"

/* The columns metrics.csv must have: those of the first runs. Columns added
 * later (g_acc) are optional for readers, so old runs still read. */
#define METRICS_CSV_REQUIRED_COLUMNS \
    "epoch,steps,g_loss,d_loss,d_acc,d_acc_real,d_acc_fake,d_real,d_fake,seconds,images_per_sec"
/* The columns a run writes, in this order: the required ones, then g_acc
 * (issue 15), the generator's accuracy: the share of generated images D
 * takes for real, 1 - d_acc_fake. */
#define METRICS_CSV_COLUMNS METRICS_CSV_REQUIRED_COLUMNS ",g_acc"
/* Appended to METRICS_CSV_COLUMNS by runs that evaluate sample quality
 * (gan train --eval-every): Frechet distance, entropy of the predicted
 * classes in bits, classes with >= 5% of the samples, mean top-class
 * probability, seconds the evaluation took, and the share of samples
 * predicted as each digit. "nan" in epochs without an evaluation. */
#define METRICS_CSV_EVAL_COLUMNS                                                            \
    "fd,class_entropy,classes_covered,class_confidence,eval_seconds,class_0,class_1,"      \
    "class_2,class_3,class_4,class_5,class_6,class_7,class_8,class_9"
#define METRICS_CSV_N_EVAL_COLUMNS 15
/* The columns layers.csv must have; net ("G" or "D") and act (an
 * activation name) are text, the rest numbers. */
#define LAYERS_CSV_COLUMNS \
    "epoch,net,layer,act,act_mean,act_std,frac_saturated,frac_negative,weight_std,grad_norm"
/* What runs write since layers have kinds: the layer's name ("dense2",
 * text) at the end. Runs begun before it keep the columns above. */
#define LAYERS_CSV_NAMED_COLUMNS LAYERS_CSV_COLUMNS ",name"

/* steps.csv (issue 15): the losses and mean D outputs of single steps,
 * every --log-every steps; step is the global step (steps done since the
 * start of the run, epoch * steps_per_epoch + step in the epoch, 1-based). */
#define STEPS_CSV_COLUMNS "step,epoch,g_loss,d_loss,d_real,d_fake"

/* The most either table can hold (fs_read_all's cap): 100000 epochs, the
 * most --epochs allows, times 18 layers.csv rows of at most ~100 bytes
 * (%.6g numbers), or one metrics.csv row of at most ~1.2 KB (26 %.6f
 * numbers of floats), stays under 200 MB. */
#define METRICS_CSV_MAX_BYTES ((size_t)256 << 20)

/* A table read from one file: n_rows rows of named columns. */
typedef struct metrics_csv metrics_csv_t;

/* Reads metrics.csv at path into *out (caller frees with metrics_csv_free).
 * Besides the checks above: epoch is a whole number >= 0 and strictly
 * increasing. GAN_ERR_INPUT with "<path>:<line>: ..." on bad content or a
 * missing file; *out is NULL on error. */
int metrics_csv_read(metrics_csv_t **out, const char *path, gan_err_t *err);
/* The same from an open stream; name is used in messages. */
int metrics_csv_read_fp(metrics_csv_t **out, FILE *fp, const char *name, gan_err_t *err);

/* Reads layers.csv: epoch (whole, >= 0, never decreasing) and layer (whole,
 * >= 0) are numbers, net and act non-empty text. Unlike metrics.csv, a
 * header-only file is fine (a table of 0 rows): the trainer writes the
 * header before the first statistics. */
int metrics_csv_read_layers(metrics_csv_t **out, const char *path, gan_err_t *err);
int metrics_csv_read_layers_fp(metrics_csv_t **out, FILE *fp, const char *name, gan_err_t *err);

/* Reads steps.csv: step a whole number, strictly increasing; epoch whole
 * and never decreasing. A header-only file is a table of 0 rows (a run
 * with --log-every=0, or stopped before its first logged step). */
int metrics_csv_read_steps(metrics_csv_t **out, const char *path, gan_err_t *err);

/* Number of data rows (>= 1 for metrics.csv; may be 0 for layers.csv and steps.csv; 0 for
 * NULL). */
int metrics_csv_rows(const metrics_csv_t *t);
/* The values of a numeric column, n_rows of them, owned by t; NULL if the
 * header has no such column. A text column reads as NaN. */
const double *metrics_csv_col(const metrics_csv_t *t, const char *name);
/* The last row whose value in column name is finite, or -1 (no such
 * column, or no finite value: e.g. fd of a run that never evaluated). */
int metrics_csv_last_finite_row(const metrics_csv_t *t, const char *name);
/* The cell of a text column (owned by t); NULL if there is no such text
 * column or row is out of range. */
const char *metrics_csv_text(const metrics_csv_t *t, const char *name, int row);
/* The file name given when reading (for messages). */
const char *metrics_csv_name(const metrics_csv_t *t);

/* Frees t; NULL is fine. */
void metrics_csv_free(metrics_csv_t *t);

/* --- trimming a run's log to what its checkpoint vouches for (resume) --- */

/* What the checkpoint vouches for in one of a run's CSV logs. Rows are
 * keyed by their first column: the epoch (metrics.csv, layers.csv) or the
 * global step (steps.csv). */
typedef struct {
    const char *header;  /* the header line the run's settings give (no newline) */
    const char *run_dir; /* for the way out in messages */
    long first_key;      /* the first vouched key: 1 (metrics.csv), 0 (layers.csv) */
    long max_key;        /* the last vouched key: the checkpoint's epoch, or its global step */
    /* Rows every key first_key..max_key has: 1 (metrics.csv), one per layer
     * of G and D (layers.csv). 0: keys strictly increase with gaps
     * (steps.csv, logged every log_every steps), and last_logged is the
     * last vouched key there must be a row of (0: none, or not known). */
    int rows_per_key;
    long last_logged;
} csv_vouch_t;

/* What a trim repaired (each is said in one notice line by the caller). */
typedef struct {
    int header_restored; /* the first line was not the header (a row, damage, no
                          * file): the header was written from the settings */
    int repeats;         /* rows identical to an earlier row, dropped */
    int tail;            /* lines after the vouched rows, dropped: later rows
                          * (a kill between a row and its checkpoint), a torn
                          * or garbled last append */
} csv_trim_report_t;

/* Writes to out the header and exactly the rows of text (len bytes; NULL:
 * the file does not exist) that the checkpoint vouches for, repairing what
 * is certain (report above). Refused with GAN_ERR_INPUT, one line naming
 * name (and the line) and the fix, when a vouched row is lost or cannot
 * be trusted: the file is missing but rows are vouched for; a vouched key
 * has no row (a gap) or too few; a line inside the vouched rows that does
 * not parse (a NUL, the wrong number of fields) or goes back, or a second,
 * different row of a key. out is then partly written (the caller discards
 * it). Allocates a table of the rows (GAN_ERR_RUNTIME if it cannot). */
int metrics_csv_trim(FILE *out, const char *text, size_t len, const char *name,
                     const csv_vouch_t *vouch, csv_trim_report_t *report, gan_err_t *err);

#endif
