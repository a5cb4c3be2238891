/* gan export: not built yet. */
#include "cli.h"

int cmd_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail(2, "export: not implemented yet");
}
