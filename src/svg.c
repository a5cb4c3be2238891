/* SVG chart primitives; see svg.h. Writes text only: no layout engine, no
 * font metrics (widths are estimated), no ids or scripts. */
#include "gan/svg.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- document and primitives ------------------------------------------ */

void svg_begin(FILE *fp, double width, double height, const char *font_family)
{
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"",
            width, height, width, height);
    svg_escape(fp, font_family ? font_family : SVG_FONT_FAMILY);
    fputs("\">\n", fp);
    fprintf(fp, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width,
            height);
}

void svg_end(FILE *fp)
{
    fputs("</svg>\n", fp);
}

void svg_group_begin(FILE *fp, const char *cls, const char *value)
{
    fputs("<g class=\"", fp);
    svg_escape(fp, cls);
    fputs("\"", fp);
    if (value) {
        fputs(" data-value=\"", fp);
        svg_escape(fp, value);
        fputs("\"", fp);
    }
    fputs(">\n", fp);
}

void svg_group_end(FILE *fp)
{
    fputs("</g>\n", fp);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    int n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void svg_escape(FILE *fp, const char *s)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        switch (c) {
        case '&': fputs("&amp;", fp); p++; continue;
        case '<': fputs("&lt;", fp); p++; continue;
        case '>': fputs("&gt;", fp); p++; continue;
        case '"': fputs("&quot;", fp); p++; continue;
        case '\'': fputs("&#39;", fp); p++; continue;
        default: break;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            fputc('?', fp);
            p++;
            continue;
        }
        int n = utf8_len(p);
        if (n == 0) {
            fputc('?', fp);
            p++;
        } else {
            fwrite(p, 1, (size_t)n, fp);
            p += n;
        }
    }
}

void svg_text(FILE *fp, double x, double y, const char *anchor, double size, const char *fill,
              double rotate, int bold, const char *text)
{
    fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\"", x, y, size);
    if (anchor && strcmp(anchor, "start") != 0)
        fprintf(fp, " text-anchor=\"%s\"", anchor);
    if (fill)
        fprintf(fp, " fill=\"%s\"", fill);
    if (rotate != 0.0)
        fprintf(fp, " transform=\"rotate(%.1f %.2f %.2f)\"", rotate, x, y);
    if (bold)
        fputs(" font-weight=\"bold\"", fp);
    fputc('>', fp);
    svg_escape(fp, text);
    fputs("</text>\n", fp);
}

double svg_text_width(const char *text, double size)
{
    if (!text)
        return 0.0;
    /* Count characters, not bytes, so a UTF-8 label is not over-estimated. */
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p & 0xC0) != 0x80)
            chars++;
    return 0.56 * size * (double)chars;
}

static void stroke_attrs(FILE *fp, const char *stroke, double width, const char *dash)
{
    fprintf(fp, " fill=\"none\" stroke=\"%s\" stroke-width=\"%.2f\"", stroke ? stroke : "#000000",
            width);
    if (dash)
        fprintf(fp, " stroke-dasharray=\"%s\"", dash);
}

void svg_line(FILE *fp, double x1, double y1, double x2, double y2, const char *stroke,
              double width, const char *dash)
{
    fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"", x1, y1, x2, y2);
    stroke_attrs(fp, stroke, width, dash);
    fputs("/>\n", fp);
}

void svg_rect(FILE *fp, double x, double y, double w, double h, const char *fill,
              const char *stroke, double stroke_width)
{
    fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"", x, y,
            w < 0 ? 0 : w, h < 0 ? 0 : h, fill ? fill : "none");
    if (stroke)
        fprintf(fp, " stroke=\"%s\" stroke-width=\"%.2f\"", stroke, stroke_width);
    fputs("/>\n", fp);
}

void svg_circle(FILE *fp, double cx, double cy, double r, const char *fill, double opacity)
{
    fprintf(fp, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\"", cx, cy, r,
            fill ? fill : "#000000");
    if (opacity < 1.0)
        fprintf(fp, " fill-opacity=\"%.3f\"", opacity);
    fputs("/>\n", fp);
}

void svg_polyline(FILE *fp, const double *x, const double *y, int n, const char *stroke,
                  double width, const char *dash, double opacity)
{
    if (n < 2)
        return;
    fputs("<polyline points=\"", fp);
    for (int i = 0; i < n; i++)
        fprintf(fp, "%s%.2f,%.2f", i ? " " : "", x[i], y[i]);
    fputc('"', fp);
    stroke_attrs(fp, stroke, width, dash);
    fputs(" stroke-linejoin=\"round\"", fp);
    if (opacity < 1.0)
        fprintf(fp, " stroke-opacity=\"%.3f\"", opacity);
    fputs("/>\n", fp);
}

