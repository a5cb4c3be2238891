/* Checkpoints of a training run: which state goes into which section of
 * the container (checkpoint.h), and restoring it; and the kept epochs
 * (checkpoints/epoch_NNNN.bin), the same container holding G's and D's
 * weights only.
 *
 * Why weights only: what reads a kept epoch (gan sample, eval, export)
 * needs the two nets' parameters and the architecture in the header,
 * nothing else. The rest of the state (Adam's m and v, the noise RNG, the
 * epoch sums) would triple the file (35 MB instead of 11.8 MB for the
 * default nets) for a use no command has: checkpoint.bin stays the one
 * resume point. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan/ckpt_meaning.h"
#include "gan/fsutil.h"
#include "gan/json.h"
#include "train_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoints store floats in host order, which must be little-endian"
#endif

/* The epoch sums section is the struct's bytes: its layout is the one
 * ckpt_meaning.h documents and checks. */
_Static_assert(sizeof(epoch_sums_t) == CKPT_N_SUMS * sizeof(double), "epoch sums layout");
_Static_assert(offsetof(epoch_sums_t, d_loss) == CKPT_SUM_D_LOSS * sizeof(double) &&
               offsetof(epoch_sums_t, g_loss) == CKPT_SUM_G_LOSS * sizeof(double) &&
               offsetof(epoch_sums_t, d_real) == CKPT_SUM_D_REAL * sizeof(double) &&
               offsetof(epoch_sums_t, d_fake) == CKPT_SUM_D_FAKE * sizeof(double) &&
               offsetof(epoch_sums_t, acc_real) == CKPT_SUM_ACC_REAL * sizeof(double) &&
               offsetof(epoch_sums_t, acc_fake) == CKPT_SUM_ACC_FAKE * sizeof(double) &&
               offsetof(epoch_sums_t, seconds) == CKPT_SUM_SECONDS * sizeof(double) &&
               offsetof(epoch_sums_t, steps) == CKPT_SUM_STEPS * sizeof(double),
               "epoch sums order");

int run_ckpt_paths(char path[PATH_MAX], char prev[PATH_MAX], const char *dir, gan_err_t *err)
{
    int rc = run_path(path, dir, RUN_CKPT, err);
    return rc ? rc : run_path(prev, dir, RUN_CKPT_PREV, err);
}

int run_write_checkpoint(run_t *run, gan_err_t *err)
{
    const char *dir = run->opts->run_dir;
    char fresh[PATH_MAX], path[PATH_MAX], prev[PATH_MAX];
    int rc = run_path(fresh, dir, RUN_CKPT_NEW, err);
    if (!rc)
        rc = run_ckpt_paths(path, prev, dir, err);
    if (!rc)
        rc = run_guard(run, err);
    if (rc)
        return rc;
    char *header = NULL;
    size_t header_len = 0;
    FILE *mem = open_memstream(&header, &header_len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    fputs("{\n  \"format\": \"" CKPT_FORMAT_RUN "\",\n", mem);
    train_cfg_write_fields(mem, &run->cfg);
    fputs(",\n  ", mem);
    gan_write_arch_json(mem, &run->gan);
    fprintf(mem, ",\n  \"train_pixels_crc32\": \"%08x\",\n  \"products\": \"%s\",\n"
            "  \"epoch\": %d,\n  \"step\": %ld,\n  \"steps_per_epoch\": %ld,\n"
            "  \"version\": \"%s\"\n}\n",
            run->data_crc, run->products, run->epoch, run->step, run->steps_per_epoch,
            GAN_VERSION);
    fclose(mem);

    const gan_t *g = &run->gan;
    int64_t adam_steps[2] = {g->g_opt.step, g->d_opt.step};
    uint8_t rng_bytes[RNG_PACKED_BYTES];
    rng_pack(rng_bytes, &run->noise_rng);
    size_t gb = g->g.n_params * sizeof(float), db = g->d.n_params * sizeof(float);
    ckpt_section_t sections[] = {
        {CKPT_SEC_G_PARAMS, g->g.params, gb},
        {CKPT_SEC_G_ADAM_M, g->g_opt.m, gb},
        {CKPT_SEC_G_ADAM_V, g->g_opt.v, gb},
        {CKPT_SEC_D_PARAMS, g->d.params, db},
        {CKPT_SEC_D_ADAM_M, g->d_opt.m, db},
        {CKPT_SEC_D_ADAM_V, g->d_opt.v, db},
        {CKPT_SEC_ADAM_STEPS, adam_steps, sizeof adam_steps},
        {CKPT_SEC_NOISE_RNG, rng_bytes, sizeof rng_bytes},
        {CKPT_SEC_FIXED_NOISE, run->fixed_noise,
         (size_t)run->n_samples * run->cfg.arch.z_dim * sizeof(float)},
        {CKPT_SEC_EPOCH_SUMS, &run->sums, sizeof run->sums},
        {CKPT_SEC_GRAD_NORM_SUMS, run->grad_norm_sums, sizeof run->grad_norm_sums},
    };
    /* Write the new one under a temporary name first (ckpt_write is
     * atomic), keeping the previous as checkpoint.prev.bin. */
    rc = ckpt_write(fresh, header, sections, (int)(sizeof sections / sizeof sections[0]), err);
    free(header);
    /* Writing takes a while: the lock is looked at again before the renames
     * put the new checkpoint in place. */
    if (!rc)
        rc = run_guard(run, err);
    if (rc) {
        unlink(fresh);
        return rc;
    }
    if (fs_exists(path) && rename(path, prev) != 0)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot keep as %s (%s)", path, prev,
                           strerror(errno));
    if (rename(fresh, path) != 0)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot rename into place (%s)", path,
                           strerror(errno));
    return GAN_OK;
}

