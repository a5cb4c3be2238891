/* What a run's checkpoint means, beyond its CRCs (issue 22): the sections
 * train_checkpoint.c writes into the container (checkpoint.h), and the
 * check that refuses any value no real run can write.
 *
 * A CRC only says that the bytes are the ones written; a file edited (or
 * damaged and re-checksummed, or made by another program) can be
 * CRC-valid and still hold NaN weights, an all-zero RNG state or epoch sums
 * of 0xff bytes, which a resume would turn into rows like
 * "4,-9223372036854775808,-nan". The check here runs on every checkpoint
 * a run's readers load (resume, gan sample/eval/export --run), after the
 * CRCs and before anything is restored.
 *
 * Kept apart from train_checkpoint.c so that it depends on the container,
 * the JSON lookups and the RNG only: a fuzzer links it without the nets. */
#ifndef GAN_CKPT_MEANING_H
#define GAN_CKPT_MEANING_H

#include "gan/checkpoint.h"
#include "gan/error.h"

/* The sections of a run's checkpoint (docs/FORMATS.md, "checkpoint.bin");
 * a kept epoch holds the first and the fourth only. */
enum {
    CKPT_SEC_G_PARAMS = 1, CKPT_SEC_G_ADAM_M, CKPT_SEC_G_ADAM_V,
    CKPT_SEC_D_PARAMS, CKPT_SEC_D_ADAM_M, CKPT_SEC_D_ADAM_V,
    CKPT_SEC_ADAM_STEPS, CKPT_SEC_NOISE_RNG, CKPT_SEC_FIXED_NOISE, CKPT_SEC_EPOCH_SUMS,
    CKPT_SEC_GRAD_NORM_SUMS
};

/* The header's "format" of checkpoint.bin and of checkpoints/epoch_NNNN.bin. */
#define CKPT_FORMAT_RUN "gan checkpoint"
#define CKPT_FORMAT_KEPT "gan kept epoch"

/* Section CKPT_SEC_EPOCH_SUMS: these doubles, in this order (the sums over
 * the steps done in the epoch in progress). */
enum {
    CKPT_SUM_D_LOSS, CKPT_SUM_G_LOSS, CKPT_SUM_D_REAL, CKPT_SUM_D_FAKE, CKPT_SUM_ACC_REAL,
    CKPT_SUM_ACC_FAKE, CKPT_SUM_SECONDS, CKPT_SUM_STEPS, CKPT_N_SUMS
};

/* The largest |x| rng_normal can return: Box-Muller's radius
 * sqrt(-2 ln u) with u >= 2^-53 is at most sqrt(106 ln 2) = 8.5716. The
 * fixed noise is such draws, so anything larger was not made by a run. */
#define CKPT_NOISE_MAX 8.5717

/* Where the checkpoint stands. */
typedef struct {
    int epoch;            /* finished epochs */
    long step;            /* steps into the next epoch (0 for a kept epoch) */
    long steps_per_epoch; /* 0: not known (a kept epoch, or an older
                           * checkpoint at epoch 0 without the header key) */
} ckpt_position_t;

/* Checks that ckpt (read from path) can have been written by a run:
 * - header: "epoch" and "step" whole numbers, 0 <= epoch <= "epochs",
 *   0 <= step < steps per epoch, and step 0 once all epochs are done;
 * - weights (G and D params) finite; Adam m finite, v finite and >= 0;
 * - Adam step counts: G's equals D's equals epoch * steps_per_epoch + step
 *   (gan_step takes one Adam step of each net per training step);
 * - RNG state: not all zero (xoshiro256** would return 0 forever), the
 *   cached normal finite and within CKPT_NOISE_MAX;
 * - fixed noise finite and within CKPT_NOISE_MAX;
 * - epoch sums finite, steps equal to the header's step, seconds >= 0,
 *   losses >= 0 (both are binary cross entropies), D outputs and
 *   accuracies (each a mean in [0, 1] per step) in [0, steps], all zero
 *   at step 0; gradient-norm sums finite, >= 0, zero at step 0.
 * steps_per_epoch: what the data in use gives (resume), or 0 where no data
 * is loaded (sample, eval, export): then the header's "steps_per_epoch",
 * or, in a checkpoint written before that key, what the Adam step counts
 * imply. A kept epoch (format CKPT_FORMAT_KEPT) is checked for its epoch
 * and finite weights. Sections that are absent are not checked here (the
 * restore that needs them names them). pos (may be NULL) gets the
 * position on success. GAN_ERR_INPUT with one line "<path>: section
 * '<name>': <what is wrong>, ..." (or "<path>: header: ...") otherwise. */
int ckpt_meaning_check(const ckpt_file_t *ckpt, const char *path, long steps_per_epoch,
                       ckpt_position_t *pos, gan_err_t *err);

#endif
