/* Shared helpers for the CUnit test programs, see testutil.h. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char src_buf[4096];
static char tmp_buf[4096 + 256];

const char *ss_test_src(const char *rel)
{
    const char *root = getenv("SS_SRCDIR");
    snprintf(src_buf, sizeof src_buf, "%s/%s", root ? root : ".", rel);
    return src_buf;
}

const char *ss_test_tmp(const char *name)
{
    const char *root = getenv("SS_BUILDDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests", root ? root : ".");
    mkdir(dir, 0777);
    snprintf(dir, sizeof dir, "%s/tests/tmp", root ? root : ".");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        perror(dir);
        exit(99);
    }
    snprintf(tmp_buf, sizeof tmp_buf, "%s/%s", dir, name);
    return tmp_buf;
}

const char *ss_test_write(const char *name, const char *text)
{
    const char *path = ss_test_tmp(name);
    FILE *fp = fopen(path, "w");
    if (!fp) {
        perror(path);
        exit(99);
    }
    fputs(text, fp);
    fclose(fp);
    return path;
}

char *ss_test_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, fp);
        if (n < cap - 1)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void ss_test_add_suite(const char *name, const ss_test_case *cases)
{
    CU_pSuite suite = CU_add_suite(name, NULL, NULL);
    if (!suite) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        exit(99);
    }
    for (const ss_test_case *c = cases; c->name; c++)
        if (!CU_add_test(suite, c->name, c->fn)) {
            fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
            exit(99);
        }
}

int ss_test_main(void)
{
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}
