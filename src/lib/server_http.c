/* The HTTP thread: evhttp routes, Server-Sent Events, status and metrics.
 * Everything here runs in the libevent loop's thread (or, at shutdown,
 * after it has stopped); only the marked sections take the shared lock. */
#define _POSIX_C_SOURCE 200809L
#include "server_internal.h"

#include <spiksim/json.h>
#include <spiksim/progress.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char ss_server_page_html[];
extern const size_t ss_server_page_html_len;

/* A batch's SSE text, shared by every client's output buffer (evbuffer
 * references, so 100 clients cost one copy); freed with its last user. */
typedef struct ss_sse_block {
    int refs;
    size_t len;
    char *data;
} ss_sse_block;

typedef struct ss_sse_client {
    struct evhttp_request *req;
    uint64_t dropped;
    struct ss_sse_client *next;
} ss_sse_client;

typedef struct ss_pending {
    uint64_t id;
    struct evhttp_request *req;
    struct ss_pending *next;
} ss_pending;

static void block_unref(ss_sse_block *b)
{
    if (b && --b->refs == 0) {
        free(b->data);
        free(b);
    }
}

static void block_cleanup(const void *data, size_t len, void *extra)
{
    (void)data;
    (void)len;
    block_unref(extra);
}

/* ---- replies ---- */

static void reply(ss_server *s, struct evhttp_request *req, int code, const char *reason,
                  const char *type, const char *body, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    struct evbuffer *b = evbuffer_new();
    if (b && body)
        evbuffer_add(b, body, len);
    if (code >= 400)
        s->http_errors++;
    evhttp_send_reply(req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

static void reply_error(ss_server *s, struct evhttp_request *req, int code, const char *reason,
                        const char *msg)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (f) {
        ss_json j;
        ss_json_init(&j, f, 0);
        ss_json_object_begin(&j);
        ss_json_key(&j, "error");
        ss_json_string(&j, msg);
        ss_json_key(&j, "status");
        ss_json_int(&j, code);
        ss_json_object_end(&j);
        fputc('\n', f);
        fclose(f);
    }
    reply(s, req, code, reason, "application/json", buf, buf ? strlen(buf) : 0);
    free(buf);
}

static const char *reason_of(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 500:
        return "Internal Server Error";
    default:
        return "Service Unavailable";
    }
}

/* ---- Server-Sent Events ---- */

static int client_gone(const ss_sse_client *c)
{
    /* evhttp detaches a request from a connection that failed while the
     * reply was still open; it is then ours to end (which frees it). */
    return evhttp_request_get_connection(c->req) == NULL;
}

static size_t client_backlog(const ss_sse_client *c)
{
    struct evhttp_connection *con = evhttp_request_get_connection(c->req);
    struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) : NULL;
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static int client_send(ss_server *s, ss_sse_client *c, ss_sse_block *blk)
{
    if (client_backlog(c) + blk->len > SS_SERVER_CLIENT_BUFFER_BYTES) {
        c->dropped++;
        s->sse_dropped++;
        return 0;
    }
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return 0;
    blk->refs++;
    if (evbuffer_add_reference(b, blk->data, blk->len, block_cleanup, blk) != 0)
        blk->refs--;
    evhttp_send_reply_chunk(c->req, b);
    evbuffer_free(b);
    s->sse_sent++;
    return 1;
}

static void send_text(ss_sse_client *c, const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return;
    evbuffer_add(b, text, strlen(text));
    evhttp_send_reply_chunk(c->req, b);
    evbuffer_free(b);
}

/* Ends and forgets the clients that went away. */
static void sweep_clients(ss_server *s)
{
    ss_sse_client **pp = &s->clients;
    while (*pp) {
        ss_sse_client *c = *pp;
        if (client_gone(c)) {
            *pp = c->next;
            evhttp_send_reply_end(c->req);
            free(c);
            s->n_clients--;
        } else {
            pp = &c->next;
        }
    }
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case SS_PASS_TRAIN:
        return "train";
    case SS_PASS_TRAIN_EVAL:
        return "train accuracy";
    case SS_PASS_TEST:
        return "test";
    case -1:
        return "free";
    default:
        return "evaluate";
    }
}

/* One batch as an SSE "presentation" event: spikes grouped by layer, each
 * layer as parallel arrays of neuron indices and times (ms from the
 * presentation's start). */
