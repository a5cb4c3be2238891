/* One meaning of --threads in every precision: the cores the step's matrix
 * products run on.
 *
 * fp32 (and bf16-emulated) products run in OpenBLAS, on its own pthreads;
 * bf16 products run in oneDNN, which Debian builds on OpenMP (libgomp).
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

/* The library that runs precision's products and, for OpenBLAS, the kernel
 * core it picked ("openblas Haswell", "onednn"): a run records it because
 * another library (or core) gives other bits. */
void threads_products_library(char *out, size_t size, precision_t precision);

#endif
