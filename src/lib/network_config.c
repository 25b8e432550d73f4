/* Building a network from a model file's [layer.NAME] and [projection.NAME]
 * sections (see network.h).  The loader has already checked each key's type
 * and range against src/lib/config_keys.c; this file checks what the table
 * cannot (v_th_mv above v_reset_mv, layers named by projections, ...) and
 * reports it at the key's line through ss_config_error(). */
#define _POSIX_C_SOURCE 200809L
#include "infile.h"
#include "network_impl.h"

#include <spiksim/sonata.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rethrow(const ss_config *cfg, ss_error *err, const char *sec, const char *key, int rc)
{
    if (!key || rc != SS_ECONFIG)
        return rc;
    char msg[SS_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", err ? err->msg : "invalid value");
    return ss_config_error(cfg, err, sec, key, "%s", msg);
}

/* [layer] rates_file: one rate (Hz) per line and neuron, blank lines and
 * lines starting with # skipped; errors name the file's line.  The layer's
 * index on success. */
static int read_rates(ss_network *net, size_t layer, const ss_config *cfg, const char *sec,
                      size_t size, ss_error *err)
{
    char *path = ss_config_path(cfg, sec, "rates_file", err);
    if (!path)
        return err ? err->code : SS_ECONFIG;
    FILE *f = ss__input_open(path, "rates file", "r", err);
    double *rates = f ? malloc((size ? size : 1) * sizeof *rates) : NULL;
    int rc = !f       ? (err ? err->code : SS_EDATA)
             : !rates ? ss_error_set(err, SS_ENOMEM, "out of memory")
                      : SS_OK;
    char *line = NULL;
    size_t cap = 0, n = 0, lineno = 0;
    while (rc == SS_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == 0)
            continue;
        char *end;
        double r = strtod(s, &end);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (end == s || *end)
            rc = ss_error_set(err, SS_EDATA, "%s:%zu: not a rate in Hz", path, lineno);
        else if (!(r >= 0) || !isfinite(r))
            rc =
                ss_error_set(err, SS_EDATA, "%s:%zu: a rate must be finite and >= 0", path, lineno);
        else if (n == size)
            rc = ss_error_set(err, SS_EDATA, "%s:%zu: more rates than the %zu neurons of the layer",
                              path, lineno, size);
        else
            rates[n++] = r;
    }
    if (rc == SS_OK && f && ferror(f))
        rc = ss__input_read_error(path, "rates file", errno, err);
    if (rc == SS_OK && n < size)
        rc = ss_error_set(err, SS_EDATA, "%s: %zu rates for a layer of %zu neurons", path, n, size);
    if (rc == SS_OK)
        rc = ss_network_set_poisson_rates(net, layer, rates, n, err);
    free(line);
    free(rates);
    if (f)
        fclose(f);
    free(path);
    return rc == SS_OK ? (int)layer : rc;
}

static ss_v_init v_init_of(const char *s)
{
    if (strcmp(s, "reset") == 0)
        return SS_V_INIT_RESET;
    if (strcmp(s, "uniform") == 0)
        return SS_V_INIT_UNIFORM;
    return SS_V_INIT_REST;
}

