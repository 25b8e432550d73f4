/* Checkpoint files: exact round trip, shape checks, and every way a file can
 * be damaged (truncated at each length, a flipped byte, wrong magic). */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spiksim/checkpoint.h>

static const float w[5] = {0.125f, -3.5f, 1e-7f, 0.0f, 42.0f};
static const double theta[3] = {3.141592653589793, -1e300, 5e-324};

static const char *write_sample(const char *name)
{
    ss_checkpoint *ck = ss_checkpoint_alloc();
    CU_ASSERT_EQUAL(ss_checkpoint_add_f32(ck, "projection.a.weights", w, 5, NULL), 0);
    CU_ASSERT_EQUAL(ss_checkpoint_add_f64(ck, "layer.h.theta", theta, 3, NULL), 0);
    CU_ASSERT_NOT_EQUAL(ss_checkpoint_add_f32(ck, "layer.h.theta", w, 1, NULL), 0);
    static char path[4400];
    snprintf(path, sizeof path, "%s", ss_test_tmp(name));
    ss_error err;
    CU_ASSERT_EQUAL(ss_checkpoint_write(ck, path, &err), 0);
    ss_checkpoint_free(ck);
    return path;
}

static void test_round_trip(void)
{
    const char *path = write_sample("ck.bin");
    ss_error err;
    ss_checkpoint *ck = ss_checkpoint_read(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
    CU_ASSERT_EQUAL(ss_checkpoint_count(ck), 2);
    CU_ASSERT_STRING_EQUAL(ss_checkpoint_name(ck, 1), "layer.h.theta");
    float wr[5];
    double tr[3];
    CU_ASSERT_EQUAL(ss_checkpoint_get_f32(ck, "projection.a.weights", wr, 5, &err), 0);
    CU_ASSERT_EQUAL(memcmp(wr, w, sizeof w), 0);
    CU_ASSERT_EQUAL(ss_checkpoint_get_f64(ck, "layer.h.theta", tr, 3, &err), 0);
    CU_ASSERT_EQUAL(memcmp(tr, theta, sizeof theta), 0);
    /* Another shape is refused with a message naming the array. */
    float small[4];
    CU_ASSERT_EQUAL(ss_checkpoint_get_f32(ck, "projection.a.weights", small, 4, &err), SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "holds 5 values, the model needs 4"));
    CU_ASSERT_EQUAL(ss_checkpoint_get_f32(ck, "projection.b.weights", small, 4, &err), SS_EDATA);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no 'projection.b.weights'"));
    ss_checkpoint_free(ck);
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    fwrite(b, 1, n, fp);
    fclose(fp);
}

static void test_damage(void)
{
    const char *good = write_sample("ck-good.bin");
    size_t n;
    unsigned char *buf = (unsigned char *)ss_test_read(good, &n);
    char bad[4400];
    snprintf(bad, sizeof bad, "%s", ss_test_tmp("ck-bad.bin"));
    ss_error err;
    for (size_t len = 0; len < n; len++) {
        write_bytes(bad, buf, len);
        ss_checkpoint *ck = ss_checkpoint_read(bad, &err);
        CU_ASSERT_PTR_NULL(ck);
        CU_ASSERT_EQUAL(err.code, SS_EDATA);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ck-bad.bin"));
        ss_checkpoint_free(ck);
    }
    for (size_t at = 8; at < n; at += 7) {
        buf[at] ^= 0x10;
        write_bytes(bad, buf, n);
        buf[at] ^= 0x10;
        ss_checkpoint *ck = ss_checkpoint_read(bad, &err);
        CU_ASSERT_PTR_NULL(ck);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "checksum mismatch"));
        ss_checkpoint_free(ck);
    }
    buf[0] = 'X';
    write_bytes(bad, buf, n);
    CU_ASSERT_PTR_NULL(ss_checkpoint_read(bad, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a spiksim checkpoint"));
    CU_ASSERT_PTR_NULL(ss_checkpoint_read(ss_test_tmp("no-such-ck.bin"), &err));
    CU_ASSERT_EQUAL(err.code, SS_EDATA);
    free(buf);
}

static void test_atomic(void)
{
    ss_checkpoint *ck = ss_checkpoint_alloc();
    ss_checkpoint_add_f32(ck, "w", w, 5, NULL);
    ss_error err;
    /* A missing directory fails before anything is written. */
    CU_ASSERT_EQUAL(ss_checkpoint_write(ck, ss_test_tmp("no-dir/ck.bin"), &err), SS_EIO);
    ss_checkpoint_free(ck);
    write_sample("ck-atomic.bin");
    /* No temporary file is left beside the checkpoint. */
    char dir[4400];
    snprintf(dir, sizeof dir, "%s", ss_test_tmp(""));
    DIR *d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    struct dirent *e;
    while ((e = readdir(d)))
        CU_ASSERT_PTR_NULL(strstr(e->d_name, ".ck-atomic.bin."));
    closedir(d);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"round trip and shape checks", test_round_trip},
        {"truncated, corrupt, foreign files", test_damage},
        {"atomic write", test_atomic},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("checkpoint", cases);
    return ss_test_main();
}
