/* Strict model-file loader: inih for the syntax, the key table
 * (config_keys.c) for everything else.
 *
 * inih's handler does not know line numbers in the Debian build
 * (INI_HANDLER_LINENO is 0), so we feed it through our own line reader that
 * counts lines, strips leading blanks (so an indented key is never taken as a
 * multi-line continuation) and sees section headers itself (inih does not
 * report an empty section, and we must reject unknown ones).
 */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/config.h>

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef SS_PKGDATADIR
#define SS_PKGDATADIR "/usr/local/share/spiksim"
#endif

typedef struct entry {
    const ss_key_spec *spec;
    char *raw;     /* value text; NULL until given or defaulted */
    long line;     /* line in the file; 0 when defaulted or from --set */
    char *set_arg; /* the --set argument that gave it, if any */
    int given;
    long ival;
    double dval;
    double *list;
    size_t n_list;
} entry;

typedef struct section {
    char *full;                  /* "layer.hidden1" or "data" */
    const char *name;            /* "hidden1" (into full), or full */
    const ss_section_spec *spec; /* its kind */
    long line;                   /* header line; 0 when absent or created by --set */
    int present;                 /* in the file or created by --set */
    entry *entries;              /* one per key of its kind, table order */
    size_t n_entries;
} section;

struct ss_config {
    char *file;
    char *dir;
    section *secs;
    size_t n_secs, cap_secs;

    /* Parse state. */
    FILE *fp;
    long line;
    section *cur;
    ss_error *err;
    int failed;
};

/* ---- small helpers ---------------------------------------------------- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Edit distance, for "did you mean" suggestions. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

/* Closest candidate within a small distance, or NULL. */
static const char *closest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = strlen(word) / 3 + 2;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best;
}

static const ss_section_spec *find_kind(const char *kind, size_t len)
{
    size_t n;
    const ss_section_spec *s = ss_config_sections(&n);
    for (size_t i = 0; i < n; i++)
        if (strlen(s[i].name) == len && strncmp(s[i].name, kind, len) == 0)
            return &s[i];
    return NULL;
}

static section *find_section(const ss_config *cfg, const char *full)
{
    for (size_t i = 0; i < cfg->n_secs; i++)
        if (strcmp(cfg->secs[i].full, full) == 0)
            return &cfg->secs[i];
    return NULL;
}

static entry *find_entry(section *sec, const char *key)
{
    for (size_t i = 0; i < sec->n_entries; i++)
        if (strcmp(sec->entries[i].spec->key, key) == 0)
            return &sec->entries[i];
    return NULL;
}

/* Adds a section of the given kind; NULL when out of memory. */
static section *add_section(ss_config *cfg, const ss_section_spec *kind, const char *full)
{
    if (cfg->n_secs == cfg->cap_secs) {
        size_t cap = cfg->cap_secs ? 2 * cfg->cap_secs : 16;
        section *s = realloc(cfg->secs, cap * sizeof *s);
        if (!s)
            return NULL;
        cfg->secs = s;
        cfg->cap_secs = cap;
    }
    section *sec = &cfg->secs[cfg->n_secs];
    memset(sec, 0, sizeof *sec);
    sec->spec = kind;
    sec->full = strdup(full);
    if (!sec->full)
        return NULL;
    sec->name = kind->named ? sec->full + strlen(kind->name) + 1 : sec->full;
    size_t n_keys;
    const ss_key_spec *keys = ss_config_keys(&n_keys);
    for (size_t i = 0; i < n_keys; i++)
        if (strcmp(keys[i].section, kind->name) == 0)
            sec->n_entries++;
    sec->entries = calloc(sec->n_entries ? sec->n_entries : 1, sizeof *sec->entries);
    if (!sec->entries) {
        free(sec->full);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_keys; i++)
        if (strcmp(keys[i].section, kind->name) == 0)
            sec->entries[k++].spec = &keys[i];
    cfg->n_secs++;
    return sec;
}

/* ---- error reporting -------------------------------------------------- */

