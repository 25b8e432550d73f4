/* Spike rasters in memory: tables, spikes, selection, rates; see raster.h. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/raster.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "raster_internal.h"

const char *ss_phase_name(ss_phase phase)
{
    return phase == SS_PHASE_TRAIN ? "train" : "test";
}

ss_raster *ss_raster_alloc(void)
{
    ss_raster *r = calloc(1, sizeof *r);
    if (r) {
        r->window.t0_ms = 0;
        r->window.t1_ms = INFINITY;
    }
    return r;
}

static void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void ss_raster_free(ss_raster *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_layers; i++) {
        free(r->layers[i].name);
        free_names(r->layers[i].neuron_names, r->layers[i].size);
    }
    for (size_t i = 0; i < r->n_samples; i++) {
        free(r->samples[i].label);
        free(r->samples[i].predicted);
    }
    free(r->layers);
    free(r->samples);
    free(r->spikes);
    free(r);
}

/* Grows *arr (of *cap elements of size elem) to hold at least need. */
int ss_raster_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return -1;
        n *= 2;
    }
    void *p = realloc(*arr, n * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = n;
    return 0;
}

/* strdup that keeps NULL as NULL; *ok cleared on allocation failure. */
static char *dup_or_null(const char *s, int *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = 0;
    return d;
}

int ss_raster_add_layer(ss_raster *r, const char *name, uint32_t size, ss_error *err)
{
    if (!name || !*name)
        return ss_error_set(err, SS_EUSAGE, "raster: a layer needs a name");
    if (size == 0)
        return ss_error_set(err, SS_EUSAGE, "raster: layer '%s' has no neurons", name);
    if (r->n_layers >= INT32_MAX)
        return ss_error_set(err, SS_EUSAGE, "raster: too many layers");
    if (ss_raster_grow((void **)&r->layers, &r->cap_layers, r->n_layers + 1, sizeof *r->layers))
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    ss_raster_layer *l = &r->layers[r->n_layers];
    l->name = strdup(name);
    if (!l->name)
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    l->size = size;
    l->neuron_names = NULL;
    return (int)r->n_layers++;
}

int ss_raster_add_sample(ss_raster *r, ss_phase phase, int32_t index, const char *label,
                         double t0_ms, double t1_ms, ss_error *err)
{
    if (phase != SS_PHASE_TRAIN && phase != SS_PHASE_TEST)
        return ss_error_set(err, SS_EUSAGE, "raster: unknown phase %d", (int)phase);
    if (!isfinite(t0_ms) || !isfinite(t1_ms) || !(t0_ms < t1_ms))
        return ss_error_set(err, SS_EUSAGE, "raster: presentation window [%g, %g) ms is empty",
                            t0_ms, t1_ms);
    if (index < 0)
        return ss_error_set(err, SS_EUSAGE, "raster: sample index %d is negative", (int)index);
    if (r->n_samples >= INT32_MAX)
        return ss_error_set(err, SS_EUSAGE, "raster: too many samples");
    if (ss_raster_grow((void **)&r->samples, &r->cap_samples, r->n_samples + 1, sizeof *r->samples))
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    int ok = 1;
    ss_raster_sample *s = &r->samples[r->n_samples];
    s->index = index;
    s->phase = phase;
    s->label = dup_or_null(label, &ok);
    s->predicted = NULL;
    s->t0_ms = t0_ms;
    s->t1_ms = t1_ms;
    if (!ok)
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    return (int)r->n_samples++;
}

int ss_raster_set_neuron_names(ss_raster *r, size_t layer, const char *const *names, ss_error *err)
{
    if (layer >= r->n_layers)
        return ss_error_set(err, SS_EUSAGE, "raster: no layer %zu", layer);
    ss_raster_layer *l = &r->layers[layer];
    char **copy = calloc(l->size, sizeof *copy);
    int ok = copy != NULL;
    for (uint32_t i = 0; ok && i < l->size; i++) {
        if (!names[i]) {
            free_names(copy, l->size);
            return ss_error_set(err, SS_EUSAGE, "raster: layer '%s': neuron %u has no name",
                                l->name, (unsigned)i);
        }
        copy[i] = dup_or_null(names[i], &ok);
    }
    if (!ok) {
        free_names(copy, l->size);
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    }
    free_names(l->neuron_names, l->size);
    l->neuron_names = copy;
    return 0;
}

