/* gan report: not built yet. */
#include "cli.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail(2, "report: not implemented yet");
}
