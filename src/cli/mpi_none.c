/* The MPI world of a build without MPI (see mpi_world.h). */
#include <stdio.h>
#include <stdlib.h>

#include "mpi_world.h"

int mpi_world_start(int *argc, char ***argv, int *rank, int *size, char *why, size_t why_size)
{
    (void)argc;
    (void)argv;
    *rank = 0;
    *size = 1;
    /* Open MPI's launcher sets this in every rank it starts. */
    const char *world = getenv("OMPI_COMM_WORLD_SIZE");
    if (world && atoi(world) > 1) {
        snprintf(why, why_size, "experiment: started by mpirun (%s ranks), but this gan was built "
                 "without MPI; rebuild with make MPI=1, or start workers with --worker", world);
        return 2;
    }
    return 0;
}

void mpi_world_wait_all(void) {}

void mpi_world_end(void) {}