/* Error at the current parse position (file:line) or for a --set argument. */
static int fail(ss_config *cfg, const char *set_arg, long line, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(ss_config *cfg, const char *set_arg, long line, int code, const char *fmt, ...)
{
    if (cfg->failed)
        return code; /* keep the first error: later ones are often its echo */
    cfg->failed = 1;
    /* The prefix is as long as the user made it (a --set value, a path):
     * allocated, and the message formatted in full by ss_error_vset. */
    const char *what = set_arg ? set_arg : cfg->file;
    size_t n = strlen(what) + 32;
    char *prefix = malloc(n);
    if (prefix) {
        if (set_arg)
            snprintf(prefix, n, "--set %s: ", set_arg);
        else if (line > 0)
            snprintf(prefix, n, "%s:%ld: ", cfg->file, line);
        else
            snprintf(prefix, n, "%s: ", cfg->file);
    }
    va_list ap;
    va_start(ap, fmt);
    ss_error_vset(cfg->err, code, prefix ? prefix : "", fmt, ap);
    va_end(ap);
    free(prefix);
    return code;
}

/* ---- values ----------------------------------------------------------- */

static int parse_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *trim(end) != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *text, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(text, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int enum_has(const char *choices, const char *value)
{
    size_t len = strlen(value);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, value, n) == 0)
            return 1;
        p += n + (bar ? 1 : 0);
    }
    return 0;
}

/* Prints a range "[min, max]" with %g. */
static void range_text(const ss_key_spec *k, char *buf, size_t n)
{
    snprintf(buf, n, "[%.10g, %.10g]", k->min, k->max);
}

/* Parses text into e according to its spec.  Returns 0, or fails with a
 * message naming section and key. */
static int assign(ss_config *cfg, section *sec, entry *e, const char *text, long line,
                  const char *set_arg)
{
    const ss_key_spec *k = e->spec;
    char rng[96];
    range_text(k, rng, sizeof rng);
    double v = 0;
    double *list = NULL;
    size_t n_list = 0;
    switch (k->type) {
    case SS_KEY_INT:
        if (parse_number(text, &v) != 0 || v != floor(v))
            return fail(cfg, set_arg, line, SS_ECONFIG, "[%s] %s: '%s' is not a whole number",
                        sec->full, k->key, text);
        break;
    case SS_KEY_DOUBLE:
        if (parse_number(text, &v) != 0)
            return fail(cfg, set_arg, line, SS_ECONFIG, "[%s] %s: '%s' is not a number", sec->full,
                        k->key, text);
        break;
    case SS_KEY_BOOL: {
        int b;
        if (parse_bool(text, &b) != 0)
            return fail(cfg, set_arg, line, SS_ECONFIG,
                        "[%s] %s: '%s' is not a boolean (true/false, yes/no, on/off, 1/0)",
                        sec->full, k->key, text);
        v = b;
        break;
    }
    case SS_KEY_ENUM:
        if (!enum_has(k->choices, text))
            return fail(cfg, set_arg, line, SS_ECONFIG, "[%s] %s: '%s' is not one of %s", sec->full,
                        k->key, text, k->choices);
        break;
    case SS_KEY_STRING:
    case SS_KEY_PATH:
        break;
    case SS_KEY_LIST: {
        char *copy = strdup(text);
        list = malloc((strlen(text) / 2 + 1) * sizeof *list);
        if (!copy || !list) {
            free(copy);
            free(list);
            return fail(cfg, set_arg, line, SS_ENOMEM, "out of memory");
        }
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *item = trim(tok);
            double x;
            if (parse_number(item, &x) != 0 || x < k->min || x > k->max) {
                int code = fail(cfg, set_arg, line, SS_ECONFIG,
                                "[%s] %s: list item '%s' is not a number in %s", sec->full, k->key,
                                item, rng);
                free(copy);
                free(list);
                return code;
            }
            list[n_list++] = x;
        }
        free(copy);
        if (n_list == 0) {
            free(list);
            return fail(cfg, set_arg, line, SS_ECONFIG,
                        "[%s] %s: expected a comma-separated list of numbers", sec->full, k->key);
        }
        break;
    }
    }
    if ((k->type == SS_KEY_INT || k->type == SS_KEY_DOUBLE) && (v < k->min || v > k->max))
        return fail(cfg, set_arg, line, SS_ECONFIG, "[%s] %s: %s is out of range %s", sec->full,
                    k->key, text, rng);

    char *raw = strdup(text);
    char *set_copy = set_arg ? strdup(set_arg) : NULL;
    if (!raw || (set_arg && !set_copy)) {
        free(raw);
        free(list);
        return fail(cfg, set_arg, line, SS_ENOMEM, "out of memory");
    }
    free(e->raw);
    free(e->list);
    free(e->set_arg);
    e->raw = raw;
    e->set_arg = set_copy;
    e->line = line;
    e->ival = (long)v;
    e->dval = v;
    e->list = list;
    e->n_list = n_list;
    return SS_OK;
}

