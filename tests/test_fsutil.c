/* Tests for fsutil's appends, folders and temporary files (issue 22):
 * fs_open_append and fs_append_durably never block on a FIFO,
 * fs_remove_stale_temps removes only what a provably dead owner left,
 * atomic_dir publishes a folder whole and replaces only an earlier output,
 * and fs_mkdirs names what is in the way (exit 2 material, not a runtime
 * failure).
 *
 * Fixtures are written into a fresh folder under /tmp by each test; the
 * suite's timeout turns an open that blocks into a failure. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gan/fsutil.h"
#include "test_util.h"

static char tmp_dir[64];

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "fsutil"); }
static void remove_tmp_dir(void) { test_tmpdir_remove(tmp_dir); }

TestSuite(fsutil, .init = make_tmp_dir, .fini = remove_tmp_dir, .timeout = 60);

static test_path_t tmp_path(const char *name) { return test_path(tmp_dir, name); }

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* ---- fs_open_append -------------------------------------------------------- */

/* A FIFO with no reader (open would wait for one) and a FIFO with a reader
 * (open succeeds at once: only the check of the file opened catches it)
 * are both refused, naming the file; a missing file is created and
 * appended to. */
Test(fsutil, open_append_refuses_a_fifo_with_or_without_a_reader)
{
    test_path_t fifo = tmp_path("metrics.csv");
    cr_assert_eq(mkfifo(fifo.s, 0600), 0);
    gan_err_t err = {{0}};
    int fd = 0;
    cr_expect_eq(fs_open_append(fifo.s, &fd, &err), GAN_ERR_INPUT, "%s", err.msg);
    cr_expect_eq(fd, -1);
    cr_expect_not_null(strstr(err.msg, "not a regular file (a FIFO)"), "%s", err.msg);
    int reader = open(fifo.s, O_RDONLY | O_NONBLOCK);
    cr_assert_geq(reader, 0);
    cr_expect_eq(fs_open_append(fifo.s, &fd, &err), GAN_ERR_INPUT, "with a reader: %s", err.msg);
    close(reader);
    cr_expect_eq(fs_open_append("/dev/null", &fd, &err), GAN_ERR_INPUT, "a device: %s", err.msg);

    test_path_t file = tmp_path("new.csv");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(fs_open_append(file.s, &fd, &err), GAN_OK, "%s", err.msg);
        cr_assert_eq(write(fd, "ab", 2), 2);
        cr_expect_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0, "O_NONBLOCK left set");
        close(fd);
    }
    size_t n;
    char *text = test_read_file(file.s, &n);
    cr_expect_str_eq(text, "abab");
    free(text);
}

/* ---- fs_append_durably ----------------------------------------------------- */

/* What every CSV log and the claims journal append through: a FIFO (no
 * reader: an open that waits would hang the suite into its timeout) is
 * refused at once with nothing written, a device too; a regular file gets
 * every byte, appended after what it held. */
Test(fsutil, append_durably_refuses_a_fifo_without_blocking_and_appends_to_a_file)
{
    test_path_t fifo = tmp_path("steps.csv");
    cr_assert_eq(mkfifo(fifo.s, 0600), 0);
    gan_err_t err = {{0}};
    cr_expect_eq(fs_append_durably(fifo.s, "1,2\n", &err), GAN_ERR_INPUT, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "not a regular file (a FIFO)"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, fifo.s), "the FIFO is not named: %s", err.msg);
    cr_expect_eq(fs_append_durably("/dev/null", "x\n", &err), GAN_ERR_INPUT, "a device: %s",
                 err.msg);

    test_path_t file = tmp_path("layers.csv");
    cr_assert_eq(fs_append_durably(file.s, "head\n", &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(fs_append_durably(file.s, "row 1\nrow 2\n", &err), GAN_OK, "%s", err.msg);
    cr_assert_eq(fs_append_durably(file.s, "", &err), GAN_OK, "nothing to add: %s", err.msg);
    size_t n;
    char *text = test_read_file(file.s, &n);
    cr_expect_str_eq(text, "head\nrow 1\nrow 2\n");
    free(text);
}

/* ---- fs_remove_stale_temps --------------------------------------------------- */

static long dead_pid(void)
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return (long)pid;
}

/* The host part follows fsutil.h: letters, digits and '-' kept, anything
 * else '_'; the test checks fs_temp_host against that rule, then plants
 * names of every kind. */
