/* Values of the --raster-* flags: parsed and checked before any simulation
 * starts, so a typo costs nothing; see raster.h. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/raster.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const format_names[] = {"csv", "bin", "png", "svg", "pdf", "h5"};
#define N_FORMATS (sizeof format_names / sizeof *format_names)

const char *ss_raster_format_name(ss_raster_format fmt)
{
    return (size_t)fmt < N_FORMATS ? format_names[fmt] : "?";
}

int ss_raster_format_is_picture(ss_raster_format fmt)
{
    return fmt == SS_RASTER_PNG || fmt == SS_RASTER_SVG || fmt == SS_RASTER_PDF;
}

static int format_lookup(const char *name, ss_raster_format *fmt)
{
    for (size_t i = 0; i < N_FORMATS; i++)
        if (strcasecmp(name, format_names[i]) == 0) {
            *fmt = (ss_raster_format)i;
            return 1;
        }
    return 0;
}

int ss_raster_format_parse(const char *name, ss_raster_format *fmt, ss_error *err)
{
    if (!format_lookup(name, fmt))
        return ss_error_set(err, SS_EUSAGE,
                            "--raster-format: unknown format '%s' (use csv, bin, h5, png, svg or pdf)",
                            name);
    return 0;
}

int ss_raster_format_from_path(const char *path, ss_raster_format *fmt, ss_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base || !format_lookup(dot + 1, fmt))
        return ss_error_set(err, SS_EUSAGE,
                            "--raster %s: cannot tell the format from the file name; name it "
                            "*.csv, *.bin, *.h5 (SONATA), *.png, *.svg or *.pdf, or give --raster-format",
                            path);
    return 0;
}

/* Whole number without sign or spaces in [0, max]; 0 when s is not one. */
static int parse_whole(const char *s, size_t len, unsigned long long max, unsigned long long *out)
{
    if (len == 0)
        return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static int samples_error(ss_error *err, const char *spec, const char *what, size_t len)
{
    return ss_error_set(err, SS_EUSAGE,
                        "--raster-samples '%s': %.*s is not all, a count, train[:I[-J]] or "
                        "test[:I[-J]]",
                        spec, (int)len, what);
}

/* One item of the union, [item, item + len). */
static int samples_item(const char *spec, const char *item, size_t len, ss_raster_samples *out,
                        ss_error *err)
{
    unsigned long long a, b;
    if (len == 3 && strncmp(item, "all", 3) == 0) {
        out->all = 1;
        return 0;
    }
    if (parse_whole(item, len, SIZE_MAX, &a)) {
        if (a == 0)
            return ss_error_set(err, SS_EUSAGE, "--raster-samples '%s': a count must be at least 1",
                                spec);
        if (a > out->first_n)
            out->first_n = (size_t)a;
        return 0;
    }
    ss_phase phase;
    size_t plen;
    if (len >= 5 && strncmp(item, "train", 5) == 0) {
        phase = SS_PHASE_TRAIN;
        plen = 5;
    } else if (len >= 4 && strncmp(item, "test", 4) == 0) {
        phase = SS_PHASE_TEST;
        plen = 4;
    } else {
        return samples_error(err, spec, item, len);
    }
    a = 0;
    b = INT32_MAX;
    if (plen < len) {
        if (item[plen] != ':')
            return samples_error(err, spec, item, len);
        const char *r = item + plen + 1;
        size_t rlen = len - plen - 1;
        const char *dash = memchr(r, '-', rlen);
        size_t alen = dash ? (size_t)(dash - r) : rlen;
        if (rlen == 3 && strncmp(r, "all", 3) == 0) {
            /* PHASE:all is PHASE */
        } else if (!parse_whole(r, alen, INT32_MAX, &a)) {
            return samples_error(err, spec, item, len);
        } else if (!dash) {
            b = a;
        } else if (!parse_whole(dash + 1, rlen - alen - 1, INT32_MAX, &b)) {
            return samples_error(err, spec, item, len);
        } else if (a > b) {
            return ss_error_set(err, SS_EUSAGE,
                                "--raster-samples '%s': range %llu-%llu runs backwards", spec, a,
                                b);
        }
    }
    if (out->n_ranges >= SS_RASTER_MAX_RANGES)
        return ss_error_set(err, SS_EUSAGE, "--raster-samples '%s': more than %d items", spec,
                            SS_RASTER_MAX_RANGES);
    out->ranges[out->n_ranges].phase = phase;
    out->ranges[out->n_ranges].first = (int32_t)a;
    out->ranges[out->n_ranges].last = (int32_t)b;
    out->n_ranges++;
    return 0;
}

/* One item of a comma-separated flag value: on return *p is its first
 * non-blank character and *len its length without surrounding blanks
 * ("test:0, test:5" is fine); returns the comma after it, or NULL. */
static const char *list_item(const char **p, size_t *len)
{
    const char *comma = strchr(*p, ',');
    *len = comma ? (size_t)(comma - *p) : strlen(*p);
    while (*len > 0 && isspace((unsigned char)**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*p)[*len - 1]))
        (*len)--;
    return comma;
}

