/* Running the built gan (GAN_BIN) from a test, in the test's own mkdtemp
 * folder: spawning with stdout/stderr captured, exit codes, tracked
 * allocations and paths, all released by teardown (which also kills a run
 * still going). Included by the test files that drive the CLI; each gets its
 * own copy of the state below. */
#ifndef GAN_TEST_CLI_H
#define GAN_TEST_CLI_H

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gan/run_config.h"
#include "test_util.h"

#ifndef GAN_BIN
#define GAN_BIN "build/rel/gan"
#endif

#define MNIST_TRAIN "data/mnist/train-images-idx3-ubyte.gz"

/* ---- the test's folder and allocations (freed by .fini) ----------------- */

static char tmp_dir[64];
static pid_t child; /* a started gan not yet waited for */
static void *allocs[256];
static int n_allocs;

/* Remembers p for .fini; fails the test on NULL (out of memory). */
static inline void *track(void *p)
{
    cr_assert(p != NULL, "out of memory");
    cr_assert(n_allocs < (int)(sizeof allocs / sizeof allocs[0]), "too many allocations");
    allocs[n_allocs++] = p;
    return p;
}

static inline void teardown(void)
{
    if (child > 0) { /* a test failed while its run was going */
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = 0;
    }
    test_tmpdir_remove(tmp_dir);
    tmp_dir[0] = '\0';
    for (int i = 0; i < n_allocs; i++)
        free(allocs[i]);
    n_allocs = 0;
}

/* tmp_dir/name, tracked. */
static inline char *tmp_path(const char *name)
{
    char *p = track(malloc(strlen(tmp_dir) + strlen(name) + 2));
    sprintf(p, "%s/%s", tmp_dir, name);
    return p;
}

/* path/name, tracked. */
static inline char *join(const char *path, const char *name)
{
    char *p = track(malloc(strlen(path) + strlen(name) + 2));
    sprintf(p, "%s/%s", path, name);
    return p;
}

static inline int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static inline void need_mnist(void)
{
    if (!exists(MNIST_TRAIN))
        cr_skip_test("%s missing: run ./download_mnist.sh", MNIST_TRAIN);
    cr_assert(exists(GAN_BIN), "%s missing: build it with make", GAN_BIN);
}

/* Whole file, NUL-terminated, tracked; NULL (not a failure) if missing. */
static inline char *read_file(const char *path, size_t *len)
{
    char *buf = test_try_read_file(path, len);
    return buf ? track(buf) : NULL;
}

static inline char *must_read(const char *path, size_t *len)
{
    char *text = read_file(path, len);
    cr_assert(text != NULL, "%s: missing (%s)", path, strerror(errno));
    return text;
}

/* ---- running the binary -------------------------------------------------- */

/* Starts GAN_BIN with args (NULL-terminated, without argv[0]); stdout and
 * stderr go to tmp_dir/out.txt and tmp_dir/err.txt (truncated). The child
 * gets default SIGINT/SIGTERM handling and an empty signal mask whatever the
 * test runner uses. */
static inline pid_t spawn_gan(const char *const *args)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = GAN_BIN;
    for (int i = 0; args[i]; i++) {
        cr_assert(n < 63, "too many arguments");
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    char out[128], err[128];
    snprintf(out, sizeof out, "%s/out.txt", tmp_dir);
    snprintf(err, sizeof err, "%s/err.txt", tmp_dir);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        close(fo);
        close(fe);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execv(GAN_BIN, (char *const *)argv);
        _exit(127);
    }
    child = pid;
    return pid;
}

/* Exit code of the child; fails the test if a signal killed it. */
static inline int wait_gan(pid_t pid)
{
    int status;
    pid_t r;
    while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    cr_assert_eq(r, pid, "waitpid: %s", strerror(errno));
    child = 0;
    cr_assert(!WIFSIGNALED(status), "%s was killed by signal %d", GAN_BIN, WTERMSIG(status));
    cr_assert(WIFEXITED(status));
    cr_assert_neq(WEXITSTATUS(status), 127, "cannot execute %s", GAN_BIN);
    return WEXITSTATUS(status);
}

/* The settings of a library-level run of a few seconds: the defaults with
 * 16-unit hidden layers, the first 256 images, one epoch, one thread, no
 * event file. */
static inline void small_run_cfg(train_cfg_t *cfg)
{
    gan_err_t err;
    train_cfg_default(cfg);
    cr_assert_eq(train_cfg_set(cfg, "g-hidden", "16", &err), GAN_OK);
    cr_assert_eq(train_cfg_set(cfg, "d-hidden", "16", &err), GAN_OK);
    cfg->limit = 256;
    cfg->batch = 64;
    cfg->epochs = 1;
    cfg->threads = 1;
    cfg->events = 0;
}

/* Runs GAN_BIN args... to the end; returns the exit code. */
#define GAN(...) wait_gan(spawn_gan((const char *const[]){__VA_ARGS__, NULL}))

static inline char *last_stderr(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/err.txt", tmp_dir);
    return must_read(p, NULL);
}

/* Runs GAN_BIN args... and asserts exit 0, showing stderr otherwise. */
#define GAN_OK(...)                                                                \
    do {                                                                           \
        int rc_ = GAN(__VA_ARGS__);                                                \
        cr_assert_eq(rc_, 0, "%s exited %d: %s", GAN_BIN, rc_, last_stderr());     \
    } while (0)

#endif
