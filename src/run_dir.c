/* A run folder's layout and state; see run_dir.h for the contract (the
 * lock is run_lock.c). */
#include "gan/run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gan/checkpoint.h"
#include "gan/events.h"
#include "gan/fsutil.h"
#include "gan/json.h"

static const char *const file_names[RUN_N_FILES] = {
    [RUN_CONFIG] = "config.json",
    [RUN_METRICS] = "metrics.csv",
    [RUN_LAYERS] = "layers.csv",
    [RUN_CKPT] = "checkpoint.bin",
    [RUN_CKPT_PREV] = "checkpoint.prev.bin",
    [RUN_CKPT_NEW] = "checkpoint.bin.new",
    [RUN_SAMPLES] = "samples",
    [RUN_LOCK] = "lock",
    [RUN_CLAIMS] = "claims.log",
    [RUN_STEPS] = "steps.csv",
    [RUN_KEPT] = "checkpoints",
    [RUN_CKPT_DAMAGED] = "checkpoint.damaged.bin",
};

/* The files named for an epoch: samples/epoch_NNNN.png and
 * checkpoints/epoch_NNNN.bin, the epoch with at least four digits. */
#define EPOCH_PREFIX "epoch_"
#define EPOCH_DIGITS 4
/* Longer numbers than this are no epoch (and would not fit an int). */
#define EPOCH_MAX_DIGITS 9

static const char *epoch_suffix(run_file_t folder)
{
    return folder == RUN_SAMPLES ? ".png" : folder == RUN_KEPT ? ".bin" : NULL;
}

const char *run_file_name(run_file_t f)
{
    return f >= 0 && f < RUN_N_FILES ? file_names[f] : "?";
}

int run_path(char out[PATH_MAX], const char *dir, run_file_t f, gan_err_t *err)
{
    return fs_join(out, PATH_MAX, dir, run_file_name(f), err);
}

int run_is_events_file(const char *name)
{
    return strncmp(name, EVENTS_FILE_PREFIX, strlen(EVENTS_FILE_PREFIX)) == 0;
}

/* out = dir/<folder>/epoch_NNNN<suffix>. */
static int epoch_path(char out[PATH_MAX], const char *dir, run_file_t folder, int epoch,
                      gan_err_t *err)
{
    const char *name = file_names[folder], *suffix = epoch_suffix(folder);
    int n = snprintf(out, PATH_MAX, "%s/%s/" EPOCH_PREFIX "%0*d%s", dir, name, EPOCH_DIGITS,
                     epoch, suffix);
    if (n < 0 || n >= PATH_MAX)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s/%s/" EPOCH_PREFIX "%0*d%s: path longer than %d bytes", dir, name,
                           EPOCH_DIGITS, epoch, suffix, PATH_MAX - 1);
    return GAN_OK;
}

int run_sample_path(char out[PATH_MAX], const char *dir, int epoch, gan_err_t *err)
{
    return epoch_path(out, dir, RUN_SAMPLES, epoch, err);
}

int run_kept_path(char out[PATH_MAX], const char *dir, int epoch, gan_err_t *err)
{
    return epoch_path(out, dir, RUN_KEPT, epoch, err);
}

