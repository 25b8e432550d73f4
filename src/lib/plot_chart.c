/* Line charts (learning curves, FGSM accuracy against epsilon) and per-layer
 * firing-rate histograms; see plot.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_histogram.h>

#include "plot_internal.h"

#define MAX_SERIES 8

/* Okabe-Ito: told apart with the common colour-vision deficiencies; each
 * series also gets its own dash and marker, so a grey print still works. */
static const unsigned series_colors[MAX_SERIES] = {0x0072b2, 0xd55e00, 0x009e73, 0xcc79a7,
                                                   0xe69f00, 0x56b4e9, 0x000000, 0x7f7f7f};

/* A plotting area and the maps from data to it. */
typedef struct frame {
    double l, t, r, b;     /* pixels */
    double x0, x1, y0, y1; /* data */
} frame;

static double fx(const frame *f, double x)
{
    return f->l + (x - f->x0) / (f->x1 - f->x0) * (f->r - f->l);
}

static double fy(const frame *f, double y)
{
    return f->b - (y - f->y0) / (f->y1 - f->y0) * (f->b - f->t);
}

/* Ticks, grid lines and labels on both axes. */
static void draw_axes(cairo_t *cr, const frame *f, int x_whole, const char *x_label,
                      const char *y_label)
{
    double ticks[32], step;
    char buf[32];
    cairo_set_line_width(cr, 1);
    size_t n = ss_nice_ticks(f->y0, f->y1, (size_t)fmax(2, (f->b - f->t) / 32), ticks, 32, &step);
    for (size_t k = 0; k < n; k++) {
        double y = round(fy(f, ticks[k])) + 0.5;
        ss_set_rgb(cr, ss_rgb_hex(0xe4e4e4));
        cairo_move_to(cr, f->l, y);
        cairo_line_to(cr, f->r, y);
        cairo_stroke(cr);
        ss_set_rgb(cr, ss_rgb_hex(0x333333));
        ss_tick_label(buf, sizeof buf, ticks[k], step);
        ss_text(cr, buf, f->l - 7, y, 10.5, 0, 1, 0.5);
    }
    n = ss_nice_ticks(f->x0, f->x1, (size_t)fmax(2, (f->r - f->l) / 70), ticks, 32, &step);
    if (x_whole && step < 1) {
        n = ss_nice_ticks(ceil(f->x0), floor(f->x1), (size_t)(floor(f->x1) - ceil(f->x0)) + 1,
                          ticks, 32, &step);
    }
    for (size_t k = 0; k < n; k++) {
        double x = round(fx(f, ticks[k])) + 0.5;
        ss_set_rgb(cr, ss_rgb_hex(0x333333));
        cairo_move_to(cr, x, f->b);
        cairo_line_to(cr, x, f->b + 5);
        cairo_stroke(cr);
        ss_tick_label(buf, sizeof buf, ticks[k], step);
        ss_text(cr, buf, x, f->b + 8, 10.5, 0, 0.5, 0);
    }
    ss_set_rgb(cr, ss_rgb_hex(0x333333));
    cairo_rectangle(cr, round(f->l) + 0.5, round(f->t) + 0.5, round(f->r - f->l),
                    round(f->b - f->t));
    cairo_stroke(cr);
    if (x_label)
        ss_text(cr, x_label, (f->l + f->r) / 2, f->b + 26, 11.5, 0, 0.5, 0);
    if (y_label)
        ss_text_up(cr, y_label, f->l - 48, (f->t + f->b) / 2, 11.5, 0);
}

static void marker(cairo_t *cr, int kind, double x, double y)
{
    switch (kind % 4) {
    case 0:
        cairo_arc(cr, x, y, 3.5, 0, 2 * SS_PI);
        break;
    case 1:
        cairo_rectangle(cr, x - 3.2, y - 3.2, 6.4, 6.4);
        break;
    case 2:
        cairo_move_to(cr, x, y - 4.2);
        cairo_line_to(cr, x + 4, y + 3);
        cairo_line_to(cr, x - 4, y + 3);
        cairo_close_path(cr);
        break;
    default:
        cairo_move_to(cr, x, y - 4.5);
        cairo_line_to(cr, x + 4.5, y);
        cairo_line_to(cr, x, y + 4.5);
        cairo_line_to(cr, x - 4.5, y);
        cairo_close_path(cr);
        break;
    }
    cairo_fill(cr);
}

static void set_dash(cairo_t *cr, int kind)
{
    static const double dashed[] = {7, 4}, dotted[] = {2, 3}, dashdot[] = {7, 3, 2, 3};
    switch (kind % 4) {
    case 0:
        cairo_set_dash(cr, NULL, 0, 0);
        break;
    case 1:
        cairo_set_dash(cr, dashed, 2, 0);
        break;
    case 2:
        cairo_set_dash(cr, dotted, 2, 0);
        break;
    default:
        cairo_set_dash(cr, dashdot, 4, 0);
        break;
    }
}