static ss_sse_block *batch_block(const ss_batch *b, size_t n_layers)
{
    ss_sse_block *blk = calloc(1, sizeof *blk);
    size_t *count = calloc(n_layers ? n_layers : 1, sizeof *count);
    FILE *f = blk && count ? open_memstream(&blk->data, &blk->len) : NULL;
    if (!f) {
        free(count);
        free(blk);
        return NULL;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->layer[i] < n_layers)
            count[b->layer[i]]++;
    fprintf(f,
            "event: presentation\ndata: {\"fold\":%d,\"pass\":\"%s\",\"epoch\":%ld,\"index\":%zu,"
            "\"label\":%d,\"predicted\":%d,\"t0_ms\":%.3f,\"duration_ms\":%g,\"spikes\":%zu,"
            "\"truncated\":%zu,\"layers\":[",
            b->fold, kind_name(b->kind), b->epoch, b->index, b->label, b->predicted, b->t0_ms,
            b->duration_ms, b->n, b->truncated);
    for (size_t l = 0; l < n_layers; l++) {
        fprintf(f, "%s{\"neuron\":[", l ? "," : "");
        size_t k = 0;
        for (size_t i = 0; i < b->n; i++)
            if (b->layer[i] == l)
                fprintf(f, "%s%u", k++ ? "," : "", b->neuron[i]);
        fprintf(f, "],\"t_ms\":[");
        k = 0;
        for (size_t i = 0; i < b->n; i++)
            if (b->layer[i] == l)
                fprintf(f, "%s%.2f", k++ ? "," : "", (double)b->t_ms[i]);
        fprintf(f, "]}");
    }
    fprintf(f, "]}\n\n");
    free(count);
    if (fclose(f) != 0 || !blk->data) {
        free(blk->data);
        free(blk);
        return NULL;
    }
    blk->refs = 1;
    return blk;
}

/* Keeps b (taken) among the newest batches, with its text when made. */
static void history_push(ss_server *s, ss_batch *b, ss_sse_block *blk)
{
    size_t cap = sizeof s->history / sizeof s->history[0];
    if (s->n_history == cap) {
        ss_batch_free(s->history[0].batch);
        block_unref(s->history[0].block);
        memmove(s->history, s->history + 1, (cap - 1) * sizeof s->history[0]);
        s->n_history--;
    }
    if (blk)
        blk->refs++;
    s->history[s->n_history].batch = b;
    s->history[s->n_history].block = blk;
    s->n_history++;
}

