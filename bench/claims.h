/* The claim benchmark of gan-bench (claims.c). */
#ifndef GAN_BENCH_CLAIMS_H
#define GAN_BENCH_CLAIMS_H

/* Claims n fresh runs in a temp folder under parent; prints ms per run and
 * a RESULT line. 0 on success. */
int bench_claims(int n, const char *parent);

#endif
