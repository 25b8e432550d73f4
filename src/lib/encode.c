/* Rate coding of features, see encode.h. */
#include <spiksim/encode.h>

#include <math.h>
#include <string.h>

int ss_encoder_init(ss_encoder *enc, const ss_config *cfg, size_t n_features, ss_error *err)
{
    (void)err;
    memset(enc, 0, sizeof *enc);
    enc->scheme = strcmp(ss_config_string(cfg, "encoding", "scheme"), "regular") == 0
                      ? SS_ENCODE_REGULAR
                      : SS_ENCODE_POISSON;
    enc->max_rate_hz = ss_config_double(cfg, "encoding", "max_rate_hz");
    enc->presentation_ms = ss_config_double(cfg, "encoding", "presentation_ms");
    enc->test_presentation_ms = ss_config_double(cfg, "encoding", "test_presentation_ms");
    if (enc->test_presentation_ms <= 0)
        enc->test_presentation_ms = enc->presentation_ms;
    enc->rest_ms = ss_config_double(cfg, "encoding", "rest_ms");
    enc->reset = ss_config_bool(cfg, "encoding", "reset");
    enc->population = (size_t)ss_config_int(cfg, "encoding", "population");
    enc->population_sigma = ss_config_double(cfg, "encoding", "population_sigma");
    enc->n_features = n_features;
    return SS_OK;
}

double ss_encoder_window_ms(const ss_encoder *enc, int train)
{
    return train ? enc->presentation_ms : enc->test_presentation_ms;
}

size_t ss_encoder_n_inputs(const ss_encoder *enc)
{
    return enc->population ? enc->n_features * enc->population : enc->n_features;
}

static double clip01(double x)
{
    return x < 0 ? 0 : (x > 1 ? 1 : x);
}

/* Centre of receptive field k of a population of n (one field sits at 0.5). */
static double centre(size_t k, size_t n)
{
    return n > 1 ? (double)k / (double)(n - 1) : 0.5;
}

size_t ss_encoder_feature_of(const ss_encoder *enc, size_t input)
{
    return enc->population ? input / enc->population : input;
}

void ss_encoder_rates(const ss_encoder *enc, const double *features, double *rates_hz)
{
    if (!enc->population) {
        for (size_t j = 0; j < enc->n_features; j++)
            rates_hz[j] = enc->max_rate_hz * clip01(features[j]);
        return;
    }
    double two_s2 = 2 * enc->population_sigma * enc->population_sigma;
    for (size_t j = 0; j < enc->n_features; j++) {
        double x = clip01(features[j]);
        for (size_t k = 0; k < enc->population; k++) {
            double d = x - centre(k, enc->population);
            rates_hz[j * enc->population + k] = enc->max_rate_hz * exp(-d * d / two_s2);
        }
    }
}

double ss_encoder_rate_derivative(const ss_encoder *enc, size_t input, double feature)
{
    if (!enc->population)
        return enc->max_rate_hz;
    double s2 = enc->population_sigma * enc->population_sigma;
    double d = feature - centre(input % enc->population, enc->population);
    return enc->max_rate_hz * exp(-d * d / (2 * s2)) * (-d / s2);
}
