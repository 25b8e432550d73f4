/* The CSV raster: one spike per row, for spreadsheets, pandas and R.
 *
 *     time_ms,layer,neuron,sample,phase,label
 *     1003.25,input,17,0,test,7
 *
 * sample is the data-set index of the presentation (with its phase and true
 * label); a spike outside any presentation has sample -1 and empty phase and
 * label.  Times are printed with the fewest digits that read back as the
 * same double, so a round trip is exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raster_internal.h"

void ss_format_double(char *buf, size_t size, double x)
{
    /* %.17g always round-trips but prints 0.1 as 0.10000000000000001; the
     * first shorter precision that reads back exactly is the readable one. */
    for (int prec = 15; prec < 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            return;
    }
    snprintf(buf, size, "%.17g", x);
}

/* A field as RFC 4180 wants it: quoted when it holds a comma, quote or
 * line break, with quotes doubled. */
static void put_field(const char *s, FILE *fp)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

int ss_raster_write_csv(const ss_raster *r, size_t n, FILE *fp)
{
    char tbuf[40];
    fputs("time_ms,layer,neuron,sample,phase,label\n", fp);
    for (size_t i = 0; i < n; i++) {
        const ss_raster_spike *sp = &r->spikes[i];
        ss_format_double(tbuf, sizeof tbuf, sp->t_ms);
        fputs(tbuf, fp);
        fputc(',', fp);
        put_field(r->layers[sp->layer].name, fp);
        fprintf(fp, ",%u,", (unsigned)sp->neuron);
        if (sp->sample >= 0) {
            const ss_raster_sample *s = &r->samples[sp->sample];
            fprintf(fp, "%d,%s,", (int)s->index, ss_phase_name(s->phase));
            put_field(s->label, fp);
            fputc('\n', fp);
        } else {
            fputs("-1,,\n", fp);
        }
    }
    return ferror(fp) ? -1 : 0;
}
