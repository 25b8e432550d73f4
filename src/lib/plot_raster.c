/* The raster picture: what a network did, readable at a glance.
 *
 * Layers are stacked top to bottom in bands; each presentation gets a column
 * whose width follows its recorded duration, with a gap between columns as
 * the sample boundary.  Band heights grow with the square root of the layer
 * size, so a 10-neuron readout keeps rows tall enough to read next to a
 * 784-neuron input.  Above each column: phase, data-set index, label and
 * prediction, green when right and red when wrong, with a tick or a cross so
 * colour is not the only cue.
 *
 * Spikes are dots one pixel wide (two in short layers, where each row is
 * several pixels tall).  For PNG, and for SVG/PDF with many spikes, they are
 * set in an 8-bit mask in one pass and painted once per layer with the
 * layer's colour: a million spikes cost a million byte stores, where as many
 * cairo rectangles would cost a tessellation and, in SVG, a huge file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"
#include "raster_internal.h"

/* SVG/PDF draw spikes as vector rectangles up to this count, above it as an
 * embedded mask image (the file would grow by ~60 bytes a spike). */
#define VECTOR_SPIKES_MAX 50000

/* Font sizes (px) */
#define FS_TITLE 15.0
#define FS_NAME 13.0
#define FS_SMALL 10.5
#define FS_TICK 10.0
#define FS_HEADER 12.0

#define MARGIN 12.0
#define BAND_GAP 14.0

typedef struct layer_geom {
    double top, height;    /* band */
    double row_h;          /* height of one neuron's row */
    double dot;            /* side of a dot in rows shorter than 3 px */
    double mean_hz, fired; /* over the whole raster */
} layer_geom;

typedef struct seg_geom {
    double x, w;   /* column on the picture */
    double a, b;   /* absolute time span drawn, [a, b) */
    double origin; /* time shown as 0 on its axis */
} seg_geom;

typedef struct geom {
    double width, height;
    double plot_l, plot_r;
    double title_y, header_y;
    double bands_top, bands_bottom;
    double gap; /* between columns */
    int with_samples;
    size_t n_segs;
    layer_geom *layers;
    seg_geom *segs;
} geom;

/* Okabe-Ito inspired, darkened to read as dots on white; readout layers
 * (named neurons) get the red so the decision stands out. */
static const unsigned layer_colors[] = {0x3a3a3a, 0x0a5fa8, 0x6b3fa0, 0x0f7a6b, 0x9c5a00};
#define READOUT_COLOR 0xb31b1b
#define BAND_BG 0xf3f3f3
#define LABEL_TINT 0xcdebd2
#define WRONG_TINT 0xf7cfcf
#define RIGHT_COLOR 0x1b7a2e
#define WRONG_COLOR 0xc0392b
#define NOPRED_COLOR 0x444444

static ss_rgb layer_color(const ss_raster *r, size_t li)
{
    if (r->layers[li].neuron_names)
        return ss_rgb_hex(READOUT_COLOR);
    return ss_rgb_hex(layer_colors[li % (sizeof layer_colors / sizeof *layer_colors)]);
}

/* Width of the widest neuron-axis label a layer may show. */
static double axis_label_width(cairo_t *m, const ss_raster_layer *l)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%u", (unsigned)(l->size - 1));
    double w = ss_text_width(m, buf, FS_TICK, 0);
    if (l->neuron_names)
        for (uint32_t k = 0; k < l->size; k++)
            w = fmax(w, ss_text_width(m, l->neuron_names[k], FS_TICK, 0));
    return w;
}

static void layer_stats(const ss_raster *r, size_t li, layer_geom *g, double *scratch)
{
    ss_raster_layer_rates(r, li, scratch, NULL);
    double sum = 0;
    size_t fired = 0;
    for (uint32_t k = 0; k < r->layers[li].size; k++) {
        sum += scratch[k];
        fired += scratch[k] > 0;
    }
    g->mean_hz = sum / r->layers[li].size;
    g->fired = (double)fired / r->layers[li].size;
}

static void stats_text(const layer_geom *g, char *rate, size_t nr, char *fired, size_t nf)
{
    snprintf(rate, nr, "%.3g Hz", g->mean_hz);
    snprintf(fired, nf, "%.0f%% fired", 100 * g->fired);
}

