/* Networks: layers of neurons or spike sources, and projections of synapses
 * between them, stored as compressed rows.
 *
 * A network is built either from a model file (ss_network_from_config) or by
 * hand: add layers, then connect them with a projection spec (random
 * connectivity drawn from streams keyed by a seed) or with an explicit
 * synapse list.  Layers and projections are numbered in the order they were added.
 *
 * Synapses of a projection are stored by presynaptic neuron: row pre holds
 * targets[row_ptr[pre] .. row_ptr[pre+1]) (target indices in the postsynaptic
 * layer, ascending) and the matching float weights.  A static synapse with
 * the projection's common delay costs 8 bytes (uint32 target, float weight);
 * individual delays (delay_max_ms above delay_ms) add a float, and within each
 * row the synapses are then sorted by delay, then target.
 */
#ifndef SPIKSIM_NETWORK_H
#define SPIKSIM_NETWORK_H

#include <stddef.h>
#include <stdint.h>
#include <spiksim/config.h>
#include <spiksim/error.h>
#include <spiksim/neuron.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SS_LAYER_LIF,
    SS_LAYER_LIF_EXP,
    SS_LAYER_POISSON,    /* rate_hz from start_ms on */
    SS_LAYER_REGULAR,    /* a spike every isi_ms from start_ms on */
    SS_LAYER_SPIKE_FILE, /* given spike times */
    SS_LAYER_INPUT       /* rates set from outside, see ss_engine_set_input() */
} ss_layer_type;

/* "lif", "lif_exp", "poisson", "regular", "spike_file", "input". */
const char *ss_layer_type_name(ss_layer_type type);
/* 1 for the source types (they cannot be the target of a projection). */
int ss_layer_type_is_source(ss_layer_type type);

typedef enum {
    SS_CONNECT_ALL,
    SS_CONNECT_ONE_TO_ONE,
    SS_CONNECT_FIXED_PROB,
    SS_CONNECT_FIXED_INDEGREE,
    SS_CONNECT_LABEL_MATCH,   /* pre k -> post j with j % n_pre == k (class tags) */
    SS_CONNECT_LABEL_MISMATCH /* pre k -> post j with j % n_pre != k */
} ss_connect_rule;

typedef enum { SS_WEIGHT_CONSTANT, SS_WEIGHT_UNIFORM, SS_WEIGHT_NORMAL } ss_weight_dist;

/* A projection spec: the [projection.NAME] keys. */
typedef struct ss_projection_spec {
    ss_connect_rule connect;
    double p;      /* fixed_prob */
    long indegree; /* fixed_indegree */
    int autapses;  /* allow i -> i when from == to */
    ss_weight_dist weight_dist;
    double weight;                 /* constant value, or the mean of normal */
    double weight_sd;              /* normal */
    double weight_min, weight_max; /* uniform bounds; normal redraws outside them */
    double delay_ms;
    double delay_max_ms; /* above delay_ms: each synapse uniform in [delay_ms, delay_max_ms] */
    int plastic;
} ss_projection_spec;

/* The model-file defaults. */
void ss_projection_spec_default(ss_projection_spec *s);
/* 0, or SS_ECONFIG; *bad_key names the key at fault. */
int ss_projection_spec_check(const ss_projection_spec *s, const char **bad_key, ss_error *err);

typedef struct ss_network ss_network;
typedef struct ss_layer ss_layer;
typedef struct ss_projection ss_projection;

ss_network *ss_network_alloc(void);
void ss_network_free(ss_network *net);

/* Each add returns the new layer's index (>= 0) or a negative SS_E* code.
 * Layer names are unique. */
int ss_network_add_neurons(ss_network *net, const char *name, ss_layer_type type, size_t size,
                           const ss_neuron_params *params, ss_error *err);
int ss_network_add_poisson(ss_network *net, const char *name, size_t size, double rate_hz,
                           double start_ms, ss_error *err);
/* One rate per neuron of poisson layer layer (n = its size; each >= 0,
 * finite), instead of its one rate_hz; copied. */
int ss_network_set_poisson_rates(ss_network *net, size_t layer, const double *rates_hz,
                                 size_t n, ss_error *err);
int ss_network_add_regular(ss_network *net, const char *name, size_t size, double isi_ms,
                           double start_ms, ss_error *err);
int ss_network_add_input(ss_network *net, const char *name, size_t size, ss_error *err);
/* n spikes (t_ms[k], neuron[k]), sorted by time; copied. */
int ss_network_add_spike_train(ss_network *net, const char *name, size_t size, const double *t_ms,
                               const uint32_t *neuron, size_t n, ss_error *err);
/* Reads a CSV file of time_ms,neuron rows (see source.h). */
int ss_network_add_spike_file(ss_network *net, const char *name, size_t size, const char *path,
                              ss_error *err);

/* Draws the synapses of a new projection from -> to; returns its index or a
 * negative code.  The draws come from streams keyed by seed, the
 * projection's name and each target neuron (stream.h), so the synapses onto
 * a neuron do not depend on the rest of the network. */
