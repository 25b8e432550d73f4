/* /api/classify: the request body's parser and the classify thread, which
 * presents inputs to a copy of the network (plasticity off) so that it never
 * races the trainer.  See server.h. */
#define _POSIX_C_SOURCE 200809L
#include "server_internal.h"

#include <spiksim/json.h>

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the body: {"input": [x1, ..., xn]} ----
 *
 * Parsed by hand: none of the project's dependencies reads JSON, and the
 * grammar accepted here is one object with one array of numbers.  Strict
 * JSON numbers only (no NaN, Infinity, hex), so that whatever passes here is
 * what a JSON library would have produced. */

typedef struct reader {
    const char *p, *end;
} reader;

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int eat(reader *r, char c)
{
    skip_ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return 1;
    }
    return 0;
}

/* A JSON string; copies at most size-1 bytes of it (escapes kept as they
 * are: key names here are plain). */
static int read_string(reader *r, char *out, size_t size)
{
    skip_ws(r);
    if (r->p >= r->end || *r->p != '"')
        return -1;
    r->p++;
    size_t n = 0;
    while (r->p < r->end && *r->p != '"') {
        if ((unsigned char)*r->p < 0x20)
            return -1;
        if (*r->p == '\\') {
            if (r->p + 1 >= r->end)
                return -1;
            if (n + 1 < size)
                out[n++] = *r->p;
            r->p++;
        }
        if (n + 1 < size)
            out[n++] = *r->p;
        r->p++;
    }
    if (r->p >= r->end)
        return -1;
    r->p++;
    out[n] = '\0';
    return 0;
}

/* A JSON number (RFC 8259 grammar); 1 when one was read, 0 when the next
 * token is something else. */
static int read_number(reader *r, double *v)
{
    skip_ws(r);
    const char *s = r->p, *q = s;
    if (q < r->end && *q == '-')
        q++;
    if (q >= r->end || !isdigit((unsigned char)*q))
        return 0;
    if (*q == '0')
        q++;
    else
        while (q < r->end && isdigit((unsigned char)*q))
            q++;
    if (q < r->end && *q == '.') {
        q++;
        if (q >= r->end || !isdigit((unsigned char)*q))
            return 0;
        while (q < r->end && isdigit((unsigned char)*q))
            q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= r->end || !isdigit((unsigned char)*q))
            return 0;
        while (q < r->end && isdigit((unsigned char)*q))
            q++;
    }
    char buf[64];
    size_t len = (size_t)(q - s);
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *v = strtod(buf, NULL);
    r->p = q;
    return 1;
}

int ss_server_parse_input(const char *body, size_t len, double *x, size_t n, char *msg,
                          size_t msg_size)
{
    reader r = {body, body + len};
    char key[64];
    int have_input = 0;
    if (!eat(&r, '{')) {
        snprintf(msg, msg_size, "malformed JSON: expected an object {\"input\": [...]}");
        return -1;
    }
    if (eat(&r, '}')) {
        snprintf(msg, msg_size, "missing \"input\"");
        return -1;
    }
    do {
        if (read_string(&r, key, sizeof key) != 0 || !eat(&r, ':')) {
            snprintf(msg, msg_size, "malformed JSON: expected \"key\": value");
            return -1;
        }
        if (strcmp(key, "input") != 0) {
            snprintf(msg, msg_size, "unknown key \"%s\" (the body is {\"input\": [...]})", key);
            return -1;
        }
        if (have_input) {
            snprintf(msg, msg_size, "\"input\" given twice");
            return -1;
        }
        if (!eat(&r, '[')) {
            snprintf(msg, msg_size, "\"input\" must be an array of %zu numbers", n);
            return -1;
        }
        size_t k = 0;
        if (!eat(&r, ']')) {
            do {
                double v;
                if (!read_number(&r, &v)) {
                    snprintf(msg, msg_size, "input[%zu] is not a number (malformed JSON)", k);
                    return -1;
                }
                if (!(v >= 0 && v <= 1)) {
                    snprintf(msg, msg_size,
                             "input[%zu] = %g is outside [0, 1] (features are normalised)", k, v);
                    return -1;
                }
                if (k < n)
                    x[k] = v;
                k++;
            } while (eat(&r, ','));
            if (!eat(&r, ']')) {
                snprintf(msg, msg_size, "malformed JSON in \"input\"");
                return -1;
            }
        }
        if (k != n) {
            snprintf(msg, msg_size, "\"input\" has %zu values; the network takes %zu", k, n);
            return -1;
        }
        have_input = 1;
    } while (eat(&r, ','));
    if (!eat(&r, '}')) {
        snprintf(msg, msg_size, "malformed JSON: expected '}'");
        return -1;
    }
    skip_ws(&r);
    if (r.p != r.end) {
        snprintf(msg, msg_size, "malformed JSON: text after the object");
        return -1;
    }
    return 0;
}

/* ---- answers ---- */