static int layout(const ss_raster *r, const ss_plot_raster_opts *o, geom *g, ss_error *err)
{
    cairo_t *m = ss_measure_context();
    double name_w = 0, tick_w = 0, stats_w = 0;
    for (size_t i = 0; i < r->n_layers; i++) {
        const ss_raster_layer *l = &r->layers[i];
        char buf[64], buf2[64];
        snprintf(buf, sizeof buf, "%u neurons", (unsigned)l->size);
        name_w = fmax(name_w, fmax(ss_text_width(m, l->name, FS_NAME, 1),
                                   ss_text_width(m, buf, FS_SMALL, 0)));
        tick_w = fmax(tick_w, axis_label_width(m, l));
        stats_text(&g->layers[i], buf, sizeof buf, buf2, sizeof buf2);
        stats_w = fmax(
            stats_w, fmax(ss_text_width(m, buf, FS_SMALL, 0), ss_text_width(m, buf2, FS_SMALL, 0)));
    }
    cairo_destroy(m);

    g->plot_l = round(MARGIN + name_w + 14 + tick_w + 8);
    double right = round(10 + stats_w + MARGIN);
    double top = MARGIN;
    g->title_y = top;
    if (o->title)
        top += 26;
    g->header_y = top;
    top += g->with_samples ? 38 : 6;
    g->bands_top = top;
    double bottom = 6 + 16 + 22 + 18 + MARGIN; /* ticks, labels, axis name, note */

    /* Width: about 300 px a column unless given. */
    double plot_w;
    if (o->width_px > 0) {
        plot_w = o->width_px - g->plot_l - right;
        if (plot_w < 100)
            return ss_error_set(err, SS_EUSAGE, "raster picture: width %d px is too small",
                                o->width_px);
    } else {
        plot_w = fmin(fmax(300.0 * (double)g->n_segs, 700), 2400);
    }
    g->plot_r = g->plot_l + round(plot_w);
    g->width = g->plot_r + right;

    /* Heights: a + b*sqrt(size) keeps a 10-neuron readout about a third as
     * tall as a 784-neuron input. */
    double want = 0;
    for (size_t i = 0; i < r->n_layers; i++) {
        /* ... and a readout (named neurons) gets rows tall enough to carry
         * each class name. */
        double size = r->layers[i].size;
        g->layers[i].height = 62 + 5.6 * sqrt(size);
        if (r->layers[i].neuron_names && size <= 16)
            g->layers[i].height = fmax(g->layers[i].height, 13 * size);
        want += g->layers[i].height;
    }
    double gaps = BAND_GAP * (double)(r->n_layers - 1);
    if (o->height_px > 0) {
        double avail = o->height_px - top - bottom - gaps;
        if (avail < 20.0 * (double)r->n_layers)
            return ss_error_set(err, SS_EUSAGE,
                                "raster picture: height %d px is too small for %zu layers",
                                o->height_px, r->n_layers);
        for (size_t i = 0; i < r->n_layers; i++)
            g->layers[i].height *= avail / want;
    }
    double y = g->bands_top;
    for (size_t i = 0; i < r->n_layers; i++) {
        layer_geom *lg = &g->layers[i];
        lg->top = round(y);
        lg->height = round(y + lg->height) - lg->top;
        lg->row_h = lg->height / r->layers[i].size;
        y = lg->top + lg->height + BAND_GAP;
    }
    g->bands_bottom = y - BAND_GAP;
    g->height = o->height_px > 0 ? o->height_px : g->bands_bottom + bottom;

    /* Columns: one per presentation, widths following their durations. */
    double per = plot_w / (double)g->n_segs;
    g->gap = g->n_segs < 2 ? 0 : per >= 60 ? 12 : per >= 8 ? 2 : 0;
    double total_ms = 0;
    for (size_t s = 0; s < g->n_segs; s++) {
        seg_geom *sg = &g->segs[s];
        if (g->with_samples) {
            ss_raster_sample_span(r, s, &sg->a, &sg->b);
            sg->origin = r->samples[s].t0_ms;
        } else {
            ss_raster_free_span(r, &sg->a, &sg->b);
            if (!(sg->b > sg->a))
                sg->b = sg->a + 1; /* nothing recorded: still draw an axis */
            sg->origin = 0;
        }
        total_ms += sg->b - sg->a;
    }
    double usable = plot_w - g->gap * (double)(g->n_segs - 1);
    double x = g->plot_l;
    for (size_t s = 0; s < g->n_segs; s++) {
        seg_geom *sg = &g->segs[s];
        double share = total_ms > 0 ? (sg->b - sg->a) / total_ms : 1.0 / (double)g->n_segs;
        double x1 = x + usable * share;
        sg->x = round(x);
        sg->w = fmax(round(x1) - sg->x, 1);
        x = x1 + g->gap;
    }
    return 0;
}

