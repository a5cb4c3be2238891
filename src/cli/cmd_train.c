/* gan train: not built yet. */
#include "cli.h"

int cmd_train(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail(2, "train: not implemented yet");
}