/* ---- colours ------------------------------------------------------------ */

const char *svg_palette(int i)
{
    /* Okabe & Ito (2008), "Color Universal Design": distinguishable with
     * the common colour-vision deficiencies. Yellow is last: it is faint on
     * white. */
    static const char *const colours[SVG_PALETTE_SIZE] = {
        "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
    };
    int k = i % SVG_PALETTE_SIZE;
    return colours[k < 0 ? k + SVG_PALETTE_SIZE : k];
}

/* ---- axis ticks --------------------------------------------------------- */

/* The next step of the 1-2-5 sequence above step. */
static double next_nice_step(double step)
{
    double mag = pow(10.0, floor(log10(step) + 1e-9));
    double m = step / mag;
    if (m < 1.5)
        return 2.0 * mag;
    if (m < 3.5)
        return 5.0 * mag;
    return 10.0 * mag;
}

void svg_nice_ticks(svg_ticks_t *t, double lo, double hi, int target, int integer)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (lo > hi) {
        double tmp = lo;
        lo = hi;
        hi = tmp;
    }
    if (hi - lo <= 1e-12 * fmax(1.0, fabs(hi))) {
        double d = lo == 0.0 ? 1.0 : 0.1 * fabs(lo);
        if (integer && d < 1.0)
            d = 1.0;
        lo -= d;
        hi += d;
    }
    if (target < 1)
        target = 1;
    double raw = (hi - lo) / target;
    double mag = pow(10.0, floor(log10(raw)));
    double m = raw / mag;
    double step = (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * mag;
    if (integer && step < 1.0)
        step = 1.0;
    double k0, k1;
    for (;;) {
        k0 = floor(lo / step + 1e-9);
        k1 = ceil(hi / step - 1e-9);
        if (k1 - k0 + 1 <= SVG_MAX_TICKS)
            break;
        step = next_nice_step(step);
    }
    if (k1 <= k0)
        k1 = k0 + 1;
    t->n = (int)(k1 - k0) + 1;
    int e = (int)floor(log10(step) + 1e-9);
    int decimals = e < 0 ? -e : 0;
    for (int i = 0; i < t->n; i++) {
        double v = (k0 + i) * step;
        if (fabs(v) < 1e-9 * step)
            v = 0.0; /* no "-0" or "1e-17" */
        t->value[i] = v;
        if (fabs(v) >= 1e6)
            snprintf(t->label[i], sizeof t->label[i], "%g", v);
        else
            snprintf(t->label[i], sizeof t->label[i], "%.*f", decimals, v);
    }
}

static void power_label(char *out, size_t size, double mantissa, int k)
{
    if (k >= -3 && k <= 3)
        snprintf(out, size, "%g", mantissa * pow(10.0, k));
    else if (mantissa == 1.0)
        snprintf(out, size, "1e%d", k);
    else
        snprintf(out, size, "%ge%d", mantissa, k);
}

void svg_log_ticks(svg_ticks_t *t, double lo, double hi)
{
    if (!(lo > 0.0) || !(hi > 0.0) || !isfinite(lo) || !isfinite(hi)) {
        lo = 0.1;
        hi = 1.0;
    }
    if (lo > hi) {
        double tmp = lo;
        lo = hi;
        hi = tmp;
    }
    int k0 = (int)floor(log10(lo) + 1e-9);
    int k1 = (int)ceil(log10(hi) - 1e-9);
    if (k1 <= k0)
        k1 = k0 + 1;
    t->n = 0;
    if (k1 - k0 == 1) {
        static const double mant[3] = {1.0, 2.0, 5.0};
        for (int i = 0; i < 3; i++) {
            t->value[t->n] = mant[i] * pow(10.0, k0);
            power_label(t->label[t->n], sizeof t->label[0], mant[i], k0);
            t->n++;
        }
    } else {
        int every = (k1 - k0 + 7) / 8;
        if ((k1 - k0) % every)
            k1 += every - (k1 - k0) % every;
        for (int k = k0; k < k1; k += every) {
            t->value[t->n] = pow(10.0, k);
            power_label(t->label[t->n], sizeof t->label[0], 1.0, k);
            t->n++;
        }
    }
    t->value[t->n] = pow(10.0, k1);
    power_label(t->label[t->n], sizeof t->label[0], 1.0, k1);
    t->n++;
}

