/* Random numbers keyed by what they are for.
 *
 * Every random number spiksim draws is a counter-based draw: Philox4x64-10
 * (Random123; Salmon, Moraes, Dror, Shaw 2011, "Parallel random numbers: as
 * easy as 1, 2, 3") of a counter under a key.  The key holds the run's seed
 * and the purpose of the draw; the counter holds two words naming the entity
 * (a projection and a target neuron, a presentation and a source neuron, ...)
 * and the index of the draw.  The i-th draw of (seed, purpose, a, b) is thus
 * a function of those five numbers alone: whichever thread, rank or
 * partition makes it, in whatever order, gets the same number.  That is what
 * lets a run give the same result on any number of threads or processes
 * (docs/parallel.md).
 *
 *     ss_stream s;
 *     ss_stream_init(&s, seed, SS_STREAM_WEIGHT, projection_key, target);
 *     double w = lo + (hi - lo) * ss_stream_uniform(&s);
 *
 * GSL's distributions run on a stream through ss_stream_gsl(), which makes a
 * gsl_rng (no allocation) whose draws are the stream's.
 */
#ifndef SPIKSIM_STREAM_H
#define SPIKSIM_STREAM_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a draw is for: the second word of the key.  Never renumber these:
 * seeded results depend on them. */
typedef enum ss_stream_purpose {
    SS_STREAM_CONNECT = 1, /* a = projection key, b = target neuron */
    SS_STREAM_WEIGHT = 2,  /* a = projection key, b = target neuron */
    SS_STREAM_DELAY = 3,   /* a = projection key, b = target neuron */
    SS_STREAM_V_INIT = 4,  /* a = run stream, b = global neuron id; draw = reset number */
    SS_STREAM_POISSON = 5, /* a = run stream, b = global neuron id; draw = spike number */
    SS_STREAM_ORDER = 6,   /* a = epoch, b = 0: presentation order */
    SS_STREAM_BASELINE = 7, /* the backprop baseline's initial weights and batches */
    SS_STREAM_ATTACK = 8    /* a = attack's key, b = sample: random starts, SPSA directions */
} ss_stream_purpose;

/* A sequence of draws of one (seed, purpose, a, b).  Plain data: copy it to
 * fork the sequence, keep it on the stack. */
typedef struct ss_stream {
    uint64_t key[2];   /* seed, purpose */
    uint64_t a, b;     /* the entity */
    uint64_t next;     /* index of the next draw */
    uint64_t block[4]; /* the Philox output holding draws next & ~3 .. (next & ~3) + 3 */
} ss_stream;

void ss_stream_init(ss_stream *s, uint64_t seed, ss_stream_purpose purpose, uint64_t a, uint64_t b);
/* Starts the sequence again at draw index. */
void ss_stream_seek(ss_stream *s, uint64_t index);

/* The next draw: 64 uniform bits, a uniform double in [0, 1) (53 bits), or in
 * (0, 1) (never 0 nor 1: safe under a logarithm). */
uint64_t ss_stream_u64(ss_stream *s);
double ss_stream_uniform(ss_stream *s);
double ss_stream_uniform_pos(ss_stream *s);
/* A uniform integer in [0, n), 0 < n < 2^53: floor(n u) of a 53-bit
 * uniform u, whose bias (below n / 2^53) is far under any sampling noise. */
uint64_t ss_stream_below(ss_stream *s, uint64_t n);
/* An exponential interval of mean mean_ms. */
double ss_stream_exponential(ss_stream *s, double mean);

/* Draw number index of (seed, purpose, a, b) in (0, 1), without a stream:
 * the same number ss_stream_uniform_pos() gives at that index.  For hot paths
 * that keep only a count (a Poisson source's spike number). */
double ss_stream_uniform_pos_at(uint64_t seed, ss_stream_purpose purpose, uint64_t a, uint64_t b,
                                uint64_t index);

/* r becomes a gsl_rng drawing from s (r->state points at s, so s must
 * outlive r's use).  gsl_rng_uniform(r) is ss_stream_uniform(s); gsl_rng_get
 * gives 32 bits.  Do not gsl_rng_free() it. */
void ss_stream_gsl(ss_stream *s, gsl_rng *r);

/* A 64-bit key for a name (FNV-1a), so that a projection's synapses depend
 * on its name, not on where it sits in the model file. */
uint64_t ss_stream_key_of(const char *name);
/* Mixes words into one 64-bit key (splitmix64 finaliser): a presentation's
 * stream from (pass, epoch, sample), say. */
uint64_t ss_stream_mix(uint64_t a, uint64_t b);

#ifdef __cplusplus
}
#endif
#endif
