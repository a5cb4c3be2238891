/* Hostile run folders and outputs (issue 22, defects 4, 6, 7, 12, 13),
 * end to end through the built binary on tiny runs of the real MNIST
 * (skipped without data/mnist):
 *   - a FIFO planted as any file of a run folder never hangs a command:
 *     each one ends within a bound, exit 0 (the file was not needed) or 2
 *     with one line naming the file;
 *   - `gan train --resume` removes a temporary file only when its owner is
 *     provably dead (this host, pid gone), never a live writer's;
 *   - `gan export` publishes its folder whole and replaces an earlier export
 *     whole, also when killed at any moment;
 *   - the messages and exit codes of defect 12 that are CLI-visible;
 *   - report strip names are unique for run names that sanitize alike.
 * Every command that could hang runs under a deadline (gan_bounded): a hang
 * is a failure, never a stuck suite. */
#include "test_cli.h"

#include <dirent.h>
#include <stdint.h>
#include <time.h>

#define TINY "--limit=1024", "--g-hidden=32", "--d-hidden=32", "--batch=32", "--threads=1"
#define DEADLINE 10 /* seconds any one command may take here; far above its ~0.5 s */

TestSuite(hostile, .fini = teardown, .timeout = 900);

static void make_tmp_dir(void) { test_tmpdir_make(tmp_dir, sizeof tmp_dir, "hostile"); }

/* Runs argv (no shell) to the end; fails the test unless it exits 0. */
static void run_cmd(const char *const *argv)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s failed", argv[0], argv[1]);
}

static void copy_tree(const char *from, const char *to)
{
    run_cmd((const char *const[]){"cp", "-a", from, to, NULL});
}

static void remove_tree(const char *path)
{
    run_cmd((const char *const[]){"rm", "-rf", path, NULL});
}

/* Runs gan args... for at most `seconds`: its exit code, or -1 when it was
 * still running at the deadline (then it is SIGKILLed). */
static int gan_bounded(int seconds, const char *const *args)
{
    pid_t pid = spawn_gan(args);
    for (int i = 0; i < seconds * 100; i++) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            child = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    child = 0;
    return -1;
}

/* stderr is exactly one line "gan: ..." holding needle. */
static void expect_one_line(const char *what, const char *needle)
{
    char *err = last_stderr();
    size_t len = strlen(err);
    cr_expect(len > 0 && err[len - 1] == '\n' && strchr(err, '\n') == err + len - 1,
              "%s: stderr is not one line:\n%s", what, err);
    cr_expect(strncmp(err, "gan: ", 5) == 0, "%s: '%s'", what, err);
    cr_expect(strstr(err, needle) != NULL, "%s: stderr does not name '%s': %s", what, needle,
              err);
}

/* Entries of dir whose name starts with prefix. */
static int count_entries_named(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* A finished 2-epoch run keeping both epochs, in tmp_dir/name. */
static char *tiny_run(const char *name, const char *g_hidden)
{
    char *run = tmp_path(name);
    GAN_OK("train", "--out", run, "--epochs=2", "--keep-every=1", "--quiet", "--limit=1024",
           g_hidden, "--d-hidden=32", "--batch=32", "--threads=1");
    return run;
}

/* The name of the run's events file (one session: one file). */
static char *events_file(const char *run)
{
    DIR *d = opendir(run);
    cr_assert_not_null(d);
    struct dirent *e;
    char *found = NULL;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "events.out.tfevents.", 20) == 0)
            found = track(strdup(e->d_name));
    closedir(d);
    cr_assert_not_null(found, "%s: no events file", run);
    return found;
}

/* ---- 1. a FIFO as each file of a run folder (defect 4) ------------------- */

enum { CMD_RESUME, CMD_SAMPLE, CMD_SAMPLE_KEPT, CMD_EVAL, CMD_EXPORT, CMD_EXPORT_KEPT,
       CMD_REPORT, N_CMDS };