static void handle_spikes(ss_server *s, struct evhttp_request *req)
{
    sweep_clients(s);
    if (s->n_clients >= SS_SERVER_MAX_SSE_CLIENTS) {
        reply_error(s, req, 503, "Service Unavailable", "too many event-stream clients");
        return;
    }
    ss_sse_client *c = calloc(1, sizeof *c);
    if (!c) {
        reply_error(s, req, 503, "Service Unavailable", "out of memory");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(req, 200, "OK");
    c->req = req;
    c->next = s->clients;
    s->clients = c;
    s->n_clients++;
    send_text(c, "retry: 1000\n\n");
    /* The newest batches at once: a page opened between two presentations
     * (or after the run) has something to draw. */
    for (size_t i = 0; i < s->n_history; i++) {
        if (!s->history[i].block)
            s->history[i].block = batch_block(s->history[i].batch, s->n_layers_seen);
        if (s->history[i].block)
            client_send(s, c, s->history[i].block);
    }
}

/* ---- status and metrics ---- */

typedef struct status_copy {
    ss_server_status st;
    size_t n_layers, n_features;
    size_t n_jobs;
    uint64_t classify_requests, classify_answered, snap_trained;
} status_copy;

static void copy_status(ss_server *s, status_copy *c)
{
    /* ---- under the lock: a copy, nothing more ---- */
    pthread_mutex_lock(&s->mu);
    c->st = s->st;
    c->n_layers = s->n_layers;
    c->n_features = s->n_features;
    c->n_jobs = s->n_jobs;
    c->classify_requests = s->classify_requests;
    c->classify_answered = s->classify_answered;
    c->snap_trained = s->snap_trained;
    pthread_mutex_unlock(&s->mu);
}

static void json_accuracies(ss_json *j, const double *v, size_t n)
{
    ss_json_array_begin(j);
    for (size_t i = 0; i < n; i++)
        ss_json_number(j, v[i]);
    ss_json_array_end(j);
}

/* A snapshot of the status and a memory stream for the reply that reports
 * it (/api/status, /metrics); NULL after answering 503 when out of memory. */
static FILE *begin_status_reply(ss_server *s, struct evhttp_request *req, status_copy *c,
                                char **buf, size_t *size)
{
    copy_status(s, c);
    sweep_clients(s);
    FILE *f = open_memstream(buf, size);
    if (!f)
        reply_error(s, req, 503, "Service Unavailable", "out of memory");
    return f;
}

static void handle_status(ss_server *s, struct evhttp_request *req)
{
    status_copy c;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = begin_status_reply(s, req, &c, &buf, &size);
    if (!f)
        return;
    const ss_server_status *st = &c.st;
    ss_json j;
    ss_json_init(&j, f, 1);
    ss_json_object_begin(&j);
    ss_json_key(&j, "phase");
    ss_json_string(&j, st->phase);
    ss_json_key(&j, "running");
    ss_json_bool(&j, st->running);
    ss_json_key(&j, "serving");
    ss_json_bool(&j, st->serving);
    ss_json_key(&j, "fold");
    ss_json_int(&j, st->fold);
    ss_json_key(&j, "epoch");
    ss_json_int(&j, st->epoch + 1);
    ss_json_key(&j, "epochs");
    ss_json_int(&j, st->n_epochs);
    ss_json_key(&j, "sample");
    ss_json_int(&j, (long long)st->sample);
    ss_json_key(&j, "samples");
    ss_json_int(&j, (long long)st->n_samples);
    ss_json_key(&j, "running_accuracy");
    ss_json_number(&j, st->pass_seen ? (double)st->pass_right / (double)st->pass_seen : NAN);
    ss_json_key(&j, "accuracy");
    ss_json_object_begin(&j);
    ss_json_key(&j, "epoch_train_running");
    json_accuracies(&j, st->epoch_running, st->n_acc);
    ss_json_key(&j, "epoch_test");
    json_accuracies(&j, st->epoch_test, st->n_acc);
    ss_json_key(&j, "train");
    ss_json_number(&j, st->train_accuracy);
    ss_json_key(&j, "test");
    ss_json_number(&j, st->test_accuracy);
    ss_json_object_end(&j);
    ss_json_key(&j, "samples_presented");
    ss_json_int(&j, (long long)st->samples_presented);
    ss_json_key(&j, "spikes");
    ss_json_int(&j, (long long)st->spikes);
    ss_json_key(&j, "synaptic_events");
    ss_json_int(&j, (long long)st->syn_events);
    ss_json_key(&j, "events");
    ss_json_int(&j, (long long)st->events);
    ss_json_key(&j, "events_per_s");
    ss_json_number(&j, st->events_per_s);
    ss_json_key(&j, "synaptic_events_per_s");
    ss_json_number(&j, st->syn_events_per_s);
    ss_json_key(&j, "uptime_s");
    ss_json_number(&j, ss_now_s() - s->start_s);
    ss_json_key(&j, "presentation_ms");
    ss_json_number(&j, s->presentation_ms);
    ss_json_key(&j, "test_presentation_ms");
    ss_json_number(&j, s->test_presentation_ms);
    ss_json_key(&j, "input_size");
    ss_json_int(&j, (long long)c.n_features);
    ss_json_key(&j, "classes");
    ss_json_array_begin(&j);
    for (size_t k = 0; k < s->n_classes; k++)
        ss_json_string(&j, s->class_names[k]);
    ss_json_array_end(&j);
    /* Layer names and sizes never change once set (under the lock). */
    ss_json_key(&j, "layers");
    ss_json_array_begin(&j);
    for (size_t l = 0; l < c.n_layers; l++) {
        ss_json_object_begin(&j);
        ss_json_key(&j, "name");
        ss_json_string(&j, s->layer_names[l]);
        ss_json_key(&j, "size");
        ss_json_int(&j, (long long)s->layer_sizes[l]);
        ss_json_object_end(&j);
    }
    ss_json_array_end(&j);
    ss_json_key(&j, "stream");
    ss_json_object_begin(&j);
    ss_json_key(&j, "clients");
    ss_json_int(&j, (long long)s->n_clients);
    ss_json_key(&j, "batches_sent");
    ss_json_int(&j, (long long)s->sse_sent);
    ss_json_key(&j, "batches_dropped_slow_clients");
    ss_json_int(&j, (long long)s->sse_dropped);
    ss_json_key(&j, "batches_dropped_queue_full");
    ss_json_int(&j, (long long)st->batches_queue_dropped);
    ss_json_key(&j, "spikes_truncated");
    ss_json_int(&j, (long long)st->spikes_truncated);
    ss_json_key(&j, "presentations_not_streamed");
    ss_json_int(&j, (long long)st->not_streamed);
    ss_json_object_end(&j);
    ss_json_key(&j, "classify");
    ss_json_object_begin(&j);
    ss_json_key(&j, "requests");
    ss_json_int(&j, (long long)c.classify_requests);
    ss_json_key(&j, "answered");
    ss_json_int(&j, (long long)c.classify_answered);
    ss_json_key(&j, "queued");
    ss_json_int(&j, (long long)c.n_jobs);
    ss_json_key(&j, "trained_samples");
    ss_json_int(&j, (long long)c.snap_trained);
    ss_json_object_end(&j);
    ss_json_key(&j, "http");
    ss_json_object_begin(&j);
    ss_json_key(&j, "requests");
    ss_json_int(&j, (long long)s->http_requests);
    ss_json_key(&j, "errors");
    ss_json_int(&j, (long long)s->http_errors);
    ss_json_object_end(&j);
    ss_json_object_end(&j);
    fputc('\n', f);
    fclose(f);
    reply(s, req, 200, "OK", "application/json", buf, buf ? strlen(buf) : 0);
    free(buf);
}

static void metric(FILE *f, const char *name, const char *type, const char *help, double v)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    if (isfinite(v))
        fprintf(f, "%s %.17g\n", name, v);
    else
        fprintf(f, "%s NaN\n", name);
}

