/* Small SVG writing primitives for charts: a document, text, lines,
 * rectangles, circles and polylines, a categorical palette, "nice" axis
 * ticks (1-2-5 steps, or decades on a log axis), and a line-chart frame
 * (axes, ticks, grid, labels, title) that maps data to pixels, plus data
 * series with gaps, shaded bands and a legend.
 *
 * Every function writes to a FILE* and returns nothing: a failed write
 * shows as ferror(fp), which atomic_commit (fsutil.h) turns into an error
 * naming the file. Coordinates are pixels with y growing downwards, as in
 * SVG. Text and attribute values go through svg_escape, so any label is
 * safe. The output uses no ids, scripts or external references, so several
 * documents can be inlined into one HTML page as they are.
 *
 * Deliberately not here: any notion of runs, metrics or files (report.c),
 * automatic layout of several panels (callers place frames), fonts other
 * than the family named in svg_begin (text widths are estimated). */
#ifndef GAN_SVG_H
#define GAN_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Fonts every chart asks for (the first one installed is used). */
#define SVG_FONT_FAMILY "DejaVu Sans, Helvetica, Arial, sans-serif"

/* ---- document and primitives ------------------------------------------ */

/* Opens <svg> with xmlns, width, height, a matching viewBox, the font
 * family (NULL: SVG_FONT_FAMILY) and a white background rectangle. No XML
 * declaration, so the text works both as a file and inlined in HTML. */
void svg_begin(FILE *fp, double width, double height, const char *font_family);
/* Closes the document opened by svg_begin. */
void svg_end(FILE *fp);
/* Opens <g class="cls" data-value="value"> (value NULL: no data-value), a
 * named part of a chart (e.g. one panel of small multiples) that pages and
 * tests can find; svg_group_end closes it. */
void svg_group_begin(FILE *fp, const char *cls, const char *value);
void svg_group_end(FILE *fp);

/* Writes s with & < > " ' escaped for XML/HTML text and attribute values.
 * Control characters XML forbids and bytes that are not valid UTF-8 become
 * '?', so the output is always well-formed. NULL writes nothing. */
void svg_escape(FILE *fp, const char *s);

/* Text anchored at (x, y) (baseline). anchor: "start", "middle" or "end"
 * (NULL: start); size in px; fill: a colour (NULL: black); rotate: degrees
 * about (x, y), 0 for none; bold: non-zero for font-weight bold. */
void svg_text(FILE *fp, double x, double y, const char *anchor, double size, const char *fill,
              double rotate, int bold, const char *text);
/* Estimated width in px of text at this font size (about 0.56 em per
 * character, DejaVu Sans' average; good enough to size legends and margins). */
double svg_text_width(const char *text, double size);

/* A line segment. dash: an SVG stroke-dasharray such as "6 4" (NULL: solid). */
void svg_line(FILE *fp, double x1, double y1, double x2, double y2, const char *stroke,
              double width, const char *dash);
/* A rectangle; fill or stroke may be NULL for "none". */
void svg_rect(FILE *fp, double x, double y, double w, double h, const char *fill,
              const char *stroke, double stroke_width);
/* A circle filled with fill (NULL: black); opacity in (0, 1]. */
void svg_circle(FILE *fp, double cx, double cy, double r, const char *fill, double opacity);
/* An open polyline through n >= 2 points (pixel coordinates). opacity in
 * (0, 1]. Fewer than 2 points writes nothing. */
void svg_polyline(FILE *fp, const double *x, const double *y, int n, const char *stroke,
                  double width, const char *dash, double opacity);

/* ---- colours ------------------------------------------------------------ */

/* Colour i of a categorical palette (Okabe & Ito's colour-blind-safe set,
 * yellow last); i wraps around after SVG_PALETTE_SIZE colours. Returns a
 * static "#rrggbb" string. */
#define SVG_PALETTE_SIZE 8
const char *svg_palette(int i);

/* ---- axis ticks --------------------------------------------------------- */

#define SVG_MAX_TICKS 32

