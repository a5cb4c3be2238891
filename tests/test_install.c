/* What a user gets outside the source tree: the documentation of every
 * file format (docs/FORMATS.md), the man page (generated from --help at
 * build time), and `make install` into a DESTDIR, run from another folder
 * with GAN_DATA pointing at the data. */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan/metrics_csv.h"
#include "gan/train.h"
#include "test_util.h"
#include "test_cli.h"

#ifndef GAN_MAN
#define GAN_MAN "build/rel/gan.1"
#endif
#ifndef GAN_MAKE_VARS
#define GAN_MAKE_VARS "SANITIZE=0"
#endif

TestSuite(install, .fini = teardown, .timeout = 900);

/* 1 if text holds `name` (in backticks). */
static int documented(const char *text, const char *name, size_t len)
{
    char want[256];
    snprintf(want, sizeof want, "`%.*s`", (int)len, name);
    return strstr(text, want) != NULL;
}

/* Every comma-separated name of list must be documented; returns misses. */
static int expect_columns_documented(const char *doc, const char *list)
{
    int missing = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (!documented(doc, p, len)) {
            cr_expect(0, "docs/FORMATS.md lacks the metrics.csv column `%.*s`", (int)len, p);
            missing++;
        }
        p += len + (p[len] == ',');
    }
    return missing;
}

Test(install, every_metrics_column_and_config_key_is_in_formats_md)
{
    char *doc = test_read_file("docs/FORMATS.md", NULL);
    cr_expect_eq(expect_columns_documented(doc, METRICS_CSV_COLUMNS), 0);
    cr_expect_eq(expect_columns_documented(doc, METRICS_CSV_EVAL_COLUMNS), 0);
    /* The keys config.json and checkpoint headers get, as the code writes them. */
    train_cfg_t cfg;
    train_cfg_default(&cfg);
    FILE *fp = tmpfile();
    cr_assert_not_null(fp);
    train_cfg_write_fields(fp, &cfg);
    rewind(fp);
    char line[8192];
    int keys = 0;
    while (fgets(line, sizeof line, fp)) {
        const char *q = strchr(line, '"'), *end = q ? strchr(q + 1, '"') : NULL;
        if (!end || !strchr(end, ':'))
            continue;
        keys++;
        cr_expect(documented(doc, q + 1, (size_t)(end - q - 1)),
                  "docs/FORMATS.md lacks the config.json key `%.*s`", (int)(end - q - 1), q + 1);
    }
    cr_expect_gt(keys, 20, "only %d keys parsed from train_cfg_write_fields", keys);
    fclose(fp);
    free(doc);
}

/* stdout of a shell command, tracked. */
static char *capture(const char *cmd)
{
    char *out = join(tmp_dir, "capture.txt");
    char *full = track(malloc(strlen(cmd) + strlen(out) + 16));
    sprintf(full, "%s > %s", cmd, out);
    cr_assert_eq(system(full), 0, "%s failed", cmd);
    return must_read(out, NULL);
}

Test(install, every_option_of_every_help_is_in_the_man_page)
{
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "install");
    GAN_OK("--version"); /* the binary the man page was made from runs */
    char *man = must_read(GAN_MAN, NULL);
    char *list = capture(GAN_BIN " --help | awk '/^commands:/ {on = 1; next} "
                         "on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}'");
    int commands = 0, options = 0;
    for (char *cmd = strtok(list, "\n"); cmd; cmd = strtok(NULL, "\n")) {
        commands++;
        char sh[256];
        snprintf(sh, sizeof sh, GAN_BIN " %s --help", cmd);
        char *help = capture(sh);
        char head[64];
        snprintf(head, sizeof head, ".SS gan %s\n", cmd);
        cr_expect_not_null(strstr(man, head), "gan.1 has no section for '%s'", cmd);
        for (char *p = strstr(help, "--"); p; p = strstr(p + 2, "--")) {
            size_t len = 2;
            while (islower((unsigned char)p[len]) || isdigit((unsigned char)p[len]) ||
                   p[len] == '-')
                len++;
            if (len < 4)
                continue;
            /* roff writes a hyphen as \- */
            char want[128] = "", *w = want;
            for (size_t i = 0; i < len && w < want + sizeof want - 3; i++)
                w += p[i] == '-' ? sprintf(w, "\\-") : sprintf(w, "%c", p[i]);
            options++;
            cr_expect_not_null(strstr(man, want), "gan %s --help shows %.*s; gan.1 lacks it",
                               cmd, (int)len, p);
        }
    }
    cr_expect_geq(commands, 9);
    cr_expect_gt(options, 80);
}