static void handle_metrics(ss_server *s, struct evhttp_request *req)
{
    status_copy c;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = begin_status_reply(s, req, &c, &buf, &size);
    if (!f)
        return;
    const ss_server_status *st = &c.st;
    metric(f, "spiksim_uptime_seconds", "gauge", "Seconds since the server started.",
           ss_now_s() - s->start_s);
    metric(f, "spiksim_running", "gauge", "1 while the run trains or tests.", st->running);
    metric(f, "spiksim_epoch", "gauge", "Current training epoch (from 1).", (double)st->epoch + 1);
    metric(f, "spiksim_samples_presented_total", "counter", "Presentations made by the run.",
           (double)st->samples_presented);
    metric(f, "spiksim_spikes_total", "counter", "Spikes emitted (neurons and sources).",
           (double)st->spikes);
    metric(f, "spiksim_synaptic_events_total", "counter", "Synapses activated by spikes.",
           (double)st->syn_events);
    metric(f, "spiksim_events_total", "counter", "Events taken from the engine's queue.",
           (double)st->events);
    metric(f, "spiksim_synaptic_events_per_second", "gauge",
           "Synaptic events per wall-clock second, recent.", st->syn_events_per_s);
    metric(f, "spiksim_events_per_second", "gauge", "Engine events per wall-clock second, recent.",
           st->events_per_s);
    metric(f, "spiksim_running_accuracy", "gauge", "Accuracy so far in the current pass.",
           st->pass_seen ? (double)st->pass_right / (double)st->pass_seen : NAN);
    metric(f, "spiksim_train_accuracy", "gauge", "Train accuracy after training (last fold).",
           st->train_accuracy);
    metric(f, "spiksim_test_accuracy", "gauge", "Test accuracy after training (last fold).",
           st->test_accuracy);
    metric(f, "spiksim_sse_clients", "gauge", "Connected /api/spikes clients.",
           (double)s->n_clients);
    metric(f, "spiksim_sse_batches_sent_total", "counter", "Batches written to stream clients.",
           (double)s->sse_sent);
    metric(f, "spiksim_sse_batches_dropped_total", "counter",
           "Batches not sent to a client whose buffer was full.", (double)s->sse_dropped);
    metric(f, "spiksim_batches_queue_dropped_total", "counter",
           "Batches dropped because the HTTP thread lagged.", (double)st->batches_queue_dropped);
    metric(f, "spiksim_classify_requests_total", "counter", "Accepted /api/classify requests.",
           (double)c.classify_requests);
    metric(f, "spiksim_http_requests_total", "counter", "HTTP requests received.",
           (double)s->http_requests);
    metric(f, "spiksim_http_errors_total", "counter", "HTTP replies with status >= 400.",
           (double)s->http_errors);
    fclose(f);
    reply(s, req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", buf,
          buf ? strlen(buf) : 0);
    free(buf);
}

