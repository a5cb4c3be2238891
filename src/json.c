/* Flat JSON lookups; see json.h for the deliberate limits. */
#include "gan/json.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Past the end of the string literal starting at p ('"'), or NULL. */
static const char *skip_string(const char *p)
{
    for (p++; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Past the value starting at p: a string, or anything up to the ',' or '}'
 * that closes it at this nesting level. */
static const char *skip_value(const char *p)
{
    if (*p == '"')
        return skip_string(p);
    int depth = 0;
    for (; *p; p++) {
        if (*p == '"') {
            p = skip_string(p);
            if (!p)
                return NULL;
            p--;
        } else if (*p == '[' || *p == '{') {
            depth++;
        } else if (*p == ']' || *p == '}') {
            if (depth == 0)
                return p;
            depth--;
        } else if (*p == ',' && depth == 0) {
            return p;
        }
    }
    return p;
}

/* Start of the value of a top-level key, or NULL. */
static const char *find_value(const char *json, const char *key)
{
    const char *p = skip_ws(json);
    if (*p != '{')
        return NULL;
    p++;
    size_t key_len = strlen(key);
    while (p && *p) {
        p = skip_ws(p);
        if (*p == '}' || *p != '"')
            return NULL;
        const char *name = p + 1;
        const char *end = skip_string(p);
        if (!end)
            return NULL;
        int match = (size_t)(end - 1 - name) == key_len && memcmp(name, key, key_len) == 0;
        p = skip_ws(end);
        if (*p != ':')
            return NULL;
        p = skip_ws(p + 1);
        if (match)
            return p;
        p = skip_value(p);
        if (!p)
            return NULL;
        p = skip_ws(p);
        if (*p == ',')
            p++;
    }
    return NULL;
}

int json_get_string(const char *json, const char *key, char *out, size_t out_size)
{
    const char *p = find_value(json, key);
    if (!p || *p != '"')
        return -1;
    size_t n = 0;
    for (p++; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
            p++;
            switch (*p) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '"': case '\\': case '/': c = *p; break;
            default: return -1; /* \uXXXX never appears in what we write */
            }
        }
        if (n + 1 >= out_size)
            return -1;
        out[n++] = c;
    }
    if (*p != '"')
        return -1;
    out[n] = '\0';
    return 0;
}

int json_get_number(const char *json, const char *key, double *out)
{
    const char *p = find_value(json, key);
    if (!p)
        return -1;
    char *end = NULL;
    double v = strtod(p, &end);
    if (end == p)
        return -1;
    end = (char *)skip_ws(end);
    if (*end != ',' && *end != '}')
        return -1;
    *out = v;
    return 0;
}

int json_get_int_array(const char *json, const char *key, int *out, int max, int *n)
{
    const char *p = find_value(json, key);
    if (!p || *p != '[')
        return -1;
    int count = 0;
    p = skip_ws(p + 1);
    if (*p == ']') {
        *n = 0;
        return 0;
    }
    for (;;) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p || count >= max || v < -2147483647L || v > 2147483647L)
            return -1;
        out[count++] = (int)v;
        p = skip_ws(end);
        if (*p == ']')
            break;
        if (*p != ',')
            return -1;
        p = skip_ws(p + 1);
    }
    *n = count;
    return 0;
}

/* The span from p to the end of its value, trailing blanks left out. */
static size_t value_len(const char *p)
{
    const char *end = skip_value(p);
    if (!end)
        return 0;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    return (size_t)(end - p);
}

int json_get_raw(const char *json, const char *key, const char **value, size_t *len)
{
    const char *p = find_value(json, key);
    if (!p || !*p || (*len = value_len(p)) == 0)
        return -1;
    *value = p;
    return 0;
}

int json_array_item(const char *array, int i, const char **value, size_t *len)
{
    if (*array != '[')
        return -1;
    const char *p = skip_ws(array + 1);
    for (int k = 0; *p && *p != ']'; k++) {
        size_t n = value_len(p);
        if (n == 0)
            return -1;
        if (k == i) {
            *value = p;
            *len = n;
            return 0;
        }
        p = skip_ws(p + n);
        if (*p != ',')
            return -1;
        p = skip_ws(p + 1);
    }
    return -1;
}

void json_write_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", fp);
        else if (c == '\t')
            fputs("\\t", fp);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}
