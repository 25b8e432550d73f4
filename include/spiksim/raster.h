/* Spike rasters: the recorded spikes of a run, the files other tools read
 * (CSV, a documented binary layout) and the values of the --raster-* flags.
 *
 * An ss_raster is plain data: a layer table, a table of presentations
 * ("samples", in presentation order) and the spikes, sorted by time.
 *
 *     ss_raster *r = ss_raster_alloc();
 *     int in = ss_raster_add_layer(r, "input", 784, &err);
 *     int s = ss_raster_add_sample(r, SS_PHASE_TEST, 0, "7", 1000, 1350, &err);
 *     ss_raster_add_spike(r, 1003.25, in, 17, s, &err);   // in time order, or
 *     ss_raster_sort(r);                                  // sort once at the end
 *     ss_raster_set_predicted(r, s, "7", &err);
 *     ss_raster_write(r, "r.csv", SS_RASTER_CSV, max_spikes, &dropped, &err);
 *
 * The fields are public so that readers can walk the tables; change them
 * through the functions (which keep the invariants the writers rely on).
 * Pictures of a raster (PNG, SVG, PDF) are drawn by plot.h, which
 * ss_raster_write() calls for those formats.  The binary layout is documented
 * in spiksim-raster(5).
 */
#ifndef SPIKSIM_RASTER_H
#define SPIKSIM_RASTER_H

#include <stddef.h>
#include <stdint.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ss_phase { SS_PHASE_TRAIN = 0, SS_PHASE_TEST = 1 } ss_phase;

/* "train" or "test". */
const char *ss_phase_name(ss_phase phase);

typedef struct ss_raster_layer {
    char *name;
    uint32_t size;       /* neurons */
    char **neuron_names; /* NULL, or size names: the class each readout neuron
                            stands for, shown on the picture's neuron axis */
} ss_raster_layer;

typedef struct ss_raster_sample {
    int32_t index; /* position in its data set (train or test) */
    ss_phase phase;
    char *label;         /* true class name, NULL when unknown */
    char *predicted;     /* class the network chose, NULL when none */
    double t0_ms, t1_ms; /* absolute presentation window [t0, t1) */
} ss_raster_sample;

typedef struct ss_raster_spike {
    double t_ms; /* absolute simulated time */
    uint32_t layer;
    uint32_t neuron;
    int32_t sample; /* index into samples[], -1 outside any presentation */
} ss_raster_spike;

/* Part of each presentation that was recorded, [t0_ms, t1_ms) relative to
 * the presentation start; absolute time for spikes outside presentations
 * (free-running models).  t1_ms may be INFINITY. */
typedef struct ss_raster_window {
    double t0_ms, t1_ms;
} ss_raster_window;

typedef struct ss_raster {
    size_t n_layers, n_samples, n_spikes;
    ss_raster_layer *layers;
    ss_raster_sample *samples; /* in presentation order */
    ss_raster_spike *spikes;   /* sorted by (t_ms, layer, neuron) for writing */
    ss_raster_window window;   /* {0, INFINITY} unless a window was applied */
    /* private: allocated lengths */
    size_t cap_layers, cap_samples, cap_spikes;
} ss_raster;

ss_raster *ss_raster_alloc(void);
void ss_raster_free(ss_raster *r);

/* Each returns the new entry's index (>= 0) or a negative SS_E* code. */
int ss_raster_add_layer(ss_raster *r, const char *name, uint32_t size, ss_error *err);
/* label may be NULL; t0_ms < t1_ms, both finite. */
int ss_raster_add_sample(ss_raster *r, ss_phase phase, int32_t index, const char *label,
                         double t0_ms, double t1_ms, ss_error *err);

/* names: the layer's size strings (copied). */
int ss_raster_set_neuron_names(ss_raster *r, size_t layer, const char *const *names, ss_error *err);
/* The prediction is known once the presentation ends; NULL clears it. */
int ss_raster_set_predicted(ss_raster *r, size_t sample, const char *predicted, ss_error *err);

/* Checks layer, neuron and sample against the tables and t_ms for being
 * finite (SS_EDATA otherwise).  Amortised O(1). */
int ss_raster_add_spike(ss_raster *r, double t_ms, uint32_t layer, uint32_t neuron, int32_t sample,
                        ss_error *err);

/* Sorts spikes by (t_ms, layer, neuron, sample); a no-op on sorted input. */
void ss_raster_sort(ss_raster *r);
/* 1 when spikes are in that order (what the writers require). */
int ss_raster_is_sorted(const ss_raster *r);

