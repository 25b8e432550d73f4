/* The server's shared state, between server.c (start, stop, the simulation
 * side), server_http.c (the libevent thread) and server_classify.c (the
 * classify thread).  Who may touch what is written on each field. */
#ifndef SPIKSIM_SERVER_INTERNAL_H
#define SPIKSIM_SERVER_INTERNAL_H

#include <spiksim/checkpoint.h>
#include <spiksim/server.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <pthread.h>
#include <stdint.h>

/* Spikes of one presentation (or one window of a free run), made by the
 * simulation thread and handed whole to the HTTP thread. */
typedef struct ss_batch {
    int kind; /* ss_pass */
    long epoch;
    size_t index;
    int label, predicted;
    int fold;
    double t0_ms, duration_ms;
    size_t n, cap;
    size_t truncated; /* spikes beyond SS_SERVER_BATCH_MAX_SPIKES */
    uint32_t *layer, *neuron;
    float *t_ms; /* relative to t0_ms */
} ss_batch;

void ss_batch_free(ss_batch *b);

#define SS_SERVER_QUEUE 64 /* batches between the threads */
#define SS_SERVER_CLASSIFY_QUEUE 64
#define SS_SERVER_MAX_EPOCHS 4096 /* accuracies kept for /api/status */

/* One /api/classify request.  req belongs to the HTTP thread alone: the
 * classify thread sees only id, x and fills the answer. */
typedef struct ss_classify_job {
    uint64_t id;
    double *x;
    size_t n;
    /* the answer */
    int status; /* HTTP status */
    char *body; /* JSON, malloc'd */
    struct ss_classify_job *next;
} ss_classify_job;

/* What /api/status and /metrics report; written by the simulation thread
 * under mu, copied out by the HTTP thread under mu. */
typedef struct ss_server_status {
    char phase[32];
    int fold;
    long epoch, n_epochs;
    size_t sample, n_samples; /* in the current pass */
    long pass_right, pass_seen;
    double train_accuracy, test_accuracy; /* after training, NAN until known */
    size_t n_acc;
    double epoch_running[SS_SERVER_MAX_EPOCHS]; /* training accuracy, teacher on */
    double epoch_test[SS_SERVER_MAX_EPOCHS];    /* test_each_epoch, NAN otherwise */
    uint64_t spikes, syn_events, events;        /* whole run */
    double events_per_s, syn_events_per_s;
    uint64_t samples_presented;
    uint64_t batches_queue_dropped; /* queue to the HTTP thread full */
    uint64_t spikes_truncated;
    uint64_t not_streamed; /* presentations beyond SS_SERVER_MAX_BATCHES_PER_S */
    uint64_t snapshots;
    int run_rc, running, serving;
} ss_server_status;

struct ss_server {
    /* ---- fixed after start ---- */
    const ss_config *cfg;
    unsigned long seed;
    char **class_names;
    size_t n_classes;
    FILE *log;
    char addr[64];
    int port;
    double start_s;
    double presentation_ms;      /* training presentations, or the window of a free run */
    double test_presentation_ms; /* presentations with plasticity off */
    int free_running;            /* no [data]: no classifier */
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *listener; /* owned by http once bound */
    struct event *wakeup;            /* event_active() from other threads */
    struct event *heartbeat;         /* SSE keep-alive, notices gone clients */
    pthread_t http_thread, classify_thread;
    int http_started, classify_started;

    pthread_mutex_t mu;
    pthread_cond_t cond;
    /* ---- under mu ---- */
    int stopping;
    int wake_pending; /* the HTTP thread has been woken and not yet looked */
    ss_batch *queue[SS_SERVER_QUEUE];
    size_t q_head, q_len;
    ss_server_status st;
    /* layer names and sizes, set at the first fold */
    size_t n_layers;
    char **layer_names;
    size_t *layer_sizes;
    size_t n_features;
    /* classify: jobs in, answers out, learned state from the trainer */
    ss_classify_job *jobs_head, *jobs_tail;
    size_t n_jobs;
    ss_classify_job *done_head, *done_tail;
    int want_snapshot;     /* the classify thread waits for a fresh state */
    int frozen;            /* no training until the next fold: the last state is current */
    int have_network;      /* a fold has started */
    ss_checkpoint *snap;   /* newest learned state not yet taken */
    uint64_t snap_gen;     /* bumped on every publish */
    uint64_t snap_trained; /* training samples behind the newest state */
    uint64_t classify_requests, classify_answered;