Test(fsutil, remove_stale_temps_removes_only_a_dead_owners_files_of_this_host)
{
    char host[80], raw[256] = "";
    fs_temp_host(host, sizeof host);
    gethostname(raw, sizeof raw);
    cr_expect_eq(strlen(host), strlen(raw) < 64 ? strlen(raw) : 64);
    cr_expect_null(strchr(host, '.'), "a '.' in the host part: %s", host);

    long dead = dead_pid(), live = (long)getppid(); /* the test runner: alive */
    char names[9][200];
    int keep[9];
    int n = 0;
#define PLANT(k, ...) (snprintf(names[n], sizeof names[n], __VA_ARGS__), keep[n++] = (k))
    PLANT(0, ".a.csv.tmp.%s.%ld", host, dead);              /* this host, dead pid */
    PLANT(1, ".b.csv.tmp.%s.%ld", host, live);              /* this host, live pid */
    PLANT(1, ".c.csv.tmp.%s.%ld", host, (long)getpid());    /* this very process */
    PLANT(1, ".d.csv.tmp.%s-elsewhere.%ld", host, dead);    /* another host */
    PLANT(0, ".e.csv.tmp.%ld", dead);                       /* old style, dead pid */
    PLANT(1, ".f.csv.tmp.%ld", live);                       /* old style, live pid */
    PLANT(1, ".g.csv.tmp.%s.x%ld", host, dead);             /* not a pid */
    PLANT(1, "h.csv.tmp.%s.%ld", host, dead);               /* not hidden: no temp */
    PLANT(1, ".tmp.%ld", dead);                             /* no name before .tmp */
#undef PLANT
    for (int i = 0; i < n; i++)
        test_write_file(tmp_path(names[i]).s, "x", 1);
    cr_expect_eq(fs_remove_stale_temps(tmp_dir), 2);
    for (int i = 0; i < n; i++)
        cr_expect_eq(exists(tmp_path(names[i]).s), keep[i], "%s: %s", names[i],
                     keep[i] ? "removed" : "kept");
}

/* An atomic write's temporary file carries this host and pid. */
Test(fsutil, atomic_temp_names_carry_host_and_pid)
{
    atomic_file_t af;
    gan_err_t err;
    cr_assert_eq(atomic_begin(&af, tmp_path("out.txt").s, &err), GAN_OK, "%s", err.msg);
    char host[80], want[300];
    fs_temp_host(host, sizeof host);
    snprintf(want, sizeof want, "/.out.txt.tmp.%s.%ld", host, (long)getpid());
    cr_expect_not_null(strstr(af.tmp_path, want), "%s lacks %s", af.tmp_path, want);
    atomic_abort(&af);
    cr_expect_eq(entries(tmp_dir), 0);
}

/* ---- atomic_dir ---------------------------------------------------------------- */

static int is_earlier(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    return exists(path);
}

static void fill(atomic_dir_t *ad, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        char path[PATH_MAX + 200];
        snprintf(path, sizeof path, "%s/%s", ad->tmp_path, names[i]);
        test_write_file(path, names[i], strlen(names[i]));
    }
}

/* New folder, replacement of an earlier output (whole: its other files
 * go), refusal of a folder that is no earlier output, nothing left beside. */
Test(fsutil, atomic_dir_replaces_an_earlier_output_whole_and_refuses_others)
{
    test_path_t out = tmp_path("out");
    atomic_dir_t ad;
    gan_err_t err;
    cr_assert_eq(atomic_dir_begin(&ad, out.s, is_earlier, "FIX", &err), GAN_OK, "%s", err.msg);
    cr_expect(!exists(out.s), "the final folder appears before commit");
    fill(&ad, (const char *const[]){"MANIFEST", "old-only", NULL});
    cr_assert_eq(atomic_dir_commit(&ad, &err), GAN_OK, "%s", err.msg);
    cr_expect_eq(entries(out.s), 2);

    cr_assert_eq(atomic_dir_begin(&ad, out.s, is_earlier, "FIX", &err), GAN_OK, "%s", err.msg);
    cr_expect(ad.replace);
    fill(&ad, (const char *const[]){"MANIFEST", "new-only", NULL});
    cr_assert_eq(atomic_dir_commit(&ad, &err), GAN_OK, "%s", err.msg);
    cr_expect(exists(test_path(out.s, "new-only").s) && !exists(test_path(out.s, "old-only").s),
              "not replaced whole");
    cr_expect_eq(entries(tmp_dir), 1, "something was left beside the folder");

    unlink(test_path(out.s, "MANIFEST").s); /* no longer an earlier output */
    cr_expect_eq(atomic_dir_begin(&ad, out.s, is_earlier, "FIX", &err), GAN_ERR_INPUT);
    cr_expect_not_null(strstr(err.msg, "folder is not empty (1 entries); FIX"), "%s", err.msg);
    cr_expect_eq(entries(tmp_dir), 1);
}

