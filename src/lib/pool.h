/* Internal: a fixed team of threads that run one function together, with a
 * barrier between the steps of that function (docs/parallel.md).  Not
 * installed.
 *
 *     ss_pool *pool = ss_pool_alloc(2, &err);
 *     ss_pool_run(pool, work, ctx);   // work(ctx, 0) here, work(ctx, 1) on the
 *                                     // other thread; returns when both return
 *     // inside work: ss_pool_barrier(pool) waits for every thread
 *
 * Waiting threads spin for a few microseconds (the common case: windows of
 * the engine end within microseconds of each other), then sleep on a futex
 * until they are woken.  They never spin for long, so a pool degrades
 * gracefully when other processes share the cores, instead of burning the
 * time slice the late thread needs (what OpenMP's default spinning does).
 * Between runs the workers sleep.
 */
#ifndef SS_POOL_H
#define SS_POOL_H

#include <spiksim/error.h>

typedef struct ss_pool ss_pool;

/* n_threads >= 1 (1: no extra thread, run() just calls the function). */
ss_pool *ss_pool_alloc(unsigned n_threads, ss_error *err);
void ss_pool_free(ss_pool *pool);
unsigned ss_pool_size(const ss_pool *pool);

/* Calls fn(ctx, t) on every thread t in [0, size) at once, t = 0 being the
 * caller, and returns when every call has returned.  Not reentrant. */
void ss_pool_run(ss_pool *pool, void (*fn)(void *ctx, unsigned thread), void *ctx);

/* Inside fn: waits until every thread of the pool has called it.  Memory
 * written by any thread before the barrier is visible to every thread
 * after it. */
void ss_pool_barrier(ss_pool *pool);

/* The number of online processors (at least 1). */
unsigned ss_pool_online_cpus(void);

#endif