/* Assigns key = value in sec, rejecting unknown keys with a suggestion. */
static int assign_key(ss_config *cfg, section *sec, const char *key, const char *value, long line,
                      const char *set_arg)
{
    entry *e = find_entry(sec, key);
    if (!e) {
        const char *cands[128];
        size_t n = sec->n_entries < 128 ? sec->n_entries : 128;
        for (size_t i = 0; i < n; i++)
            cands[i] = sec->entries[i].spec->key;
        const char *hint = closest(key, cands, n);
        if (hint)
            return fail(cfg, set_arg, line, SS_ECONFIG,
                        "unknown key '%s' in [%s] (did you mean '%s'?)", key, sec->full, hint);
        return fail(cfg, set_arg, line, SS_ECONFIG,
                    "unknown key '%s' in [%s] (see spiksim --help-model)", key, sec->full);
    }
    if (e->given && !set_arg)
        return fail(cfg, NULL, line, SS_ECONFIG, "duplicate key '%s' in [%s] (first at line %ld)",
                    key, sec->full, e->line);
    int rc = assign(cfg, sec, e, value, line, set_arg);
    if (rc == SS_OK)
        e->given = 1;
    return rc;
}

/* Validates a section name ("layer.hidden1") and returns its kind, or fails. */
static const ss_section_spec *check_section_name(ss_config *cfg, const char *full, long line,
                                                 const char *set_arg)
{
    const char *dot = strchr(full, '.');
    size_t kind_len = dot ? (size_t)(dot - full) : strlen(full);
    const ss_section_spec *kind = find_kind(full, kind_len);
    if (!kind) {
        size_t n;
        const ss_section_spec *specs = ss_config_sections(&n);
        const char *cands[32];
        for (size_t i = 0; i < n && i < 32; i++)
            cands[i] = specs[i].name;
        char *word = strndup(full, kind_len);
        const char *hint = word ? closest(word, cands, n < 32 ? n : 32) : NULL;
        free(word);
        const ss_section_spec *hk = hint ? find_kind(hint, strlen(hint)) : NULL;
        if (hk)
            fail(cfg, set_arg, line, SS_ECONFIG, "unknown section [%s] (did you mean [%s%s]?)",
                 full, hk->name, hk->named ? (dot ? dot : ".NAME") : "");
        else
            fail(cfg, set_arg, line, SS_ECONFIG, "unknown section [%s] (see spiksim --help-model)",
                 full);
        return NULL;
    }
    if (kind->named) {
        const char *name = dot ? dot + 1 : "";
        int ok = *name != '\0';
        for (const char *p = name; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
                ok = 0;
        if (!ok) {
            fail(cfg, set_arg, line, SS_ECONFIG,
                 "section [%s] needs a name of letters, digits, '_' or '-': [%s.NAME]", full,
                 kind->name);
            return NULL;
        }
    } else if (dot) {
        fail(cfg, set_arg, line, SS_ECONFIG, "section [%s] takes no name: write [%s]", full,
             kind->name);
        return NULL;
    }
    return kind;
}

/* ---- the inih glue ---------------------------------------------------- */

static void open_section(ss_config *cfg, char *text)
{
    char *close = strchr(text, ']');
    if (!close) {
        fail(cfg, NULL, cfg->line, SS_ECONFIG, "expected ']' to close the section header");
        return;
    }
    *close = '\0';
    char *full = trim(text + 1);
    const ss_section_spec *kind = check_section_name(cfg, full, cfg->line, NULL);
    if (!kind)
        return;
    section *sec = find_section(cfg, full);
    if (sec) {
        fail(cfg, NULL, cfg->line, SS_ECONFIG, "duplicate section [%s] (first at line %ld)", full,
             sec->line);
        return;
    }
    sec = add_section(cfg, kind, full);
    if (!sec) {
        fail(cfg, NULL, cfg->line, SS_ENOMEM, "out of memory");
        return;
    }
    sec->line = cfg->line;
    sec->present = 1;
    cfg->cur = sec;
}

/* inih's line source: counts lines, strips leading blanks, sees headers. */
static char *read_line(char *str, int num, void *stream)
{
    ss_config *cfg = stream;
    if (!fgets(str, num, cfg->fp))
        return NULL;
    cfg->line++;
    size_t len = strlen(str);
    if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(cfg->fp)) {
        fail(cfg, NULL, cfg->line, SS_ECONFIG, "line longer than %d characters", num - 2);
        int c;
        while ((c = fgetc(cfg->fp)) != EOF && c != '\n')
            ;
        str[0] = '\n';
        str[1] = '\0';
        return str;
    }
    size_t skip = 0;
    /* A UTF-8 byte-order mark (editors on some systems write one) is not
     * part of the first line. */
    if (cfg->line == 1 && len >= 3 && memcmp(str, "\xEF\xBB\xBF", 3) == 0)
        skip = 3;
    while (str[skip] == ' ' || str[skip] == '\t')
        skip++;
    memmove(str, str + skip, len - skip + 1);
    if (str[0] == '[') {
        char *copy = strdup(str);
        cfg->cur = NULL;
        if (copy)
            open_section(cfg, copy);
        else
            fail(cfg, NULL, cfg->line, SS_ENOMEM, "out of memory");
        free(copy);
    }
    return str;
}

