/* The live server: start and stop, and the simulation thread's side (the
 * engine observer, the presentation listener, publishing learned state).
 * See server.h for the design and docs/server.md for the API. */
#define _POSIX_C_SOURCE 200809L
#include "server_internal.h"

#include <spiksim/encode.h>
#include <spiksim/progress.h>

#include <event2/thread.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- batches ---- */

void ss_batch_free(ss_batch *b)
{
    if (!b)
        return;
    free(b->layer);
    free(b->neuron);
    free(b->t_ms);
    free(b);
}

static ss_batch *batch_alloc(void)
{
    ss_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = 1024;
    b->layer = malloc(b->cap * sizeof *b->layer);
    b->neuron = malloc(b->cap * sizeof *b->neuron);
    b->t_ms = malloc(b->cap * sizeof *b->t_ms);
    if (!b->layer || !b->neuron || !b->t_ms) {
        ss_batch_free(b);
        return NULL;
    }
    return b;
}

/* The engine observer: a spike of the presentation being shown. */
static void on_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    ss_server *s = ctx;
    ss_batch *b = s->cur;
    if (!b)
        return;
    if (b->n == SS_SERVER_BATCH_MAX_SPIKES) {
        b->truncated++;
        return;
    }
    if (b->n == b->cap) {
        /* Out of memory only truncates the picture: the run goes on. */
        size_t cap = b->cap * 2;
        uint32_t *l = realloc(b->layer, cap * sizeof *l);
        if (l)
            b->layer = l;
        uint32_t *n = l ? realloc(b->neuron, cap * sizeof *n) : NULL;
        if (n)
            b->neuron = n;
        float *t = n ? realloc(b->t_ms, cap * sizeof *t) : NULL;
        if (!t) {
            b->truncated++;
            return;
        }
        b->t_ms = t;
        b->cap = cap;
    }
    b->layer[b->n] = (uint32_t)layer;
    b->neuron[b->n] = (uint32_t)neuron;
    b->t_ms[b->n] = (float)(t_ms - b->t0_ms);
    b->n++;
}

static const char *pass_phase(ss_pass kind)
{
    switch (kind) {
    case SS_PASS_TRAIN:
        return "train";
    case SS_PASS_TRAIN_EVAL:
        return "train accuracy";
    case SS_PASS_TEST:
        return "test";
    default:
        return "evaluate";
    }
}

/* Hands the newest learned state to the classify thread.  The checkpoint
 * is built outside the lock (it copies every weight); only the pointer
 * swap happens under it. */