int ss_network_connect(ss_network *net, const char *name, size_t from, size_t to,
                       const ss_projection_spec *spec, unsigned long seed, ss_error *err);
/* A projection from an explicit list of n synapses; delay_ms_each may be
 * NULL (every synapse then has delay_ms). */
int ss_network_add_synapses(ss_network *net, const char *name, size_t from, size_t to, size_t n,
                            const uint32_t *pre, const uint32_t *post, const float *weight,
                            const float *delay_ms_each, double delay_ms, int plastic,
                            ss_error *err);

/* Builds the network of a model file: its [layer.NAME] sections in file
 * order, then its [projection.NAME] sections.  Semantic errors name the
 * model file and line ("FILE:LINE: [layer.x] v_th_mv: ...", SS_ECONFIG) or,
 * for a spike file, that file's line (SS_EDATA). */
ss_network *ss_network_from_config(const ss_config *cfg, unsigned long seed, ss_error *err);

/* A process's share of a network split into partitions (docs/parallel.md):
 * partitions [first, end) of n; each layer is dealt to the n partitions in
 * contiguous blocks, block q starting at ss_block_first(size, q, n).  The
 * whole network is {0, 1, 1}. */
typedef struct ss_share {
    unsigned first, end, n;
} ss_share;

static inline size_t ss_block_first(size_t size, unsigned q, unsigned n)
{
    return (size_t)((unsigned long long)q * size / n);
}

/* The network of a model file with only the synapses onto the share's
 * neurons (every layer is described whole; sources are whole): the same
 * synapses, weights and delays as the whole network has for those neurons. */
ss_network *ss_network_from_config_share(const ss_config *cfg, unsigned long seed,
                                         const ss_share *share, ss_error *err);
/* The share the network was built for. */
void ss_network_share(const ss_network *net, ss_share *share);

/* ---- inspection ---- */

size_t ss_network_n_layers(const ss_network *net);
size_t ss_network_n_projections(const ss_network *net);
/* Total neurons (sources included); global ids run layer by layer. */
size_t ss_network_n_neurons(const ss_network *net);
ss_layer *ss_network_layer(const ss_network *net, size_t i);
ss_projection *ss_network_projection(const ss_network *net, size_t i);
/* Index by name, or -1. */
int ss_network_find_layer(const ss_network *net, const char *name);
int ss_network_find_projection(const ss_network *net, const char *name);

const char *ss_layer_name(const ss_layer *l);
ss_layer_type ss_layer_type_of(const ss_layer *l);
size_t ss_layer_size(const ss_layer *l);
size_t ss_layer_index(const ss_layer *l);
/* Global id of neuron 0 of the layer. */
size_t ss_layer_offset(const ss_layer *l);
/* Neuron parameters (lif, lif_exp), NULL for sources. */
const ss_neuron_params *ss_layer_params(const ss_layer *l);
/* poisson: rate; regular: 1000/isi; others 0. */
double ss_layer_rate_hz(const ss_layer *l);

const char *ss_projection_name(const ss_projection *p);
size_t ss_projection_from(const ss_projection *p);
size_t ss_projection_to(const ss_projection *p);
size_t ss_projection_n_synapses(const ss_projection *p);
int ss_projection_plastic(const ss_projection *p);
/* The common delay (individual delays: their lower bound). */
double ss_projection_delay_ms(const ss_projection *p);
/* Compressed rows: n_pre + 1 offsets, then targets and weights (weights are
 * writable: plasticity changes them in place), and individual delays or
 * NULL. */
const uint32_t *ss_projection_row_ptr(const ss_projection *p);
const uint32_t *ss_projection_targets(const ss_projection *p);
float *ss_projection_weights(ss_projection *p);
const float *ss_projection_delays(const ss_projection *p);
/* Incoming synapses by postsynaptic neuron, built once on request: for post,
 * syn[k] and pre[k] for k in [ptr[post], ptr[post+1]), pre ascending. */
int ss_projection_build_incoming(ss_projection *p, ss_error *err);
const uint32_t *ss_projection_in_ptr(const ss_projection *p);
const uint32_t *ss_projection_in_syn(const ss_projection *p);
const uint32_t *ss_projection_in_pre(const ss_projection *p);
/* Bytes per synapse: its own record (uint32 target + float weight = 8, plus
 * 4 with individual delays), and the same with the projection's row offsets
 * shared out over its synapses. */
double ss_projection_bytes_per_synapse(const ss_projection *p);
double ss_projection_bytes_per_synapse_total(const ss_projection *p);

typedef struct ss_network_summary {
    size_t n_layers, n_projections, n_neurons, n_synapses;
    double bytes_per_synapse;       /* synapse records only (8 for static synapses) */
    double bytes_per_synapse_total; /* row offsets included */
    size_t synapse_bytes;           /* every projection's arrays */
    size_t estimated_bytes;         /* synapses plus the engine's state for a run */
} ss_network_summary;

void ss_network_summarize(const ss_network *net, ss_network_summary *s);

#ifdef __cplusplus
}
#endif
#endif
