/* Shared between the raster files (raster*.c) and the raster picture
 * (plot_raster.c); not installed. */
#ifndef SPIKSIM_RASTER_INTERNAL_H
#define SPIKSIM_RASTER_INTERNAL_H

#include <stdio.h>
#include <spiksim/raster.h>

/* Grows *arr (cap elements of elem bytes) to hold need; -1 when it cannot. */
int ss_raster_grow(void **arr, size_t *cap, size_t need, size_t elem);
int ss_raster_spike_cmp(const ss_raster_spike *a, const ss_raster_spike *b);
/* Recorded part of sample s, absolute [*a, *b) (a == b when empty). */
void ss_raster_sample_span(const ss_raster *r, size_t s, double *a, double *b);
/* Time span of a raster without presentations. */
void ss_raster_free_span(const ss_raster *r, double *a, double *b);

/* The writers behind ss_raster_write(): n spikes from the start of r. */
int ss_raster_write_csv(const ss_raster *r, size_t n, FILE *fp);
int ss_raster_write_bin(const ss_raster *r, size_t n, FILE *fp);

/* Shortest "%.*g" text of x that reads back as exactly x. */
void ss_format_double(char *buf, size_t size, double x);

#endif
