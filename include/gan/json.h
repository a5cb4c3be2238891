/* Lookups in the flat JSON objects this program writes itself (config.json,
 * checkpoint headers): top-level keys whose values are strings, numbers or
 * arrays of numbers. Not a general JSON parser: nested objects are skipped
 * as opaque values (json_get_raw hands one over whole), and callers
 * validate what they read. */
#ifndef GAN_JSON_H
#define GAN_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Each returns 0 on success, -1 if the key is absent or its value has
 * another type (or does not fit). */
int json_get_string(const char *json, const char *key, char *out, size_t out_size);
int json_get_number(const char *json, const char *key, double *out);
int json_get_int_array(const char *json, const char *key, int *out, int max, int *n);
/* The text of a top-level key's value whatever its type (an object or a
 * list as a whole: look inside with the calls above on a NUL-ended copy):
 * *value points into json, *len bytes. */
int json_get_raw(const char *json, const char *key, const char **value, size_t *len);
/* Item i (0-based) of the list whose text starts at array ('['), as
 * json_get_raw gives it; -1 past the last item or for a malformed list. */
int json_array_item(const char *array, int i, const char **value, size_t *len);

/* Writes s as a JSON string literal (quotes and escapes included). */
void json_write_string(FILE *fp, const char *s);

#endif
