/* Atomic output files (temp + fsync + rename), see atomic.h. */
#define _POSIX_C_SOURCE 200809L
#include <spiksim/atomic.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ss_atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;
};

/* Directory part of path, as a new string ("." when there is none). */
static char *dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *d = strdup(dirname(copy));
    free(copy);
    return d;
}

ss_atomic_file *ss_atomic_file_open(const char *path, ss_error *err)
{
    ss_atomic_file *af = calloc(1, sizeof *af);
    char *dir = dir_of(path);
    char *base_copy = strdup(path);
    if (!af || !dir || !base_copy)
        goto nomem;
    const char *base = basename(base_copy);
    size_t n = strlen(dir) + strlen(base) + 16;
    af->tmp_path = malloc(n);
    af->path = strdup(path);
    if (!af->tmp_path || !af->path)
        goto nomem;
    snprintf(af->tmp_path, n, "%s/.%s.XXXXXX", dir, base);
    int fd = mkstemp(af->tmp_path);
    if (fd < 0) {
        ss_error_set(err, SS_EIO, "%s: cannot create file: %s", path, strerror(errno));
        goto fail;
    }
    /* mkstemp creates 0600; output files are ordinary user files. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
        close(fd);
        unlink(af->tmp_path);
        ss_error_set(err, SS_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    free(dir);
    free(base_copy);
    return af;
nomem:
    ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
fail:
    free(dir);
    free(base_copy);
    if (af) {
        free(af->tmp_path);
        free(af->path);
        free(af);
    }
    return NULL;
}

FILE *ss_atomic_file_stream(ss_atomic_file *af)
{
    return af->fp;
}

int ss_atomic_file_commit(ss_atomic_file *af, ss_error *err)
{
    int rc = SS_OK;
    if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0) {
        rc = ss_error_set(err, SS_EIO, "%s: write failed: %s", af->path, strerror(errno));
        fclose(af->fp);
        unlink(af->tmp_path);
    } else if (fclose(af->fp) != 0) {
        rc = ss_error_set(err, SS_EIO, "%s: write failed: %s", af->path, strerror(errno));
        unlink(af->tmp_path);
    } else if (rename(af->tmp_path, af->path) != 0) {
        rc = ss_error_set(err, SS_EIO, "%s: cannot rename into place: %s", af->path,
                          strerror(errno));
        unlink(af->tmp_path);
    }
    free(af->tmp_path);
    free(af->path);
    free(af);
    return rc;
}

void ss_atomic_file_abort(ss_atomic_file *af)
{
    if (!af)
        return;
    fclose(af->fp);
    unlink(af->tmp_path);
    free(af->tmp_path);
    free(af->path);
    free(af);
}

int ss_atomic_file_check_writable(const char *path, ss_error *err)
{
    char *dir = dir_of(path);
    if (!dir)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    int ok = access(dir, W_OK | X_OK) == 0;
    int saved = errno;
    int rc = SS_OK;
    if (!ok)
        rc = ss_error_set(err, SS_EUSAGE, "%s: cannot write here: directory '%s': %s", path, dir,
                          strerror(saved));
    free(dir);
    return rc;
}
