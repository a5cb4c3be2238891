/* Interposes dnnl_primitive_execute for the benchmark binary only, as
 * blas_trace.h does for cblas_sgemm: libgan.a's oneDNN calls bind to the
 * definition in dnnl_trace.c, which times each execution and forwards it
 * to libdnnl (dlsym RTLD_NEXT). That gives, for a bf16 step:
 *   - the time spent inside oneDNN's products during real steps, and
 *   - the list of one step's executions (primitive, arguments, the arrays
 *     they pointed at), which dnnl_trace_replay runs again alone: the
 *     bf16 floor, replayed on the step's own arrays (their contents do not
 *     change a product's time, and between steps nothing else reads them:
 *     a step writes every product's destination before reading it). */
#ifndef GAN_BENCH_DNNL_TRACE_H
#define GAN_BENCH_DNNL_TRACE_H

#include <dnnl.h>

#define DNNL_TRACE_MAX_CALLS 128
#define DNNL_TRACE_MAX_ARGS 8

typedef struct {
    const_dnnl_primitive_t primitive;
    dnnl_stream_t stream;
    int nargs;
    dnnl_exec_arg_t args[DNNL_TRACE_MAX_ARGS];
    void *handles[DNNL_TRACE_MAX_ARGS]; /* each argument's array at the call */
    double flops;                       /* 2 m n k */
} dnnl_call_t;

typedef struct {
    int n_calls;
    dnnl_call_t calls[DNNL_TRACE_MAX_CALLS];
    double flops;
} dnnl_trace_t;

/* Starts accumulating time spent inside dnnl_primitive_execute (and, if rec
 * is not NULL, recording every call into rec, which is cleared first). */
void dnnl_trace_begin(dnnl_trace_t *rec);
/* Stops; returns the seconds spent inside oneDNN since dnnl_trace_begin. */
double dnnl_trace_end(void);
/* Runs every recorded execution once, in order, on the recorded arrays
 * (which must still be allocated). */
void dnnl_trace_replay(const dnnl_trace_t *rec);

#endif
