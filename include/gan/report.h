/* The comparison report (`gan report`, issue 5; layer charts, issue 6):
 * reads run folders and writes SVG charts plus one self-contained HTML page.
 *
 * Inputs are run folders (with metrics.csv) or experiment folders (whose
 * subfolders with metrics.csv are runs, taken in name order). Per run it
 * reads metrics.csv (strictly, see metrics_csv.h), config.json (init,
 * g_init, d_init, seed, epochs; optional: without it the run is labelled
 * and coloured by its folder name), samples/epoch_NNNN.png and the optional
 * layers.csv.
 *
 * Charts (one SVG file each, also inlined in the page):
 *   g_loss.svg, d_loss.svg, d_acc.svg, d_real_fake.svg (D(x) solid, D(G(z))
 *   dashed) against epoch, one colour per init scheme. An init with several
 *   runs (seeds) is drawn as its mean line over the epochs all its runs have,
 *   with a shaded min-max band; a run longer than the others of its init
 *   continues as a thin line as far as it goes.
 *   layers_grad_norm.svg (log y) and layers_act_std.svg when any run has
 *   layers.csv: one small panel per (net, layer), a line per init (the mean
 *   over the runs that have that epoch).
 * The page adds a table of final-epoch metrics per run, mean +- std per init
 * when it has several runs, and each run's sample grids at the first,
 * middle and last epoch, embedded as PNG data URIs. No scripts, no external
 * files, no network.
 *
 * Library code: prints nothing, returns GAN_OK or a gan_err_t message
 * "<file>:<line>: <what>" (GAN_ERR_INPUT for bad input folders and files,
 * GAN_ERR_RUNTIME when writing fails). Every output file is written
 * atomically. Deliberately not here: training, reading checkpoints,
 * decoding PNGs (they are embedded as they are, after a signature check). */
#ifndef GAN_REPORT_H
#define GAN_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "gan/error.h"

/* The chart files the report writes (layer charts only with layers.csv,
 * fd.svg only when some run evaluated sample quality, gan train
 * --eval-every). */
#define REPORT_N_METRIC_CHARTS 5
#define REPORT_N_LAYER_CHARTS 2
extern const char *const report_metric_charts[REPORT_N_METRIC_CHARTS]; /* "g_loss.svg", ... */
extern const char *const report_layer_charts[REPORT_N_LAYER_CHARTS];   /* "layers_grad_norm.svg", ... */

typedef struct {
    const char *const *inputs; /* run or experiment folders, n_inputs >= 1 */
    int n_inputs;
    const char *html_path;     /* NULL: <EXP>/report.html when the only input is an
                                  experiment folder, else ./report.html */
    const char *svg_dir;       /* NULL: the folder of the page */
} report_opts_t;

/* Reads every run, writes the SVG charts into the SVG folder and the page
 * (creating both folders if needed). On success the page's path is copied
 * to html_out (if not NULL, truncated to html_out_size). Nothing is written
 * when an input is bad: all runs are read before the first file is
 * written. */
int report_write(const report_opts_t *opts, char *html_out, size_t html_out_size, gan_err_t *err);

/* Writes n bytes as standard base64 (RFC 4648, with '=' padding, no line
 * breaks): the payload of a data URI. */
void report_base64_fp(FILE *fp, const unsigned char *data, size_t n);

#endif
