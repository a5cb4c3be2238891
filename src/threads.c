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
    threads_set_products(n, products_resolve(PRODUCTS_OPENBLAS, precision));
}

void threads_set_products(int n, products_lib_t lib)
{
    /* n = 0 leaves the product library its own default, which follows
     * OPENBLAS_NUM_THREADS / OMP_NUM_THREADS and else takes every core. */
    if (lib == PRODUCTS_ONEDNN) {
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
    return threads_products_of(products_resolve(PRODUCTS_OPENBLAS, precision));
}

int threads_products_of(products_lib_t lib)
{
    return lib == PRODUCTS_ONEDNN ? threads_openmp() : threads_openblas();
}
