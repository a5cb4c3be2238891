/* Tests for the sample-grid PNG writer (src/png_grid.c) and the .npy writer
 * (src/npy.c).
 *
 * Both are checked through independent readers: grids are decoded with
 * stb_image from libstb (not the stb_image_write compiled into png_grid.c)
 * and compared with pixel positions and byte values worked out by hand;
 * .npy files are parsed here byte by byte and, when /usr/bin/python3 has
 * NumPy, loaded with numpy.load. Every test works in its own fresh folder
 * under /tmp (removed afterwards), which also lets the atomic-write tests
 * check that no temporary file is left behind. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <stb_image.h>

#include "gan/fsutil.h"
#include "gan/npy.h"
#include "gan/png_grid.h"
#include "test_util.h"

/* ---- per-test folder --------------------------------------------------- */

static char tmp_dir[64];

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "png"); }
static void remove_tmp_dir(void) { test_tmpdir_remove(tmp_dir); }

TestSuite(png_grid, .init = make_tmp_dir, .fini = remove_tmp_dir);
TestSuite(npy, .init = make_tmp_dir, .fini = remove_tmp_dir);

static test_path_t tmp_path(const char *name) { return test_path(tmp_dir, name); }

/* Asserts the test folder holds exactly the one entry `only` (or nothing
 * when only is NULL): no temporary file left behind by an atomic write. */
static void expect_folder_holds(const char *only)
{
    DIR *d = opendir(tmp_dir);
    cr_assert_not_null(d, "cannot list %s", tmp_dir);
    int n = 0, found = 0;
    char stray[256] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (only && strcmp(e->d_name, only) == 0)
            found = 1;
        else
            snprintf(stray, sizeof stray, "%s", e->d_name);
    }
    closedir(d);
    cr_expect(stray[0] == '\0', "unexpected file left in the folder: %s", stray);
    cr_expect_eq(n, only ? 1 : 0, "%d entries in the folder, expected %d", n, only ? 1 : 0);
    if (only)
        cr_expect(found, "%s is missing", only);
}

static int msg_names(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(msg, path, n) == 0 && msg[n] == ':';
}

/* Makes every write past `bytes` in a file fail with EFBIG (SIGXFSZ ignored
 * so the process survives); Criterion runs each test in its own process. */
static struct rlimit limit_file_size(rlim_t bytes)
{
    struct rlimit old;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit lim = {bytes, old.rlim_max};
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0, "setrlimit(RLIMIT_FSIZE) failed");
    return old;
}

/* ---- the grid fixture -------------------------------------------------- */

/* 5 images of h=4 rows x w=3 columns, 3 per row, padding 2:
 *   cols = 3, rows = ceil(5/3) = 2
 *   width  = 3*(3+2)+2 = 17   (x: 0-1 pad, 2-4 col 0, 5-6 pad, 7-9 col 1,
 *                                10-11 pad, 12-14 col 2, 15-16 pad)
 *   height = 2*(4+2)+2 = 14   (y: 0-1 pad, 2-5 row 0, 6-7 pad, 8-11 row 1,
 *                                12-13 pad)
 * Image i sits at column i%3, row i/3; the sixth cell (x 12-14, y 8-11) is
 * unused. Image 0 holds the values whose mapping is tested; images 1-4 hold
 * v = b/127.5 - 1, whose pixel is b (+0.5 rounding margin either side), with
 * b = 40*i + 3*k distinct per image i and per pixel k = row*3 + col. */
enum { FX_N = 5, FX_NROW = 3, FX_H = 4, FX_W = 3, FX_PAD = 2, FX_WIDTH = 17, FX_HEIGHT = 14 };

static const float fx_special[FX_H * FX_W] = {
    -1.0f, 1.0f,  0.0f,  /* (2,2) (3,2) (4,2) */
    0.5f,  3.0f,  -7.0f, /* (2,3) (3,3) (4,3) */
    NAN,   -0.5f, 0.25f, /* (2,4) (3,4) (4,4) */
    0.99f, -0.999f, INFINITY, /* (2,5) (3,5) (4,5) */
};

static uint8_t fx_byte(int i, int k)
{
    return (uint8_t)(40 * i + 3 * k);
}

