/* gan train: one training run into a run folder, or --resume of one.
 *
 * Prints progress on stderr (a live bar on a terminal, one line per epoch
 * otherwise) and turns SIGINT/SIGTERM into a clean stop: the library
 * finishes the step, writes the checkpoint and returns; a second signal
 * exits at once (the checkpoint on disk is always a complete one, because
 * it is replaced by rename). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gan/clock.h"
#include "gan/dense_bf16.h"
#include "gan/fsutil.h"
#include "gan/run_dir.h"
#include "gan/run_lock.h"
#include "train_options.h"

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig)
{
    if (stop_signal)
        _exit(128 + sig); /* second signal: leave now */
    stop_signal = sig;
}


typedef struct {
    int quiet, tty;
    double last_draw;
} progress_t;

static void format_duration(char *out, size_t size, double seconds)
{
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, size, "%ld:%02ld", s / 60, s % 60);
}

static void on_progress(void *ctx, const train_progress_t *p)
{
    progress_t *pr = ctx;
    if (pr->quiet)
        return;
    if (p->event == TRAIN_EVENT_NOTICE) {
        fprintf(stderr, "%sgan: note: %s\n", pr->tty ? "\r\033[K" : "", p->notice);
        return;
    }
    if (p->event == TRAIN_EVENT_START) {
        fprintf(stderr, "training %s: epoch %d of %d, %ld steps of %d per epoch\n", p->run_dir,
                p->epoch, p->epochs, p->steps, p->batch);
        return;
    }
    if (p->event == TRAIN_EVENT_STEP) {
        double now = clock_seconds();
        if (!pr->tty || (now - pr->last_draw < 0.1 && p->step != p->steps))
            return;
        pr->last_draw = now;
        const int width = 24;
        int filled = (int)((double)p->step / p->steps * width);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        double per_step = p->step > 0 ? p->epoch_seconds / p->step : 0;
        char eta[32];
        format_duration(eta, sizeof eta, per_step * (p->steps - p->step));
        fprintf(stderr, "\repoch %d/%d [%s] %ld/%ld  %.0f img/s  D %.3f  G %.3f  ETA %s   ",
                p->epoch, p->epochs, bar, p->step, p->steps, p->images_per_sec, p->d_loss,
                p->g_loss, eta);
        fflush(stderr);
        return;
    }
    const run_metrics_t *m = p->metrics;
    fprintf(stderr,
            "%sepoch %d/%d  d_loss %.4f  g_loss %.4f  d_acc %.3f  D(x) %.3f  D(G(z)) %.3f  "
            "%.1fs  %.0f img/s\n",
            pr->tty ? "\r\033[K" : "", m->epoch, p->epochs, m->d_loss, m->g_loss, m->d_acc,
            m->d_real, m->d_fake, m->seconds, m->images_per_sec);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan train [options]\n"
            "       gan train --resume=RUN_DIR [--epochs=N] [--data=DIR] [--threads=N]\n"
            "       gan train --out=DIR --continue [options]\n"
            "\n"
            "Trains the GAN on MNIST and writes a run folder: config.json, metrics.csv,\n"
            "samples/epoch_NNNN.png, checkpoint.bin. Ctrl-C stops cleanly after the\n"
            "current step; --resume continues exactly where it stopped.\n"
            "\n"
            "run folder:\n"
            "  --name=NAME          folder runs/NAME (default <init>-s<seed>-<timestamp>)\n"
            "  --out=DIR            folder DIR instead of runs/NAME\n"
            "  --resume=DIR         continue the run in DIR with its own settings (its\n"
            "                       precision and thread count too); --epochs=N raises its\n"
            "                       total epoch count, --data=DIR finds moved data (checked\n"
            "                       by content), --threads=N changes its bits from there\n"
            "  --continue           with --out: bring the run in DIR to --epochs, whatever\n"
            "                       its state: start it, resume it (its settings must be\n"
            "                       these), or nothing if finished; safe to repeat\n"
            "  --from-prev          with --resume: continue from checkpoint.prev.bin (the\n"
            "                       damaged checkpoint.bin is kept as checkpoint.damaged.bin)\n"
            "  --force              replace an existing run in the folder\n"
            "  --quiet              no progress output\n");
    train_options_help(out, CFG_CMD_TRAIN);
}