/* ---- classify ---- */

static void handle_classify(ss_server *s, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > SS_SERVER_MAX_BODY_BYTES) {
        char msg[128];
        snprintf(msg, sizeof msg, "body of %zu bytes: the limit is %d", len,
                 SS_SERVER_MAX_BODY_BYTES);
        reply_error(s, req, 413, "Payload Too Large", msg);
        return;
    }
    if (s->free_running) {
        reply_error(s, req, 501, "Not Implemented",
                    "this model is free-running (no [data]): there is no classifier to ask");
        return;
    }
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_features, n_jobs = s->n_jobs;
    pthread_mutex_unlock(&s->mu);
    if (n == 0) {
        reply_error(s, req, 503, "Service Unavailable", "no network yet: the run is loading");
        return;
    }
    if (n_jobs >= SS_SERVER_CLASSIFY_QUEUE) {
        reply_error(s, req, 503, "Service Unavailable", "too many classify requests queued");
        return;
    }
    ss_classify_job *job = calloc(1, sizeof *job);
    ss_pending *p = calloc(1, sizeof *p);
    double *x = calloc(n, sizeof *x);
    char *body = len ? (char *)evbuffer_pullup(in, (ev_ssize_t)len) : (char *)"";
    char msg[256];
    if (!job || !p || !x || !body) {
        reply_error(s, req, 503, "Service Unavailable", "out of memory");
    } else if (ss_server_parse_input(body, len, x, n, msg, sizeof msg) != 0) {
        reply_error(s, req, 400, "Bad Request", msg);
    } else {
        job->id = p->id = ++s->next_job_id;
        job->x = x;
        job->n = n;
        p->req = req;
        p->next = s->pending;
        s->pending = p;
        /* ---- under the lock: the job joins the classify thread's queue ---- */
        pthread_mutex_lock(&s->mu);
        if (s->jobs_tail)
            s->jobs_tail->next = job;
        else
            s->jobs_head = job;
        s->jobs_tail = job;
        s->n_jobs++;
        s->classify_requests++;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    free(job);
    free(p);
    free(x);
}

/* ---- routing ---- */

typedef struct route {
    const char *path;
    enum evhttp_cmd_type method;
    const char *allow;
    void (*fn)(ss_server *, struct evhttp_request *);
} route;

static void handle_page(ss_server *s, struct evhttp_request *req)
{
    reply(s, req, 200, "OK", "text/html; charset=utf-8", (const char *)ss_server_page_html,
          ss_server_page_html_len);
}

static const route routes[] = {
    {"/", EVHTTP_REQ_GET, "GET, HEAD", handle_page},
    {"/index.html", EVHTTP_REQ_GET, "GET, HEAD", handle_page},
    {"/api/status", EVHTTP_REQ_GET, "GET, HEAD", handle_status},
    {"/api/spikes", EVHTTP_REQ_GET, "GET", handle_spikes},
    {"/api/classify", EVHTTP_REQ_POST, "POST", handle_classify},
    {"/metrics", EVHTTP_REQ_GET, "GET, HEAD", handle_metrics},
};

static void on_request(struct evhttp_request *req, void *arg)
{
    ss_server *s = arg;
    s->http_requests++;
    const char *uri = evhttp_request_get_uri(req);
    size_t plen = strcspn(uri, "?#");
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *r = &routes[i];
        if (strlen(r->path) != plen || strncmp(uri, r->path, plen) != 0)
            continue;
        int head_ok = m == EVHTTP_REQ_HEAD && strstr(r->allow, "HEAD");
        if (m != r->method && !head_ok) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", r->allow);
            char msg[128];
            snprintf(msg, sizeof msg, "method not allowed on %s (allowed: %s)", r->path, r->allow);
            reply_error(s, req, 405, "Method Not Allowed", msg);
            return;
        }
        r->fn(s, req);
        return;
    }
    char msg[160];
    snprintf(msg, sizeof msg, "no such path: %.*s", (int)(plen > 100 ? 100 : plen), uri);
    reply_error(s, req, 404, "Not Found", msg);
}