static const char *const cmd_names[N_CMDS] = {"train --resume", "sample", "sample --epoch=1",
                                              "eval", "export", "export --epoch=1", "report"};

/* Every file of a finished run, planted as a FIFO one by one, under every
 * command that reads the run: each ends before the deadline, with exit 0
 * (it did not need the file) or exit 2 and one line naming it; `must`
 * lists the commands that read the file and so must refuse it. Before the
 * fix a FIFO metrics.csv hung `train --resume` (and a FIFO config.json was
 * silently skipped by the report). claims.log and the lock are the lock
 * code's (tested there). */
Test(hostile, a_fifo_as_any_file_of_a_run_folder_never_hangs_a_command)
{
    need_mnist();
    make_tmp_dir();
    char *base = tiny_run("base", "--g-hidden=32");
    char *clf = tmp_path("clf.bin");
    GAN_OK("classifier", "train", "--out", clf, "--epochs=1", "--limit=2000", "--threads=1",
           "--quiet");
    char clf_opt[600];
    snprintf(clf_opt, sizeof clf_opt, "--classifier=%s", clf);
    struct {
        const char *name;
        unsigned must; /* bit per command that must exit 2 */
    } files[] = {
        {"metrics.csv", 1u << CMD_RESUME | 1u << CMD_REPORT},
        {"layers.csv", 1u << CMD_RESUME | 1u << CMD_REPORT},
        {"steps.csv", 1u << CMD_RESUME | 1u << CMD_REPORT},
        {"config.json", 1u << CMD_RESUME | 1u << CMD_REPORT},
        {"checkpoint.bin", 1u << CMD_RESUME | 1u << CMD_SAMPLE | 1u << CMD_EVAL | 1u << CMD_EXPORT},
        {"checkpoint.prev.bin", 0},
        {"samples/epoch_0001.png", 0},
        {"checkpoints/epoch_0001.bin", 1u << CMD_SAMPLE_KEPT | 1u << CMD_EXPORT_KEPT},
        {events_file(base), 0},
    };
    char *r = tmp_path("r"), *png = tmp_path("s.png"), *exp = tmp_path("exp");
    char *page = tmp_path("page.html");
    char run_opt[600];
    snprintf(run_opt, sizeof run_opt, "--run=%s", r);
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        for (int c = 0; c < N_CMDS; c++) {
            remove_tree(r);
            remove_tree(exp);
            copy_tree(base, r);
            char *victim = join(r, files[f].name);
            cr_assert_eq(unlink(victim), 0, "%s", victim);
            cr_assert_eq(mkfifo(victim, 0644), 0, "mkfifo %s", victim);
            const char *const argv[N_CMDS][12] = {
                {"train", "--resume", r, "--epochs=3", "--threads=1", "--quiet", NULL},
                {"sample", run_opt, "-o", png, NULL},
                {"sample", run_opt, "--epoch=1", "-o", png, NULL},
                {"eval", run_opt, clf_opt, "--data=data/mnist", "--n=100", "--threads=1", NULL},
                {"export", run_opt, "--out", exp, NULL},
                {"export", run_opt, "--epoch=1", "--out", exp, NULL},
                {"report", r, "-o", page, NULL},
            };
            int rc = gan_bounded(DEADLINE, argv[c]);
            char what[200];
            snprintf(what, sizeof what, "%s with a FIFO as %s", cmd_names[c], files[f].name);
            cr_expect_neq(rc, -1, "%s: still running after %d s (blocked?)", what, DEADLINE);
            if (rc == -1)
                continue;
            if (files[f].must & (1u << c))
                cr_expect_eq(rc, 2, "%s: exit %d, want 2: %s", what, rc, last_stderr());
            else
                cr_expect(rc == 0 || rc == 2, "%s: exit %d: %s", what, rc, last_stderr());
            if (rc == 2)
                expect_one_line(what, files[f].name);
        }
    }
}