int ss_raster_samples_parse(const char *spec, ss_raster_samples *out, ss_error *err)
{
    memset(out, 0, sizeof *out);
    const char *p = spec;
    for (;;) {
        size_t len;
        const char *comma = list_item(&p, &len);
        if (len == 0)
            return ss_error_set(err, SS_EUSAGE, "--raster-samples '%s': empty item", spec);
        int rc = samples_item(spec, p, len, out, err);
        if (rc < 0) {
            memset(out, 0, sizeof *out);
            return rc;
        }
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int ss_raster_samples_match(const ss_raster_samples *s, ss_phase phase, int32_t index,
                            size_t ordinal)
{
    if (s->all || ordinal < s->first_n)
        return 1;
    for (size_t i = 0; i < s->n_ranges; i++)
        if (s->ranges[i].phase == phase && index >= s->ranges[i].first &&
            index <= s->ranges[i].last)
            return 1;
    return 0;
}

/* A time in ms: the whole of [s, s + len), finite.  Empty gives dflt. */
static int parse_ms(const char *s, size_t len, double dflt, double *out)
{
    if (len == 0) {
        *out = dflt;
        return 1;
    }
    char buf[64];
    if (len >= sizeof buf || isspace((unsigned char)s[0]))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int ss_raster_window_parse(const char *spec, ss_raster_window *w, ss_error *err)
{
    const char *colon = strchr(spec, ':');
    if (!colon || strchr(colon + 1, ':') || (colon == spec && colon[1] == '\0'))
        return ss_error_set(err, SS_EUSAGE,
                            "--raster-window '%s': expected T0:T1 in ms (e.g. 0:200, :50, 100:)",
                            spec);
    double t0, t1;
    if (!parse_ms(spec, (size_t)(colon - spec), 0, &t0) ||
        !parse_ms(colon + 1, strlen(colon + 1), INFINITY, &t1))
        return ss_error_set(err, SS_EUSAGE, "--raster-window '%s': T0 and T1 must be numbers of ms",
                            spec);
    if (t0 < 0)
        return ss_error_set(err, SS_EUSAGE, "--raster-window '%s': T0 must not be negative", spec);
    if (t0 > t1)
        return ss_error_set(err, SS_EUSAGE, "--raster-window '%s': T0 (%g ms) is after T1 (%g ms)",
                            spec, t0, t1);
    if (t0 == t1)
        return ss_error_set(err, SS_EUSAGE, "--raster-window '%s': the window is empty (T0 = T1)",
                            spec);
    w->t0_ms = t0;
    w->t1_ms = t1;
    return 0;
}

int ss_raster_window_contains(const ss_raster_window *w, double t_ms)
{
    return t_ms >= w->t0_ms && t_ms < w->t1_ms;
}

int ss_raster_layers_parse(const char *list, const char *const *names, size_t n_names,
                           unsigned char *keep, ss_error *err)
{
    for (size_t i = 0; i < n_names; i++)
        keep[i] = 0;
    const char *p = list;
    for (;;) {
        size_t len;
        const char *comma = list_item(&p, &len);
        if (len == 0)
            return ss_error_set(err, SS_EUSAGE, "--raster-layers '%s': empty layer name", list);
        size_t i;
        for (i = 0; i < n_names; i++)
            if (strlen(names[i]) == len && strncmp(names[i], p, len) == 0)
                break;
        if (i == n_names) {
            char known[512] = "";
            size_t used = 0;
            for (size_t k = 0; k < n_names && used < sizeof known; k++) {
                int n =
                    snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "", names[k]);
                if (n < 0)
                    break;
                used += (size_t)n;
            }
            return ss_error_set(err, SS_EUSAGE,
                                "--raster-layers: unknown layer '%.*s' (layers: %s)", (int)len, p,
                                known);
        }
        keep[i] = 1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int ss_raster_max_spikes_parse(const char *text, size_t *n, ss_error *err)
{
    unsigned long long v;
    if (!parse_whole(text, strlen(text), SIZE_MAX, &v) || v == 0)
        return ss_error_set(err, SS_EUSAGE,
                            "--raster-max-spikes '%s': expected a whole number of at least 1",
                            text);
    *n = (size_t)v;
    return 0;
}
