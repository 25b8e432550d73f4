/* Progress of a training run on stderr: a redrawn bar when stderr is a
 * terminal (epoch, sample, samples/s, ETA, running accuracy), a plain line
 * every few seconds otherwise (logs stay readable), nothing when quiet. */
#ifndef SPIKSIM_PROGRESS_H
#define SPIKSIM_PROGRESS_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SS_PROGRESS_QUIET, SS_PROGRESS_LINES, SS_PROGRESS_BAR } ss_progress_mode;

typedef struct ss_progress {
    FILE *out;
    ss_progress_mode mode;
    double start_s, last_print_s;
    double line_interval_s; /* LINES mode: seconds between lines */
    long total, done;
    char phase[32];
} ss_progress;

/* mode from the terminal: BAR when out is a TTY, LINES otherwise; quiet wins. */
void ss_progress_init(ss_progress *p, FILE *out, int quiet);
/* Starts a phase ("fold 1 epoch 2/10 train") of total samples. */
void ss_progress_begin(ss_progress *p, const char *phase, long total);
/* done samples so far; accuracy in [0,1] or negative when unknown. */
void ss_progress_update(ss_progress *p, long done, double accuracy);
/* Clears the bar (or prints the last line) at the end of a phase. */
void ss_progress_end(ss_progress *p);

/* Monotonic seconds, for timings. */
double ss_now_s(void);

#ifdef __cplusplus
}
#endif
#endif