int ss_server_http_setup(ss_server *s, ss_error *err)
{
    s->http = evhttp_new(s->base);
    if (!s->http)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    /* Every method reaches on_request, so that a wrong one gets a JSON 405
     * rather than evhttp's own page. */
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    /* Bodies up to 8 times the limit are read and refused with a JSON 413;
     * beyond that evhttp refuses them itself and closes the connection, so
     * that no client makes the server buffer without bound. */
    evhttp_set_max_body_size(s->http, 8 * (ev_ssize_t)SS_SERVER_MAX_BODY_BYTES);
    evhttp_set_max_headers_size(s->http, 64 * 1024);
    evhttp_set_timeout(s->http, 60);
    evhttp_set_gencb(s->http, on_request, s);
    return SS_OK;
}

/* ---- the wakeup: batches and classify answers from the other threads ---- */

void ss_server_http_wakeup(evutil_socket_t fd, short what, void *arg)
{
    ss_server *s = arg;
    (void)fd;
    (void)what;
    ss_batch *batches[SS_SERVER_QUEUE];
    size_t n_batches = 0;
    /* ---- under the lock: take what is there ---- */
    pthread_mutex_lock(&s->mu);
    while (s->q_len) {
        batches[n_batches++] = s->queue[s->q_head];
        s->q_head = (s->q_head + 1) % SS_SERVER_QUEUE;
        s->q_len--;
    }
    ss_classify_job *done = s->done_head;
    s->done_head = s->done_tail = NULL;
    size_t n_layers = s->n_layers;
    pthread_mutex_unlock(&s->mu);

    sweep_clients(s);
    s->n_layers_seen = n_layers;
    for (size_t i = 0; i < n_batches; i++) {
        ss_sse_block *blk = s->clients ? batch_block(batches[i], n_layers) : NULL;
        history_push(s, batches[i], blk);
        for (ss_sse_client *c = s->clients; blk && c; c = c->next)
            client_send(s, c, blk);
        block_unref(blk);
    }
    uint64_t answered = 0;
    while (done) {
        ss_classify_job *j = done;
        done = j->next;
        for (ss_pending **pp = &s->pending; *pp; pp = &(*pp)->next) {
            if ((*pp)->id != j->id)
                continue;
            ss_pending *p = *pp;
            *pp = p->next;
            int code = j->body ? j->status : 500;
            const char *body = j->body ? j->body : "{\"error\":\"out of memory\"}";
            if (code == 200)
                reply(s, p->req, 200, "OK", "application/json", body, strlen(body));
            else
                reply(s, p->req, code, reason_of(code), "application/json", body, strlen(body));
            free(p);
            answered++;
            break;
        }
        free(j->x);
        free(j->body);
        free(j);
    }
    if (answered) {
        pthread_mutex_lock(&s->mu);
        s->classify_answered += answered;
        pthread_mutex_unlock(&s->mu);
    }
}

void ss_server_http_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    ss_server *s = arg;
    (void)fd;
    (void)what;
    sweep_clients(s);
    /* A comment line: keeps proxies from timing the stream out and makes a
     * write fail soon after a client went away. */
    for (ss_sse_client *c = s->clients; c; c = c->next)
        if (client_backlog(c) < SS_SERVER_CLIENT_BUFFER_BYTES)
            send_text(c, ": keep-alive\n\n");
}

void ss_server_http_close_all(ss_server *s)
{
    while (s->clients) {
        ss_sse_client *c = s->clients;
        s->clients = c->next;
        evhttp_send_reply_end(c->req);
        free(c);
    }
    s->n_clients = 0;
    while (s->pending) {
        ss_pending *p = s->pending;
        s->pending = p->next;
        reply_error(s, p->req, 503, "Service Unavailable", "the server is stopping");
        free(p);
    }
    for (size_t i = 0; i < s->n_history; i++) {
        ss_batch_free(s->history[i].batch);
        block_unref(s->history[i].block);
    }
    s->n_history = 0;
}