/* ---- line-chart frame ----------------------------------------------------- */

#define AXIS_COLOUR "#444444"
#define GRID_COLOUR "#e4e4e4"
#define LABEL_COLOUR "#222222"

double svg_px(const svg_axes_t *ax, double x)
{
    double span = ax->x_hi - ax->x_lo;
    double t = span > 0 && isfinite(x) ? (x - ax->x_lo) / span : 0.0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return ax->x + t * ax->w;
}

double svg_py(const svg_axes_t *ax, double y)
{
    double t;
    if (ax->log_y) {
        double a = log10(ax->y_lo), b = log10(ax->y_hi);
        t = y > 0 && isfinite(y) && b > a ? (log10(y) - a) / (b - a) : 0.0;
    } else {
        double span = ax->y_hi - ax->y_lo;
        t = span > 0 && isfinite(y) ? (y - ax->y_lo) / span : 0.0;
    }
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return ax->y + ax->h - t * ax->h;
}

void svg_frame(FILE *fp, const svg_frame_t *f, svg_axes_t *ax)
{
    double fs = f->font_size > 0 ? f->font_size : 11.0;
    double title_fs = fs * 1.3, label_fs = fs * 1.1;
    double top = f->top + (f->title ? title_fs + 12.0 : 8.0);
    double bottom = f->top + f->height - (fs + 8.0) - (f->x_label ? label_fs + 8.0 : 0.0);
    double h = bottom - top;
    if (h < 10.0)
        h = 10.0;

    svg_ticks_t yt, xt;
    if (f->log_y)
        svg_log_ticks(&yt, f->y_min, f->y_max);
    else
        svg_nice_ticks(&yt, f->y_min, f->y_max, (int)fmax(2.0, h / 45.0), 0);
    double ylab_w = 0.0;
    for (int i = 0; i < yt.n; i++)
        ylab_w = fmax(ylab_w, svg_text_width(yt.label[i], fs));
    double left = f->left + 10.0 + ylab_w + (f->y_label ? label_fs + 8.0 : 0.0);
    double right = f->left + f->width - 14.0;
    double w = right - left;
    if (w < 10.0)
        w = 10.0;
    svg_nice_ticks(&xt, f->x_min, f->x_max, (int)fmax(2.0, ceil(w / 55.0)), f->x_integer);

    ax->x = left;
    ax->y = top;
    ax->w = w;
    ax->h = h;
    ax->x_lo = xt.value[0];
    ax->x_hi = xt.value[xt.n - 1];
    ax->y_lo = yt.value[0];
    ax->y_hi = yt.value[yt.n - 1];
    ax->log_y = f->log_y;

    if (f->title)
        svg_text(fp, left + w / 2, f->top + title_fs + 2.0, "middle", title_fs, LABEL_COLOUR, 0,
                 1, f->title);
    for (int i = 0; i < yt.n; i++) {
        double py = svg_py(ax, yt.value[i]);
        if (i > 0 && i < yt.n - 1)
            svg_line(fp, left, py, left + w, py, GRID_COLOUR, 1.0, NULL);
        svg_line(fp, left - 4.0, py, left, py, AXIS_COLOUR, 1.0, NULL);
        svg_text(fp, left - 6.0, py + fs * 0.35, "end", fs, LABEL_COLOUR, 0, 0, yt.label[i]);
    }
    for (int i = 0; i < xt.n; i++) {
        double px = svg_px(ax, xt.value[i]);
        if (i > 0 && i < xt.n - 1)
            svg_line(fp, px, top, px, top + h, GRID_COLOUR, 1.0, NULL);
        svg_line(fp, px, top + h, px, top + h + 4.0, AXIS_COLOUR, 1.0, NULL);
        svg_text(fp, px, top + h + fs + 5.0, "middle", fs, LABEL_COLOUR, 0, 0, xt.label[i]);
    }
    svg_rect(fp, left, top, w, h, NULL, AXIS_COLOUR, 1.0);
    if (f->x_label)
        svg_text(fp, left + w / 2, top + h + fs + 8.0 + label_fs + 2.0, "middle", label_fs,
                 LABEL_COLOUR, 0, 0, f->x_label);
    if (f->y_label) {
        double lx = f->left + 4.0 + label_fs, ly = top + h / 2;
        svg_text(fp, lx, ly, "middle", label_fs, LABEL_COLOUR, -90.0, 0, f->y_label);
    }
}

