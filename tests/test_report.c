/* Tests for the report: SVG primitives (src/svg.c), the strict CSV readers
 * (src/metrics_csv.c), the report library (src/report.c, report_charts.c)
 * and `gan report` through the built binary.
 *
 * Every test builds its own fixture folders under a fresh mkdtemp directory:
 * an experiment of fake runs with hand-written metrics.csv, config.json,
 * layers.csv and small PNG grids (written with stb_image_write from
 * libstb). The SVGs are checked with xmllint and the page is rendered by
 * headless Chromium; both tests skip when the tool is not installed. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stb_image.h>
#include <stb_image_write.h>

#include "gan/fsutil.h"
#include "gan/metrics_csv.h"
#include "gan/report.h"
#include "gan/svg.h"
#include "gan/train.h"
#include "test_util.h"

#ifndef GAN_BIN
#define GAN_BIN "build/rel/gan"
#endif

/* ---- fixture folders -------------------------------------------------- */

static char tmp_dir[64];

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "report"); }
static void remove_tmp_dir(void) { test_tmpdir_remove(tmp_dir); }

/* tmp_dir/<printf of fmt>. */
static test_path_t tmp_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static test_path_t tmp_path(const char *fmt, ...)
{
    char rel[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    return test_path(tmp_dir, rel);
}

static void mkdirs(const char *path)
{
    gan_err_t err;
    cr_assert_eq(fs_mkdirs(path, &err), GAN_OK, "%s", err.msg);
}

static void write_text(const char *path, const char *text)
{
    test_write_file(path, text, strlen(text));
}

static char *read_text(const char *path)
{
    char *data = NULL;
    size_t n = 0;
    gan_err_t err;
    cr_assert_eq(fs_read_all(path, (size_t)1 << 30, &data, &n, &err), GAN_OK, "%s", err.msg);
    return data;
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

#define HEADER METRICS_CSV_REQUIRED_COLUMNS "\n"

/* metrics.csv of n epochs; values drift with the epoch and the seed so
 * the lines of different runs differ. */
static void write_metrics(const char *run_dir, int n_epochs, int seed)
{
    char path[1200], line[256];
    snprintf(path, sizeof path, "%s/metrics.csv", run_dir);
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp);
    fputs(HEADER, fp);
    for (int e = 1; e <= n_epochs; e++) {
        double g = 1.5 + exp(-e / 3.0) + 0.05 * seed, d = 1.2 - 0.3 * exp(-e / 3.0);
        double acc = 0.6 + 0.1 * exp(-e / 4.0) + 0.01 * seed;
        snprintf(line, sizeof line, "%d,100,%.5f,%.5f,%.4f,%.4f,%.4f,%.4f,%.4f,2.5,4000\n", e, g,
                 d, acc, acc + 0.05, acc - 0.05, 0.6 + 0.01 * seed, 0.35 - 0.01 * e);
        fputs(line, fp);
    }
    cr_assert_eq(fclose(fp), 0);
}

/* A gray 8 x 8 grid of 28 px cells with 2 px padding, like png_grid. */
static void write_grid_png(const char *path, int epoch)
{
    enum { W = 8 * 30 + 2 };
    static unsigned char px[W * W];
    for (int y = 0; y < W; y++)
        for (int x = 0; x < W; x++) {
            int in_cell = x % 30 >= 2 && y % 30 >= 2;
            px[y * W + x] = in_cell ? (unsigned char)((x * 7 + y * (3 + epoch)) % 256) : 0;
        }
    cr_assert(stbi_write_png(path, W, W, 1, px, W), "stbi_write_png %s", path);
}

/* layers.csv of G and D with three layers each, epochs 0..n_epochs; the
 * random init starts with tiny activations and gradients. */
static void write_layers(const char *run_dir, const char *init, int seed, int n_epochs)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/layers.csv", run_dir);
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp);
    fputs(LAYERS_CSV_COLUMNS "\n", fp);
    static const char *const acts[2][3] = {{"leaky_relu", "leaky_relu", "tanh"},
                                           {"leaky_relu", "leaky_relu", "identity"}};
    for (int e = 0; e <= n_epochs; e++)
        for (int net = 0; net < 2; net++)
            for (int l = 0; l < 3; l++) {
                double small = strcmp(init, "random") == 0 && e == 0;
                fprintf(fp, "%d,%s,%d,%s,0.01,%.6g,0.02,0.4,0.05,%.6g\n", e, net ? "D" : "G", l,
                        acts[net][l], small ? pow(0.05, l + 1) : 0.5 + 0.1 * l,
                        small ? 1e-5 * pow(0.1, l) : 0.02 * (l + 1) + 0.001 * seed);
            }
    cr_assert_eq(fclose(fp), 0);
}

typedef struct {
    const char *init;
    int seed, epochs;
    int samples_every; /* 0: no samples/ folder */
    int layers;        /* write layers.csv */
    int config;        /* write config.json */
} fake_run_t;

static void make_run(const char *exp_dir, const fake_run_t *r, const char *name)
{
    char dir[600], path[1200];
    if (name)
        snprintf(dir, sizeof dir, "%s/%s", exp_dir, name);
    else
        snprintf(dir, sizeof dir, "%s/%s-s%d", exp_dir, r->init, r->seed);
    mkdirs(dir);
    write_metrics(dir, r->epochs, r->seed);
    if (r->config) {
        char json[400];
        snprintf(json, sizeof json,
                 "{\n  \"arch\": {\"z\": 100},\n  \"init\": \"%s\",\n  \"g_init\": \"%s\",\n"
                 "  \"d_init\": \"%s\",\n  \"seed\": %d,\n  \"epochs\": %d\n}\n",
                 r->init, r->init, r->init, r->seed, r->epochs + 2);
        snprintf(path, sizeof path, "%s/config.json", dir);
        write_text(path, json);
    }
    if (r->samples_every > 0) {
        snprintf(path, sizeof path, "%s/samples", dir);
        mkdirs(path);
        for (int e = 0; e <= r->epochs; e += r->samples_every) {
            snprintf(path, sizeof path, "%s/samples/epoch_%04d.png", dir, e);
            write_grid_png(path, e);
        }
    }
    if (r->layers)
        write_layers(dir, r->init, r->seed, r->epochs);
}

/* The experiment of most tests: two inits, one with two seeds of different
 * lengths; one run without samples, runs with samples every 1 or 2 epochs. */
