/* The one formatter behind every library error message. */
#include "gan/error.h"

#include <stdarg.h>
#include <stdio.h>

int gan_err_set(gan_err_t *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
