/* Networks: layers, projections and their inspection (see network.h).  The
 * random connectivity rules live in connect.c, the model-file builder in
 * network_config.c. */
#define _POSIX_C_SOURCE 200809L
#include "network_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {"lif",     "lif_exp",    "poisson",
                                         "regular", "spike_file", "input"};

const char *ss_layer_type_name(ss_layer_type type)
{
    return (unsigned)type < sizeof type_names / sizeof type_names[0] ? type_names[type] : "?";
}

int ss_layer_type_is_source(ss_layer_type type)
{
    return type != SS_LAYER_LIF && type != SS_LAYER_LIF_EXP;
}

ss_network *ss_network_alloc(void)
{
    ss_network *net = calloc(1, sizeof(ss_network));
    if (net)
        net->share = (ss_share){0, 1, 1};
    return net;
}

void ss_network_share(const ss_network *net, ss_share *share)
{
    *share = net->share;
}

static void layer_free(ss_layer *l)
{
    if (!l)
        return;
    free(l->name);
    free(l->rates_hz);
    ss_spike_train_clear(&l->train);
    free(l);
}

void ss__projection_free(ss_projection *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->row_ptr);
    free(p->target);
    free(p->weight);
    free(p->delay);
    free(p->in_ptr);
    free(p->in_syn);
    free(p->in_pre);
    free(p);
}

void ss_network_free(ss_network *net)
{
    if (!net)
        return;
    for (size_t i = 0; i < net->n_layers; i++)
        layer_free(net->layers[i]);
    for (size_t i = 0; i < net->n_projs; i++)
        ss__projection_free(net->projs[i]);
    free(net->layers);
    free(net->projs);
    free(net);
}

/* Names go into error messages, raster files and event ids' owners: keep
 * them printable and unambiguous in a CSV. */
static int name_ok(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *c = name; *c; c++)
        if (*c == ',' || *c == '"' || *c == '\n' || *c == '\r')
            return 0;
    return 1;
}

ss_layer *ss__network_new_layer(ss_network *net, const char *name, ss_layer_type type, size_t size,
                                ss_error *err)
{
    if (!name_ok(name)) {
        ss_error_set(err, SS_ECONFIG, "layer name '%s' is empty or holds a comma or quote",
                     name ? name : "");
        return NULL;
    }
    if (ss_network_find_layer(net, name) >= 0) {
        ss_error_set(err, SS_ECONFIG, "layer '%s' defined twice", name);
        return NULL;
    }
    if (size == 0 || size > UINT32_MAX - 1) {
        ss_error_set(err, SS_ECONFIG, "layer '%s': size %zu out of range", name, size);
        return NULL;
    }
    if (net->n_layers >= 65535) {
        ss_error_set(err, SS_ECONFIG, "too many layers");
        return NULL;
    }
    if (net->n_layers == net->cap_layers) {
        size_t cap = net->cap_layers ? 2 * net->cap_layers : 8;
        ss_layer **ls = realloc(net->layers, cap * sizeof *ls);
        if (!ls)
            goto nomem;
        net->layers = ls;
        net->cap_layers = cap;
    }
    ss_layer *l = calloc(1, sizeof *l);
    if (!l || !(l->name = strdup(name))) {
        free(l);
        goto nomem;
    }
    l->type = type;
    l->index = (uint32_t)net->n_layers;
    l->size = (uint32_t)size;
    l->offset = net->n_neurons;
    ss_neuron_params_default(&l->params);
    net->layers[net->n_layers++] = l;
    net->n_neurons += size;
    return l;
nomem:
    ss_error_set(err, SS_ENOMEM, "out of memory");
    return NULL;
}

int ss_network_add_neurons(ss_network *net, const char *name, ss_layer_type type, size_t size,
                           const ss_neuron_params *params, ss_error *err)
{
    if (type != SS_LAYER_LIF && type != SS_LAYER_LIF_EXP)
        return ss_error_set(err, SS_EUSAGE, "layer '%s': %s is not a neuron model", name,
                            ss_layer_type_name(type));
    int rc = ss_neuron_params_check(params, NULL, err);
    if (rc)
        return rc;
    ss_layer *l = ss__network_new_layer(net, name, type, size, err);
    if (!l)
        return err ? err->code : SS_ECONFIG;
    l->params = *params;
    return (int)l->index;
}