static int on_key(void *user, const char *section_name, const char *key, const char *value)
{
    ss_config *cfg = user;
    (void)section_name; /* read_line has already opened (or rejected) it */
    if (cfg->failed)
        return 1;
    if (!cfg->cur) {
        fail(cfg, NULL, cfg->line, SS_ECONFIG, "key '%s' outside any section", key);
        return 1;
    }
    char *copy = strdup(value);
    if (copy)
        assign_key(cfg, cfg->cur, key, trim(copy), cfg->line, NULL);
    else
        fail(cfg, NULL, cfg->line, SS_ENOMEM, "out of memory");
    free(copy);
    return 1;
}

/* ---- loading ---------------------------------------------------------- */

int ss_config_set(ss_config *cfg, const char *assignment, ss_error *err)
{
    cfg->err = err;
    cfg->failed = 0;
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return fail(cfg, assignment, 0, SS_EUSAGE, "expected SECTION.KEY=VALUE");
    /* Copies as long as the argument: a value is never cut short. */
    char *lhs = strndup(assignment, (size_t)(eq - assignment));
    char *value = strdup(eq + 1);
    int rc;
    if (!lhs || !value) {
        rc = fail(cfg, assignment, 0, SS_ENOMEM, "out of memory");
        goto done;
    }
    char *left = trim(lhs);
    char *dot = strrchr(left, '.');
    if (!dot || dot == left || dot[1] == '\0') {
        rc = fail(cfg, assignment, 0, SS_EUSAGE,
                  "expected SECTION.KEY=VALUE (the last dot separates the key)");
        goto done;
    }
    *dot = '\0';
    const char *full = left, *key = dot + 1;
    const ss_section_spec *kind = check_section_name(cfg, full, 0, assignment);
    if (!kind) {
        rc = SS_ECONFIG;
        goto done;
    }
    section *sec = find_section(cfg, full);
    if (!sec && !(sec = add_section(cfg, kind, full))) {
        rc = fail(cfg, assignment, 0, SS_ENOMEM, "out of memory");
        goto done;
    }
    if (!sec->present && kind->named) {
        /* A named section must exist in the file: a --set cannot invent a layer. */
        rc = fail(cfg, assignment, 0, SS_ECONFIG, "no section [%s] in %s", full, cfg->file);
        goto done;
    }
    sec->present = 1;
    rc = assign_key(cfg, sec, key, trim(value), 0, assignment);
done:
    free(lhs);
    free(value);
    return rc;
}