int run_keeps_epoch(const run_t *run, int epoch)
{
    int every = run->cfg.keep_every;
    return every > 0 && epoch > 0 && (epoch % every == 0 || epoch == run->cfg.epochs);
}

int run_write_kept(run_t *run, gan_err_t *err)
{
    char path[PATH_MAX], kept[PATH_MAX];
    int rc = run_guard(run, err);
    if (!rc)
        rc = run_kept_path(path, run->opts->run_dir, run->epoch, err);
    if (!rc)
        rc = run_path(kept, run->opts->run_dir, RUN_KEPT, err);
    if (!rc)
        rc = fs_mkdirs(kept, err);
    if (rc)
        return rc;
    char *header = NULL;
    size_t header_len = 0;
    FILE *mem = open_memstream(&header, &header_len);
    if (!mem)
        return gan_err_set(err, GAN_ERR_RUNTIME, "out of memory");
    fputs("{\n  \"format\": \"" CKPT_FORMAT_KEPT "\",\n", mem);
    train_cfg_write_fields(mem, &run->cfg);
    fputs(",\n  ", mem);
    gan_write_arch_json(mem, &run->gan);
    fprintf(mem, ",\n  \"epoch\": %d,\n  \"version\": \"%s\"\n}\n", run->epoch, GAN_VERSION);
    fclose(mem);
    const gan_t *g = &run->gan;
    ckpt_section_t sections[] = {
        {CKPT_SEC_G_PARAMS, g->g.params, g->g.n_params * sizeof(float)},
        {CKPT_SEC_D_PARAMS, g->d.params, g->d.n_params * sizeof(float)},
    };
    rc = ckpt_write(path, header, sections, (int)(sizeof sections / sizeof sections[0]), err);
    free(header);
    return rc;
}

int run_trim_kept(run_t *run, gan_err_t *err)
{
    const char *dir = run->opts->run_dir;
    char path[PATH_MAX];
    int rc = run_path(path, dir, RUN_KEPT, err);
    if (!rc)
        rc = run_guard(run, err);
    if (rc)
        return rc;
    fs_remove_stale_temps(path);
    int *kept = NULL, n = 0;
    rc = run_kept_epochs(&kept, &n, dir, err);
    for (int i = 0; i < n && !rc; i++) {
        if (kept[i] <= run->epoch)
            continue;
        rc = run_kept_path(path, dir, kept[i], err);
        if (!rc && unlink(path) != 0 && errno != ENOENT)
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot remove (%s)", path,
                             strerror(errno));
    }
    free(kept);
    return rc;
}

