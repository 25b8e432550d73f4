/* Several partitions in conservative windows, on a pool of threads
 * (docs/parallel.md).
 *
 * Each partition runs its events over [W, W + d_min), d_min being the
 * smallest delay between neuron layers: nothing a partition does in the
 * window can reach another before the window ends.  The neuron spikes of the
 * window are in the partitions' outboxes.  Then every partition queues the
 * arrivals of every outbox's spikes, and the calling thread hands the
 * window's spikes to the observers, merged into the order one engine would
 * have emitted them.
 *
 * Windows run in epochs of EPOCH_WINDOWS, each either on every thread (one
 * barrier per window: outboxes are double-buffered, so the next window fills
 * the other one while this one is read) or on the calling thread alone, which
 * runs every partition in turn with no barrier at all.  Which partition runs
 * on which thread changes nothing in the results, so the engine times both
 * ways and keeps the faster, trying the other now and then: when windows hold
 * too little work to pay for a barrier (a small network), or when other
 * processes hold the cores and a barrier waits for a thread that is not
 * running, one thread does the work instead of two threads waiting for each
 * other.
 *
 * A stop (interrupt, out of memory) seen by thread 0 while it handles window
 * k is read by every thread after the barrier of window k + 1, so all stop
 * at the same window.
 */
#define _POSIX_C_SOURCE 200809L
#include "engine_impl.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Windows per epoch; the slower way is tried again after PROBE_FIRST
 * epochs, then after twice as many each time it loses, up to PROBE_MAX
 * (a probe of a much slower way costs much more than an epoch). */
#define EPOCH_WINDOWS 64
#define PROBE_FIRST 16
#define PROBE_MAX 4096