/* Abort removes the private folder and leaves an existing output as it was. */
Test(fsutil, atomic_dir_abort_leaves_the_output_untouched)
{
    test_path_t out = tmp_path("out");
    cr_assert_eq(mkdir(out.s, 0755), 0);
    atomic_dir_t ad;
    gan_err_t err;
    cr_assert_eq(atomic_dir_begin(&ad, out.s, NULL, "FIX", &err), GAN_OK, "%s", err.msg);
    fill(&ad, (const char *const[]){"a", "b", NULL});
    atomic_dir_abort(&ad);
    cr_expect_eq(entries(tmp_dir), 1);
    cr_expect_eq(entries(out.s), 0);
}

/* Not a folder: each kind named, GAN_ERR_INPUT (exit 2); a symlink to an
 * empty folder is written through. */
Test(fsutil, atomic_dir_names_what_is_in_the_way_and_writes_through_a_symlink)
{
    test_path_t fifo = tmp_path("fifo"), file = tmp_path("file"), dangling = tmp_path("dangling");
    cr_assert_eq(mkfifo(fifo.s, 0600), 0);
    test_write_file(file.s, "x", 1);
    cr_assert_eq(symlink("nowhere", dangling.s), 0);
    const char *paths[] = {fifo.s, file.s, dangling.s, "/dev/null", ""};
    const char *say[] = {"a FIFO, not a folder", "a file, not a folder",
                         "a symlink to nowhere, which does not exist",
                         "a character device, not a folder", "empty"};
    atomic_dir_t ad;
    gan_err_t err;
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(atomic_dir_begin(&ad, paths[i], NULL, "FIX", &err), GAN_ERR_INPUT, "%s",
                     paths[i]);
        cr_expect_not_null(strstr(err.msg, say[i]), "'%s' lacks '%s'", err.msg, say[i]);
        cr_expect_null(strchr(err.msg, '\n'));
    }
    test_path_t target = tmp_path("target"), link = tmp_path("link");
    cr_assert_eq(mkdir(target.s, 0755), 0);
    cr_assert_eq(symlink("target", link.s), 0);
    cr_assert_eq(atomic_dir_begin(&ad, link.s, NULL, "FIX", &err), GAN_OK, "%s", err.msg);
    fill(&ad, (const char *const[]){"x", NULL});
    cr_assert_eq(atomic_dir_commit(&ad, &err), GAN_OK, "%s", err.msg);
    struct stat st;
    cr_expect(lstat(link.s, &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced");
    cr_expect(exists(test_path(target.s, "x").s));
}

/* ---- fs_mkdirs -------------------------------------------------------------------- */

/* A dangling symlink or a file in the path is bad input (GAN_ERR_INPUT,
 * exit 2), named; it was GAN_ERR_RUNTIME "exists and is not a folder". */
Test(fsutil, mkdirs_names_a_dangling_symlink_or_a_file_in_the_way)
{
    test_path_t link = tmp_path("link"), file = tmp_path("file");
    cr_assert_eq(symlink("gone", link.s), 0);
    test_write_file(file.s, "x", 1);
    gan_err_t err;
    cr_expect_eq(fs_mkdirs(link.s, &err), GAN_ERR_INPUT, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "a symlink to gone, which does not exist"), "%s",
                       err.msg);
    cr_expect_eq(fs_mkdirs(test_path(file.s, "sub").s, &err), GAN_ERR_INPUT, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "file: exists and is a file, not a folder"), "%s",
                       err.msg);
    cr_expect_eq(fs_check_folder(link.s, &err), GAN_ERR_INPUT);
    cr_expect_eq(fs_check_folder(tmp_path("new").s, &err), GAN_OK);
    cr_expect(!exists(tmp_path("new").s), "fs_check_folder created something");
    cr_expect_eq(fs_mkdirs(tmp_path("a//b/c/").s, &err), GAN_OK, "%s", err.msg);
}
