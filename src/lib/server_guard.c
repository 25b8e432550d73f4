/* The server's connections: the listening socket, and a guard in front of
 * evhttp on every connection.
 *
 * evhttp (libevent 2.1) answers what it rejects itself (a body over its
 * limit, a malformed request line, headers too large) with an HTML page
 * that no hook can change.  The guard is an input filter (a filtering
 * bufferevent, given to evhttp through evhttp_set_bevcb) that reads each
 * request head before evhttp does and refuses, with the JSON errors of the
 * API, what evhttp would have refused:
 *
 *   400  a request line that is not METHOD TARGET HTTP/1.x, a target with a
 *        byte outside printable ASCII, a header line without a name, a
 *        Content-Length that is not a number (or two that differ)
 *   411  a body without Content-Length (Transfer-Encoding is not accepted)
 *   413  a Content-Length over SS_SERVER_MAX_BODY_BYTES, refused before a
 *        byte of the body is read
 *   431  a request head over SS_SERVER_MAX_HEAD_BYTES
 *   505  an HTTP version other than 1.0 and 1.1
 *
 * The reply is written straight to the socket, which is then closed once it
 * is sent (what follows is discarded, up to a bound); evhttp never sees the
 * request.  What passes is handed on unchanged, a head and then exactly its
 * body, so evhttp's own parsing, keep-alive and streaming work as before.
 *
 * The listener: when accept() fails (no file descriptors left under
 * `ulimit -n`), libevent would log and retry at once, forever (1.3 million
 * lines in 13 s).  Here the listener pauses, 50 ms doubling to 1 s while
 * the failures go on, and the failure is logged once per 10 s with a count
 * (and counted in /api/status and /metrics).
 */
#define _POSIX_C_SOURCE 200809L
#include "server_internal.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Bytes of a refused request's remainder read and thrown away before the
 * connection is cut (so that a client still sending gets the reply rather
 * than a reset, without the server reading without end). */
#define DISCARD_MAX (4 * SS_SERVER_MAX_BODY_BYTES)

enum { HEAD, BODY, REFUSED };

typedef struct guard {
    ss_server *s;
    struct bufferevent *bev;   /* the filter evhttp uses */
    struct bufferevent *under; /* the socket's bufferevent */
    struct event *kick;        /* flushes the filter's output, see on_output */
    struct evbuffer_cb_entry *added;
    int state;
    uint64_t body_left; /* BODY: bytes of the body still to pass */
    size_t scanned;     /* HEAD: bytes already searched for its end */
    uint64_t discarded; /* REFUSED */
    struct evbuffer_cb_entry *drained;
} guard;

/* ---- the reply to a refused request ---- */

/* Once the reply has left, the write side is shut: the client reads the
 * reply, then end of file. */
static void on_reply_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    guard *g = arg;
    (void)info;
    if (g->state == REFUSED && evbuffer_get_length(buf) == 0) {
        evutil_socket_t fd = bufferevent_getfd(g->under);
        if (fd >= 0)
            shutdown(fd, SHUT_WR);
    }
}

static void refuse(guard *g, int code, const char *reason, const char *msg)
{
    ss_server *s = g->s;
    s->http_requests++;
    s->http_errors++;
    s->http_refused++;
    char *body = ss_server_error_json(code, msg);
    const char *text = body ? body : "{\"error\":\"out of memory\"}\n";
    struct evbuffer *out = bufferevent_get_output(g->under);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                        "Cache-Control: no-store\r\nConnection: close\r\n"
                        "Content-Length: %zu\r\n\r\n%s",
                        code, reason, strlen(text), text);
    free(body);
    g->state = REFUSED;
    g->drained = evbuffer_add_cb(out, on_reply_drained, g);
}

/* ---- reading a request head ---- */

static int is_tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Compares a header name (n bytes) with a lower-case name. */
static int name_is(const char *p, size_t n, const char *name)
{
    if (strlen(name) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return 0;
    }
    return 1;
}

/* The verdict on a head: 0 (and the body length), or a refusal. */
typedef struct head_verdict {
    int code; /* 0: pass */
    const char *reason;
    char msg[160];
} head_verdict;

static int verdict(head_verdict *v, int code, const char *reason, const char *msg)
{
    v->code = code;
    v->reason = reason;
    snprintf(v->msg, sizeof v->msg, "%s", msg);
    return code;
}

