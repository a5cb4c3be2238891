/* Lookups in the flat JSON objects this program writes itself (config.json,
 * checkpoint headers): top-level keys whose values are strings, numbers or
 * arrays of numbers. Not a general JSON parser: nested objects are skipped
 * as opaque values, and callers validate what they read. */
#ifndef GAN_JSON_H
#define GAN_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Each returns 0 on success, -1 if the key is absent or its value has
 * another type (or does not fit). */
int json_get_string(const char *json, const char *key, char *out, size_t out_size);
int json_get_number(const char *json, const char *key, double *out);
int json_get_int_array(const char *json, const char *key, int *out, int max, int *n);

/* Writes s as a JSON string literal (quotes and escapes included). */
void json_write_string(FILE *fp, const char *s);

#endif
