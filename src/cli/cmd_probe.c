/* gan probe: not built yet. */
#include "cli.h"

int cmd_probe(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail(2, "probe: not implemented yet");
}
