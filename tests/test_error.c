/* Error messages: a message longer than the buffer keeps its start and its
 * end (the reason), with the middle marked as cut, never split mid-character. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <spiksim/error.h>

static void test_short_message_whole(void)
{
    ss_error err;
    CU_ASSERT_EQUAL(ss_error_set_at(&err, SS_EDATA, "f.csv", 3, "bad %s", "row"), SS_EDATA);
    CU_ASSERT_STRING_EQUAL(err.msg, "f.csv:3: bad row");
    CU_ASSERT_EQUAL(err.code, SS_EDATA);
}

static void test_long_message_keeps_reason(void)
{
    size_t n = 5000;
    char *value = malloc(n + 1);
    memset(value, 'x', n);
    value[n] = '\0';
    ss_error err;
    ss_error_set(&err, SS_ECONFIG, "--set a.b=%s: '%s' is not a number", value, value);
    size_t len = strlen(err.msg);
    CU_ASSERT(len < SS_ERROR_MSG_MAX);
    CU_ASSERT(len > SS_ERROR_MSG_MAX - 64); /* the buffer is used, not wasted */
    CU_ASSERT_EQUAL(strncmp(err.msg, "--set a.b=xxx", 13), 0);
    const char *tail = "xxx' is not a number";
    CU_ASSERT_STRING_EQUAL(err.msg + len - strlen(tail), tail);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, " bytes cut ...] "));
    free(value);
}

/* A long path in the FILE:LINE prefix does not push the reason out either. */
static void test_long_prefix(void)
{
    size_t n = 3000;
    char *path = malloc(n + 1);
    memset(path, 'd', n);
    path[n] = '\0';
    ss_error err;
    ss_error_set_at(&err, SS_EDATA, path, 12, "neuron %d out of range", 7);
    CU_ASSERT_EQUAL(strncmp(err.msg, "ddd", 3), 0);
    const char *tail = "d:12: neuron 7 out of range";
    size_t len = strlen(err.msg);
    CU_ASSERT_STRING_EQUAL(err.msg + len - strlen(tail), tail);
    free(path);
}

/* Cuts fall between UTF-8 characters: the result is valid UTF-8. */
static void test_cut_between_characters(void)
{
    size_t reps = 2000;
    char *text = malloc(3 * reps + 1);
    for (size_t i = 0; i < reps; i++)
        memcpy(text + 3 * i, "\xE2\x82\xAC", 3); /* EURO SIGN */
    text[3 * reps] = '\0';
    for (int shift = 0; shift < 3; shift++) {
        ss_error err;
        ss_error_set(&err, SS_EDATA, "%.*s%s: end", shift, "ab", text);
        const unsigned char *p = (const unsigned char *)err.msg;
        int ok = 1;
        while (*p && ok) {
            if (*p < 0x80) {
                p++;
            } else if (p[0] == 0xE2 && p[1] == 0x82 && p[2] == 0xAC) {
                p += 3;
            } else {
                ok = 0;
            }
        }
        CU_ASSERT_TRUE(ok);
        size_t len = strlen(err.msg);
        CU_ASSERT_STRING_EQUAL(err.msg + len - 5, ": end");
    }
    free(text);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"short message kept whole", test_short_message_whole},
        {"long message keeps its reason", test_long_message_keeps_reason},
        {"long FILE prefix", test_long_prefix},
        {"cuts between UTF-8 characters", test_cut_between_characters},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("error", cases);
    return ss_test_main();
}
