/* Helpers shared by the Criterion test files. */
#ifndef GAN_TEST_UTIL_H
#define GAN_TEST_UTIL_H

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A test run once per fp32 products library (products.h): `name` on
 * OpenBLAS, `name_onednn_f32` on oneDNN f32. The body (which follows the
 * macro) reads the file's own `static products_lib_t test_products`. */
#define TEST_EVERY_PRODUCTS(suite, name)                                   \
    static void suite##_##name##_body(void);                               \
    Test(suite, name)                                                      \
    {                                                                      \
        test_products = PRODUCTS_OPENBLAS;                                 \
        suite##_##name##_body();                                           \
    }                                                                      \
    Test(suite, name##_onednn_f32)                                         \
    {                                                                      \
        test_products = PRODUCTS_ONEDNN;                                   \
        suite##_##name##_body();                                           \
    }                                                                      \
    static void suite##_##name##_body(void)

/* Asserts |a[i]-b[i]| <= atol + rtol*|b[i]| for every i, reporting the max
 * difference and the first bad index under label. */
static inline void expect_close(const float *a, const float *b, size_t n,
                                double atol, double rtol, const char *label)
{
    size_t first_bad = n, worst = 0;
    double worst_diff = 0.0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs((double)a[i] - (double)b[i]);
        if (!(diff <= atol + rtol * fabs((double)b[i])) && first_bad == n)
            first_bad = i;
        if (diff > worst_diff || isnan(diff)) {
            worst_diff = diff;
            worst = i;
        }
    }
    cr_expect(first_bad == n,
              "%s: first mismatch at [%zu]: %.9g vs %.9g; max |diff| %.3g at [%zu] (atol %g, rtol %g)",
              label, first_bad, first_bad < n ? (double)a[first_bad] : 0.0,
              first_bad < n ? (double)b[first_bad] : 0.0, worst_diff, worst, atol, rtol);
}

/* Same for doubles (finite-difference reference values). */
static inline void expect_close_d(const double *a, const double *b, size_t n,
                                  double atol, double rtol, const char *label)
{
    size_t first_bad = n, worst = 0;
    double worst_diff = 0.0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs(a[i] - b[i]);
        if (!(diff <= atol + rtol * fabs(b[i])) && first_bad == n)
            first_bad = i;
        if (diff > worst_diff || isnan(diff)) {
            worst_diff = diff;
            worst = i;
        }
    }
    cr_expect(first_bad == n,
              "%s: first mismatch at [%zu]: %.12g vs %.12g; max |diff| %.3g at [%zu] (atol %g, rtol %g)",
              label, first_bad, first_bad < n ? a[first_bad] : 0.0,
              first_bad < n ? b[first_bad] : 0.0, worst_diff, worst, atol, rtol);
}

/* ---- temporary folders and files ---------------------------------------- */

/* Makes /tmp/gan-test-<tag>-XXXXXX, name into dir[size]; fails (dir "") if it cannot. */
static inline void test_tmpdir_make(char *dir, size_t size, const char *tag)
{
    int len = snprintf(dir, size, "/tmp/gan-test-%s-XXXXXX", tag);
    cr_assert(len > 0 && (size_t)len < size, "folder name for tag '%s' does not fit", tag);
    if (!mkdtemp(dir)) {
        int e = errno;
        dir[0] = '\0'; /* not a folder of ours: never to be removed */
        cr_assert_fail("mkdtemp for tag '%s': %s", tag, strerror(e));
    }
}

/* nftw callback of test_tmpdir_remove: removes one entry, keeps going. */
static inline int test_tmpdir_remove_entry(const char *path, const struct stat *st, int flag,
                                           struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes folder dir and all in it (links not followed); no-op when dir is "". */
static inline void test_tmpdir_remove(const char *dir)
{
    if (dir[0])
        nftw(dir, test_tmpdir_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A path in a fixed buffer, returned by value. */
typedef struct {
    char s[512];
} test_path_t;

/* dir/name; fails the test if it does not fit. */
static inline test_path_t test_path(const char *dir, const char *name)
{
    test_path_t p;
    int len = snprintf(p.s, sizeof p.s, "%s/%s", dir, name);
    cr_assert(len > 0 && (size_t)len < sizeof p.s, "path %s/%s is too long", dir, name);
    return p;
}

/* Whole file, malloc'd and NUL-terminated, length into *n if n; NULL if unopenable. */
static inline void *test_try_read_file(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    cr_assert_eq(fseek(fp, 0, SEEK_END), 0, "%s: cannot seek", path);
    long len = ftell(fp);
    cr_assert(len >= 0 && fseek(fp, 0, SEEK_SET) == 0, "%s: cannot seek", path);
    char *buf = malloc((size_t)len + 1);
    cr_assert_not_null(buf, "out of memory reading %s", path);
    size_t got = fread(buf, 1, (size_t)len, fp);
    fclose(fp);
    cr_assert_eq(got, (size_t)len, "%s: short read", path);
    buf[len] = '\0';
    if (n)
        *n = (size_t)len;
    return buf;
}

/* test_try_read_file, but a file that cannot be opened fails the test. */
static inline void *test_read_file(const char *path, size_t *n)
{
    void *buf = test_try_read_file(path, n);
    cr_assert_not_null(buf, "cannot open %s: %s", path, strerror(errno));
    return buf;
}

/* Writes n bytes of buf to path (created or truncated); any error fails the test. */
static inline void test_write_file(const char *path, const void *buf, size_t n)
{
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "cannot create %s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(buf, 1, n, fp), n, "short write to %s", path);
    cr_assert_eq(fclose(fp), 0, "cannot close %s", path);
}

#endif