static int drawable(const svg_axes_t *ax, double x, double y)
{
    return isfinite(x) && isfinite(y) && (!ax->log_y || y > 0.0);
}

void svg_series(FILE *fp, const svg_axes_t *ax, const double *x, const double *y, int n,
                const char *colour, double width, const char *dash, double opacity)
{
    /* Points are converted one stretch at a time into a small buffer;
     * longer stretches are written in overlapping chunks. */
    enum { CHUNK = 256 };
    double px[CHUNK], py[CHUNK];
    int i = 0;
    while (i < n) {
        if (!drawable(ax, x[i], y[i])) {
            i++;
            continue;
        }
        int start = i;
        while (i < n && drawable(ax, x[i], y[i]))
            i++;
        int len = i - start;
        if (len == 1) {
            svg_circle(fp, svg_px(ax, x[start]), svg_py(ax, y[start]), width + 1.5, colour,
                       opacity);
            continue;
        }
        for (int s = start; s < i - 1; s += CHUNK - 1) {
            int m = i - s < CHUNK ? i - s : CHUNK;
            for (int k = 0; k < m; k++) {
                px[k] = svg_px(ax, x[s + k]);
                py[k] = svg_py(ax, y[s + k]);
            }
            svg_polyline(fp, px, py, m, colour, width, dash, opacity);
        }
    }
}

void svg_band(FILE *fp, const svg_axes_t *ax, const double *x, const double *lo,
              const double *hi, int n, const char *colour, double opacity)
{
    int i = 0;
    while (i < n) {
        if (!(isfinite(x[i]) && isfinite(lo[i]) && isfinite(hi[i]))) {
            i++;
            continue;
        }
        int start = i;
        while (i < n && isfinite(x[i]) && isfinite(lo[i]) && isfinite(hi[i]))
            i++;
        int len = i - start;
        if (len < 2)
            continue;
        fputs("<polygon points=\"", fp);
        for (int k = start; k < i; k++)
            fprintf(fp, "%s%.2f,%.2f", k > start ? " " : "", svg_px(ax, x[k]), svg_py(ax, hi[k]));
        for (int k = i - 1; k >= start; k--)
            fprintf(fp, " %.2f,%.2f", svg_px(ax, x[k]), svg_py(ax, lo[k]));
        fprintf(fp, "\" fill=\"%s\" stroke=\"none\" fill-opacity=\"%.3f\"/>\n",
                colour ? colour : "#000000", opacity);
    }
}

void svg_note(FILE *fp, const svg_axes_t *ax, const char *text)
{
    svg_text(fp, ax->x + ax->w / 2, ax->y + ax->h / 2, "middle", 12.0, "#888888", 0, 0, text);
}

/* ---- legend --------------------------------------------------------------- */

#define SWATCH_W 26.0
#define LEGEND_PAD 7.0

double svg_legend_width(const svg_legend_item_t *items, int n, double font_size)
{
    double text_w = 0.0;
    for (int i = 0; i < n; i++) {
        double tw = svg_text_width(items[i].label, font_size);
        if (items[i].colour)
            tw += SWATCH_W + 6.0;
        text_w = fmax(text_w, tw);
    }
    return text_w + 2 * LEGEND_PAD;
}

double svg_legend_height(int n, double font_size)
{
    return n * font_size * 1.6 + 2 * LEGEND_PAD - font_size * 0.4;
}

void svg_legend(FILE *fp, double x, double y, const svg_legend_item_t *items, int n,
                double font_size)
{
    double row = font_size * 1.6;
    svg_rect(fp, x, y, svg_legend_width(items, n, font_size), svg_legend_height(n, font_size),
             "#ffffff", "#cccccc", 1.0);
    for (int i = 0; i < n; i++) {
        double cy = y + LEGEND_PAD + row * i + font_size * 0.6;
        double tx = x + LEGEND_PAD;
        if (items[i].colour) {
            if (items[i].band)
                fprintf(fp,
                        "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
                        "fill-opacity=\"0.2\"/>\n",
                        tx, cy - font_size * 0.5, SWATCH_W, font_size, items[i].colour);
            svg_line(fp, tx, cy, tx + SWATCH_W, cy, items[i].colour, 2.0, items[i].dash);
            tx += SWATCH_W + 6.0;
        }
        svg_text(fp, tx, cy + font_size * 0.35, NULL, font_size, LABEL_COLOUR, 0,
                 items[i].colour == NULL, items[i].label);
    }
}
