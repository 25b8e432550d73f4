/* Spike recording: per-layer buffers of (time, neuron) filled by an engine
 * observer, and the raster writer.
 *
 *     ss_recorder *rec = ss_recorder_alloc(net);
 *     ss_recorder_attach(rec, eng);
 *     ss_engine_run(eng, 1000, &err);
 *     ss_recorder_write_csv(rec, "raster.csv", &err);
 */
#ifndef SPIKSIM_RECORD_H
#define SPIKSIM_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <spiksim/engine.h>
#include <spiksim/error.h>
#include <spiksim/network.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_recorder ss_recorder;

/* A recorder for every layer of net (net must outlive it).  NULL when out of
 * memory. */
ss_recorder *ss_recorder_alloc(const ss_network *net);
void ss_recorder_free(ss_recorder *rec);
/* Records a layer or not (all are on at first). */
void ss_recorder_enable(ss_recorder *rec, size_t layer, int on);
/* Starts / stops receiving eng's spikes.  0 or SS_ENOMEM. */
int ss_recorder_attach(ss_recorder *rec, ss_engine *eng);
void ss_recorder_detach(ss_recorder *rec, ss_engine *eng);
/* Forgets every spike recorded (buffers are kept for reuse). */
void ss_recorder_clear(ss_recorder *rec);
/* The spikes of a layer in emission order: count, and arrays. */
size_t ss_recorder_spikes(const ss_recorder *rec, size_t layer, const double **t_ms,
                          const uint32_t **neuron);
size_t ss_recorder_total(const ss_recorder *rec);
const ss_network *ss_recorder_network(const ss_recorder *rec);
/* SS_ENOMEM when a buffer could not grow (spikes were lost), else 0. */
int ss_recorder_status(const ss_recorder *rec);

/* Writes the recorded spikes as CSV, "time_ms,layer,neuron" then one row per
 * spike sorted by time, layer index, neuron; layer by name, times in ms with
 * 6 decimals.  ss_recorder_write_csv() writes atomically (temp, fsync,
 * rename); the stream version writes to an open FILE. */
int ss_recorder_write_csv(const ss_recorder *rec, const char *path, ss_error *err);
int ss_recorder_write_csv_stream(const ss_recorder *rec, FILE *out, ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
