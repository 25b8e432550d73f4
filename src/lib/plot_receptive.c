/* Receptive fields: each hidden neuron's input weights drawn as the image
 * they respond to; see plot.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plot_internal.h"

#define MAX_TILES 1024
#define TILE_GAP 4.0
#define TARGET_WIDTH 1500.0
#define MAX_ZOOM 6

/* One neuron's weights as a grey image, scaled to their own range: the
 * pattern matters, and a shared range would leave weak neurons black. */
static cairo_surface_t *tile(const double *w, size_t img_w, size_t img_h)
{
    size_t n = img_w * img_h;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, w[i]);
        hi = fmax(hi, w[i]);
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)img_w, (int)img_h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return s;
    cairo_surface_flush(s);
    unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (size_t y = 0; y < img_h; y++) {
        uint32_t *row = (uint32_t *)(void *)(px + y * (size_t)stride);
        for (size_t x = 0; x < img_w; x++) {
            double v = hi > lo ? (w[y * img_w + x] - lo) / (hi - lo) : 0.5;
            uint32_t g = (uint32_t)lround(v * 255);
            row[x] = g << 16 | g << 8 | g;
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

int ss_plot_receptive(const double *weights, size_t n_neurons, size_t n_inputs, size_t img_w,
                      size_t img_h, const char *title, const char *path, ss_plot_format fmt,
                      ss_error *err)
{
    if (n_neurons == 0 || img_w == 0 || img_h == 0 || img_w > 4096 || img_h > 4096 ||
        n_inputs != img_w * img_h)
        return ss_error_set(err, SS_EUSAGE,
                            "%s: %zu neurons of %zu inputs cannot be drawn as %zux%zu images", path,
                            n_neurons, n_inputs, img_w, img_h);
    size_t shown = n_neurons < MAX_TILES ? n_neurons : MAX_TILES;
    for (size_t i = 0; i < shown * n_inputs; i++)
        if (!isfinite(weights[i]))
            return ss_error_set(err, SS_EDATA, "%s: weight %zu of neuron %zu is not finite", path,
                                i % n_inputs, i / n_inputs);
    size_t cols = (size_t)ceil(sqrt((double)shown));
    size_t rows = (shown + cols - 1) / cols;
    double zoom = floor((TARGET_WIDTH / (double)cols - TILE_GAP) / (double)img_w);
    zoom = fmax(1, fmin(MAX_ZOOM, zoom));
    double tw = (double)img_w * zoom, th = (double)img_h * zoom;
    double top = 12 + 26 + 20;
    double w = fmax(2 * 12 + (double)cols * (tw + TILE_GAP) - TILE_GAP, 560);
    double h = top + (double)rows * (th + TILE_GAP) - TILE_GAP + 12;

    ss_canvas c;
    int rc = ss_canvas_open(&c, path, fmt, w, h, err);
    if (rc < 0)
        return rc;
    cairo_t *cr = c.cr;
    char note[200];
    if (shown < n_neurons)
        snprintf(note, sizeof note,
                 "first %zu of %zu neurons; each tile black at its smallest weight, white at its "
                 "largest",
                 shown, n_neurons);
    else
        snprintf(note, sizeof note,
                 "%zu neurons; each tile black at its smallest weight, white at its largest",
                 n_neurons);
    ss_set_rgb(cr, ss_rgb_hex(0x111111));
    ss_text(cr, title ? title : "receptive fields", 12, 12, 15, 1, 0, 0);
    ss_set_rgb(cr, ss_rgb_hex(0x555555));
    ss_text(cr, note, 12, 38, 11, 0, 0, 0);

    for (size_t j = 0; j < shown; j++) {
        cairo_surface_t *s = tile(weights + j * n_inputs, img_w, img_h);
        if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(s);
            ss_canvas_abort(&c);
            return ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        }
        double x = 12 + (double)(j % cols) * (tw + TILE_GAP);
        double y = top + (double)(j / cols) * (th + TILE_GAP);
        cairo_save(cr);
        cairo_translate(cr, x, y);
        cairo_scale(cr, zoom, zoom);
        cairo_set_source_surface(cr, s, 0, 0);
        /* Blocky pixels: these are weights, not a photograph to smooth. */
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_paint(cr);
        cairo_restore(cr);
        cairo_surface_destroy(s);
    }
    return ss_canvas_commit(&c, err);
}