/* checkpoint.bin, or checkpoint.prev.bin if a crash fell between the two
 * renames of run_write_checkpoint. */
int run_read_checkpoint(ckpt_file_t *ckpt, char *used, size_t used_size, const char *run_dir,
                        int from_prev, gan_err_t *err)
{
    char path[PATH_MAX], prev[PATH_MAX];
    int rc = run_ckpt_paths(path, prev, run_dir, err);
    if (rc)
        return rc;
    if (from_prev && !fs_exists(prev))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no checkpoint.prev.bin to resume from",
                           run_dir);
    if (from_prev || !fs_exists(path)) {
        run_status_t st;
        if (!fs_exists(prev)) {
            if (!fs_is_dir(run_dir))
                return gan_err_set(err, GAN_ERR_INPUT, "%s: no such run folder", run_dir);
            /* A live holder may be writing its first checkpoint: say so
             * (a runtime condition, exit 1), rather than advise --force. */
            if (run_status(&st, run_dir, NULL) == GAN_OK && st.state == RUN_STATE_STARTED &&
                (rc = run_lock_probe(run_dir, 0, err)) != GAN_OK)
                return rc == RUN_LOCK_BUSY ? GAN_ERR_RUNTIME : rc;
            if (run_status(&st, run_dir, NULL) == GAN_OK && st.state == RUN_STATE_STARTED)
                return gan_err_set(err, GAN_ERR_INPUT,
                                   "%s: the run stopped before its first checkpoint, so there is "
                                   "nothing to resume; start it over with the same options and "
                                   "--out=%s --force", run_dir, run_dir);
            return gan_err_set(err, GAN_ERR_INPUT, "%s: no checkpoint.bin (not a gan run folder?)",
                               run_dir);
        }
        snprintf(path, sizeof path, "%s", prev);
    }
    snprintf(used, used_size, "%s", path);
    rc = ckpt_read(ckpt, path, err);
    /* CRC-valid is not enough: values no run writes are refused too. */
    if (!rc && (rc = ckpt_meaning_check(ckpt, path, 0, NULL, err)) != GAN_OK)
        ckpt_free(ckpt);
    /* The way out of a damaged resume point, when there is one. */
    if (rc == GAN_ERR_INPUT && strcmp(path, prev) != 0 && fs_exists(prev) && err) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len,
                 "; resume from the checkpoint before it: gan train --resume=%s --from-prev",
                 run_dir);
    }
    return rc;
}

int train_load_config(train_cfg_t *cfg, int *epoch, const char *run_dir, int from_prev,
                      gan_err_t *err)
{
    ckpt_file_t ckpt;
    char path[PATH_MAX];
    int rc = run_read_checkpoint(&ckpt, path, sizeof path, run_dir, from_prev, err);
    if (rc)
        return rc;
    rc = train_cfg_read_json(cfg, ckpt.header, path, err);
    double e = 0;
    if (!rc && json_get_number(ckpt.header, "epoch", &e) != 0)
        rc = gan_err_set(err, GAN_ERR_INPUT, "%s: header has no epoch", path);
    if (!rc && epoch)
        *epoch = (int)e;
    ckpt_free(&ckpt);
    return rc;
}

/* Copies a checkpoint section into dst (n bytes), checking its length. */
static int restore(void *dst, const ckpt_file_t *ckpt, uint32_t tag, size_t n,
                   const char *path, const char *name, gan_err_t *err)
{
    const void *src = ckpt_section(ckpt, tag, n, path, name, err);
    if (!src)
        return GAN_ERR_INPUT;
    memcpy(dst, src, n);
    return GAN_OK;
}

/* Restores the GAN's weights (and, when run is not NULL, the optimizer,
 * noise, fixed noise and epoch position) from a checkpoint. */
