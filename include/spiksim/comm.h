/* The processes of a run, and what they say to each other.
 *
 * Built with MPI (./configure --with-mpi) and started by mpirun, a run is
 * R processes (ranks), each holding some partitions of the network
 * (docs/parallel.md); otherwise it is this process alone, and every
 * operation below is the single-process case of the same contract (a
 * gather returns what was sent, a sum leaves the values as they are).
 *
 *     ss_comm *world = ss_comm_world(&argc, &argv, &err);
 *     ss_engine_options opt = {.seed = 1, .threads = 2, .comm = world};
 *     ...
 *     ss_comm_free(world);
 *
 * Only the thread that made the ss_comm calls into it (MPI_THREAD_FUNNELED):
 * the engine's other threads never do.
 */
#ifndef SPIKSIM_COMM_H
#define SPIKSIM_COMM_H

#include <stddef.h>
#include <stdint.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_comm ss_comm;

/* Every rank of the run when this program was started by mpirun (and built
 * with MPI): calls MPI_Init_thread.  Otherwise this process alone.  NULL
 * with err set on failure. */
ss_comm *ss_comm_world(int *argc, char ***argv, ss_error *err);
/* This process alone, whatever the launcher (for library users and tests). */
ss_comm *ss_comm_self(ss_error *err);
/* Finalises MPI if ss_comm_world() initialised it. */
void ss_comm_free(ss_comm *c);

int ss_comm_rank(const ss_comm *c);
int ss_comm_size(const ss_comm *c);
/* 1 when built with MPI. */
int ss_comm_have_mpi(void);

/* The agreed outcome of a step every rank did: the code of the lowest rank
 * that failed (0 when none did), with that rank's message copied into err
 * on every rank, so that all stop together and rank 0 can say why. */
int ss_comm_agree(ss_comm *c, int rc, ss_error *err);

/* Element-wise sums over the ranks, in place on every rank.  Sums of a
 * value on one rank and zeros elsewhere are exact. */
int ss_comm_sum_f32(ss_comm *c, float *v, size_t n, ss_error *err);
int ss_comm_sum_f64(ss_comm *c, double *v, size_t n, ss_error *err);
int ss_comm_sum_u64(ss_comm *c, uint64_t *v, size_t n, ss_error *err);
/* Element-wise minimum and maximum. */
int ss_comm_min_f64(ss_comm *c, double *v, size_t n, ss_error *err);
int ss_comm_max_f64(ss_comm *c, double *v, size_t n, ss_error *err);

/* root's bytes into buf on every rank. */
int ss_comm_bcast(ss_comm *c, void *buf, size_t bytes, int root, ss_error *err);

/* Every rank's block of bytes bytes into recv (size() * bytes), rank order. */
int ss_comm_allgather(ss_comm *c, const void *send, size_t bytes, void *recv, ss_error *err);
/* Every rank's block (its own size) into *recv, grown as needed (*cap bytes;
 * free() it), rank order; sizes[r] and offsets[r] (size() each, caller's)
 * say where rank r's block is. */
int ss_comm_allgatherv(ss_comm *c, const void *send, size_t bytes, void **recv, size_t *cap,
                       size_t *sizes, size_t *offsets, ss_error *err);
/* Rank r's block (its own size) into *recv on root only, as allgatherv. */
int ss_comm_gatherv(ss_comm *c, const void *send, size_t bytes, int root, void **recv, size_t *cap,
                    size_t *sizes, size_t *offsets, ss_error *err);

/* Stops every rank at once with status (a last resort: an error one rank
 * meets where the others cannot be told). */
void ss_comm_abort(ss_comm *c, int status);

#ifdef __cplusplus
}
#endif
#endif