/* Where a spike goes: its x, and the right end of its column (a dot stays
 * inside), or 0 when it is not drawn. */
static int spike_x(const ss_raster *r, const geom *g, const ss_raster_spike *sp, double *x,
                   double *x_end)
{
    size_t s;
    if (g->with_samples) {
        if (sp->sample < 0)
            return 0;
        s = (size_t)sp->sample;
    } else {
        s = 0;
    }
    const seg_geom *sg = &g->segs[s];
    (void)r;
    if (!(sp->t_ms >= sg->a && sp->t_ms < sg->b))
        return 0;
    *x = sg->x + (sp->t_ms - sg->a) / (sg->b - sg->a) * sg->w;
    *x_end = sg->x + sg->w;
    return 1;
}

/* Dot size in a layer, px: tall rows get ticks of most of the row, short
 * ones square dots. */
static void dot_size(const layer_geom *lg, double *w, double *h)
{
    *h = lg->row_h >= 3 ? lg->row_h * 0.78 : fmax(lg->row_h, lg->dot);
    *w = lg->row_h >= 3 ? 2 : lg->dot;
}

/* Sparse layers get 2 px dots, which a reader can spot; once they would
 * cover more than a few percent of the band, 1 px dots keep the structure
 * of a dense layer from turning into a blot. */
static void dot_sides(const ss_raster *r, geom *g, size_t n_draw)
{
    size_t *count = calloc(r->n_layers, sizeof *count);
    for (size_t i = 0; count && i < n_draw; i++)
        count[r->spikes[i].layer]++;
    for (size_t li = 0; li < r->n_layers; li++) {
        double area = g->layers[li].height * (g->plot_r - g->plot_l);
        g->layers[li].dot = count && (double)count[li] * 4 <= 0.12 * area ? 2 : 1;
    }
    free(count);
}

static double row_top(const layer_geom *lg, uint32_t neuron)
{
    /* neuron 0 at the bottom, like a y axis */
    return lg->top + lg->height - (neuron + 1.0) * lg->row_h;
}

static int draw_spikes_mask(cairo_t *cr, const ss_raster *r, const geom *g, size_t n_draw,
                            double scale, ss_error *err)
{
    int mw = (int)ceil((g->plot_r - g->plot_l) * scale);
    int mh = (int)ceil((g->bands_bottom - g->bands_top) * scale);
    cairo_surface_t *mask = cairo_image_surface_create(CAIRO_FORMAT_A8, mw, mh);
    if (cairo_surface_status(mask) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(mask);
        return ss_error_set(err, SS_ENOMEM, "raster picture: out of memory");
    }
    cairo_surface_flush(mask);
    unsigned char *px = cairo_image_surface_get_data(mask);
    int stride = cairo_image_surface_get_stride(mask);
    for (size_t i = 0; i < n_draw; i++) {
        const ss_raster_spike *sp = &r->spikes[i];
        double x, x_end;
        if (!spike_x(r, g, sp, &x, &x_end))
            continue;
        const layer_geom *lg = &g->layers[sp->layer];
        double dw, dh;
        dot_size(lg, &dw, &dh);
        x = fmin(x, x_end - dw);
        double y = row_top(lg, sp->neuron) + (lg->row_h - dh) / 2;
        int x0 = (int)floor((x - g->plot_l) * scale);
        int y0 = (int)floor((y - g->bands_top) * scale);
        int x1 = x0 + (int)fmax(1, round(dw * scale));
        int y1 = y0 + (int)fmax(1, round(dh * scale));
        if (x0 < 0)
            x0 = 0;
        if (y0 < 0)
            y0 = 0;
        if (x1 > mw)
            x1 = mw;
        if (y1 > mh)
            y1 = mh;
        for (int yy = y0; yy < y1; yy++)
            memset(px + (size_t)yy * (size_t)stride + (size_t)x0, 0xff, (size_t)(x1 - x0));
    }
    cairo_surface_mark_dirty(mask);
    for (size_t li = 0; li < r->n_layers; li++) {
        const layer_geom *lg = &g->layers[li];
        cairo_save(cr);
        cairo_rectangle(cr, g->plot_l, lg->top, g->plot_r - g->plot_l, lg->height);
        cairo_clip(cr);
        ss_set_rgb(cr, layer_color(r, li));
        cairo_translate(cr, g->plot_l, g->bands_top);
        cairo_scale(cr, 1 / scale, 1 / scale);
        cairo_mask_surface(cr, mask, 0, 0);
        cairo_restore(cr);
    }
    cairo_surface_destroy(mask);
    return 0;
}