/* `gan experiment` opens each run's log for its child: a FIFO there is
 * refused with one line, the other runs go on. Before the fix the child
 * blocked in freopen() forever. */
Test(hostile, experiment_refuses_a_fifo_as_a_run_log_without_blocking)
{
    need_mnist();
    make_tmp_dir();
    char *exp = tmp_path("exp");
    cr_assert_eq(mkdir(exp, 0755), 0);
    char *log = join(exp, "random-s1.log");
    cr_assert_eq(mkfifo(log, 0644), 0);
    char out_opt[600];
    snprintf(out_opt, sizeof out_opt, "--out=%s", exp);
    int rc = gan_bounded(60, (const char *const[]){"experiment", out_opt, "--epochs=1", "--seeds=1",
                                                  "--jobs=1", TINY, NULL});
    cr_assert_neq(rc, -1, "gan experiment still running after 60 s (a child blocked?)");
    cr_expect_eq(rc, 1, "one run failed: exit 1, got %d: %s", rc, last_stderr());
    cr_expect_not_null(strstr(last_stderr(), "random-s1.log: not a regular file (a FIFO)"),
                       "%s", last_stderr());
    cr_expect(exists(join(exp, "he_xavier-s1/checkpoint.bin")), "the other run was not trained");
}

/* ---- 2. temporary files are their owner's (defect 7) --------------------- */

/* This host as temporary names carry it; computed here the way fsutil.h
 * documents it, not with its code. */
static void host_part(char *out, size_t size)
{
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0 || !host[0])
        snprintf(host, sizeof host, "unknown");
    size_t n = 0;
    for (const char *p = host; *p && n + 1 < size && n < 64; p++)
        out[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= '0' && *p <= '9') || *p == '-'
                       ? *p
                       : '_';
    out[n] = '\0';
}

/* A pid that just ended: a child reaped (reuse within the test is not
 * plausible). */
static long dead_pid(void)
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return (long)pid;
}

/* A `gan sample -o RUN/x.png` writing while `gan train --resume=RUN`
 * starts: the resume used to remove every ".*.tmp.*" file in the run
 * folder, the live writer's too (its rename then failed). Planted temps
 * stand for the writers: one of this host and a live pid (this test), one
 * of another host, one old-style of a live pid - all kept; one of this
 * host and a dead pid, and an old-style one of a dead pid - removed. */
Test(hostile, resume_removes_only_temporary_files_whose_owner_is_dead)
{
    need_mnist();
    make_tmp_dir();
    char *run = tiny_run("run", "--g-hidden=32");
    char host[80], name[200];
    host_part(host, sizeof host);
    long live = (long)getpid(), dead = dead_pid();
    struct {
        const char *dir, *fmt;
        int host, keep;
        long pid;
    } temps[] = {
        {"", ".x.png.tmp.%s.%ld", 1, 1, live},
        {"samples", ".y.png.tmp.%s.%ld", 1, 1, live},
        {"", ".z.png.tmp.%s.%ld", 0, 1, dead},    /* another host: never ours to judge */
        {"", ".old-live.png.tmp.%ld", -1, 1, live}, /* old style, live pid */
        {"", ".dead.png.tmp.%s.%ld", 1, 0, dead},
        {"samples", ".dead2.png.tmp.%s.%ld", 1, 0, dead},
        {"", ".old-dead.png.tmp.%ld", -1, 0, dead},
    };
    char *paths[8];
    for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++) {
        if (temps[i].host < 0)
            snprintf(name, sizeof name, temps[i].fmt, temps[i].pid);
        else
            snprintf(name, sizeof name, temps[i].fmt, temps[i].host ? host : "other-host",
                     temps[i].pid);
        char *dir = temps[i].dir[0] ? join(run, temps[i].dir) : run;
        paths[i] = join(dir, name);
        test_write_file(paths[i], "half", 4);
    }
    GAN_OK("train", "--resume", run, "--epochs=3", "--threads=1", "--quiet");
    for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++)
        cr_expect_eq(exists(paths[i]), temps[i].keep, "%s: %s", paths[i],
                     temps[i].keep ? "a live or foreign writer's file was removed"
                                   : "a dead owner's file was left");
}

