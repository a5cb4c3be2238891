/* `gan sample` in bulk and interpolation, end to end through the built
 * binary on a tiny run of the real MNIST (skipped without data/mnist).
 *
 * Every output is read back by a second reader: .npy files by NumPy
 * (/usr/bin/python3 with python3-numpy; those checks skip with a message
 * when it is missing), PNGs by stb_image. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_image.h>

#include "test_util.h"
#include "test_cli.h"

#define SMALL_NETS "--g-hidden=32,64", "--d-hidden=64,32"
#define PYTHON "/usr/bin/python3"

TestSuite(sample, .fini = teardown, .timeout = 600);

/* A one-epoch run on 256 images in tmp_dir/run. */
static char *tiny_run(void)
{
    need_mnist();
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "sample");
    char *run = tmp_path("run");
    GAN_OK("train", "--out", run, "--limit=256", "--epochs=1", SMALL_NETS, "--threads=1",
           "--quiet");
    return run;
}

static int have_numpy(void)
{
    return system(PYTHON " -c 'import numpy' >/dev/null 2>&1") == 0;
}

/* Runs a Python snippet (NumPy imported as np, sys.argv[1:] = args) that
 * exits non-zero with a message on stderr when a check fails. */
static void expect_python(const char *code, const char *what)
{
    char *script = tmp_path("check.py");
    char *text = track(malloc(strlen(code) + 64));
    sprintf(text, "import sys\nimport numpy as np\n%s\n", code);
    test_write_file(script, text, strlen(text));
    char *cmd = track(malloc(strlen(script) + strlen(tmp_dir) + 64));
    sprintf(cmd, PYTHON " %s %s", script, tmp_dir);
    int status = system(cmd);
    cr_expect_eq(status, 0, "%s: the NumPy check failed (status %d)", what, status);
}

/* Gray pixels of a PNG through stb_image; checks its size. Tracked. */
static uint8_t *load_png(const char *path, int w, int h)
{
    int x, y, comp;
    uint8_t *p = stbi_load(path, &x, &y, &comp, 1);
    cr_assert_not_null(p, "%s: stb_image cannot read it (%s)", path, stbi_failure_reason());
    track(p);
    cr_assert(x == w && y == h, "%s: %d x %d, want %d x %d", path, x, y, w, h);
    return p;
}