    /* ---- simulation thread only ---- */
    ss_classifier *live;
    ss_engine *eng;             /* the live classifier's, or the free run's */
    ss_presentation_fn prev_fn; /* the listener we chained (a raster capture) */
    void *prev_ctx;
    ss_batch *cur;
    double last_batch_s; /* wall clock of the last recorded presentation */
    int win_open;        /* free runs: a window has started */
    double win_k;        /* its number (t_ms / SS_SERVER_FREE_WINDOW_MS, floored) */
    uint64_t win_spikes; /* spikes in it, recorded or not */
    uint64_t not_streamed;
    uint64_t trained;                           /* training presentations so far */
    size_t n_train, n_test;                     /* this fold's split */
    uint64_t fold_spikes0, fold_syn0, fold_ev0; /* run totals before this fold */
    double rate_t0_s;
    uint64_t rate_syn0, rate_ev0;

    /* ---- HTTP thread only ---- */
    struct ss_sse_client *clients; /* server_sse.c */
    size_t n_clients;
    /* The newest batches, replayed to new clients; serialised only when
     * someone is listening, so that an unwatched run pays nothing for it. */
    struct {
        ss_batch *batch;
        struct ss_sse_block *block;
    } history[8];
    size_t n_history;
    size_t n_layers_seen;       /* layers when the last batch came */
    struct ss_pending *pending; /* classify requests awaiting an answer */
    uint64_t next_job_id;
    uint64_t sse_sent, sse_dropped, http_requests, http_errors;
    uint64_t http_refused; /* answered by the request guard (server_guard.c) */
    /* accept() failures: counted, logged once per interval, backed off */
    struct event *accept_resume;
    uint64_t accept_errors, accept_errors_logged;
    int accept_pause_ms;
    double accept_last_s, accept_logged_s;
};

/* Wakes the HTTP thread unless it already is (call under mu): however
 * fast batches and answers come, it is woken once per look at them. */
void ss_server_wake_locked(ss_server *s);

/* server_http.c */
int ss_server_http_setup(ss_server *s, ss_error *err);
/* {"error": msg, "status": code} and a newline, as valid JSON whatever the
 * bytes of msg (they are made valid UTF-8); malloc'd, NULL when out of
 * memory. */
char *ss_server_error_json(int code, const char *msg);
void ss_server_reply_error(ss_server *s, struct evhttp_request *req, int code, const char *reason,
                           const char *msg);
void ss_server_http_wakeup(evutil_socket_t fd, short what, void *arg);
void ss_server_http_heartbeat(evutil_socket_t fd, short what, void *arg);
/* In the HTTP thread at shutdown: ends every stream, answers every pending request. */
void ss_server_http_close_all(ss_server *s);

/* server_sse.c: /api/spikes, in the HTTP thread */
void ss_server_sse_handle(ss_server *s, struct evhttp_request *req);
/* Formats and sends batches (taken: kept in the history) to the clients. */
void ss_server_sse_batches(ss_server *s, ss_batch **batches, size_t n, size_t n_layers);
void ss_server_sse_heartbeat(ss_server *s);
/* Forgets the clients that went away. */
void ss_server_sse_sweep(ss_server *s);
void ss_server_sse_close_all(ss_server *s);

/* server_guard.c: binds addr:port with a listener that backs off when
 * accept() fails, and puts the request guard on every connection. */
int ss_server_listen(ss_server *s, const char *addr, int port, ss_error *err);
void ss_server_unlisten(ss_server *s);
/* The guard's parsers, on plain memory (fuzzed by tests/fuzz/fuzz_http.c):
 * the length of the head in h[0..len) through its empty line, 0 while it
 * has not all arrived (from: where the last search stopped); and the check
 * of a complete head: 0 with *body its Content-Length, or the HTTP status
 * of the refusal with its reason phrase and message. */
size_t ss_server_head_end(const char *h, size_t len, size_t from);
int ss_server_head_check(const char *h, size_t len, uint64_t *body, int *code, const char **reason,
                         char *msg, size_t msg_size);

/* server_classify.c */
void *ss_server_classify_main(void *arg);
/* Parses {"input": [...]} of n numbers in [0, 1] into x (n doubles).  0, or
 * -1 with msg set (400). */
int ss_server_parse_input(const char *body, size_t len, double *x, size_t n, char *msg,
                          size_t msg_size);

#endif