int run_epoch_of_name(const char *name, run_file_t folder)
{
    const char *suffix = epoch_suffix(folder);
    size_t pre = strlen(EPOCH_PREFIX);
    if (!suffix || strncmp(name, EPOCH_PREFIX, pre) != 0)
        return -1;
    const char *digits = name + pre, *end = digits;
    int epoch = 0;
    while (*end >= '0' && *end <= '9' && end - digits < EPOCH_MAX_DIGITS)
        epoch = epoch * 10 + (*end++ - '0');
    size_t n = (size_t)(end - digits);
    /* Exactly what epoch_path writes: at least four digits, and a leading
     * zero only as padding to four ("epoch_00005" is not epoch 5's name). */
    if (n < EPOCH_DIGITS || (n > EPOCH_DIGITS && digits[0] == '0') || strcmp(end, suffix) != 0)
        return -1;
    return epoch;
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int run_kept_epochs(int **epochs, int *n, const char *dir, gan_err_t *err)
{
    *epochs = NULL;
    *n = 0;
    char path[PATH_MAX];
    int rc = run_path(path, dir, RUN_KEPT, err);
    if (rc)
        return rc;
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR
                   ? GAN_OK
                   : gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot read (%s)", path,
                                 strerror(errno));
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int epoch = run_epoch_of_name(de->d_name, RUN_KEPT);
        if (epoch < 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            int *grown = realloc(*epochs, (size_t)cap * sizeof *grown);
            if (!grown) {
                closedir(d);
                free(*epochs);
                *epochs = NULL;
                *n = 0;
                return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
            }
            *epochs = grown;
        }
        (*epochs)[(*n)++] = epoch;
    }
    closedir(d);
    if (*n > 1)
        qsort(*epochs, (size_t)*n, sizeof **epochs, int_cmp);
    return GAN_OK;
}

void run_kept_list_text(char *out, size_t size, const int *epochs, int n)
{
    if (size == 0)
        return;
    snprintf(out, size, "%s", n ? "" : "none");
    size_t len = strlen(out);
    for (int i = 0; i < n; i++) {
        char item[32];
        int k = snprintf(item, sizeof item, "%s%d", i ? ", " : "", epochs[i]);
        if (len + (size_t)k + 4 >= size) { /* room for "..." and the NUL */
            snprintf(out + len, size - len, "...");
            return;
        }
        memcpy(out + len, item, (size_t)k + 1);
        len += (size_t)k;
    }
}

const char *run_state_name(run_state_t s)
{
    switch (s) {
    case RUN_STATE_NONE: return "new";
    case RUN_STATE_STARTED: return "started";
    case RUN_STATE_PARTIAL: return "partial";
    case RUN_STATE_FINISHED: return "finished";
    }
    return "?";
}

static int has(const char *dir, run_file_t f)
{
    char path[PATH_MAX];
    return run_path(path, dir, f, NULL) == GAN_OK && fs_exists(path);
}

int run_status(run_status_t *st, const char *dir, gan_err_t *err)
{
    memset(st, 0, sizeof *st);
    /* One look for a run not begun: a plan of 10,000 runs judges each. */
    if (!fs_is_dir(dir))
        return GAN_OK;
    char path[PATH_MAX];
    int rc = run_path(path, dir, RUN_CKPT, err);
    if (rc)
        return rc;
    if (!fs_exists(path)) {
        rc = run_path(path, dir, RUN_CKPT_PREV, err);
        if (rc)
            return rc;
        st->from_prev = fs_exists(path);
    }
    if (!st->from_prev && !fs_exists(path)) {
        /* Not the lock: a writer holding it has made nothing yet. */
        st->state = has(dir, RUN_CONFIG) || has(dir, RUN_METRICS) || has(dir, RUN_CKPT_NEW)
                        ? RUN_STATE_STARTED
                        : RUN_STATE_NONE;
        return GAN_OK;
    }
    char *header = NULL;
    rc = ckpt_read_header(&header, path, err);
    if (rc)
        return rc;
    double epoch = -1, step = -1, epochs = -1;
    int bad = json_get_number(header, "epoch", &epoch) || json_get_number(header, "step", &step) ||
              json_get_number(header, "epochs", &epochs) || epoch < 0 || step < 0 || epochs < 1 ||
              epoch > 1e6 || step > 1e12 || epochs > 1e6;
    free(header);
    if (bad)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: header has no valid epoch, step and epochs",
                           path);
    st->epoch = (int)epoch;
    st->step = (long)step;
    st->epochs = (int)epochs;
    st->state = st->epoch >= st->epochs && st->step == 0 ? RUN_STATE_FINISHED : RUN_STATE_PARTIAL;
    return GAN_OK;
}
