/* Timing and recording wrapper around dnnl_primitive_execute; see
 * dnnl_trace.h. */
#include "dnnl_trace.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan/clock.h"

typedef dnnl_status_t (*execute_fn)(const_dnnl_primitive_t, dnnl_stream_t, int,
                                    const dnnl_exec_arg_t *);

static execute_fn real_execute;
static int tracing;
static double seconds;
static dnnl_trace_t *recording;

static void resolve(void)
{
    if (real_execute)
        return;
    real_execute = (execute_fn)dlsym(RTLD_NEXT, "dnnl_primitive_execute");
    if (!real_execute) {
        fprintf(stderr, "gan-bench: cannot find oneDNN's dnnl_primitive_execute\n");
        abort();
    }
}

/* 2 m n k of a matmul: src m x k, weights k x n. */
static double matmul_flops(const_dnnl_primitive_t primitive)
{
    const_dnnl_primitive_desc_t pd;
    if (dnnl_primitive_get_primitive_desc(primitive, &pd) != dnnl_success)
        return 0;
    const dnnl_memory_desc_t *src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *w = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if (!src || !w || src->ndims != 2 || w->ndims != 2)
        return 0;
    return 2.0 * (double)src->dims[0] * (double)src->dims[1] * (double)w->dims[1];
}

static void record(const_dnnl_primitive_t primitive, dnnl_stream_t stream, int nargs,
                   const dnnl_exec_arg_t *args)
{
    if (recording->n_calls == DNNL_TRACE_MAX_CALLS || nargs > DNNL_TRACE_MAX_ARGS)
        return;
    dnnl_call_t *c = &recording->calls[recording->n_calls++];
    c->primitive = primitive;
    c->stream = stream;
    c->nargs = nargs;
    for (int i = 0; i < nargs; i++) {
        c->args[i] = args[i];
        c->handles[i] = NULL;
        dnnl_memory_get_data_handle(args[i].memory, &c->handles[i]);
    }
    c->flops = matmul_flops(primitive);
    recording->flops += c->flops;
}

dnnl_status_t dnnl_primitive_execute(const_dnnl_primitive_t primitive, dnnl_stream_t stream,
                                     int nargs, const dnnl_exec_arg_t *args)
{
    resolve();
    if (!tracing)
        return real_execute(primitive, stream, nargs, args);
    if (recording)
        record(primitive, stream, nargs, args);
    double t0 = clock_seconds();
    dnnl_status_t s = real_execute(primitive, stream, nargs, args);
    seconds += clock_seconds() - t0;
    return s;
}

void dnnl_trace_begin(dnnl_trace_t *rec)
{
    resolve();
    seconds = 0;
    recording = rec;
    if (rec)
        memset(rec, 0, sizeof *rec);
    tracing = 1;
}

double dnnl_trace_end(void)
{
    tracing = 0;
    recording = NULL;
    return seconds;
}

void dnnl_trace_replay(const dnnl_trace_t *rec)
{
    resolve();
    for (int i = 0; i < rec->n_calls; i++) {
        const dnnl_call_t *c = &rec->calls[i];
        /* The memory objects are shared by every run of a primitive: point
         * them where they pointed at this call, as dense_bf16.c does. */
        for (int a = 0; a < c->nargs; a++)
            dnnl_memory_set_data_handle(c->args[a].memory, c->handles[a]);
        real_execute(c->primitive, c->stream, c->nargs, c->args);
    }
}
