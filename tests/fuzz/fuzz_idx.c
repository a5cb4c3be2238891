/* libFuzzer target for the IDX reader (src/idx.c): any bytes, gzipped or
 * not, through idx_read_mem, the same code idx_read runs on a file. The
 * reader must accept or refuse with one line, never read or write out of
 * bounds, and on success hand back exactly the promised number of bytes;
 * a refusal must leave the output zeroed. */
#include <stdint.h>
#include <string.h>

#include "gan/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    idx_t out;
    gan_err_t err;
    int rc = idx_read_mem(&out, data, size, "fuzz-idx", &err);
    if (rc == GAN_OK) {
        size_t n = 1;
        for (int i = 0; i < out.rank; i++)
            n *= out.dims[i];
        if (n != out.n_elems || n == 0)
            __builtin_trap();
        /* Both ends must be inside the allocation (AddressSanitizer checks). */
        (void)*(volatile uint8_t *)out.data;
        (void)*(volatile uint8_t *)(out.data + n - 1);
    } else if (out.data || out.rank || out.n_elems || strchr(err.msg, '\n')) {
        __builtin_trap();
    }
    idx_free(&out);
    return 0;
}
