/* gan experiment: a plan of runs (experiment.h: init schemes x --vary axes
 * x seeds), trained here by child processes, then summary.csv and the
 * comparison report; or --plan, the plan as JSON Lines for other engines.
 *
 * Each run is a normal run folder runs/<NAME>/<run name>/, trained by a
 * child `gan train` with the argument vector the plan gives, so --jobs=J
 * trains J at once and a crash of one run cannot take the others down.
 * Children die with us: they get SIGTERM when we are stopped (and, through
 * PR_SET_PDEATHSIG, when we are killed), finish their step and write their
 * checkpoint. Rerunning the same command skips finished runs and resumes
 * the others. Everything about plans, names, states and files is in
 * experiment.c; this file parses argv, spawns and prints. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gan/clock.h"
#include "gan/fsutil.h"
#include "gan/idx.h"
#include "gan/experiment.h"
#include "gan/report.h"
#include "mpi_world.h"
#include "train_options.h"

typedef enum { SLOT_TODO, SLOT_RUNNING, SLOT_DONE, SLOT_FAILED, SLOT_BUSY } slot_state_t;

typedef struct {
    size_t run;          /* index in the plan */
    pid_t pid;
    slot_state_t state;
    double started;
    int epochs_seen;
} slot_t;

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig) { interrupted = sig; }

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gan experiment [--inits=random,he_xavier] [--vary=OPTION=V1,V2,...]...\n"
            "                      [--seeds=1] [--name=NAME] [--jobs=1] [--plan] [train options]\n"
            "\n"
            "Trains one run per point of the plan: every init of --inits x every value of each\n"
            "--vary axis x every seed, into runs/NAME/<run name>/ (e.g. he_xavier-lr0.0004-s2).\n"
            "For one seed the runs see the same data order and noise. Then writes\n"
            "runs/NAME/summary.csv and runs/NAME/report.html. Rerunning the same command\n"
            "skips finished runs and resumes the others.\n"
            "\n"
            "  --inits=LIST     init schemes to compare (default random,he_xavier)\n"
            "  --vary=OPT=LIST  an axis: OPT is one of %s;\n"
            "                   values separated by ',' (by '/' for g-hidden and d-hidden,\n"
            "                   e.g. --vary=g-hidden=256,512,1024/128,128,128); repeatable\n"
            "  --seeds=K        seeds per point: --seed .. --seed+K-1 (default 1)\n"
            "  --name=NAME      experiment folder runs/NAME (default init-study)\n"
            "  --out=DIR        experiment folder DIR instead of runs/NAME\n"
            "  --jobs=J         runs trained at once (default 1)\n"
            "  --threads=N      product threads per run (default: cores / jobs)\n"
            "  --plan           print the plan as JSON Lines (name, dir, axes, state,\n"
            "                   epochs_done, epochs, argv) and exit without training\n"
            "\n"
            "many processes or machines on one plan (a shared experiment folder):\n"
            "  --worker         claim a free run, train it in this process, repeat until\n"
            "                   every run is finished (by anyone); no summary\n"
            "  --task=I/N       the same for this share only: runs i with i %% N == I\n"
            "                   (e.g. --task=$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)\n"
            "  --finalize       write summary.csv and report.html if every run is\n"
            "                   finished; otherwise list the missing ones and exit 1\n"
            "  --stale=SECONDS  a claim of another host that this worker has seen\n"
            "                   unchanged for this long is taken over (default %.0f)\n"
            "  under mpirun (make MPI=1), every rank is a worker and rank 0 finalizes\n"
            "\n",
            experiment_vary_options(), RUN_LOCK_STALE_SECONDS);
    train_options_help(out);
}

/* The child: a `gan train` with the plan's argument vector, its stderr in
 * <experiment>/<run>.log, killed with us. default_threads > 0 is the
 * library default a new run takes (its argv has no --threads; a resumed
 * run keeps its own count). */
