/* The canvas every picture is drawn on, text and tick helpers; see
 * plot_internal.h.  Pictures use cairo's toy text API: the labels are short
 * Latin text, and fontconfig's "sans-serif" (DejaVu Sans on Debian) covers
 * them, so pango would add a dependency for nothing. */
#define _GNU_SOURCE /* RTLD_DEFAULT, in ss_plot_release_caches() */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "plot_internal.h"

int ss_plot_format_from_path(const char *path, ss_plot_format *fmt, ss_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    static const char *const ext[] = {"png", "svg", "pdf"};
    for (int i = 0; dot && i < 3; i++)
        if (strcasecmp(dot + 1, ext[i]) == 0) {
            *fmt = (ss_plot_format)i;
            return 0;
        }
    return ss_error_set(err, SS_EUSAGE,
                        "%s: cannot tell the picture format; name it *.png, *.svg or *.pdf", path);
}

void ss_plot_release_caches(void)
{
    cairo_debug_reset_static_data();
    /* cairo keeps fontconfig's configuration for the life of the process;
     * FcFini() releases it.  spiksim does not link fontconfig itself (cairo
     * does, where it uses it), so look the function up rather than add a
     * build dependency for one call at exit. */
    void (*fc_fini)(void);
    void *sym = dlsym(RTLD_DEFAULT, "FcFini");
    memcpy(&fc_fini, &sym, sizeof fc_fini); /* ISO C has no object-to-function cast */
    if (sym)
        fc_fini();
}

int ss_plot_dir_check(const char *dir, ss_error *err)
{
    return ss_output_dir_check(dir, "--plot-dir", err);
}

/* Unhinted metrics: text measured on one surface fits on another. */
static void set_font_options(cairo_t *cr)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
}

cairo_t *ss_measure_context(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(s);
    cairo_surface_destroy(s); /* cr holds its own reference */
    set_font_options(cr);
    return cr;
}

static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int length)
{
    FILE *fp = closure;
    return fwrite(data, 1, length, fp) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int ss_canvas_open(ss_canvas *c, const char *path, ss_plot_format fmt, double width, double height,
                   ss_error *err)
{
    memset(c, 0, sizeof *c);
    c->fmt = fmt;
    c->path = path;
    c->width = ceil(width);
    c->height = ceil(height);
    if (!(c->width >= 1 && c->height >= 1 && c->width <= SS_PLOT_MAX_SIDE &&
          c->height <= SS_PLOT_MAX_SIDE))
        return ss_error_set(err, SS_EUSAGE, "%s: picture size %gx%g is out of range (1 to %d)",
                            path, width, height, SS_PLOT_MAX_SIDE);
    if (fmt != SS_PLOT_PNG && fmt != SS_PLOT_SVG && fmt != SS_PLOT_PDF)
        return ss_error_set(err, SS_EUSAGE, "%s: unknown picture format %d", path, (int)fmt);
    c->af = ss_atomic_file_open(path, err);
    if (!c->af)
        return err ? err->code : SS_EIO;
    FILE *fp = ss_atomic_file_stream(c->af);
    switch (fmt) {
    case SS_PLOT_PNG:
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)c->width, (int)c->height);
        break;
    case SS_PLOT_SVG:
        c->surface = cairo_svg_surface_create_for_stream(write_stream, fp, c->width, c->height);
        break;
    case SS_PLOT_PDF:
        c->surface = cairo_pdf_surface_create_for_stream(write_stream, fp, c->width, c->height);
        cairo_pdf_surface_set_metadata(c->surface, CAIRO_PDF_METADATA_CREATOR, "spiksim");
        /* No creation date (cairo leaves it out when given none that
         * parses): the same run gives the same bytes, as a seed promises. */
        cairo_pdf_surface_set_metadata(c->surface, CAIRO_PDF_METADATA_CREATE_DATE, "");
        break;
    }
    c->cr = cairo_create(c->surface);
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
        int rc = ss_error_set(err, SS_ENOMEM, "%s: cannot draw: %s", path,
                              cairo_status_to_string(cairo_status(c->cr)));
        ss_canvas_abort(c);
        return rc;
    }
    set_font_options(c->cr);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    return 0;
}

