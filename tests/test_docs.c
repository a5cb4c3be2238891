/* The pages a user reads say what the program does: every --option that
 * README.md and the pages under docs/ show exists in the command it is shown with (the
 * built binary's --help is the independent source), every link of the pages
 * points to a file of the repository, and make install, on a machine
 * without man-db, says how to read the page it installed. The checks
 * themselves are tests/check-docs.sh (one line per problem); the tests here
 * run it on the real pages and on planted mistakes it must catch. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test_util.h"

#ifndef GAN_BIN
#define GAN_BIN "build/rel/gan"
#endif
#ifndef GAN_MAKE_VARS
#define GAN_MAKE_VARS "SANITIZE=0"
#endif

static char tmp_dir[64];
static char *output; /* the last run_shell's output */

static void teardown(void)
{
    test_tmpdir_remove(tmp_dir);
    tmp_dir[0] = '\0';
    free(output);
    output = NULL;
}

TestSuite(docs, .fini = teardown, .timeout = 300);

/* tmp_dir/name in a static buffer of the caller's. */
static void tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tmp_dir, name);
}

/* Runs a shell command, its stdout and stderr into tmp_dir/out.txt; returns
 * the exit status and points *out at the output (valid until the next call). */
static int run_shell(const char *cmd, char **out)
{
    char log[128], full[2048];
    tmp_path(log, sizeof log, "out.txt");
    snprintf(full, sizeof full, "%s > '%s' 2>&1", cmd, log);
    int status = system(full);
    free(output);
    output = test_read_file(log, NULL);
    *out = output;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(docs, every_option_in_readme_and_docs_exists_in_its_command)
{
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "docs");
    char *out;
    int rc = run_shell("tests/check-docs.sh options " GAN_BIN, &out);
    cr_expect_eq(rc, 0, "options the pages show that gan does not have:\n%s", out);
}

Test(docs, every_link_in_readme_and_docs_points_into_the_repository)
{
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "docs");
    char *out;
    int rc = run_shell("tests/check-docs.sh links", &out);
    cr_expect_eq(rc, 0, "links that lead nowhere:\n%s", out);
}

/* The checker is only worth its green if it goes red: a page with one
 * mistake of each kind, each of which must be named. */
Test(docs, the_checker_names_a_bogus_option_a_missing_file_and_an_outside_link)
{
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "docs");
    char page[128];
    tmp_path(page, sizeof page, "README.md");
    const char *text =
        "# A page\n\n"
        "```sh\n./gan train --epochs=1 --no-such-option=3   # trains\n```\n\n"
        "`gan sample --run=runs/x --lr=0.1` and the prose option `--nonexistent`;\n"
        "`./download_mnist.sh --dir=d` and `./gan eval --reference` are fine.\n\n"
        "![a figure](no-such-figure.png), [a section](#no-such-section),\n"
        "[the top](#a-page) and [elsewhere](https://example.org/).\n";
    test_write_file(page, text, strlen(text));

    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "tests/check-docs.sh options %s '%s'", GAN_BIN, page);
    cr_expect_eq(run_shell(cmd, &out), 1, "%s", out);
    cr_expect_not_null(strstr(out, "README.md:4: --no-such-option: not an option of gan train"), "%s", out);
    cr_expect_not_null(strstr(out, "README.md:7: --lr: not an option of gan sample"), "%s", out);
    cr_expect_not_null(strstr(out, "README.md:7: --nonexistent: not an option of any command"), "%s", out);
    cr_expect_null(strstr(out, "--epochs"), "%s", out);
    cr_expect_null(strstr(out, "--dir"), "%s", out);
    cr_expect_null(strstr(out, "--reference"), "%s", out);

    snprintf(cmd, sizeof cmd, "tests/check-docs.sh links '%s'", page);
    cr_expect_eq(run_shell(cmd, &out), 1, "%s", out);
    cr_expect_not_null(strstr(out, "README.md:10: no-such-figure.png: no such file"), "%s", out);
    cr_expect_not_null(strstr(out, "README.md:10: #no-such-section: no heading"), "%s", out);
    cr_expect_null(strstr(out, "#a-page"), "%s", out);
    cr_expect_not_null(strstr(out, "README.md:11: https://example.org/: README.md links outside"), "%s", out);
}

/* A fresh Debian has no man command; make install must still succeed and
 * say where the page is and what shows the same text. MAN_CMD names the
 * man command make install asks for (a missing one plays that machine). */
Test(docs, install_without_man_says_how_to_read_the_page)
{
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "docs");
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd,
             "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s install DESTDIR='%s/dest' PREFIX=/usr "
             "MAN_CMD=no-such-man-command %s",
             tmp_dir, GAN_MAKE_VARS);
    cr_assert_eq(run_shell(cmd, &out), 0, "make install without man failed:\n%s", out);
    char page[256];
    snprintf(page, sizeof page, "%s/dest/usr/share/man/man1/gan.1", tmp_dir);
    struct stat st;
    cr_expect_eq(stat(page, &st), 0, "%s not installed", page);
    cr_expect_not_null(strstr(out, page), "the message does not name the page:\n%s", out);
    cr_expect_not_null(strstr(out, "apt-get install man-db"), "%s", out);
    cr_expect_not_null(strstr(out, "gan <command> --help"), "%s", out);

    /* With man: a page outside man's path is read with man -l. */
    snprintf(cmd, sizeof cmd,
             "command -v man >/dev/null || exit 77; "
             "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s install DESTDIR='%s/dest' PREFIX=/usr %s",
             tmp_dir, GAN_MAKE_VARS);
    int rc = run_shell(cmd, &out);
    if (rc != 77) {
        cr_expect_eq(rc, 0, "%s", out);
        char want[320];
        snprintf(want, sizeof want, "man -l %s", page);
        cr_expect_not_null(strstr(out, want), "%s", out);
    }
}
