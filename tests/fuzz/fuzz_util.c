/* Helpers for the fuzz harnesses, see fuzz.h. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The files made so far, removed at exit. */
static char made[8][4096];
static int n_made;

static void remove_files(void)
{
    for (int i = 0; i < n_made; i++)
        unlink(made[i]);
}

const char *ss_fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[4096];
    /* In memory when it can be: a disk makes every run wait for it. */
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/spiksim-fuzz-%ld-%s", dir, (long)getpid(), name);
    int known = 0;
    for (int i = 0; i < n_made; i++)
        known |= strcmp(made[i], path) == 0;
    if (!known && n_made < 8) {
        if (n_made == 0)
            atexit(remove_files);
        snprintf(made[n_made++], sizeof made[0], "%s", path);
    }
    FILE *fp = fopen(path, "wb");
    if (!fp || (size && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0) {
        perror(path);
        abort();
    }
    return path;
}

char *ss_fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
