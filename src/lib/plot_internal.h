/* Drawing helpers shared by the plot*.c files; not installed. */
#ifndef SPIKSIM_PLOT_INTERNAL_H
#define SPIKSIM_PLOT_INTERNAL_H

#include <cairo.h>
#include <spiksim/atomic.h>
#include <spiksim/plot.h>

/* A picture being drawn: a cairo context on a surface that ends up in an
 * atomic file.  The file is opened first, so an unwritable path fails before
 * any drawing work. */
typedef struct ss_canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    ss_plot_format fmt;
    ss_atomic_file *af;
    const char *path;
    double width, height;
} ss_canvas;

/* Pictures larger than this (in pixels or points) are refused: cairo's
 * image surfaces stop at 32767 and nobody reads a wider plot anyway. */
#define SS_PLOT_MAX_SIDE 16000

#define SS_PI 3.14159265358979323846

/* A context on a 1x1 image for measuring text before the canvas exists;
 * metrics are unhinted here and on every canvas, so they agree. */
cairo_t *ss_measure_context(void);

int ss_canvas_open(ss_canvas *c, const char *path, ss_plot_format fmt, double width, double height,
                   ss_error *err);
/* Finishes the surface and renames the file into place; frees c's parts. */
int ss_canvas_commit(ss_canvas *c, ss_error *err);
/* Removes the temporary file (c may be half opened). */
void ss_canvas_abort(ss_canvas *c);

typedef struct ss_rgb {
    double r, g, b;
} ss_rgb;

ss_rgb ss_rgb_hex(unsigned hex);
void ss_set_rgb(cairo_t *cr, ss_rgb c);

/* Text at (x, y): ha 0 left, 0.5 centred, 1 right of x; va 0 top,
 * 0.5 centred, 1 bottom at y (on the font's ascent and descent).
 * Returns the width drawn. */
double ss_text(cairo_t *cr, const char *s, double x, double y, double size, int bold, double ha,
               double va);
/* The same, turned a quarter counter-clockwise about (x, y). */
void ss_text_up(cairo_t *cr, const char *s, double x, double y, double size, int bold);
double ss_text_width(cairo_t *cr, const char *s, double size, int bold);

/* "Nice" tick values (1, 2 or 5 times a power of ten) within [lo, hi], at
 * most max_ticks of them (>= 2 when the span allows); returns how many were
 * stored in ticks (capacity cap) and their step in *step. */
size_t ss_nice_ticks(double lo, double hi, size_t max_ticks, double *ticks, size_t cap,
                     double *step);
/* A tick value printed with as many decimals as its step needs. */
void ss_tick_label(char *buf, size_t size, double v, double step);

#endif
