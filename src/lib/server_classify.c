/* /api/classify: the request body's parser and the classify thread, which
 * presents inputs to a copy of the network (plasticity off) so that it never
 * races the trainer.  See server.h. */
#define _POSIX_C_SOURCE 200809L
#include "server_internal.h"

#include "utf8.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the body: {"input": [x1, ..., xn]} ----
 *
 * Parsed by jansson: strict JSON (no NaN, Infinity, hex, comments), valid
 * UTF-8 only, duplicate keys refused, nesting bounded by its parser.  The
 * messages name what is wrong and where; anything they echo from the body
 * is cut (between characters) and made valid UTF-8. */

int ss_server_parse_input(const char *body, size_t len, double *x, size_t n, char *msg,
                          size_t msg_size)
{
    json_error_t e;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &e);
    if (!root) {
        char *why = ss__utf8_clean(e.text, strlen(e.text), 120);
        if (e.line > 0)
            snprintf(msg, msg_size, "malformed JSON at line %d, column %d: %s", e.line, e.column,
                     why ? why : "");
        else
            snprintf(msg, msg_size, "malformed JSON: %s", why ? why : "");
        free(why);
        return -1;
    }
    int rc = -1;
    json_t *input = json_is_object(root) ? json_object_get(root, "input") : NULL;
    const char *key;
    json_t *value;
    if (!json_is_object(root)) {
        snprintf(msg, msg_size, "expected an object {\"input\": [...]}");
        goto done;
    }
    json_object_foreach(root, key, value)
    {
        if (strcmp(key, "input") != 0) {
            char *k = ss__utf8_clean(key, strlen(key), 64);
            snprintf(msg, msg_size, "unknown key \"%s\" (the body is {\"input\": [...]})",
                     k ? k : "");
            free(k);
            goto done;
        }
    }
    if (!input) {
        snprintf(msg, msg_size, "missing \"input\"");
        goto done;
    }
    if (!json_is_array(input)) {
        snprintf(msg, msg_size, "\"input\" must be an array of %zu numbers", n);
        goto done;
    }
    size_t k = json_array_size(input);
    for (size_t i = 0; i < k; i++) {
        json_t *v = json_array_get(input, i);
        if (!json_is_number(v)) {
            snprintf(msg, msg_size, "input[%zu] is not a number", i);
            goto done;
        }
        double d = json_number_value(v);
        if (!(d >= 0 && d <= 1)) {
            snprintf(msg, msg_size, "input[%zu] = %g is outside [0, 1] (features are normalised)",
                     i, d);
            goto done;
        }
        if (i < n)
            x[i] = d;
    }
    if (k != n) {
        snprintf(msg, msg_size, "\"input\" has %zu values; the network takes %zu", k, n);
        goto done;
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* ---- answers ---- */

static char *json_error(int code, const char *msg)
{
    return ss_server_error_json(code, msg);
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
        job->body = json_error(500, err.msg);
        return;
    }
    json_t *o = json_object(), *counts = json_array(), *first = json_array();
    if (o && counts && first) {
        int known = p.predicted >= 0 && (size_t)p.predicted < s->n_classes;
        json_object_set_new(o, "class", p.predicted >= 0 ? json_integer(p.predicted) : json_null());
        char *name = known ? ss__utf8_clean(s->class_names[p.predicted],
                                            strlen(s->class_names[p.predicted]), (size_t)-1 / 4)
                           : NULL;
        json_object_set_new(o, "label_name", name ? json_string(name) : json_null());
        free(name);
        for (size_t k = 0; k < s->n_classes; k++) {
            json_array_append_new(counts, json_integer(p.counts[k]));
            json_array_append_new(first, isfinite(p.first_spike_ms[k])
                                             ? json_real(p.first_spike_ms[k])
                                             : json_null());
        }
        json_object_set_new(o, "counts", counts);
        json_object_set_new(o, "first_spike_ms", first);
        json_object_set_new(o, "trained_samples", json_integer((json_int_t)trained));
        counts = first = NULL;
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    json_decref(counts);
    json_decref(first);
    job->status = text ? 200 : 500;
    job->body = text;
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
                j->body = json_error(500, broken_msg);
            } else if (!copy) {
                j->status = 503;
                j->body = json_error(503, "no network yet: the run has not built one");
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
        ss_server_wake_locked(s);
    }
    pthread_mutex_unlock(&s->mu);
    ss_classifier_free(copy);
    return NULL;
}