int ss_server_head_check(const char *h, size_t len, uint64_t *body, int *code, const char **reason,
                         char *msg, size_t msg_size)
{
    head_verdict v = {0, NULL, ""};
    *body = 0;
    const char *end = h + len;
    const char *eol = memchr(h, '\n', len);
    if (!eol) {
        verdict(&v, 400, "Bad Request", "malformed request head: no end of line");
        goto done;
    }
    size_t line_len = (size_t)(eol - h) - (eol > h && eol[-1] == '\r');
    /* METHOD SP TARGET SP HTTP/1.x */
    const char *sp1 = memchr(h, ' ', line_len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', line_len - (size_t)(sp1 + 1 - h)) : NULL;
    int have_length = 0;
    if (!sp1 || !sp2 || sp1 == h || sp2 == sp1 + 1) {
        verdict(&v, 400, "Bad Request", "malformed request line: expected METHOD TARGET HTTP/1.1");
        goto done;
    }
    for (const char *p = h; p < sp1; p++)
        if (!is_tchar((unsigned char)*p)) {
            verdict(&v, 400, "Bad Request", "malformed request line: the method is not a token");
            goto done;
        }
    for (const char *p = sp1 + 1; p < sp2; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7E) {
            char text[96];
            snprintf(text, sizeof text,
                     "the request target holds byte 0x%02X: percent-encode it (RFC 3986)",
                     (unsigned char)*p);
            verdict(&v, 400, "Bad Request", text);
            goto done;
        }
    size_t vlen = line_len - (size_t)(sp2 + 1 - h);
    if (vlen != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0)) {
        if (vlen >= 5 && memcmp(sp2 + 1, "HTTP/", 5) == 0)
            verdict(&v, 505, "HTTP Version Not Supported", "only HTTP/1.0 and HTTP/1.1 are served");
        else
            verdict(&v, 400, "Bad Request", "malformed request line: expected HTTP/1.1 at its end");
        goto done;
    }
    for (const char *p = eol + 1; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end; /* the head passed in ends with its empty line; be safe */
        size_t n = (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
        if (n == 0)
            break; /* the empty line that ends the head */
        if (*p == ' ' || *p == '\t') {
            verdict(&v, 400, "Bad Request", "folded header lines are not accepted (RFC 9112)");
            goto done;
        }
        const char *colon = memchr(p, ':', n);
        int ok = colon && colon > p;
        for (const char *q = p; ok && q < colon; q++)
            ok = is_tchar((unsigned char)*q);
        for (const char *q = colon ? colon + 1 : p; ok && q < p + n; q++)
            ok = (unsigned char)*q >= 0x20 || *q == '\t';
        if (!ok) {
            verdict(&v, 400, "Bad Request", "malformed header line: expected 'Name: value'");
            goto done;
        }
        size_t name_len = (size_t)(colon - p);
        const char *val = colon + 1, *val_end = p + n;
        while (val < val_end && (*val == ' ' || *val == '\t'))
            val++;
        while (val_end > val && (val_end[-1] == ' ' || val_end[-1] == '\t'))
            val_end--;
        if (name_is(p, name_len, "transfer-encoding")) {
            verdict(&v, 411, "Length Required",
                    "send the body with Content-Length (Transfer-Encoding is not accepted)");
            goto done;
        }
        if (name_is(p, name_len, "content-length")) {
            uint64_t num = 0;
            int digits = val < val_end;
            for (const char *q = val; digits && q < val_end; q++) {
                digits = *q >= '0' && *q <= '9';
                if (digits && num > (UINT64_MAX - 9) / 10)
                    num = UINT64_MAX; /* saturate: far over the limit anyway */
                else if (digits)
                    num = num * 10 + (uint64_t)(*q - '0');
            }
            if (!digits || (have_length && num != *body)) {
                verdict(&v, 400, "Bad Request",
                        digits ? "two different Content-Length headers"
                               : "Content-Length is not a number");
                goto done;
            }
            have_length = 1;
            *body = num;
        }
        p = nl + 1;
    }
    if (*body > SS_SERVER_MAX_BODY_BYTES) {
        char text[128];
        snprintf(text, sizeof text, "body of %llu bytes: the limit is %d",
                 (unsigned long long)*body, SS_SERVER_MAX_BODY_BYTES);
        verdict(&v, 413, "Payload Too Large", text);
    }
done:
    *code = v.code;
    *reason = v.reason;
    snprintf(msg, msg_size, "%s", v.msg);
    return v.code;
}

size_t ss_server_head_end(const char *h, size_t len, size_t from)
{
    /* Resume a little before where the last search stopped: a head that
     * trickles in byte by byte costs linear time, not quadratic. */
    for (size_t i = from > 2 ? from - 2 : 0; i < len; i++) {
        if (h[i] != '\n')
            continue;
        if (i + 1 < len && h[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && h[i + 1] == '\r' && h[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Length of the head at the start of src (through its empty line), 0 when
 * it has not all arrived. */
static size_t head_length(guard *g, struct evbuffer *src, size_t avail)
{
    size_t want = avail < SS_SERVER_MAX_HEAD_BYTES + 4 ? avail : SS_SERVER_MAX_HEAD_BYTES + 4;
    const char *h = (const char *)evbuffer_pullup(src, (ev_ssize_t)want);
    if (!h)
        return 0;
    size_t n = ss_server_head_end(h, want, g->scanned);
    g->scanned = n ? 0 : want;
    return n;
}

static enum bufferevent_filter_result guard_input(struct evbuffer *src, struct evbuffer *dst,
                                                  ev_ssize_t limit,
                                                  enum bufferevent_flush_mode mode, void *ctx)
{
    guard *g = ctx;
    (void)limit;
    (void)mode;
    int moved = 0;

    for (;;) {
        size_t avail = evbuffer_get_length(src);
        if (avail == 0)
            break;
        if (g->state == REFUSED) {
            evbuffer_drain(src, avail);
            g->discarded += avail;
            if (g->discarded > DISCARD_MAX) {
                evutil_socket_t fd = bufferevent_getfd(g->under);
                if (fd >= 0)
                    shutdown(fd, SHUT_RDWR);
            }
            return BEV_OK;
        }
        if (g->state == BODY) {
            size_t n = avail < g->body_left ? avail : (size_t)g->body_left;
            evbuffer_remove_buffer(src, dst, n);
            g->body_left -= n;
            moved = 1;
            if (g->body_left == 0)
                g->state = HEAD;
            continue;
        }
        /* Empty lines before a request line are ignored (RFC 9112 2.2). */
        const unsigned char *c = evbuffer_pullup(src, 1);
        if (c && (*c == '\r' || *c == '\n')) {
            evbuffer_drain(src, 1);
            continue;
        }
        size_t len = head_length(g, src, avail);
        if (len == 0) {
            if (avail > SS_SERVER_MAX_HEAD_BYTES) {
                char msg[96];
                snprintf(msg, sizeof msg, "request head over %d bytes", SS_SERVER_MAX_HEAD_BYTES);
                refuse(g, 431, "Request Header Fields Too Large", msg);
                continue;
            }
            break;
        }
        uint64_t body;
        int code;
        const char *reason;
        char msg[160];
        if (ss_server_head_check((const char *)evbuffer_pullup(src, (ev_ssize_t)len), len, &body,
                                 &code, &reason, msg, sizeof msg) != 0) {
            refuse(g, code, reason, msg);
            continue;
        }
        evbuffer_remove_buffer(src, dst, len);
        moved = 1;
        g->scanned = 0;
        g->body_left = body;
        g->state = body ? BODY : HEAD;
    }
    return moved ? BEV_OK : BEV_NEED_MORE;
}

/* libevent 2.1's filter moves its output down only when data is added
 * while writing is enabled, or when the socket below drains; enabling
 * writing moves nothing.  evhttp adds a reply first and enables writing
 * after, so the reply could wait for ever.  Each addition therefore also
 * schedules a flush, which runs once evhttp has enabled writing. */
static void kick_output(evutil_socket_t fd, short what, void *arg)
{
    guard *g = arg;
    (void)fd;
    (void)what;
    if ((bufferevent_get_enabled(g->bev) & EV_WRITE) &&
        evbuffer_get_length(bufferevent_get_output(g->bev)))
        bufferevent_flush(g->bev, EV_WRITE, BEV_NORMAL);
}

static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    guard *g = arg;
    if (info->n_added && evbuffer_get_length(buf))
        event_active(g->kick, EV_TIMEOUT, 0);
}

static void guard_free(void *ctx)
{
    guard *g = ctx;
    if (g->drained)
        evbuffer_remove_cb_entry(bufferevent_get_output(g->under), g->drained);
    if (g->added)
        evbuffer_remove_cb_entry(bufferevent_get_output(g->bev), g->added);
    if (g->kick)
        event_free(g->kick);
    free(g);
}

/* evhttp_set_bevcb: the bufferevent of each new connection. */
static struct bufferevent *new_connection(struct event_base *base, void *arg)
{
    guard *g = calloc(1, sizeof *g);
    /* The filter frees the socket's bufferevent, which closes the socket
     * (evhttp then only shuts down a descriptor already closed, which is
     * harmless: sockets are only opened in this thread). */
    struct bufferevent *under = g ? bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE) : NULL;
    struct bufferevent *bev = under ? bufferevent_filter_new(under, guard_input, NULL,
                                                             BEV_OPT_CLOSE_ON_FREE, guard_free, g)
                                    : NULL;
    if (!bev) {
        if (under)
            bufferevent_free(under);
        free(g);
        return NULL; /* evhttp then makes a plain one: unguarded, but served */
    }
    g->s = arg;
    g->bev = bev;
    g->under = under;
    g->kick = event_new(base, -1, 0, kick_output, g);
    g->added = g->kick ? evbuffer_add_cb(bufferevent_get_output(bev), on_output, g) : NULL;
    if (!g->added) {
        bufferevent_free(bev); /* frees g too */
        return NULL;
    }
    return bev;
}

/* ---- the listener ---- */

/* libevent 2.1 calls a listener's error callback with the listener's user
 * pointer, which evhttp_bind_listener() sets to the evhttp itself: there
 * is no way from there to our server but this table (one entry: one
 * server per process, as libevent_global_shutdown() in ss_server_free()
 * already requires). */
static pthread_mutex_t servers_mu = PTHREAD_MUTEX_INITIALIZER;
static ss_server *the_server;

static void resume_accepting(evutil_socket_t fd, short what, void *arg)
{
    ss_server *s = arg;
    (void)fd;
    (void)what;
    evconnlistener_enable(s->listener);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    (void)arg;
    int e = EVUTIL_SOCKET_ERROR();
    pthread_mutex_lock(&servers_mu);
    ss_server *s = the_server && the_server->listener == lev ? the_server : NULL;
    pthread_mutex_unlock(&servers_mu);
    if (!s) {
        evconnlistener_disable(lev); /* not ours: do not spin either */
        return;
    }
    s->accept_errors++;
    double now = ss_now_s();
    /* Back off while it lasts; a pause after a quiet minute starts short. */
    s->accept_pause_ms = now - s->accept_last_s > 60 || s->accept_pause_ms == 0
                             ? 50
                             : (s->accept_pause_ms * 2 > 1000 ? 1000 : s->accept_pause_ms * 2);
    s->accept_last_s = now;
    if (now - s->accept_logged_s >= 10) {
        if (s->accept_logged_s > 0 && s->accept_errors - s->accept_errors_logged > 1)
            fprintf(s->log,
                    "spiksim: server: cannot accept a connection: %s (%llu times since the "
                    "last message); pausing %d ms\n",
                    evutil_socket_error_to_string(e),
                    (unsigned long long)(s->accept_errors - s->accept_errors_logged),
                    s->accept_pause_ms);
        else
            fprintf(s->log,
                    "spiksim: server: cannot accept a connection: %s; pausing %d ms (logged at "
                    "most every 10 s)\n",
                    evutil_socket_error_to_string(e), s->accept_pause_ms);
        fflush(s->log);
        s->accept_logged_s = now;
        s->accept_errors_logged = s->accept_errors;
    }
    evconnlistener_disable(lev);
    struct timeval tv = {s->accept_pause_ms / 1000, (s->accept_pause_ms % 1000) * 1000};
    event_add(s->accept_resume, &tv);
}

int ss_server_listen(ss_server *s, const char *addr, int port, ss_error *err)
{
    struct evutil_addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG;
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    int gai = evutil_getaddrinfo(addr, port_text, &hints, &ai);
    if (gai != 0)
        return ss_error_set(err, SS_EIO, "--serve: cannot listen on %s:%d (%s)", addr, port,
                            evutil_gai_strerror(gai));
    s->listener = evconnlistener_new_bind(
        s->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
        ai->ai_addr, (int)ai->ai_addrlen);
    int e = errno;
    evutil_freeaddrinfo(ai);
    if (!s->listener)
        return ss_error_set(err, SS_EIO, "--serve: cannot listen on %s:%d (%s)", addr, port,
                            strerror(e));
    s->accept_resume = evtimer_new(s->base, resume_accepting, s);
    if (!s->accept_resume)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    /* evhttp owns the listener from here (and frees it). */
    if (!evhttp_bind_listener(s->http, s->listener)) {
        evconnlistener_free(s->listener);
        s->listener = NULL;
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&servers_mu);
    the_server = s;
    pthread_mutex_unlock(&servers_mu);
    evconnlistener_set_error_cb(s->listener, on_accept_error);
    evhttp_set_bevcb(s->http, new_connection, s);
    return SS_OK;
}

void ss_server_unlisten(ss_server *s)
{
    pthread_mutex_lock(&servers_mu);
    if (the_server == s)
        the_server = NULL;
    pthread_mutex_unlock(&servers_mu);
    if (s->accept_resume) {
        event_free(s->accept_resume);
        s->accept_resume = NULL;
    }
}
