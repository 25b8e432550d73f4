/* Counter-based random streams: Philox4x64-10 from Random123 (see stream.h).
 *
 * Draw i of (seed, purpose, a, b) is word i % 4 of
 * philox4x64(counter = {a, b, i / 4, 0}, key = {seed, purpose}).  Philox is
 * a keyed bijection of the counter; Random123's tests (TestU01 BigCrush on
 * every key) are why a counter may simply count. */
#include <spiksim/stream.h>

#include <Random123/philox.h>
#include <math.h>

/* 2^-53: a 53-bit integer times this is a double in [0, 1). */
#define TWO_M53 (1.0 / 9007199254740992.0)

static void fill_block(ss_stream *s)
{
    philox4x64_ctr_t c = {{s->a, s->b, s->next >> 2, 0}};
    philox4x64_key_t k = {{s->key[0], s->key[1]}};
    philox4x64_ctr_t r = philox4x64(c, k);
    for (int i = 0; i < 4; i++)
        s->block[i] = r.v[i];
}

void ss_stream_init(ss_stream *s, uint64_t seed, ss_stream_purpose purpose, uint64_t a, uint64_t b)
{
    s->key[0] = seed;
    s->key[1] = (uint64_t)purpose;
    s->a = a;
    s->b = b;
    ss_stream_seek(s, 0);
}

void ss_stream_seek(ss_stream *s, uint64_t index)
{
    s->next = index;
    fill_block(s);
}

uint64_t ss_stream_u64(ss_stream *s)
{
    uint64_t x = s->block[s->next & 3];
    if ((++s->next & 3) == 0)
        fill_block(s);
    return x;
}

double ss_stream_uniform(ss_stream *s)
{
    return (double)(ss_stream_u64(s) >> 11) * TWO_M53;
}

double ss_stream_uniform_pos(ss_stream *s)
{
    return ((double)(ss_stream_u64(s) >> 11) + 0.5) * TWO_M53;
}

uint64_t ss_stream_below(ss_stream *s, uint64_t n)
{
    uint64_t k = (uint64_t)(ss_stream_uniform(s) * (double)n);
    return k < n ? k : n - 1; /* u * n rounds up to n only for u within 2^-53 of 1 */
}

double ss_stream_exponential(ss_stream *s, double mean)
{
    return -mean * log(ss_stream_uniform_pos(s));
}

double ss_stream_uniform_pos_at(uint64_t seed, ss_stream_purpose purpose, uint64_t a, uint64_t b,
                                uint64_t index)
{
    philox4x64_ctr_t c = {{a, b, index >> 2, 0}};
    philox4x64_key_t k = {{seed, (uint64_t)purpose}};
    philox4x64_ctr_t r = philox4x64(c, k);
    return ((double)(r.v[index & 3] >> 11) + 0.5) * TWO_M53;
}

/* ---- a gsl_rng type over a stream ---- */

static void gsl_set(void *state, unsigned long seed)
{
    /* The stream is keyed when it is made; gsl_rng_set() restarts it. */
    (void)seed;
    ss_stream_seek(state, 0);
}

static unsigned long gsl_get(void *state)
{
    return (unsigned long)(ss_stream_u64(state) >> 32);
}

static double gsl_get_double(void *state)
{
    return ss_stream_uniform(state);
}

static const gsl_rng_type stream_type = {
    "spiksim-philox4x64", 0xffffffffUL, 0, sizeof(ss_stream), gsl_set, gsl_get, gsl_get_double,
};

void ss_stream_gsl(ss_stream *s, gsl_rng *r)
{
    r->type = &stream_type;
    r->state = s;
}

uint64_t ss_stream_key_of(const char *name)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        h ^= *c;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

uint64_t ss_stream_mix(uint64_t a, uint64_t b)
{
    uint64_t z = a * UINT64_C(0x9e3779b97f4a7c15) + b + UINT64_C(0x632be59bd9b4e019);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
