/* MPI for `mpirun -np N gan experiment ...`: every rank is a worker, then
 * rank 0 finalizes. Built with Open MPI only by `make MPI=1`
 * (mpi_world.c); other builds link mpi_none.c, which has no MPI dependency
 * and refuses a launch by mpirun in one line rather than letting N ranks
 * each run the whole plan. */
#ifndef GAN_CLI_MPI_WORLD_H
#define GAN_CLI_MPI_WORLD_H

#include <stddef.h>

/* Joins the MPI world when the process was started by mpirun: *rank and
 * *size get ours (0 and 1 when not under mpirun). Returns 0, or 2 with a
 * one-line reason in why. */
int mpi_world_start(int *argc, char ***argv, int *rank, int *size, char *why, size_t why_size);
/* Waits until every rank gets here, sleeping rather than spinning (a
 * spinning barrier would take a core from ranks still training). */
void mpi_world_wait_all(void);
/* Leaves the MPI world (no-op when not in one). */
void mpi_world_end(void);

#endif
