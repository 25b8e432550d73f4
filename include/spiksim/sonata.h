/* SONATA spike files (the format NEST 3.5+, bmtk and NEURON read and write),
 * through the HDF5 C library:
 *
 *     /spikes/<population>/timestamps   float64, ms, attribute units = "ms"
 *     /spikes/<population>/node_ids     uint64
 *     /spikes/<population>              attribute sorting = by_time (an enum
 *                                       {none, by_id, by_time} of uint8, as
 *                                       libsonata writes it)
 *
 * One population per layer of a raster, named after the layer; spikes in
 * time order.  See spiksim-raster(5). */
#ifndef SPIKSIM_SONATA_H
#define SPIKSIM_SONATA_H

#include <stdio.h>
#include <spiksim/error.h>
#include <spiksim/raster.h>
#include <spiksim/source.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The first n spikes of r (sorted by time) as a SONATA file, written to fp
 * (built in memory first: HDF5 needs to seek).  0, or a negative code with
 * err set ("PATH: ..." with path naming fp's file). */
int ss_sonata_write(const ss_raster *r, size_t n, FILE *fp, const char *path, ss_error *err);

/* Whether path looks like an HDF5 file (its signature), so that a spike
 * file can be either CSV or SONATA. */
int ss_sonata_is_hdf5(const char *path);

/* The spikes of one population of a SONATA file, for a layer of n_neurons:
 * population NULL or "" takes the file's only population (an error naming
 * them when there are several).  Node ids must be below n_neurons, times
 * finite and >= 0; they are sorted by time if the file is not.  Errors name
 * the file and the dataset; SS_EDATA. */
int ss_sonata_read(const char *path, const char *population, size_t n_neurons, ss_spike_train *out,
                   ss_error *err);

#ifdef __cplusplus
}
#endif
#endif
