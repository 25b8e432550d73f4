/* The engine's public API: planning the partitions, routing calls to the
 * partition that owns a neuron, runs, observers and counters (see engine.h;
 * layout in engine_impl.h, one partition's loop in part.c, windowed runs
 * over threads in window.c). */
#include "engine_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- planning ---- */

void ss_engine_plan_for(const ss_network *net, const ss_engine_options *opt, ss_engine_plan *plan)
{
    unsigned threads = 1;
    if (opt)
        threads = opt->threads ? opt->threads : ss_pool_online_cpus();
    unsigned local = opt && opt->partitions ? opt->partitions : threads;
    unsigned ranks = (unsigned)ss_comm_size(opt ? opt->comm : NULL);
    double window = INFINITY;
    long zero = -1;
    for (size_t k = 0; k < net->n_projs; k++) {
        const ss_projection *p = net->projs[k];
        if (ss_layer_type_is_source(net->layers[p->from]->type))
            continue; /* sources are simulated in every partition */
        window = fmin(window, p->delay_floor_ms);
        if (p->delay_floor_ms == 0 && zero < 0)
            zero = (long)k;
    }
    memset(plan, 0, sizeof *plan);
    plan->ranks = ranks;
    plan->rank = (unsigned)ss_comm_rank(opt ? opt->comm : NULL);
    plan->window_ms = window;
    plan->zero_delay = zero;
    if (zero >= 0)
        local = 1; /* one partition; with several ranks, each runs it whole */
    plan->distributed = zero < 0 && ranks > 1;
    plan->local_partitions = local;
    plan->partitions = plan->distributed ? ranks * local : local;
    plan->first_partition = plan->distributed ? plan->rank * local : 0;
    plan->threads = threads < local ? threads : local;
}

void ss_engine_get_plan(const ss_engine *eng, ss_engine_plan *plan)
{
    *plan = eng->plan;
}

void ss_engine_window_counts(const ss_engine *eng, uint64_t *parallel, uint64_t *serial)
{
    *parallel = eng->wstats.windows[0];
    *serial = eng->wstats.windows[1];
}

void ss_engine_exchange_stats(const ss_engine *eng, uint64_t *exchanges, uint64_t *bytes,
                              double *seconds)
{
    *exchanges = eng->wstats.exchanges;
    *bytes = eng->wstats.exchange_bytes;
    *seconds = eng->wstats.exchange_s;
}

void ss_engine_partition_block(const ss_engine *eng, unsigned q, size_t layer, size_t *first,
                               size_t *end)
{
    const uint32_t *blk = eng->block + layer * (eng->n_total + 1) + eng->part_base;
    *first = blk[q];
    *end = blk[q + 1];
}

unsigned ss__engine_owner(const ss_engine *eng, size_t layer, uint32_t neuron)
{
    const uint32_t *blk = eng->block + layer * (eng->n_total + 1);
    unsigned q = 0;
    while (q + 1 < eng->n_total && blk[q + 1] <= neuron)
        q++;
    return q;
}

/* ---- life cycle ---- */

/* Every rank must run the same windows: the smallest window and any zero
 * delay seen by any rank (each holds a part of the synapses). */
static int engine_agree_plan(ss_engine *eng, ss_error *err)
{
    double v[2] = {eng->plan.window_ms, eng->plan.zero_delay >= 0 ? 1.0 : 0.0};
    double w = v[0];
    int rc = ss_comm_min_f64(eng->comm, &w, 1, err);
    if (rc == SS_OK)
        rc = ss_comm_max_f64(eng->comm, &v[1], 1, err);
    if (rc != SS_OK)
        return rc;
    if (v[1] > 0 && eng->plan.zero_delay < 0)
        return ss_error_set(err, SS_EUSAGE,
                            "engine: another rank holds a zero-delay projection between neuron "
                            "layers that this rank does not");
    eng->plan.window_ms = w;
    return SS_OK;
}

void ss_engine_free(ss_engine *eng)
{
    if (!eng)
        return;
    ss_pool_free(eng->pool);
    for (unsigned q = 0; eng->parts && q < eng->n_parts; q++)
        ss__part_free(eng->parts[q]);
    free(eng->parts);
    free(eng->block);
    free(eng->boxes);
    free(eng->remote);
    free(eng->xbuf);
    free(eng->xrecv);
    free(eng->obs);
    free(eng);
}