static char *json_error(const char *msg)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    ss_json j;
    ss_json_init(&j, f, 0);
    ss_json_object_begin(&j);
    ss_json_key(&j, "error");
    ss_json_string(&j, msg);
    ss_json_object_end(&j);
    fclose(f);
    return buf;
}

/* One presentation on the copy, from rest and with the input stream of a
 * test pass: the same input and learned state always give the same answer
 * (the answer for a test set's first sample is the final test's). */
static void classify(ss_server *s, ss_classifier *copy, ss_classify_job *job, uint64_t trained)
{
    ss_error err;
    double unused;
    /* An evaluation of no samples does nothing but switch plasticity off
     * and reseed the input spike stream as every evaluation does. */
    int rc = ss_classifier_evaluate(copy, NULL, NULL, 0, NULL, NULL, "classify", &unused, &err);
    ss_presentation p;
    if (rc == SS_OK) {
        /* From rest: present() resets the engine itself when the model
         * does, and an extra reset would draw v_init from the stream. */
        if (!ss_classifier_encoder(copy)->reset)
            ss_engine_reset(ss_classifier_engine(copy));
        rc = ss_classifier_present(copy, job->x, -1, 0, &p, &err);
    }
    if (rc != SS_OK) {
        job->status = 500;
        job->body = json_error(err.msg);
        return;
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) {
        job->status = 500;
        return;
    }
    ss_json j;
    ss_json_init(&j, f, 0);
    ss_json_object_begin(&j);
    ss_json_key(&j, "class");
    if (p.predicted >= 0)
        ss_json_int(&j, p.predicted);
    else
        ss_json_null(&j);
    ss_json_key(&j, "label_name");
    if (p.predicted >= 0 && (size_t)p.predicted < s->n_classes)
        ss_json_string(&j, s->class_names[p.predicted]);
    else
        ss_json_null(&j);
    ss_json_key(&j, "counts");
    ss_json_array_begin(&j);
    for (size_t k = 0; k < s->n_classes; k++)
        ss_json_int(&j, p.counts[k]);
    ss_json_array_end(&j);
    ss_json_key(&j, "first_spike_ms");
    ss_json_double_array(&j, p.first_spike_ms, s->n_classes);
    ss_json_key(&j, "trained_samples");
    ss_json_int(&j, (long long)trained);
    ss_json_object_end(&j);
    fclose(f);
    job->status = buf ? 200 : 500;
    job->body = buf;
}

void *ss_server_classify_main(void *arg)
{
    ss_server *s = arg;
    ss_classifier *copy = NULL;
    uint64_t have_gen = 0, trained = 0;
    int broken = 0; /* the copy could not be built: answer 500 */
    char broken_msg[SS_ERROR_MSG_MAX + 64] = "";
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stopping && !s->jobs_head)
            pthread_cond_wait(&s->cond, &s->mu);
        if (s->stopping)
            break;
        /* While training runs, ask the trainer for its state between two
         * samples and wait for it; once nothing trains, the newest is it. */
        if (!s->frozen) {
            uint64_t gen = s->snap_gen;
            s->want_snapshot = 1;
            while (!s->stopping && !s->frozen && s->snap_gen == gen)
                pthread_cond_wait(&s->cond, &s->mu);
            if (s->stopping)
                break;
        }
        ss_checkpoint *ck = NULL;
        if (s->snap && s->snap_gen != have_gen) {
            ck = s->snap;
            s->snap = NULL;
            have_gen = s->snap_gen;
            trained = s->snap_trained;
        }
        ss_classify_job *jobs = s->jobs_head;
        s->jobs_head = s->jobs_tail = NULL;
        s->n_jobs = 0;
        size_t n_features = s->n_features;
        pthread_mutex_unlock(&s->mu);

        if (ck && !copy && !broken) {
            ss_error err;
            copy = ss_classifier_alloc(s->cfg, n_features, s->n_classes, s->seed, &err);
            if (!copy) {
                broken = 1;
                snprintf(broken_msg, sizeof broken_msg, "cannot build the network: %s", err.msg);
            }
        }
        if (ck && copy) {
            ss_error err;
            if (ss_classifier_restore(copy, ck, &err) != SS_OK) {
                broken = 1;
                snprintf(broken_msg, sizeof broken_msg, "cannot copy the network: %s", err.msg);
            }
        }
        ss_checkpoint_free(ck);
        ss_classify_job *last = NULL;
        for (ss_classify_job *j = jobs; j; j = j->next) {
            if (broken) {
                j->status = 500;
                j->body = json_error(broken_msg);
            } else if (!copy) {
                j->status = 503;
                j->body = json_error("no network yet: the run has not built one");
            } else {
                classify(s, copy, j, trained);
            }
            last = j;
        }
        pthread_mutex_lock(&s->mu);
        if (last) {
            if (s->done_tail)
                s->done_tail->next = jobs;
            else
                s->done_head = jobs;
            s->done_tail = last;
        }
        event_active(s->wakeup, EV_READ, 0);
    }
    pthread_mutex_unlock(&s->mu);
    ss_classifier_free(copy);
    return NULL;
}
