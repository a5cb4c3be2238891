/* gan sample: not built yet. */
#include "cli.h"

int cmd_sample(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail(2, "sample: not implemented yet");
}