static void draw_spikes_vector(cairo_t *cr, const ss_raster *r, const geom *g, size_t n_draw)
{
    for (size_t li = 0; li < r->n_layers; li++) {
        const layer_geom *lg = &g->layers[li];
        double dw, dh;
        dot_size(lg, &dw, &dh);
        for (size_t i = 0; i < n_draw; i++) {
            const ss_raster_spike *sp = &r->spikes[i];
            double x, x_end;
            if (sp->layer != li || !spike_x(r, g, sp, &x, &x_end))
                continue;
            cairo_rectangle(cr, fmin(x, x_end - dw), row_top(lg, sp->neuron) + (lg->row_h - dh) / 2,
                            dw, dh);
        }
        ss_set_rgb(cr, layer_color(r, li));
        cairo_fill(cr); /* one fill a layer: the path batches every dot */
    }
}

static int find_name(const ss_raster_layer *l, const char *name)
{
    if (!l->neuron_names || !name)
        return -1;
    for (uint32_t k = 0; k < l->size; k++)
        if (strcmp(l->neuron_names[k], name) == 0)
            return (int)k;
    return -1;
}

/* Band backgrounds, and in readout layers the label row tinted green and a
 * wrong prediction's row red, column by column. */
static void draw_bands(cairo_t *cr, const ss_raster *r, const geom *g)
{
    for (size_t li = 0; li < r->n_layers; li++) {
        const layer_geom *lg = &g->layers[li];
        const ss_raster_layer *l = &r->layers[li];
        for (size_t s = 0; s < g->n_segs; s++) {
            const seg_geom *sg = &g->segs[s];
            ss_set_rgb(cr, ss_rgb_hex(BAND_BG));
            cairo_rectangle(cr, sg->x, lg->top, sg->w, lg->height);
            cairo_fill(cr);
            if (!g->with_samples || lg->row_h < 2)
                continue;
            const ss_raster_sample *smp = &r->samples[s];
            int label = find_name(l, smp->label);
            int pred = find_name(l, smp->predicted);
            if (label >= 0) {
                ss_set_rgb(cr, ss_rgb_hex(LABEL_TINT));
                cairo_rectangle(cr, sg->x, row_top(lg, (uint32_t)label), sg->w, lg->row_h);
                cairo_fill(cr);
            }
            if (pred >= 0 && pred != label) {
                ss_set_rgb(cr, ss_rgb_hex(WRONG_TINT));
                cairo_rectangle(cr, sg->x, row_top(lg, (uint32_t)pred), sg->w, lg->row_h);
                cairo_fill(cr);
            }
        }
    }
}

static void tick_left(cairo_t *cr, const geom *g, double y, const char *text)
{
    cairo_move_to(cr, g->plot_l - 5, y);
    cairo_line_to(cr, g->plot_l - 1, y);
    cairo_stroke(cr);
    ss_text(cr, text, g->plot_l - 8, y, FS_TICK, 0, 1, 0.5);
}

