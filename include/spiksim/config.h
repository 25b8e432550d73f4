/* Model files: strict INI, validated against one table of every key.
 *
 * A model file has single sections ([simulation], [data], [encoding],
 * [plasticity], [train], [evaluate]) and named ones ([layer.NAME],
 * [projection.NAME]).  Every key a section may hold is listed once, in the
 * table returned by ss_config_keys(): its type, default, range and a one-line
 * doc.  The loader, `--set`, `spiksim --help-model` and the man page test all
 * read that table, so a key documented is a key accepted and vice versa.
 *
 * After ss_config_load() returns, every key of every section present has a
 * value (given or default) that has passed its type and range checks; the
 * typed getters cannot fail for a key in the table.  Asking for a key that is
 * not in the table is a programming error and aborts.
 */
#ifndef SPIKSIM_CONFIG_H
#define SPIKSIM_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <spiksim/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SS_KEY_INT,    /* whole number in [min, max] */
    SS_KEY_DOUBLE, /* finite real in [min, max] */
    SS_KEY_BOOL,   /* true/false, yes/no, on/off, 1/0 */
    SS_KEY_ENUM,   /* one of choices ("a|b|c") */
    SS_KEY_STRING, /* free text (names, comma lists of names) */
    SS_KEY_PATH,   /* file path, resolved by ss_config_path() */
    SS_KEY_LIST    /* comma-separated reals, each in [min, max] */
} ss_key_type;

typedef struct ss_section_spec {
    const char *name; /* "data", or "layer" for [layer.NAME] */
    int named;        /* 1: appears as [name.NAME], any number of times */
    const char *doc;
} ss_section_spec;

typedef struct ss_key_spec {
    const char *section; /* a ss_section_spec name */
    const char *key;     /* e.g. "tau_m_ms" */
    ss_key_type type;
    const char *default_value; /* as written in a file; NULL: required */
    double min, max;           /* numbers and list items, inclusive */
    const char *choices;       /* SS_KEY_ENUM: "a|b|c" */
    const char *doc;           /* one line */
} ss_key_spec;

/* The tables (static, NULL-free arrays). */
const ss_section_spec *ss_config_sections(size_t *n);
const ss_key_spec *ss_config_keys(size_t *n);
const char *ss_key_type_name(ss_key_type type);

typedef struct ss_config ss_config;

/* Loads and validates path, then applies each "SECTION.KEY=VALUE" of sets in
 * order (validated like a line of the file, errors prefixed "--set ...").
 * NULL on error, with err's message "FILE:LINE: ...". */
ss_config *ss_config_load(const char *path, const char *const *sets, size_t n_sets, ss_error *err);
void ss_config_free(ss_config *cfg);

/* Applies one more "SECTION.KEY=VALUE" override after loading (same checks). */
int ss_config_set(ss_config *cfg, const char *assignment, ss_error *err);

/* The model file path as given, and its directory. */
const char *ss_config_file(const ss_config *cfg);
const char *ss_config_dir(const ss_config *cfg);

/* Sections present.  kind is a ss_section_spec name; for named kinds the
 * i-th section's NAME (in file order) is returned, for single ones kind. */
size_t ss_config_count(const ss_config *cfg, const char *kind);
const char *ss_config_name(const ss_config *cfg, const char *kind, size_t i);
/* 1 when the section (full name, "layer.hidden1" or "data") is present. */
int ss_config_has_section(const ss_config *cfg, const char *section);

/* Typed values.  section is the full name ("layer.hidden1"); a single
 * section that is absent from the file reads as all defaults. */
long ss_config_int(const ss_config *cfg, const char *section, const char *key);
double ss_config_double(const ss_config *cfg, const char *section, const char *key);
int ss_config_bool(const ss_config *cfg, const char *section, const char *key);
/* Enum, string and path values as written (path not yet resolved). */
const char *ss_config_string(const ss_config *cfg, const char *section, const char *key);
/* List values; returns the count and points *values at them. */
size_t ss_config_list(const ss_config *cfg, const char *section, const char *key,
                      const double **values);
/* 1 when the key was given in the file or by --set (not defaulted). */
int ss_config_is_set(const ss_config *cfg, const char *section, const char *key);
/* Line of the key in the model file (0 when defaulted or set by --set), for
 * errors found after loading, e.g. a projection naming an unknown layer. */
long ss_config_line(const ss_config *cfg, const char *section, const char *key);

/* Reports a semantic error about a key found after loading, as
 * "FILE:LINE: [section] key: message" (or "--set section.key: ..."). */
int ss_config_error(const ss_config *cfg, ss_error *err, const char *section, const char *key,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Resolves a path value: absolute as is; relative against the model file's
 * directory, then against the installed data directory (SS_PKGDATADIR).
 * Returns a new string (caller frees), or NULL with err set when the file
 * exists in neither place. An empty value gives NULL with no error. */
char *ss_config_path(const ss_config *cfg, const char *section, const char *key, ss_error *err);

/* Writes the table as text for `spiksim --help-model`. */
void ss_config_print_help(FILE *out);
/* Writes the table as the roff key reference of man/spiksim.ini.5. */
void ss_config_print_man(FILE *out);

#ifdef __cplusplus
}
#endif
#endif