static void publish_snapshot(ss_server *s, int frozen)
{
    ss_checkpoint *ck = ss_checkpoint_alloc();
    ss_error err;
    if (ck && ss_classifier_snapshot(s->live, ck, &err) != SS_OK) {
        ss_checkpoint_free(ck);
        ck = NULL;
    }
    pthread_mutex_lock(&s->mu);
    if (ck) {
        ss_checkpoint_free(s->snap);
        s->snap = ck;
        s->snap_gen++;
        s->snap_trained = s->trained;
        s->st.snapshots++;
    }
    s->want_snapshot = 0;
    s->frozen = frozen;
    s->have_network = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

/* Run-wide counters from the live engine into the status (under mu). */
static void count_engine(ss_server *s, ss_server_status *st)
{
    ss_engine_counters c;
    ss_engine_get_counters(s->eng, &c);
    st->spikes = s->fold_spikes0 + c.spikes;
    st->syn_events = s->fold_syn0 + c.syn_events;
    st->events = s->fold_ev0 + c.events;
    double now = ss_now_s();
    /* Rates over windows of at least half a second, so that one fast
     * presentation does not make the figure jump. */
    if (now - s->rate_t0_s >= 0.5) {
        st->syn_events_per_s = (double)(st->syn_events - s->rate_syn0) / (now - s->rate_t0_s);
        st->events_per_s = (double)(st->events - s->rate_ev0) / (now - s->rate_t0_s);
        s->rate_t0_s = now;
        s->rate_syn0 = st->syn_events;
        s->rate_ev0 = st->events;
    }
}

/* Queues b for the HTTP thread (under mu); a full queue drops it: the
 * simulation never waits for the server. */
static void push_batch(ss_server *s, ss_batch *b)
{
    b->fold = s->st.fold;
    s->st.spikes_truncated += b->truncated;
    if (s->q_len == SS_SERVER_QUEUE) {
        s->st.batches_queue_dropped++;
        ss_batch_free(b);
    } else {
        s->queue[(s->q_head + s->q_len++) % SS_SERVER_QUEUE] = b;
    }
}

/* The presentation listener, chained in front of any other (a raster
 * capture's). */
static void on_presentation(void *ctx, int begin, ss_pass kind, long epoch, size_t index, int label,
                            int predicted, double t0_ms)
{
    ss_server *s = ctx;
    if (s->prev_fn)
        s->prev_fn(s->prev_ctx, begin, kind, epoch, index, label, predicted, t0_ms);
    if (begin) {
        ss_batch_free(s->cur);
        s->cur = NULL;
        /* At most SS_SERVER_MAX_BATCHES_PER_S presentations are recorded: a
         * screen shows no more, and the cost of watching stays bounded
         * however fast the model runs.  The others cost nothing. */
        double now = ss_now_s();
        if (now - s->last_batch_s >= 1.0 / SS_SERVER_MAX_BATCHES_PER_S) {
            s->last_batch_s = now;
            s->cur = batch_alloc(); /* NULL (out of memory): this batch is not shown */
        } else {
            s->not_streamed++;
        }
        if (s->cur) {
            s->cur->kind = (int)kind;
            s->cur->epoch = epoch;
            s->cur->index = index;
            s->cur->label = label;
            s->cur->t0_ms = t0_ms;
            s->cur->duration_ms =
                kind == SS_PASS_TRAIN ? s->presentation_ms : s->test_presentation_ms;
        }
        pthread_mutex_lock(&s->mu);
        ss_server_status *st = &s->st;
        const char *phase = pass_phase(kind);
        if (strcmp(st->phase, phase) != 0 || (kind == SS_PASS_TRAIN && epoch != st->epoch)) {
            snprintf(st->phase, sizeof st->phase, "%s", phase);
            st->pass_right = st->pass_seen = 0;
            st->sample = 0;
        }
        if (kind == SS_PASS_TRAIN)
            st->epoch = epoch;
        st->n_samples =
            kind == SS_PASS_TRAIN || kind == SS_PASS_TRAIN_EVAL ? s->n_train : s->n_test;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    ss_batch *b = s->cur;
    s->cur = NULL;
    if (kind == SS_PASS_TRAIN)
        s->trained++;
    int want;
    pthread_mutex_lock(&s->mu);
    ss_server_status *st = &s->st;
    st->sample++;
    st->pass_seen++;
    st->pass_right += predicted == label;
    st->samples_presented++;
    if (kind == SS_PASS_TRAIN && epoch >= 0 && epoch < SS_SERVER_MAX_EPOCHS) {
        st->epoch_running[epoch] = (double)st->pass_right / (double)st->pass_seen;
        if ((size_t)epoch + 1 > st->n_acc)
            st->n_acc = (size_t)epoch + 1;
    }
    count_engine(s, st);
    st->not_streamed += s->not_streamed;
    s->not_streamed = 0;
    if (b) {
        b->predicted = predicted;
        push_batch(s, b);
        ss_server_wake_locked(s);
    }
    want = s->want_snapshot;
    pthread_mutex_unlock(&s->mu);
    /* Between two samples: the only moment the classify thread may take
     * the learned state, so it never sees weights half-way through a
     * plasticity update. */
    if (want)
        publish_snapshot(s, 0);
}

/* Layer names and sizes for /api/status (under mu, once). */
static void set_layers(ss_server *s, const ss_network *net)
{
    size_t n = ss_network_n_layers(net);
    s->layer_names = calloc(n, sizeof *s->layer_names);
    s->layer_sizes = calloc(n, sizeof *s->layer_sizes);
    if (!s->layer_names || !s->layer_sizes)
        return;
    for (size_t i = 0; i < n; i++) {
        ss_layer *l = ss_network_layer((ss_network *)net, i);
        s->layer_names[i] = strdup(ss_layer_name(l));
        s->layer_sizes[i] = ss_layer_size(l);
    }
    s->n_layers = n;
}

/* ---- free-running models: windows of simulated time ---- */

/* A window is over: the status follows, and its batch (if it was
 * recorded) goes to the HTTP thread.  count = 0 once the run is over and its
 * engine gone: the window's spikes are then added by hand. */
static void window_done(ss_server *s, int count)
{
    ss_batch *b = s->cur;
    s->cur = NULL;
    pthread_mutex_lock(&s->mu);
    s->st.sample = (size_t)s->win_k + 1;
    s->st.samples_presented++;
    if (count)
        count_engine(s, &s->st);
    else
        s->st.spikes += s->win_spikes;
    s->st.not_streamed += s->not_streamed;
    s->not_streamed = 0;
    if (b) {
        push_batch(s, b);
        ss_server_wake_locked(s);
    }
    pthread_mutex_unlock(&s->mu);
}

static void on_free_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    ss_server *s = ctx;
    double k = floor(t_ms / SS_SERVER_FREE_WINDOW_MS);
    if (!s->win_open || k != s->win_k) {
        if (s->win_open)
            window_done(s, 1);
        s->win_open = 1;
        s->win_k = k;
        s->win_spikes = 0;
        /* As for presentations: at most SS_SERVER_MAX_BATCHES_PER_S windows
         * a second are recorded (a fast model makes thousands, which no
         * screen shows and no client could take); the others cost nothing
         * and are counted in presentations_not_streamed. */
        double now = ss_now_s();
        if (now - s->last_batch_s >= 1.0 / SS_SERVER_MAX_BATCHES_PER_S &&
            (s->cur = batch_alloc()) != NULL) {
            s->last_batch_s = now;
            s->cur->kind = -1;
            s->cur->epoch = -1;
            s->cur->index = (size_t)k;
            s->cur->label = s->cur->predicted = -1;
            s->cur->t0_ms = k * SS_SERVER_FREE_WINDOW_MS;
            s->cur->duration_ms = SS_SERVER_FREE_WINDOW_MS;
        } else {
            s->not_streamed++;
        }
    }
    s->win_spikes++;
    if (s->cur)
        on_spike(ctx, layer, neuron, t_ms);
}

int ss_server_watch_free(void *server, ss_network *net, ss_engine *eng, ss_error *err)
{
    ss_server *s = server;
    if (ss_engine_add_observer(eng, on_free_spike, s) != SS_OK)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    s->eng = eng;
    s->rate_t0_s = ss_now_s();
    double duration_ms = ss_config_double(s->cfg, "simulation", "duration_ms");
    pthread_mutex_lock(&s->mu);
    if (!s->layer_names)
        set_layers(s, net);
    s->st.n_samples = (size_t)ceil(duration_ms / SS_SERVER_FREE_WINDOW_MS);
    snprintf(s->st.phase, sizeof s->st.phase, "%s", "simulate");
    pthread_mutex_unlock(&s->mu);
    return SS_OK;
}

int ss_server_fold(void *server, int begin, ss_classifier *c, const ss_split *split,
                   const ss_fold_result *res, ss_error *err)
{
    ss_server *s = server;
    ss_engine *eng = ss_classifier_engine(c);
    if (!begin) {
        if (s->live != c) /* begin failed */
            return SS_OK;
        /* Tested: the end-of-fold state is what classify answers with until
         * the next fold starts (or for good, after the run). */
        publish_snapshot(s, 1);
        ss_engine_remove_observer(eng, on_spike, s);
        ss_classifier_set_listener(c, s->prev_fn, s->prev_ctx);
        ss_engine_counters cnt;
        ss_engine_get_counters(eng, &cnt);
        pthread_mutex_lock(&s->mu);
        s->fold_spikes0 += cnt.spikes;
        s->fold_syn0 += cnt.syn_events;
        s->fold_ev0 += cnt.events;
        s->st.train_accuracy = res->train_accuracy;
        s->st.test_accuracy = res->test_accuracy;
        for (size_t e = 0; e < res->n_epochs && e < SS_SERVER_MAX_EPOCHS; e++)
            s->st.epoch_test[e] = res->epoch_test_accuracy[e];
        snprintf(s->st.phase, sizeof s->st.phase, "%s", "fold done");
        pthread_mutex_unlock(&s->mu);
        ss_batch_free(s->cur);
        s->cur = NULL;
        s->live = NULL;
        s->eng = NULL;
        return SS_OK;
    }
    ss_network *net = ss_classifier_network(c);
    if (ss_engine_add_observer(eng, on_spike, s) != SS_OK)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    s->live = c;
    s->eng = eng;
    ss_classifier_get_listener(c, &s->prev_fn, &s->prev_ctx);
    ss_classifier_set_listener(c, on_presentation, s);
    pthread_mutex_lock(&s->mu);
    if (!s->layer_names) {
        set_layers(s, net);
        s->n_features = split->n_features;
    }
    s->st.fold = res->fold;
    s->st.not_streamed += s->not_streamed;
    s->not_streamed = 0;
    s->st.n_samples = split->n_train;
    s->st.epoch = 0;
    s->st.n_acc = 0;
    s->st.train_accuracy = s->st.test_accuracy = NAN;
    for (size_t e = 0; e < SS_SERVER_MAX_EPOCHS; e++)
        s->st.epoch_running[e] = s->st.epoch_test[e] = NAN;
    snprintf(s->st.phase, sizeof s->st.phase, "%s", "starting");
    pthread_mutex_unlock(&s->mu);
    s->trained = 0;
    s->n_train = split->n_train;
    s->n_test = split->n_test;
    s->rate_t0_s = ss_now_s();
    s->rate_syn0 = s->fold_syn0;
    s->rate_ev0 = s->fold_ev0;
    /* A fresh network of this fold: classify answers with it from now. */
    publish_snapshot(s, 0);
    return SS_OK;
}

void ss_server_run_done(ss_server *s, int rc, int serve_after)
{
    /* A free run's last window (its engine is gone: counters stay). */
    if (s->free_running && s->win_open)
        window_done(s, 0);
    s->eng = NULL;
    pthread_mutex_lock(&s->mu);
    s->st.run_rc = rc;
    s->st.running = 0;
    s->st.serving = serve_after && rc == SS_OK;
    snprintf(s->st.phase, sizeof s->st.phase, "%s",
             rc != SS_OK   ? "failed"
             : serve_after ? "serving"
                           : "done");
    /* Nothing trains any more: classify takes the last state as it is. */
    s->frozen = 1;
    pthread_cond_broadcast(&s->cond);
    ss_server_wake_locked(s);
    pthread_mutex_unlock(&s->mu);
}

void ss_server_wake_locked(ss_server *s)
{
    if (s->wake_pending || !s->wakeup)
        return;
    /* event_active() takes the base's lock, which the HTTP thread never
     * holds while it waits for mu: no lock-order problem. */
    s->wake_pending = 1;
    event_active(s->wakeup, EV_READ, 0);
}

void ss_server_wait(ss_server *s, const volatile sig_atomic_t *stop)
{
    (void)s;
    /* A signal handler can only set a flag; looking at it twenty times a
     * second costs nothing and needs no signal plumbing between threads. */
    struct timespec ts = {0, 50 * 1000 * 1000};
    while (!*stop)
        nanosleep(&ts, NULL);
}

int ss_server_port(const ss_server *s)
{
    return s->port;
}

/* ---- start and stop ---- */

int ss_server_parse_listen(const char *spec, char *addr, size_t addr_size, int *port, ss_error *err)
{
    /* PORT, ADDR:PORT, or [IPV6]:PORT */
    const char *a = "127.0.0.1", *p = spec;
    size_t alen = strlen(a);
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return ss_error_set(err, SS_EUSAGE, "--serve: '%s' is not [IPV6]:PORT", spec);
        a = spec + 1;
        alen = (size_t)(close - a);
        p = close + 2;
    } else if (strchr(spec, ':')) {
        const char *colon = strrchr(spec, ':');
        a = spec;
        alen = (size_t)(colon - spec);
        p = colon + 1;
    }
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (*p == '\0' || *end != '\0' || *p == '-' || *p == '+' || errno || v < 0 || v > 65535)
        return ss_error_set(err, SS_EUSAGE, "--serve: '%s' is not [ADDR:]PORT (PORT 0..65535)",
                            spec);
    if (alen == 0)
        return ss_error_set(err, SS_EUSAGE, "--serve: '%s' has an empty address", spec);
    if (alen + 1 > addr_size)
        return ss_error_set(err, SS_EUSAGE, "--serve: address too long in '%s'", spec);
    memcpy(addr, a, alen);
    addr[alen] = '\0';
    *port = (int)v;
    return SS_OK;
}

