/* Capturing spikes into a raster, see capture.h. */
#include <spiksim/capture.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ss_capture {
    ss_raster *r;
    ss_raster_request req;
    int32_t *raster_layer; /* network layer -> raster layer, -1: not kept */
    size_t n_net_layers;
    const char *const *class_names;
    size_t n_classes;
    double train_window_ms, test_window_ms; /* how long each kind of presentation lasts */
    double window_ms;                       /* the one being recorded */
    int free_running;
    int recording;    /* inside a selected presentation */
    int32_t sample;   /* its raster sample */
    double engine_t0; /* engine time the presentation started */
    double raster_t0; /* where its column starts on the raster's time axis */
    size_t ordinal;   /* eligible presentations seen */
    size_t dropped;
    int failed; /* out of memory while recording: stop, report once */
};

void ss_raster_request_default(ss_raster_request *req)
{
    memset(req, 0, sizeof *req);
    req->samples.all = 1;
    req->window.t0_ms = 0;
    req->window.t1_ms = INFINITY;
}

ss_capture *ss_capture_alloc(const ss_raster_request *req, const ss_network *net,
                             size_t output_layer, const char *const *class_names, size_t n_classes,
                             double train_window_ms, double test_window_ms, ss_error *err)
{
    size_t n = ss_network_n_layers(net);
    ss_capture *cap = calloc(1, sizeof *cap);
    const char **names = calloc(n ? n : 1, sizeof *names);
    unsigned char *keep = calloc(n ? n : 1, 1);
    if (cap)
        cap->raster_layer = malloc((n ? n : 1) * sizeof *cap->raster_layer);
    if (cap)
        cap->r = ss_raster_alloc();
    int rc = cap && names && keep && cap->raster_layer && cap->r
                 ? SS_OK
                 : ss_error_set(err, SS_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SS_OK && i < n; i++) {
        names[i] = ss_layer_name(ss_network_layer(net, i));
        keep[i] = 1;
    }
    if (rc == SS_OK && req->layers)
        rc = ss_raster_layers_parse(req->layers, names, n, keep, err);
    for (size_t i = 0; rc == SS_OK && i < n; i++) {
        cap->raster_layer[i] = -1;
        if (!keep[i])
            continue;
        int k = ss_raster_add_layer(cap->r, names[i],
                                    (uint32_t)ss_layer_size(ss_network_layer(net, i)), err);
        if (k < 0)
            rc = k;
        else
            cap->raster_layer[i] = k;
        if (rc == SS_OK && i == output_layer && class_names &&
            ss_layer_size(ss_network_layer(net, i)) == n_classes)
            rc = ss_raster_set_neuron_names(cap->r, (size_t)k, class_names, err);
    }
    free(names);
    free(keep);
    if (rc != SS_OK) {
        ss_capture_free(cap);
        return NULL;
    }
    cap->req = *req;
    cap->r->window = req->window; /* the pictures crop each column to it */
    cap->n_net_layers = n;
    cap->class_names = class_names;
    cap->n_classes = n_classes;
    cap->train_window_ms = train_window_ms;
    cap->test_window_ms = test_window_ms;
    cap->sample = -1;
    return cap;
}

void ss_capture_free(ss_capture *cap)
{
    if (!cap)
        return;
    ss_raster_free(cap->r);
    free(cap->raster_layer);
    free(cap);
}

void ss_capture_free_running(ss_capture *cap)
{
    cap->free_running = 1;
    cap->recording = 1;
}

static const char *class_name(const ss_capture *cap, int k)
{
    if (k < 0)
        return NULL;
    return cap->class_names && (size_t)k < cap->n_classes ? cap->class_names[k] : "?";
}

void ss_capture_presentation(void *ctx, int begin, ss_pass kind, long epoch, size_t index,
                             int label, int predicted, double t0_ms)
{
    ss_capture *cap = ctx;
    if (cap->free_running || cap->failed)
        return;
    if (!begin) {
        if (cap->recording) {
            if (ss_raster_set_predicted(cap->r, (size_t)cap->sample, class_name(cap, predicted),
                                        NULL) < 0)
                cap->failed = 1;
            cap->raster_t0 += cap->window_ms;
        }
        cap->recording = 0;
        return;
    }
    /* Only the first epoch's training and the final test make columns: the
     * same sample seen again in later epochs or attacks would repeat. */
    int eligible = (kind == SS_PASS_TRAIN && epoch == 0) || kind == SS_PASS_TEST;
    if (!eligible)
        return;
    ss_phase phase = kind == SS_PASS_TEST ? SS_PHASE_TEST : SS_PHASE_TRAIN;
    cap->window_ms = kind == SS_PASS_TRAIN ? cap->train_window_ms : cap->test_window_ms;
    int match = ss_raster_samples_match(&cap->req.samples, phase, (int32_t)index, cap->ordinal);
    cap->ordinal++;
    if (!match)
        return;
    int k = ss_raster_add_sample(cap->r, phase, (int32_t)index, class_name(cap, label),
                                 cap->raster_t0, cap->raster_t0 + cap->window_ms, NULL);
    if (k < 0) {
        cap->failed = 1;
        return;
    }
    cap->sample = k;
    cap->engine_t0 = t0_ms;
    cap->recording = 1;
}

void ss_capture_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    ss_capture *cap = ctx;
    if (!cap->recording || cap->failed || layer >= cap->n_net_layers ||
        cap->raster_layer[layer] < 0)
        return;
    double rel = t_ms - (cap->free_running ? 0 : cap->engine_t0);
    if (!ss_raster_window_contains(&cap->req.window, rel))
        return;
    if (cap->req.max_spikes && cap->r->n_spikes >= cap->req.max_spikes) {
        cap->dropped++;
        return;
    }
    double t = cap->free_running ? t_ms : cap->raster_t0 + rel;
    if (ss_raster_add_spike(cap->r, t, (uint32_t)cap->raster_layer[layer], (uint32_t)neuron,
                            cap->free_running ? -1 : cap->sample, NULL) < 0)
        cap->failed = 1;
}

ss_raster *ss_capture_raster(ss_capture *cap)
{
    return cap->r;
}

size_t ss_capture_dropped(const ss_capture *cap)
{
    return cap->dropped;
}

int ss_capture_status(const ss_capture *cap, ss_error *err)
{
    return cap->failed ? ss_error_set(err, SS_ENOMEM, "raster: out of memory while recording")
                       : SS_OK;
}
