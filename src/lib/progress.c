/* Progress display, see progress.h. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/progress.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

double ss_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ss_progress_init(ss_progress *p, FILE *out, int quiet)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->line_interval_s = 10;
    if (quiet)
        p->mode = SS_PROGRESS_QUIET;
    else
        p->mode = isatty(fileno(out)) ? SS_PROGRESS_BAR : SS_PROGRESS_LINES;
}

void ss_progress_begin(ss_progress *p, const char *phase, long total)
{
    snprintf(p->phase, sizeof p->phase, "%s", phase);
    p->total = total;
    p->done = 0;
    p->start_s = p->last_print_s = ss_now_s();
}

static void render(ss_progress *p, double accuracy, double now)
{
    double elapsed = now - p->start_s;
    double rate = elapsed > 0 ? p->done / elapsed : 0;
    double eta = rate > 0 ? (p->total - p->done) / rate : 0;
    char acc[32] = "";
    if (accuracy >= 0)
        snprintf(acc, sizeof acc, "  acc %5.1f%%", 100 * accuracy);
    if (p->mode == SS_PROGRESS_BAR) {
        int width = 24, filled = p->total > 0 ? (int)(width * p->done / p->total) : 0;
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(p->out, "\r%-26s [%s] %ld/%ld  %.0f/s  ETA %.0fs%s\033[K", p->phase, bar, p->done,
                p->total, rate, eta, acc);
    } else {
        fprintf(p->out, "spiksim: %s: %ld/%ld samples, %.0f/s, ETA %.0fs%s\n", p->phase, p->done,
                p->total, rate, eta, acc);
    }
    fflush(p->out);
}

void ss_progress_update(ss_progress *p, long done, double accuracy)
{
    p->done = done;
    if (p->mode == SS_PROGRESS_QUIET)
        return;
    double now = ss_now_s();
    double interval = p->mode == SS_PROGRESS_BAR ? 0.1 : p->line_interval_s;
    if (now - p->last_print_s < interval && done < p->total)
        return;
    p->last_print_s = now;
    render(p, accuracy, now);
}

void ss_progress_end(ss_progress *p)
{
    if (p->mode == SS_PROGRESS_BAR) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
}
