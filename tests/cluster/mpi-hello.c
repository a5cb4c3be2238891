/* mpi-hello.c - the smallest check that Open MPI works here: every rank
 * prints its rank, size and host, all meet at a barrier, then rank 0 prints
 * "done". Built and run by tests/cluster/mpi-smoke.sh; it does not touch gan
 * (gan's own MPI build is `make MPI=1`). */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "mpi-hello: MPI_Init failed\n");
        return 1;
    }
    int rank = 0, size = 0, len = 0;
    char host[MPI_MAX_PROCESSOR_NAME];
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(host, &len);
    printf("rank %d/%d on %s\n", rank, size, host);
    fflush(stdout);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0)
        printf("done: %d ranks passed the barrier\n", size);
    MPI_Finalize();
    return 0;
}
