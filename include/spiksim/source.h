/* Spike sources: trains read from files, and the modes of input layers.
 *
 * Source layers (poisson, regular, spike_file, input) emit spikes on their
 * own schedule and take no input.  Poisson sources draw exponential
 * intervals from the engine's GSL RNG in event order, so a seed fixes them.
 */
#ifndef SPIKSIM_SOURCE_H
#define SPIKSIM_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* n spikes sorted by time, then neuron. */
typedef struct ss_spike_train {
    size_t n;
    double *t_ms;
    uint32_t *neuron;
} ss_spike_train;

/* Reads a spike file: CSV rows "time_ms,neuron" (an optional header line
 * "time_ms,neuron", blank lines and lines starting with '#' are skipped).
 * Times must be finite, >= 0 and sorted; neurons in [0, n_neurons); a neuron
 * may not spike twice at one time.  Errors are SS_EDATA "FILE:LINE: ...",
 * or SS_EIO when the file cannot be read. */
int ss_spike_file_read(const char *path, size_t n_neurons, ss_spike_train *out, ss_error *err);
/* Same checks on arrays (errors name spike k instead of a line); the train
 * gets sorted copies. */
int ss_spike_train_set(ss_spike_train *st, size_t n_neurons, const double *t_ms,
                       const uint32_t *neuron, size_t n, ss_error *err);
/* Frees the arrays; st itself is the caller's. */
void ss_spike_train_clear(ss_spike_train *st);

/* How an input layer turns a rate into spikes (ss_engine_set_input()). */
typedef enum {
    SS_INPUT_POISSON, /* exponential intervals of mean 1/rate */
    SS_INPUT_REGULAR  /* at t0 + (k + 1/2)/rate, k = 0, 1, ... */
} ss_input_mode;

#ifdef __cplusplus
}
#endif
#endif
