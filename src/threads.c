/* --threads for OpenBLAS and for oneDNN's OpenMP; see threads.h. */
#include "gan/threads.h"

#include <cblas.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>

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
    /* n = 0 leaves the product library its own default, which follows
     * OPENBLAS_NUM_THREADS / OMP_NUM_THREADS and else takes every core. */
    if (precision == PRECISION_BF16) {
        openblas_set_num_threads(1);
        if (n > 0)
            omp_set_num_threads(n);
    } else {
        if (n > 0)
            openblas_set_num_threads(n);
        omp_set_num_threads(1);
    }
}

int threads_openblas(void) { return openblas_get_num_threads(); }

int threads_openmp(void) { return omp_get_max_threads(); }

int threads_products(precision_t precision)
{
    return precision == PRECISION_BF16 ? threads_openmp() : threads_openblas();
}

void threads_products_library(char *out, size_t size, precision_t precision)
{
    if (precision == PRECISION_BF16)
        snprintf(out, size, "onednn");
    else
        snprintf(out, size, "openblas %s", openblas_get_corename());
}