/* ---- the --raster-* flag values ---------------------------------------- */

typedef enum ss_raster_format {
    SS_RASTER_CSV,
    SS_RASTER_BIN,
    SS_RASTER_PNG,
    SS_RASTER_SVG,
    SS_RASTER_PDF,
    SS_RASTER_H5 /* SONATA spikes (sonata.h) */
} ss_raster_format;

/* "csv", "bin", "png", "svg", "pdf" (SS_EUSAGE for anything else). */
int ss_raster_format_parse(const char *name, ss_raster_format *fmt, ss_error *err);
/* From the file name's extension, case-insensitive (.csv .bin .png .svg .pdf). */
int ss_raster_format_from_path(const char *path, ss_raster_format *fmt, ss_error *err);
const char *ss_raster_format_name(ss_raster_format fmt);
/* 1 for PNG, SVG and PDF. */
int ss_raster_format_is_picture(ss_raster_format fmt);

#define SS_RASTER_MAX_RANGES 16

/* --raster-samples: a comma-separated union of
 *   all            every presentation
 *   N              the first N presentations of the run (N >= 1)
 *   PHASE          every presentation of that phase (train or test)
 *   PHASE:I        data-set index I of that phase
 *   PHASE:I-J      indices I to J inclusive
 * e.g. "test:0-9", "train:0", "all", "4", "train:0,test:0-3". */
typedef struct ss_raster_samples {
    int all;
    size_t first_n; /* 0: no count given */
    size_t n_ranges;
    struct {
        ss_phase phase;
        int32_t first, last; /* inclusive */
    } ranges[SS_RASTER_MAX_RANGES];
} ss_raster_samples;

int ss_raster_samples_parse(const char *spec, ss_raster_samples *out, ss_error *err);
/* 1 when the presentation numbered ordinal (0 = first of the run), showing
 * index of phase, is selected. */
int ss_raster_samples_match(const ss_raster_samples *s, ss_phase phase, int32_t index,
                            size_t ordinal);

/* --raster-window T0:T1 in ms, half-open [T0, T1).  Either end may be left
 * out (":50", "100:"); T0 >= 0 and T0 < T1, or SS_EUSAGE. */
int ss_raster_window_parse(const char *spec, ss_raster_window *w, ss_error *err);
int ss_raster_window_contains(const ss_raster_window *w, double t_ms);

/* --raster-layers NAME[,NAME...]: sets keep[i] to 1 for each listed layer
 * (0 for the others).  An unknown name is SS_EUSAGE, naming the layers. */
int ss_raster_layers_parse(const char *list, const char *const *names, size_t n_names,
                           unsigned char *keep, ss_error *err);

/* --raster-max-spikes N: a whole number >= 1. */
int ss_raster_max_spikes_parse(const char *text, size_t *n, ss_error *err);

/* Keeps what the flags select, in place: layers with keep[i] (NULL: all),
 * presentations matched by samples (NULL: all; spikes outside presentations
 * stay only then, or with "all"), spikes inside window (NULL: all), which
 * becomes r->window.  A presentation's ordinal is its position in
 * r->samples, so a count N means the first N of the run when the table
 * holds every presentation.  Tables are compacted (indices renumbered) and
 * spikes sorted. */
int ss_raster_select(ss_raster *r, const unsigned char *keep_layers,
                     const ss_raster_samples *samples, const ss_raster_window *window,
                     ss_error *err);

/* ---- what was observed ---------------------------------------------------- */

/* Simulated time the raster covers, in ms: the sum of the recorded part of
 * each presentation, or without presentations the window (cut at the last
 * spike when it is open-ended). */
double ss_raster_observed_ms(const ss_raster *r);
/* Firing rate of each neuron of layer (size entries, in Hz) over the
 * observed time; all zero when nothing was observed. */
int ss_raster_layer_rates(const ss_raster *r, size_t layer, double *rates_hz, ss_error *err);

/* ---- files ------------------------------------------------------------- */

/* Writes r (sorted, else SS_EDATA) to path atomically in format fmt.  With
 * max_spikes > 0 only the first max_spikes spikes in time are written and
 * *n_dropped (may be NULL) tells how many were left out.  Pictures are drawn
 * with ss_plot_raster() defaults.  Nothing is created on error. */
int ss_raster_write(const ss_raster *r, const char *path, ss_raster_format fmt, size_t max_spikes,
                    size_t *n_dropped, ss_error *err);

/* Reads a binary raster (spiksim-raster(5)); NULL with SS_EDATA or SS_EIO. */
ss_raster *ss_raster_read(const char *path, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