static int add_layer(ss_network *net, const ss_config *cfg, const char *name, ss_error *err)
{
    char sec[512];
    snprintf(sec, sizeof sec, "layer.%s", name);
    const char *type = ss_config_string(cfg, sec, "type");
    long size = ss_config_int(cfg, sec, "size");
    int rc;
    if (strcmp(type, "lif") == 0 || strcmp(type, "lif_exp") == 0) {
        ss_neuron_params p;
        p.tau_m_ms = ss_config_double(cfg, sec, "tau_m_ms");
        p.e_l_mv = ss_config_double(cfg, sec, "e_l_mv");
        p.bias_mv = ss_config_double(cfg, sec, "bias_mv");
        p.v_th_mv = ss_config_double(cfg, sec, "v_th_mv");
        p.v_reset_mv = ss_config_double(cfg, sec, "v_reset_mv");
        p.t_ref_ms = ss_config_double(cfg, sec, "t_ref_ms");
        p.v_init = v_init_of(ss_config_string(cfg, sec, "v_init"));
        p.tau_syn_exc_ms = ss_config_double(cfg, sec, "tau_syn_exc_ms");
        p.tau_syn_inh_ms = ss_config_double(cfg, sec, "tau_syn_inh_ms");
        const char *bad = NULL;
        rc = ss_neuron_params_check(&p, &bad, err);
        if (rc) {
            /* v_th_mv <= v_reset_mv: point at whichever of the two was written. */
            if (bad && strcmp(bad, "v_th_mv") == 0 && !ss_config_is_set(cfg, sec, "v_th_mv") &&
                ss_config_is_set(cfg, sec, "v_reset_mv"))
                bad = "v_reset_mv";
            return rethrow(cfg, err, sec, bad, rc);
        }
        rc = ss_network_add_neurons(net, name, type[3] ? SS_LAYER_LIF_EXP : SS_LAYER_LIF,
                                    (size_t)size, &p, err);
        return rethrow(cfg, err, sec, "type", rc);
    }
    if (strcmp(type, "poisson") == 0) {
        rc = ss_network_add_poisson(net, name, (size_t)size, ss_config_double(cfg, sec, "rate_hz"),
                                    ss_config_double(cfg, sec, "start_ms"), err);
        if (rc >= 0 && *ss_config_string(cfg, sec, "rates_file"))
            return read_rates(net, (size_t)rc, cfg, sec, (size_t)size, err);
        return rethrow(cfg, err, sec, "rate_hz", rc);
    }
    if (strcmp(type, "regular") == 0) {
        rc = ss_network_add_regular(net, name, (size_t)size, ss_config_double(cfg, sec, "isi_ms"),
                                    ss_config_double(cfg, sec, "start_ms"), err);
        return rethrow(cfg, err, sec, "isi_ms", rc);
    }
    if (strcmp(type, "spike_file") == 0) {
        if (!*ss_config_string(cfg, sec, "spike_file"))
            return ss_config_error(cfg, err, sec, "type",
                                   "a spike_file layer needs spike_file = PATH");
        char *path = ss_config_path(cfg, sec, "spike_file", err);
        if (!path)
            return err ? err->code : SS_ECONFIG;
        if (ss_sonata_is_hdf5(path)) {
            ss_spike_train st;
            rc = ss_sonata_read(path, ss_config_string(cfg, sec, "spike_population"), (size_t)size,
                                &st, err);
            if (rc == SS_OK)
                rc = ss_network_add_spike_train(net, name, (size_t)size, st.t_ms, st.neuron, st.n,
                                                err);
            ss_spike_train_clear(&st);
        } else {
            rc = ss_network_add_spike_file(net, name, (size_t)size, path, err);
        }
        free(path);
        return rc; /* spike-file errors name the spike file's line or dataset */
    }
    rc = ss_network_add_input(net, name, (size_t)size, err);
    return rethrow(cfg, err, sec, "type", rc);
}

/* Memory a run will need, estimated before anything is drawn, so that a
 * model too large for the machine stops at once at the line responsible
 * instead of running out of memory later. */
typedef struct budget {
    double limit_bytes, planned_bytes;
    const char *limit_by; /* what set the limit, for the message */
} budget;

/* Per neuron: its engine record, queue slot and plasticity traces, with room
 * to spare; per synapse while it is built: its (pre, post) pair, weight and
 * delay as drawn, then its compressed-row record and incoming index. */
#define NEURON_BYTES 96.0
#define SYNAPSE_BUILD_BYTES 32.0

static void budget_init(budget *b, const ss_config *cfg)
{
    double mb = ss_config_double(cfg, "simulation", "max_memory_mb");
    if (mb > 0) {
        b->limit_bytes = mb * 1024 * 1024;
        b->limit_by = "[simulation] max_memory_mb (--max-memory)";
    } else {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        b->limit_bytes = pages > 0 && page > 0 ? (double)pages * (double)page : INFINITY;
        b->limit_by = "this machine's memory";
    }
    b->planned_bytes = 0;
}

static double mib(double bytes)
{
    return bytes / (1024.0 * 1024.0);
}

/* Synapses a spec will draw between layers of n_pre and n_post neurons (the
 * expected number for fixed_prob). */