static int is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcmp(addr, "localhost") == 0;
}

static void *http_main(void *arg)
{
    ss_server *s = arg;
    event_base_dispatch(s->base);
    return NULL;
}

/* The helper threads take no SIGINT/SIGTERM (the simulation thread's
 * handler sets the stop flag) and no SIGPIPE (a client that went away
 * makes a write fail with EPIPE instead of killing the process). */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

ss_server *ss_server_start(const ss_server_options *opt, ss_error *err)
{
    char addr[64];
    int port;
    if (ss_server_parse_listen(opt->listen, addr, sizeof addr, &port, err) != SS_OK)
        return NULL;
    ss_server *s = calloc(1, sizeof *s);
    if (!s) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->cfg = opt->cfg;
    s->seed = opt->seed;
    s->log = opt->log ? opt->log : stderr;
    s->start_s = ss_now_s();
    if (opt->ds) {
        ss_encoder enc; /* only its windows: the features do not matter */
        ss_encoder_init(&enc, opt->cfg, 0, NULL);
        s->presentation_ms = ss_encoder_window_ms(&enc, 1);
        s->test_presentation_ms = ss_encoder_window_ms(&enc, 0);
    } else {
        s->presentation_ms = s->test_presentation_ms = SS_SERVER_FREE_WINDOW_MS;
    }
    s->st.running = 1;
    s->st.n_epochs = opt->ds ? ss_config_int(opt->cfg, "train", "epochs") : 0;
    s->st.fold = -1;
    s->st.train_accuracy = s->st.test_accuracy = NAN;
    s->st.events_per_s = s->st.syn_events_per_s = NAN;
    snprintf(s->st.phase, sizeof s->st.phase, "%s", "loading");
    for (size_t e = 0; e < SS_SERVER_MAX_EPOCHS; e++)
        s->st.epoch_running[e] = s->st.epoch_test[e] = NAN;
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    size_t n_classes = opt->ds ? ss_dataset_n_classes(opt->ds) : 0;
    if (n_classes) {
        s->class_names = calloc(n_classes, sizeof *s->class_names);
        if (!s->class_names)
            goto nomem;
        s->n_classes = n_classes;
        for (size_t k = 0; k < n_classes; k++)
            if (!(s->class_names[k] = strdup(ss_dataset_class_name(opt->ds, k))))
                goto nomem;
    }
    s->free_running = !opt->ds;
    /* event_active() from the simulation and classify threads needs
     * libevent's locking switched on before the base exists. */
    if (evthread_use_pthreads() != 0) {
        ss_error_set(err, SS_ERUNTIME, "libevent: no pthreads support");
        goto fail;
    }
    s->base = event_base_new();
    if (!s->base)
        goto nomem;
    s->wakeup = event_new(s->base, -1, 0, ss_server_http_wakeup, s);
    s->heartbeat = event_new(s->base, -1, EV_PERSIST, ss_server_http_heartbeat, s);
    if (!s->wakeup || !s->heartbeat)
        goto nomem;
    struct timeval beat = {1, 0};
    event_add(s->heartbeat, &beat);
    if (ss_server_http_setup(s, err) != SS_OK || ss_server_listen(s, addr, port, err) != SS_OK)
        goto fail;
    /* The real port, when 0 asked for any. */
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&ss, &len) == 0)
        s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    int v6 = strchr(addr, ':') != NULL;
    fprintf(s->log, "spiksim: listening on %s%s%s:%d\n", v6 ? "[" : "", addr, v6 ? "]" : "",
            s->port);
    if (!is_loopback(addr))
        fprintf(s->log,
                "spiksim: warning: serving on %s, not loopback: the HTTP API has no "
                "authentication; anyone who can reach this address can use it\n",
                addr);
    fflush(s->log);
    if (start_thread(&s->classify_thread, ss_server_classify_main, s) != 0) {
        ss_error_set(err, SS_ERUNTIME, "cannot start the classify thread");
        goto fail;
    }
    s->classify_started = 1;
    if (start_thread(&s->http_thread, http_main, s) != 0) {
        ss_error_set(err, SS_ERUNTIME, "cannot start the HTTP thread");
        goto fail;
    }
    s->http_started = 1;
    return s;
