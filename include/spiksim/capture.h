/* Capturing a run's spikes into a raster (raster.h) as the --raster-* flags
 * ask: which layers, which presentations, which time window, how many spikes
 * at most.  A capture is an engine observer plus a presentation listener
 * (train.h): for classification runs it records the first epoch's training
 * presentations and the final test, one raster column each; for
 * free-running models the whole run, in absolute time.
 */
#ifndef SPIKSIM_CAPTURE_H
#define SPIKSIM_CAPTURE_H

#include <stddef.h>
#include <spiksim/error.h>
#include <spiksim/network.h>
#include <spiksim/raster.h>
#include <spiksim/train.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What to record, parsed from the command line before anything runs. */
typedef struct ss_raster_request {
    const char *layers;        /* "a,b" or NULL: every layer, inputs included */
    ss_raster_samples samples; /* which presentations (all by default) */
    ss_raster_window window;   /* [t0, t1) within a presentation, or absolute */
    size_t max_spikes;         /* keep at most the first N spikes in time; 0: all */
} ss_raster_request;

/* Everything: all layers, all presentations, all time. */
void ss_raster_request_default(ss_raster_request *req);

typedef struct ss_capture ss_capture;

/* class_names (n_classes, may be NULL) label the output layer's neurons.
 * A training presentation lasts train_window_ms, any other test_window_ms
 * (ss_encoder_window_ms); each becomes a raster column of its length.
 * SS_EUSAGE when req->layers names a layer net lacks. */
ss_capture *ss_capture_alloc(const ss_raster_request *req, const ss_network *net,
                             size_t output_layer, const char *const *class_names, size_t n_classes,
                             double train_window_ms, double test_window_ms, ss_error *err);
void ss_capture_free(ss_capture *cap);

/* The engine observer (ss_engine_add_observer(eng, ss_capture_spike, cap)). */
void ss_capture_spike(void *cap, size_t layer, size_t neuron, double t_ms);
/* The classifier listener (ss_classifier_set_listener(c, ss_capture_presentation, cap)). */
void ss_capture_presentation(void *cap, int begin, ss_pass kind, long epoch, size_t index,
                             int label, int predicted, double t0_ms);
/* Free-running: record every spike at its absolute time (no presentations). */
void ss_capture_free_running(ss_capture *cap);

ss_raster *ss_capture_raster(ss_capture *cap);
/* Spikes not recorded because of max_spikes. */
size_t ss_capture_dropped(const ss_capture *cap);
/* SS_ENOMEM when recording ran out of memory (the raster is incomplete). */
int ss_capture_status(const ss_capture *cap, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