int ss_network_add_poisson(ss_network *net, const char *name, size_t size, double rate_hz,
                           double start_ms, ss_error *err)
{
    if (!(rate_hz >= 0) || !isfinite(rate_hz))
        return ss_error_set(err, SS_ECONFIG, "layer '%s': rate_hz must be >= 0", name);
    if (!(start_ms >= 0) || !isfinite(start_ms))
        return ss_error_set(err, SS_ECONFIG, "layer '%s': start_ms must be >= 0", name);
    ss_layer *l = ss__network_new_layer(net, name, SS_LAYER_POISSON, size, err);
    if (!l)
        return err ? err->code : SS_ECONFIG;
    l->rate_hz = rate_hz;
    l->start_ms = start_ms;
    return (int)l->index;
}

int ss_network_set_poisson_rates(ss_network *net, size_t layer, const double *rates_hz, size_t n,
                                 ss_error *err)
{
    ss_layer *l = layer < net->n_layers ? net->layers[layer] : NULL;
    if (!l || l->type != SS_LAYER_POISSON)
        return ss_error_set(err, SS_EUSAGE, "per-neuron rates: layer %zu is not poisson", layer);
    if (n != l->size)
        return ss_error_set(err, SS_ECONFIG, "layer '%s': %zu rates for %u neurons", l->name, n,
                            l->size);
    for (size_t j = 0; j < n; j++)
        if (!(rates_hz[j] >= 0) || !isfinite(rates_hz[j]))
            return ss_error_set(err, SS_ECONFIG, "layer '%s': rate of neuron %zu must be >= 0",
                                l->name, j);
    double *r = malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    memcpy(r, rates_hz, n * sizeof *r);
    free(l->rates_hz);
    l->rates_hz = r;
    return SS_OK;
}

int ss_network_add_regular(ss_network *net, const char *name, size_t size, double isi_ms,
                           double start_ms, ss_error *err)
{
    if (!(isi_ms > 0) || !isfinite(isi_ms))
        return ss_error_set(err, SS_ECONFIG, "layer '%s': isi_ms must be > 0", name);
    if (!(start_ms >= 0) || !isfinite(start_ms))
        return ss_error_set(err, SS_ECONFIG, "layer '%s': start_ms must be >= 0", name);
    ss_layer *l = ss__network_new_layer(net, name, SS_LAYER_REGULAR, size, err);
    if (!l)
        return err ? err->code : SS_ECONFIG;
    l->isi_ms = isi_ms;
    l->start_ms = start_ms;
    return (int)l->index;
}

int ss_network_add_input(ss_network *net, const char *name, size_t size, ss_error *err)
{
    ss_layer *l = ss__network_new_layer(net, name, SS_LAYER_INPUT, size, err);
    return l ? (int)l->index : (err ? err->code : SS_ECONFIG);
}

int ss_network_add_spike_train(ss_network *net, const char *name, size_t size, const double *t_ms,
                               const uint32_t *neuron, size_t n, ss_error *err)
{
    ss_spike_train st = {0};
    int rc = ss_spike_train_set(&st, size, t_ms, neuron, n, err);
    if (rc)
        return rc;
    ss_layer *l = ss__network_new_layer(net, name, SS_LAYER_SPIKE_FILE, size, err);
    if (!l) {
        ss_spike_train_clear(&st);
        return err ? err->code : SS_ECONFIG;
    }
    l->train = st;
    return (int)l->index;
}

int ss_network_add_spike_file(ss_network *net, const char *name, size_t size, const char *path,
                              ss_error *err)
{
    ss_spike_train st = {0};
    int rc = ss_spike_file_read(path, size, &st, err);
    if (rc)
        return rc;
    ss_layer *l = ss__network_new_layer(net, name, SS_LAYER_SPIKE_FILE, size, err);
    if (!l) {
        ss_spike_train_clear(&st);
        return err ? err->code : SS_ECONFIG;
    }
    l->train = st;
    return (int)l->index;
}

int ss__network_add_projection(ss_network *net, ss_projection *p, ss_error *err)
{
    if (net->n_projs >= (1u << 23)) {
        ss__projection_free(p);
        return ss_error_set(err, SS_ECONFIG, "too many projections");
    }
    if (net->n_projs == net->cap_projs) {
        size_t cap = net->cap_projs ? 2 * net->cap_projs : 8;
        ss_projection **ps = realloc(net->projs, cap * sizeof *ps);
        if (!ps) {
            ss__projection_free(p);
            return ss_error_set(err, SS_ENOMEM, "out of memory");
        }
        net->projs = ps;
        net->cap_projs = cap;
    }
    p->index = (uint32_t)net->n_projs;
    net->projs[net->n_projs++] = p;
    return (int)p->index;
}