static test_path_t make_experiment(void)
{
    test_path_t exp = tmp_path("runs/exp1");
    mkdirs(exp.s);
    static const fake_run_t runs[] = {
        {"random", 1, 4, 2, 1, 1},    /* samples 0,2,4 */
        {"he_xavier", 1, 5, 0, 1, 1}, /* no samples */
        {"random", 2, 6, 1, 0, 1},    /* samples 0..6, no layers.csv */
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        make_run(exp.s, &runs[i], NULL);
    return exp;
}

static int have_tool(const char *name)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* ---- svg primitives ------------------------------------------------------ */

TestSuite(svg, .init = make_tmp_dir, .fini = remove_tmp_dir);

Test(svg, nice_ticks_use_1_2_5_steps_and_cover_the_range)
{
    static const struct {
        double lo, hi;
        int target, integer;
        double first, last, step;
    } cases[] = {
        {0.0, 1.0, 5, 0, 0.0, 1.0, 0.2},   {0.13, 0.87, 4, 0, 0.0, 1.0, 0.2},
        {3.0, 97.0, 5, 0, 0.0, 100.0, 20.0}, {-0.7, 0.3, 5, 0, -0.8, 0.4, 0.2},
        {1.0, 10.0, 8, 1, 1.0, 10.0, 1.0},  {1.0, 30.0, 6, 1, 0.0, 30.0, 5.0},
        {1.0, 3.0, 10, 1, 1.0, 3.0, 1.0},   {1.4021, 1.4087, 4, 0, 1.402, 1.41, 0.002},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        svg_ticks_t t;
        svg_nice_ticks(&t, cases[i].lo, cases[i].hi, cases[i].target, cases[i].integer);
        double step = t.value[1] - t.value[0];
        cr_expect(fabs(t.value[0] - cases[i].first) < 1e-9, "case %zu: first tick %g, want %g", i,
                  t.value[0], cases[i].first);
        cr_expect(fabs(t.value[t.n - 1] - cases[i].last) < 1e-9, "case %zu: last tick %g, want %g",
                  i, t.value[t.n - 1], cases[i].last);
        cr_expect(fabs(step - cases[i].step) < 1e-9, "case %zu: step %g, want %g", i, step,
                  cases[i].step);
        cr_expect(t.value[0] <= cases[i].lo && t.value[t.n - 1] >= cases[i].hi, "case %zu", i);
    }
}

Test(svg, tick_labels_have_just_enough_decimals)
{
    svg_ticks_t t;
    svg_nice_ticks(&t, 0.0, 1.0, 5, 0);
    cr_expect_str_eq(t.label[0], "0.0");
    cr_expect_str_eq(t.label[1], "0.2");
    cr_expect_str_eq(t.label[5], "1.0");
    svg_nice_ticks(&t, -0.7, 0.3, 5, 0);
    for (int i = 0; i < t.n; i++)
        cr_expect(strcmp(t.label[i], "-0.0") != 0, "no negative zero label");
    svg_nice_ticks(&t, 1.0, 30.0, 6, 1);
    cr_expect_str_eq(t.label[1], "5");
}

Test(svg, one_value_and_non_finite_ranges_still_give_an_axis)
{
    svg_ticks_t t;
    svg_nice_ticks(&t, 1.0, 1.0, 5, 1);
    cr_expect(t.n >= 2 && t.value[0] < 1.0 && t.value[t.n - 1] > 1.0, "one epoch: %g..%g",
              t.value[0], t.value[t.n - 1]);
    for (int i = 0; i < t.n; i++)
        cr_expect_eq(t.value[i], floor(t.value[i]), "integer ticks");
    svg_nice_ticks(&t, NAN, INFINITY, 5, 0);
    cr_expect(t.value[0] == 0.0 && t.value[t.n - 1] == 1.0);
    svg_nice_ticks(&t, 0.0, 0.0, 5, 0);
    cr_expect(t.value[0] < 0.0 && t.value[t.n - 1] > 0.0);
}

Test(svg, log_ticks_are_decades)
{
    svg_ticks_t t;
    svg_log_ticks(&t, 0.003, 0.2);
    cr_expect_eq(t.n, 4);
    cr_expect(fabs(t.value[0] - 1e-3) < 1e-15 && fabs(t.value[3] - 1.0) < 1e-12);
    cr_expect_str_eq(t.label[0], "0.001");
    cr_expect_str_eq(t.label[3], "1");
    svg_log_ticks(&t, 0.2, 0.5); /* within one decade: 1-2-5 ticks */
    cr_expect_eq(t.n, 4);
    cr_expect_str_eq(t.label[1], "0.2");
    cr_expect_str_eq(t.label[2], "0.5");
    svg_log_ticks(&t, 1e-12, 1e3); /* many decades: every other one or sparser */
    cr_expect(t.n <= 9, "%d ticks", t.n);
    cr_expect(t.value[0] <= 1e-12 && t.value[t.n - 1] >= 1e3);
    cr_expect_str_eq(t.label[0], "1e-12");
}

/* Text a drawing function writes (caller frees). The memstream's buffer
 * pointer lives in static storage: gcc -O3 warns about a local one. */
static char *mem_buf;
static size_t mem_size;

static FILE *mem_open(void)
{
    mem_buf = NULL;
    mem_size = 0;
    FILE *fp = open_memstream(&mem_buf, &mem_size);
    cr_assert_not_null(fp);
    return fp;
}

static char *mem_close(FILE *fp)
{
    cr_assert_eq(fclose(fp), 0);
    return mem_buf;
}

static char *render(void (*draw)(FILE *fp))
{
    FILE *fp = mem_open();
    draw(fp);
    return mem_close(fp);
}

static void draw_escape(FILE *fp)
{
    svg_escape(fp, "a<b & \"c\" 'd' > \x01 caf\xc3\xa9 \xff\xfe end");
}

Test(svg, escape_makes_any_text_well_formed)
{
    char *s = render(draw_escape);
    cr_expect_str_eq(s, "a&lt;b &amp; &quot;c&quot; &#39;d&#39; &gt; ? caf\xc3\xa9 ?? end");
    free(s);
}

Test(svg, palette_colours_are_distinct_and_wrap)
{
    for (int i = 0; i < SVG_PALETTE_SIZE; i++)
        for (int j = 0; j < i; j++)
            cr_expect_str_neq(svg_palette(i), svg_palette(j));
    cr_expect_str_eq(svg_palette(SVG_PALETTE_SIZE), svg_palette(0));
    cr_expect_str_eq(svg_palette(-1), svg_palette(SVG_PALETTE_SIZE - 1));
}

static void draw_chart(FILE *fp)
{
    static const double x[6] = {1, 2, 3, 4, 5, 6};
    static const double y[6] = {0.5, 0.7, NAN, 0.9, NAN, 0.2}; /* gap and a lone point */
    static const double lo[6] = {0.4, 0.6, 0.7, 0.8, 0.3, 0.1};
    static const double hi[6] = {0.6, 0.8, 0.9, 1.0, 0.5, 0.3};
    svg_begin(fp, 500, 360, NULL);
    svg_frame_t f = {.left = 0, .top = 0, .width = 500, .height = 300, .title = "T <&>",
                     .x_label = "epoch", .y_label = "loss", .x_min = 1, .x_max = 6,
                     .y_min = 0.1, .y_max = 1.0, .x_integer = 1};
    svg_axes_t ax;
    svg_frame(fp, &f, &ax);
    svg_band(fp, &ax, x, lo, hi, 6, svg_palette(0), 0.2);
    svg_series(fp, &ax, x, y, 6, svg_palette(0), 2.0, "6 4", 1.0);
    svg_legend_item_t items[2] = {{"a & b", svg_palette(0), NULL, 1}, {"heading", NULL, NULL, 0}};
    svg_legend(fp, 60, 310, items, 2, 11.0);
    svg_end(fp);
}

Test(svg, chart_frame_series_band_and_legend_form_one_document)
{
    char *s = render(draw_chart);
    cr_expect_eq(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
    cr_expect_eq(count_of(s, "<svg"), 1);
    cr_expect_eq(count_of(s, "</svg>"), 1);
    cr_expect_eq(count_of(s, "<polyline"), 1, "1-2 is the only stretch of 2+ points:\n%s", s);
    cr_expect_geq(count_of(s, "<circle"), 2, "points 4 and 6 have no drawable neighbour");
    cr_expect_geq(count_of(s, "<polygon"), 1);
    cr_expect_not_null(strstr(s, "T &lt;&amp;&gt;"));
    cr_expect_not_null(strstr(s, "stroke-dasharray=\"6 4\""));
    cr_expect_null(strstr(s, "nan"), "no NaN coordinates");
    test_path_t p = tmp_path("chart.svg");
    write_text(p.s, s);
    free(s);
    if (!have_tool("xmllint")) {
        remove_tmp_dir(); /* cr_skip_test does not run the suite's .fini */
        cr_skip_test("xmllint not installed: well-formedness not checked");
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", p.s);
    cr_expect_eq(system(cmd), 0, "xmllint rejects %s", p.s);
}

Test(svg, axes_clamp_coordinates_into_the_plot)
{
    svg_axes_t ax = {.x = 10, .y = 20, .w = 100, .h = 50, .x_lo = 0, .x_hi = 10, .y_lo = 0,
                     .y_hi = 1, .log_y = 0};
    cr_expect_float_eq(svg_px(&ax, 5.0), 60.0, 1e-9);
    cr_expect_float_eq(svg_py(&ax, 1.0), 20.0, 1e-9);
    cr_expect_float_eq(svg_py(&ax, 0.0), 70.0, 1e-9);
    cr_expect_float_eq(svg_py(&ax, 1e30), 20.0, 1e-9);
    cr_expect_float_eq(svg_px(&ax, -1e30), 10.0, 1e-9);
    ax.log_y = 1;
    ax.y_lo = 1e-3;
    ax.y_hi = 1e-1;
    cr_expect_float_eq(svg_py(&ax, 1e-2), 45.0, 1e-9);
    cr_expect_float_eq(svg_py(&ax, 0.0), 70.0, 1e-9);
}

/* ---- the CSV readers -------------------------------------------------------- */

TestSuite(metrics_csv, .init = make_tmp_dir, .fini = remove_tmp_dir);

#define ROW1 "1,100,1.5,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000\n"
#define ROW2 "2,200,1.4,1.1,0.62,0.66,0.58,0.61,0.39,2.4,4100\n"

Test(metrics_csv, reads_columns_by_name_and_ignores_extra_ones)
{
    test_path_t p = tmp_path("metrics.csv");
    write_text(p.s, METRICS_CSV_REQUIRED_COLUMNS ",fid\n" "1,100,1.5,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000,33.5\n"
                                        "2,200,1.4,1.1,0.62,0.66,0.58,0.61,0.39,2.4,4100,20.25\n");
    metrics_csv_t *t = NULL;
    gan_err_t err;
    cr_assert_eq(metrics_csv_read(&t, p.s, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(metrics_csv_rows(t), 2);
    cr_expect_eq(metrics_csv_col(t, "epoch")[1], 2.0);
    cr_expect_eq(metrics_csv_col(t, "g_loss")[0], 1.5);
    cr_expect_eq(metrics_csv_col(t, "images_per_sec")[1], 4100.0);
    cr_expect_eq(metrics_csv_col(t, "fid")[1], 20.25);
    cr_expect_null(metrics_csv_col(t, "no_such_column"));
    cr_expect_str_eq(metrics_csv_name(t), p.s);
    metrics_csv_free(t);
}

Test(metrics_csv, accepts_crlf_reordered_columns_nan_and_the_fp_variant)
{
    FILE *fp = tmpfile();
    cr_assert_not_null(fp);
    fputs("g_loss,epoch,steps,d_loss,d_acc,d_acc_real,d_acc_fake,d_real,d_fake,seconds,"
          "images_per_sec\r\n"
          "nan,1,100,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000\r\n",
          fp);
    rewind(fp);
    metrics_csv_t *t = NULL;
    gan_err_t err;
    cr_assert_eq(metrics_csv_read_fp(&t, fp, "mem.csv", &err), GAN_OK, "%s", err.msg);
    fclose(fp);
    cr_expect(isnan(metrics_csv_col(t, "g_loss")[0]));
    cr_expect_eq(metrics_csv_col(t, "epoch")[0], 1.0);
    cr_expect_eq(metrics_csv_col(t, "images_per_sec")[0], 4000.0);
    metrics_csv_free(t);
}

/* Writes text as metrics.csv, reads it, expects GAN_ERR_INPUT with the
 * path, ":line:" and phrase in the one-line message. */
static void expect_bad(const char *text, int line, const char *phrase)
{
    test_path_t p = tmp_path("metrics.csv");
    write_text(p.s, text);
    metrics_csv_t *t = (metrics_csv_t *)1;
    gan_err_t err;
    cr_assert_eq(metrics_csv_read(&t, p.s, &err), GAN_ERR_INPUT, "accepted: %s", text);
    cr_expect_null(t, "no table on error");
    char where[600];
    snprintf(where, sizeof where, "%s:%d: ", p.s, line);
    cr_expect_eq(strncmp(err.msg, where, strlen(where)), 0, "message '%s' should start '%s'",
                 err.msg, where);
    cr_expect_not_null(strstr(err.msg, phrase), "message '%s' should say '%s'", err.msg, phrase);
    cr_expect_null(strchr(err.msg, '\n'), "one line: '%s'", err.msg);
}

Test(metrics_csv, empty_file_is_refused_at_line_1)
{
    expect_bad("", 1, "empty file");
}

Test(metrics_csv, header_only_is_a_run_without_epochs)
{
    expect_bad(HEADER, 2, "no data rows");
}

Test(metrics_csv, truncated_last_line_is_refused)
{
    expect_bad(HEADER ROW1 "2,200,1.4,1.1,0.6", 3, "truncated last line");
}

Test(metrics_csv, row_with_too_few_or_too_many_fields_is_refused)
{
    expect_bad(HEADER ROW1 "2,200,1.4,1.1,0.62,0.66,0.58,0.61,2.4,4100\n", 3,
               "10 fields, expected 11");
    expect_bad(HEADER "1,100,1.5,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000,7\n", 2,
               "12 fields, expected 11");
}

Test(metrics_csv, non_number_names_its_column)
{
    expect_bad(HEADER ROW1 "2,200,1.4,abc,0.62,0.66,0.58,0.61,0.39,2.4,4100\n", 3,
               "column 'd_loss': 'abc' is not a number");
    expect_bad(HEADER "1,100,1.5x,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000\n", 2,
               "column 'g_loss': '1.5x' is not a number");
}

Test(metrics_csv, empty_field_and_empty_line_are_refused)
{
    expect_bad(HEADER "1,100,,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000\n", 2, "column 'g_loss' is empty");
    expect_bad(HEADER ROW1 "\n" ROW2, 3, "empty line");
}

Test(metrics_csv, missing_or_duplicate_header_column_is_refused)
{
    expect_bad("epoch,steps,g_loss,d_loss,d_acc,d_acc_real,d_acc_fake,d_real,seconds,"
               "images_per_sec\n" "1,100,1.5,1.2,0.6,0.65,0.55,0.6,2.5,4000\n",
               1, "no column 'd_fake'");
    expect_bad(METRICS_CSV_REQUIRED_COLUMNS ",g_loss\n" "1,100,1.5,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000,1\n",
               1, "'g_loss' appears twice");
}

Test(metrics_csv, epochs_must_increase)
{
    expect_bad(HEADER ROW2 ROW1, 3, "epoch 1 after epoch 2");
    expect_bad(HEADER "1.5,100,1.5,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000\n", 2, "not a whole number");
}

Test(metrics_csv, binary_garbage_is_refused)
{
    test_path_t p = tmp_path("metrics.csv");
    FILE *fp = fopen(p.s, "wb");
    fputs(HEADER, fp);
    fputc(0, fp);
    fputs("\n", fp);
    fclose(fp);
    metrics_csv_t *t = NULL;
    gan_err_t err;
    cr_expect_eq(metrics_csv_read(&t, p.s, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, ":2: contains a NUL byte"), "%s", err.msg);
}

Test(metrics_csv, missing_file_names_it)
{
    test_path_t p = tmp_path("nope/metrics.csv");
    metrics_csv_t *t = NULL;
    gan_err_t err;
    cr_expect_eq(metrics_csv_read(&t, p.s, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, p.s), "%s", err.msg);
}

Test(metrics_csv, layers_csv_has_text_columns_and_repeated_epochs)
{
    test_path_t p = tmp_path("layers.csv");
    write_text(p.s, LAYERS_CSV_COLUMNS "\n"
                    "0,G,0,leaky_relu,0.1,0.5,0,0.4,0.05,0\n"
                    "0,D,1,identity,0.1,0.7,0,0,0.05,0\n"
                    "1,G,0,leaky_relu,0.1,0.6,0,0.4,0.05,0.12\n");
    metrics_csv_t *t = NULL;
    gan_err_t err;
    cr_assert_eq(metrics_csv_read_layers(&t, p.s, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(metrics_csv_rows(t), 3);
    cr_expect_str_eq(metrics_csv_text(t, "net", 1), "D");
    cr_expect_str_eq(metrics_csv_text(t, "act", 1), "identity");
    cr_expect_null(metrics_csv_text(t, "act_std", 0), "numeric column has no text");
    cr_expect_null(metrics_csv_text(t, "net", 3), "row out of range");
    cr_expect_eq(metrics_csv_col(t, "grad_norm")[2], 0.12);
    metrics_csv_free(t);

    write_text(p.s, LAYERS_CSV_COLUMNS "\n");
    cr_expect_eq(metrics_csv_read_layers(&t, p.s, &err), GAN_OK, "header only: %s", err.msg);
    cr_expect_eq(metrics_csv_rows(t), 0, "the trainer writes the header before any row");
    metrics_csv_free(t);

    write_text(p.s, LAYERS_CSV_COLUMNS "\n" "1,G,0,leaky_relu,0.1,0.5,0,0.4,0.05,0\n"
                                       "0,G,1,leaky_relu,0.1,0.5,0,0.4,0.05,0\n");
    cr_expect_eq(metrics_csv_read_layers(&t, p.s, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, ":3: epoch 0 after epoch 1"), "%s", err.msg);
    write_text(p.s, LAYERS_CSV_COLUMNS "\n" "0,G,-1,leaky_relu,0.1,0.5,0,0.4,0.05,0\n");
    cr_expect_eq(metrics_csv_read_layers(&t, p.s, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, ":2: layer '-1'"), "%s", err.msg);
    write_text(p.s, LAYERS_CSV_COLUMNS "\n" "0,,1,leaky_relu,0.1,0.5,0,0.4,0.05,0\n");
    cr_expect_eq(metrics_csv_read_layers(&t, p.s, &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, ":2: column 'net' is empty"), "%s", err.msg);
}

/* ---- the report library ------------------------------------------------------ */

TestSuite(report, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 120);

static const char *const all_charts[] = {"g_loss.svg", "d_loss.svg", "d_acc.svg",
                                         "d_real_fake.svg", "layers_grad_norm.svg",
                                         "layers_act_std.svg"};
enum { N_ALL_CHARTS = 6 };

static int write_report(const char *const *inputs, int n, const char *html, const char *svg_dir,
                        char *out, gan_err_t *err)
{
    report_opts_t o = {.inputs = inputs, .n_inputs = n, .html_path = html, .svg_dir = svg_dir};
    return report_write(&o, out, 1024, err);
}

Test(report, experiment_gives_charts_table_and_embedded_grids)
{
    test_path_t exp = make_experiment();
    const char *in[1] = {exp.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, NULL, NULL, out, &err), GAN_OK, "%s", err.msg);
    test_path_t html = tmp_path("runs/exp1/report.html");
    cr_expect_str_eq(out, html.s, "default page of one experiment folder");
    for (int c = 0; c < N_ALL_CHARTS; c++) {
        test_path_t p = tmp_path("runs/exp1/%s", all_charts[c]);
        cr_expect(fs_exists(p.s), "%s not written", p.s);
    }
    char *page = read_text(html.s);
    cr_expect_eq(strncmp(page, "<!DOCTYPE html>", 15), 0);
    cr_expect_eq(count_of(page, "<svg"), N_ALL_CHARTS, "one inline <svg per chart");
    /* random-s1: samples 0,2,4 -> 3 grids; random-s2: 0..6 -> 0,3,6; he_xavier-s1: none;
     * and a progress strip for each run with samples. */
    cr_expect_eq(count_of(page, "src=\"data:image/png;base64,iVBORw0KGgo"), 8,
                 "first/middle/last grid and the strip of the two runs with samples");
    cr_expect_eq(count_of(page, "alt=\"samples of"), 6);
    cr_expect_eq(count_of(page, "alt=\"progress of"), 2);
    cr_expect_not_null(strstr(page, "epoch 3</figcaption>"), "middle of 0..6");
    cr_expect_not_null(strstr(page, "epoch 0 (untrained)"));
    cr_expect_not_null(strstr(page, "no samples"), "he_xavier-s1 has no samples/");
    static const char *const runs[] = {"he_xavier-s1", "random-s1", "random-s2"};
    for (int i = 0; i < 3; i++) {
        char cell[100];
        snprintf(cell, sizeof cell, "<td class=\"l\">%s</td>", runs[i]);
        cr_expect_not_null(strstr(page, cell), "table row of %s", runs[i]);
    }
    cr_expect_not_null(strstr(page, "4 of 6"), "random-s1 stopped at 4 of 6 configured epochs");
    cr_expect_not_null(strstr(page, "Mean &#177; std over seeds"), "random has two seeds");
    cr_expect_not_null(strstr(page, "From layers.csv of 2 of 3 runs"));
    cr_expect_null(strstr(page, "<script"), "no JavaScript");
    cr_expect_eq(count_of(page, "http"), count_of(page, "http://www.w3.org/2000/svg"),
                 "no links other than the SVG namespace");
    free(page);

    /* Colour per init: random's two seeds share one colour, he_xavier another. */
    test_path_t g = tmp_path("runs/exp1/g_loss.svg");
    char *svg = read_text(g.s);
    cr_expect_not_null(strstr(svg, "random: mean of 2 seeds, min-max band"), "legend");
    cr_expect_not_null(strstr(svg, "he_xavier"), "legend");
    cr_expect_geq(count_of(svg, svg_palette(0)), 2);
    cr_expect_geq(count_of(svg, svg_palette(1)), 2);
    cr_expect_eq(count_of(svg, svg_palette(2)), 0, "only two inits, two colours");
    cr_expect_not_null(strstr(svg, ">epoch</text>"), "x axis label");
    cr_expect_not_null(strstr(svg, ">G loss</text>"), "y axis label");
    free(svg);
}

/* xmllint --noout accepts every chart in tmp_dir/<dir> (the test is
 * skipped without xmllint; call it last). */
static void expect_charts_well_formed(const char *dir)
{
    if (!have_tool("xmllint")) {
        remove_tmp_dir();
        cr_skip_test("xmllint not installed (apt-get install libxml2-utils)");
    }
    for (int c = 0; c < N_ALL_CHARTS; c++) {
        test_path_t p = tmp_path("%s/%s", dir, all_charts[c]);
        char cmd[700];
        snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", p.s);
        cr_expect_eq(system(cmd), 0, "xmllint rejects %s", p.s);
    }
}

Test(report, svgs_are_well_formed_xml)
{
    test_path_t exp = make_experiment();
    const char *in[1] = {exp.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, NULL, NULL, out, &err), GAN_OK, "%s", err.msg);
    expect_charts_well_formed("runs/exp1");
}

Test(report, output_and_svg_dir_go_where_asked)
{
    test_path_t exp = make_experiment();
    test_path_t html = tmp_path("out/sub/page.html"), svgs = tmp_path("charts");
    const char *in[1] = {exp.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, html.s, svgs.s, out, &err), GAN_OK, "%s", err.msg);
    cr_expect_str_eq(out, html.s);
    cr_expect(fs_exists(html.s));
    for (int c = 0; c < N_ALL_CHARTS; c++) {
        test_path_t p = tmp_path("charts/%s", all_charts[c]);
        cr_expect(fs_exists(p.s), "%s", p.s);
    }
    test_path_t def = tmp_path("runs/exp1/report.html");
    cr_expect(!fs_exists(def.s), "no page at the default place when -o is given");
}

Test(report, several_runs_default_to_report_html_in_the_current_folder)
{
    make_experiment();
    fake_run_t solo = {"uniform", 7, 3, 1, 0, 0}; /* no config.json */
    test_path_t other = tmp_path("other");
    mkdirs(other.s);
    make_run(other.s, &solo, "my run & co");
    test_path_t solo_dir = tmp_path("other/my run & co");
    test_path_t run1 = tmp_path("runs/exp1/random-s2"); /* no layers.csv */
    const char *in[2] = {solo_dir.s, run1.s};
    cr_assert_eq(chdir(tmp_dir), 0);
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 2, NULL, NULL, out, &err), GAN_OK, "%s", err.msg);
    cr_expect_str_eq(out, "report.html");
    cr_expect(fs_exists("g_loss.svg"));
    char *page = read_text("report.html");
    cr_expect_not_null(strstr(page, "<td class=\"l\">my run &amp; co</td>"),
                       "a run without config.json is labelled by its folder name");
    cr_expect_null(strstr(page, "Mean &#177; std"), "one run per init: no seed table");
    cr_expect_null(strstr(page, "Layer statistics"), "runs without layers.csv: no layer charts");
    cr_expect_eq(count_of(page, "<svg"), 4);
    free(page);
    cr_expect(!fs_exists("layers_grad_norm.svg"));
}

Test(report, runs_of_one_init_and_seed_are_not_averaged)
{
    /* Two runs that differ in something other than the seed (same init,
     * same seed, separate folders): two lines, two colours, no band. */
    fake_run_t a = {"he_xavier", 1, 3, 0, 0, 1}, b = {"he_xavier", 1, 5, 0, 0, 1};
    make_run(tmp_dir, &a, "lr-a");
    make_run(tmp_dir, &b, "lr-b");
    test_path_t ra = tmp_path("lr-a"), rb = tmp_path("lr-b"), html = tmp_path("r.html");
    const char *in[2] = {ra.s, rb.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 2, html.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    test_path_t g = tmp_path("g_loss.svg");
    char *svg = read_text(g.s);
    cr_expect_not_null(strstr(svg, "he_xavier (lr-a)"), "legend names the run");
    cr_expect_not_null(strstr(svg, "he_xavier (lr-b)"));
    cr_expect_null(strstr(svg, "mean of"), "not averaged");
    cr_expect_null(strstr(svg, "<polygon"), "no band");
    cr_expect_geq(count_of(svg, svg_palette(1)), 2, "second run has its own colour");
    free(svg);
}

Test(report, seeds_of_two_experiments_are_averaged_per_experiment)
{
    test_path_t e1 = tmp_path("e1"), e2 = tmp_path("e2");
    fake_run_t runs[2] = {{"random", 1, 3, 0, 0, 1}, {"random", 2, 3, 0, 0, 1}};
    for (int i = 0; i < 2; i++) {
        make_run(e1.s, &runs[i], NULL);
        make_run(e2.s, &runs[i], NULL);
    }
    test_path_t html = tmp_path("r.html");
    const char *in[2] = {e1.s, e2.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 2, html.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    test_path_t g = tmp_path("g_loss.svg");
    char *svg = read_text(g.s);
    cr_expect_not_null(strstr(svg, "e1/random: mean of 2 seeds"), "legend names the experiment");
    cr_expect_not_null(strstr(svg, "e2/random: mean of 2 seeds"));
    free(svg);
    char *page = read_text(html.s);
    cr_expect_not_null(strstr(page, "<td class=\"l\">e1/random-s1</td>"),
                       "clashing run names get their folder");
    free(page);
}

Test(report, nets_with_different_inits_get_their_own_colour_key)
{
    test_path_t run = tmp_path("mixed");
    fake_run_t r = {"random", 1, 2, 0, 0, 0};
    make_run(tmp_dir, &r, "mixed");
    test_path_t cfg = tmp_path("mixed/config.json");
    write_text(cfg.s, "{\"init\": \"random\", \"g_init\": \"random\", \"d_init\": \"he_xavier\", "
                      "\"seed\": 3}");
    test_path_t html = tmp_path("r.html");
    const char *in[1] = {run.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, html.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    char *page = read_text(html.s);
    cr_expect_not_null(strstr(page, "G random / D he_xavier"));
    free(page);
}

Test(report, a_single_epoch_run_is_drawn_as_a_dot)
{
    fake_run_t r = {"random", 1, 1, 0, 0, 1};
    make_run(tmp_dir, &r, "one");
    test_path_t run = tmp_path("one"), html = tmp_path("r.html");
    const char *in[1] = {run.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, html.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    test_path_t g = tmp_path("g_loss.svg");
    char *svg = read_text(g.s);
    cr_expect_geq(count_of(svg, "<circle"), 1, "a lone point is still visible");
    free(svg);
}

Test(report, a_diverged_run_is_drawn_with_gaps_and_an_empty_chart_says_why)
{
    test_path_t dir = tmp_path("div");
    mkdirs(dir.s);
    test_path_t csv = tmp_path("div/metrics.csv");
    write_text(csv.s, HEADER "1,100,nan,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000\n"
                             "2,100,nan,inf,0.6,0.65,0.55,0.6,0.4,2.5,4000\n");
    test_path_t html = tmp_path("r.html");
    const char *in[1] = {dir.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, html.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    test_path_t g = tmp_path("g_loss.svg"), d = tmp_path("d_loss.svg");
    char *svg = read_text(g.s);
    cr_expect_not_null(strstr(svg, "no finite values"), "an all-NaN chart says so");
    cr_expect_null(strstr(svg, "nan"), "no NaN coordinates");
    free(svg);
    svg = read_text(d.s);
    cr_expect_geq(count_of(svg, "<circle"), 1, "the one finite D loss is a dot");
    cr_expect_null(strstr(svg, "inf"), "no infinite coordinates");
    free(svg);
    char *page = read_text(html.s);
    cr_expect_not_null(strstr(page, "<td>nan</td>"), "the table shows the NaN");
    cr_expect_not_null(strstr(page, "no samples"));
    free(page);
}

Test(report, a_broken_sample_file_is_a_note_not_a_failure)
{
    test_path_t exp = make_experiment();
    test_path_t bad = tmp_path("runs/exp1/random-s1/samples/epoch_0004.png");
    write_text(bad.s, "not a png at all");
    const char *in[1] = {exp.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, NULL, NULL, out, &err), GAN_OK, "%s", err.msg);
    char *page = read_text(out);
    cr_expect_not_null(strstr(page, "samples/epoch_0004.png: not a PNG file"));
    /* 5 grids and random-s2's strip; random-s1's strip is a note naming the file. */
    cr_expect_eq(count_of(page, "data:image/png;base64,"), 6);
    cr_expect_not_null(strstr(page, "no progress strip: "));
    cr_expect_not_null(strstr(page, "samples/epoch_0004.png: not a PNG image"));
    cr_expect_not(fs_exists(tmp_path("runs/exp1/progress-random-s1.png").s));
    cr_expect(fs_exists(tmp_path("runs/exp1/progress-random-s2.png").s));
    free(page);
}

/* The strip of random-s1 (grids of epochs 0, 2, 4), read back with
 * stb_image, against the pixel formula write_grid_png draws each grid
 * with: one row per grid, its first 8 cells, 2 px of 0 around and between. */
Test(report, progress_strip_is_one_row_per_saved_grid_read_back_with_stb_image)
{
    test_path_t exp = make_experiment();
    const char *in[1] = {exp.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, NULL, NULL, out, &err), GAN_OK, "%s", err.msg);
    static const int epochs[] = {0, 2, 4};
    enum { ROWS = 3, COLS = 8, W = COLS * 30 + 2, H = ROWS * 30 + 2 };
    test_path_t path = tmp_path("runs/exp1/progress-random-s1.png");
    int w = 0, h = 0, comp = 0;
    unsigned char *px = stbi_load(path.s, &w, &h, &comp, 0);
    cr_assert_not_null(px, "%s: %s", path.s, stbi_failure_reason());
    cr_expect_eq(comp, 1, "8-bit gray");
    cr_assert(w == W && h == H, "%d x %d px, want %d x %d (3 rows x 8 cells of 28 + 2 px)", w, h,
              W, H);
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in_cell = x % 30 >= 2 && y % 30 >= 2;
            /* Cell (r, c) of the strip is cell (0, c) of grid r: the same x, and
             * the grid's y is the strip's y minus r rows of cells. */
            int r = y / 30, gy = y - r * 30;
            int want = in_cell ? (x * 7 + gy * (3 + epochs[r])) % 256 : 0;
            bad += px[y * W + x] != want;
        }
    cr_expect_eq(bad, 0, "%d pixels differ from the grids' first rows", bad);
    stbi_image_free(px);
    px = stbi_load(tmp_path("runs/exp1/progress-random-s2.png").s, &w, &h, &comp, 0);
    cr_assert_not_null(px);
    cr_expect(w == W && h == 7 * 30 + 2, "random-s2: 7 grids -> 7 rows; %d x %d", w, h);
    stbi_image_free(px);
    cr_expect_not(fs_exists(tmp_path("runs/exp1/progress-he_xavier-s1.png").s),
                  "no samples, no strip");
    char *page = read_text(out);
    cr_expect_not_null(strstr(page, "progress (progress-random-s1.png): 3 rows, epoch 0 at the "
                                    "top to 4"));
    cr_expect_not_null(strstr(page, "width=\"242\" height=\"92\""));
    free(page);
}

/* Expects report_write on the input to fail with GAN_ERR_INPUT, a message
 * starting with `file` then `after` and containing `phrase`, and no page
 * written. */
static void expect_report_error(const char *input, const char *file, const char *after,
                                const char *phrase)
{
    char start[600];
    snprintf(start, sizeof start, "%s%s", file, after);
    const char *in[1] = {input};
    char out[1024];
    gan_err_t err;
    test_path_t html = tmp_path("page.html");
    cr_assert_eq(write_report(in, 1, html.s, NULL, out, &err), GAN_ERR_INPUT, "accepted %s",
                 input);
    cr_expect_eq(strncmp(err.msg, start, strlen(start)), 0, "message '%s' should start '%s'",
                 err.msg, start);
    cr_expect_not_null(strstr(err.msg, phrase), "message '%s' should say '%s'", err.msg, phrase);
    cr_expect(!fs_exists(html.s), "nothing written on bad input");
    test_path_t svg = tmp_path("g_loss.svg");
    cr_expect(!fs_exists(svg.s), "no chart written on bad input");
}

Test(report, missing_folder_is_an_input_error)
{
    test_path_t p = tmp_path("no-such-run");
    expect_report_error(p.s, p.s, ": ", "no such folder");
}

Test(report, folder_without_metrics_csv_is_an_input_error)
{
    test_path_t p = tmp_path("empty");
    mkdirs(p.s);
    expect_report_error(p.s, p.s, ": ", "no metrics.csv");
}

Test(report, run_folder_without_metrics_in_an_experiment_is_named)
{
    test_path_t exp = make_experiment();
    test_path_t dir = tmp_path("runs/exp1/random-s3");
    mkdirs(dir.s);
    test_path_t cfg = tmp_path("runs/exp1/random-s3/config.json");
    write_text(cfg.s, "{\"init\": \"random\"}");
    test_path_t csv = tmp_path("runs/exp1/random-s3/metrics.csv");
    expect_report_error(exp.s, csv.s, ": missing", "no finished epoch");
}

Test(report, truncated_metrics_in_one_run_names_file_and_line)
{
    test_path_t exp = make_experiment();
    test_path_t csv = tmp_path("runs/exp1/random-s2/metrics.csv");
    write_text(csv.s, HEADER ROW1 ROW2 "3,300,1.3");
    expect_report_error(exp.s, csv.s, ":4: ", "truncated last line");
}

Test(report, run_with_zero_epochs_is_named)
{
    test_path_t exp = make_experiment();
    test_path_t csv = tmp_path("runs/exp1/he_xavier-s1/metrics.csv");
    write_text(csv.s, HEADER);
    expect_report_error(exp.s, csv.s, ":2: ", "no data rows");
}

Test(report, bad_layers_csv_names_file_and_line)
{
    test_path_t exp = make_experiment();
    test_path_t csv = tmp_path("runs/exp1/random-s1/layers.csv");
    write_text(csv.s, LAYERS_CSV_COLUMNS "\n" "0,G,0,tanh,0,1,0,0,0.1,oops\n");
    expect_report_error(exp.s, csv.s, ":2: ", "'oops' is not a number");
}

/* Fraction of non-white pixels and number of distinct colours (4 bits per
 * channel) of an RGB image; whether a pixel within tol of (r,g,b) exists. */
static int has_colour(const unsigned char *px, int n, int r, int g, int b, int tol)
{
    for (int i = 0; i < n; i++)
        if (abs(px[3 * i] - r) <= tol && abs(px[3 * i + 1] - g) <= tol &&
            abs(px[3 * i + 2] - b) <= tol)
            return 1;
    return 0;
}

/* Renders the page at html in headless Chromium (1200 x 1600) into
 * tmp_dir/shot.png and loads it as RGB (free with stbi_image_free). */
static void screenshot(const char *html, unsigned char **px, int *w, int *h)
{
    test_path_t shot = tmp_path("shot.png"), profile = tmp_path("chromium-profile");
    char cmd[3000];
    snprintf(cmd, sizeof cmd,
             "timeout 100 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
             "--no-first-run --disable-background-networking --disable-component-update "
             "--disable-sync --user-data-dir='%s' --screenshot='%s' --window-size=1200,1600 "
             "'file://%s' >/dev/null 2>&1",
             profile.s, shot.s, html);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "chromium failed: %s", cmd);
    int comp;
    *px = stbi_load(shot.s, w, h, &comp, 3);
    cr_assert_not_null(*px, "screenshot unreadable: %s", stbi_failure_reason());
    cr_expect(*w == 1200 && *h == 1600, "screenshot %d x %d", *w, *h);
}

Test(report, page_renders_in_headless_chromium)
{
    if (access("/usr/bin/chromium", X_OK) != 0) {
        remove_tmp_dir();
        cr_skip_test("/usr/bin/chromium not installed (apt-get install chromium)");
    }
    test_path_t exp = make_experiment();
    const char *in[1] = {exp.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, NULL, NULL, out, &err), GAN_OK, "%s", err.msg);
    unsigned char *px;
    int w, h;
    screenshot(out, &px, &w, &h);
    int n = w * h;
    long non_white = 0;
    static unsigned char seen[4096];
    memset(seen, 0, sizeof seen);
    int distinct = 0;
    for (int i = 0; i < n; i++) {
        const unsigned char *p = px + 3 * i;
        if (p[0] < 245 || p[1] < 245 || p[2] < 245)
            non_white++;
        int q = (p[0] >> 4) << 8 | (p[1] >> 4) << 4 | (p[2] >> 4);
        distinct += !seen[q];
        seen[q] = 1;
    }
    cr_expect_gt(non_white, n / 100, "page looks blank: %ld of %d pixels non-white", non_white, n);
    cr_expect_geq(distinct, 16, "only %d distinct colours", distinct);
    /* The two init colours (Okabe-Ito blue and vermillion) are drawn. */
    cr_expect(has_colour(px, n, 0x00, 0x72, 0xb2, 24), "no he_xavier/random blue line");
    cr_expect(has_colour(px, n, 0xd5, 0x5e, 0x00, 24), "no vermillion line");
    stbi_image_free(px);
}

/* ---- the command line ----------------------------------------------------------- */

TestSuite(report_cli, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 60);

/* Runs `gan report ARGS` in tmp_dir, stdout and stderr into files there;
 * returns the exit status. */
static int run_gan(const char *args)
{
    char bin[1200];
    if (GAN_BIN[0] == '/') {
        snprintf(bin, sizeof bin, "%s", GAN_BIN);
    } else {
        char cwd[1024];
        cr_assert_not_null(getcwd(cwd, sizeof cwd));
        snprintf(bin, sizeof bin, "%s/%s", cwd, GAN_BIN);
    }
    if (access(bin, X_OK) != 0) {
        remove_tmp_dir();
        cr_skip_test("%s not built", bin);
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' report %s >out 2>err", tmp_dir, bin, args);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc), "'%s' did not exit normally", cmd);
    return WEXITSTATUS(rc);
}

static char *captured(const char *name)
{
    test_path_t p = tmp_path("%s", name);
    return read_text(p.s);
}

Test(report_cli, missing_folder_exits_2_with_one_line)
{
    cr_expect_eq(run_gan("runs/nothing-here"), 2);
    char *e = captured("err");
    cr_expect_str_eq(e, "gan: runs/nothing-here: no such folder\n");
    free(e);
    char *o = captured("out");
    cr_expect_str_eq(o, "", "nothing on stdout on error");
    free(o);
}

Test(report_cli, bad_metrics_exit_2_naming_file_and_line)
{
    test_path_t exp = make_experiment();
    (void)exp;
    test_path_t csv = tmp_path("runs/exp1/random-s1/metrics.csv");
    write_text(csv.s, HEADER ROW1 "2,200,1.4,1.1,0.62,0.66,0.58,0.61,0.39,2.4\n");
    cr_expect_eq(run_gan("runs/exp1"), 2);
    char *e = captured("err");
    cr_expect_str_eq(e, "gan: runs/exp1/random-s1/metrics.csv:3: 10 fields, expected 11 as in "
                        "the header\n");
    free(e);
}

Test(report_cli, usage_errors_exit_2)
{
    cr_expect_eq(run_gan(""), 2, "no folder");
    char *none = captured("err");
    cr_expect_eq(count_of(none, "\n"), 1, "one line: '%s'", none);
    cr_expect_not_null(strstr(none, "gan: report: give at least one"), "'%s'", none);
    free(none);
    cr_expect_eq(run_gan("--bogus runs"), 2, "unknown option");
    char *e = captured("err");
    cr_expect_str_eq(e, "gan: report: unknown option or missing value '--bogus'; try 'gan report "
                        "--help'\n");
    free(e);
    cr_expect_eq(run_gan("runs -o"), 2, "missing argument");
    e = captured("err");
    cr_expect_not_null(strstr(e, "'-o'"), "names the option: '%s'", e);
    cr_expect_eq(count_of(e, "\n"), 1, "one line: '%s'", e);
    free(e);
}

Test(report_cli, unknown_axis_exits_2_with_one_line_listing_the_axes)
{
    make_experiment();
    cr_expect_eq(run_gan("runs/exp1 --facet=bogus"), 2);
    char *e = captured("err");
    cr_expect_eq(count_of(e, "\n"), 1, "one line: '%s'", e);
    cr_expect_eq(strncmp(e, "gan: --facet=bogus: not an axis; use one of init, g-init", 56), 0,
                 "'%s'", e);
    free(e);
    test_path_t html = tmp_path("runs/exp1/report.html");
    cr_expect(!fs_exists(html.s), "nothing written");
    cr_expect_eq(run_gan("runs/exp1 --color=seed --facet=batch"), 0, "seed and batch are axes");
}

Test(report_cli, help_lists_options_with_defaults)
{
    cr_expect_eq(run_gan("--help"), 0);
    char *o = captured("out");
    cr_expect_not_null(strstr(o, "--output=FILE"));
    cr_expect_not_null(strstr(o, "--svg-dir=DIR"));
    cr_expect_not_null(strstr(o, "--color=AXIS    one colour per value of AXIS (default: init)"));
    cr_expect_not_null(strstr(o, "--facet=AXIS"));
    cr_expect_not_null(strstr(o, "default: EXP/report.html"));
    free(o);
}

Test(report_cli, success_prints_the_page_path)
{
    make_experiment();
    cr_expect_eq(run_gan("runs/exp1/"), 0);
    char *o = captured("out");
    cr_expect_str_eq(o, "runs/exp1/report.html\n");
    free(o);
    char *e = captured("err");
    cr_expect_str_eq(e, "");
    free(e);
    test_path_t html = tmp_path("runs/exp1/report.html");
    cr_expect(fs_exists(html.s));
    cr_expect_eq(run_gan("runs/exp1/random-s1 runs/exp1/random-s2 -o both.html --svg-dir=svg"), 0);
    test_path_t both = tmp_path("both.html"), svg = tmp_path("svg/d_real_fake.svg");
    cr_expect(fs_exists(both.s) && fs_exists(svg.s));
}

/* Issue 8: a run trained with --eval-every has the quality columns, with
 * nan in the epochs it did not evaluate. fd.svg joins the evaluated points
 * (one line through epochs 2 and 4, no lone dots), and the page gets one
 * class-histogram row per evaluated run, from the last evaluated epoch;
 * the run without the columns is charted as before and left out of both. */
Test(report, fd_chart_joins_evaluated_epochs_and_the_page_shows_class_shares)
{
    test_path_t evald = tmp_path("evald"), plain = tmp_path("plain");
    mkdirs(evald.s);
    test_path_t csv = tmp_path("evald/metrics.csv");
    write_text(csv.s,
               METRICS_CSV_REQUIRED_COLUMNS "," METRICS_CSV_EVAL_COLUMNS "\n"
               "1,100,2.0,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000"
               ",nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan\n"
               "2,100,1.9,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000"
               ",80.5,2.9,8,0.9,0.7,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n"
               "3,100,1.8,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000"
               ",nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan\n"
               "4,100,1.7,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000"
               ",42.25,1.5,3,0.95,0.7,0.5,0.25,0.25,0,0,0,0,0,0,0\n");
    mkdirs(plain.s);
    write_metrics(plain.s, 4, 1);
    test_path_t html = tmp_path("r.html");
    const char *in[2] = {evald.s, plain.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 2, html.s, NULL, out, &err), GAN_OK, "%s", err.msg);

    test_path_t fd = tmp_path("fd.svg");
    char *svg = read_text(fd.s);
    cr_expect_eq(count_of(svg, "<polyline"), 1, "one line through the two evaluated epochs");
    cr_expect_eq(count_of(svg, "<circle"), 0, "evaluated epochs are joined, not lone dots");
    cr_expect_null(strstr(svg, "nan"), "no NaN coordinates");
    cr_expect_not_null(strstr(svg, ">FD</text>"), "y axis label");
    cr_expect_null(strstr(svg, "plain"), "the run without fd is not in the legend");
    free(svg);
    if (have_tool("xmllint")) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", fd.s);
        cr_expect_eq(system(cmd), 0, "xmllint rejects %s", fd.s);
    }

    char *page = read_text(html.s);
    cr_expect_eq(count_of(page, "<svg"), 5, "four training charts and fd");
    cr_expect_not_null(strstr(page, "Sample quality at the last evaluated epoch"));
    cr_expect_eq(count_of(page, "class=\"bar\""), 10, "one row of ten digits: evald only");
    cr_expect_not_null(strstr(page, "<td>4</td><td>42.25</td><td>1.5</td><td>3</td>"),
                       "epoch, FD, entropy, covered of the last evaluated epoch");
    cr_expect_not_null(strstr(page, "</span>50%</td>"), "digit 1 holds half the samples");
    free(page);

    /* Without any evaluated run there is no fd.svg at all. */
    test_path_t html2 = tmp_path("sub/r.html");
    const char *in2[1] = {plain.s};
    cr_assert_eq(write_report(in2, 1, html2.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    test_path_t fd2 = tmp_path("sub/fd.svg");
    cr_expect(!fs_exists(fd2.s), "fd.svg written for runs without evaluations");
}

/* Issue 15: metrics.csv with g_acc (runs since then) gets the "G accuracy"
 * chart; runs without the column (older ones) still read and are charted
 * as before, and are left out of that chart. */
Test(report, g_acc_chart_for_runs_that_have_the_column)
{
    test_path_t newer = tmp_path("newer"), older = tmp_path("older");
    mkdirs(newer.s);
    test_path_t csv = tmp_path("newer/metrics.csv");
    write_text(csv.s, METRICS_CSV_COLUMNS "\n"
                      "1,100,2.0,1.2,0.6,0.65,0.55,0.6,0.4,2.5,4000,0.45\n"
                      "2,100,1.9,1.2,0.6,0.65,0.75,0.6,0.4,2.5,4000,0.25\n");
    mkdirs(older.s);
    write_metrics(older.s, 2, 1);
    test_path_t html = tmp_path("r.html");
    const char *in[2] = {newer.s, older.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 2, html.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    test_path_t g = tmp_path("g_acc.svg");
    char *svg = read_text(g.s);
    cr_expect_not_null(strstr(svg, ">G accuracy</text>"), "y axis label");
    cr_expect_eq(count_of(svg, "<polyline"), 1, "one line: the run with g_acc");
    cr_expect_null(strstr(svg, "older"), "the run without g_acc is not in the legend");
    free(svg);
    char *page = read_text(html.s);
    cr_expect_eq(count_of(page, "<svg"), 5, "four training charts and G accuracy");
    free(page);
    /* Only older runs: no g_acc.svg. */
    test_path_t html2 = tmp_path("sub/r.html");
    const char *in2[1] = {older.s};
    cr_assert_eq(write_report(in2, 1, html2.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    test_path_t g2 = tmp_path("sub/g_acc.svg");
    cr_expect(!fs_exists(g2.s), "g_acc.svg written for runs without the column");
}

/* ---- the page's base64 ---------------------------------------------------------- */

/* The page's data URIs decode (coreutils base64 -d, an independent
 * decoder) to the sample files byte for byte. The three grids are padded
 * with bytes after the PNG's end to lengths of 0, 1 and 2 mod 3, so every
 * padding case of RFC 4648 ('', '==', '=') is taken. */
Test(report, data_uris_decode_to_the_sample_files)
{
    fake_run_t r = {"he_xavier", 1, 2, 1, 0, 1}; /* samples 0, 1, 2 */
    make_run(tmp_dir, &r, "b64");
    for (int e = 0; e < 3; e++) {
        test_path_t png = tmp_path("b64/samples/epoch_%04d.png", e);
        FILE *fp = fopen(png.s, "ab");
        cr_assert_not_null(fp);
        cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
        long n = ftell(fp);
        for (long pad = ((e - n % 3) + 3) % 3; pad > 0; pad--)
            fputc(0xff, fp);
        cr_assert_eq(ftell(fp) % 3, e, "grid %d: length %ld", e, ftell(fp));
        cr_assert_eq(fclose(fp), 0);
    }
    test_path_t run = tmp_path("b64"), html = tmp_path("r.html");
    const char *in[1] = {run.s};
    char out[1024];
    gan_err_t err;
    cr_assert_eq(write_report(in, 1, html.s, NULL, out, &err), GAN_OK, "%s", err.msg);
    char *page = read_text(html.s);
    const char *p = page;
    for (int e = 0; e < 3; e++) {
        p = strstr(p, "data:image/png;base64,");
        cr_assert_not_null(p, "grid %d not embedded", e);
        p += strlen("data:image/png;base64,");
        size_t len = strcspn(p, "\"");
        test_path_t enc = tmp_path("grid%d.b64", e), dec = tmp_path("grid%d.png", e);
        test_write_file(enc.s, p, len);
        test_path_t png = tmp_path("b64/samples/epoch_%04d.png", e);
        char cmd[2200];
        snprintf(cmd, sizeof cmd, "base64 -d '%s' > '%s' && cmp -s '%s' '%s'", enc.s, dec.s, dec.s,
                 png.s);
        cr_expect_eq(system(cmd), 0, "grid %d: the data URI does not decode to %s", e, png.s);
        cr_expect_eq(len % 4, 0, "grid %d: padded to whole quads", e);
        cr_expect_eq(p[len - 1] == '=', e != 0, "grid %d: '=' padding iff length %% 3 != 0", e);
        cr_expect_eq(p[len - 2] == '=', e == 1, "grid %d: '==' iff length %% 3 == 1", e);
    }
    free(page);
}

/* ---- axes: colours and facets ------------------------------------------------------ */

/* A study of two inits x two learning rates x two seeds, named the way an
 * experiment names its runs (init-lrLR-sSEED) but grouped from config.json
 * alone (written by train_cfg_write_fields, as gan train writes it).
 * Every run has three epochs; its final G loss is given per run so the
 * test can state the table's mean +- std by hand. */
static const struct {
    const char *init, *lr;
    int seed;
    double g_final;
} study_runs[] = {
    {"he_xavier", "0.0001", 1, 1.0}, {"he_xavier", "0.0001", 2, 1.4},
    {"he_xavier", "0.0004", 1, 2.0}, {"he_xavier", "0.0004", 2, 2.6},
    {"random", "0.0001", 1, 3.0},    {"random", "0.0001", 2, 3.2},
    {"random", "0.0004", 1, 0.5},    {"random", "0.0004", 2, 1.5},
};
enum { N_STUDY_RUNS = 8 };

static void write_full_config(const char *run_dir, const char *init, const char *lr, int seed)
{
    train_cfg_t cfg;
    gan_err_t err;
    char s[16], path[1200];
    snprintf(s, sizeof s, "%d", seed);
    train_cfg_default(&cfg);
    cr_assert_eq(train_cfg_set(&cfg, "init", init, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(train_cfg_set(&cfg, "lr", lr, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(train_cfg_set(&cfg, "seed", s, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(train_cfg_set(&cfg, "epochs", "3", &err), GAN_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/config.json", run_dir);
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp);
    fputs("{\n", fp);
    train_cfg_write_fields(fp, &cfg);
    fputs("\n}\n", fp);
    cr_assert_eq(fclose(fp), 0);
}

static test_path_t make_study(void)
{
    test_path_t exp = tmp_path("runs/study");
    for (int i = 0; i < N_STUDY_RUNS; i++) {
        char dir[600], path[1200];
        snprintf(dir, sizeof dir, "%s/%s-lr%s-s%d", exp.s, study_runs[i].init, study_runs[i].lr,
                 study_runs[i].seed);
        mkdirs(dir);
        write_full_config(dir, study_runs[i].init, study_runs[i].lr, study_runs[i].seed);
        snprintf(path, sizeof path, "%s/metrics.csv", dir);
        FILE *fp = fopen(path, "wb");
        cr_assert_not_null(fp);
        fputs(HEADER, fp);
        for (int e = 1; e <= 3; e++)
            fprintf(fp, "%d,100,%.6g,1.2,0.7,0.75,0.65,0.6,0.4,2.5,4000\n", e,
                    study_runs[i].g_final + 0.25 * (3 - e));
        cr_assert_eq(fclose(fp), 0);
        write_layers(dir, study_runs[i].init, study_runs[i].seed, 3);
    }
    return exp;
}

static int write_study_report(const char *exp, const char *color, const char *facet,
                              gan_err_t *err)
{
    const char *in[1] = {exp};
    char out[1024];
    report_opts_t o = {.inputs = in, .n_inputs = 1, .color_axis = color, .facet_axis = facet};
    return report_write(&o, out, sizeof out, err);
}

/* The text of panel `value` in svg: from its marker to the next panel's
 * (or the end); caller frees. */
static char *panel_text(const char *svg, const char *value)
{
    char marker[100];
    snprintf(marker, sizeof marker, "<g class=\"panel\" data-value=\"%s\">", value);
    const char *start = strstr(svg, marker);
    cr_assert_not_null(start, "no panel %s", value);
    const char *end = strstr(start + 1, "<g class=\"panel\"");
    size_t n = end ? (size_t)(end - start) : strlen(start);
    char *text = malloc(n + 1);
    cr_assert_not_null(text);
    memcpy(text, start, n);
    text[n] = '\0';
    return text;
}

Test(report, facet_by_lr_draws_one_panel_per_value_with_both_inits_in_each)
{
    test_path_t exp = make_study();
    gan_err_t err;
    cr_assert_eq(write_study_report(exp.s, NULL, "lr", &err), GAN_OK, "%s", err.msg);
    for (int c = 0; c < N_ALL_CHARTS; c++) {
        test_path_t p = tmp_path("runs/study/%s", all_charts[c]);
        char *svg = read_text(p.s);
        cr_expect_eq(count_of(svg, "<g class=\"panel\""), 2, "%s: one panel per lr", p.s);
        cr_expect_not_null(strstr(svg, "data-value=\"0.0001\""), "%s", p.s);
        cr_expect_not_null(strstr(svg, "data-value=\"0.0004\""), "%s", p.s);
        free(svg);
    }
    test_path_t g = tmp_path("runs/study/g_loss.svg");
    char *svg = read_text(g.s);
    /* The legend names the colour axis' values (the init scheme as such). */
    cr_expect_eq(count_of(svg, "he_xavier: mean of 2 seeds, min-max band"), 1, "legend");
    cr_expect_eq(count_of(svg, "random: mean of 2 seeds, min-max band"), 1, "legend");
    cr_expect_not_null(strstr(svg, ">lr=0.0001</text>"), "panel title");
    cr_expect_not_null(strstr(svg, ">lr=0.0004</text>"), "panel title");
    cr_expect_eq(count_of(svg, svg_palette(2)), 0, "two inits, two colours");
    /* Each panel: the mean line and the band of each init, in its colour. */
    static const char *const lrs[2] = {"0.0001", "0.0004"};
    for (int k = 0; k < 2; k++) {
        char *panel = panel_text(svg, lrs[k]);
        cr_expect_eq(count_of(panel, "<polyline"), 2, "lr %s: one mean line per init", lrs[k]);
        cr_expect_eq(count_of(panel, "<polygon"), 2, "lr %s: one band per init", lrs[k]);
        cr_expect_geq(count_of(panel, svg_palette(0)), 2, "lr %s", lrs[k]);
        cr_expect_geq(count_of(panel, svg_palette(1)), 2, "lr %s", lrs[k]);
        free(panel);
    }
    free(svg);

    /* The table: a column per varying axis, mean +- std over the two seeds
     * of each group (final epoch). By hand, mean (a+b)/2 and sample std
     * |a-b|/sqrt(2):
     *   he_xavier 0.0001: 1.0, 1.4 -> 1.2 +- 0.2828
     *   he_xavier 0.0004: 2.0, 2.6 -> 2.3 +- 0.4243
     *   random    0.0001: 3.0, 3.2 -> 3.1 +- 0.1414
     *   random    0.0004: 0.5, 1.5 -> 1   +- 0.7071 */
    test_path_t html = tmp_path("runs/study/report.html");
    char *page = read_text(html.s);
    cr_expect_not_null(strstr(page, "<th class=\"l\">init</th><th class=\"l\">lr</th><th>runs</th>"),
                       "group table heads");
    static const char *const rows[] = {
        "he_xavier</td><td class=\"l\">0.0001</td><td>2</td><td>3</td><td>1.2 &#177; 0.2828</td>",
        "he_xavier</td><td class=\"l\">0.0004</td><td>2</td><td>3</td><td>2.3 &#177; 0.4243</td>",
        "random</td><td class=\"l\">0.0001</td><td>2</td><td>3</td><td>3.1 &#177; 0.1414</td>",
        "random</td><td class=\"l\">0.0004</td><td>2</td><td>3</td><td>1 &#177; 0.7071</td>",
    };
    for (int i = 0; i < 4; i++)
        cr_expect_not_null(strstr(page, rows[i]), "group row %d: %s", i, rows[i]);
    cr_expect_eq(count_of(page, "<tr class=\"group\">"), 4, "one row per init x lr");
    cr_expect_not_null(strstr(page, "<td class=\"l\">he_xavier-lr0.0004-s2</td>"), "run table");
    cr_expect_not_null(strstr(page, "one panel per value of lr"));
    free(page);

    expect_charts_well_formed("runs/study");
}

Test(report, colour_by_lr_names_lr_values_and_facets_by_init)
{
    test_path_t exp = make_study();
    gan_err_t err;
    cr_assert_eq(write_study_report(exp.s, "lr", "init", &err), GAN_OK, "%s", err.msg);
    test_path_t g = tmp_path("runs/study/g_loss.svg");
    char *svg = read_text(g.s);
    cr_expect_eq(count_of(svg, "<g class=\"panel\""), 2, "one panel per init");
    cr_expect_not_null(strstr(svg, "data-value=\"he_xavier\""));
    cr_expect_eq(count_of(svg, "lr=0.0001: mean of 2 seeds, min-max band"), 1, "legend");
    cr_expect_eq(count_of(svg, "lr=0.0004: mean of 2 seeds, min-max band"), 1, "legend");
    free(svg);
}

Test(report, without_facets_a_second_axis_splits_the_colours)
{
    /* No --facet: each init x lr is its own line and legend entry, named
     * by both values; the seeds are still averaged. */
    test_path_t exp = make_study();
    gan_err_t err;
    cr_assert_eq(write_study_report(exp.s, NULL, NULL, &err), GAN_OK, "%s", err.msg);
    test_path_t g = tmp_path("runs/study/g_loss.svg");
    char *svg = read_text(g.s);
    cr_expect_eq(count_of(svg, "<g class=\"panel\""), 0, "one panel, unmarked as today");
    cr_expect_not_null(strstr(svg, "he_xavier, lr=0.0004: mean of 2 seeds"));
    cr_expect_eq(count_of(svg, "<polyline"), 4, "four groups");
    cr_expect_eq(count_of(svg, "<polygon"), 4);
    free(svg);
}

Test(report, an_axis_the_runs_share_gives_one_panel)
{
    test_path_t exp = make_study();
    gan_err_t err;
    cr_assert_eq(write_study_report(exp.s, NULL, "batch", &err), GAN_OK, "%s", err.msg);
    test_path_t g = tmp_path("runs/study/g_loss.svg");
    char *svg = read_text(g.s);
    cr_expect_eq(count_of(svg, "<g class=\"panel\""), 1);
    cr_expect_not_null(strstr(svg, ">batch=64</text>"), "panel title names the value");
    free(svg);
}

Test(report, an_unknown_axis_is_an_input_error_listing_the_axes)
{
    test_path_t exp = make_study();
    gan_err_t err;
    cr_expect_eq(write_study_report(exp.s, NULL, "learning-rate", &err), GAN_ERR_INPUT);
    cr_expect_str_eq(err.msg, "--facet=learning-rate: not an axis; use one of init, g-init, "
                              "d-init, init-std, lr, d-lr, beta1, beta2, batch, z-dim, leak, g-hidden, "
                              "d-hidden, precision, products, limit, seed");
    cr_expect_eq(write_study_report(exp.s, "epochs", NULL, &err), GAN_ERR_INPUT,
                 "epochs is an option but not an axis");
    cr_expect_not_null(strstr(err.msg, "--color=epochs: not an axis"), "%s", err.msg);
    test_path_t html = tmp_path("runs/study/report.html");
    cr_expect(!fs_exists(html.s), "nothing written");
}

Test(report, faceted_page_renders_in_headless_chromium)
{
    if (access("/usr/bin/chromium", X_OK) != 0) {
        remove_tmp_dir();
        cr_skip_test("/usr/bin/chromium not installed (apt-get install chromium)");
    }
    test_path_t exp = make_study();
    gan_err_t err;
    cr_assert_eq(write_study_report(exp.s, NULL, "lr", &err), GAN_OK, "%s", err.msg);
    test_path_t html = tmp_path("runs/study/report.html");
    unsigned char *px;
    int w, h;
    screenshot(html.s, &px, &w, &h);
    int n = w * h;
    cr_expect(has_colour(px, n, 0x00, 0x72, 0xb2, 24), "no he_xavier blue line");
    cr_expect(has_colour(px, n, 0xd5, 0x5e, 0x00, 24), "no random vermillion line");
    stbi_image_free(px);
}

/* ---- step-level charts (issue 15) ------------------------------------------------ */

/* Parses the first "<tag points=..." of svg into xs/ys; returns the count. */
static int svg_points(const char *svg, const char *tag, double *xs, double *ys, int max)
{
    char marker[64];
    snprintf(marker, sizeof marker, "<%s points=\"", tag);
    const char *p = strstr(svg, marker);
    if (!p)
        return 0;
    p += strlen(marker);
    int n = 0;
    while (*p != '"' && n < max) {
        char *end;
        xs[n] = strtod(p, &end);
        ys[n] = strtod(end + 1, &end);
        n++;
        p = end + (*end == ' ');
    }
    return n;
}

/* Two seeds of one init, four logged steps per epoch, two epochs. G loss
 * of seed 1 is 1,5,1,5 and of seed 2 is 3,1,3,1 in the first epoch, so
 * the mean is 2,3,2,3 and the band 1..3, 1..5: on a linear axis the mean's
 * points 1 and 3 (2 and 4) share a height, and 3 - 2 is as far as 2 - 1,
 * the band's floor. The second epoch only shows with --steps=all. */
Test(report, step_charts_average_seeds_over_the_first_epoch_or_the_whole_run)
{
    static const double g[2][8] = {{1, 5, 1, 5, 9, 9, 9, 9}, {3, 1, 3, 1, 9, 9, 9, 9}};
    test_path_t exp = tmp_path("steps");
    for (int s = 0; s < 2; s++) {
        char dir[600], path[1200];
        snprintf(dir, sizeof dir, "%s/he_xavier-s%d", exp.s, s + 1);
        mkdirs(dir);
        write_full_config(dir, "he_xavier", "0.0002", s + 1);
        write_metrics(dir, 2, s + 1);
        snprintf(path, sizeof path, "%s/steps.csv", dir);
        FILE *fp = fopen(path, "wb");
        cr_assert_not_null(fp);
        fputs(STEPS_CSV_COLUMNS "\n", fp);
        for (int i = 0; i < 8; i++)
            fprintf(fp, "%d,%d,%g,1.3,0.6,0.4\n", i + 1, i / 4 + 1, g[s][i]);
        cr_assert_eq(fclose(fp), 0);
    }
    const char *in[1] = {exp.s};
    char out[1024];
    gan_err_t err;
    for (int all = 0; all < 2; all++) {
        report_opts_t o = {.inputs = in, .n_inputs = 1,
                           .steps = all ? REPORT_STEPS_ALL : REPORT_STEPS_FIRST_EPOCH};
        cr_assert_eq(report_write(&o, out, sizeof out, &err), GAN_OK, "%s", err.msg);
        test_path_t chart = tmp_path("steps/steps_g_loss.svg");
        char *svg = read_text(chart.s);
        double x[20], y[20], bx[40], by[40];
        int n = svg_points(svg, "polyline", x, y, 20);
        int nb = svg_points(svg, "polygon", bx, by, 40);
        cr_assert_eq(n, all ? 8 : 4, "mean line points (all=%d):\n%s", all, svg);
        cr_assert_eq(nb, 2 * n, "band points");
        cr_expect(strstr(svg, ">step</text>") != NULL, "x axis is the step");
        cr_expect_eq(strstr(svg, ", first epoch") != NULL, !all, "title says which steps");
        for (int i = 1; i < n; i++)
            cr_expect_gt(x[i], x[i - 1], "steps increase left to right");
        cr_expect_float_eq(y[0], y[2], 0.01, "mean of 1 and 3 = mean of 1 and 3");
        cr_expect_float_eq(y[1], y[3], 0.01, "mean of 5 and 1 = mean of 5 and 1");
        double floor_px = by[nb - 1]; /* the band: max forward, then min back to step 1 */
        cr_expect_float_eq(y[0] - y[1], floor_px - y[0], 0.02, "mean 2 and 3 against floor 1: %g %g %g", y[0], y[1], floor_px);
        cr_expect_lt(y[1], y[0], "3 is drawn above 2");
        free(svg);
        char *page = read_text(out);
        cr_expect(strstr(page, "<h2>Single steps</h2>") != NULL, "the page has the step charts");
        free(page);
    }
    /* --steps=none: no step charts. */
    test_path_t none_html = tmp_path("none/r.html");
    report_opts_t o = {.inputs = in, .n_inputs = 1, .html_path = none_html.s,
                       .steps = REPORT_STEPS_NONE};
    cr_assert_eq(report_write(&o, out, sizeof out, &err), GAN_OK, "%s", err.msg);
    test_path_t none_chart = tmp_path("none/steps_g_loss.svg");
    cr_expect(!fs_exists(none_chart.s), "--steps=none wrote a step chart");
}
