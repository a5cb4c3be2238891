/* One meaning of --threads in every precision: the cores the step's matrix
 * products run on.
 *
 * OpenBLAS products (fp32 on --products=openblas, bf16-emulated) run on
 * its own pthreads; oneDNN products (bf16, fp32 on --products=onednn) on
 * OpenMP (Debian builds oneDNN on libgomp).
 * Both pools busy-wait for a while after each product. Given cores to both,
 * each library's idle threads spin on the cores the other one's threads
 * need (the trap the PyTorch twin falls into, see bench/torch_twin.py), so
 * the precision's product library gets the threads and the other one gets
 * one: bf16 mode leaves OpenBLAS only the bias sums and the norms, which are
 * too small to split anyway. */
#ifndef GAN_THREADS_H
#define GAN_THREADS_H

#include <stddef.h>

#include "gan/bf16.h"
#include "gan/products.h"

/* Cores this process may use (its CPU affinity), at least 1. */
int threads_available(void);

/* Threads for precision's products: n, or when n is 0 the library's
 * default (OPENBLAS_NUM_THREADS or OMP_NUM_THREADS if set, else every
 * core); the other library gets one. Call before creating the nets: oneDNN sizes its kernels' blocking for
 * the thread count it sees at primitive creation. */
void threads_set(int n, precision_t precision);

/* What threads_set gave each library, for config records. */
int threads_openblas(void);
int threads_openmp(void);

/* The thread count threads_set gave precision's products (n when n > 0;
 * otherwise the library default it resolved to), so a run records the
 * count its bits depend on. */
int threads_products(precision_t precision);

/* threads_set for the resolved library lib (products_resolve): the one
 * that runs the products gets n, the other one. threads_set(n, precision)
 * is this with precision's library on fp32's OpenBLAS. */
void threads_set_products(int n, products_lib_t lib);
/* threads_products for a resolved library. */
int threads_products_of(products_lib_t lib);

#endif