static void fx_images(float *images)
{
    memcpy(images, fx_special, sizeof fx_special);
    for (int i = 1; i < FX_N; i++)
        for (int k = 0; k < FX_H * FX_W; k++)
            images[i * FX_H * FX_W + k] = (float)fx_byte(i, k) / 127.5f - 1.0f;
}

typedef struct {
    uint8_t *px;
    int width, height;
} gray_t;

/* Decodes a PNG with libstb's stb_image, asserting one 8-bit gray channel
 * (also in the IHDR chunk: bit depth 8, color type 0). Caller frees px. */
static gray_t read_png(const char *path)
{
    size_t n;
    uint8_t *raw = test_read_file(path, &n);
    cr_assert_geq(n, 33, "%s: too short for a PNG", path);
    cr_expect_eq(memcmp(raw, "\x89PNG\r\n\x1a\n", 8), 0, "%s: no PNG signature", path);
    cr_expect_eq(memcmp(raw + 12, "IHDR", 4), 0, "%s: first chunk is not IHDR", path);
    cr_expect_eq(raw[24], 8, "%s: bit depth %d, expected 8", path, raw[24]);
    cr_expect_eq(raw[25], 0, "%s: color type %d, expected 0 (gray)", path, raw[25]);
    free(raw);
    gray_t g;
    int comp = 0;
    g.px = stbi_load(path, &g.width, &g.height, &comp, 0);
    cr_assert_not_null(g.px, "%s: stb_image cannot decode it: %s", path, stbi_failure_reason());
    cr_expect_eq(comp, 1, "%s: %d channels, expected 1", path, comp);
    return g;
}

static gray_t write_fixture_grid(void)
{
    float images[FX_N * FX_H * FX_W];
    fx_images(images);
    test_path_t p = tmp_path("grid.png");
    gan_err_t err = {{0}};
    int rc = png_grid_write(p.s, images, FX_N, FX_NROW, FX_H, FX_W, FX_PAD, &err);
    cr_assert_eq(rc, GAN_OK, "png_grid_write: %s", err.msg);
    gray_t g = read_png(p.s);
    cr_assert_eq(g.width, FX_WIDTH, "width %d, expected %d", g.width, FX_WIDTH);
    cr_assert_eq(g.height, FX_HEIGHT, "height %d, expected %d", g.height, FX_HEIGHT);
    return g;
}

static void expect_px(gray_t g, int x, int y, int want, const char *what)
{
    int got = g.px[y * g.width + x];
    cr_expect_eq(got, want, "%s: pixel (%d,%d) is %d, expected %d", what, x, y, got, want);
}

/* ---- grid size ---------------------------------------------------------- */

Test(png_grid, size_follows_make_grid_formula)
{
    int w, h;
    png_grid_size(FX_N, FX_NROW, FX_H, FX_W, FX_PAD, &w, &h);
    cr_expect_eq(w, 17, "5 images 4x3, 3 per row, padding 2: width %d, expected 17", w);
    cr_expect_eq(h, 14, "5 images 4x3, 3 per row, padding 2: height %d, expected 14", h);
    /* 6 images fill both rows exactly: same size as 5. */
    png_grid_size(6, 3, 4, 3, 2, &w, &h);
    cr_expect(w == 17 && h == 14, "6 images: %d x %d, expected 17 x 14", w, h);
    /* 7 images need a third row: 3*(4+2)+2 = 20. */
    png_grid_size(7, 3, 4, 3, 2, &w, &h);
    cr_expect(w == 17 && h == 20, "7 images: %d x %d, expected 17 x 20", w, h);
    /* No padding: plain tiling, 2 rows of 3 cells of 3 wide, 4 high. */
    png_grid_size(5, 3, 4, 3, 0, &w, &h);
    cr_expect(w == 9 && h == 8, "padding 0: %d x %d, expected 9 x 8", w, h);
}