int ss_network_add_synapses(ss_network *net, const char *name, size_t from, size_t to, size_t n,
                            const uint32_t *pre, const uint32_t *post, const float *weight,
                            const float *delay_ms_each, double delay_ms, int plastic, ss_error *err)
{
    if (!name_ok(name))
        return ss_error_set(err, SS_ECONFIG, "projection name '%s' is empty or holds a comma",
                            name ? name : "");
    if (ss_network_find_projection(net, name) >= 0)
        return ss_error_set(err, SS_ECONFIG, "projection '%s' defined twice", name);
    if (from >= net->n_layers || to >= net->n_layers)
        return ss_error_set(err, SS_EUSAGE, "projection '%s': no such layer", name);
    if (ss_layer_type_is_source(net->layers[to]->type))
        return ss_error_set(err, SS_ECONFIG,
                            "projection '%s': layer '%s' is a %s source and takes no input", name,
                            net->layers[to]->name, ss_layer_type_name(net->layers[to]->type));
    if (!(delay_ms >= 0) || !isfinite(delay_ms))
        return ss_error_set(err, SS_ECONFIG, "projection '%s': delay_ms must be >= 0", name);
    ss_projection *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(name))) {
        free(p);
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    p->from = (uint32_t)from;
    p->to = (uint32_t)to;
    p->n_pre = net->layers[from]->size;
    p->n_post = net->layers[to]->size;
    p->delay_ms = delay_ms;
    p->plastic = plastic;
    int rc = ss__projection_from_pairs(p, n, pre, post, weight, delay_ms_each, err);
    if (rc) {
        ss__projection_free(p);
        return rc;
    }
    p->delay_floor_ms = fmin(delay_ms, p->delay_ms);
    return ss__network_add_projection(net, p, err);
}

size_t ss_network_n_layers(const ss_network *net)
{
    return net->n_layers;
}

size_t ss_network_n_projections(const ss_network *net)
{
    return net->n_projs;
}

size_t ss_network_n_neurons(const ss_network *net)
{
    return net->n_neurons;
}

ss_layer *ss_network_layer(const ss_network *net, size_t i)
{
    return i < net->n_layers ? net->layers[i] : NULL;
}

ss_projection *ss_network_projection(const ss_network *net, size_t i)
{
    return i < net->n_projs ? net->projs[i] : NULL;
}

int ss_network_find_layer(const ss_network *net, const char *name)
{
    for (size_t i = 0; i < net->n_layers; i++)
        if (strcmp(net->layers[i]->name, name) == 0)
            return (int)i;
    return -1;
}

int ss_network_find_projection(const ss_network *net, const char *name)
{
    for (size_t i = 0; i < net->n_projs; i++)
        if (strcmp(net->projs[i]->name, name) == 0)
            return (int)i;
    return -1;
}

const char *ss_layer_name(const ss_layer *l)
{
    return l->name;
}
ss_layer_type ss_layer_type_of(const ss_layer *l)
{
    return l->type;
}
size_t ss_layer_size(const ss_layer *l)
{
    return l->size;
}
size_t ss_layer_index(const ss_layer *l)
{
    return l->index;
}
size_t ss_layer_offset(const ss_layer *l)
{
    return l->offset;
}
const ss_neuron_params *ss_layer_params(const ss_layer *l)
{
    return ss_layer_type_is_source(l->type) ? NULL : &l->params;
}
double ss_layer_rate_hz(const ss_layer *l)
{
    if (l->type == SS_LAYER_POISSON)
        return l->rate_hz;
    if (l->type == SS_LAYER_REGULAR)
        return 1000.0 / l->isi_ms;
    return 0;
}

const char *ss_projection_name(const ss_projection *p)
{
    return p->name;
}
size_t ss_projection_from(const ss_projection *p)
{
    return p->from;
}
size_t ss_projection_to(const ss_projection *p)
{
    return p->to;
}
size_t ss_projection_n_synapses(const ss_projection *p)
{
    return p->n_syn;
}
int ss_projection_plastic(const ss_projection *p)
{
    return p->plastic;
}
double ss_projection_delay_ms(const ss_projection *p)
{
    return p->delay_ms;
}
const uint32_t *ss_projection_row_ptr(const ss_projection *p)
{
    return p->row_ptr;
}
const uint32_t *ss_projection_targets(const ss_projection *p)
{
    return p->target;
}
float *ss_projection_weights(ss_projection *p)
{
    return p->weight;
}
const float *ss_projection_delays(const ss_projection *p)
{
    return p->delay;
}

