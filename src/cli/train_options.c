/* The option table on a command line; see train_options.h. */
#include "train_options.h"

#include <string.h>

#include "cli.h"

void train_options_merge(struct option *out, unsigned command, const struct option *own)
{
    int n = 0;
    for (int i = 0; i < cfg_n_options && i < TRAIN_OPT_ROOM; i++) {
        const cfg_option_t *o = &cfg_options[i];
        if (!o->name || !(o->commands & command))
            continue;
        /* A flag is said as --no-<name> (--no-events is events = 0). */
        static char flag_names[TRAIN_OPT_ROOM][48];
        const char *name = o->name;
        if (o->type == CFG_FLAG) {
            snprintf(flag_names[i], sizeof flag_names[i], "no-%s", o->name);
            name = flag_names[i];
        }
        out[n++] = (struct option){name, o->type == CFG_FLAG ? no_argument : required_argument,
                                   0, TRAIN_OPT_BASE + i};
    }
    int k = 0;
    do
        out[n + k] = own[k];
    while (own[k++].name);
}

const cfg_option_t *train_option_row(int code)
{
    int i = code - TRAIN_OPT_BASE;
    return i >= 0 && i < cfg_n_options ? &cfg_options[i] : NULL;
}

int train_option_apply(train_cfg_t *cfg, int code, const char *arg)
{
    const cfg_option_t *o = train_option_row(code);
    gan_err_t err;
    if (!o)
        return cli_fail(2, "option code %d: not in the option table", code);
    int rc = train_cfg_set(cfg, o->name, o->type == CFG_FLAG ? "0" : arg, &err);
    return rc ? cli_fail_err(2, &err) : 0;
}

void train_options_help(FILE *out, unsigned command)
{
    cfg_options_help(out, command);
}