static double expected_synapses(const ss_projection_spec *s, double n_pre, double n_post, int same)
{
    double pairs = n_pre * n_post - (same && !s->autapses ? n_post : 0);
    switch (s->connect) {
    case SS_CONNECT_ONE_TO_ONE:
        return n_post;
    case SS_CONNECT_FIXED_PROB:
        return s->p * pairs;
    case SS_CONNECT_FIXED_INDEGREE:
        return (double)s->indegree * n_post;
    case SS_CONNECT_LABEL_MATCH:
        return n_post;
    case SS_CONNECT_LABEL_MISMATCH:
        return (n_pre - 1) * n_post;
    default:
        return pairs;
    }
}

static int add_projection(ss_network *net, const ss_config *cfg, const char *name,
                          unsigned long seed, budget *bud, ss_error *err)
{
    char sec[512];
    snprintf(sec, sizeof sec, "projection.%s", name);
    const char *from = ss_config_string(cfg, sec, "from");
    const char *to = ss_config_string(cfg, sec, "to");
    int lf = ss_network_find_layer(net, from), lt = ss_network_find_layer(net, to);
    if (lf < 0)
        return ss_config_error(cfg, err, sec, "from", "no layer named '%s'", from);
    if (lt < 0)
        return ss_config_error(cfg, err, sec, "to", "no layer named '%s'", to);
    ss_projection_spec s;
    ss_projection_spec_default(&s);
    const char *connect = ss_config_string(cfg, sec, "connect");
    s.connect = strcmp(connect, "one_to_one") == 0       ? SS_CONNECT_ONE_TO_ONE
                : strcmp(connect, "fixed_prob") == 0     ? SS_CONNECT_FIXED_PROB
                : strcmp(connect, "fixed_indegree") == 0 ? SS_CONNECT_FIXED_INDEGREE
                : strcmp(connect, "label_match") == 0    ? SS_CONNECT_LABEL_MATCH
                : strcmp(connect, "label_mismatch") == 0 ? SS_CONNECT_LABEL_MISMATCH
                                                         : SS_CONNECT_ALL;
    s.p = ss_config_double(cfg, sec, "p");
    s.indegree = ss_config_int(cfg, sec, "indegree");
    s.autapses = ss_config_bool(cfg, sec, "autapses");
    const char *dist = ss_config_string(cfg, sec, "weight_dist");
    s.weight_dist = strcmp(dist, "uniform") == 0  ? SS_WEIGHT_UNIFORM
                    : strcmp(dist, "normal") == 0 ? SS_WEIGHT_NORMAL
                                                  : SS_WEIGHT_CONSTANT;
    s.weight = ss_config_double(cfg, sec, "weight");
    s.weight_sd = ss_config_double(cfg, sec, "weight_sd");
    s.weight_min = ss_config_double(cfg, sec, "weight_min");
    s.weight_max = ss_config_double(cfg, sec, "weight_max");
    s.delay_ms = ss_config_double(cfg, sec, "delay_ms");
    s.delay_max_ms = ss_config_double(cfg, sec, "delay_max_ms");
    s.plastic = ss_config_bool(cfg, sec, "plastic");
    double n_syn = expected_synapses(&s, ss_layer_size(ss_network_layer(net, (size_t)lf)),
                                     ss_layer_size(ss_network_layer(net, (size_t)lt)), lf == lt);
    double bytes = n_syn * SYNAPSE_BUILD_BYTES * (double)(net->share.end - net->share.first) /
                   net->share.n; /* the share's targets */
    if (bud->planned_bytes + bytes > bud->limit_bytes)
        return ss_config_error(cfg, err, sec, "connect",
                               "%.3g synapses need about %.0f MiB, which with the rest of the "
                               "network (%.0f MiB) exceeds %s (%.0f MiB)",
                               n_syn, mib(bytes), mib(bud->planned_bytes), bud->limit_by,
                               mib(bud->limit_bytes));
    bud->planned_bytes += bytes;
    const char *bad = NULL;
    int rc = ss__network_connect_k(net, name, (size_t)lf, (size_t)lt, &s, seed, &bad, err);
    if (rc >= 0)
        return SS_OK;
    return rethrow(cfg, err, sec, bad ? bad : "to", rc);
}

/* Whether projection p can excite at once (zero delay, a positive weight)
 * a layer with no refractory period. */
