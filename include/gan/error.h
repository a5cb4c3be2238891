/* Error reporting shared by every library module.
 *
 * Library functions never print and never exit: they return one of the codes
 * below and, on failure, fill a gan_err_t with one line a user can act on
 * ("<file or option>: <what is wrong>; <fix>"). The codes double as the CLI's
 * exit codes (DESIGN.md, "Exit codes and messages"). */
#ifndef GAN_ERROR_H
#define GAN_ERROR_H

#include <limits.h>
#include <stddef.h>

enum {
    GAN_OK = 0,
    GAN_ERR_RUNTIME = 1, /* I/O failure, diverged training, out of memory */
    GAN_ERR_INPUT = 2    /* bad usage or a bad input file */
};

/* Room for two paths of PATH_MAX and the words around them: a message is
 * never cut, however long the paths it names. */
typedef struct {
    char msg[2 * PATH_MAX + 1024];
} gan_err_t;

/* Formats the message into err (which may be NULL) and returns code, so a
 * failure path is one line: return gan_err_set(err, GAN_ERR_INPUT, ...). */
int gan_err_set(gan_err_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