int run_restore_state(gan_t *gan, run_t *run, const ckpt_file_t *ckpt, const char *path,
                         gan_err_t *err)
{
    size_t gb = gan->g.n_params * sizeof(float), db = gan->d.n_params * sizeof(float);
    /* The nets were built from the header's g_hidden/d_hidden; its "arch"
     * (absent before nets had one) must describe the same. */
    int rc = gan_check_arch_json(gan, ckpt->header, path, err);
    if (!rc)
        rc = restore(gan->g.params, ckpt, CKPT_SEC_G_PARAMS, gb, path, "G params", err);
    if (!rc)
        rc = restore(gan->d.params, ckpt, CKPT_SEC_D_PARAMS, db, path, "D params", err);
    if (!rc)
        gan_params_changed(gan);
    if (rc || !run)
        return rc;
    int64_t adam_steps[2];
    uint8_t rng_bytes[RNG_PACKED_BYTES];
    rc = restore(gan->g_opt.m, ckpt, CKPT_SEC_G_ADAM_M, gb, path, "G Adam m", err);
    if (!rc)
        rc = restore(gan->g_opt.v, ckpt, CKPT_SEC_G_ADAM_V, gb, path, "G Adam v", err);
    if (!rc)
        rc = restore(gan->d_opt.m, ckpt, CKPT_SEC_D_ADAM_M, db, path, "D Adam m", err);
    if (!rc)
        rc = restore(gan->d_opt.v, ckpt, CKPT_SEC_D_ADAM_V, db, path, "D Adam v", err);
    if (!rc)
        rc = restore(adam_steps, ckpt, CKPT_SEC_ADAM_STEPS, sizeof adam_steps, path, "Adam steps",
                     err);
    if (!rc)
        rc = restore(rng_bytes, ckpt, CKPT_SEC_NOISE_RNG, sizeof rng_bytes, path, "RNG", err);
    if (!rc)
        rc = restore(run->fixed_noise, ckpt, CKPT_SEC_FIXED_NOISE,
                     (size_t)run->n_samples * run->cfg.arch.z_dim * sizeof(float), path,
                     "fixed noise", err);
    if (!rc)
        rc = restore(&run->sums, ckpt, CKPT_SEC_EPOCH_SUMS, sizeof run->sums, path, "epoch sums",
                     err);
    if (!rc)
        rc = restore(run->grad_norm_sums, ckpt, CKPT_SEC_GRAD_NORM_SUMS, sizeof run->grad_norm_sums,
                     path, "gradient norm sums", err);
    if (rc)
        return rc;
    /* Against the steps an epoch of the data in use, which the reader's
     * check (run_read_checkpoint) could not know. */
    ckpt_position_t pos;
    rc = ckpt_meaning_check(ckpt, path, run->steps_per_epoch, &pos, err);
    if (rc)
        return rc;
    if (rng_unpack(&run->noise_rng, rng_bytes) != 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: bad RNG state", path);
    gan->g_opt.step = adam_steps[0];
    gan->d_opt.step = adam_steps[1];
    run->epoch = pos.epoch;
    run->step = pos.step;
    double log_every;
    run->steps_csv_from_start = json_get_number(ckpt->header, "log_every", &log_every) == 0;
    return GAN_OK;
}

/* The message for an epoch that was not kept: the kept ones, or how to
 * keep them and what is there without --epoch. */
static int not_kept(const char *run_dir, int epoch, gan_err_t *err)
{
    int *kept = NULL, n = 0;
    int rc = run_kept_epochs(&kept, &n, run_dir, err);
    if (rc)
        return rc;
    char list[512];
    run_kept_list_text(list, sizeof list, kept, n);
    free(kept);
    if (n > 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: epoch %d was not kept; kept epochs: %s",
                           run_dir, epoch, list);
    run_status_t st;
    char latest[64] = "";
    if (run_status(&st, run_dir, NULL) == GAN_OK && st.state >= RUN_STATE_PARTIAL)
        snprintf(latest, sizeof latest, " (epoch %d%s)", st.epoch, st.step ? ", mid-epoch" : "");
    return gan_err_set(err, GAN_ERR_INPUT,
                       "%s: epoch %d was not kept; kept epochs: none (train with "
                       "--keep-every=K to keep them); without --epoch the latest checkpoint%s "
                       "is used", run_dir, epoch, latest);
}

int train_check_epoch(const char *run_dir, int epoch, gan_err_t *err)
{
    if (!fs_is_dir(run_dir))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: no such run folder", run_dir);
    char path[PATH_MAX];
    int rc = run_kept_path(path, run_dir, epoch, err);
    if (!rc && !fs_exists(path))
        rc = not_kept(run_dir, epoch, err);
    return rc;
}

/* Reads the kept file of epoch and checks that its header says so. */
static int read_kept(ckpt_file_t *ckpt, char path[PATH_MAX], const char *run_dir, int epoch,
                     gan_err_t *err)
{
    int rc = train_check_epoch(run_dir, epoch, err);
    if (!rc)
        rc = run_kept_path(path, run_dir, epoch, err);
    if (!rc)
        rc = ckpt_read(ckpt, path, err);
    if (rc)
        return rc;
    char format[64] = "", found[96], found_epoch[32] = "none";
    double e = -1;
    int has_format = json_get_string(ckpt->header, "format", format, sizeof format) == 0;
    int has_epoch = json_get_number(ckpt->header, "epoch", &e) == 0;
    if (!has_format || strcmp(format, CKPT_FORMAT_KEPT) != 0 || !has_epoch || e != epoch) {
        ckpt_free(ckpt);
        /* What the header says, not what was wanted: the format found and
         * its epoch (or "none" for a key that is not there). */
        if (has_format)
            snprintf(found, sizeof found, "\"%s\"", format);
        else
            snprintf(found, sizeof found, "none");
        if (has_epoch)
            snprintf(found_epoch, sizeof found_epoch, "%g", e);
        return gan_err_set(err, GAN_ERR_INPUT, "%s: not the kept weights of epoch %d: its "
                           "header says format %s (want \"%s\") and epoch %s; put epoch %d's "
                           "file back or remove this one", path, epoch, found, CKPT_FORMAT_KEPT,
                           found_epoch, epoch);
    }
    rc = ckpt_meaning_check(ckpt, path, 0, NULL, err);
    if (rc)
        ckpt_free(ckpt);
    return rc;
}

int train_load_weights(gan_t *gan, train_cfg_t *cfg, train_weights_t *from, const char *run_dir,
                       int epoch, int max_batch, gan_err_t *err)
{
    ckpt_file_t ckpt;
    char path[PATH_MAX];
    /* Zeroed first: a header that fails validation must not leave gan_destroy
     * a struct of stack garbage. */
    memset(gan, 0, sizeof *gan);
    int rc = epoch >= 0 ? read_kept(&ckpt, path, run_dir, epoch, err)
                        : run_read_checkpoint(&ckpt, path, sizeof path, run_dir, 0, err);
    if (rc)
        return rc;
    double e = epoch, step = 0;
    rc = train_cfg_read_json(cfg, ckpt.header, path, err);
    if (!rc && epoch < 0 &&
        (json_get_number(ckpt.header, "epoch", &e) != 0 ||
         json_get_number(ckpt.header, "step", &step) != 0))
        rc = gan_err_set(err, GAN_ERR_INPUT, "%s: header has no epoch and step", path);
    if (!rc)
        rc = gan_create(gan, &cfg->arch, cfg->adam, cfg->adam, max_batch, err);
    if (!rc) /* the library that drew the run's grids, so they redraw byte for byte */
        rc = gan_set_products(gan, PRECISION_FP32, products_lib_recorded(ckpt.header), err);
    if (!rc)
        rc = run_restore_state(gan, NULL, &ckpt, path, err);
    if (rc)
        gan_destroy(gan);
    ckpt_free(&ckpt);
    if (!rc && from) {
        from->epoch = (int)e;
        from->step = (long)step;
        snprintf(from->path, sizeof from->path, "%s", path);
    }
    return rc;
}

int train_load_gan(gan_t *gan, train_cfg_t *cfg, const char *run_dir, int max_batch,
                   gan_err_t *err)
{
    return train_load_weights(gan, cfg, NULL, run_dir, -1, max_batch, err);
}