/* Runs a shell script (with set -e); its output goes to tmp_dir/sh.log,
 * shown when it fails. */
static void expect_script(const char *script, const char *what)
{
    char *path = tmp_path("script.sh"), *log = tmp_path("sh.log");
    test_write_file(path, script, strlen(script));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL bash -e %s > %s 2>&1",
             path, log);
    int status = system(cmd);
    cr_expect_eq(status, 0, "%s failed:\n%s", what, must_read(log, NULL));
}

Test(install, installed_gan_runs_from_another_folder_with_gan_data)
{
    need_mnist();
    test_tmpdir_make(tmp_dir, sizeof tmp_dir, "install");
    char cwd[PATH_MAX];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    char *script = track(malloc(16384));
    snprintf(script, 16384,
             "T=%s; REPO=%s\n"
             "make -s -C \"$REPO\" install DESTDIR=\"$T/dest\" PREFIX=/usr %s\n"
             "for f in usr/bin/gan usr/bin/gan-download-mnist usr/share/man/man1/gan.1 "
             "usr/share/bash-completion/completions/gan; do test -f \"$T/dest/$f\"; done\n"
             "test \"$(find \"$T/dest\" -type f | wc -l)\" = 4\n"
             "mkdir -p \"$T/data\" \"$T/elsewhere\" \"$T/home\"\n"
             "ln -s \"$REPO/data/mnist\" \"$T/data/mnist\"\n"
             "cd \"$T/elsewhere\"\n"
             "export HOME=\"$T/home\"; unset XDG_DATA_HOME GAN_DATA\n"
             "GAN=\"$T/dest/usr/bin/gan\"\n"
             "# nothing found: the message names every place searched\n"
             "if \"$GAN\" data 2> err.txt; then echo 'gan data found data'; exit 1; fi\n"
             "cat err.txt\n"
             "grep -q 'GAN_DATA (not set)' err.txt; grep -q 'data/mnist' err.txt\n"
             "grep -q \"$T/home/.local/share/gan/mnist\" err.txt\n"
             "export GAN_DATA=\"$T/data\"\n"
             "\"$GAN\" data\n"
             "\"$GAN\" train --limit=256 --epochs=1 --out=\"$T/run\" --g-hidden=32,64 "
             "--d-hidden=64,32 --threads=1 --quiet\n"
             "grep -q \"\\\"data_dir\\\": \\\"$(realpath \"$T/data/mnist\")\\\"\" \"$T/run/config.json\"\n"
             "\"$T/dest/usr/bin/gan-download-mnist\" --help > /dev/null\n"
             "# the per-user folder is searched too\n"
             "unset GAN_DATA; mkdir -p \"$T/home/.local/share/gan\"\n"
             "ln -s \"$REPO/data/mnist\" \"$T/home/.local/share/gan/mnist\"\n"
             "\"$GAN\" data > /dev/null\n"
             "make -s -C \"$REPO\" uninstall DESTDIR=\"$T/dest\" PREFIX=/usr %s\n"
             "test \"$(find \"$T/dest\" -type f | wc -l)\" = 0\n",
             tmp_dir, cwd, GAN_MAKE_VARS, GAN_MAKE_VARS);
    expect_script(script, "install, run from another folder, uninstall");
}