/* ---- 3. gan export (defects 6 and 12) ------------------------------------ */

/* Every file manifest.json lists is there with the bytes its shape needs,
 * and no other .npy file is: one export, whole. Returns the tensor count. */
static int expect_whole_export(const char *dir, const char *what)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *manifest = test_try_read_file(path, NULL);
    cr_assert_not_null(manifest, "%s: %s missing", what, path);
    int n = 0;
    char listed[64][64];
    for (const char *p = manifest; (p = strstr(p, "\"file\": \"")) != NULL; n++) {
        p += 9;
        const char *end = strchr(p, '"');
        cr_assert(end && end - p < 64 && n < 64);
        memcpy(listed[n], p, (size_t)(end - p));
        listed[n][end - p] = '\0';
        const char *shape = strstr(end, "\"shape\": [");
        cr_assert_not_null(shape);
        long count = 1;
        for (const char *s = shape + 10; *s != ']';) {
            char *next;
            count *= strtol(s, &next, 10);
            s = next;
            while (*s == ',' || *s == ' ')
                s++;
        }
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, listed[n]);
        uint8_t *b = test_try_read_file(path, &len);
        cr_expect(b != NULL, "%s: %s listed but missing", what, listed[n]);
        if (b) {
            size_t data = 10 + ((size_t)b[8] | (size_t)b[9] << 8);
            cr_expect_eq(len - data, (size_t)count * 4,
                         "%s: %s holds %zu bytes, its shape %ld floats", what, listed[n],
                         len - data, count);
        }
        free(b);
    }
    free(manifest);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 4, ".npy") != 0)
            continue;
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = strcmp(listed[i], e->d_name) == 0;
        cr_expect(found, "%s: %s is not in the manifest (a stale file)", what, e->d_name);
    }
    closedir(d);
    return n;
}

/* An export of a 3-layer G into a folder holding a 2-layer G's export used
 * to leave nothing of the old manifest but keep the old files, and an
 * export of a 2-layer G over a 3-layer one left G.2.* behind. The earlier
 * export is replaced whole; a folder that is not an export is refused. */
Test(hostile, export_replaces_an_earlier_export_whole_and_refuses_other_folders)
{
    need_mnist();
    make_tmp_dir();
    char *small = tiny_run("small", "--g-hidden=32");
    char *big = tiny_run("big", "--g-hidden=32,32");
    char *out = tmp_path("export");
    GAN_OK("export", "--run", big, "--out", out);
    cr_expect_eq(expect_whole_export(out, "big"), 3 * 2 + 2 * 2);
    test_write_file(join(out, "notes.txt"), "mine", 4);
    GAN_OK("export", "--run", small, "--out", out);
    cr_expect_eq(expect_whole_export(out, "small over big"), 2 * 2 + 2 * 2);
    cr_expect(!exists(join(out, "G.2.weight.npy")), "the 3-layer G's G.2 was left");
    cr_expect(!exists(join(out, "notes.txt")), "an earlier export is replaced whole");
    cr_expect_eq(count_entries_named(tmp_dir, "export."), 0, "a temporary folder was left");

    char *other = tmp_path("other");
    cr_assert_eq(mkdir(other, 0755), 0);
    test_write_file(join(other, "data.csv"), "1\n", 2);
    cr_expect_eq(GAN("export", "--run", small, "--out", other), 2);
    expect_one_line("a folder that is no export", "not empty");
    cr_expect(exists(join(other, "data.csv")) && !exists(join(other, "manifest.json")));
}