ss_engine *ss_engine_alloc(ss_network *net, const ss_engine_options *opt, ss_error *err)
{
    ss_engine *eng = calloc(1, sizeof *eng);
    if (!eng) {
        ss_error_set(err, SS_ENOMEM, "engine: out of memory");
        return NULL;
    }
    eng->net = net;
    eng->seed = opt ? opt->seed : 0;
    eng->wstats.probe_gap = 16;
    eng->comm = opt ? opt->comm : NULL;
    ss_engine_plan_for(net, opt, &eng->plan);
    if (eng->plan.ranks > 1 && engine_agree_plan(eng, err) != SS_OK) {
        ss_engine_free(eng);
        return NULL;
    }
    unsigned nt = eng->n_total = eng->plan.partitions;
    unsigned np = eng->n_parts = eng->plan.local_partitions;
    eng->part_base = eng->plan.first_partition;
    /* With several ranks the network must hold the synapses onto this
     * rank's neurons. */
    ss_share sh = net->share;
    int whole = sh.first == 0 && sh.end == sh.n;
    if (!whole && !(eng->plan.distributed && sh.n == nt && sh.first == eng->part_base &&
                    sh.end == eng->part_base + np)) {
        ss_error_set(err, SS_EUSAGE,
                     "engine: the network holds partitions [%u, %u) of %u, this rank runs [%u, "
                     "%u) of %u",
                     sh.first, sh.end, sh.n, eng->part_base, eng->part_base + np, nt);
        ss_engine_free(eng);
        return NULL;
    }
    eng->block = malloc((net->n_layers ? net->n_layers : 1) * (nt + 1) * sizeof *eng->block);
    eng->parts = calloc(np, sizeof *eng->parts);
    eng->boxes = calloc(2 * (size_t)nt, sizeof *eng->boxes);
    eng->remote = calloc(2 * (size_t)nt, sizeof *eng->remote);
    if (!eng->block || !eng->parts || !eng->boxes || !eng->remote) {
        ss_engine_free(eng);
        ss_error_set(err, SS_ENOMEM, "engine: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < net->n_layers; i++)
        for (unsigned q = 0; q <= nt; q++)
            eng->block[i * (nt + 1) + q] = (uint32_t)ss_block_first(net->layers[i]->size, q, nt);
    for (unsigned q = 0; q < np; q++)
        if (!(eng->parts[q] = ss__part_alloc(eng, q, err))) {
            ss_engine_free(eng);
            return NULL;
        }
    if (eng->plan.threads > 1 && !(eng->pool = ss_pool_alloc(eng->plan.threads, err))) {
        ss_engine_free(eng);
        return NULL;
    }
    /* The outboxes of a window, all partitions of the run: this rank's in
     * its partitions, the others' received at the exchange. */
    for (int b = 0; b < 2; b++)
        for (unsigned q = 0; q < nt; q++) {
            unsigned l = q - eng->part_base;
            eng->boxes[b * nt + q] =
                q >= eng->part_base && l < np ? &eng->parts[l]->box[b] : &eng->remote[b * nt + q];
        }
    ss_engine_reset(eng);
    return eng;
}

void ss_engine_set_stream(ss_engine *eng, uint64_t stream)
{
    eng->stream = stream;
    eng->resets = 0;
    for (unsigned q = 0; q < eng->n_parts; q++) {
        eng->parts[q]->stream = stream;
        eng->parts[q]->resets = 0;
    }
}

void ss_engine_reset(ss_engine *eng)
{
    eng->now = 0;
    for (unsigned q = 0; q < eng->n_parts; q++)
        ss__part_reset(eng->parts[q]);
    eng->resets++;
}

/* ---- running ---- */

int ss_engine_run(ss_engine *eng, double t_end_ms, ss_error *err)
{
    if (!isfinite(t_end_ms) || t_end_ms < eng->now)
        return ss_error_set(err, SS_EUSAGE, "run until %g ms: the engine is at %g ms", t_end_ms,
                            eng->now);
    if (eng->n_total > 1)
        return ss__engine_run_windows(eng, t_end_ms, err);
    ss_part *P = eng->parts[0];
    int rc = ss__part_run(P, t_end_ms, eng->interrupt);
    if (rc == SS_EINTR) {
        eng->now = P->now; /* every event before it was handled */
        return ss_error_set(err, SS_EINTR, "interrupted at %g ms", P->now);
    }
    if (rc)
        return ss_error_set(err, rc, "engine: out of memory at %g ms", P->now);
    eng->now = P->now = t_end_ms;
    return SS_OK;
}

double ss_engine_time(const ss_engine *eng)
{
    return eng->now;
}

/* ---- injected input and per-neuron state ---- */

static int check_neuron(const ss_engine *eng, size_t layer, size_t neuron, const char *what,
                        ss_error *err)
{
    if (layer >= eng->net->n_layers)
        return ss_error_set(err, SS_EUSAGE, "%s: no layer %zu", what, layer);
    const ss_layer *l = eng->net->layers[layer];
    if (neuron >= l->size)
        return ss_error_set(err, SS_EUSAGE, "%s: layer '%s' has no neuron %zu", what, l->name,
                            neuron);
    if (ss_layer_type_is_source(l->type))
        return ss_error_set(err, SS_EUSAGE, "%s: layer '%s' is a source", what, l->name);
    return SS_OK;
}

/* The partition holding a neuron of a neuron layer, and its local index;
 * NULL when another rank holds it (that rank does what is asked: every rank
 * makes the same calls). */
static ss_part *owner_of(const ss_engine *eng, size_t layer, size_t neuron, uint32_t *j)
{
    unsigned q = ss__engine_owner(eng, layer, (uint32_t)neuron);
    if (q < eng->part_base || q - eng->part_base >= eng->n_parts)
        return NULL;
    ss_part *P = eng->parts[q - eng->part_base];
    *j = (uint32_t)neuron - P->layers[layer].first;
    return P;
}

static int queue_external(ss_engine *eng, size_t layer, size_t neuron, double t_ms, double x,
                          int force, const char *what, ss_error *err)
{
    int rc = check_neuron(eng, layer, neuron, what, err);
    if (rc)
        return rc;
    if (!(t_ms >= eng->now) || !isfinite(t_ms))
        return ss_error_set(err, SS_EUSAGE, "%s at %g ms: the engine is at %g ms", what, t_ms,
                            eng->now);
    if (!isfinite(x))
        return ss_error_set(err, SS_EUSAGE, "%s: weight must be finite", what);
    uint32_t j;
    ss_part *P = owner_of(eng, layer, neuron, &j);
    return P ? ss__part_queue_external(P, layer, j, t_ms, x, force, err) : SS_OK;
}

int ss_engine_inject(ss_engine *eng, size_t layer, size_t neuron, double t_ms, double weight,
                     ss_error *err)
{
    return queue_external(eng, layer, neuron, t_ms, weight, 0, "inject", err);
}

int ss_engine_force_spike(ss_engine *eng, size_t layer, size_t neuron, double t_ms, ss_error *err)
{
    return queue_external(eng, layer, neuron, t_ms, 0, 1, "force spike", err);
}

int ss_engine_set_bias(ss_engine *eng, size_t layer, size_t neuron, double bias_mv, ss_error *err)
{
    int rc = check_neuron(eng, layer, neuron, "set bias", err);
    if (rc)
        return rc;
    if (!isfinite(bias_mv))
        return ss_error_set(err, SS_EUSAGE, "set bias: bias must be finite");
    uint32_t j;
    ss_part *P = owner_of(eng, layer, neuron, &j);
    if (!P)
        return SS_OK;
    ss_layer_rt *L = &P->layers[layer];
    return L->ops->set_bias(P, L, j, eng->now, bias_mv, err);
}

double ss_engine_potential(const ss_engine *eng, size_t layer, size_t neuron)
{
    if (layer >= eng->net->n_layers || neuron >= eng->net->layers[layer]->size ||
        ss_layer_type_is_source(eng->net->layers[layer]->type))
        return NAN;
    uint32_t j;
    ss_part *P = owner_of(eng, layer, neuron, &j);
    if (!P)
        return NAN; /* another rank's */
    ss_layer_rt *L = &P->layers[layer];
    /* Between runs only: reading may move the layer's base time forward. */
    return L->ops->potential(P, L, j, eng->now);
}

/* ---- observers, hooks, counters ---- */

void ss__engine_observe(ss_engine *eng, size_t layer, size_t neuron, double t_ms)
{
    for (size_t k = 0; k < eng->n_obs; k++)
        eng->obs[k].fn(eng->obs[k].ctx, layer, neuron, t_ms);
}

int ss_engine_add_observer(ss_engine *eng, ss_spike_fn fn, void *ctx)
{
    if (eng->n_obs == eng->cap_obs) {
        size_t cap = eng->cap_obs ? 2 * eng->cap_obs : 4;
        observer *o = realloc(eng->obs, cap * sizeof *o);
        if (!o)
            return SS_ENOMEM;
        eng->obs = o;
        eng->cap_obs = cap;
    }
    eng->obs[eng->n_obs].fn = fn;
    eng->obs[eng->n_obs].ctx = ctx;
    eng->n_obs++;
    return SS_OK;
}

void ss_engine_remove_observer(ss_engine *eng, ss_spike_fn fn, void *ctx)
{
    for (size_t k = 0; k < eng->n_obs; k++)
        if (eng->obs[k].fn == fn && eng->obs[k].ctx == ctx) {
            memmove(&eng->obs[k], &eng->obs[k + 1], (eng->n_obs - k - 1) * sizeof *eng->obs);
            eng->n_obs--;
            return;
        }
}

size_t ss_engine_n_observers(const ss_engine *eng)
{
    return eng->n_obs;
}

void ss_engine_replay_spike(ss_engine *eng, size_t layer, size_t neuron, double t_ms)
{
    ss__engine_observe(eng, layer, neuron, t_ms);
}

void ss_engine_set_pre_hook(ss_engine *eng, size_t projection, ss_pre_fn fn, void *ctx)
{
    if (projection >= eng->net->n_projs)
        return;
    for (unsigned q = 0; q < eng->n_parts; q++) {
        eng->parts[q]->projs[projection].pre_fn = fn;
        eng->parts[q]->projs[projection].pre_ctx = ctx;
    }
}

void ss_engine_set_post_hook(ss_engine *eng, size_t layer, ss_post_fn fn, void *ctx)
{
    if (layer >= eng->net->n_layers)
        return;
    for (unsigned q = 0; q < eng->n_parts; q++) {
        eng->parts[q]->layers[layer].post_fn = fn;
        eng->parts[q]->layers[layer].post_ctx = ctx;
    }
}

void ss_engine_get_counters(const ss_engine *eng, ss_engine_counters *c)
{
    memset(c, 0, sizeof *c);
    for (unsigned q = 0; q < eng->n_parts; q++) {
        const ss_part_counters *p = &eng->parts[q]->counters;
        c->spikes += ss__counted(&p->spikes);
        c->syn_events += ss__counted(&p->syn_events);
        c->deliveries += ss__counted(&p->deliveries);
        c->events += ss__counted(&p->events);
    }
}

uint64_t ss_engine_layer_spikes(const ss_engine *eng, size_t layer)
{
    uint64_t n = 0;
    if (layer < eng->net->n_layers)
        for (unsigned q = 0; q < eng->n_parts; q++)
            n += ss__counted(&eng->parts[q]->layers[layer].spikes);
    return n;
}

void ss_engine_reset_counters(ss_engine *eng)
{
    for (unsigned q = 0; q < eng->n_parts; q++) {
        ss_part *P = eng->parts[q];
        atomic_store(&P->counters.spikes, 0);
        atomic_store(&P->counters.syn_events, 0);
        atomic_store(&P->counters.deliveries, 0);
        atomic_store(&P->counters.events, 0);
        for (size_t i = 0; i < P->n_layers; i++)
            atomic_store(&P->layers[i].spikes, 0);
    }
}

void ss_engine_set_interrupt(ss_engine *eng, const volatile sig_atomic_t *flag)
{
    eng->interrupt = flag;
}
