/* Internal: the layout of networks, shared by network*.c, connect.c and the
 * engine.  Not installed. */
#ifndef SS_NETWORK_IMPL_H
#define SS_NETWORK_IMPL_H

#include <spiksim/network.h>
#include <spiksim/source.h>

struct ss_layer {
    char *name;
    ss_layer_type type;
    uint32_t index;
    uint32_t size;
    size_t offset;           /* global id of neuron 0 */
    ss_neuron_params params; /* lif, lif_exp */
    double rate_hz;          /* poisson */
    double *rates_hz;        /* poisson: one rate per neuron (rates_file), NULL: rate_hz */
    double isi_ms;           /* regular */
    double start_ms;         /* poisson, regular */
    ss_spike_train train;    /* spike_file */
};

struct ss_projection {
    char *name;
    uint32_t index, from, to;
    uint32_t n_pre, n_post;
    size_t n_syn;
    uint32_t *row_ptr; /* n_pre + 1 */
    uint32_t *target;
    float *weight;
    float *delay; /* NULL: every synapse has delay_ms */
    double delay_ms;
    /* No synapse of the projection, on any process, has a shorter delay:
     * the configured lower bound (individual delays are drawn above it), so
     * every rank computes the same windows from it. */
    double delay_floor_ms;
    int plastic;
    uint32_t *in_ptr, *in_syn, *in_pre; /* incoming index, built on request */
};

struct ss_network {
    ss_share share; /* whose synapses it holds: targets in these partitions */
    ss_layer **layers;
    size_t n_layers, cap_layers;
    ss_projection **projs;
    size_t n_projs, cap_projs;
    size_t n_neurons;
};

/* Adds a layer shell (name checked, offset assigned); returns it or NULL. */
ss_layer *ss__network_new_layer(ss_network *net, const char *name, ss_layer_type type, size_t size,
                                ss_error *err);
/* Adds a finished projection (takes ownership); its index or a code. */
int ss__network_add_projection(ss_network *net, ss_projection *p, ss_error *err);
void ss__projection_free(ss_projection *p);
/* Sorts each row by (delay, target) and builds row_ptr from per-synapse
 * (pre, post, weight, delay) arrays already grouped by pre; see connect.c. */
int ss__projection_from_pairs(ss_projection *p, size_t n, const uint32_t *pre, const uint32_t *post,
                              const float *weight, const float *delay, ss_error *err);

/* ss_network_connect(), also naming the model-file key at fault. */
int ss__network_connect_k(ss_network *net, const char *name, size_t from, size_t to,
                          const ss_projection_spec *spec, unsigned long seed, const char **bad_key,
                          ss_error *err);

#endif