static pid_t spawn_run(char **argv, const char *log_path, pid_t parent, int default_threads)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) /* the parent died before prctl */
        _exit(1);
    /* Never blocks on a FIFO planted as the log: refused, said on the
     * parent's stderr (still ours), exit 2. */
    int log_fd;
    gan_err_t why;
    int log_rc = fs_open_append(log_path, &log_fd, &why);
    if (log_rc != GAN_OK) {
        fprintf(stderr, "gan: %s\n", why.msg);
        _exit(log_rc);
    }
    if (dup2(log_fd, STDERR_FILENO) < 0)
        _exit(1);
    close(log_fd);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (default_threads > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", default_threads);
        setenv("OPENBLAS_NUM_THREADS", n, 1);
        setenv("OMP_NUM_THREADS", n, 1);
    }
    execv(argv[0], argv);
    fprintf(stderr, "gan: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(1);
}

static void stop_children(const slot_t *slots, int n)
{
    for (int i = 0; i < n; i++)
        if (slots[i].state == SLOT_RUNNING)
            kill(slots[i].pid, SIGTERM);
}

/* Trains every unfinished run with at most jobs children at once, each
 * with threads product threads (given: every run; else a new run's
 * default). Returns the number of failed runs (-1 for a fork failure). */
static int train_plan(const experiment_t *e, int jobs, int threads, int threads_given,
                      const char *self)
{
    size_t n = e->n_runs;
    slot_t *slots = calloc((size_t)jobs, sizeof *slots);
    if (!slots)
        return -1;
    size_t next = 0;
    int running = 0, failed = 0, busy = 0;
    pid_t parent = getpid();
    gan_err_t err;
    while (!interrupted && (next < n || running > 0)) {
        while (!interrupted && running < jobs && next < n) {
            exp_run_t run;
            run_status_t st;
            size_t i = next++;
            if (experiment_run(&run, e, i, &err) || experiment_run_status(&st, e, &run, &err)) {
                fprintf(stderr, "  %-30s cannot be started: %s\n", run.name, err.msg);
                failed++;
                continue;
            }
            if (st.state == RUN_STATE_FINISHED) {
                fprintf(stderr, "  %-30s already finished, skipped\n", run.name);
                continue;
            }
            if (run_lock_held(run.dir, RUN_LOCK_STALE_SECONDS)) {
                run_holder_t h;
                if (run_lock_read(&h, run.dir))
                    fprintf(stderr, "  %-30s in use by pid %ld on %s, skipped\n", run.name,
                            h.pid, h.host);
                else
                    fprintf(stderr, "  %-30s in use by another process, skipped\n", run.name);
                busy++;
                continue;
            }
            char **argv = experiment_train_args(e, &run, self, threads_given ? threads : 0);
            char log_path[PATH_MAX + 8];
            snprintf(log_path, sizeof log_path, "%s.log", run.dir);
            int slot = 0;
            while (slots[slot].state == SLOT_RUNNING)
                slot++;
            pid_t pid = argv ? spawn_run(argv, log_path, parent, threads) : -1;
            experiment_args_free(argv);
            if (pid < 0) {
                stop_children(slots, jobs);
                free(slots);
                return -1;
            }
            slots[slot] = (slot_t){.run = i, .pid = pid, .state = SLOT_RUNNING,
                                   .started = clock_seconds(), .epochs_seen = st.epoch};
            running++;
            fprintf(stderr, "  %-30s %s (log: %s)\n", run.name,
                    st.state == RUN_STATE_PARTIAL ? "resumed" : "started", log_path);
        }
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) {
            for (int k = 0; k < jobs; k++) {
                exp_run_t run;
                run_status_t st;
                if (slots[k].state != SLOT_RUNNING ||
                    experiment_run(&run, e, slots[k].run, &err) ||
                    run_status(&st, run.dir, &err) || st.epoch <= slots[k].epochs_seen)
                    continue;
                slots[k].epochs_seen = st.epoch;
                fprintf(stderr, "  %-30s epoch %d/%d  (%.0fs)\n", run.name, st.epoch,
                        e->base.epochs, clock_seconds() - slots[k].started);
            }
            usleep(200000);
            continue;
        }
        if (pid < 0)
            break;
        for (int k = 0; k < jobs; k++) {
            if (slots[k].state != SLOT_RUNNING || slots[k].pid != pid)
                continue;
            running--;
            exp_run_t run;
            experiment_run(&run, e, slots[k].run, &err);
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            double wall = clock_seconds() - slots[k].started;
            slots[k].state = code == 0 ? SLOT_DONE : SLOT_FAILED;
            if (code == 0) {
                fprintf(stderr, "  %-30s finished in %.0fs\n", run.name, wall);
            } else {
                failed += !interrupted;
                fprintf(stderr, "  %-30s %s (exit %d; see %s.log)\n", run.name,
                        interrupted ? "stopped" : "FAILED", code, run.dir);
            }
        }
    }
    if (interrupted) {
        stop_children(slots, jobs);
        while (running > 0 && wait(NULL) > 0)
            running--;
    }
    free(slots);
    return failed + busy;
}

