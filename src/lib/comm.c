/* The processes of a run over MPI, or this process alone (see comm.h).
 *
 * MPI is initialised only when the process was started by a launcher that
 * says so in the environment (mpirun sets OMPI_COMM_WORLD_SIZE, PMI-style
 * launchers PMI_SIZE or PMIX_RANK): a plain `spiksim MODEL.ini` then never
 * pays for MPI's start-up, nor depends on what MPI needs from the machine.
 */
#include "config.h"

#include <spiksim/comm.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MPI
#include <mpi.h>
#endif

struct ss_comm {
    int rank, size;
    int mpi;         /* this comm is MPI_COMM_WORLD's duplicate */
    int initialised; /* ss_comm_world() called MPI_Init_thread */
#ifdef HAVE_MPI
    MPI_Comm world;
#endif
};

int ss_comm_have_mpi(void)
{
#ifdef HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

ss_comm *ss_comm_self(ss_error *err)
{
    ss_comm *c = calloc(1, sizeof *c);
    if (!c) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    c->size = 1;
    return c;
}

#ifdef HAVE_MPI
static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

static int mpi_fail(int code, ss_error *err, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, msg, &len);
    return ss_error_set(err, SS_EIO, "MPI: %s: %s", what, msg);
}

/* MPI counts are ints. */
static int fits_int(size_t n, ss_error *err)
{
    if (n > INT_MAX)
        return ss_error_set(err, SS_EUSAGE, "MPI: a message of %zu elements is too large", n);
    return SS_OK;
}
#endif

ss_comm *ss_comm_world(int *argc, char ***argv, ss_error *err)
{
#ifdef HAVE_MPI
    if (launched_by_mpi()) {
        ss_comm *c = calloc(1, sizeof *c);
        if (!c) {
            ss_error_set(err, SS_ENOMEM, "out of memory");
            return NULL;
        }
        int provided;
        int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) {
            free(c);
            ss_error_set(err, SS_EIO, "MPI_Init_thread failed");
            return NULL;
        }
        c->initialised = 1;
        c->mpi = 1;
        /* Errors come back as codes, to be agreed on and reported, rather
         * than aborting the job from inside MPI. */
        MPI_Comm_dup(MPI_COMM_WORLD, &c->world);
        MPI_Comm_set_errhandler(c->world, MPI_ERRORS_RETURN);
        MPI_Comm_rank(c->world, &c->rank);
        MPI_Comm_size(c->world, &c->size);
        return c;
    }
#else
    (void)argc;
    (void)argv;
#endif
    return ss_comm_self(err);
}

void ss_comm_free(ss_comm *c)
{
    if (!c)
        return;
#ifdef HAVE_MPI
    if (c->mpi)
        MPI_Comm_free(&c->world);
    if (c->initialised)
        MPI_Finalize();
#endif
    free(c);
}

int ss_comm_rank(const ss_comm *c)
{
    return c ? c->rank : 0;
}

int ss_comm_size(const ss_comm *c)
{
    return c ? c->size : 1;
}

int ss_comm_agree(ss_comm *c, int rc, ss_error *err)
{
    if (!c || !c->mpi)
        return rc;
#ifdef HAVE_MPI
    /* The lowest failing rank, if any. */
    int mine = rc ? c->rank : c->size, first;
    int e = MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, c->world);
    if (e != MPI_SUCCESS)
        return mpi_fail(e, err, "agreeing on an outcome");
    if (first == c->size)
        return SS_OK;
    struct {
        int code;
        char msg[SS_ERROR_MSG_MAX];
    } out;
    memset(&out, 0, sizeof out);
    if (c->rank == first && err) {
        out.code = rc;
        memcpy(out.msg, err->msg, sizeof out.msg);
    } else if (c->rank == first) {
        out.code = rc;
    }
    e = MPI_Bcast(&out, (int)sizeof out, MPI_BYTE, first, c->world);
    if (e != MPI_SUCCESS)
        return mpi_fail(e, err, "agreeing on an outcome");
    if (err) {
        err->code = out.code;
        memcpy(err->msg, out.msg, sizeof err->msg);
        err->msg[sizeof err->msg - 1] = '\0';
    }
    return out.code;
#else
    (void)err;
    return rc;
#endif
}

#ifdef HAVE_MPI
static int reduce(ss_comm *c, void *v, size_t n, MPI_Datatype type, MPI_Op op, ss_error *err)
{
    int rc = fits_int(n, err);
    if (rc)
        return rc;
    int e = MPI_Allreduce(MPI_IN_PLACE, v, (int)n, type, op, c->world);
    return e == MPI_SUCCESS ? SS_OK : mpi_fail(e, err, "reducing over the ranks");
}
#define sum(c, v, n, type, err) reduce(c, v, n, type, MPI_SUM, err)
#endif

int ss_comm_sum_f32(ss_comm *c, float *v, size_t n, ss_error *err)
{
#ifdef HAVE_MPI
    if (c && c->mpi)
        return sum(c, v, n, MPI_FLOAT, err);
#endif
    (void)c, (void)v, (void)n, (void)err;
    return SS_OK;
}

int ss_comm_sum_f64(ss_comm *c, double *v, size_t n, ss_error *err)
{
#ifdef HAVE_MPI
    if (c && c->mpi)
        return sum(c, v, n, MPI_DOUBLE, err);
#endif
    (void)c, (void)v, (void)n, (void)err;
    return SS_OK;
}