static int instant_excitation(const ss_network *net, const ss_projection *p)
{
    if (p->delay_ms > 0 || ss_layer_type_is_source(net->layers[p->from]->type) ||
        net->layers[p->to]->params.t_ref_ms > 0 || net->layers[p->from]->params.t_ref_ms > 0)
        return 0;
    for (size_t s = 0; s < p->n_syn; s++)
        if (p->weight[s] > 0 && (!p->delay || p->delay[s] == 0))
            return 1;
    return 0;
}

/* Depth-first search for a cycle of instant excitation through layer i:
 * state 1 on the current path, 2 done.  Returns the projection that closes
 * a cycle, or -1. */
static long find_cycle(const ss_network *net, size_t i, unsigned char *state)
{
    state[i] = 1;
    for (size_t k = 0; k < net->n_projs; k++) {
        const ss_projection *p = net->projs[k];
        if (p->from != i || !instant_excitation(net, p))
            continue;
        if (state[p->to] == 1)
            return (long)k;
        if (state[p->to] == 0) {
            long c = find_cycle(net, p->to, state);
            if (c >= 0)
                return c;
        }
    }
    state[i] = 2;
    return -1;
}

/* A cycle of zero-delay excitatory projections through neurons without a
 * refractory period can fire for ever at one instant (each spike re-excites
 * the neurons that caused it before time can move on): refused here, at the
 * line of a projection of the cycle, rather than left to hang the run. */
static int check_instant_cycles(const ss_network *net, const ss_config *cfg, ss_error *err)
{
    unsigned char *state = calloc(net->n_layers ? net->n_layers : 1, 1);
    if (!state)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    long k = -1;
    for (size_t i = 0; i < net->n_layers && k < 0; i++)
        if (!state[i])
            k = find_cycle(net, i, state);
    free(state);
    if (k < 0)
        return SS_OK;
    const ss_projection *p = net->projs[k];
    char sec[512];
    snprintf(sec, sizeof sec, "projection.%s", p->name);
    return ss_config_error(cfg, err, sec,
                           ss_config_is_set(cfg, sec, "delay_ms") ? "delay_ms" : "to",
                           "closes a cycle of zero-delay excitation through layers with t_ref_ms "
                           "= 0 (%s -> %s), which could fire for ever at one instant: give a "
                           "projection of the cycle delay_ms > 0 or its layers t_ref_ms > 0",
                           net->layers[p->from]->name, net->layers[p->to]->name);
}

ss_network *ss_network_from_config(const ss_config *cfg, unsigned long seed, ss_error *err)
{
    ss_share all = {0, 1, 1};
    return ss_network_from_config_share(cfg, seed, &all, err);
}

ss_network *ss_network_from_config_share(const ss_config *cfg, unsigned long seed,
                                         const ss_share *share, ss_error *err)
{
    if (!(share->n >= 1 && share->first < share->end && share->end <= share->n)) {
        ss_error_set(err, SS_EUSAGE, "network share: partitions [%u, %u) of %u", share->first,
                     share->end, share->n);
        return NULL;
    }
    ss_network *net = ss_network_alloc();
    if (!net) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    net->share = *share;
    size_t nl = ss_config_count(cfg, "layer"), np = ss_config_count(cfg, "projection");
    budget bud;
    budget_init(&bud, cfg);
    for (size_t i = 0; i < nl; i++) {
        const char *name = ss_config_name(cfg, "layer", i);
        char sec[512];
        snprintf(sec, sizeof sec, "layer.%s", name);
        /* the share's neurons */
        double frac = (double)(share->end - share->first) / share->n;
        double bytes = (double)ss_config_int(cfg, sec, "size") * NEURON_BYTES * frac;
        if (bud.planned_bytes + bytes > bud.limit_bytes) {
            ss_config_error(cfg, err, sec, "size",
                            "%ld neurons need about %.0f MiB, which with the layers before "
                            "exceeds %s (%.0f MiB)",
                            ss_config_int(cfg, sec, "size"), mib(bytes), bud.limit_by,
                            mib(bud.limit_bytes));
            goto fail;
        }
        bud.planned_bytes += bytes;
        if (add_layer(net, cfg, name, err) < 0)
            goto fail;
    }
    for (size_t i = 0; i < np; i++)
        if (add_projection(net, cfg, ss_config_name(cfg, "projection", i), seed, &bud, err) < 0)
            goto fail;
    if (check_instant_cycles(net, cfg, err) != SS_OK)
        goto fail;
    return net;
fail:
    ss_network_free(net);
    return NULL;
}
