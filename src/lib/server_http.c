/* The HTTP thread: evhttp routes, Server-Sent Events, status and metrics.
 * Everything here runs in the libevent loop's thread (or, at shutdown,
 * after it has stopped); only the marked sections take the shared lock. */
#define _POSIX_C_SOURCE 200809L
#include "server_internal.h"
#include "utf8.h"

#include <spiksim/progress.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char ss_server_page_html[];
extern const size_t ss_server_page_html_len;

typedef struct ss_pending {
    uint64_t id;
    struct evhttp_request *req;
    struct ss_pending *next;
} ss_pending;

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

/* ---- JSON through jansson ---- */

/* A string from outside (a class name from a data file, an error message
 * echoing a request) as a JSON string: jansson takes only valid UTF-8. */
static json_t *json_text(const char *text)
{
    char *clean = ss__utf8_clean(text ? text : "", strlen(text ? text : ""), (size_t)-1 / 4);
    json_t *v = clean ? json_string(clean) : NULL;
    free(clean);
    return v ? v : json_string("");
}

/* JSON has no NaN: unknown figures are null. */
static json_t *json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *json_nums(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_num(v[i]));
    return a;
}

/* Serialises v (taken) with a trailing newline; malloc'd, NULL when out of
 * memory.  Reals with 10 significant digits, as the reports print them. */
static char *json_text_of(json_t *v, size_t flags)
{
    char *text = v ? json_dumps(v, flags | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(v);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}

char *ss_server_error_json(int code, const char *msg)
{
    json_t *o = json_object();
    if (o) {
        json_object_set_new(o, "error", json_text(msg));
        json_object_set_new(o, "status", json_integer(code));
    }
    return json_text_of(o, JSON_COMPACT);
}

void ss_server_reply_error(ss_server *s, struct evhttp_request *req, int code, const char *reason,
                           const char *msg)
{
    char *body = ss_server_error_json(code, msg);
    const char *text = body ? body : "{\"error\":\"out of memory\"}\n";
    reply(s, req, code, reason, "application/json", text, strlen(text));
    free(body);
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

/* A snapshot of the status and a memory stream for the reply that reports
 * it (/metrics); NULL after answering 503 when out of memory. */
static FILE *begin_status_reply(ss_server *s, struct evhttp_request *req, status_copy *c,
                                char **buf, size_t *size)
{
    copy_status(s, c);
    ss_server_sse_sweep(s);
    FILE *f = open_memstream(buf, size);
    if (!f)
        ss_server_reply_error(s, req, 503, "Service Unavailable", "out of memory");
    return f;
}

static json_t *status_json(ss_server *s, const status_copy *c)
{
    const ss_server_status *st = &c->st;
    json_t *o = json_object(), *acc = json_object(), *classes = json_array(),
           *layers = json_array(), *stream = json_object(), *classify = json_object(),
           *http = json_object();
    if (!o || !acc || !classes || !layers || !stream || !classify || !http) {
        json_decref(o);
        json_decref(acc);
        json_decref(classes);
        json_decref(layers);
        json_decref(stream);
        json_decref(classify);
        json_decref(http);
        return NULL;
    }
    json_object_set_new(o, "phase", json_text(st->phase));
    json_object_set_new(o, "running", json_boolean(st->running));
    json_object_set_new(o, "serving", json_boolean(st->serving));
    json_object_set_new(o, "fold", json_integer(st->fold));
    json_object_set_new(o, "epoch", json_integer(st->epoch + 1));
    json_object_set_new(o, "epochs", json_integer(st->n_epochs));
    json_object_set_new(o, "sample", json_integer((json_int_t)st->sample));
    json_object_set_new(o, "samples", json_integer((json_int_t)st->n_samples));
    json_object_set_new(
        o, "running_accuracy",
        json_num(st->pass_seen ? (double)st->pass_right / (double)st->pass_seen : NAN));
    json_object_set_new(acc, "epoch_train_running", json_nums(st->epoch_running, st->n_acc));
    json_object_set_new(acc, "epoch_test", json_nums(st->epoch_test, st->n_acc));
    json_object_set_new(acc, "train", json_num(st->train_accuracy));
    json_object_set_new(acc, "test", json_num(st->test_accuracy));
    json_object_set_new(o, "accuracy", acc);
    json_object_set_new(o, "samples_presented", json_integer((json_int_t)st->samples_presented));
    json_object_set_new(o, "spikes", json_integer((json_int_t)st->spikes));
    json_object_set_new(o, "synaptic_events", json_integer((json_int_t)st->syn_events));
    json_object_set_new(o, "events", json_integer((json_int_t)st->events));
    json_object_set_new(o, "events_per_s", json_num(st->events_per_s));
    json_object_set_new(o, "synaptic_events_per_s", json_num(st->syn_events_per_s));
    json_object_set_new(o, "uptime_s", json_num(ss_now_s() - s->start_s));
    json_object_set_new(o, "presentation_ms", json_num(s->presentation_ms));
    json_object_set_new(o, "test_presentation_ms", json_num(s->test_presentation_ms));
    json_object_set_new(o, "input_size", json_integer((json_int_t)c->n_features));
    for (size_t k = 0; k < s->n_classes; k++)
        json_array_append_new(classes, json_text(s->class_names[k]));
    json_object_set_new(o, "classes", classes);
    /* Layer names and sizes never change once set (under the lock). */
    for (size_t l = 0; l < c->n_layers; l++) {
        json_t *lo = json_object();
        json_object_set_new(lo, "name", json_text(s->layer_names[l]));
        json_object_set_new(lo, "size", json_integer((json_int_t)s->layer_sizes[l]));
        json_array_append_new(layers, lo);
    }
    json_object_set_new(o, "layers", layers);
    json_object_set_new(stream, "clients", json_integer((json_int_t)s->n_clients));
    json_object_set_new(stream, "batches_sent", json_integer((json_int_t)s->sse_sent));
    json_object_set_new(stream, "batches_dropped_slow_clients",
                        json_integer((json_int_t)s->sse_dropped));
    json_object_set_new(stream, "batches_dropped_queue_full",
                        json_integer((json_int_t)st->batches_queue_dropped));
    json_object_set_new(stream, "spikes_truncated", json_integer((json_int_t)st->spikes_truncated));
    json_object_set_new(stream, "presentations_not_streamed",
                        json_integer((json_int_t)st->not_streamed));
    json_object_set_new(o, "stream", stream);
    json_object_set_new(classify, "requests", json_integer((json_int_t)c->classify_requests));
    json_object_set_new(classify, "answered", json_integer((json_int_t)c->classify_answered));
    json_object_set_new(classify, "queued", json_integer((json_int_t)c->n_jobs));
    json_object_set_new(classify, "trained_samples", json_integer((json_int_t)c->snap_trained));
    json_object_set_new(o, "classify", classify);
    json_object_set_new(http, "requests", json_integer((json_int_t)s->http_requests));
    json_object_set_new(http, "errors", json_integer((json_int_t)s->http_errors));
    json_object_set_new(http, "refused_by_guard", json_integer((json_int_t)s->http_refused));
    json_object_set_new(http, "accept_errors", json_integer((json_int_t)s->accept_errors));
    json_object_set_new(o, "http", http);
    return o;
}

static void handle_status(ss_server *s, struct evhttp_request *req)
{
    status_copy c;
    copy_status(s, &c);
    ss_server_sse_sweep(s);
    char *body = json_text_of(status_json(s, &c), JSON_INDENT(2));
    if (!body) {
        ss_server_reply_error(s, req, 503, "Service Unavailable", "out of memory");
        return;
    }
    reply(s, req, 200, "OK", "application/json", body, strlen(body));
    free(body);
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
    metric(f, "spiksim_http_accept_errors_total", "counter",
           "Connections accept() could not take (no file descriptors left, say).",
           (double)s->accept_errors);
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
        ss_server_reply_error(s, req, 413, "Payload Too Large", msg);
        return;
    }
    if (s->free_running) {
        ss_server_reply_error(
            s, req, 501, "Not Implemented",
            "this model is free-running (no [data]): there is no classifier to ask");
        return;
    }
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_features, n_jobs = s->n_jobs;
    pthread_mutex_unlock(&s->mu);
    if (n == 0) {
        ss_server_reply_error(s, req, 503, "Service Unavailable",
                              "no network yet: the run is loading");
        return;
    }
    if (n_jobs >= SS_SERVER_CLASSIFY_QUEUE) {
        ss_server_reply_error(s, req, 503, "Service Unavailable",
                              "too many classify requests queued");
        return;
    }
    ss_classify_job *job = calloc(1, sizeof *job);
    ss_pending *p = calloc(1, sizeof *p);
    double *x = calloc(n, sizeof *x);
    char *body = len ? (char *)evbuffer_pullup(in, (ev_ssize_t)len) : (char *)"";
    char msg[256];
    if (!job || !p || !x || !body) {
        ss_server_reply_error(s, req, 503, "Service Unavailable", "out of memory");
    } else if (ss_server_parse_input(body, len, x, n, msg, sizeof msg) != 0) {
        ss_server_reply_error(s, req, 400, "Bad Request", msg);
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
    {"/api/spikes", EVHTTP_REQ_GET, "GET", ss_server_sse_handle},
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
            ss_server_reply_error(s, req, 405, "Method Not Allowed", msg);
            return;
        }
        r->fn(s, req);
        return;
    }
    char *path = ss__utf8_clean(uri, plen, 100);
    char msg[400];
    snprintf(msg, sizeof msg, "no such path: %s", path ? path : "");
    free(path);
    ss_server_reply_error(s, req, 404, "Not Found", msg);
}