Test(png_grid, default_mnist_grid_is_242_square)
{
    /* 64 images of 28x28, 8 per row, padding 2: 8*(28+2)+2 = 242. */
    int w, h;
    png_grid_size(64, 8, 28, 28, 2, &w, &h);
    cr_expect(w == 242 && h == 242, "64 MNIST images: %d x %d, expected 242 x 242", w, h);

    float *images = malloc(64 * 784 * sizeof *images);
    cr_assert_not_null(images);
    for (int i = 0; i < 64 * 784; i++)
        images[i] = (float)((i * 37) % 255) / 127.5f - 1.0f;
    test_path_t p = tmp_path("epoch_0000.png");
    gan_err_t err = {{0}};
    cr_assert_eq(png_grid_write(p.s, images, 64, 8, 28, 28, 2, &err), GAN_OK, "%s", err.msg);
    gray_t g = read_png(p.s);
    cr_expect(g.width == 242 && g.height == 242, "decoded %d x %d, expected 242 x 242", g.width,
              g.height);
    /* Image 63 is the last cell: column 7, row 7, top-left at 2 + 7*30 = 212;
     * its last pixel (27,27) at (239,239), just inside the 2-pixel border. */
    int last = 63 * 784 + 783;
    expect_px(g, 239, 239, (last * 37) % 255, "last pixel of image 63");
    expect_px(g, 240, 240, 0, "bottom-right border");
    stbi_image_free(g.px);
    free(images);
}

Test(png_grid, fewer_images_than_nrow_gives_narrower_grid)
{
    /* torchvision's make_grid uses min(nrow, n) columns: 3 images with nrow 8
     * make one row of 3 cells, 3*(28+2)+2 = 92 wide, 1*(28+2)+2 = 32 high. */
    int w, h;
    png_grid_size(3, 8, 28, 28, 2, &w, &h);
    cr_expect(w == 92 && h == 32, "3 images, nrow 8: %d x %d, expected 92 x 32", w, h);
}

Test(png_grid, size_of_invalid_grid_is_zero)
{
    int w = -1, h = -1;
    png_grid_size(0, 8, 28, 28, 2, &w, &h);
    cr_expect(w == 0 && h == 0, "n = 0: %d x %d", w, h);
    png_grid_size(4, 0, 28, 28, 2, &w, &h);
    cr_expect(w == 0 && h == 0, "nrow = 0: %d x %d", w, h);
    png_grid_size(4, 2, 28, 28, -1, &w, &h);
    cr_expect(w == 0 && h == 0, "padding -1: %d x %d", w, h);
    png_grid_size(1 << 30, 1 << 20, 28, 28, 2, &w, &h);
    cr_expect(w == 0 && h == 0, "huge grid: %d x %d", w, h);
}

/* ---- pixel mapping and layout (one fixture, read back with stb_image) --- */

Test(png_grid, written_png_is_17x14_one_channel)
{
    gray_t g = write_fixture_grid();
    stbi_image_free(g.px);
}

Test(png_grid, maps_minus_one_to_0_and_plus_one_to_255)
{
    gray_t g = write_fixture_grid();
    expect_px(g, 2, 2, 0, "-1");
    expect_px(g, 3, 2, 255, "+1");
    stbi_image_free(g.px);
}

Test(png_grid, maps_zero_to_128_and_half_to_191)
{
    /* (0+1)/2*255 + 0.5 = 128.0 -> 128 (round half up, as torchvision);
     * (0.5+1)/2*255 + 0.5 = 191.75 -> 191; -0.5 -> 64.25 -> 64;
     * 0.25 -> 159.875 -> 159; 0.99 -> 254.2 -> 254; -0.999 -> 0.63 -> 0. */
    gray_t g = write_fixture_grid();
    expect_px(g, 4, 2, 128, "0");
    expect_px(g, 2, 3, 191, "0.5");
    expect_px(g, 3, 4, 64, "-0.5");
    expect_px(g, 4, 4, 159, "0.25");
    expect_px(g, 2, 5, 254, "0.99");
    expect_px(g, 3, 5, 0, "-0.999");
    stbi_image_free(g.px);
}

Test(png_grid, clamps_out_of_range_and_maps_nan_to_0)
{
    gray_t g = write_fixture_grid();
    expect_px(g, 3, 3, 255, "3.0");
    expect_px(g, 4, 3, 0, "-7");
    expect_px(g, 2, 4, 0, "NaN");
    expect_px(g, 4, 5, 255, "+inf");
    stbi_image_free(g.px);
}