nomem:
    ss_error_set(err, SS_ENOMEM, "out of memory");
fail:
    ss_server_free(s);
    return NULL;
}

/* Runs in the HTTP thread: closes streams and answers pending requests
 * before the loop ends, so that no request outlives the evhttp that owns it. */
static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    ss_server *s = arg;
    (void)fd;
    (void)what;
    ss_server_http_close_all(s);
    event_base_loopbreak(s->base);
}

void ss_server_free(ss_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    if (s->classify_started)
        pthread_join(s->classify_thread, NULL);
    if (s->http_started) {
        struct event *stop = event_new(s->base, -1, 0, on_stop, s);
        if (stop) {
            event_active(stop, EV_READ, 0);
            pthread_join(s->http_thread, NULL);
            event_free(stop);
        } else {
            event_base_loopbreak(s->base);
            pthread_join(s->http_thread, NULL);
        }
    } else if (s->http) {
        ss_server_http_close_all(s);
    }
    if (s->http)
        evhttp_free(s->http); /* and the listener it was given */
    ss_server_unlisten(s);
    if (s->wakeup)
        event_free(s->wakeup);
    if (s->heartbeat)
        event_free(s->heartbeat);
    if (s->base)
        event_base_free(s->base);
    for (size_t i = 0; i < s->q_len; i++)
        ss_batch_free(s->queue[(s->q_head + i) % SS_SERVER_QUEUE]);
    ss_batch_free(s->cur);
    for (ss_classify_job *j = s->jobs_head, *next; j; j = next) {
        next = j->next;
        free(j->x);
        free(j->body);
        free(j);
    }
    for (ss_classify_job *j = s->done_head, *next; j; j = next) {
        next = j->next;
        free(j->x);
        free(j->body);
        free(j);
    }
    ss_checkpoint_free(s->snap);
    for (size_t i = 0; i < s->n_layers; i++)
        free(s->layer_names[i]);
    free(s->layer_names);
    free(s->layer_sizes);
    for (size_t k = 0; k < s->n_classes; k++)
        free(s->class_names[k]);
    free(s->class_names);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cond);
    free(s);
    /* libevent keeps global state (locking callbacks, debug maps) that
     * leak checkers would report; the CLI runs one server per process. */
    libevent_global_shutdown();
}
