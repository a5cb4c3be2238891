/* libFuzzer target for the flat JSON lookups (src/json.c), which read
 * config.json and checkpoint headers: any bytes, looked up with the keys
 * the program really asks for and with output buffers from 1 byte up, must
 * give 0 or -1 and never read or write out of bounds.
 *
 * The last byte picks the key, the rest is the text (so a seed is a real
 * JSON file; its last newline picks "format"): one key per input
 * keeps each run short (many runs per second). The text is copied into a
 * buffer of exactly its length + 1 (the lookups take a NUL-terminated
 * string), so AddressSanitizer catches a read one byte past the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gan/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"format", "kind", "seed", "epoch", "g_hidden",
                                       "sizes", "init", "lr", "", "a"};
    if (size == 0)
        return 0;
    size--;
    const char *key = keys[data[size] % (sizeof keys / sizeof keys[0])];
    char *json = malloc(size + 1);
    if (!json)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    double number;
    json_get_number(json, key, &number);
    char tiny[1], text[64];
    json_get_string(json, key, tiny, sizeof tiny);
    json_get_string(json, key, text, sizeof text);
    int ints[8], n = 0;
    json_get_int_array(json, key, ints, 8, &n);
    json_get_int_array(json, key, ints, 0, &n);
    free(json);
    return 0;
}