int ss_raster_set_predicted(ss_raster *r, size_t sample, const char *predicted, ss_error *err)
{
    if (sample >= r->n_samples)
        return ss_error_set(err, SS_EUSAGE, "raster: no sample %zu", sample);
    int ok = 1;
    char *copy = dup_or_null(predicted, &ok);
    if (!ok)
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    free(r->samples[sample].predicted);
    r->samples[sample].predicted = copy;
    return 0;
}

int ss_raster_add_spike(ss_raster *r, double t_ms, uint32_t layer, uint32_t neuron, int32_t sample,
                        ss_error *err)
{
    if (!isfinite(t_ms))
        return ss_error_set(err, SS_EDATA, "raster: spike time %g is not finite", t_ms);
    if (layer >= r->n_layers)
        return ss_error_set(err, SS_EDATA, "raster: spike in unknown layer %u", (unsigned)layer);
    if (neuron >= r->layers[layer].size)
        return ss_error_set(err, SS_EDATA, "raster: spike of neuron %u, but layer '%s' has %u",
                            (unsigned)neuron, r->layers[layer].name,
                            (unsigned)r->layers[layer].size);
    if (sample < -1 || (sample >= 0 && (size_t)sample >= r->n_samples))
        return ss_error_set(err, SS_EDATA, "raster: spike of unknown sample %d", (int)sample);
    if (ss_raster_grow((void **)&r->spikes, &r->cap_spikes, r->n_spikes + 1, sizeof *r->spikes))
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    r->spikes[r->n_spikes++] = (ss_raster_spike){t_ms, layer, neuron, sample};
    return 0;
}

/* The writers' order: time, then (for simultaneous spikes) layer, neuron and
 * sample, so that equal inputs give byte-identical files. */
int ss_raster_spike_cmp(const ss_raster_spike *a, const ss_raster_spike *b)
{
    if (a->t_ms != b->t_ms)
        return a->t_ms < b->t_ms ? -1 : 1;
    if (a->layer != b->layer)
        return a->layer < b->layer ? -1 : 1;
    if (a->neuron != b->neuron)
        return a->neuron < b->neuron ? -1 : 1;
    if (a->sample != b->sample)
        return a->sample < b->sample ? -1 : 1;
    return 0;
}

static int cmp_void(const void *a, const void *b)
{
    return ss_raster_spike_cmp(a, b);
}

int ss_raster_is_sorted(const ss_raster *r)
{
    for (size_t i = 1; i < r->n_spikes; i++)
        if (ss_raster_spike_cmp(&r->spikes[i - 1], &r->spikes[i]) > 0)
            return 0;
    return 1;
}

void ss_raster_sort(ss_raster *r)
{
    /* Engines emit spikes almost in order; skip the sort when they did. */
    if (!ss_raster_is_sorted(r))
        qsort(r->spikes, r->n_spikes, sizeof *r->spikes, cmp_void);
}