int ss_projection_build_incoming(ss_projection *p, ss_error *err)
{
    if (p->in_ptr)
        return SS_OK;
    uint32_t *ptr = calloc((size_t)p->n_post + 1, sizeof *ptr);
    uint32_t *syn = malloc((p->n_syn ? p->n_syn : 1) * sizeof *syn);
    uint32_t *pre = malloc((p->n_syn ? p->n_syn : 1) * sizeof *pre);
    if (!ptr || !syn || !pre) {
        free(ptr);
        free(syn);
        free(pre);
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    /* Counting sort by target; walking rows in order keeps pre ascending. */
    for (size_t s = 0; s < p->n_syn; s++)
        ptr[p->target[s] + 1]++;
    for (uint32_t j = 0; j < p->n_post; j++)
        ptr[j + 1] += ptr[j];
    uint32_t *fill = malloc(((size_t)p->n_post + 1) * sizeof *fill);
    if (!fill) {
        free(ptr);
        free(syn);
        free(pre);
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    memcpy(fill, ptr, ((size_t)p->n_post + 1) * sizeof *fill);
    for (uint32_t i = 0; i < p->n_pre; i++)
        for (uint32_t s = p->row_ptr[i]; s < p->row_ptr[i + 1]; s++) {
            uint32_t k = fill[p->target[s]]++;
            syn[k] = s;
            pre[k] = i;
        }
    free(fill);
    p->in_ptr = ptr;
    p->in_syn = syn;
    p->in_pre = pre;
    return SS_OK;
}

const uint32_t *ss_projection_in_ptr(const ss_projection *p)
{
    return p->in_ptr;
}
const uint32_t *ss_projection_in_syn(const ss_projection *p)
{
    return p->in_syn;
}
const uint32_t *ss_projection_in_pre(const ss_projection *p)
{
    return p->in_pre;
}

static size_t record_bytes(const ss_projection *p)
{
    return sizeof *p->target + sizeof *p->weight + (p->delay ? sizeof *p->delay : 0);
}

static size_t projection_bytes(const ss_projection *p)
{
    return p->n_syn * record_bytes(p) + ((size_t)p->n_pre + 1) * sizeof *p->row_ptr;
}

double ss_projection_bytes_per_synapse(const ss_projection *p)
{
    return (double)record_bytes(p);
}

double ss_projection_bytes_per_synapse_total(const ss_projection *p)
{
    return p->n_syn ? (double)projection_bytes(p) / (double)p->n_syn : 0;
}

/* Per-neuron bytes of the engine's state for each layer type, see layer_*.c:
 * lif, a 32-byte record plus its share of the bucket heads (about as much);
 * lif_exp, a 48-byte record plus a heap entry and position; sources, a heap
 * entry and position plus a counter. */
static size_t state_bytes_per_neuron(ss_layer_type type)
{
    switch (type) {
    case SS_LAYER_LIF:
        return 32 + 32;
    case SS_LAYER_LIF_EXP:
        return 48 + 24 + 4;
    case SS_LAYER_SPIKE_FILE:
        return 0;
    default:
        return 24 + 4 + 8;
    }
}

void ss_network_summarize(const ss_network *net, ss_network_summary *s)
{
    memset(s, 0, sizeof *s);
    s->n_layers = net->n_layers;
    s->n_projections = net->n_projs;
    s->n_neurons = net->n_neurons;
    size_t state = 0;
    for (size_t i = 0; i < net->n_layers; i++) {
        const ss_layer *l = net->layers[i];
        state += (size_t)l->size * state_bytes_per_neuron(l->type) +
                 l->train.n * (sizeof *l->train.t_ms + sizeof *l->train.neuron);
    }
    size_t records = 0;
    for (size_t i = 0; i < net->n_projs; i++) {
        s->n_synapses += net->projs[i]->n_syn;
        s->synapse_bytes += projection_bytes(net->projs[i]);
        records += net->projs[i]->n_syn * record_bytes(net->projs[i]);
    }
    s->bytes_per_synapse = s->n_synapses ? (double)records / (double)s->n_synapses : 0;
    s->bytes_per_synapse_total =
        s->n_synapses ? (double)s->synapse_bytes / (double)s->n_synapses : 0;
    s->estimated_bytes = s->synapse_bytes + state;
}