enum { OPT_NAME = TRAIN_OPT_OWN, OPT_OUT, OPT_RESUME, OPT_FROM_PREV, OPT_FORCE, OPT_QUIET,
       OPT_CONTINUE, OPT_HELP };

int cmd_train(int argc, char **argv)
{
    struct option options[TRAIN_OPT_ROOM + 16];
    struct option own[] = {
        {"name", required_argument, 0, OPT_NAME}, {"out", required_argument, 0, OPT_OUT},
        {"resume", required_argument, 0, OPT_RESUME}, {"force", no_argument, 0, OPT_FORCE},
        {"from-prev", no_argument, 0, OPT_FROM_PREV}, {"continue", no_argument, 0, OPT_CONTINUE},
        {"quiet", no_argument, 0, OPT_QUIET}, {"help", no_argument, 0, OPT_HELP},
        {0, 0, 0, 0},
    };
    train_options_merge(options, CFG_CMD_TRAIN, own);

    train_cfg_t cfg;
    train_cfg_default(&cfg);
    const char *name = NULL, *out = NULL, *resume = NULL;
    int force = 0, quiet = 0, epochs_given = 0, threads_given = 0, from_prev = 0;
    int precision_given = 0, data_given = 0, ensure = 0, products_given = 0;
    const char *changed = NULL; /* a run-shaping option given with --resume */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        const cfg_option_t *o = train_option_row(c);
        if (o) {
            if (train_option_apply(&cfg, c, optarg))
                return 2;
            if (o == cfg_option("epochs"))
                epochs_given = 1;
            else if (o == cfg_option("threads"))
                threads_given = 1;
            else if (o == cfg_option("precision"))
                precision_given = 1;
            else if (o == cfg_option("data"))
                data_given = 1;
            else if (o == cfg_option("products"))
                products_given = 1;
            else if (!changed)
                changed = o->name;
            continue;
        }
        switch (c) {
        case OPT_NAME: name = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_RESUME: resume = optarg; break;
        case OPT_FORCE: force = 1; break;
        case OPT_FROM_PREV: from_prev = 1; break;
        case OPT_CONTINUE: ensure = 1; break;
        case OPT_QUIET: quiet = 1; break;
        case OPT_HELP: usage(stdout); return 0;
        default: return cli_usage_error("train");
        }
    }
    if (optind < argc)
        return cli_fail(2, "train: unexpected argument '%s'", argv[optind]);

    if (from_prev && !resume)
        return cli_fail(2, "--from-prev: only with --resume=DIR");
    if (ensure && (!out || resume || force))
        return cli_fail(2, "--continue: needs --out=DIR, and excludes --resume and --force");
    static gan_err_t err;
    char run_dir[PATH_MAX];
    if (resume) {
        if (changed)
            return cli_fail(2, "--%s: a resumed run keeps its own settings (only --epochs, "
                               "--threads, --products, --data and the run's own --precision "
                               "may be given "
                               "with --resume)", changed);
        if (name || out || force)
            return cli_fail(2, "--resume: cannot be combined with --name, --out or --force");
        train_cfg_t saved;
        int done = 0;
        int rc = train_load_config(&saved, &done, resume, from_prev, &err);
        if (rc)
            return cli_fail_err(rc, &err);
        if (epochs_given) {
            if (cfg.epochs < done)
                return cli_fail(2, "--epochs=%d: the run already has %d finished epochs",
                                cfg.epochs, done);
            saved.epochs = cfg.epochs;
        }
        if (threads_given)
            saved.threads = cfg.threads;
        if (products_given) /* another library: allowed, and the run says so */
            saved.products = cfg.products;
        if (data_given)
            snprintf(saved.data_dir, sizeof saved.data_dir, "%s", cfg.data_dir);
        /* Repeating the run's precision is fine; another one would mix two
         * numerics in one run. */
        if (precision_given && cfg.precision != saved.precision)
            return cli_fail(2, "--precision=%s: %s was trained with --precision=%s (its "
                               "checkpoint records it) and a resumed run keeps it; drop "
                               "--precision or start a new run",
                            precision_name(cfg.precision), resume,
                            precision_name(saved.precision));
        cfg = saved;
        if (done >= cfg.epochs) {
            fprintf(stderr, "gan: %s: all %d epochs are done; raise --epochs to train further\n",
                    resume, cfg.epochs);
            return 0;
        }
        if (snprintf(run_dir, sizeof run_dir, "%s", resume) >= (int)sizeof run_dir)
            return cli_fail(2, "--resume: path longer than %d bytes", PATH_MAX - 1);
    } else if (out) {
        if (snprintf(run_dir, sizeof run_dir, "%s", out) >= (int)sizeof run_dir)
            return cli_fail(2, "--out: path longer than %d bytes", PATH_MAX - 1);
        /* Before the data is read: a dangling symlink or a file there is
         * bad input (exit 2), found now rather than after loading MNIST. */
        int rc = fs_check_folder(run_dir, &err);
        if (rc)
            return cli_fail_err(rc, &err);
    } else {
        char label[64], stamp[32];
        train_init_label(label, sizeof label, &cfg);
        time_t t = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&t));
        if (name && (strchr(name, '/') || name[0] == '.' || name[0] == '\0'))
            return cli_fail(2, "--name=%s: a plain folder name under runs/ (or use --out=DIR)",
                            name);
        if (name)
            snprintf(run_dir, sizeof run_dir, "runs/%s", name);
        else
            snprintf(run_dir, sizeof run_dir, "runs/%s-s%llu-%s", label,
                     (unsigned long long)cfg.seed, stamp);
    }
    int rc = train_cfg_find_paths(&cfg, &err);
    if (!rc)
        rc = train_cfg_check(&cfg, &err);
    if (!rc && cfg.precision == PRECISION_BF16)
        rc = dense_bf16_native_check(&err); /* before reading the data: a CPU without bf16 */
    if (rc)
        return cli_fail_err(rc, &err);

    progress_t progress = {.quiet = quiet, .tty = isatty(STDERR_FILENO)};
    train_opts_t opts = {
        .run_dir = run_dir,
        .resume = resume != NULL,
        .from_prev = from_prev,
        .force = force,
        .ensure = ensure,
        .threads_given = threads_given,
        .on_progress = on_progress,
        .ctx = &progress,
        .stop = &stop_signal,
    };
    cli_catch_stop_signals(on_signal, 0);
    rc = train_run(&cfg, &opts, &err);
    if (progress.tty && !quiet)
        fputs("\r\033[K", stderr);
    if (rc == TRAIN_STOPPED) {
        fprintf(stderr, "gan: stopped by %s; checkpoint saved. Resume with: ./gan train --resume=%s\n",
                stop_signal == SIGTERM ? "SIGTERM" : "Ctrl-C", run_dir);
        return 128 + (stop_signal ? stop_signal : SIGINT);
    }
    if (rc == TRAIN_ALREADY_FINISHED) {
        if (!quiet)
            fprintf(stderr, "gan: %s: already finished (%d epochs); nothing to do\n", run_dir,
                    cfg.epochs);
        return 0;
    }
    if (rc)
        return cli_fail_err(rc == RUN_LOCK_BUSY ? GAN_ERR_RUNTIME : rc, &err);
    if (!quiet)
        fprintf(stderr, "done: %s (metrics.csv, samples/, checkpoint.bin)\n", run_dir);
    return 0;
}