/* The run-shaping options given on the command line, to refuse one that is
 * also an axis. */
typedef struct {
    const char *names[TRAIN_N_LONG_OPTIONS];
    int n;
} given_t;

enum { OPT_INITS = OPT_TRAIN_LAST + 1, OPT_SEEDS, OPT_VARY, OPT_NAME, OPT_OUT, OPT_JOBS,
       OPT_PLAN, OPT_WORKER, OPT_TASK, OPT_FINALIZE, OPT_STALE, OPT_HELP };

static void on_work(void *ctx, const exp_work_progress_t *p)
{
    const experiment_t *e = ctx;
    const char *name = p->run ? p->run->name : "";
    switch (p->event) {
    case EXP_WORK_CLAIMED:
        if (p->took_over)
            fprintf(stderr, "  %-30s claimed from epoch %d (took over a stale claim of pid %ld "
                    "on %s)\n", name, p->status->epoch, p->took_over->pid, p->took_over->host);
        else
            fprintf(stderr, "  %-30s claimed (%s, epoch %d of %d)\n", name,
                    run_state_name(p->status->state), p->status->epoch, e->base.epochs);
        break;
    case EXP_WORK_EPOCH:
        fprintf(stderr, "  %-30s epoch %d/%d  (%.0fs)\n", name, p->epoch, e->base.epochs,
                p->seconds);
        break;
    case EXP_WORK_FINISHED:
        fprintf(stderr, "  %-30s finished in %.0fs\n", name, p->seconds);
        break;
    case EXP_WORK_STOPPED: break;
    case EXP_WORK_FAILED:
        fprintf(stderr, "  %-30s FAILED: %s\n", name, p->message);
        break;
    case EXP_WORK_NOTICE:
        fprintf(stderr, "  %-30s note: %s\n", name, p->message);
        break;
    case EXP_WORK_WAITING:
        fprintf(stderr, "  waiting: %d run%s held by other workers\n", p->n_busy,
                p->n_busy > 1 ? "s" : "");
        break;
    }
}

/* summary.csv and report.html once every run is finished; otherwise one
 * line per missing run and exit 1. */
