/* gan experiment: not built yet. */
#include "cli.h"

int cmd_experiment(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail(2, "experiment: not implemented yet");
}