Test(png_grid, padding_and_unused_cell_are_0)
{
    gray_t g = write_fixture_grid();
    int n_bad = 0;
    for (int y = 0; y < FX_HEIGHT; y++) {
        for (int x = 0; x < FX_WIDTH; x++) {
            int pad_x = x <= 1 || x == 5 || x == 6 || x == 10 || x == 11 || x >= 15;
            int pad_y = y <= 1 || y == 6 || y == 7 || y >= 12;
            int unused = x >= 12 && x <= 14 && y >= 8 && y <= 11;
            if ((pad_x || pad_y || unused) && g.px[y * g.width + x] != 0 && n_bad++ < 5)
                cr_expect_fail("pixel (%d,%d) is %d, expected 0 (padding or unused cell)", x,
                               y, g.px[y * g.width + x]);
        }
    }
    cr_expect_eq(n_bad, 0, "%d padding/unused pixels are not 0", n_bad);
    stbi_image_free(g.px);
}

Test(png_grid, images_fill_cells_left_to_right_then_down)
{
    /* Top-left corners by hand: image 1 (7,2), image 2 (12,2), image 3 (2,8),
     * image 4 (7,8); pixel k = row*3 + col sits at corner + (col, row). */
    static const int corner[FX_N][2] = {{2, 2}, {7, 2}, {12, 2}, {2, 8}, {7, 8}};
    gray_t g = write_fixture_grid();
    for (int i = 1; i < FX_N; i++)
        for (int r = 0; r < FX_H; r++)
            for (int c = 0; c < FX_W; c++)
                expect_px(g, corner[i][0] + c, corner[i][1] + r, fx_byte(i, r * FX_W + c),
                          "image 1-4 pixel");
    stbi_image_free(g.px);
}

Test(png_grid, render_matches_written_png)
{
    float images[FX_N * FX_H * FX_W];
    fx_images(images);
    uint8_t pixels[FX_WIDTH * FX_HEIGHT];
    memset(pixels, 0xA5, sizeof pixels); /* render must overwrite padding too */
    png_grid_render(pixels, images, FX_N, FX_NROW, FX_H, FX_W, FX_PAD);
    gray_t g = write_fixture_grid();
    cr_expect_arr_eq(g.px, pixels, sizeof pixels, "decoded PNG differs from the rendered buffer");
    stbi_image_free(g.px);
}

Test(png_grid, write_pixels_round_trips)
{
    enum { W = 31, H = 7 };
    uint8_t pixels[W * H];
    for (int i = 0; i < W * H; i++)
        pixels[i] = (uint8_t)(i * 11 + 3);
    test_path_t p = tmp_path("gray.png");
    gan_err_t err = {{0}};
    cr_assert_eq(png_grid_write_pixels(p.s, pixels, W, H, &err), GAN_OK, "%s", err.msg);
    gray_t g = read_png(p.s);
    cr_expect(g.width == W && g.height == H, "%d x %d, expected %d x %d", g.width, g.height, W, H);
    cr_expect_arr_eq(g.px, pixels, sizeof pixels, "pixels differ after a round trip");
    stbi_image_free(g.px);
}

/* ---- errors and atomic replacement -------------------------------------- */

Test(png_grid, missing_folder_fails_and_leaves_no_file)
{
    float images[FX_N * FX_H * FX_W];
    fx_images(images);
    test_path_t p = tmp_path("no-such-folder/grid.png");
    gan_err_t err = {{0}};
    int rc = png_grid_write(p.s, images, FX_N, FX_NROW, FX_H, FX_W, FX_PAD, &err);
    /* A bad output path is the user's to fix (exit 2), and the message names
     * the missing folder, not a temporary file. */
    cr_expect_eq(rc, GAN_ERR_INPUT, "code %d, expected GAN_ERR_INPUT (%s)", rc, err.msg);
    cr_expect_not_null(strstr(err.msg, "folder"), "message \"%s\" lacks the folder", err.msg);
    cr_expect_not_null(strstr(err.msg, "no-such-folder does not exist"),
                       "message \"%s\" does not name the missing folder", err.msg);
    cr_expect_null(strstr(err.msg, ".tmp."), "message \"%s\" names a temp file", err.msg);
    cr_expect_null(strchr(err.msg, '\n'), "message is not one line: \"%s\"", err.msg);
    cr_expect(!fs_exists(p.s), "%s exists after a failed write", p.s);
    expect_folder_holds(NULL);
}