int ss_raster_select(ss_raster *r, const unsigned char *keep_layers,
                     const ss_raster_samples *samples, const ss_raster_window *window,
                     ss_error *err)
{
    if (window && !(window->t0_ms < window->t1_ms))
        return ss_error_set(err, SS_EUSAGE, "raster: window [%g, %g) ms is empty", window->t0_ms,
                            window->t1_ms);
    /* New index of each layer and sample, -1 when it goes. */
    int32_t *layer_to = malloc((r->n_layers + 1) * sizeof *layer_to);
    int32_t *sample_to = malloc((r->n_samples + 1) * sizeof *sample_to);
    if (!layer_to || !sample_to) {
        free(layer_to);
        free(sample_to);
        return ss_error_set(err, SS_ENOMEM, "raster: out of memory");
    }
    size_t nl = 0;
    for (size_t i = 0; i < r->n_layers; i++) {
        if (keep_layers && !keep_layers[i]) {
            free(r->layers[i].name);
            free_names(r->layers[i].neuron_names, r->layers[i].size);
            layer_to[i] = -1;
        } else {
            layer_to[i] = (int32_t)nl;
            r->layers[nl++] = r->layers[i];
        }
    }
    size_t ns = 0;
    for (size_t i = 0; i < r->n_samples; i++) {
        ss_raster_sample *s = &r->samples[i];
        if (samples && !ss_raster_samples_match(samples, s->phase, s->index, i)) {
            free(s->label);
            free(s->predicted);
            sample_to[i] = -1;
        } else {
            sample_to[i] = (int32_t)ns;
            r->samples[ns++] = *s;
        }
    }
    size_t nk = 0;
    for (size_t i = 0; i < r->n_spikes; i++) {
        ss_raster_spike sp = r->spikes[i];
        if (layer_to[sp.layer] < 0)
            continue;
        double t_rel = sp.t_ms;
        if (sp.sample >= 0) {
            if (sample_to[sp.sample] < 0)
                continue;
            t_rel -= r->samples[sample_to[sp.sample]].t0_ms;
            sp.sample = sample_to[sp.sample];
        } else if (samples && !samples->all) {
            continue;
        }
        if (window && !ss_raster_window_contains(window, t_rel))
            continue;
        sp.layer = (uint32_t)layer_to[sp.layer];
        r->spikes[nk++] = sp;
    }
    r->n_layers = nl;
    r->n_samples = ns;
    r->n_spikes = nk;
    if (window)
        r->window = *window;
    free(layer_to);
    free(sample_to);
    ss_raster_sort(r);
    return 0;
}

/* Recorded part of sample s, absolute [*a, *b); empty when a >= b. */
void ss_raster_sample_span(const ss_raster *r, size_t s, double *a, double *b)
{
    const ss_raster_sample *smp = &r->samples[s];
    *a = smp->t0_ms + r->window.t0_ms;
    *b = fmin(smp->t1_ms, smp->t0_ms + r->window.t1_ms);
    if (*a > smp->t1_ms)
        *a = smp->t1_ms;
    if (*b < *a)
        *b = *a;
}

/* Time span of a raster without presentations: the window, closed at the
 * last spike when open-ended. */
void ss_raster_free_span(const ss_raster *r, double *a, double *b)
{
    *a = r->window.t0_ms;
    *b = r->window.t1_ms;
    if (!isfinite(*b)) {
        double last = r->n_spikes ? r->spikes[r->n_spikes - 1].t_ms : *a;
        *b = fmax(last, *a);
    }
}

double ss_raster_observed_ms(const ss_raster *r)
{
    double a, b, total = 0;
    if (r->n_samples == 0) {
        ss_raster_free_span(r, &a, &b);
        return b - a;
    }
    for (size_t s = 0; s < r->n_samples; s++) {
        ss_raster_sample_span(r, s, &a, &b);
        total += b - a;
    }
    return total;
}

int ss_raster_layer_rates(const ss_raster *r, size_t layer, double *rates_hz, ss_error *err)
{
    if (layer >= r->n_layers)
        return ss_error_set(err, SS_EUSAGE, "raster: no layer %zu", layer);
    uint32_t n = r->layers[layer].size;
    for (uint32_t i = 0; i < n; i++)
        rates_hz[i] = 0;
    /* Only spikes inside the observed time count, so that rates and
     * observed time agree. */
    int with_samples = r->n_samples > 0;
    for (size_t i = 0; i < r->n_spikes; i++) {
        const ss_raster_spike *sp = &r->spikes[i];
        if (sp->layer != layer || (with_samples && sp->sample < 0))
            continue;
        rates_hz[sp->neuron] += 1;
    }
    double observed_s = ss_raster_observed_ms(r) / 1000.0;
    for (uint32_t i = 0; i < n; i++)
        rates_hz[i] = observed_s > 0 ? rates_hz[i] / observed_s : 0;
    return 0;
}
