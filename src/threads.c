/* --threads for OpenBLAS and for oneDNN's OpenMP; see threads.h. */
#include "gan/threads.h"

#include <cblas.h>
#include <omp.h>
#include <sched.h>

int threads_available(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    int procs = openblas_get_num_procs();
    return procs > 0 ? procs : 1;
}

void threads_set(int n, precision_t precision)
{
    if (n <= 0)
        n = threads_available();
    const int onednn = precision == PRECISION_BF16;
    openblas_set_num_threads(onednn ? 1 : n);
    omp_set_num_threads(onednn ? n : 1);
}

int threads_openblas(void) { return openblas_get_num_threads(); }

int threads_openmp(void) { return omp_get_max_threads(); }