/* Layer name and size on the left, neuron axis, rate and sparsity on the
 * right. */
static void draw_layer_axes(cairo_t *cr, const ss_raster *r, const geom *g)
{
    cairo_set_line_width(cr, 1);
    for (size_t li = 0; li < r->n_layers; li++) {
        const layer_geom *lg = &g->layers[li];
        const ss_raster_layer *l = &r->layers[li];
        double mid = lg->top + lg->height / 2;
        char buf[64], buf2[64];

        ss_set_rgb(cr, layer_color(r, li));
        ss_text(cr, l->name, MARGIN, mid - 1, FS_NAME, 1, 0, 1);
        ss_set_rgb(cr, ss_rgb_hex(0x555555));
        snprintf(buf, sizeof buf, "%u neurons", (unsigned)l->size);
        ss_text(cr, buf, MARGIN, mid + 1, FS_SMALL, 0, 0, 0);

        stats_text(lg, buf, sizeof buf, buf2, sizeof buf2);
        ss_text(cr, buf, g->plot_r + 10, mid - 1, FS_SMALL, 0, 0, 1);
        ss_text(cr, buf2, g->plot_r + 10, mid + 1, FS_SMALL, 0, 0, 0);

        ss_set_rgb(cr, ss_rgb_hex(0x333333));
        /* Every row labelled when rows are tall enough, else nice ticks
         * with the first and last neuron. */
        if (lg->row_h >= 11 && (l->neuron_names || l->size <= 32)) {
            for (uint32_t k = 0; k < l->size; k++) {
                snprintf(buf, sizeof buf, "%u", (unsigned)k);
                tick_left(cr, g, row_top(lg, k) + lg->row_h / 2,
                          l->neuron_names ? l->neuron_names[k] : buf);
            }
            continue;
        }
        double ticks[16], step;
        size_t max_ticks = (size_t)fmax(2, fmin(8, lg->height / 32));
        size_t n = ss_nice_ticks(0, l->size - 1.0, max_ticks, ticks, 16, &step);
        if (step < 1)
            n = ss_nice_ticks(0, l->size - 1.0, l->size, ticks, 16, &step);
        double last_y = INFINITY;
        for (size_t k = 0; k < n; k++) {
            double y = row_top(lg, (uint32_t)ticks[k]) + lg->row_h / 2;
            snprintf(buf, sizeof buf, "%u", (unsigned)ticks[k]);
            tick_left(cr, g, y, buf);
            last_y = y;
        }
        double y_last = row_top(lg, l->size - 1) + lg->row_h / 2;
        if (l->size > 1 && (n == 0 || ticks[n - 1] < l->size - 1) && last_y - y_last >= 13) {
            snprintf(buf, sizeof buf, "%u", (unsigned)(l->size - 1));
            tick_left(cr, g, y_last, buf);
        }
    }
}

/* The texts above a presentation, longest form first: line 1 "test #3",
 * "#3"; line 2 "label 7 → pred 2 ✗", "7 → 2 ✗", "✗". */
typedef struct header_text {
    char line1[2][64];
    char line2[3][160];
    unsigned color;
} header_text;

static void header_text_of(const ss_raster_sample *smp, header_text *h)
{
    snprintf(h->line1[0], sizeof h->line1[0], "%s #%d", ss_phase_name(smp->phase), (int)smp->index);
    snprintf(h->line1[1], sizeof h->line1[1], "#%d", (int)smp->index);
    h->color = NOPRED_COLOR;
    const char *mark = "";
    if (smp->predicted && smp->label) {
        int right = strcmp(smp->predicted, smp->label) == 0;
        h->color = right ? RIGHT_COLOR : WRONG_COLOR;
        mark = right ? " \u2713" : " \u2717";
    }
    const char *lab = smp->label ? smp->label : "?";
    if (smp->predicted) {
        snprintf(h->line2[0], sizeof h->line2[0], "label %s \u2192 pred %s%s", lab, smp->predicted,
                 mark);
        snprintf(h->line2[1], sizeof h->line2[1], "%s \u2192 %s%s", lab, smp->predicted, mark);
    } else {
        snprintf(h->line2[0], sizeof h->line2[0], "label %s", lab);
        snprintf(h->line2[1], sizeof h->line2[1], "%s", lab);
    }
    snprintf(h->line2[2], sizeof h->line2[2], "%s", *mark ? mark + 1 : h->line2[1]);
}

