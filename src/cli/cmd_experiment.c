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
    train_options_help(out, CFG_CMD_EXPERIMENT);
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
    const char *names[TRAIN_OPT_ROOM];
    int n;
} given_t;

enum { OPT_INITS = TRAIN_OPT_OWN, OPT_SEEDS, OPT_VARY, OPT_NAME, OPT_OUT, OPT_JOBS,
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

/* summary.csv and report.html of a finished plan; prefix leads the line
 * that names them ("done in 12s: "). */
static int write_results(const experiment_t *e, const char *prefix)
{
    gan_err_t err;
    int rc = experiment_write_summary(e, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    const char *inputs[1] = {e->dir};
    report_opts_t ropts = {.inputs = inputs, .n_inputs = 1};
    char html[PATH_MAX];
    rc = report_write(&ropts, html, sizeof html, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    fprintf(stderr, "%s%s/summary.csv\nreport: %s\n", prefix, e->dir, html);
    return 0;
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
    return write_results(e, "");
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

/* What the command line asked for, beyond the plan itself. */
typedef struct {
    train_cfg_t cfg;
    int threads_given, plan_only, final_only, worker;
    long jobs, seeds, task_index, task_count;
    double stale;
    int mpi_rank, mpi_size;
    char self[PATH_MAX]; /* this executable, argv[0] of the runs' argv */
} exp_args_t;

/* --plan: the plan as JSON Lines, buffered: a run made with other settings
 * refuses the whole plan before a line of it is printed. */
static int mode_plan(const experiment_t *e, const exp_args_t *a)
{
    gan_err_t err;
    char *text = NULL;
    size_t len = 0, n_damaged = 0;
    FILE *mem = open_memstream(&text, &len);
    int rc = mem ? experiment_write_plan(mem, e, a->self, a->threads_given ? a->cfg.threads : 0,
                                         &n_damaged, &err)
                 : gan_err_set(&err, GAN_ERR_RUNTIME, "out of memory");
    if (mem)
        fclose(mem);
    if (!rc && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0))
        rc = gan_err_set(&err, GAN_ERR_RUNTIME, "plan: cannot write to standard output");
    free(text);
    if (rc)
        return cli_fail_err(rc, &err);
    if (n_damaged)
        fprintf(stderr, "gan: experiment: %zu run%s of the plan cannot be judged (state "
                "\"damaged\", see its \"reason\")\n", n_damaged, n_damaged > 1 ? "s" : "");
    return 0;
}

/* --worker, --task or an MPI rank: claim, train in this process, repeat. */
static int mode_worker(const experiment_t *e, const exp_args_t *a)
{
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    /* Several ranks usually share a machine: one thread each unless told. */
    int wthreads = a->threads_given ? a->cfg.threads : a->mpi_size > 1 ? 1 : cores;
    exp_work_opts_t wopts = {
        .share_index = a->task_count > 0 ? a->task_index : 0,
        .share_count = a->task_count > 0 ? a->task_count : 1,
        .threads = wthreads,
        .threads_given = a->threads_given,
        .stale_seconds = a->stale,
        .on_progress = on_work,
        .ctx = (void *)e,
        .stop = &interrupted,
    };
    char host[256];
    gethostname(host, sizeof host);
    fprintf(stderr, "worker pid %ld on %s%s: %s, %zu runs in the plan, %d thread%s\n",
            (long)getpid(), host, a->mpi_size > 1 ? " (MPI rank)" : "", e->dir, e->n_runs,
            wthreads, wthreads > 1 ? "s" : "");
    exp_work_stats_t stats;
    gan_err_t err;
    int rc = experiment_work(e, &wopts, &stats, &err);
    if (rc == TRAIN_STOPPED) {
        mpi_world_end();
        fprintf(stderr, stats.stopped_in_run
                            ? "gan: worker stopped; its run is checkpointed and will be "
                              "resumed\n"
                            : "gan: worker stopped (no run in progress)\n");
        return 128 + interrupted;
    }
    if (rc) {
        mpi_world_end();
        return cli_fail_err(rc, &err);
    }
    fprintf(stderr, "worker pid %ld: trained %d run%s, %d failed\n", (long)getpid(),
            stats.trained, stats.trained == 1 ? "" : "s", stats.failed);
    mpi_world_wait_all();
    int code = stats.failed ? 1 : 0;
    if (a->mpi_size > 1 && a->mpi_rank == 0 && !code)
        code = finalize(e);
    mpi_world_end();
    return code;
}

/* The default: every unfinished run by a child `gan train ... --continue`,
 * --jobs at once, then summary.csv and the report. Children, not threads:
 * a crash of one run cannot take the others down, and each run's output
 * goes to its own log; the decision what a run needs is train's (--continue),
 * the same for workers and printed plans. */
static int mode_local(const experiment_t *e, const exp_args_t *a)
{
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int threads = a->threads_given ? a->cfg.threads
                                   : (cores / (int)a->jobs > 0 ? cores / (int)a->jobs : 1);
    fprintf(stderr, "experiment %s: %zu runs, %ld at a time, %d thread%s each, %d epochs\n",
            e->dir, e->n_runs, a->jobs, threads, threads > 1 ? "s" : "", a->cfg.epochs);
    double t0 = clock_seconds();
    int failed = train_plan(e, (int)a->jobs, threads, a->threads_given, a->self);
    if (interrupted) {
        fprintf(stderr, "gan: experiment stopped; rerun the same command to resume it\n");
        return 128 + interrupted;
    }
    if (failed < 0)
        return cli_fail(1, "experiment: fork failed (%s)", strerror(errno));
    if (failed)
        return cli_fail(1, "experiment: %d run%s failed or busy; see the .log files in %s",
                        failed, failed > 1 ? "s" : "", e->dir);
    char done[64];
    snprintf(done, sizeof done, "done in %.0fs: ", clock_seconds() - t0);
    return write_results(e, done);
}

/* Training modes: what every run would stop on is said once, before any
 * starts; then the signals that stop children and workers cleanly. */
static int prepare_training(const experiment_t *e, const train_cfg_t *cfg)
{
    if (cfg->eval_every > 0 && access(cfg->classifier, R_OK) != 0)
        return cli_fail(2, "%s: no classifier file; make one with ./gan classifier train "
                           "(--out=%s)", cfg->classifier, cfg->classifier);
    gan_err_t err;
    mnist_t ds;
    int rc = mnist_load_dir(&ds, cfg->data_dir, 1, &err);
    mnist_free(&ds);
    if (!rc)
        rc = fs_mkdirs(e->dir, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    cli_catch_stop_signals(on_signal, 1);
    return 0;
}

/* The plan of the command line: init axis, --vary axes (none also given as
 * a plain option), seeds. */
static int build_plan(experiment_t *e, const exp_args_t *a, const char *dir, const char *inits,
                      const char *const *vary, int n_vary, const given_t *given)
{
    gan_err_t err;
    experiment_init(e, &a->cfg, dir);
    int rc = experiment_add_inits(e, inits, &err);
    for (int i = 0; i < n_vary && !rc; i++) {
        rc = experiment_add_vary(e, vary[i], &err);
        const char *axis = rc ? NULL : e->axes[e->n_axes - 1].option;
        for (int g = 0; axis && g < given->n && g < TRAIN_OPT_ROOM; g++)
            if (strcmp(given->names[g], axis) == 0)
                rc = gan_err_set(&err, GAN_ERR_INPUT, "--%s: also given as an axis (--vary=%s)",
                                 axis, vary[i]);
    }
    if (!rc)
        rc = experiment_add_seeds(e, a->cfg.seed, a->seeds, &err);
    if (!rc)
        rc = experiment_finish(e, &err);
    if (rc)
        experiment_free(e);
    return rc ? cli_fail_err(rc, &err) : 0;
}

int cmd_experiment(int argc, char **argv)
{
    struct option options[TRAIN_OPT_ROOM + 16];
    struct option own[] = {
        {"inits", required_argument, 0, OPT_INITS}, {"seeds", required_argument, 0, OPT_SEEDS},
        {"vary", required_argument, 0, OPT_VARY},   {"name", required_argument, 0, OPT_NAME},
        {"out", required_argument, 0, OPT_OUT},     {"jobs", required_argument, 0, OPT_JOBS},
        {"plan", no_argument, 0, OPT_PLAN},         {"help", no_argument, 0, OPT_HELP},
        {"worker", no_argument, 0, OPT_WORKER},     {"task", required_argument, 0, OPT_TASK},
        {"finalize", no_argument, 0, OPT_FINALIZE}, {"stale", required_argument, 0, OPT_STALE},
        {0, 0, 0, 0},
    };
    train_options_merge(options, CFG_CMD_EXPERIMENT, own);

    static exp_args_t a;
    memset(&a, 0, sizeof a);
    train_cfg_default(&a.cfg);
    a.jobs = 1;
    a.seeds = 1;
    a.stale = RUN_LOCK_STALE_SECONDS;
    const char *inits_text = "random,he_xavier", *name = "init-study", *out = NULL;
    const char *vary[MAX_VARY];
    int n_vary = 0;
    given_t given = {.n = 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        const cfg_option_t *o = train_option_row(c);
        if (o) {
            if (o->type == CFG_INIT || o->type == CFG_INIT_BOTH)
                return cli_fail(2, "--%s: an experiment sets the init of each run; use "
                                   "--inits=LIST (or --vary=%s=LIST)",
                                o->name, o->type == CFG_INIT_BOTH ? "g-init" : o->name);
            if (train_option_apply(&a.cfg, c, optarg))
                return 2;
            a.threads_given |= o == cfg_option("threads");
            given.names[given.n++ % TRAIN_OPT_ROOM] = o->name;
            continue;
        }
        switch (c) {
        case OPT_INITS: inits_text = optarg; break;
        case OPT_SEEDS: if (cli_parse_int("seeds", optarg, 1, 4096, &a.seeds)) return 2; break;
        case OPT_VARY:
            if (n_vary == MAX_VARY)
                return cli_fail(2, "--vary: at most %d axes", MAX_VARY);
            vary[n_vary++] = optarg;
            break;
        case OPT_NAME: name = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_JOBS: if (cli_parse_int("jobs", optarg, 1, 256, &a.jobs)) return 2; break;
        case OPT_PLAN: a.plan_only = 1; break;
        case OPT_WORKER: a.worker = 1; break;
        case OPT_FINALIZE: a.final_only = 1; break;
        case OPT_TASK: if (parse_task(&a.task_index, &a.task_count, optarg)) return 2; break;
        case OPT_STALE:
            if (cli_parse_float("stale", optarg, 1, 1e7, &a.stale))
                return 2;
            break;
        case OPT_HELP: usage(stdout); return 0;
        default: return cli_usage_error("experiment");
        }
    }
    if (optind < argc)
        return cli_fail(2, "experiment: unexpected argument '%s'", argv[optind]);
    int working = a.worker || a.task_count > 0;
    if (a.plan_only + a.final_only + working > 1)
        return cli_fail(2, "experiment: --plan, --finalize and --worker/--task exclude each other");
    if (working && a.jobs > 1)
        return cli_fail(2, "--jobs: a worker trains one run at a time; start more workers");
    a.mpi_size = 1;
    char why[512];
    if (!a.plan_only && !a.final_only &&
        mpi_world_start(&argc, &argv, &a.mpi_rank, &a.mpi_size, why, sizeof why))
        return cli_fail(2, "%s", why);
    if (!out && (strchr(name, '/') || name[0] == '.' || name[0] == '\0'))
        return cli_fail(2, "--name=%s: a plain folder name under runs/ (or use --out=DIR)", name);
    gan_err_t err;
    /* The data and the classifier are looked up once for the whole plan:
     * every run's argv names them. */
    int rc = train_cfg_find_paths(&a.cfg, &err);
    if (!rc)
        rc = train_cfg_check(&a.cfg, &err);
    if (rc)
        return cli_fail_err(rc, &err);
    char exp_dir[PATH_MAX];
    if (snprintf(exp_dir, sizeof exp_dir, out ? "%s" : "runs/%s", out ? out : name) >=
        (int)sizeof exp_dir)
        return cli_fail(2, "--out: path longer than %d bytes", PATH_MAX - 1);
    ssize_t len = readlink("/proc/self/exe", a.self, sizeof a.self - 1);
    if (len <= 0)
        return cli_fail(1, "experiment: cannot find the gan executable (/proc/self/exe)");
    a.self[len] = '\0';

    static experiment_t exp;
    if (build_plan(&exp, &a, exp_dir, inits_text, vary, n_vary, &given))
        return 2;
    if (a.plan_only)
        rc = mode_plan(&exp, &a);
    /* Nothing is trained, skipped or summarized under settings a run does
     * not have. */
    else if ((rc = experiment_check_settings(&exp, &err)) != 0)
        rc = cli_fail_err(rc, &err);
    else if (a.final_only)
        rc = finalize(&exp);
    else if ((rc = prepare_training(&exp, &a.cfg)) != 0)
        ;
    else if (working || a.mpi_size > 1)
        rc = mode_worker(&exp, &a);
    else
        rc = mode_local(&exp, &a);
    experiment_free(&exp);
    return rc;
}
