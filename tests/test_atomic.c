/* Output files (atomic.h): what each kind of path means, what a failed
 * write says, what an aborted write leaves. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spiksim/atomic.h>

static int write_text(const char *path, const char *text, ss_error *err)
{
    ss_atomic_file *af = ss_atomic_file_open(path, err);
    if (!af)
        return err->code;
    fputs(text, ss_atomic_file_stream(af));
    return ss_atomic_file_commit(af, err);
}

static void test_regular_and_symlink(void)
{
    ss_error err;
    char target[4200], link[4200];
    snprintf(target, sizeof target, "%s", ss_test_tmp("atomic-target.txt"));
    snprintf(link, sizeof link, "%s", ss_test_tmp("atomic-link.txt"));
    unlink(link);
    CU_ASSERT_EQUAL(write_text(target, "one\n", &err), SS_OK);
    CU_ASSERT_EQUAL(symlink("atomic-target.txt", link), 0);
    CU_ASSERT_EQUAL(write_text(link, "two\n", &err), SS_OK);
    struct stat st;
    CU_ASSERT_EQUAL(lstat(link, &st), 0);
    CU_ASSERT_TRUE(S_ISLNK(st.st_mode));
    char *text = ss_test_read(target, NULL);
    CU_ASSERT_STRING_EQUAL(text, "two\n");
    free(text);
}

/* Bytes still in stdio's buffer when a write is aborted never reach a
 * direct target (here a pipe, as /dev/fd/N). */
static void test_abort_direct(void)
{
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
    ss_error err;
    ss_atomic_file *af = ss_atomic_file_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(af);
    fputs("half", ss_atomic_file_stream(af));
    ss_atomic_file_abort(af);
    close(p[1]);
    char buf[8];
    CU_ASSERT_EQUAL(read(p[0], buf, sizeof buf), 0);
    /* A committed one arrives whole, and the descriptor stays open. */
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
    CU_ASSERT_EQUAL(write_text(path, "whole", &err), SS_OK);
    CU_ASSERT_EQUAL(write(p[1], "!", 1), 1);
    close(p[1]);
    CU_ASSERT_EQUAL(read(p[0], buf, sizeof buf), 6);
    CU_ASSERT_EQUAL(memcmp(buf, "whole!", 6), 0);
    close(p[0]);
}

static void test_full_device(void)
{
    ss_error err;
    /* More than stdio buffers, so that the write happens before commit. */
    ss_atomic_file *af = ss_atomic_file_open("/dev/full", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(af);
    for (int i = 0; i < 100000; i++)
        fputs("0123456789", ss_atomic_file_stream(af));
    CU_ASSERT_EQUAL(ss_atomic_file_commit(af, &err), SS_EIO);
    CU_ASSERT_STRING_EQUAL(err.msg, "/dev/full: cannot write: No space left on device");
    af = ss_atomic_file_open("/dev/full", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(af);
    for (int i = 0; i < 100000 && !ferror(ss_atomic_file_stream(af)); i++)
        fputs("0123456789", ss_atomic_file_stream(af));
    CU_ASSERT_EQUAL(ss_atomic_file_fail(af, &err), SS_EIO);
    CU_ASSERT_STRING_EQUAL(err.msg, "/dev/full: cannot write: No space left on device");
}

static void expect_refused(const char *path, unsigned flags, const char *frag)
{
    ss_error err;
    ss_error_clear(&err);
    CU_ASSERT_EQUAL(ss_output_check(path, "--out", flags, &err), SS_EUSAGE);
    if (!strstr(err.msg, frag))
        fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", err.msg, frag);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, frag));
}

static void test_checks(void)
{
    ss_error err;
    char dir[4200], missing[4300];
    snprintf(dir, sizeof dir, "%s", ss_test_tmp(""));
    snprintf(missing, sizeof missing, "%snowhere/x.json", dir);
    expect_refused("", 0, "--out '': empty file name");
    expect_refused(dir, 0, "names a directory");
    dir[strlen(dir) - 1] = '\0'; /* without its trailing slash */
    expect_refused(dir, 0, "is a directory");
    expect_refused("/proc/x.json", 0, "under /proc");
    expect_refused("/sys/x.json", 0, "under /proc");
    expect_refused(missing, 0, "No such file or directory");
    expect_refused("-", 0, "standard output cannot take this output");
    CU_ASSERT_EQUAL(ss_output_check("-", "--out", SS_OUTPUT_STDOUT_OK, &err), SS_OK);
    CU_ASSERT_EQUAL(ss_output_check("/dev/null", "--out", 0, &err), SS_OK);
    CU_ASSERT_EQUAL(ss_output_check(ss_test_tmp("fresh.json"), "--out", 0, &err), SS_OK);
    CU_ASSERT_EQUAL(ss_output_dir_check(dir, "--dir", &err), SS_OK);
    CU_ASSERT_EQUAL(ss_output_dir_check("/proc", "--dir", &err), SS_EUSAGE);
    CU_ASSERT_EQUAL(ss_output_dir_check(missing, "--dir", &err), SS_EUSAGE);
    CU_ASSERT_TRUE(ss_output_is_stdout("-"));
    CU_ASSERT_TRUE(ss_output_is_stdout("/dev/stdout"));
    CU_ASSERT_TRUE(ss_output_is_stdout("/proc/self/fd/1"));
    CU_ASSERT_FALSE(ss_output_is_stdout("/dev/fd/12"));
    CU_ASSERT_FALSE(ss_output_is_stdout("out.json"));
    /* The check leaves nothing behind (its probe file is removed). */
    CU_ASSERT_EQUAL(access(ss_test_tmp("fresh.json"), F_OK), -1);
}

int main(void)
{
    static const ss_test_case cases[] = {
        {"regular file and symlink", test_regular_and_symlink},
        {"aborted and committed direct writes", test_abort_direct},
        {"a full device says so", test_full_device},
        {"checks before the run", test_checks},
        {NULL, NULL},
    };
    CU_initialize_registry();
    ss_test_add_suite("atomic", cases);
    return ss_test_main();
}