/* One form for every column (the longest that fits them all), so that the
 * headers read as a row. */
static void draw_headers(cairo_t *cr, const ss_raster *r, const geom *g)
{
    int form1 = 0, form2 = 0;
    header_text h;
    for (size_t s = 0; s < g->n_segs; s++) {
        double room = g->segs[s].w + g->gap - 4;
        header_text_of(&r->samples[s], &h);
        while (form1 < 2 && ss_text_width(cr, h.line1[form1], FS_SMALL, 0) > room)
            form1++;
        while (form2 < 3 && ss_text_width(cr, h.line2[form2], FS_HEADER, 1) > room)
            form2++;
    }
    for (size_t s = 0; s < g->n_segs; s++) {
        const seg_geom *sg = &g->segs[s];
        double cx = sg->x + sg->w / 2;
        header_text_of(&r->samples[s], &h);
        if (form1 < 2) {
            ss_set_rgb(cr, ss_rgb_hex(0x555555));
            ss_text(cr, h.line1[form1], cx, g->header_y, FS_SMALL, 0, 0.5, 0);
        }
        ss_set_rgb(cr, ss_rgb_hex(h.color));
        if (form2 < 3) {
            ss_text(cr, h.line2[form2], cx, g->header_y + 15, FS_HEADER, 1, 0.5, 0);
        } else {
            /* Too narrow for text: a bar in the verdict's colour. */
            cairo_rectangle(cr, sg->x, g->bands_top - 9, sg->w, 5);
            cairo_fill(cr);
        }
    }
}

static void draw_time_axis(cairo_t *cr, const geom *g)
{
    double y = g->bands_bottom + 1;
    int all_labelled = 1, same_span = 1;
    cairo_set_line_width(cr, 1);
    ss_set_rgb(cr, ss_rgb_hex(0x333333));
    for (size_t s = 0; s < g->n_segs; s++) {
        const seg_geom *sg = &g->segs[s];
        cairo_move_to(cr, sg->x, y + 0.5);
        cairo_line_to(cr, sg->x + sg->w, y + 0.5);
        cairo_stroke(cr);
        if (s > 0 && (sg->a - sg->origin != g->segs[0].a - g->segs[0].origin ||
                      sg->b - sg->a != g->segs[0].b - g->segs[0].a))
            same_span = 0;
        double ticks[32], step;
        double lo = sg->a - sg->origin, hi = sg->b - sg->origin;
        if (sg->w < 40 || !(hi > lo)) { /* too narrow, or nothing recorded */
            all_labelled = 0;
            continue;
        }
        size_t n = ss_nice_ticks(lo, hi, (size_t)fmax(2, sg->w / 60), ticks, 32, &step);
        /* Labels stay inside their column and half the gap (the outer
         * columns may reach into the margin), so that two columns' end
         * labels never collide. */
        double min_x = sg->x - (s == 0 ? 30 : g->gap / 2 - 1);
        double max_x = sg->x + sg->w + (s + 1 == g->n_segs ? 30 : g->gap / 2 - 1);
        for (size_t k = 0; k < n; k++) {
            double x = sg->x + (ticks[k] - lo) / (hi - lo) * sg->w;
            x = round(x - 0.5) + 0.5;
            cairo_move_to(cr, x, y);
            cairo_line_to(cr, x, y + 5);
            cairo_stroke(cr);
            char buf[32];
            ss_tick_label(buf, sizeof buf, ticks[k], step);
            double w = ss_text_width(cr, buf, FS_TICK, 0);
            if (x - w / 2 >= min_x && x + w / 2 <= max_x)
                ss_text(cr, buf, x, y + 7, FS_TICK, 0, 0.5, 0);
        }
    }
    char label[160];
    if (!g->with_samples)
        snprintf(label, sizeof label, "time (ms)");
    else if (all_labelled || !same_span)
        snprintf(label, sizeof label, "time within each presentation (ms)");
    else /* columns too narrow for numbers: say what one spans */
        snprintf(label, sizeof label, "time within each presentation: %g to %g ms a column",
                 g->segs[0].a - g->segs[0].origin, g->segs[0].b - g->segs[0].origin);
    ss_text(cr, label, (g->plot_l + g->plot_r) / 2, y + 24, FS_SMALL + 0.5, 0, 0.5, 0);
}

