/* libFuzzer target for the checkpoint container reader (src/checkpoint.c)
 * through ckpt_read_mem, the same parser ckpt_read runs on a file.
 *
 * Random bytes almost never carry matching CRC-32s, so most inputs would
 * stop at the first CRC check. Each input is therefore read twice: as is,
 * and with every CRC the layout implies rewritten to match, which lets the
 * fuzzer reach the section walk and the lookups behind it. On success every
 * section is looked up with its own and a wrong length, the header goes
 * through the JSON lookups the trainer and the classifier make, and the
 * whole file through the run checkpoint's meaning check (ckpt_meaning.h),
 * with the steps an epoch unknown and known; what that check accepts is
 * checked again here, independently, for the properties it promises. The
 * seed mid-epoch.bin is a run's checkpoint 1 step into its second epoch, so
 * that mutations reach every one of its checks. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gan/checkpoint.h"
#include "gan/ckpt_meaning.h"
#include "gan/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrites the CRC after the header and after each section, as far as the
 * lengths stay inside the buffer (the layout of checkpoint.h). */
static void fix_crcs(uint8_t *p, size_t size)
{
    if (size < 16)
        return;
    uint64_t pos = 16, len = get_u32(p + 12);
    if (len > size - pos || size - pos - len < 4)
        return;
    put_u32(p + pos + len, ckpt_crc32(p + pos, len));
    pos += len + 4;
    while (size - pos >= 12) {
        len = (uint64_t)get_u32(p + pos + 4) | (uint64_t)get_u32(p + pos + 8) << 32;
        pos += 12;
        if (len > size - pos || size - pos - len < 4)
            return;
        put_u32(p + pos + len, ckpt_crc32(p + pos, len));
        pos += len + 4;
    }
}

/* What an accepted checkpoint promises: a sane position (steps an epoch
 * 0 for a kept epoch, which has none) and finite weights, re-checked here
 * without the checker's code. */
static void check_meaning(const ckpt_file_t *ckpt, long steps_per_epoch)
{
    gan_err_t err;
    ckpt_position_t pos;
    if (ckpt_meaning_check(ckpt, "fuzz.bin", steps_per_epoch, &pos, &err) != GAN_OK) {
        if (strchr(err.msg, '\n') || strncmp(err.msg, "fuzz.bin: ", 10) != 0)
            __builtin_trap();
        return;
    }
    if (pos.epoch < 0 || pos.step < 0 || pos.steps_per_epoch < 0 ||
        (pos.steps_per_epoch > 0 && pos.step >= pos.steps_per_epoch) ||
        (steps_per_epoch > 0 && pos.steps_per_epoch && pos.steps_per_epoch != steps_per_epoch))
        __builtin_trap();
    for (int i = 0; i < ckpt->n_sections; i++) {
        const ckpt_section_t *s = &ckpt->sections[i];
        if (s->tag != CKPT_SEC_G_PARAMS && s->tag != CKPT_SEC_D_PARAMS)
            continue;
        for (uint64_t k = 0; k + sizeof(float) <= s->len; k += sizeof(float)) {
            float v;
            memcpy(&v, (const uint8_t *)s->data + k, sizeof v);
            if (!isfinite(v))
                __builtin_trap();
        }
    }
}

static void read_one(const uint8_t *data, size_t size)
{
    ckpt_file_t ckpt;
    gan_err_t err;
    if (ckpt_read_mem(&ckpt, data, size, "fuzz.bin", &err) != GAN_OK) {
        if (ckpt.blob || ckpt.header || ckpt.n_sections || strchr(err.msg, '\n'))
            __builtin_trap();
        return;
    }
    for (int i = 0; i < ckpt.n_sections; i++) {
        const ckpt_section_t *s = &ckpt.sections[i];
        const uint8_t *got = ckpt_section(&ckpt, s->tag, s->len, "fuzz.bin", "s", &err);
        if (got && s->len)
            (void)*(volatile const uint8_t *)(got + s->len - 1);
        ckpt_section(&ckpt, s->tag, s->len + 1, "fuzz.bin", "s", &err);
    }
    char text[64];
    double v;
    int sizes[10], n;
    json_get_string(ckpt.header, "kind", text, sizeof text);
    json_get_number(ckpt.header, "epoch", &v);
    json_get_int_array(ckpt.header, "sizes", sizes, 10, &n);
    check_meaning(&ckpt, 0);
    check_meaning(&ckpt, 2);
    ckpt_free(&ckpt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_one(data, size);
    uint8_t *fixed = malloc(size ? size : 1);
    if (!fixed)
        return 0;
    memcpy(fixed, data, size);
    fix_crcs(fixed, size);
    read_one(fixed, size);
    free(fixed);
    return 0;
}