/* SIGKILL at any moment of an export over an earlier one leaves the old
 * export or the new one, whole: checked after kills at 0..156 ms into the
 * export (it takes about 100 ms here, an fsync per file). Before the fix a
 * kill left new tensors under the old manifest. */
Test(hostile, export_killed_at_any_moment_leaves_the_old_export_or_the_new_one)
{
    need_mnist();
    make_tmp_dir();
    char *small = tiny_run("small", "--g-hidden=32");
    char *big = tiny_run("big", "--g-hidden=32,32");
    char *out = tmp_path("export");
    int seen_old = 0, seen_new = 0;
    for (int i = 0; i < 40; i++) {
        /* alternate: each export replaces one of the other shape */
        const char *from = i % 2 ? small : big, *before = i % 2 ? big : small;
        remove_tree(out);
        GAN_OK("export", "--run", before, "--out", out);
        pid_t pid = spawn_gan((const char *const[]){"export", "--run", from, "--out", out, NULL});
        struct timespec t = {0, (long)i * 4000000L};
        nanosleep(&t, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        child = 0;
        char what[64];
        snprintf(what, sizeof what, "killed after %d ms", i * 4);
        int n = expect_whole_export(out, what);
        int want_new = i % 2 ? 8 : 10, want_old = i % 2 ? 10 : 8;
        cr_expect(n == want_new || n == want_old, "%s: %d tensors", what, n);
        seen_new += n == want_new;
        seen_old += n == want_old;
    }
    cr_log_info("kills: %d left the old export, %d the new one", seen_old, seen_new);
}

/* Defect 12: --out a FIFO, a device or a regular file exits 2 with one
 * line (it exited 1), and an empty --out is refused up front. */
Test(hostile, export_out_that_cannot_be_a_folder_exits_2_with_one_line)
{
    need_mnist();
    make_tmp_dir();
    char *run = tiny_run("run", "--g-hidden=32");
    char *fifo = tmp_path("fifo"), *file = tmp_path("file");
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    test_write_file(file, "x", 1);
    const char *outs[] = {fifo, "/dev/null", file, ""};
    const char *say[] = {"a FIFO", "a character device", "is a file", "empty"};
    for (int i = 0; i < 4; i++) {
        int rc = gan_bounded(DEADLINE, (const char *const[]){"export", "--run", run, "--out",
                                                             outs[i], NULL});
        cr_expect_eq(rc, 2, "--out=%s: exit %d: %s", outs[i], rc, last_stderr());
        expect_one_line(outs[i], say[i]);
    }
    cr_expect_eq(count_entries_named(tmp_dir, "fifo."), 0);
}

/* ---- 4. messages of defect 12 --------------------------------------------- */

/* `sample -o ''` used to generate every image and then fail on rename with
 * "gan: : cannot rename into place" (exit 1). */
Test(hostile, sample_refuses_an_empty_output_path_up_front)
{
    need_mnist();
    make_tmp_dir();
    char *run = tiny_run("run", "--g-hidden=32");
    const char *formats[] = {"--format=png", "--format=npy", "--format=dir"};
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(GAN("sample", "--run", run, formats[i], "-o", ""), 2, "%s: %s", formats[i],
                     last_stderr());
        expect_one_line(formats[i], "empty");
    }
}

/* `train --out=` a dangling symlink: exit 1 and "exists and is not a
 * folder" before; now exit 2 naming where the link points. */
Test(hostile, train_out_a_dangling_symlink_exits_2_naming_its_target)
{
    need_mnist();
    make_tmp_dir();
    char *link = tmp_path("link"), *target = tmp_path("nowhere");
    cr_assert_eq(symlink(target, link), 0);
    cr_expect_eq(GAN("train", "--out", link, "--epochs=1", "--quiet", TINY), 2, "%s",
                 last_stderr());
    expect_one_line("dangling --out", "nowhere, which does not exist");
    char *file = tmp_path("file");
    test_write_file(file, "x", 1);
    cr_expect_eq(GAN("train", "--out", file, "--epochs=1", "--quiet", TINY), 2);
    expect_one_line("a file as --out", "not a folder");
}