int ss_plot_raster(const ss_raster *r, const char *path, ss_plot_format fmt,
                   const ss_plot_raster_opts *opts, size_t *n_dropped, ss_error *err)
{
    static const ss_plot_raster_opts defaults;
    const ss_plot_raster_opts *o = opts ? opts : &defaults;
    if (n_dropped)
        *n_dropped = 0;
    if (r->n_layers == 0)
        return ss_error_set(err, SS_EDATA, "%s: nothing to draw: the raster has no layers", path);
    if (!ss_raster_is_sorted(r))
        return ss_error_set(err, SS_EDATA, "%s: raster spikes are not sorted by time", path);
    size_t n_draw = r->n_spikes;
    if (o->max_spikes > 0 && n_draw > o->max_spikes)
        n_draw = o->max_spikes;

    geom g = {0};
    g.with_samples = r->n_samples > 0;
    g.n_segs = g.with_samples ? r->n_samples : 1;
    size_t max_size = 1;
    for (size_t i = 0; i < r->n_layers; i++)
        if (r->layers[i].size > max_size)
            max_size = r->layers[i].size;
    g.layers = calloc(r->n_layers, sizeof *g.layers);
    g.segs = calloc(g.n_segs, sizeof *g.segs);
    double *scratch = malloc(max_size * sizeof *scratch);
    ss_canvas c = {0};
    int rc = 0;
    if (!g.layers || !g.segs || !scratch) {
        rc = ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i < r->n_layers; i++)
        layer_stats(r, i, &g.layers[i], scratch);
    if ((rc = layout(r, o, &g, err)) < 0)
        goto out;
    dot_sides(r, &g, n_draw);
    if ((rc = ss_canvas_open(&c, path, fmt, g.width, g.height, err)) < 0)
        goto out;
    cairo_t *cr = c.cr;

    if (o->title) {
        ss_set_rgb(cr, ss_rgb_hex(0x111111));
        ss_text(cr, o->title, MARGIN, g.title_y, FS_TITLE, 1, 0, 0);
    }
    draw_bands(cr, r, &g);
    if (fmt != SS_PLOT_PNG && n_draw <= VECTOR_SPIKES_MAX) {
        draw_spikes_vector(cr, r, &g, n_draw);
    } else {
        /* A vector file's mask gets twice the resolution, for zooming. */
        double scale = fmt == SS_PLOT_PNG ? 1 : 2;
        if ((g.plot_r - g.plot_l) * scale > SS_PLOT_MAX_SIDE ||
            (g.bands_bottom - g.bands_top) * scale > SS_PLOT_MAX_SIDE)
            scale = 1;
        if ((rc = draw_spikes_mask(cr, r, &g, n_draw, scale, err)) < 0) {
            ss_canvas_abort(&c);
            goto out;
        }
    }
    draw_layer_axes(cr, r, &g);
    if (g.with_samples)
        draw_headers(cr, r, &g);
    draw_time_axis(cr, &g);
    if (n_draw < r->n_spikes) {
        char note[200];
        snprintf(note, sizeof note,
                 "Only the first %zu of %zu spikes are drawn (spike cap): %zu later spikes left "
                 "out.",
                 n_draw, r->n_spikes, r->n_spikes - n_draw);
        ss_set_rgb(cr, ss_rgb_hex(WRONG_COLOR));
        ss_text(cr, note, MARGIN, g.height - MARGIN, FS_SMALL, 0, 0, 1);
    }
    if ((rc = ss_canvas_commit(&c, err)) < 0)
        goto out;
    if (n_dropped)
        *n_dropped = r->n_spikes - n_draw;
out:
    free(g.layers);
    free(g.segs);
    free(scratch);
    return rc;
}