/* Fills defaults and checks required keys once everything is read. */
static int finish(ss_config *cfg)
{
    size_t n;
    const ss_section_spec *kinds = ss_config_sections(&n);
    for (size_t i = 0; i < n; i++)
        if (!kinds[i].named && !find_section(cfg, kinds[i].name) &&
            !add_section(cfg, &kinds[i], kinds[i].name))
            return fail(cfg, NULL, 0, SS_ENOMEM, "out of memory");
    for (size_t s = 0; s < cfg->n_secs; s++) {
        section *sec = &cfg->secs[s];
        for (size_t k = 0; k < sec->n_entries; k++) {
            entry *e = &sec->entries[k];
            if (e->given)
                continue;
            if (!e->spec->default_value) {
                if (sec->present)
                    return fail(cfg, NULL, sec->line, SS_ECONFIG, "[%s] missing required key '%s'",
                                sec->full, e->spec->key);
                continue; /* absent single section: required keys stay unset */
            }
            int rc = assign(cfg, sec, e, e->spec->default_value, 0, NULL);
            if (rc != SS_OK)
                return rc;
        }
    }
    return SS_OK;
}

ss_config *ss_config_load(const char *path, const char *const *sets, size_t n_sets, ss_error *err)
{
    ss_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    cfg->err = err;
    cfg->file = strdup(path);
    const char *slash = strrchr(path, '/');
    cfg->dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!cfg->file || !cfg->dir) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        ss_config_free(cfg);
        return NULL;
    }
    cfg->fp = fopen(path, "r");
    if (!cfg->fp) {
        ss_error_set(err, SS_ECONFIG, "%s: cannot open model file: %s", path, strerror(errno));
        ss_config_free(cfg);
        return NULL;
    }
    int bad_line = ini_parse_stream(read_line, cfg, on_key, cfg);
    if (!cfg->failed && ferror(cfg->fp))
        fail(cfg, NULL, 0, SS_ECONFIG, "read error: %s", strerror(errno));
    if (!cfg->failed && bad_line > 0)
        fail(cfg, NULL, bad_line, SS_ECONFIG, "expected 'key = value' or '[section]'");
    fclose(cfg->fp);
    cfg->fp = NULL;
    cfg->cur = NULL;
    for (size_t i = 0; i < n_sets && !cfg->failed; i++)
        ss_config_set(cfg, sets[i], err);
    if (!cfg->failed)
        finish(cfg);
    if (cfg->failed) {
        ss_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void ss_config_free(ss_config *cfg)
{
    if (!cfg)
        return;
    for (size_t s = 0; s < cfg->n_secs; s++) {
        for (size_t k = 0; k < cfg->secs[s].n_entries; k++) {
            free(cfg->secs[s].entries[k].raw);
            free(cfg->secs[s].entries[k].list);
            free(cfg->secs[s].entries[k].set_arg);
        }
        free(cfg->secs[s].entries);
        free(cfg->secs[s].full);
    }
    free(cfg->secs);
    if (cfg->fp)
        fclose(cfg->fp);
    free(cfg->file);
    free(cfg->dir);
    free(cfg);
}

/* ---- getters ---------------------------------------------------------- */

const char *ss_config_file(const ss_config *cfg)
{
    return cfg->file;
}

const char *ss_config_dir(const ss_config *cfg)
{
    return cfg->dir;
}

size_t ss_config_count(const ss_config *cfg, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_secs; i++)
        if (cfg->secs[i].present && strcmp(cfg->secs[i].spec->name, kind) == 0)
            n++;
    return n;
}

const char *ss_config_name(const ss_config *cfg, const char *kind, size_t index)
{
    for (size_t i = 0; i < cfg->n_secs; i++)
        if (cfg->secs[i].present && strcmp(cfg->secs[i].spec->name, kind) == 0 && index-- == 0)
            return cfg->secs[i].name;
    return NULL;
}