int ss_canvas_commit(ss_canvas *c, ss_error *err)
{
    cairo_status_t st = cairo_status(c->cr);
    cairo_destroy(c->cr);
    c->cr = NULL;
    if (st == CAIRO_STATUS_SUCCESS) {
        if (c->fmt == SS_PLOT_PNG)
            st = cairo_surface_write_to_png_stream(c->surface, write_stream,
                                                   ss_atomic_file_stream(c->af));
        else
            cairo_surface_finish(c->surface); /* flushes the SVG/PDF stream */
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_status(c->surface);
    }
    cairo_surface_destroy(c->surface);
    c->surface = NULL;
    if (st == CAIRO_STATUS_WRITE_ERROR) {
        /* The stream knows why (a full disk, a closed pipe): say that. */
        int rc = ss_atomic_file_fail(c->af, err);
        c->af = NULL;
        return rc;
    }
    if (st != CAIRO_STATUS_SUCCESS) {
        int rc = ss_error_set(err, SS_ERUNTIME, "%s: cannot write picture: %s", c->path,
                              cairo_status_to_string(st));
        ss_atomic_file_abort(c->af);
        c->af = NULL;
        return rc;
    }
    int rc = ss_atomic_file_commit(c->af, err);
    c->af = NULL;
    return rc;
}

void ss_canvas_abort(ss_canvas *c)
{
    if (c->cr)
        cairo_destroy(c->cr);
    if (c->surface) {
        /* Finishing would flush a half picture into the temporary file,
         * which goes away below anyway. */
        cairo_surface_destroy(c->surface);
    }
    ss_atomic_file_abort(c->af);
    memset(c, 0, sizeof *c);
}

ss_rgb ss_rgb_hex(unsigned hex)
{
    ss_rgb c = {((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0, (hex & 0xff) / 255.0};
    return c;
}

void ss_set_rgb(cairo_t *cr, ss_rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static void set_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double ss_text_width(cairo_t *cr, const char *s, double size, int bold)
{
    cairo_text_extents_t te;
    set_font(cr, size, bold);
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

double ss_text(cairo_t *cr, const char *s, double x, double y, double size, int bold, double ha,
               double va)
{
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    set_font(cr, size, bold);
    cairo_text_extents(cr, s, &te);
    cairo_font_extents(cr, &fe);
    /* Align on the font's ascent and descent, not the ink, so that labels
     * in a row share a baseline whatever their letters. */
    double height = fe.ascent + fe.descent;
    cairo_move_to(cr, x - ha * te.x_advance, y - va * height + fe.ascent);
    cairo_show_text(cr, s);
    return te.x_advance;
}

void ss_text_up(cairo_t *cr, const char *s, double x, double y, double size, int bold)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -SS_PI / 2);
    ss_text(cr, s, 0, 0, size, bold, 0.5, 0.5);
    cairo_restore(cr);
}

static size_t tick_count(double lo, double hi, double step)
{
    /* A little slack so that hi itself gets its tick despite rounding. */
    return (size_t)(floor(hi / step + 1e-9) - ceil(lo / step - 1e-9) + 1);
}

size_t ss_nice_ticks(double lo, double hi, size_t max_ticks, double *ticks, size_t cap,
                     double *step)
{
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi) || max_ticks < 1 || cap == 0) {
        *step = 1;
        if (cap > 0 && isfinite(lo)) {
            ticks[0] = lo;
            return 1;
        }
        return 0;
    }
    if (max_ticks > cap)
        max_ticks = cap;
    /* The finest of 1, 2, 5 times a power of ten that stays within
     * max_ticks: rounding a rough step up instead can leave one tick. */
    static const double nice[] = {1, 2, 5};
    double base = pow(10, floor(log10((hi - lo) / (double)max_ticks)) - 1), s = base;
    for (int k = 0; tick_count(lo, hi, s) > max_ticks; k++) {
        if (k % 3 == 0 && k > 0)
            base *= 10;
        s = base * nice[k % 3];
    }
    size_t n = 0;
    for (double k = ceil(lo / s - 1e-9); k * s <= hi + s * 1e-9 && n < cap; k++)
        ticks[n++] = k * s;
    *step = s;
    return n;
}

void ss_tick_label(char *buf, size_t size, double v, double step)
{
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (decimals > 6)
        decimals = 6;
    if (fabs(v) < step * 1e-6)
        v = 0; /* no "-0" */
    snprintf(buf, size, "%.*f", decimals, v);
}