/* The 28x28 cell (row, col) of a grid with 2 px padding. */
static void grid_cell(uint8_t out[784], const uint8_t *grid, int grid_w, int row, int col)
{
    for (int r = 0; r < 28; r++)
        memcpy(out + r * 28, grid + (size_t)(2 + row * 30 + r) * grid_w + 2 + col * 30, 28);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

Test(sample, npy_uint8_and_float_read_back_by_numpy)
{
    char *run = tiny_run();
    if (!have_numpy())
        cr_skip_test(PYTHON " with numpy not available (apt-get install python3-numpy)");
    GAN_OK("sample", "--run", run, "--n=300", "--format=npy", "-o", tmp_path("u8.npy"));
    GAN_OK("sample", "--run", run, "--n=300", "--format=npy", "--dtype=float", "-o",
           tmp_path("f32.npy"));
    /* The byte mapping of png_grid.h, redone in NumPy from the float array. */
    expect_python("d = sys.argv[1]\n"
                  "u = np.load(d + '/u8.npy'); f = np.load(d + '/f32.npy')\n"
                  "assert u.dtype == np.uint8 and u.shape == (300, 28, 28), (u.dtype, u.shape)\n"
                  "assert f.dtype == np.float32 and f.shape == (300, 28, 28), (f.dtype, f.shape)\n"
                  "assert f.min() >= -1 and f.max() <= 1 and f.std() > 0.01\n"
                  "t = (np.clip(f, -1, 1) + np.float32(1)) / np.float32(2)\n"
                  "want = (t * np.float32(255) + np.float32(0.5)).astype(np.uint8)\n"
                  "assert (want == u).all(), np.argwhere(want != u)[:3]\n",
                  "npy uint8 vs float");
}

Test(sample, the_first_k_of_n_samples_are_the_samples_of_n_equal_k)
{
    char *run = tiny_run();
    if (!have_numpy())
        cr_skip_test(PYTHON " with numpy not available (apt-get install python3-numpy)");
    /* 37 and 150 straddle the 64-sample batches; float32 compared exactly. */
    GAN_OK("sample", "--run", run, "--n=150", "--format=npy", "--dtype=float", "-o",
           tmp_path("n150.npy"));
    GAN_OK("sample", "--run", run, "--n=37", "--format=npy", "--dtype=float", "-o",
           tmp_path("n37.npy"));
    GAN_OK("sample", "--run", run, "--n=150", "--format=npy", "--dtype=float", "--seed=7",
           "-o", tmp_path("s7.npy"));
    expect_python("d = sys.argv[1]\n"
                  "a = np.load(d + '/n150.npy'); b = np.load(d + '/n37.npy')\n"
                  "c = np.load(d + '/s7.npy')\n"
                  "assert np.array_equal(a[:37], b), 'first 37 of 150 differ from n=37'\n"
                  "assert not np.array_equal(a, c), 'another seed gave the same samples'\n",
                  "prefix determinism");
}

Test(sample, dir_writes_n_pngs_equal_to_the_grid_cells)
{
    char *run = tiny_run();
    char *dir = tmp_path("fid/samples"); /* parent folder created too */
    GAN_OK("sample", "--run", run, "--n=100", "--format=dir", "-o", dir);
    cr_expect_eq(count_entries(dir), 100);
    cr_expect_eq(count_entries(tmp_path("fid")), 1, "a temporary folder was left next to it");
    GAN_OK("sample", "--run", run, "--n=100", "-o", tmp_path("grid.png"));
    uint8_t *grid = load_png(tmp_path("grid.png"), 302, 302); /* 10 x 30 + 2 */
    for (int i = 0; i < 100; i += 11) {
        char name[32];
        snprintf(name, sizeof name, "%06d.png", i);
        uint8_t *img = load_png(join(dir, name), 28, 28), cell[784];
        grid_cell(cell, grid, 302, i / 10, i % 10);
        cr_expect(memcmp(img, cell, 784) == 0, "%s differs from grid cell %d", name, i);
    }
    cr_expect(exists(join(dir, "000099.png")) && !exists(join(dir, "000100.png")));
}

Test(sample, dir_refuses_a_folder_holding_files_and_takes_an_empty_one)
{
    char *run = tiny_run();
    char *dir = tmp_path("out");
    cr_assert_eq(mkdir(dir, 0755), 0);
    GAN_OK("sample", "--run", run, "--n=3", "--format=dir", "-o", dir);
    cr_expect_eq(count_entries(dir), 3, "an empty folder is filled");
    cr_expect_eq(GAN("sample", "--run", run, "--n=3", "--format=dir", "-o", dir), 2);
    cr_expect_not_null(strstr(last_stderr(), "not empty"), "'%s'", last_stderr());
    cr_expect_eq(GAN("sample", "--run", run, "--n=3", "--format=dir", "-o",
                     join(dir, "000000.png")), 2, "a file as the folder");
    cr_expect_eq(count_entries(tmp_dir), 4, "run, out, out.txt, err.txt and nothing else");
    cr_expect_eq(GAN("sample", "--run", run, "--n=1025", "-o", tmp_path("x.png")), 2,
                 "a grid holds at most 1024");
    cr_expect_eq(GAN("sample", "--run", run, "--n=100001", "--format=npy"), 2);
    cr_expect_eq(GAN("sample", "--run", run, "--dtype=float"), 2, "--dtype without npy");
}

/* Row r of --interpolate starts at noise vector 2r and ends at 2r+1 of the
 * seed's stream: exactly samples 2r and 2r+1 of a plain --n=2*ROWS. */
static void check_interpolation_ends(const char *slerp)
{
    char *run = tiny_run();
    const char *args[16] = {"sample", "--run", run, "--interpolate=3", "--steps=5", "-o",
                            tmp_path("interp.png")};
    int n = 7;
    if (slerp)
        args[n++] = slerp;
    args[n] = NULL;
    cr_assert_eq(wait_gan(spawn_gan(args)), 0, "%s", last_stderr());
    GAN_OK("sample", "--run", run, "--n=6", "--format=dir", "-o", tmp_path("ends"));
    uint8_t *grid = load_png(tmp_path("interp.png"), 152, 92); /* 5 x 30 + 2, 3 x 30 + 2 */
    for (int r = 0; r < 3; r++)
        for (int end = 0; end < 2; end++) {
            char name[32];
            snprintf(name, sizeof name, "ends/%06d.png", 2 * r + end);
            uint8_t *want = load_png(tmp_path(name), 28, 28), cell[784], mid[784];
            grid_cell(cell, grid, 152, r, end ? 4 : 0);
            cr_expect(memcmp(cell, want, 784) == 0, "row %d %s end differs from G(z_%d)", r,
                      end ? "right" : "left", 2 * r + end);
            grid_cell(mid, grid, 152, r, 2);
            cr_expect(memcmp(mid, want, 784) != 0, "row %d: the middle equals an end", r);
        }
    if (!have_numpy())
        cr_skip_test(PYTHON " with numpy not available: float ends not compared");
    const char *fargs[16] = {"sample", "--run", run, "--interpolate=3", "--steps=5",
                             "--format=npy", "--dtype=float", "-o", tmp_path("interp.npy")};
    n = 9;
    if (slerp)
        fargs[n++] = slerp;
    fargs[n] = NULL;
    cr_assert_eq(wait_gan(spawn_gan(fargs)), 0, "%s", last_stderr());
    GAN_OK("sample", "--run", run, "--n=6", "--format=npy", "--dtype=float", "-o",
           tmp_path("ends.npy"));
    expect_python("d = sys.argv[1]\n"
                  "i = np.load(d + '/interp.npy').reshape(3, 5, 28, 28)\n"
                  "e = np.load(d + '/ends.npy').reshape(3, 2, 28, 28)\n"
                  "assert np.array_equal(i[:, 0], e[:, 0]), 'left ends'\n"
                  "assert np.array_equal(i[:, 4], e[:, 1]), 'right ends'\n",
                  "interpolation ends in float32");
}

Test(sample, linear_interpolation_rows_end_exactly_at_g_of_their_noise_vectors)
{
    check_interpolation_ends(NULL);
}

Test(sample, slerp_interpolation_rows_end_exactly_at_g_of_their_noise_vectors)
{
    check_interpolation_ends("--slerp");
}