typedef struct {
    int n;                        /* number of ticks, >= 2 */
    double value[SVG_MAX_TICKS];  /* increasing; the first and last are the axis ends */
    char label[SVG_MAX_TICKS][24];
} svg_ticks_t;

/* Ticks for a linear axis covering [lo, hi] with about `target` intervals
 * whose step is 1, 2 or 5 times a power of ten; the ends are rounded out to
 * multiples of the step. integer: non-zero forces a step >= 1 (epochs).
 * lo == hi (one value) is widened around it; non-finite input gives 0..1.
 * Labels carry just enough decimals for the step. */
void svg_nice_ticks(svg_ticks_t *t, double lo, double hi, int target, int integer);
/* Ticks for a log10 axis covering [lo, hi] (both > 0): the ends are rounded
 * out to powers of ten, one tick per decade (every 2nd, 3rd... when there
 * are many), plus 2 and 5 times each power when the range is one decade.
 * Non-positive input gives 0.1..1. */
void svg_log_ticks(svg_ticks_t *t, double lo, double hi);

/* ---- line-chart frame ----------------------------------------------------- */

/* The mapping from data to pixels that svg_frame sets up. */
typedef struct {
    double x, y, w, h;        /* plot area in px */
    double x_lo, x_hi;        /* data values at the left and right edges */
    double y_lo, y_hi;        /* data values at the bottom and top edges */
    int log_y;                /* y is mapped through log10 */
} svg_axes_t;

typedef struct {
    double left, top, width, height; /* the whole panel, labels included, in px */
    const char *title;               /* above the plot (NULL: none) */
    const char *x_label, *y_label;   /* NULL: none */
    double x_min, x_max;             /* data range; rounded out to nice ticks */
    double y_min, y_max;
    int x_integer;                   /* x ticks at whole numbers only */
    int log_y;                       /* log10 y axis; y_min, y_max must be > 0 */
    double font_size;                /* tick labels in px (0: 11); titles scale with it */
} svg_frame_t;

/* Draws the frame of a line chart: title, light grid lines at the ticks,
 * the axes, tick marks and labels, axis labels; fills *ax with the mapping
 * of the plot area inside the panel. */
void svg_frame(FILE *fp, const svg_frame_t *f, svg_axes_t *ax);

/* Pixel coordinates of a data value, clamped to the plot area (so a stray
 * value can never produce a huge coordinate). On a log axis v <= 0 maps to
 * the bottom edge. */
double svg_px(const svg_axes_t *ax, double x);
double svg_py(const svg_axes_t *ax, double y);

/* A data series: polylines through (x[i], y[i]), broken at non-finite
 * values (and at y <= 0 on a log axis); a point with no drawable neighbour
 * is drawn as a dot, so a one-epoch run is still visible. */
void svg_series(FILE *fp, const svg_axes_t *ax, const double *x, const double *y, int n,
                const char *colour, double width, const char *dash, double opacity);
/* A shaded band between lo[i] and hi[i] (e.g. min and max over seeds),
 * one polygon per stretch of finite values. */
void svg_band(FILE *fp, const svg_axes_t *ax, const double *x, const double *lo,
              const double *hi, int n, const char *colour, double opacity);
/* Centred grey text in the plot area, for "no data" panels. */
void svg_note(FILE *fp, const svg_axes_t *ax, const char *text);

/* ---- legend --------------------------------------------------------------- */

typedef struct {
    const char *label;
    const char *colour;   /* NULL: a plain text line (a heading), no swatch */
    const char *dash;     /* line style of the swatch (NULL: solid) */
    int band;             /* non-zero: a shaded band behind the swatch line */
} svg_legend_item_t;

/* Size in px of the legend svg_legend draws. */
double svg_legend_width(const svg_legend_item_t *items, int n, double font_size);
double svg_legend_height(int n, double font_size);
/* A legend box with its top-left corner at (x, y): one row per item. */
void svg_legend(FILE *fp, double x, double y, const svg_legend_item_t *items, int n,
                double font_size);

#endif