int ss_config_has_section(const ss_config *cfg, const char *full)
{
    const section *sec = find_section(cfg, full);
    return sec && sec->present;
}

/* The entry of a table key; a key or section outside the table is a bug in
 * the caller, not bad input, so it aborts with a message. */
static const entry *lookup(const ss_config *cfg, const char *full, const char *key,
                           ss_key_type type)
{
    section *sec = find_section(cfg, full);
    entry *e = sec ? find_entry(sec, key) : NULL;
    if (!e || (type != (ss_key_type)-1 && e->spec->type != type)) {
        fprintf(stderr, "spiksim: internal error: no %s key '%s' in section [%s]\n",
                type == (ss_key_type)-1 ? "such" : ss_key_type_name(type), key, full);
        abort();
    }
    return e;
}

long ss_config_int(const ss_config *cfg, const char *section, const char *key)
{
    return lookup(cfg, section, key, SS_KEY_INT)->ival;
}

double ss_config_double(const ss_config *cfg, const char *section, const char *key)
{
    return lookup(cfg, section, key, SS_KEY_DOUBLE)->dval;
}

int ss_config_bool(const ss_config *cfg, const char *section, const char *key)
{
    return lookup(cfg, section, key, SS_KEY_BOOL)->ival != 0;
}

const char *ss_config_string(const ss_config *cfg, const char *section, const char *key)
{
    const entry *e = lookup(cfg, section, key, (ss_key_type)-1);
    return e->raw ? e->raw : "";
}

size_t ss_config_list(const ss_config *cfg, const char *section, const char *key,
                      const double **values)
{
    const entry *e = lookup(cfg, section, key, SS_KEY_LIST);
    *values = e->list;
    return e->n_list;
}

int ss_config_is_set(const ss_config *cfg, const char *section, const char *key)
{
    return lookup(cfg, section, key, (ss_key_type)-1)->given;
}

long ss_config_line(const ss_config *cfg, const char *section, const char *key)
{
    return lookup(cfg, section, key, (ss_key_type)-1)->line;
}

int ss_config_error(const ss_config *cfg, ss_error *err, const char *sec_name, const char *key,
                    const char *fmt, ...)
{
    const entry *e = lookup(cfg, sec_name, key, (ss_key_type)-1);
    const section *sec = find_section(cfg, sec_name);
    long line = e->line ? e->line : sec->line;
    size_t n = strlen(e->set_arg ? e->set_arg : cfg->file) + strlen(sec_name) + strlen(key) + 48;
    char *prefix = malloc(n);
    if (prefix) {
        if (e->set_arg)
            snprintf(prefix, n, "--set %s: ", e->set_arg);
        else if (line > 0)
            snprintf(prefix, n, "%s:%ld: [%s] %s: ", cfg->file, line, sec_name, key);
        else
            snprintf(prefix, n, "%s: [%s] %s: ", cfg->file, sec_name, key);
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = ss_error_vset(err, SS_ECONFIG, prefix ? prefix : "", fmt, ap);
    va_end(ap);
    free(prefix);
    return rc;
}

char *ss_config_path(const ss_config *cfg, const char *section, const char *key, ss_error *err)
{
    const char *value = lookup(cfg, section, key, SS_KEY_PATH)->raw;
    if (!value || !*value)
        return NULL;
    const char *bases[2] = {cfg->dir, SS_PKGDATADIR};
    for (int i = 0; i < (value[0] == '/' ? 1 : 2); i++) {
        size_t n = strlen(bases[i]) + strlen(value) + 2;
        char *path = malloc(n);
        if (!path) {
            ss_error_set(err, SS_ENOMEM, "out of memory");
            return NULL;
        }
        if (value[0] == '/')
            snprintf(path, n, "%s", value);
        else
            snprintf(path, n, "%s/%s", bases[i], value);
        if (access(path, F_OK) == 0)
            return path;
        free(path);
    }
    if (value[0] == '/')
        ss_config_error(cfg, err, section, key, "file '%s' not found", value);
    else
        ss_config_error(cfg, err, section, key, "file '%s' not found in %s nor in %s", value,
                        cfg->dir, SS_PKGDATADIR);
    return NULL;
}
