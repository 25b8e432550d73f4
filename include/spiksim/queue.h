/* Event queues of the engine.
 *
 * Every event carries a key (t, kid): its time in ms and a 64-bit word whose
 * top byte is the event kind and whose low 56 bits are an id (a global neuron
 * index, or projection and presynaptic neuron for a delivery).  Keys compare
 * by time, then kind, then id, so the order of simultaneous events is fixed by
 * what they are and never by the order they were inserted or by addresses:
 * runs are bit-reproducible.
 *
 * Two structures share that order:
 *
 * - ss_queue, an indexed d-ary min-heap over a fixed set of slots (one per
 *   neuron, or one per event stream).  Each slot holds at most one key, which
 *   can be lowered or raised in place: this is how a neuron keeps exactly one
 *   predicted spike time in the queue.
 * - ss_event_heap, a plain d-ary min-heap of events with a small payload, for
 *   streams whose events have no fixed owner (injected input, deliveries of
 *   synapses with individual delays).
 *
 * The arity (SS_QUEUE_ARITY, 2: a binary heap) was chosen by measurement
 * against a 4-ary heap and a pairing heap (bench/queue_bench, docs/engine.md).
 * The lif layer, where the engine spends most of its queue work, uses a
 * bucket queue instead, which beat all three.
 */
#ifndef SPIKSIM_QUEUE_H
#define SPIKSIM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds in the order they are processed at equal times: a refractory period
 * that ends at t lets inputs arriving at t count; a neuron whose threshold
 * crossing is due at t fires before inputs arriving at t are applied (as in a
 * clock-driven simulator, thresholds before synapses); source spikes are
 * emitted before deliveries; injected input comes last. */
typedef enum {
    SS_EV_REFRACTORY_END = 0,
    SS_EV_SPIKE = 1,
    SS_EV_SOURCE = 2,
    SS_EV_DELIVERY = 3,
    SS_EV_EXTERNAL = 4
} ss_event_kind;

#define SS_EVENT_ID_BITS 56
#define SS_EVENT_ID_MAX ((UINT64_C(1) << SS_EVENT_ID_BITS) - 1)

static inline uint64_t ss_event_kid(ss_event_kind kind, uint64_t id)
{
    return ((uint64_t)kind << SS_EVENT_ID_BITS) | (id & SS_EVENT_ID_MAX);
}
static inline ss_event_kind ss_event_kind_of(uint64_t kid)
{
    return (ss_event_kind)(kid >> SS_EVENT_ID_BITS);
}
static inline uint64_t ss_event_id_of(uint64_t kid)
{
    return kid & SS_EVENT_ID_MAX;
}

/* ---- indexed heap over slots ---- */

typedef struct ss_queue ss_queue;

/* A queue for slots 0 .. n_slots-1, all absent.  NULL when out of memory. */
ss_queue *ss_queue_alloc(size_t n_slots);
void ss_queue_free(ss_queue *q);
/* Removes every key. */
void ss_queue_clear(ss_queue *q);
size_t ss_queue_size(const ss_queue *q);
size_t ss_queue_slots(const ss_queue *q);
int ss_queue_contains(const ss_queue *q, size_t slot);
/* Inserts slot with key (t, kid), or moves it there if present. */
void ss_queue_set(ss_queue *q, size_t slot, double t, uint64_t kid);
/* Removes slot (nothing happens when it is absent). */
void ss_queue_remove(ss_queue *q, size_t slot);
/* The smallest key and its slot; 0 when the queue is empty, else 1. */
int ss_queue_top(const ss_queue *q, size_t *slot, double *t, uint64_t *kid);
/* Same, and removes it. */
int ss_queue_pop(ss_queue *q, size_t *slot, double *t, uint64_t *kid);
/* The key of a present slot (kid may be NULL). */
double ss_queue_key(const ss_queue *q, size_t slot, uint64_t *kid);

/* ---- plain heap of events ---- */

/* An event with a payload (x, u) whose meaning belongs to the stream that
 * queued it.  Events order by (t, kid, x, u): a total order, so even two
 * events of the same kind and id at the same time come out in a fixed order. */
typedef struct ss_event {
    double t;
    uint64_t kid;
    double x;
    uint64_t u;
} ss_event;

typedef struct ss_event_heap ss_event_heap;

ss_event_heap *ss_event_heap_alloc(void);
void ss_event_heap_free(ss_event_heap *h);
void ss_event_heap_clear(ss_event_heap *h);
size_t ss_event_heap_size(const ss_event_heap *h);
/* 0, or SS_ENOMEM when the heap cannot grow. */
int ss_event_heap_push(ss_event_heap *h, const ss_event *e);
/* The smallest event, NULL when empty. */
const ss_event *ss_event_heap_top(const ss_event_heap *h);
/* Removes the smallest event into *out (when not NULL); 0 when empty. */
int ss_event_heap_pop(ss_event_heap *h, ss_event *out);

#ifdef __cplusplus
}
#endif
#endif
