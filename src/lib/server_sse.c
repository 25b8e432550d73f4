/* /api/spikes: Server-Sent Events, in the HTTP thread.
 *
 * What bounds the work here, whatever the clients do:
 *
 * - batches arrive at most SS_SERVER_MAX_BATCHES_PER_S a second (the
 *   simulation thread records no more, server.c);
 * - a batch is formatted once, and only when some client has room for it:
 *   when every client is behind (never reading, or slower than the run),
 *   batches are counted as dropped and cost nothing;
 * - the text is shared by every client's output (evbuffer references), and
 *   a client whose unsent output exceeds SS_SERVER_CLIENT_BUFFER_BYTES gets
 *   no more until it has read: a slow client loses batches (counted per
 *   client and in /api/status), never the server.
 *
 * The text is formatted by hand, not through jansson as the other replies
 * are: a batch is numbers only, and formatting its 20000 spikes took 14.5 ms
 * through jansson (and 12 ms through fprintf) against 1.2 ms here, measured
 * on this machine; at 200 batches a second only the last leaves the HTTP
 * thread time to answer anything else.
 */
#define _POSIX_C_SOURCE 200809L
#include "server_internal.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A batch's SSE text, shared by every client's output buffer; freed with
 * its last user. */
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

/* ---- clients ---- */

static int client_gone(const ss_sse_client *c)
{
    /* evhttp detaches a request from a connection that failed while the
     * reply was still open; it is then ours to end (which frees it). */
    return evhttp_request_get_connection(c->req) == NULL;
}

/* Bytes queued for the client and not yet taken by the kernel: in the
 * connection's bufferevent and, below the request guard's filter
 * (server_guard.c), in the socket's. */
static size_t client_backlog(const ss_sse_client *c)
{
    struct evhttp_connection *con = evhttp_request_get_connection(c->req);
    struct bufferevent *bev = con ? evhttp_connection_get_bufferevent(con) : NULL;
    if (!bev)
        return 0;
    size_t n = evbuffer_get_length(bufferevent_get_output(bev));
    struct bufferevent *under = bufferevent_get_underlying(bev);
    if (under)
        n += evbuffer_get_length(bufferevent_get_output(under));
    return n;
}

static int client_has_room(const ss_sse_client *c)
{
    return !client_gone(c) && client_backlog(c) < SS_SERVER_CLIENT_BUFFER_BYTES;
}

static int client_send(ss_server *s, ss_sse_client *c, ss_sse_block *blk)
{
    if (client_gone(c) || client_backlog(c) + blk->len > SS_SERVER_CLIENT_BUFFER_BYTES) {
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

void ss_server_sse_sweep(ss_server *s)
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

/* ---- formatting ---- */

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

static char *put_uint(char *p, uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = t[--n];
    return p;
}

/* t with two decimals, rounded half up.  Spike times are within a
 * presentation (or a 50 ms window): never negative, and far below the
 * bound that keeps the text within its 16 bytes. */
static char *put_ms(char *p, float t)
{
    double v = t > 0 ? (double)t : 0.0;
    double c = floor((v < 1e9 ? v : 1e9) * 100.0 + 0.5);
    uint64_t cents = c > 0 ? (uint64_t)c : 0;
    p = put_uint(p, cents / 100);
    *p++ = '.';
    *p++ = (char)('0' + cents / 10 % 10);
    *p++ = (char)('0' + cents % 10);
    return p;
}

/* One batch as an SSE "presentation" event: spikes grouped by layer, each
 * layer as parallel arrays of neuron indices and times (ms from the
 * presentation's start). */
static ss_sse_block *batch_block(const ss_batch *b, size_t n_layers)
{
    ss_sse_block *blk = calloc(1, sizeof *blk);
    /* A neuron index takes at most 10 digits, a time at most 13; each gets
     * a comma.  The header and the per-layer keys fit in the rest. */
    size_t cap = b->n * 26 + n_layers * 32 + 512;
    char *buf = blk ? malloc(cap) : NULL;
    if (!buf) {
        free(blk);
        return NULL;
    }
    char *p = buf;
    p += snprintf(p, 512,
                  "event: presentation\ndata: {\"fold\":%d,\"pass\":\"%s\",\"epoch\":%ld,"
                  "\"index\":%zu,\"label\":%d,\"predicted\":%d,\"t0_ms\":%.3f,"
                  "\"duration_ms\":%g,\"spikes\":%zu,\"truncated\":%zu,\"layers\":[",
                  b->fold, kind_name(b->kind), b->epoch, b->index, b->label, b->predicted, b->t0_ms,
                  b->duration_ms, b->n, b->truncated);
    for (size_t l = 0; l < n_layers; l++) {
        if (l)
            *p++ = ',';
        memcpy(p, "{\"neuron\":[", 11);
        p += 11;
        int first = 1;
        for (size_t i = 0; i < b->n; i++) {
            if (b->layer[i] != l)
                continue;
            if (!first)
                *p++ = ',';
            first = 0;
            p = put_uint(p, b->neuron[i]);
        }
        memcpy(p, "],\"t_ms\":[", 10);
        p += 10;
        first = 1;
        for (size_t i = 0; i < b->n; i++) {
            if (b->layer[i] != l)
                continue;
            if (!first)
                *p++ = ',';
            first = 0;
            p = put_ms(p, b->t_ms[i]);
        }
        *p++ = ']';
        *p++ = '}';
    }
    memcpy(p, "]}\n\n", 4);
    p += 4;
    blk->data = buf;
    blk->len = (size_t)(p - buf);
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

/* ---- the endpoint and the batches ---- */

void ss_server_sse_handle(ss_server *s, struct evhttp_request *req)
{
    ss_server_sse_sweep(s);
    if (s->n_clients >= SS_SERVER_MAX_SSE_CLIENTS) {
        ss_server_reply_error(s, req, 503, "Service Unavailable", "too many event-stream clients");
        return;
    }
    ss_sse_client *c = calloc(1, sizeof *c);
    if (!c) {
        ss_server_reply_error(s, req, 503, "Service Unavailable", "out of memory");
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

void ss_server_sse_batches(ss_server *s, ss_batch **batches, size_t n, size_t n_layers)
{
    ss_server_sse_sweep(s);
    s->n_layers_seen = n_layers;
    for (size_t i = 0; i < n; i++) {
        int room = 0;
        for (ss_sse_client *c = s->clients; c && !room; c = c->next)
            room = client_has_room(c);
        ss_sse_block *blk = room ? batch_block(batches[i], n_layers) : NULL;
        history_push(s, batches[i], blk);
        for (ss_sse_client *c = s->clients; c; c = c->next) {
            if (blk) {
                client_send(s, c, blk);
            } else {
                c->dropped++;
                s->sse_dropped++;
            }
        }
        block_unref(blk);
    }
}

void ss_server_sse_heartbeat(ss_server *s)
{
    ss_server_sse_sweep(s);
    /* A comment line: keeps proxies from timing the stream out and makes a
     * write fail soon after a client went away. */
    for (ss_sse_client *c = s->clients; c; c = c->next)
        if (client_has_room(c))
            send_text(c, ": keep-alive\n\n");
}

void ss_server_sse_close_all(ss_server *s)
{
    while (s->clients) {
        ss_sse_client *c = s->clients;
        s->clients = c->next;
        evhttp_send_reply_end(c->req);
        free(c);
    }
    s->n_clients = 0;
    for (size_t i = 0; i < s->n_history; i++) {
        ss_batch_free(s->history[i].batch);
        block_unref(s->history[i].block);
    }
    s->n_history = 0;
}