/* `-o` a symlink to an empty folder with --format=dir was refused as "not
 * a folder"; it is written through: the link stays, its target fills. */
Test(hostile, sample_dir_writes_through_a_symlink_to_an_empty_folder)
{
    need_mnist();
    make_tmp_dir();
    char *run = tiny_run("run", "--g-hidden=32");
    char *target = tmp_path("target"), *link = tmp_path("link");
    cr_assert_eq(mkdir(target, 0755), 0);
    cr_assert_eq(symlink("target", link), 0);
    GAN_OK("sample", "--run", run, "--format=dir", "--n=3", "-o", link);
    struct stat st;
    cr_expect(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the symlink was replaced");
    cr_expect(exists(join(target, "000002.png")), "the target folder was not filled");
    cr_expect_eq(count_entries_named(tmp_dir, "target."), 0, "a temporary folder was left");
    char *dangling = tmp_path("dangling");
    cr_assert_eq(symlink("gone", dangling), 0);
    cr_expect_eq(GAN("sample", "--run", run, "--format=dir", "--n=3", "-o", dangling), 2);
    expect_one_line("a dangling symlink", "which does not exist");
}

/* A kept file that is not its epoch's: the message printed the format it
 * wanted as if found, and "epoch -1" for a header without an epoch. */
Test(hostile, kept_epoch_mismatch_names_what_the_header_says)
{
    need_mnist();
    make_tmp_dir();
    char *run = tiny_run("run", "--g-hidden=32");
    char *kept1 = join(run, "checkpoints/epoch_0001.bin");
    copy_tree(join(run, "checkpoint.bin"), kept1);
    cr_expect_eq(GAN("sample", "--run", run, "--epoch=1", "-o", tmp_path("x.png")), 2);
    expect_one_line("a checkpoint as kept epoch 1", "format \"gan checkpoint\"");
    expect_one_line("a checkpoint as kept epoch 1", "and epoch 2");
    cr_expect_null(strstr(last_stderr(), "epoch -1"), "%s", last_stderr());
    copy_tree(join(run, "checkpoints/epoch_0002.bin"), kept1);
    cr_expect_eq(GAN("sample", "--run", run, "--epoch=1", "-o", tmp_path("x.png")), 2);
    expect_one_line("epoch 2's file as epoch 1", "epoch 2; put epoch 1's file back");
}

/* ---- 5. report strip names (defect 13) ------------------------------------ */

/* Runs named "a b", "a,b" and a"b all wrote progress-a_b.png: the last
 * overwrote the others and the page showed one run's samples three times. */
Test(hostile, report_writes_one_strip_per_run_for_names_that_sanitize_alike)
{
    need_mnist();
    make_tmp_dir();
    char *base = tiny_run("base", "--g-hidden=32");
    const char *names[] = {"a b", "a,b", "a\"b", "a_b"};
    char *dirs[4];
    for (int i = 0; i < 4; i++) {
        dirs[i] = tmp_path(names[i]);
        copy_tree(base, dirs[i]);
    }
    char *page = tmp_path("page/report.html");
    cr_assert_eq(mkdir(tmp_path("page"), 0755), 0);
    GAN_OK("report", dirs[0], dirs[1], dirs[2], dirs[3], "-o", page, "--steps=none");
    char *html = must_read(page, NULL);
    DIR *d = opendir(tmp_path("page"));
    cr_assert_not_null(d);
    struct dirent *e;
    int strips = 0;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "progress-", 9) == 0) {
            strips++;
            cr_expect_not_null(strstr(html, e->d_name), "the page does not show %s", e->d_name);
        }
    closedir(d);
    cr_expect_eq(strips, 4, "%d strip files for 4 runs", strips);
    cr_expect(exists(tmp_path("page/progress-a_b.png")), "a clean name keeps its plain file name");
}