Test(png_grid, rejects_invalid_grid)
{
    float image[4] = {0};
    test_path_t p = tmp_path("grid.png");
    gan_err_t err = {{0}};
    int rc = png_grid_write(p.s, image, 0, 8, 2, 2, 2, &err);
    cr_expect_eq(rc, GAN_ERR_INPUT, "n = 0: code %d (%s)", rc, err.msg);
    cr_expect(msg_names(err.msg, p.s), "message \"%s\" does not name the file", err.msg);
    rc = png_grid_write_pixels(p.s, (const uint8_t *)image, 0, 4, &err);
    cr_expect_eq(rc, GAN_ERR_INPUT, "width 0: code %d (%s)", rc, err.msg);
    expect_folder_holds(NULL);
}

Test(png_grid, overwrite_replaces_file_and_leaves_no_temp)
{
    test_path_t p = tmp_path("grid.png");
    test_write_file(p.s, "old contents", 12);
    gray_t g = write_fixture_grid(); /* writes tmp_dir/grid.png over it */
    stbi_image_free(g.px);
    expect_folder_holds("grid.png");
}

Test(png_grid, failed_write_keeps_old_file)
{
    /* The file-size limit makes the PNG write fail part way (EFBIG); the old
     * grid.png must survive untouched and no temporary file remain. */
    test_path_t p = tmp_path("grid.png");
    test_write_file(p.s, "old contents", 12);
    enum { N = 64, HW = 28 * 28 };
    float *images = malloc(N * HW * sizeof *images);
    cr_assert_not_null(images);
    uint32_t s = 12345;
    for (int i = 0; i < N * HW; i++) { /* noise: compresses badly, > 40 kB */
        s = s * 1664525u + 1013904223u;
        images[i] = (float)(s >> 8) / 8388608.0f - 1.0f;
    }
    struct rlimit old = limit_file_size(1000);
    gan_err_t err = {{0}};
    int rc = png_grid_write(p.s, images, N, 8, 28, 28, 2, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    free(images);
    cr_expect_eq(rc, GAN_ERR_RUNTIME, "code %d, expected GAN_ERR_RUNTIME (%s)", rc, err.msg);
    cr_expect(msg_names(err.msg, p.s), "message \"%s\" does not name the file", err.msg);
    size_t n;
    uint8_t *data = test_read_file(p.s, &n);
    cr_expect(n == 12 && memcmp(data, "old contents", 12) == 0, "old file was changed");
    free(data);
    expect_folder_holds("grid.png");
}

/* ---- npy: an independent parser ----------------------------------------- */

typedef struct {
    uint8_t *raw;
    size_t n;
    size_t header_len; /* the u16 field */
    char header[1024]; /* header text, NUL-terminated */
    size_t data_offset;
} npy_file_t;

/* Checks the fixed parts of a version 1.0 file and splits it. */
static npy_file_t parse_npy(const char *path)
{
    npy_file_t f;
    f.raw = test_read_file(path, &f.n);
    cr_assert_geq(f.n, 10, "%s: %zu bytes, shorter than the preamble", path, f.n);
    cr_expect_eq(memcmp(f.raw, "\x93NUMPY", 6), 0, "%s: bad magic", path);
    cr_expect(f.raw[6] == 1 && f.raw[7] == 0, "%s: version %d.%d, expected 1.0", path, f.raw[6],
              f.raw[7]);
    f.header_len = (size_t)f.raw[8] | (size_t)f.raw[9] << 8;
    f.data_offset = 10 + f.header_len;
    cr_assert_leq(f.data_offset, f.n, "%s: header length %zu runs past the end", path,
                  f.header_len);
    cr_assert_lt(f.header_len, sizeof f.header);
    memcpy(f.header, f.raw + 10, f.header_len);
    f.header[f.header_len] = '\0';
    cr_expect_eq(f.data_offset % 64, 0, "%s: data starts at %zu, not a multiple of 64", path,
                 f.data_offset);
    cr_expect(f.header_len > 0 && f.header[f.header_len - 1] == '\n',
              "%s: header does not end with '\\n'", path);
    cr_expect_not_null(strstr(f.header, "'descr': '<f4'"), "header lacks descr: %s", f.header);
    cr_expect_not_null(strstr(f.header, "'fortran_order': False"),
                       "header lacks fortran_order: %s", f.header);
    return f;
}

/* Data bytes as little-endian float32 must equal want. */
static void expect_npy_data(const npy_file_t *f, const float *want, size_t count)
{
    cr_assert_eq(f->n - f->data_offset, count * 4, "%zu data bytes, expected %zu",
                 f->n - f->data_offset, count * 4);
    for (size_t i = 0; i < count; i++) {
        const uint8_t *b = f->raw + f->data_offset + 4 * i;
        uint32_t bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                        (uint32_t)b[3] << 24;
        uint32_t want_bits;
        memcpy(&want_bits, &want[i], 4);
        cr_expect_eq(bits, want_bits, "element %zu: bits %08x, expected %08x", i, bits,
                     want_bits);
    }
}

static const float arr23[6] = {1.5f, -2.0f, 0.25f, 3.0e-8f, -0.0f, 65504.0f};

Test(npy, writes_2d_header_and_data)
{
    test_path_t p = tmp_path("a.npy");
    const size_t shape[2] = {2, 3};
    gan_err_t err = {{0}};
    cr_assert_eq(npy_write(p.s, arr23, 2, shape, &err), GAN_OK, "%s", err.msg);
    npy_file_t f = parse_npy(p.s);
    /* Exactly what numpy.save writes: the dict (59 chars), then spaces up to
     * 127 bytes of header text after the 10-byte preamble, then '\n'. */
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    cr_expect_eq(f.header_len, 118, "header length %zu, expected 118", f.header_len);
    cr_expect_eq(strncmp(f.header, dict, strlen(dict)), 0, "header is \"%s\"", f.header);
    for (size_t i = strlen(dict); i + 1 < f.header_len; i++)
        if (f.header[i] != ' ') {
            cr_expect_fail("header byte %zu is '%c', expected a space", i, f.header[i]);
            break;
        }
    expect_npy_data(&f, arr23, 6);
    free(f.raw);
}

Test(npy, writes_1d_shape_with_trailing_comma)
{
    test_path_t p = tmp_path("b.npy");
    const float v[3] = {-1.0f, 0.5f, 1.0e30f};
    const size_t shape[1] = {3};
    gan_err_t err = {{0}};
    cr_assert_eq(npy_write(p.s, v, 1, shape, &err), GAN_OK, "%s", err.msg);
    npy_file_t f = parse_npy(p.s);
    cr_expect_not_null(strstr(f.header, "'shape': (3,), }"), "shape not (3,): %s", f.header);
    expect_npy_data(&f, v, 3);
    free(f.raw);
}

Test(npy, writes_scalar_with_empty_shape)
{
    test_path_t p = tmp_path("s.npy");
    const float v = 7.25f;
    gan_err_t err = {{0}};
    cr_assert_eq(npy_write(p.s, &v, 0, NULL, &err), GAN_OK, "%s", err.msg);
    npy_file_t f = parse_npy(p.s);
    cr_expect_not_null(strstr(f.header, "'shape': (), }"), "shape not (): %s", f.header);
    expect_npy_data(&f, &v, 1);
    free(f.raw);
}

Test(npy, header_stays_64_aligned_for_long_shapes)
{
    /* Empty arrays (a zero dim) exercise long headers without data; the
     * lengths cross several 64-byte boundaries. */
    size_t shape[NPY_MAX_NDIM];
    for (int ndim = 1; ndim <= NPY_MAX_NDIM; ndim += 3) {
        shape[0] = 0;
        for (int i = 1; i < ndim; i++)
            shape[i] = (size_t)123456789 * (size_t)i;
        test_path_t p = tmp_path("e.npy");
        gan_err_t err = {{0}};
        cr_assert_eq(npy_write(p.s, NULL, ndim, shape, &err), GAN_OK, "ndim %d: %s", ndim,
                     err.msg);
        npy_file_t f = parse_npy(p.s);
        cr_expect_eq(f.n, f.data_offset, "ndim %d: %zu data bytes for an empty array", ndim,
                     f.n - f.data_offset);
        if (ndim > 1)
            cr_expect_not_null(strstr(f.header, "(0, 123456789, "), "ndim %d: %s", ndim,
                               f.header);
        free(f.raw);
    }
}

Test(npy, rejects_bad_ndim_and_missing_folder)
{
    const size_t shape[1] = {3};
    const float v[3] = {0};
    gan_err_t err = {{0}};
    test_path_t p = tmp_path("x.npy");
    int rc = npy_write(p.s, v, -1, shape, &err);
    cr_expect_eq(rc, GAN_ERR_INPUT, "ndim -1: code %d (%s)", rc, err.msg);
    rc = npy_write(p.s, v, NPY_MAX_NDIM + 1, shape, &err);
    cr_expect_eq(rc, GAN_ERR_INPUT, "ndim too large: code %d (%s)", rc, err.msg);
    test_path_t q = tmp_path("no-such-folder/x.npy");
    rc = npy_write(q.s, v, 1, shape, &err);
    cr_expect_eq(rc, GAN_ERR_INPUT, "missing folder: code %d (%s)", rc, err.msg);
    cr_expect_not_null(strstr(err.msg, "no-such-folder"), "message \"%s\" lacks the path",
                       err.msg);
    expect_folder_holds(NULL);
}

Test(npy, failed_write_keeps_old_file)
{
    test_path_t p = tmp_path("big.npy");
    test_write_file(p.s, "old contents", 12);
    enum { N = 100000 };
    float *v = calloc(N, sizeof *v);
    cr_assert_not_null(v);
    const size_t shape[1] = {N};
    struct rlimit old = limit_file_size(4096);
    gan_err_t err = {{0}};
    int rc = npy_write(p.s, v, 1, shape, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    free(v);
    cr_expect_eq(rc, GAN_ERR_RUNTIME, "code %d, expected GAN_ERR_RUNTIME (%s)", rc, err.msg);
    cr_expect(msg_names(err.msg, p.s), "message \"%s\" does not name the file", err.msg);
    size_t n;
    uint8_t *data = test_read_file(p.s, &n);
    cr_expect(n == 12 && memcmp(data, "old contents", 12) == 0, "old file was changed");
    free(data);
    expect_folder_holds("big.npy");
}

Test(npy, numpy_load_reads_shape_and_values)
{
    if (system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        remove_tmp_dir(); /* cr_skip_test does not run the suite's .fini */
        cr_skip_test("/usr/bin/python3 with numpy not available");
    }
    test_path_t a = tmp_path("a.npy"), b = tmp_path("b.npy");
    const size_t shape2[2] = {2, 3}, shape1[1] = {3};
    const float v[3] = {-1.0f, 0.5f, 1.0e30f};
    gan_err_t err = {{0}};
    cr_assert_eq(npy_write(a.s, arr23, 2, shape2, &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(npy_write(b.s, v, 1, shape1, &err), GAN_OK, "%s", err.msg);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import sys, numpy as np\n"
             "a = np.load('%s'); b = np.load('%s')\n"
             "ea = np.array([%.9g, %.9g, %.9g, %.9g, %.9g, %.9g], np.float32).reshape(2, 3)\n"
             "eb = np.array([%.9g, %.9g, %.9g], np.float32)\n"
             "ok = (a.dtype == np.float32 and a.shape == (2, 3) and (a == ea).all()\n"
             "      and b.dtype == np.float32 and b.shape == (3,) and (b == eb).all())\n"
             "sys.exit(0 if ok else 1)\"",
             a.s, b.s, arr23[0], arr23[1], arr23[2], arr23[3], arr23[4], arr23[5], v[0], v[1],
             v[2]);
    int status = system(cmd);
    cr_expect_eq(status, 0, "numpy.load disagrees (status %d): %s", status, cmd);
}
