/* Per-layer spike buffers fed by an engine observer (see record.h). */
#include <spiksim/record.h>

#include "network_impl.h"

#include <stdlib.h>

typedef struct rec_layer {
    double *t;
    uint32_t *neuron;
    size_t n, cap;
    int on;
} rec_layer;

struct ss_recorder {
    const ss_network *net;
    rec_layer *layers;
    size_t n_layers;
    int status;
};

ss_recorder *ss_recorder_alloc(const ss_network *net)
{
    ss_recorder *rec = calloc(1, sizeof *rec);
    if (!rec)
        return NULL;
    rec->net = net;
    rec->n_layers = ss_network_n_layers(net);
    rec->layers = calloc(rec->n_layers ? rec->n_layers : 1, sizeof *rec->layers);
    if (!rec->layers) {
        free(rec);
        return NULL;
    }
    for (size_t i = 0; i < rec->n_layers; i++)
        rec->layers[i].on = 1;
    return rec;
}

void ss_recorder_free(ss_recorder *rec)
{
    if (!rec)
        return;
    for (size_t i = 0; i < rec->n_layers; i++) {
        free(rec->layers[i].t);
        free(rec->layers[i].neuron);
    }
    free(rec->layers);
    free(rec);
}

void ss_recorder_enable(ss_recorder *rec, size_t layer, int on)
{
    if (layer < rec->n_layers)
        rec->layers[layer].on = on;
}

static void on_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    ss_recorder *rec = ctx;
    rec_layer *l = &rec->layers[layer];
    if (!l->on)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        double *t = realloc(l->t, cap * sizeof *t);
        if (t)
            l->t = t;
        uint32_t *nr = t ? realloc(l->neuron, cap * sizeof *nr) : NULL;
        if (nr)
            l->neuron = nr;
        if (!t || !nr) {
            rec->status = SS_ENOMEM;
            return;
        }
        l->cap = cap;
    }
    l->t[l->n] = t_ms;
    l->neuron[l->n] = (uint32_t)neuron;
    l->n++;
}

int ss_recorder_attach(ss_recorder *rec, ss_engine *eng)
{
    return ss_engine_add_observer(eng, on_spike, rec);
}

void ss_recorder_detach(ss_recorder *rec, ss_engine *eng)
{
    ss_engine_remove_observer(eng, on_spike, rec);
}

void ss_recorder_clear(ss_recorder *rec)
{
    for (size_t i = 0; i < rec->n_layers; i++)
        rec->layers[i].n = 0;
    rec->status = SS_OK;
}

size_t ss_recorder_spikes(const ss_recorder *rec, size_t layer, const double **t_ms,
                          const uint32_t **neuron)
{
    if (layer >= rec->n_layers)
        return 0;
    if (t_ms)
        *t_ms = rec->layers[layer].t;
    if (neuron)
        *neuron = rec->layers[layer].neuron;
    return rec->layers[layer].n;
}

size_t ss_recorder_total(const ss_recorder *rec)
{
    size_t n = 0;
    for (size_t i = 0; i < rec->n_layers; i++)
        n += rec->layers[i].n;
    return n;
}

int ss_recorder_status(const ss_recorder *rec)
{
    return rec->status;
}

const ss_network *ss_recorder_network(const ss_recorder *rec)
{
    return rec->net;
}