int ss_comm_sum_u64(ss_comm *c, uint64_t *v, size_t n, ss_error *err)
{
#ifdef HAVE_MPI
    if (c && c->mpi)
        return sum(c, v, n, MPI_UINT64_T, err);
#endif
    (void)c, (void)v, (void)n, (void)err;
    return SS_OK;
}

int ss_comm_min_f64(ss_comm *c, double *v, size_t n, ss_error *err)
{
#ifdef HAVE_MPI
    if (c && c->mpi)
        return reduce(c, v, n, MPI_DOUBLE, MPI_MIN, err);
#endif
    (void)c, (void)v, (void)n, (void)err;
    return SS_OK;
}

int ss_comm_max_f64(ss_comm *c, double *v, size_t n, ss_error *err)
{
#ifdef HAVE_MPI
    if (c && c->mpi)
        return reduce(c, v, n, MPI_DOUBLE, MPI_MAX, err);
#endif
    (void)c, (void)v, (void)n, (void)err;
    return SS_OK;
}

int ss_comm_bcast(ss_comm *c, void *buf, size_t bytes, int root, ss_error *err)
{
#ifdef HAVE_MPI
    if (c && c->mpi) {
        int rc = fits_int(bytes, err);
        if (rc)
            return rc;
        int e = MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, c->world);
        return e == MPI_SUCCESS ? SS_OK : mpi_fail(e, err, "broadcast");
    }
#endif
    (void)c, (void)buf, (void)bytes, (void)root, (void)err;
    return SS_OK;
}

int ss_comm_allgather(ss_comm *c, const void *send, size_t bytes, void *recv, ss_error *err)
{
#ifdef HAVE_MPI
    if (c && c->mpi) {
        int rc = fits_int(bytes, err);
        if (rc)
            return rc;
        int e = MPI_Allgather(send, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE, c->world);
        return e == MPI_SUCCESS ? SS_OK : mpi_fail(e, err, "all-gather");
    }
#endif
    (void)c, (void)err;
    memcpy(recv, send, bytes);
    return SS_OK;
}

/* Grows *buf to at least need bytes. */
static int reserve(void **buf, size_t *cap, size_t need, ss_error *err)
{
    if (need <= *cap && *buf)
        return SS_OK;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    void *b = realloc(*buf, n);
    if (!b)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    *buf = b;
    *cap = n;
    return SS_OK;
}

static int gather_any(ss_comm *c, const void *send, size_t bytes, int root, int all, void **recv,
                      size_t *cap, size_t *sizes, size_t *offsets, ss_error *err)
{
#ifdef HAVE_MPI
    if (c && c->mpi) {
        int rc = fits_int(bytes, err);
        if (rc)
            return rc;
        int n = c->size, mine = (int)bytes;
        int *counts = malloc(2 * (size_t)n * sizeof *counts);
        if (!counts)
            return ss_error_set(err, SS_ENOMEM, "out of memory");
        int *displs = counts + n;
        int e = all ? MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, c->world)
                    : MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, root, c->world);
        size_t total = 0;
        if (e == MPI_SUCCESS && (all || c->rank == root)) {
            for (int r = 0; r < n; r++) {
                if (total > (size_t)INT_MAX) {
                    free(counts);
                    return ss_error_set(err, SS_EUSAGE, "MPI: gathered messages too large");
                }
                displs[r] = (int)total;
                sizes[r] = (size_t)counts[r];
                offsets[r] = total;
                total += (size_t)counts[r];
            }
            rc = reserve(recv, cap, total ? total : 1, err);
        }
        if (e == MPI_SUCCESS && rc == SS_OK)
            e = all ? MPI_Allgatherv(send, mine, MPI_BYTE, *recv, counts, displs, MPI_BYTE,
                                     c->world)
                    : MPI_Gatherv(send, mine, MPI_BYTE, c->rank == root ? *recv : NULL, counts,
                                  displs, MPI_BYTE, root, c->world);
        free(counts);
        if (rc)
            return rc;
        return e == MPI_SUCCESS ? SS_OK : mpi_fail(e, err, all ? "all-gather" : "gather");
    }
#endif
    (void)c, (void)root, (void)all;
    int rc = reserve(recv, cap, bytes ? bytes : 1, err);
    if (rc)
        return rc;
    memcpy(*recv, send, bytes);
    sizes[0] = bytes;
    offsets[0] = 0;
    return SS_OK;
}

int ss_comm_allgatherv(ss_comm *c, const void *send, size_t bytes, void **recv, size_t *cap,
                       size_t *sizes, size_t *offsets, ss_error *err)
{
    return gather_any(c, send, bytes, 0, 1, recv, cap, sizes, offsets, err);
}

int ss_comm_gatherv(ss_comm *c, const void *send, size_t bytes, int root, void **recv, size_t *cap,
                    size_t *sizes, size_t *offsets, ss_error *err)
{
    return gather_any(c, send, bytes, root, 0, recv, cap, sizes, offsets, err);
}

void ss_comm_abort(ss_comm *c, int status)
{
#ifdef HAVE_MPI
    if (c && c->mpi)
        MPI_Abort(c->world, status);
#endif
    (void)c;
    exit(status);
}
