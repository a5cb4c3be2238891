/* gan data: not built yet. */
#include "cli.h"

int cmd_data(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail(2, "data: not implemented yet");
}
