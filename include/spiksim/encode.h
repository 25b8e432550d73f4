/* Rate coding: a sample's features in [0, 1] become input firing rates.
 *
 * Direct coding gives input neuron j the rate max_rate_hz * x_j.  Population
 * coding (for low-dimensional data such as IRIS) gives each feature N neurons
 * with Gaussian receptive fields centred at k/(N-1), k = 0..N-1:
 *     rate = max_rate_hz * exp(-(x - k/(N-1))^2 / (2 sigma^2)).
 * Turning rates into spikes (Poisson or regular) is the input layer's job.
 */
#ifndef SPIKSIM_ENCODE_H
#define SPIKSIM_ENCODE_H

#include <stddef.h>
#include <spiksim/config.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SS_ENCODE_POISSON, SS_ENCODE_REGULAR } ss_encode_scheme;

typedef struct ss_encoder {
    ss_encode_scheme scheme;
    double max_rate_hz;
    double presentation_ms;      /* training presentations (plasticity on) */
    double test_presentation_ms; /* presentations with plasticity off */
    double rest_ms;
    int reset;         /* reset network state between samples */
    size_t population; /* neurons per feature; 0: one per feature */
    double population_sigma;
    size_t n_features;
} ss_encoder;

/* Reads [encoding] for n_features features. */
int ss_encoder_init(ss_encoder *enc, const ss_config *cfg, size_t n_features, ss_error *err);

/* How long a sample is presented: presentation_ms while the network learns
 * (train != 0), test_presentation_ms otherwise.  A longer test window lets
 * the readout integrate more evidence than one training presentation needs. */
double ss_encoder_window_ms(const ss_encoder *enc, int train);

/* Number of input neurons the encoder drives. */
size_t ss_encoder_n_inputs(const ss_encoder *enc);

/* Fills rates_hz[ss_encoder_n_inputs()] for one sample; features are
 * clipped to [0, 1]. */
void ss_encoder_rates(const ss_encoder *enc, const double *features, double *rates_hz);

/* d rate_k / d x_j for the input neuron k fed by feature j (the surrogate
 * model of the FGSM attack needs it); each input depends on one feature. */
double ss_encoder_rate_derivative(const ss_encoder *enc, size_t input, double feature);
/* The feature that drives input neuron k. */
size_t ss_encoder_feature_of(const ss_encoder *enc, size_t input);

#ifdef __cplusplus
}
#endif
#endif