int ss_plot_lines(const ss_plot_chart *ch, const char *path, ss_plot_format fmt, ss_error *err)
{
    if (ch->n_series == 0 || ch->n_series > MAX_SERIES)
        return ss_error_set(err, SS_EUSAGE, "%s: a chart takes 1 to %d series, not %zu", path,
                            MAX_SERIES, ch->n_series);
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    size_t points = 0;
    for (size_t s = 0; s < ch->n_series; s++) {
        const ss_plot_series *se = &ch->series[s];
        for (size_t i = 0; i < se->n; i++) {
            if (!isfinite(se->x[i]) || isinf(se->y[i]))
                return ss_error_set(err, SS_EDATA, "%s: series '%s' point %zu is not finite", path,
                                    se->name ? se->name : "?", i);
            if (isnan(se->y[i]))
                continue;
            x0 = fmin(x0, se->x[i]);
            x1 = fmax(x1, se->x[i]);
            y0 = fmin(y0, se->y[i]);
            y1 = fmax(y1, se->y[i]);
            points++;
        }
    }
    if (points == 0)
        return ss_error_set(err, SS_EDATA, "%s: nothing to plot: no points", path);
    if (ch->y_min < ch->y_max) {
        y0 = ch->y_min;
        y1 = ch->y_max;
    } else {
        double pad = y1 > y0 ? 0.06 * (y1 - y0) : 0.5;
        y0 -= pad;
        y1 += pad;
    }
    if (x1 > x0) {
        double pad = 0.03 * (x1 - x0);
        x0 -= pad;
        x1 += pad;
    } else {
        x0 -= 0.5;
        x1 += 0.5;
    }
    double w = ch->width_px > 0 ? ch->width_px : 800;
    double h = ch->height_px > 0 ? ch->height_px : 500;
    double top = 14 + (ch->title ? 26 : 0) + 24; /* title, legend */
    frame f = {78, top, w - 24, h - 52, x0, x1, y0, y1};
    if (f.r - f.l < 80 || f.b - f.t < 60)
        return ss_error_set(err, SS_EUSAGE, "%s: chart size %gx%g is too small", path, w, h);

    ss_canvas c;
    int rc = ss_canvas_open(&c, path, fmt, w, h, err);
    if (rc < 0)
        return rc;
    cairo_t *cr = c.cr;
    if (ch->title) {
        ss_set_rgb(cr, ss_rgb_hex(0x111111));
        ss_text(cr, ch->title, f.l, 14, 15, 1, 0, 0);
    }
    draw_axes(cr, &f, ch->x_whole, ch->x_label, ch->y_label);

    /* Legend: one row above the plot, so it never hides a point. */
    double lx = f.l;
    for (size_t s = 0; s < ch->n_series; s++) {
        double ly = f.t - 14;
        ss_set_rgb(cr, ss_rgb_hex(series_colors[s]));
        cairo_set_line_width(cr, 2);
        set_dash(cr, (int)s);
        cairo_move_to(cr, lx, ly);
        cairo_line_to(cr, lx + 28, ly);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        marker(cr, (int)s, lx + 14, ly);
        ss_set_rgb(cr, ss_rgb_hex(0x222222));
        const char *name = ch->series[s].name ? ch->series[s].name : "";
        lx += 34 + ss_text(cr, name, lx + 34, ly, 11.5, 0, 0, 0.5) + 22;
    }

    cairo_save(cr);
    cairo_rectangle(cr, f.l, f.t, f.r - f.l, f.b - f.t);
    cairo_clip(cr);
    for (size_t s = 0; s < ch->n_series; s++) {
        const ss_plot_series *se = &ch->series[s];
        ss_set_rgb(cr, ss_rgb_hex(series_colors[s]));
        cairo_set_line_width(cr, 2);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        set_dash(cr, (int)s);
        /* NaN marks a point not measured (the report's accuracy every few
         * epochs): the line joins the measured ones around it. */
        int started = 0;
        for (size_t i = 0; i < se->n; i++) {
            if (isnan(se->y[i]))
                continue;
            if (started)
                cairo_line_to(cr, fx(&f, se->x[i]), fy(&f, se->y[i]));
            else
                cairo_move_to(cr, fx(&f, se->x[i]), fy(&f, se->y[i]));
            started = 1;
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        for (size_t i = 0; i < se->n; i++)
            if (!isnan(se->y[i]))
                marker(cr, (int)s, fx(&f, se->x[i]), fy(&f, se->y[i]));
    }
    cairo_restore(cr);
    return ss_canvas_commit(&c, err);
}

/* ---- firing-rate histograms --------------------------------------------- */

#define PANEL_H 150.0
#define PANEL_GAP 72.0

static int draw_rate_panel(cairo_t *cr, const ss_plot_rates_layer *l, const frame *box,
                           const char *path, ss_error *err)
{
    double max_hz = 0, sum = 0;
    size_t silent = 0;
    for (size_t i = 0; i < l->n; i++) {
        max_hz = fmax(max_hz, l->rates_hz[i]);
        sum += l->rates_hz[i];
        silent += l->rates_hz[i] == 0;
    }
    size_t bins = (size_t)fmin(40, fmax(8, 2 * ceil(sqrt((double)l->n))));
    /* The top edge a hair above the largest rate: GSL's bins are
     * half-open, and the fastest neuron belongs in the last one. */
    double hi = max_hz > 0 ? max_hz * (1 + 1e-9) : 1;
    gsl_histogram *hist = gsl_histogram_alloc(bins);
    if (!hist)
        return ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
    gsl_histogram_set_ranges_uniform(hist, 0, hi);
    for (size_t i = 0; i < l->n; i++)
        gsl_histogram_increment(hist, l->rates_hz[i]);

    frame f = *box;
    f.x0 = 0;
    f.x1 = hi;
    f.y0 = 0;
    f.y1 = fmax(1, gsl_histogram_max_val(hist)) * 1.08;
    draw_axes(cr, &f, 0, "firing rate (Hz)", "neurons");

    ss_set_rgb(cr, ss_rgb_hex(0x0a5fa8));
    for (size_t k = 0; k < bins; k++) {
        double a, b;
        gsl_histogram_get_range(hist, k, &a, &b);
        double v = gsl_histogram_get(hist, k);
        if (v <= 0)
            continue;
        double x0 = fx(&f, a), x1 = fx(&f, b);
        cairo_rectangle(cr, x0 + 0.5, fy(&f, v), fmax(x1 - x0 - 1, 1), fy(&f, 0) - fy(&f, v));
    }
    cairo_fill(cr);

    char head[256];
    snprintf(head, sizeof head, "%s: %zu neurons, mean %.3g Hz, max %.3g Hz, %.0f%% silent",
             l->name ? l->name : "?", l->n, l->n ? sum / (double)l->n : 0.0, max_hz,
             l->n ? 100.0 * (double)silent / (double)l->n : 0.0);
    ss_set_rgb(cr, ss_rgb_hex(0x111111));
    ss_text(cr, head, f.l, f.t - 6, 12.5, 1, 0, 1);
    gsl_histogram_free(hist);
    return 0;
}

int ss_plot_rates(const ss_plot_rates_layer *layers, size_t n_layers, const char *title,
                  const char *path, ss_plot_format fmt, ss_error *err)
{
    if (n_layers == 0)
        return ss_error_set(err, SS_EDATA, "%s: nothing to plot: no layers", path);
    for (size_t li = 0; li < n_layers; li++) {
        if (layers[li].n == 0)
            return ss_error_set(err, SS_EDATA, "%s: layer '%s' has no neurons", path,
                                layers[li].name ? layers[li].name : "?");
        for (size_t i = 0; i < layers[li].n; i++)
            if (!isfinite(layers[li].rates_hz[i]) || layers[li].rates_hz[i] < 0)
                return ss_error_set(err, SS_EDATA, "%s: layer '%s': rate %g of neuron %zu", path,
                                    layers[li].name ? layers[li].name : "?", layers[li].rates_hz[i],
                                    i);
    }
    double w = 760, top = 14 + (title ? 30 : 0) + 22;
    double h = top + (double)n_layers * (PANEL_H + PANEL_GAP) - PANEL_GAP + 52;
    ss_canvas c;
    int rc = ss_canvas_open(&c, path, fmt, w, h, err);
    if (rc < 0)
        return rc;
    if (title) {
        ss_set_rgb(c.cr, ss_rgb_hex(0x111111));
        ss_text(c.cr, title, 78, 14, 15, 1, 0, 0);
    }
    for (size_t li = 0; li < n_layers && rc == 0; li++) {
        double t = top + (double)li * (PANEL_H + PANEL_GAP);
        frame box = {78, t, w - 24, t + PANEL_H, 0, 1, 0, 1};
        rc = draw_rate_panel(c.cr, &layers[li], &box, path, err);
    }
    if (rc < 0) {
        ss_canvas_abort(&c);
        return rc;
    }
    return ss_canvas_commit(&c, err);
}

int ss_plot_raster_rates(const ss_raster *r, const char *title, const char *path,
                         ss_plot_format fmt, ss_error *err)
{
    if (r->n_layers == 0)
        return ss_error_set(err, SS_EDATA, "%s: nothing to plot: the raster has no layers", path);
    ss_plot_rates_layer *ls = calloc(r->n_layers, sizeof *ls);
    int rc = ls ? 0 : ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; rc == 0 && i < r->n_layers; i++) {
        double *rates = malloc(r->layers[i].size * sizeof *rates);
        if (!rates) {
            rc = ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
            break;
        }
        ls[i] = (ss_plot_rates_layer){r->layers[i].name, r->layers[i].size, rates};
        rc = ss_raster_layer_rates(r, i, rates, err);
    }
    if (rc == 0)
        rc = ss_plot_rates(ls, r->n_layers, title, path, fmt, err);
    for (size_t i = 0; ls && i < r->n_layers; i++)
        free((double *)ls[i].rates_hz);
    free(ls);
    return rc;
}
