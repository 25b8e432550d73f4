/* A team of threads with a spin-then-sleep barrier (see pool.h).
 *
 * Why not pthread_barrier_t: it always sleeps in the kernel, several
 * microseconds per crossing, and the engine crosses one per window (every
 * 0.1 ms of simulated time in bench4: 100 000 per run).  Why not OpenMP: its
 * barriers spin for a long time by default, which collapses when another
 * process holds one of the two cores.  This barrier spins for at most
 * SPIN_ROUNDS pause instructions (a few microseconds), then sleeps on a futex
 * (Linux) or a condition variable (elsewhere).
 *
 * The barrier is a counter and a generation number: the last thread to
 * arrive resets the counter and bumps the generation, which releases the
 * others.  All of it is C11 atomics with sequentially consistent ordering, so
 * writes before the barrier happen-before reads after it.
 */
#define _GNU_SOURCE
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#ifndef SPIN_ROUNDS
#define SPIN_ROUNDS 4000
#endif

/* One word that threads wait on until it changes. */
typedef struct waitword {
    atomic_uint value;
    atomic_uint sleepers;
#ifndef __linux__
    pthread_mutex_t mu;
    pthread_cond_t cv;
#endif
} waitword;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void ww_init(waitword *w)
{
    atomic_init(&w->value, 0);
    atomic_init(&w->sleepers, 0);
#ifndef __linux__
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
#endif
}

static void ww_destroy(waitword *w)
{
#ifndef __linux__
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
#else
    (void)w;
#endif
}

/* Returns once w->value != old: spins a little, then sleeps. */
static void ww_wait(waitword *w, unsigned old)
{
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (atomic_load(&w->value) != old)
            return;
        cpu_relax();
    }
    atomic_fetch_add(&w->sleepers, 1);
#ifdef __linux__
    while (atomic_load(&w->value) == old)
        syscall(SYS_futex, (unsigned *)&w->value, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
#else
    pthread_mutex_lock(&w->mu);
    while (atomic_load(&w->value) == old)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
#endif
    atomic_fetch_sub(&w->sleepers, 1);
}

/* Changes w->value and wakes whoever sleeps on it.  A thread that counts
 * itself a sleeper after the check below finds the value changed before it
 * sleeps (FUTEX_WAIT compares first), so no wake-up is lost. */
static void ww_bump(waitword *w)
{
#ifdef __linux__
    atomic_fetch_add(&w->value, 1);
    if (atomic_load(&w->sleepers))
        syscall(SYS_futex, (unsigned *)&w->value, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
#else
    pthread_mutex_lock(&w->mu);
    atomic_fetch_add(&w->value, 1);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
#endif
}

struct ss_pool {
    unsigned n;
    pthread_t *threads;
    unsigned started;
    /* a run: workers wait for start to change, the caller for done */
    waitword start;
    waitword done;
    atomic_uint finished;
    void (*fn)(void *, unsigned);
    void *ctx;
    int quit;
    /* the barrier */
    waitword gen;
    atomic_uint arrived;
};

typedef struct worker_arg {
    ss_pool *pool;
    unsigned index;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg a = *(worker_arg *)p;
    free(p);
    ss_pool *pool = a.pool;
    unsigned seen = 0;
    for (;;) {
        ww_wait(&pool->start, seen);
        seen = atomic_load(&pool->start.value);
        if (pool->quit)
            return NULL;
        pool->fn(pool->ctx, a.index);
        if (atomic_fetch_add(&pool->finished, 1) + 1 == pool->n - 1)
            ww_bump(&pool->done);
    }
}

unsigned ss_pool_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (unsigned)n : 1;
}

ss_pool *ss_pool_alloc(unsigned n_threads, ss_error *err)
{
    ss_pool *pool = calloc(1, sizeof *pool);
    if (!pool || n_threads == 0) {
        free(pool);
        ss_error_set(err, n_threads ? SS_ENOMEM : SS_EUSAGE,
                     n_threads ? "out of memory" : "a pool needs at least one thread");
        return NULL;
    }
    pool->n = n_threads;
    ww_init(&pool->start);
    ww_init(&pool->done);
    ww_init(&pool->gen);
    atomic_init(&pool->finished, 0);
    atomic_init(&pool->arrived, 0);
    pool->threads = calloc(n_threads, sizeof *pool->threads);
    if (!pool->threads) {
        ss_pool_free(pool);
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    for (unsigned t = 1; t < n_threads; t++) {
        worker_arg *a = malloc(sizeof *a);
        if (a) {
            a->pool = pool;
            a->index = t;
        }
        if (!a || pthread_create(&pool->threads[t], NULL, worker_main, a) != 0) {
            free(a);
            ss_pool_free(pool);
            ss_error_set(err, SS_ENOMEM, "cannot start thread %u of %u", t + 1, n_threads);
            return NULL;
        }
        pool->started++;
    }
    return pool;
}

void ss_pool_free(ss_pool *pool)
{
    if (!pool)
        return;
    if (pool->started) {
        pool->quit = 1;
        ww_bump(&pool->start);
        for (unsigned t = 1; t <= pool->started; t++)
            pthread_join(pool->threads[t], NULL);
    }
    ww_destroy(&pool->start);
    ww_destroy(&pool->done);
    ww_destroy(&pool->gen);
    free(pool->threads);
    free(pool);
}

unsigned ss_pool_size(const ss_pool *pool)
{
    return pool->n;
}

void ss_pool_run(ss_pool *pool, void (*fn)(void *ctx, unsigned thread), void *ctx)
{
    if (pool->n == 1) {
        fn(ctx, 0);
        return;
    }
    pool->fn = fn;
    pool->ctx = ctx;
    atomic_store(&pool->finished, 0);
    unsigned done = atomic_load(&pool->done.value);
    ww_bump(&pool->start);
    fn(ctx, 0);
    while (atomic_load(&pool->finished) != pool->n - 1) {
        ww_wait(&pool->done, done);
        done = atomic_load(&pool->done.value);
    }
}

void ss_pool_barrier(ss_pool *pool)
{
    if (pool->n == 1)
        return;
    unsigned gen = atomic_load(&pool->gen.value);
    if (atomic_fetch_add(&pool->arrived, 1) + 1 == pool->n) {
        atomic_store(&pool->arrived, 0);
        ww_bump(&pool->gen);
        return;
    }
    ww_wait(&pool->gen, gen);
}
