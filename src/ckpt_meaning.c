/* The meaning of a run's checkpoint; see ckpt_meaning.h.
 *
 * Every bound below is one a real run cannot cross, stated with the reason,
 * so that a refusal always means "not written by a run", never "unusual".
 * Section bytes sit at any offset of the file's blob: values are read with
 * memcpy, never through a cast pointer. */
#include "gan/ckpt_meaning.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gan/json.h"
#include "gan/rng.h"

/* Why a refused checkpoint cannot be used: appended to every message. */
#define NOT_FROM_A_RUN "which no run writes (the file was damaged or edited)"

static int refuse(gan_err_t *err, const char *path, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(gan_err_t *err, const char *path, const char *where, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return gan_err_set(err, GAN_ERR_INPUT, "%s: %s: %s, " NOT_FROM_A_RUN, path, where, what);
}

/* The section with tag, or NULL if absent. */
static const ckpt_section_t *find(const ckpt_file_t *ckpt, uint32_t tag)
{
    for (int i = 0; i < ckpt->n_sections; i++)
        if (ckpt->sections[i].tag == tag)
            return &ckpt->sections[i];
    return NULL;
}

static float float_at(const ckpt_section_t *s, size_t i)
{
    float v;
    memcpy(&v, (const uint8_t *)s->data + i * sizeof v, sizeof v);
    return v;
}

static double double_at(const ckpt_section_t *s, size_t i)
{
    double v;
    memcpy(&v, (const uint8_t *)s->data + i * sizeof v, sizeof v);
    return v;
}

/* A float32 section: finite, >= lo when nonneg, |x| <= max when max > 0.
 * An absent section passes. */
static int check_floats(const ckpt_file_t *ckpt, uint32_t tag, const char *path, const char *name,
                        int nonneg, double max, gan_err_t *err)
{
    const ckpt_section_t *s = find(ckpt, tag);
    if (!s)
        return GAN_OK;
    char where[64];
    snprintf(where, sizeof where, "section '%s'", name);
    if (s->len % sizeof(float))
        return refuse(err, path, where, "%llu bytes, not a whole number of float32 values",
                      (unsigned long long)s->len);
    size_t n = (size_t)(s->len / sizeof(float));
    for (size_t i = 0; i < n; i++) {
        float v = float_at(s, i);
        if (!isfinite(v))
            return refuse(err, path, where, "value %zu of %zu is %g", i, n, (double)v);
        if (nonneg && v < 0)
            return refuse(err, path, where, "value %zu of %zu is %g, below 0", i, n, (double)v);
        if (max > 0 && fabs((double)v) > max)
            return refuse(err, path, where,
                          "value %zu of %zu is %g, beyond the %g that N(0,1) draws reach", i, n,
                          (double)v, max);
    }
    return GAN_OK;
}

/* A header number that must be a whole number in [lo, hi]; *out gets it.
 * Returns 0, or 1 when it is absent and missing_ok (*out untouched), or
 * -1 with err filled. */
static int header_whole(long long *out, const char *header, const char *key, double lo, double hi,
                        int missing_ok, const char *path, gan_err_t *err)
{
    double v;
    if (json_get_number(header, key, &v) != 0) {
        if (missing_ok)
            return 1;
        gan_err_set(err, GAN_ERR_INPUT, "%s: header: no %s", path, key);
        return -1;
    }
    if (!(v >= lo && v <= hi) || v != floor(v)) {
        refuse(err, path, "header", "%s is %.17g, not a whole number in %.17g..%.17g", key, v, lo,
               hi);
        return -1;
    }
    *out = (long long)v;
    return 0;
}

/* The largest step count a run can reach: 100000 epochs (the most --epochs
 * allows) of at most 2^32 images each (IDX counts are u32) at batch 1. */
#define MAX_GLOBAL_STEP ((double)100000 * 4294967296.0)

static int check_adam_steps(ckpt_position_t *pos, const ckpt_file_t *ckpt, const char *path,
                            gan_err_t *err)
{
    const ckpt_section_t *s = find(ckpt, CKPT_SEC_ADAM_STEPS);
    if (!s)
        return GAN_OK;
    const char *where = "section 'Adam steps'";
    if (s->len != 2 * sizeof(int64_t))
        return refuse(err, path, where, "%llu bytes, not two 64-bit counts",
                      (unsigned long long)s->len);
    int64_t steps[2];
    memcpy(steps, s->data, sizeof steps);
    if (steps[0] < 0 || steps[1] < 0)
        return refuse(err, path, where, "a negative step count (G %lld, D %lld)",
                      (long long)steps[0], (long long)steps[1]);
    /* gan_step takes one Adam step of D and one of G per training step. */
    if (steps[0] != steps[1])
        return refuse(err, path, where, "G took %lld Adam steps and D %lld; every training step "
                      "takes one of each", (long long)steps[0], (long long)steps[1]);
    int64_t done = steps[0];
    if (pos->steps_per_epoch > 0) {
        int64_t want = (int64_t)pos->epoch * pos->steps_per_epoch + pos->step;
        if (done != want)
            return refuse(err, path, where, "%lld steps, but epoch %d and step %ld of %ld steps "
                          "an epoch make %lld", (long long)done, pos->epoch, pos->step,
                          pos->steps_per_epoch, (long long)want);
        return GAN_OK;
    }
    /* An older checkpoint without "steps_per_epoch": what the counts imply
     * must be a whole number of steps an epoch, more than the step. */
    if (pos->epoch == 0) {
        if (done != pos->step)
            return refuse(err, path, where, "%lld steps, but the header says step %ld of epoch 1",
                          (long long)done, pos->step);
        return GAN_OK;
    }
    if (done < pos->step || (done - pos->step) % pos->epoch != 0 ||
        (done - pos->step) / pos->epoch <= pos->step)
        return refuse(err, path, where, "%lld steps do not make %d whole epochs and %ld steps",
                      (long long)done, pos->epoch, pos->step);
    pos->steps_per_epoch = (long)((done - pos->step) / pos->epoch);
    return GAN_OK;
}

static int check_rng(const ckpt_file_t *ckpt, const char *path, gan_err_t *err)
{
    const ckpt_section_t *s = find(ckpt, CKPT_SEC_NOISE_RNG);
    if (!s)
        return GAN_OK;
    const char *where = "section 'RNG'";
    if (s->len != RNG_PACKED_BYTES)
        return refuse(err, path, where, "%llu bytes, not the %d of a state",
                      (unsigned long long)s->len, RNG_PACKED_BYTES);
    uint8_t bytes[RNG_PACKED_BYTES];
    memcpy(bytes, s->data, sizeof bytes);
    rng_t r;
    if (rng_unpack(&r, bytes) != 0)
        return refuse(err, path, where, "the spare-normal flag is not 0 or 1");
    /* xoshiro256**'s one invalid state: all zero stays zero forever. */
    if (!(r.s[0] | r.s[1] | r.s[2] | r.s[3]))
        return refuse(err, path, where, "an all-zero xoshiro256** state (it would draw 0 "
                      "forever)");
    if (r.has_spare && !(fabs(r.spare) <= CKPT_NOISE_MAX))
        return refuse(err, path, where, "the cached normal is %g, beyond the %g that N(0,1) "
                      "draws reach", r.spare, CKPT_NOISE_MAX);
    return GAN_OK;
}

/* The sums of the epoch in progress must be sums of `step` steps' values. */
static int check_sums(const ckpt_file_t *ckpt, const char *path, long step, gan_err_t *err)
{
    const ckpt_section_t *s = find(ckpt, CKPT_SEC_EPOCH_SUMS);
    if (s) {
        static const char *const names[CKPT_N_SUMS] = {
            "d_loss", "g_loss", "d_real", "d_fake", "acc_real", "acc_fake", "seconds", "steps"};
        const char *where = "section 'epoch sums'";
        if (s->len != CKPT_N_SUMS * sizeof(double))
            return refuse(err, path, where, "%llu bytes, not %d sums",
                          (unsigned long long)s->len, CKPT_N_SUMS);
        double v[CKPT_N_SUMS];
        for (int i = 0; i < CKPT_N_SUMS; i++) {
            v[i] = double_at(s, (size_t)i);
            if (!isfinite(v[i]))
                return refuse(err, path, where, "the %s sum is %g", names[i], v[i]);
        }
        double steps = v[CKPT_SUM_STEPS];
        if (steps != (double)step)
            return refuse(err, path, where, "%.17g steps summed, but the header says step %ld",
                          steps, step);
        for (int i = 0; i < CKPT_N_SUMS; i++) {
            /* Losses are binary cross entropies and seconds a duration:
             * >= 0. D's outputs and accuracies are means in [0, 1] per
             * step, so their sums lie in [0, steps] (rounding is monotone:
             * a sum of values <= 1 never rounds above the step count). */
            int bounded = i == CKPT_SUM_D_REAL || i == CKPT_SUM_D_FAKE ||
                          i == CKPT_SUM_ACC_REAL || i == CKPT_SUM_ACC_FAKE;
            if (v[i] < 0)
                return refuse(err, path, where, "the %s sum is %g, below 0", names[i], v[i]);
            if (bounded && v[i] > steps)
                return refuse(err, path, where, "the %s sum is %g, above the %g steps summed",
                              names[i], v[i], steps);
            if (steps == 0 && v[i] != 0)
                return refuse(err, path, where, "the %s sum is %g after 0 steps", names[i],
                              v[i]);
        }
    }
    s = find(ckpt, CKPT_SEC_GRAD_NORM_SUMS);
    if (s) {
        const char *where = "section 'gradient norm sums'";
        if (s->len % sizeof(double))
            return refuse(err, path, where, "%llu bytes, not a whole number of sums",
                          (unsigned long long)s->len);
        for (size_t i = 0; i < s->len / sizeof(double); i++) {
            double v = double_at(s, i);
            if (!isfinite(v) || v < 0)
                return refuse(err, path, where, "sum %zu is %g (norms are finite and >= 0)", i,
                              v);
            if (step == 0 && v != 0)
                return refuse(err, path, where, "sum %zu is %g after 0 steps", i, v);
        }
    }
    return GAN_OK;
}

int ckpt_meaning_check(const ckpt_file_t *ckpt, const char *path, long steps_per_epoch,
                       ckpt_position_t *pos_out, gan_err_t *err)
{
    const char *header = ckpt->header ? ckpt->header : "";
    char format[64] = "";
    json_get_string(header, "format", format, sizeof format);
    int kept = strcmp(format, CKPT_FORMAT_KEPT) == 0;
    ckpt_position_t pos = {0, 0, 0};

    long long epochs = 0, epoch = 0, step = 0, spe = 0;
    int rc = header_whole(&epochs, header, "epochs", 1, 100000, 0, path, err);
    if (!rc)
        rc = header_whole(&epoch, header, "epoch", 0, (double)epochs, 0, path, err);
    if (rc)
        return GAN_ERR_INPUT;
    rc = GAN_OK;
    pos.epoch = (int)epoch;
    if (!kept) {
        rc = header_whole(&step, header, "step", 0, MAX_GLOBAL_STEP, 0, path, err);
        if (rc < 0 || (rc = header_whole(&spe, header, "steps_per_epoch", 1, MAX_GLOBAL_STEP, 1,
                                         path, err)) < 0)
            return GAN_ERR_INPUT;
        if (rc == 1)
            spe = steps_per_epoch;
        else if (steps_per_epoch > 0 && spe != steps_per_epoch)
            return gan_err_set(err, GAN_ERR_INPUT,
                               "%s: header: the run took %lld steps an epoch, the data in use "
                               "and --batch give %ld; resume with the run's own data", path, spe,
                               steps_per_epoch);
        pos.step = (long)step;
        pos.steps_per_epoch = (long)spe;
        if (spe > 0 && step >= spe)
            return refuse(err, path, "header", "step %lld of an epoch of %lld steps", step, spe);
        if (step > 0 && epoch == epochs)
            return refuse(err, path, "header", "step %lld after the last of %lld epochs", step,
                          epochs);
    }

    rc = check_floats(ckpt, CKPT_SEC_G_PARAMS, path, "G params", 0, 0, err);
    if (!rc)
        rc = check_floats(ckpt, CKPT_SEC_D_PARAMS, path, "D params", 0, 0, err);
    if (!rc && !kept) {
        rc = check_floats(ckpt, CKPT_SEC_G_ADAM_M, path, "G Adam m", 0, 0, err);
        if (!rc)
            rc = check_floats(ckpt, CKPT_SEC_G_ADAM_V, path, "G Adam v", 1, 0, err);
        if (!rc)
            rc = check_floats(ckpt, CKPT_SEC_D_ADAM_M, path, "D Adam m", 0, 0, err);
        if (!rc)
            rc = check_floats(ckpt, CKPT_SEC_D_ADAM_V, path, "D Adam v", 1, 0, err);
        if (!rc)
            rc = check_adam_steps(&pos, ckpt, path, err);
        if (!rc)
            rc = check_rng(ckpt, path, err);
        if (!rc)
            rc = check_floats(ckpt, CKPT_SEC_FIXED_NOISE, path, "fixed noise", 0, CKPT_NOISE_MAX,
                              err);
        if (!rc)
            rc = check_sums(ckpt, path, pos.step, err);
    }
    if (!rc && pos_out)
        *pos_out = pos;
    return rc;
}