int ss_server_http_setup(ss_server *s, ss_error *err)
{
    s->http = evhttp_new(s->base);
    if (!s->http)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    /* Every method reaches on_request, TRACE, CONNECT and ones evhttp does
     * not know included (all bits: evhttp marks those with one of its own),
     * so that a wrong one gets a JSON 405 rather than evhttp's own page. */
    evhttp_set_allowed_methods(s->http, 0xFFFF);
    /* The request guard (server_guard.c) refuses bodies over the limit and
     * heads over theirs, with JSON, before evhttp reads them; evhttp's own
     * limits, just above, are the backstop that bounds its buffers. */
    evhttp_set_max_body_size(s->http, (ev_ssize_t)SS_SERVER_MAX_BODY_BYTES);
    evhttp_set_max_headers_size(s->http, SS_SERVER_MAX_HEAD_BYTES + 1024);
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
    s->wake_pending = 0;
    pthread_mutex_unlock(&s->mu);

    ss_server_sse_batches(s, batches, n_batches, n_layers);
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
    ss_server_sse_heartbeat(s);
}

void ss_server_http_close_all(ss_server *s)
{
    ss_server_sse_close_all(s);
    while (s->pending) {
        ss_pending *p = s->pending;
        s->pending = p->next;
        ss_server_reply_error(s, p->req, 503, "Service Unavailable", "the server is stopping");
        free(p);
    }
}