static int finalize(const experiment_t *e)
{
    gan_err_t err;
    size_t shown[20], n_missing = 0;
    int rc = experiment_missing(e, shown, 20, &n_missing, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    if (n_missing) {
        for (size_t k = 0; k < n_missing && k < 20; k++) {
            exp_run_t run;
            run_status_t st;
            experiment_run(&run, e, shown[k], &err);
            if (experiment_run_status(&st, e, &run, &err) != GAN_OK)
                fprintf(stderr, "gan: %s: not finished (%s)\n", run.dir, err.msg);
            else
                fprintf(stderr, "gan: %s: not finished (%s, %d of %d epochs)\n", run.dir,
                        run_state_name(st.state), st.epoch, e->base.epochs);
        }
        if (n_missing > 20)
            fprintf(stderr, "gan: ... and %zu more\n", n_missing - 20);
        return cli_fail(1, "experiment: %zu of %zu runs not finished; train them (rerun the "
                           "experiment or start workers), then --finalize again",
                        n_missing, e->n_runs);
    }
    rc = experiment_write_summary(e, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    const char *inputs[1] = {e->dir};
    report_opts_t ropts = {.inputs = inputs, .n_inputs = 1};
    char html[PATH_MAX];
    rc = report_write(&ropts, html, sizeof html, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    fprintf(stderr, "%s/summary.csv\nreport: %s\n", e->dir, html);
    return 0;
}

/* "I/N" with 0 <= I < N. */
static int parse_task(long *index, long *count, const char *text)
{
    char *end = NULL;
    *index = strtol(text, &end, 10);
    if (end == text || *end != '/')
        return cli_fail(2, "--task=%s: expected I/N, e.g. --task=0/4", text);
    const char *rest = end + 1;
    *count = strtol(rest, &end, 10);
    if (end == rest || *end != '\0' || *count < 1 || *count > 1000000 || *index < 0 ||
        *index >= *count)
        return cli_fail(2, "--task=%s: expected I/N with 0 <= I < N (task ids count from 0)",
                        text);
    return 0;
}

#define MAX_VARY EXP_MAX_AXES

int cmd_experiment(int argc, char **argv)
{
    struct option options[TRAIN_N_LONG_OPTIONS + 16];
    struct option own[] = {
        {"inits", required_argument, 0, OPT_INITS}, {"seeds", required_argument, 0, OPT_SEEDS},
        {"vary", required_argument, 0, OPT_VARY},   {"name", required_argument, 0, OPT_NAME},
        {"out", required_argument, 0, OPT_OUT},     {"jobs", required_argument, 0, OPT_JOBS},
        {"plan", no_argument, 0, OPT_PLAN},         {"help", no_argument, 0, OPT_HELP},
        {"worker", no_argument, 0, OPT_WORKER},     {"task", required_argument, 0, OPT_TASK},
        {"finalize", no_argument, 0, OPT_FINALIZE}, {"stale", required_argument, 0, OPT_STALE},
        {0, 0, 0, 0},
    };
    train_options_merge(options, own);

    train_cfg_t cfg;
    train_cfg_default(&cfg);
    const char *inits_text = "random,he_xavier", *name = "init-study", *out = NULL;
    const char *vary[MAX_VARY];
    int n_vary = 0, plan_only = 0, threads_given = 0, worker = 0, final_only = 0;
    long seeds = 1, jobs = 1, task_index = 0, task_count = 0;
    double stale = RUN_LOCK_STALE_SECONDS;
    given_t given = {.n = 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c >= OPT_INIT && c < OPT_TRAIN_LAST) {
            const char *opt = options[c - OPT_INIT].name;
            if (c == OPT_INIT || c == OPT_G_INIT || c == OPT_D_INIT)
                return cli_fail(2, "--%s: an experiment sets the init of each run; use "
                                   "--inits=LIST (or --vary=%s=LIST)",
                                opt, c == OPT_INIT ? "g-init" : opt);
            if (train_option_apply(&cfg, c, optarg))
                return 2;
            threads_given |= c == OPT_THREADS;
            given.names[given.n++ % TRAIN_N_LONG_OPTIONS] = opt;
            continue;
        }
        switch (c) {
        case OPT_INITS: inits_text = optarg; break;
        case OPT_SEEDS: if (cli_parse_int("seeds", optarg, 1, 4096, &seeds)) return 2; break;
        case OPT_VARY:
            if (n_vary == MAX_VARY)
                return cli_fail(2, "--vary: at most %d axes", MAX_VARY);
            vary[n_vary++] = optarg;
            break;
        case OPT_NAME: name = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_JOBS: if (cli_parse_int("jobs", optarg, 1, 256, &jobs)) return 2; break;
        case OPT_PLAN: plan_only = 1; break;
        case OPT_WORKER: worker = 1; break;
        case OPT_FINALIZE: final_only = 1; break;
        case OPT_TASK: if (parse_task(&task_index, &task_count, optarg)) return 2; break;
        case OPT_STALE:
            if (cli_parse_float("stale", optarg, 1, 1e7, &stale))
                return 2;
            break;
        case OPT_HELP: usage(stdout); return 0;
        default: return cli_usage_error("experiment");
        }
    }
    if (optind < argc)
        return cli_fail(2, "experiment: unexpected argument '%s'", argv[optind]);
    if (plan_only + final_only + (worker || task_count > 0) > 1)
        return cli_fail(2, "experiment: --plan, --finalize and --worker/--task exclude each other");
    if ((worker || task_count > 0) && jobs > 1)
        return cli_fail(2, "--jobs: a worker trains one run at a time; start more workers");
    int mpi_rank = 0, mpi_size = 1;
    char why[512];
    if (!plan_only && !final_only && mpi_world_start(&argc, &argv, &mpi_rank, &mpi_size, why,
                                                     sizeof why))
        return cli_fail(2, "%s", why);
    if (!out && (strchr(name, '/') || name[0] == '.' || name[0] == '\0'))
        return cli_fail(2, "--name=%s: a plain folder name under runs/ (or use --out=DIR)", name);

    gan_err_t err;
    int rc = train_cfg_check(&cfg, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    char exp_dir[PATH_MAX];
    if (snprintf(exp_dir, sizeof exp_dir, out ? "%s" : "runs/%s", out ? out : name) >=
        (int)sizeof exp_dir)
        return cli_fail(2, "--out: path longer than %d bytes", PATH_MAX - 1);

    static experiment_t exp;
    experiment_init(&exp, &cfg, exp_dir);
    rc = experiment_add_inits(&exp, inits_text, &err);
    for (int i = 0; i < n_vary && !rc; i++) {
        rc = experiment_add_vary(&exp, vary[i], &err);
        const char *axis = rc ? NULL : exp.axes[exp.n_axes - 1].option;
        for (int g = 0; axis && g < given.n && g < TRAIN_N_LONG_OPTIONS; g++)
            if (strcmp(given.names[g], axis) == 0)
                rc = gan_err_set(&err, GAN_ERR_INPUT, "--%s: also given as an axis (--vary=%s)",
                                 axis, vary[i]);
    }
    if (!rc)
        rc = experiment_add_seeds(&exp, cfg.seed, seeds, &err);
    if (!rc)
        rc = experiment_finish(&exp, &err);
    if (rc) {
        experiment_free(&exp);
        return cli_fail_err(rc, &err);
    }

    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        experiment_free(&exp);
        return cli_fail(1, "experiment: cannot find the gan executable (/proc/self/exe)");
    }
    self[len] = '\0';
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int threads = threads_given ? cfg.threads : (cores / (int)jobs > 0 ? cores / (int)jobs : 1);

    if (plan_only) {
        /* Buffered: a run made with other settings refuses the whole plan
         * before a line of it is printed. */
        char *text = NULL;
        size_t len = 0, n_damaged = 0;
        FILE *mem = open_memstream(&text, &len);
        rc = mem ? experiment_write_plan(mem, &exp, self, threads_given ? cfg.threads : 0,
                                         &n_damaged, &err)
                 : gan_err_set(&err, GAN_ERR_RUNTIME, "out of memory");
        if (mem)
            fclose(mem);
        if (!rc && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0))
            rc = gan_err_set(&err, GAN_ERR_RUNTIME, "plan: cannot write to standard output");
        free(text);
        experiment_free(&exp);
        if (!rc && n_damaged)
            fprintf(stderr, "gan: experiment: %zu run%s of the plan cannot be judged (state "
                    "\"damaged\", see its \"reason\")\n", n_damaged, n_damaged > 1 ? "s" : "");
        return rc ? cli_fail_err(rc, &err) : 0;
    }
    /* Nothing is trained, skipped or summarized under settings a run does
     * not have. */
    rc = experiment_check_settings(&exp, &err);
    if (rc) {
        experiment_free(&exp);
        return cli_fail_err(rc, &err);
    }
    if (final_only) {
        rc = finalize(&exp);
        experiment_free(&exp);
        return rc;
    }

    /* Every run would stop on these: say it once, before starting any. */
    if (cfg.eval_every > 0 && access(cfg.classifier, R_OK) != 0) {
        experiment_free(&exp);
        return cli_fail(2, "%s: no classifier file; make one with ./gan classifier train "
                           "(--out=%s)", cfg.classifier, cfg.classifier);
    }
    mnist_t ds;
    rc = mnist_load_dir(&ds, cfg.data_dir, 1, &err);
    mnist_free(&ds);
    if (!rc)
        rc = fs_mkdirs(exp_dir, &err);
    if (rc) {
        experiment_free(&exp);
        return cli_fail_err(rc, &err);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    if (worker || task_count > 0 || mpi_size > 1) {
        /* Several ranks usually share a machine: one thread each unless told. */
        int wthreads = threads_given ? cfg.threads : mpi_size > 1 ? 1 : cores;
        exp_work_opts_t wopts = {
            .share_index = task_count > 0 ? task_index : 0,
            .share_count = task_count > 0 ? task_count : 1,
            .threads = wthreads,
            .threads_given = threads_given,
            .stale_seconds = stale,
            .on_progress = on_work,
            .ctx = &exp,
            .stop = &interrupted,
        };
        char host[256];
        gethostname(host, sizeof host);
        fprintf(stderr, "worker pid %ld on %s%s: %s, %zu runs in the plan, %d thread%s\n",
                (long)getpid(), host, mpi_size > 1 ? " (MPI rank)" : "", exp_dir, exp.n_runs,
                wthreads, wthreads > 1 ? "s" : "");
        exp_work_stats_t stats;
        rc = experiment_work(&exp, &wopts, &stats, &err);
        if (rc == TRAIN_STOPPED) {
            experiment_free(&exp);
            mpi_world_end();
            fprintf(stderr, stats.stopped_in_run
                                ? "gan: worker stopped; its run is checkpointed and will be "
                                  "resumed\n"
                                : "gan: worker stopped (no run in progress)\n");
            return 128 + interrupted;
        }
        if (rc) {
            experiment_free(&exp);
            mpi_world_end();
            return cli_fail_err(rc, &err);
        }
        fprintf(stderr, "worker pid %ld: trained %d run%s, %d failed\n", (long)getpid(),
                stats.trained, stats.trained == 1 ? "" : "s", stats.failed);
        mpi_world_wait_all();
        int code = stats.failed ? 1 : 0;
        if (mpi_size > 1 && mpi_rank == 0 && !code)
            code = finalize(&exp);
        experiment_free(&exp);
        mpi_world_end();
        return code;
    }

    fprintf(stderr, "experiment %s: %zu runs, %ld at a time, %d thread%s each, %d epochs\n",
            exp_dir, exp.n_runs, jobs, threads, threads > 1 ? "s" : "", cfg.epochs);
    double t0 = clock_seconds();
    int failed = train_plan(&exp, (int)jobs, threads, threads_given, self);
    if (interrupted) {
        experiment_free(&exp);
        fprintf(stderr, "gan: experiment stopped; rerun the same command to resume it\n");
        return 128 + interrupted;
    }
    if (failed) {
        experiment_free(&exp);
        if (failed < 0)
            return cli_fail(1, "experiment: fork failed (%s)", strerror(errno));
        return cli_fail(1, "experiment: %d run%s failed or busy; see the .log files in %s",
                        failed, failed > 1 ? "s" : "", exp_dir);
    }
    rc = experiment_write_summary(&exp, &err);
    experiment_free(&exp);
    if (rc)
        return cli_fail_err(rc, &err);
    const char *inputs[1] = {exp_dir};
    report_opts_t ropts = {.inputs = inputs, .n_inputs = 1};
    char html[PATH_MAX];
    rc = report_write(&ropts, html, sizeof html, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    fprintf(stderr, "done in %.0fs: %s/summary.csv\nreport: %s\n", clock_seconds() - t0, exp_dir,
            html);
    return 0;
}
