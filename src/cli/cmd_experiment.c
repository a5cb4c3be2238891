/* gan experiment: paired runs of several init schemes over the same seeds,
 * then summary.csv and the comparison report.
 *
 * Each run is a normal run folder runs/<NAME>/<init>-s<seed>/, trained by a
 * child process (`gan train`), so --jobs=J runs J at once with cores/J
 * OpenBLAS threads each, and a crash of one run cannot take the others
 * down. Pairing comes from the trainer's random streams (train.h): for one
 * seed, the runs differ only in their initial weights. Rerunning the same
 * command skips finished runs and resumes unfinished ones. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gan/clock.h"
#include "gan/fsutil.h"
#include "gan/idx.h"
#include "gan/metrics_csv.h"
#include "gan/report.h"
#include "train_options.h"

#define MAX_RUNS 64
#define MAX_PASSTHROUGH 64

typedef struct {
    char init[32];
    long seed;
    char dir[1100];
    pid_t pid;
    int state;           /* 0 to do, 1 running, 2 done, 3 failed */
    int exit_code;
    double started, wall;
    int epochs_seen;
} exp_run_t;

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig) { interrupted = sig; }

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan experiment [--inits=random,he_xavier] [--seeds=1] [--name=NAME]\n"
            "                      [--jobs=1] [train options]\n"
            "\n"
            "Trains one run per (init, seed) into runs/NAME/<init>-s<seed>/; for one seed the\n"
            "runs differ only in their initial weights (same data order, same noise). Then\n"
            "writes runs/NAME/summary.csv and runs/NAME/report.html. Rerunning the same\n"
            "command skips finished runs and resumes unfinished ones.\n"
            "\n"
            "  --inits=LIST     init schemes to compare (default random,he_xavier)\n"
            "  --seeds=K        seeds per init: --seed .. --seed+K-1 (default 1)\n"
            "  --name=NAME      experiment folder runs/NAME (default init-study)\n"
            "  --out=DIR        experiment folder DIR instead of runs/NAME\n"
            "  --jobs=J         runs trained at once, each with cores/J threads (default 1)\n"
            "\n");
    train_options_help(out);
}

/* Number of data rows in a run's metrics.csv (finished epochs), or 0. */
static int epochs_done(const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    int lines = 0, c;
    while ((c = fgetc(fp)) != EOF)
        lines += c == '\n';
    fclose(fp);
    return lines > 0 ? lines - 1 : 0;
}

