/* Shared helpers for the CUnit test programs. */
#ifndef SS_TESTUTIL_H
#define SS_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>

/* Path of a file in the source tree ($SS_SRCDIR/rel), in a static buffer
 * that the next call reuses. */
const char *ss_test_src(const char *rel);
/* A fresh path below the build tree ($SS_BUILDDIR/tests/tmp/name), whose
 * directory exists.  distcheck makes the source tree read-only, so tests
 * write only here. */
const char *ss_test_tmp(const char *name);
/* Writes text to ss_test_tmp(name) and returns that path. */
const char *ss_test_write(const char *name, const char *text);

/* The whole file at path, NUL-terminated, in a new buffer (caller frees);
 * its length in *len when len is not NULL.  NULL when it cannot be read. */
char *ss_test_read(const char *path, size_t *len);

/* Runs the registered suites with CUnit's basic interface and returns the
 * process exit status: 0 when every test passed. */
int ss_test_main(void);

typedef struct {
    const char *name;
    void (*fn)(void);
} ss_test_case;

/* Registers a suite from a NULL-terminated table. */
void ss_test_add_suite(const char *name, const ss_test_case *cases);

#endif