typedef struct window_run {
    ss_engine *eng;
    int ranks;               /* several ranks share the windows (MPI) */
    uint32_t *head;          /* exchange headers: this rank's, then every rank's */
    size_t *sizes, *offsets; /* where each rank's spikes are in the exchange */
    double t_end;
    double W;          /* start of the next window */
    int box;           /* outbox buffer of the next window */
    unsigned windows;  /* in this epoch */
    unsigned done;     /* windows completed in this epoch */
    size_t *merge_pos; /* thread 0's cursor into each outbox */
    atomic_int stop;   /* set by thread 0, read by all after a barrier */
    int rc;            /* thread 0's verdict */
    double rc_t;       /* where it stopped */
} window_run;

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The order one engine emits spikes in: by the event during which they were
 * emitted, then by neuron (a row's targets come in order). */
static int rec_before(const ss_spike_rec *a, const ss_spike_rec *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    if (a->kid != b->kid)
        return a->kid < b->kid;
    if (a->x != b->x)
        return a->x < b->x;
    if (a->occ != b->occ)
        return a->occ < b->occ;
    if (a->layer != b->layer)
        return a->layer < b->layer;
    return a->neuron < b->neuron;
}

/* Every partition's outbox is in that order already (its own events are);
 * a merge of P lists by scanning their heads is enough for small P. */
static void observe_window(ss_engine *eng, int box, size_t *pos)
{
    unsigned nt = eng->n_total;
    for (unsigned q = 0; q < nt; q++)
        pos[q] = 0;
    for (;;) {
        const ss_spike_rec *best = NULL;
        unsigned bq = 0;
        for (unsigned q = 0; q < nt; q++) {
            const ss_outbox *b = eng->boxes[box * nt + q];
            if (pos[q] < b->n && (!best || rec_before(&b->rec[pos[q]], best))) {
                best = &b->rec[pos[q]];
                bq = q;
            }
        }
        if (!best)
            break;
        pos[bq]++;
        ss__engine_observe(eng, best->layer, best->neuron, best->t);
    }
}

/* A window never spans more than WINDOW_CAP_MS, whatever d_min: its spikes
 * wait in the outboxes until it ends, so this bounds their memory and how
 * late observers (a live server) see them, in networks with no (or only
 * long) delays between neuron layers. */
#define WINDOW_CAP_MS 1.0

static double window_end(const window_run *w, double W)
{
    double end = W + fmin(w->eng->plan.window_ms, WINDOW_CAP_MS);
    return end < w->t_end ? end : w->t_end;
}

/* Why this rank would stop now: a partition out of memory, an interrupt. */
static int local_status(const ss_engine *eng)
{
    for (unsigned q = 0; q < eng->n_parts; q++)
        if (eng->parts[q]->failed)
            return eng->parts[q]->failed;
    return eng->interrupt && *eng->interrupt ? SS_EINTR : SS_OK;
}

static void stop_at(window_run *w, int rc, double W_end)
{
    if (rc && !w->rc) {
        w->rc = rc;
        w->rc_t = W_end;
        atomic_store(&w->stop, 1);
    }
}

/* Thread 0 at the end of a window: observers, and (one process) whether to
 * stop; with several ranks that was agreed at the exchange. */
static void close_window(window_run *w, int box, double W_end)
{
    ss_engine *eng = w->eng;
    if (eng->n_obs)
        observe_window(eng, box, w->merge_pos);
    if (!w->ranks)
        stop_at(w, local_status(eng), W_end);
}

/* Several ranks (thread 0 of each): every rank's outboxes of the window to
 * every rank, with one all-gather of the counts and statuses and one of the
 * spikes.  The first status that is not 0, by rank, stops every rank. */
static void exchange(window_run *w, int box, double W_end)
{
    ss_engine *eng = w->eng;
    double t0 = wall_s();
    unsigned R = eng->plan.ranks, np = eng->n_parts, nt = eng->n_total;
    size_t hdr = 1 + (size_t)np;
    uint32_t *head = w->head, *all = w->head + hdr;
    ss_error err;
    head[0] = (uint32_t)-local_status(eng);
    size_t bytes = 0;
    for (unsigned q = 0; q < np; q++) {
        head[1 + q] = (uint32_t)eng->parts[q]->box[box].n;
        bytes += eng->parts[q]->box[box].n * sizeof(ss_spike_rec);
    }
    int rc = ss_comm_allgather(eng->comm, head, hdr * sizeof *head, all, &err);
    if (rc == SS_OK && bytes > eng->xbuf_cap) {
        void *b = realloc(eng->xbuf, bytes);
        if (b) {
            eng->xbuf = b;
            eng->xbuf_cap = bytes;
        } else {
            rc = SS_ENOMEM; /* agreed on at the next window: send nothing now */
        }
    }
    size_t off = 0;
    for (unsigned q = 0; rc == SS_OK && q < np; q++) {
        size_t n = eng->parts[q]->box[box].n * sizeof(ss_spike_rec);
        if (n) /* an outbox never written has no buffer yet */
            memcpy((char *)eng->xbuf + off, eng->parts[q]->box[box].rec, n);
        off += n;
    }
    if (rc == SS_OK)
        rc = ss_comm_allgatherv(eng->comm, eng->xbuf, bytes, &eng->xrecv, &eng->xrecv_cap, w->sizes,
                                w->offsets, &err);
    if (rc != SS_OK) {
        stop_at(w, rc, W_end); /* a failed collective: the others fail too */
        return;
    }
    eng->wstats.exchanges++;
    eng->wstats.exchange_bytes += (uint64_t)R * hdr * sizeof *head;
    for (unsigned r = 0; r < R; r++)
        eng->wstats.exchange_bytes += w->sizes[r];
    eng->wstats.exchange_s += wall_s() - t0;
    for (unsigned r = 0; r < R; r++) {
        const uint32_t *h = all + r * hdr;
        if (h[0])
            stop_at(w, -(int)h[0], W_end);
        const ss_spike_rec *rec = (const ss_spike_rec *)((char *)eng->xrecv + w->offsets[r]);
        for (unsigned k = 0; k < np; k++) {
            unsigned q = r * np + k;
            if (r != eng->plan.rank) {
                ss_outbox *b = &eng->remote[box * nt + q];
                b->rec = (ss_spike_rec *)rec;
                b->n = h[1 + k];
            }
            rec += h[1 + k];
        }
    }
}

static void run_part(ss_part *P, int box, double W_end)
{
    P->cur_box = box;
    P->box[box].n = 0;
    ss__part_run(P, W_end, NULL);
}

/* An epoch on the calling thread: every partition in turn, no barrier. */
static void epoch_serial(window_run *w)
{
    ss_engine *eng = w->eng;
    unsigned np = eng->n_parts;
    double W = w->W;
    int box = w->box;
    unsigned k;
    for (k = 0; k < w->windows && !atomic_load(&w->stop); k++) {
        double W_end = window_end(w, W);
        for (unsigned q = 0; q < np; q++)
            run_part(eng->parts[q], box, W_end);
        if (w->ranks) {
            exchange(w, box, W_end);
            if (atomic_load(&w->stop))
                break;
        }
        for (unsigned q = 0; q < np; q++)
            for (unsigned r = 0; r < eng->n_total; r++)
                ss__part_absorb(eng->parts[q], eng->boxes[box * eng->n_total + r]);
        close_window(w, box, W_end);
        W = W_end;
        box ^= 1;
        if (W >= w->t_end) {
            k++;
            break;
        }
    }
    w->W = W;
    w->box = box;
    w->done = k;
}

/* An epoch on every thread: thread t runs partitions t, t + T, ... */
static void epoch_thread(void *ctx, unsigned tid)
{
    window_run *w = ctx;
    ss_engine *eng = w->eng;
    unsigned np = eng->n_parts, nt = eng->plan.threads;
    double W = w->W;
    int box = w->box;
    unsigned k;
    for (k = 0; k < w->windows; k++) {
        double W_end = window_end(w, W);
        for (unsigned q = tid; q < np; q += nt)
            run_part(eng->parts[q], box, W_end);
        ss_pool_barrier(eng->pool);
        if (w->ranks) { /* thread 0 talks to the other ranks, the others wait */
            if (tid == 0)
                exchange(w, box, W_end);
            ss_pool_barrier(eng->pool);
        }
        if (atomic_load(&w->stop))
            break;
        for (unsigned q = tid; q < np; q += nt)
            for (unsigned r = 0; r < eng->n_total; r++)
                ss__part_absorb(eng->parts[q], eng->boxes[box * eng->n_total + r]);
        if (tid == 0)
            close_window(w, box, W_end);
        W = W_end;
        box ^= 1;
        if (W >= w->t_end) {
            k++;
            break;
        }
    }
    if (tid == 0) {
        w->W = W;
        w->box = box;
        w->done = k;
    }
}

/* Parallel (0) or serial (1) for the next epoch: each once at first, then
 * the faster so far, with a probe of the other now and then. */
static int choose_mode(ss_engine *eng)
{
    ss_window_stats *st = &eng->wstats;
    if (!eng->pool)
        return 1;
    for (int m = 0; m < 2; m++)
        if (!(st->s_per_window[m] > 0))
            return m;
    int best = st->s_per_window[1] < st->s_per_window[0];
    if (st->best != best) { /* the other way won its probe */
        st->best = best;
        st->probe_gap = PROBE_FIRST;
        st->since_probe = 0;
    }
    if (++st->since_probe >= st->probe_gap) {
        st->since_probe = 0;
        return !best;
    }
    return best;
}

static void note_epoch(ss_engine *eng, int mode, double seconds, unsigned windows)
{
    if (!windows)
        return;
    ss_window_stats *st = &eng->wstats;
    double s = seconds / windows;
    double *e = &st->s_per_window[mode];
    *e = *e > 0 ? 0.75 * *e + 0.25 * s : s;
    st->windows[mode] += windows;
    /* A probe that lost: wait twice as long before the next. */
    if (mode != st->best && st->s_per_window[mode] >= st->s_per_window[st->best] &&
        st->probe_gap < PROBE_MAX)
        st->probe_gap *= 2;
}

int ss__engine_run_windows(ss_engine *eng, double t_end_ms, ss_error *err)
{
    window_run w = {.eng = eng, .t_end = t_end_ms, .W = eng->now, .box = 0};
    atomic_init(&w.stop, 0);
    w.ranks = eng->plan.distributed && eng->plan.ranks > 1;
    unsigned R = eng->plan.ranks;
    w.merge_pos = malloc(eng->n_total * sizeof *w.merge_pos);
    w.head = malloc((1 + (size_t)R) * (1 + eng->n_parts) * sizeof *w.head);
    w.sizes = malloc(2 * (size_t)R * sizeof *w.sizes);
    if (!w.merge_pos || !w.head || !w.sizes) {
        free(w.merge_pos);
        free(w.head);
        free(w.sizes);
        return ss_error_set(err, SS_ENOMEM, "engine: out of memory");
    }
    w.offsets = w.sizes + R;
    while (w.W < t_end_ms && !atomic_load(&w.stop)) {
        int mode = choose_mode(eng);
        w.windows = EPOCH_WINDOWS;
        double t0 = wall_s();
        if (mode)
            epoch_serial(&w);
        else
            ss_pool_run(eng->pool, epoch_thread, &w);
        note_epoch(eng, mode, wall_s() - t0, w.done);
    }
    free(w.merge_pos);
    free(w.head);
    free(w.sizes);
    /* A failure in the very last window is seen here (one process; with
     * several, the exchange of the last window agreed on it). */
    for (unsigned q = 0; !w.ranks && q < eng->n_parts && !w.rc; q++)
        if (eng->parts[q]->failed) {
            w.rc = eng->parts[q]->failed;
            w.rc_t = t_end_ms;
        }
    if (w.rc == SS_EINTR) {
        eng->now = w.W; /* the windows before were completed */
        for (unsigned q = 0; q < eng->n_parts; q++)
            eng->parts[q]->now = w.W;
        return ss_error_set(err, SS_EINTR, "interrupted at %g ms", w.W);
    }
    if (w.rc)
        return ss_error_set(err, w.rc, "engine: out of memory at %g ms", w.rc_t);
    eng->now = t_end_ms;
    for (unsigned q = 0; q < eng->n_parts; q++)
        eng->parts[q]->now = t_end_ms;
    return SS_OK;
}