static int run_finished(const char *dir, int epochs)
{
    char ckpt[1200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.bin", dir);
    return fs_exists(ckpt) && epochs_done(dir) >= epochs;
}

static pid_t spawn_run(exp_run_t *run, char **passthrough, int n_pass, int threads, int epochs,
                       const char *self)
{
    char seed_arg[64], init_arg[64], out_arg[1200], threads_arg[32], epochs_arg[32];
    char ckpt[1200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.bin", run->dir);
    int resume = fs_exists(ckpt);
    char *args[MAX_PASSTHROUGH + 16];
    int n = 0;
    args[n++] = (char *)self;
    args[n++] = "train";
    snprintf(threads_arg, sizeof threads_arg, "--threads=%d", threads);
    snprintf(epochs_arg, sizeof epochs_arg, "--epochs=%d", epochs);
    if (resume) {
        snprintf(out_arg, sizeof out_arg, "--resume=%s", run->dir);
        args[n++] = out_arg;
        args[n++] = epochs_arg;
    } else {
        snprintf(out_arg, sizeof out_arg, "--out=%s", run->dir);
        snprintf(init_arg, sizeof init_arg, "--init=%.31s", run->init);
        snprintf(seed_arg, sizeof seed_arg, "--seed=%ld", run->seed);
        for (int i = 0; i < n_pass; i++)
            args[n++] = passthrough[i];
        args[n++] = out_arg;
        args[n++] = init_arg;
        args[n++] = seed_arg;
        args[n++] = epochs_arg;
        args[n++] = "--force";
    }
    args[n++] = threads_arg;
    args[n++] = "--quiet";
    args[n] = NULL;

    char log_path[1200];
    snprintf(log_path, sizeof log_path, "%s.log", run->dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *log = freopen(log_path, "a", stderr);
        (void)log;
        execv(self, args);
        fprintf(stderr, "gan: cannot run %s: %s\n", self, strerror(errno));
        _exit(1);
    }
    return pid;
}

static int write_summary(const char *exp_dir, exp_run_t *runs, int n_runs, int with_eval,
                         gan_err_t *err)
{
    atomic_file_t af;
    int rc = atomic_begin_in(&af, exp_dir, "summary.csv", err);
    if (rc)
        return rc;
    fputs("run,init,seed,epochs,g_loss,d_loss,d_acc,d_acc_real,d_acc_fake,d_real,d_fake,"
          "train_seconds",
          af.fp);
    fputs(with_eval ? ",fd,class_entropy,classes_covered\n" : "\n", af.fp);
    for (int i = 0; i < n_runs; i++) {
        char metrics_path[1200];
        snprintf(metrics_path, sizeof metrics_path, "%s/metrics.csv", runs[i].dir);
        metrics_csv_t *t = NULL;
        rc = metrics_csv_read(&t, metrics_path, err);
        if (rc) {
            atomic_abort(&af);
            return rc;
        }
        const char *cols[] = {"g_loss", "d_loss", "d_acc", "d_acc_real", "d_acc_fake",
                              "d_real", "d_fake"};
        const char *base = strrchr(runs[i].dir, '/');
        int rows = metrics_csv_rows(t);
        fprintf(af.fp, "%s,%s,%ld,%d", base ? base + 1 : runs[i].dir, runs[i].init, runs[i].seed,
                rows);
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            const double *col = metrics_csv_col(t, cols[c]);
            fprintf(af.fp, ",%.6f", col[rows - 1]);
        }
        const double *secs = metrics_csv_col(t, "seconds");
        double total = 0;
        for (int r = 0; r < rows; r++)
            total += secs[r];
        fprintf(af.fp, ",%.1f", total);
        if (with_eval) {
            /* The last evaluated epoch (later ones may say nan). */
            int r = metrics_csv_last_finite_row(t, "fd");
            const double *fd = metrics_csv_col(t, "fd"),
                         *entropy = metrics_csv_col(t, "class_entropy"),
                         *covered = metrics_csv_col(t, "classes_covered");
            if (r < 0 || !entropy || !covered)
                fputs(",nan,nan,nan", af.fp);
            else
                fprintf(af.fp, ",%.4f,%.4f,%.0f", fd[r], entropy[r], covered[r]);
        }
        fputs("\n", af.fp);
        metrics_csv_free(t);
    }
    return atomic_commit(&af, err);
}

enum { OPT_INITS = OPT_TRAIN_LAST + 1, OPT_SEEDS, OPT_NAME, OPT_OUT, OPT_JOBS, OPT_HELP };

int cmd_experiment(int argc, char **argv)
{
    struct option options[TRAIN_N_LONG_OPTIONS + 8];
    struct option own[] = {
        {"inits", required_argument, 0, OPT_INITS}, {"seeds", required_argument, 0, OPT_SEEDS},
        {"name", required_argument, 0, OPT_NAME}, {"out", required_argument, 0, OPT_OUT},
        {"jobs", required_argument, 0, OPT_JOBS}, {"help", no_argument, 0, OPT_HELP},
        {0, 0, 0, 0},
    };
    train_options_merge(options, own);

    train_cfg_t cfg;
    train_cfg_default(&cfg);
    const char *inits_text = "random,he_xavier", *name = "init-study", *out = NULL;
    long seeds = 1, jobs = 1;
    char *passthrough[MAX_PASSTHROUGH];
    char pass_storage[MAX_PASSTHROUGH][600];
    int n_pass = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c >= OPT_INIT && c < OPT_TRAIN_LAST) {
            if (c == OPT_INIT || c == OPT_G_INIT || c == OPT_D_INIT)
                return cli_fail(2, "--%s: an experiment sets the init of each run; use --inits=LIST",
                                options[c - OPT_INIT].name);
            if (c == OPT_THREADS)
                return cli_fail(2, "--threads: an experiment gives each run cores/--jobs threads");
            if (train_option_apply(&cfg, c, optarg))
                return 2;
            if (c == OPT_SEED || c == OPT_EPOCHS)
                continue;
            if (n_pass == MAX_PASSTHROUGH)
                return cli_fail(2, "experiment: too many options");
            snprintf(pass_storage[n_pass], sizeof pass_storage[n_pass], "--%s=%s",
                     options[c - OPT_INIT].name, optarg);
            passthrough[n_pass] = pass_storage[n_pass];
            n_pass++;
            continue;
        }
        switch (c) {
        case OPT_INITS: inits_text = optarg; break;
        case OPT_SEEDS: if (cli_parse_int("seeds", optarg, 1, 32, &seeds)) return 2; break;
        case OPT_NAME: name = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_JOBS: if (cli_parse_int("jobs", optarg, 1, 64, &jobs)) return 2; break;
        case OPT_HELP: usage(stdout); return 0;
        default: return cli_usage_error("experiment");
        }
    }
    if (optind < argc)
        return cli_fail(2, "experiment: unexpected argument '%s'", argv[optind]);
    if (!out && (strchr(name, '/') || name[0] == '.' || name[0] == '\0'))
        return cli_fail(2, "--name=%s: a plain folder name under runs/ (or use --out=DIR)", name);

    gan_err_t err;
    int rc = train_cfg_check(&cfg, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    /* Every run would stop on it: say it once, before starting any. */
    if (cfg.eval_every > 0 && access(cfg.classifier, R_OK) != 0)
        return cli_fail(2, "%s: no classifier file; make one with ./gan classifier train "
                           "(--out=%s)", cfg.classifier, cfg.classifier);

    /* The runs: every init of the list for every seed. */
    static exp_run_t runs[MAX_RUNS];
    int n_runs = 0;
    char exp_dir[1024];
    snprintf(exp_dir, sizeof exp_dir, out ? "%s" : "runs/%s", out ? out : name);
    char list[512];
    snprintf(list, sizeof list, "%s", inits_text);
    char *save = NULL;
    int n_inits = 0;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        init_scheme_t scheme;
        if (init_from_name(&scheme, tok, &err) != GAN_OK)
            return cli_fail(2, "--inits: %s", err.msg);
        n_inits++;
        for (long s = 0; s < seeds; s++) {
            if (n_runs == MAX_RUNS)
                return cli_fail(2, "experiment: at most %d runs", MAX_RUNS);
            exp_run_t *r = &runs[n_runs++];
            memset(r, 0, sizeof *r);
            snprintf(r->init, sizeof r->init, "%s", tok);
            r->seed = (long)cfg.seed + s;
        }
    }
    if (n_inits == 0)
        return cli_fail(2, "--inits=%s: no init scheme given", inits_text);
    for (int i = 0; i < n_runs; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(runs[i].init, runs[j].init) == 0 && runs[i].seed == runs[j].seed)
                return cli_fail(2, "--inits=%s: '%s' is listed twice", inits_text, runs[i].init);

    /* Check the data before creating anything. */
    {
        mnist_t ds;
        rc = mnist_load_dir(&ds, cfg.data_dir, 1, &err);
        if (rc)
            return cli_fail_err(rc, &err);
        size_t n = cfg.limit > 0 && (size_t)cfg.limit < ds.n ? (size_t)cfg.limit : ds.n;
        mnist_free(&ds);
        if ((size_t)cfg.batch > n)
            return cli_fail(2, "--batch=%d: larger than the %zu training images in use (--limit)",
                            cfg.batch, n);
    }
    rc = fs_mkdirs(exp_dir, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    for (int i = 0; i < n_runs; i++) {
        char dir[sizeof runs[i].dir];
        snprintf(dir, sizeof dir, "%.1000s/%.31s-s%ld", exp_dir, runs[i].init, runs[i].seed);
        memcpy(runs[i].dir, dir, sizeof dir);
    }

    char self[1024];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return cli_fail(1, "experiment: cannot find the gan executable (/proc/self/exe)");
    self[len] = '\0';
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cores / (int)jobs > 0 ? cores / (int)jobs : 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    fprintf(stderr, "experiment %s: %d runs (%s x %ld seed%s), %ld at a time, %d thread%s each, "
                    "%d epochs\n",
            exp_dir, n_runs, inits_text, seeds, seeds > 1 ? "s" : "", jobs, threads,
            threads > 1 ? "s" : "", cfg.epochs);
    int running = 0, failed = 0;
    double t0 = clock_seconds();
    for (;;) {
        for (int i = 0; i < n_runs && running < jobs && !interrupted; i++) {
            exp_run_t *r = &runs[i];
            if (r->state != 0)
                continue;
            if (run_finished(r->dir, cfg.epochs)) {
                r->state = 2;
                fprintf(stderr, "  %-22s already finished, skipped\n", r->dir);
                continue;
            }
            r->pid = spawn_run(r, passthrough, n_pass, threads, cfg.epochs, self);
            if (r->pid < 0)
                return cli_fail(1, "experiment: fork failed (%s)", strerror(errno));
            r->state = 1;
            r->started = clock_seconds();
            r->epochs_seen = epochs_done(r->dir);
            running++;
            fprintf(stderr, "  %-22s started (log: %s.log)\n", r->dir, r->dir);
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) {
            for (int i = 0; i < n_runs; i++) {
                exp_run_t *r = &runs[i];
                int done = r->state == 1 ? epochs_done(r->dir) : 0;
                if (r->state == 1 && done > r->epochs_seen) {
                    r->epochs_seen = done;
                    fprintf(stderr, "  %-22s epoch %d/%d  (%.0fs)\n", r->dir, done, cfg.epochs,
                            clock_seconds() - r->started);
                }
            }
            usleep(200000);
            continue;
        }
        if (pid < 0)
            break;
        for (int i = 0; i < n_runs; i++) {
            exp_run_t *r = &runs[i];
            if (r->state != 1 || r->pid != pid)
                continue;
            running--;
            r->wall = clock_seconds() - r->started;
            r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (r->exit_code == 0) {
                r->state = 2;
                fprintf(stderr, "  %-22s finished in %.0fs\n", r->dir, r->wall);
            } else {
                r->state = 3;
                if (!interrupted)
                    failed++;
                fprintf(stderr, "  %-22s %s (exit %d; see %s.log)\n", r->dir,
                        interrupted ? "stopped" : "FAILED", r->exit_code, r->dir);
            }
        }
    }
    if (interrupted) {
        fprintf(stderr, "gan: experiment stopped; rerun the same command to resume it\n");
        return 128 + interrupted;
    }
    if (failed)
        return cli_fail(1, "experiment: %d run%s failed; see the .log files in %s", failed,
                        failed > 1 ? "s" : "", exp_dir);
    rc = write_summary(exp_dir, runs, n_runs, cfg.eval_every > 0, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    const char *inputs[1] = {exp_dir};
    report_opts_t ropts = {.inputs = inputs, .n_inputs = 1};
    char html[1200];
    rc = report_write(&ropts, html, sizeof html, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    fprintf(stderr, "done in %.0fs: %s/summary.csv\nreport: %s\n", clock_seconds() - t0, exp_dir, html);
    return 0;
}
