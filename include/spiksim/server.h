/* The live server (--serve): watch a run in the browser, query its status,
 * classify over HTTP.  libevent's evhttp answers in a thread of its own:
 *
 *   GET  /             one self-contained HTML page: live raster, accuracy
 *   GET  /api/status   JSON: phase, epoch, sample, accuracies, counters
 *   GET  /api/spikes   Server-Sent Events: one batch of spikes per presentation
 *   POST /api/classify {"input": [x1, ..., xn]} -> class, counts, first spikes
 *   GET  /metrics      Prometheus text format
 *
 * The simulation stays in the caller's thread.  It hands the server its
 * spikes and presentations through ss_server_fold() (an ss_run_options hook)
 * and the two meet only through bounded queues and an event_active() wakeup:
 * no lock is ever held across a simulation step, a full queue drops a batch
 * (counted) rather than waiting, and each SSE client has a bounded output
 * buffer, so a slow client loses batches and never slows the run.
 *
 * /api/classify runs on a copy of the network in a third thread: the copy
 * takes the trainer's learned state (weights and thresholds, as a checkpoint
 * does) between two samples, so classifying never changes what training
 * computes.  See docs/server.md.
 */
#ifndef SPIKSIM_SERVER_H
#define SPIKSIM_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <spiksim/config.h>
#include <spiksim/dataset.h>
#include <spiksim/error.h>
#include <spiksim/report.h>
#include <spiksim/train.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_server ss_server;

typedef struct ss_server_options {
    const char *listen;   /* "[ADDR:]PORT"; ADDR defaults to 127.0.0.1, PORT 0 picks one */
    const ss_config *cfg; /* the run's model; must outlive the server */
    unsigned long seed;   /* the run's seed: the classify copy draws the same synapses */
    const ss_dataset *ds; /* class names; NULL for a free-running model */
    FILE *log;            /* "listening on ADDR:PORT" and warnings; NULL: stderr */
} ss_server_options;

/* Limits (docs/server.md). */
#define SS_SERVER_MAX_BODY_BYTES (1024 * 1024)     /* POST bodies; larger: 413 */
#define SS_SERVER_MAX_HEAD_BYTES (64 * 1024)       /* request line and headers; larger: 431 */
#define SS_SERVER_CLIENT_BUFFER_BYTES (512 * 1024) /* per SSE client, unsent */
#define SS_SERVER_MAX_SSE_CLIENTS 256              /* more: 503 */
#define SS_SERVER_BATCH_MAX_SPIKES 20000           /* per batch; the rest counted */
#define SS_SERVER_MAX_BATCHES_PER_S 200            /* presentations streamed per second */

/* Parses "[ADDR:]PORT" (PORT 0..65535).  SS_EUSAGE when malformed. */
int ss_server_parse_listen(const char *spec, char *addr, size_t addr_size, int *port,
                           ss_error *err);

/* Binds, prints "listening on ADDR:PORT" (the real port) to the log, warns
 * when ADDR is not loopback, and starts the HTTP and classify threads.
 * NULL with err set (SS_EUSAGE for a bad address, SS_EIO when it cannot
 * bind). */
ss_server *ss_server_start(const ss_server_options *opt, ss_error *err);

/* The ss_run_options hook (experiment.h): begin = 1 when a fold's classifier
 * is ready to train or test, begin = 0 when it has been tested.  Attaches an
 * engine observer and a presentation listener (chained to any listener
 * already set) in between, and publishes the learned state for classify.
 * Called from the simulation thread. */
int ss_server_fold(void *server, int begin, ss_classifier *c, const ss_split *split,
                   const ss_fold_result *res, ss_error *err);

/* Free-running models (no [data]): an ss_simulate_start_fn (engine.h) that
 * streams the spikes in windows of SS_SERVER_FREE_WINDOW_MS of simulated
 * time.  /api/classify answers 501: there is no classifier. */
#define SS_SERVER_FREE_WINDOW_MS 50.0
int ss_server_watch_free(void *server, ss_network *net, ss_engine *eng, ss_error *err);

/* The run is over (rc its status): /api/status says "done", or "serving"
 * when serve_after (classify keeps answering with the final weights). */
void ss_server_run_done(ss_server *s, int rc, int serve_after);

/* Blocks until *stop becomes nonzero (SIGINT/SIGTERM's flag). */
void ss_server_wait(ss_server *s, const volatile sig_atomic_t *stop);

/* The bound port (useful with port 0). */
int ss_server_port(const ss_server *s);

/* Stops both threads, closes every connection, frees everything, and
 * releases libevent's global state (libevent_global_shutdown): one server
 * per process.  NULL-safe. */
void ss_server_free(ss_server *s);

#ifdef __cplusplus
}
#endif
#endif
