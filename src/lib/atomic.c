/* Output files, see atomic.h.
 *
 * The stream callers write to is a stdio stream over our own write function
 * (glibc's fopencookie): it sees every failed write as it happens, with its
 * errno, and can then switch to a rescue file without the caller knowing, so
 * that a result computed for hours is kept even when its disk is full.  A
 * plain FILE would only say at fclose() that something failed, with an errno
 * that may belong to another call by then.
 */
#define _GNU_SOURCE /* fopencookie */
#include <spiksim/atomic.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef SYSFS_MAGIC
#define SYSFS_MAGIC 0x62656572
#endif

/* Symlinks followed at most (the kernel's own limit is 40). */
#define MAX_LINKS 40

struct ss_atomic_file {
    FILE *fp;
    char *path;     /* as given, for messages */
    char *target;   /* what is replaced: path with its symlinks followed */
    char *tmp_path; /* the temporary file; NULL for a direct target */
    int fd;         /* temporary file or direct target */
    int direct;     /* written in place (a descriptor, a FIFO, a device) */
    uint64_t written;
    int write_errno; /* first failed write, 0 if none */
    char *rescue_path;
    int rescue_fd;
    int rescue_errno; /* the rescue failed too */
    int aborted;      /* whatever stdio still holds is dropped */
};

/* ---- paths ---- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The descriptor a path names (/dev/stdout, /dev/fd/3, /proc/self/fd/1),
 * or -1.  "-" is standard output. */
static int named_fd(const char *path)
{
    if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    const char *digits = NULL;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        digits = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        digits = path + 14;
    if (!digits || *digits < '0' || *digits > '9')
        return -1;
    char *end;
    long fd = strtol(digits, &end, 10);
    return *end == '\0' && fd <= INT_MAX ? (int)fd : -1;
}

int ss_output_is_stdout(const char *path)
{
    return path && named_fd(path) == 1;
}

/* path with its symlinks followed to the last one (which may not exist
 * yet: a dangling link creates its target, as a shell redirection does).
 * A new string; NULL with errno set (ELOOP, ENOMEM). */
static char *follow_links(const char *path)
{
    char *cur = strdup(path);
    for (int hops = 0; cur; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        if (hops == MAX_LINKS) {
            free(cur);
            errno = ELOOP;
            return NULL;
        }
        size_t cap = (size_t)st.st_size + 1 > 256 ? (size_t)st.st_size + 1 : 256;
        char *link = malloc(cap);
        ssize_t n = link ? readlink(cur, link, cap - 1) : -1;
        if (n < 0) {
            int e = link ? errno : ENOMEM;
            free(link);
            free(cur);
            errno = e;
            return NULL;
        }
        link[n] = '\0';
        char *next;
        if (link[0] == '/') {
            next = link;
        } else {
            /* Relative to the directory holding the link. */
            char *dir = dir_of(cur);
            size_t len = dir ? strlen(dir) + (size_t)n + 2 : 0;
            next = dir ? malloc(len) : NULL;
            if (next)
                snprintf(next, len, "%s/%s", dir, link);
            free(dir);
            free(link);
        }
        free(cur);
        cur = next;
    }
    errno = ENOMEM;
    return NULL;
}

/* ---- the stream ---- */

static int write_all(int fd, const char *buf, size_t size, size_t *done)
{
    *done = 0;
    while (*done < size) {
        ssize_t n = write(fd, buf + *done, size - *done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = ENOSPC; /* write(2) makes no progress only when full */
            return -1;
        }
        *done += (size_t)n;
    }
    return 0;
}

/* Opens the rescue file and copies into it what the temporary file holds. */
static int start_rescue(ss_atomic_file *af)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    const char *base = base_of(af->target);
    size_t n = strlen(dir) + strlen(base) + 40;
    af->rescue_path = malloc(n);
    if (!af->rescue_path) {
        af->rescue_errno = ENOMEM;
        return -1;
    }
    snprintf(af->rescue_path, n, "%s/spiksim-rescued.%s.XXXXXX", dir, base);
    af->rescue_fd = mkostemp(af->rescue_path, O_CLOEXEC);
    if (af->rescue_fd < 0) {
        af->rescue_errno = errno;
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(af->rescue_fd, 0666 & ~mask);
    char buf[1 << 16];
    for (uint64_t off = 0; off < af->written;) {
        size_t want = af->written - off < sizeof buf ? (size_t)(af->written - off) : sizeof buf;
        ssize_t got = pread(af->fd, buf, want, (off_t)off);
        size_t done;
        if (got <= 0) {
            af->rescue_errno = got < 0 ? errno : EIO;
            return -1;
        }
        if (write_all(af->rescue_fd, buf, (size_t)got, &done) != 0) {
            af->rescue_errno = errno;
            return -1;
        }
        off += (uint64_t)got;
    }
    return 0;
}

/* A write failed on the temporary file (or its fsync): from now on the
 * rescue file takes the output.  0 when it could. */
static int fail_over(ss_atomic_file *af, int e)
{
    if (!af->write_errno)
        af->write_errno = e;
    if (af->direct || af->rescue_errno)
        return -1; /* what went to a pipe or device cannot be read back */
    if (af->rescue_fd < 0 && start_rescue(af) != 0)
        return -1;
    return 0;
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
    ss_atomic_file *af = cookie;
    size_t done = 0;
    if (af->aborted)
        return (ssize_t)size;
    if (af->rescue_fd >= 0) {
        if (write_all(af->rescue_fd, buf, size, &done) != 0) {
            af->rescue_errno = errno;
            return -1;
        }
        return (ssize_t)size;
    }
    if (af->write_errno && af->direct)
        return -1;
    if (write_all(af->fd, buf, size, &done) == 0) {
        af->written += size;
        return (ssize_t)size;
    }
    int e = errno;
    af->written += done;
    if (fail_over(af, e) != 0)
        return -1;
    size_t rest;
    if (write_all(af->rescue_fd, buf + done, size - done, &rest) != 0) {
        af->rescue_errno = errno;
        return -1;
    }
    return (ssize_t)size;
}

/* ---- opening ---- */

static void af_free(ss_atomic_file *af)
{
    if (!af)
        return;
    free(af->path);
    free(af->target);
    free(af->tmp_path);
    free(af->rescue_path);
    free(af);
}

static ss_atomic_file *with_stream(ss_atomic_file *af, ss_error *err)
{
    cookie_io_functions_t io = {NULL, cookie_write, NULL, NULL};
    af->fp = fopencookie(af, "w", io);
    if (!af->fp) {
        ss_error_set(err, SS_ENOMEM, "%s: out of memory", af->path);
        return NULL;
    }
    /* Large writes to the disk; the cookie sees each one. */
    setvbuf(af->fp, NULL, _IOFBF, 1 << 16);
    return af;
}

static ss_atomic_file *open_direct(ss_atomic_file *af, int fd, ss_error *err)
{
    af->direct = 1;
    /* A copy of the descriptor: closing ours leaves the caller's open. */
    if (fd >= 0) {
        af->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (af->fd < 0) {
            ss_error_set(err, SS_EIO, "%s: %s", af->path, strerror(errno));
            return NULL;
        }
    } else {
        /* A FIFO without a reader blocks here until one comes, as
         * `cmd > fifo` does. */
        af->fd = open(af->target, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (af->fd < 0) {
            ss_error_set(err, SS_EIO, "%s: cannot open for writing: %s", af->path, strerror(errno));
            return NULL;
        }
    }
    if (!with_stream(af, err)) {
        close(af->fd);
        return NULL;
    }
    return af;
}

ss_atomic_file *ss_atomic_file_open(const char *path, ss_error *err)
{
    ss_atomic_file *af = calloc(1, sizeof *af);
    if (!af || !(af->path = strdup(path))) {
        free(af);
        ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    af->fd = af->rescue_fd = -1;
    int fd = named_fd(path);
    if (fd >= 0) {
        af->target = strdup(path);
        if (af->target && open_direct(af, fd, err))
            return af;
        if (!af->target)
            ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        af_free(af);
        return NULL;
    }
    af->target = follow_links(path);
    if (!af->target) {
        ss_error_set(err, SS_EIO, "%s: %s", path, strerror(errno));
        af_free(af);
        return NULL;
    }
    struct stat st;
    if (stat(af->target, &st) == 0 && S_ISDIR(st.st_mode)) {
        ss_error_set(err, SS_EIO, "%s: is a directory", path);
        af_free(af);
        return NULL;
    }
    if (stat(af->target, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (open_direct(af, -1, err))
            return af;
        af_free(af);
        return NULL;
    }
    char *dir = dir_of(af->target);
    const char *base = base_of(af->target);
    size_t n = dir ? strlen(dir) + strlen(base) + 48 : 0;
    af->tmp_path = dir ? malloc(n) : NULL;
    if (!af->tmp_path) {
        free(dir);
        ss_error_set(err, SS_ENOMEM, "%s: out of memory", path);
        af_free(af);
        return NULL;
    }
    snprintf(af->tmp_path, n, "%s/.%s.spiksim-%ld.XXXXXX", dir, base, (long)getpid());
    free(dir);
    af->fd = mkostemp(af->tmp_path, O_CLOEXEC);
    if (af->fd < 0) {
        ss_error_set(err, SS_EIO, "%s: cannot create file: %s", path, strerror(errno));
        af_free(af);
        return NULL;
    }
    /* mkstemp creates 0600; output files are ordinary user files.  An
     * existing target keeps its own permissions. */
    mode_t mask = umask(0);
    umask(mask);
    if (stat(af->target, &st) == 0)
        fchmod(af->fd, st.st_mode & 07777);
    else
        fchmod(af->fd, 0666 & ~mask);
    if (!with_stream(af, err)) {
        close(af->fd);
        unlink(af->tmp_path);
        af_free(af);
        return NULL;
    }
    return af;
}

FILE *ss_atomic_file_stream(ss_atomic_file *af)
{
    return af->fp;
}

/* ---- committing ---- */

/* Temporary files of the same target left by runs that no longer exist
 * (kill -9, a power cut): ".NAME.spiksim-PID.XXXXXX". */
static void remove_stale(const ss_atomic_file *af)
{
    char *dir = dir_of(af->target);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        free(dir);
        return;
    }
    const char *base = base_of(af->target);
    size_t blen = strlen(base);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (name[0] != '.' || strncmp(name + 1, base, blen) != 0 ||
            strncmp(name + 1 + blen, ".spiksim-", 9) != 0)
            continue;
        const char *p = name + 1 + blen + 9;
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p || *end != '.' || strlen(end + 1) != 6 || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* still running (or not ours to ask): its file */
        unlinkat(dirfd(d), name, 0);
    }
    closedir(d);
    free(dir);
}

static void discard_rescue(ss_atomic_file *af)
{
    if (af->rescue_fd >= 0) {
        close(af->rescue_fd);
        unlink(af->rescue_path);
        af->rescue_fd = -1;
    }
}

/* The run's output could not be written where asked: say why and where it
 * went instead. */
static int report_failure(ss_atomic_file *af, ss_error *err)
{
    const char *why = strerror(af->write_errno ? af->write_errno : EIO);
    if (af->direct)
        return ss_error_set(err, SS_EIO, "%s: cannot write: %s", af->path, why);
    if (af->rescue_fd >= 0 && !af->rescue_errno && fsync(af->rescue_fd) == 0 &&
        close(af->rescue_fd) == 0) {
        af->rescue_fd = -1;
        return ss_error_set(err, SS_EIO, "%s: cannot write: %s; the result is kept in %s", af->path,
                            why, af->rescue_path);
    }
    int e = af->rescue_errno ? af->rescue_errno : errno;
    discard_rescue(af);
    return ss_error_set(err, SS_EIO, "%s: cannot write: %s (and no copy could be kept: %s%s%s)",
                        af->path, why, af->rescue_path ? af->rescue_path : "",
                        af->rescue_path ? ": " : "", strerror(e));
}

int ss_atomic_file_commit(ss_atomic_file *af, ss_error *err)
{
    int rc = SS_OK;
    int flushed = fflush(af->fp) == 0;
    fclose(af->fp); /* the cookie has nothing left to write */
    af->fp = NULL;
    if (af->direct) {
        /* A pipe or a terminal has nothing to fsync; a device may. */
        if (flushed && !af->write_errno && fsync(af->fd) != 0 && errno != EINVAL &&
            errno != EROFS && errno != ENOTSUP)
            af->write_errno = errno;
        if (close(af->fd) != 0 && !af->write_errno && errno != EINTR)
            af->write_errno = errno;
        if (af->write_errno || !flushed)
            rc = report_failure(af, err);
        af_free(af);
        return rc;
    }
    /* Some file systems only say at fsync that the disk is full; the
     * rescue then copies the whole temporary file. */
    if (!af->write_errno && fsync(af->fd) != 0)
        fail_over(af, errno);
    if (af->write_errno || !flushed) {
        rc = report_failure(af, err);
        close(af->fd);
        unlink(af->tmp_path);
    } else if (close(af->fd) != 0) {
        af->write_errno = errno;
        rc = report_failure(af, err);
        unlink(af->tmp_path);
    } else if (rename(af->tmp_path, af->target) != 0) {
        /* Complete and synced: keep it, and say where. */
        rc = ss_error_set(err, SS_EIO, "%s: cannot rename into place: %s; the result is kept in %s",
                          af->path, strerror(errno), af->tmp_path);
    } else {
        remove_stale(af);
    }
    discard_rescue(af);
    af_free(af);
    return rc;
}

int ss_atomic_file_fail(ss_atomic_file *af, ss_error *err)
{
    int e = af->write_errno ? af->write_errno : af->rescue_errno;
    int rc = ss_error_set(err, SS_EIO, "%s: cannot write: %s", af->path,
                          e ? strerror(e) : "write failed");
    ss_atomic_file_abort(af);
    return rc;
}

void ss_atomic_file_abort(ss_atomic_file *af)
{
    if (!af)
        return;
    /* Nothing of it is wanted: whatever stdio still holds is dropped. */
    af->aborted = 1;
    if (af->fp)
        fclose(af->fp);
    close(af->fd);
    if (af->tmp_path)
        unlink(af->tmp_path);
    discard_rescue(af);
    af_free(af);
}

/* ---- checks before the run ---- */

static int usage(ss_error *err, const char *what, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int usage(ss_error *err, const char *what, const char *path, const char *fmt, ...)
{
    size_t n = (what ? strlen(what) : 0) + strlen(path) + 8;
    char *prefix = malloc(n);
    if (prefix)
        snprintf(prefix, n, "%s%s%s: ", what ? what : "", what ? " " : "", path);
    va_list ap;
    va_start(ap, fmt);
    ss_error_vset(err, SS_EUSAGE, prefix ? prefix : "", fmt, ap);
    va_end(ap);
    free(prefix);
    return SS_EUSAGE;
}

/* procfs and sysfs hold no user files: refuse them before the run. */
static int pseudo_fs(const char *dir)
{
    struct statfs sf;
    return statfs(dir, &sf) == 0 && ((unsigned long)sf.f_type == PROC_SUPER_MAGIC ||
                                     (unsigned long)sf.f_type == SYSFS_MAGIC);
}

/* A file can be created in dir: it exists, is a searchable, writable
 * directory on a real file system.  A probe file (of the temporary files'
 * pattern) is created and removed, which catches what access() does not
 * know (a read-only mount as root, a full inode table). */
static int dir_writable(const char *dir, const char *what, const char *path, ss_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return usage(err, what, path, "directory '%s': %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return usage(err, what, path, "'%s' is not a directory", dir);
    if (pseudo_fs(dir))
        return usage(err, what, path, "'%s' is under /proc or /sys, not a place for files", dir);
    if (access(dir, W_OK | X_OK) != 0)
        return usage(err, what, path, "cannot write here: directory '%s': %s", dir,
                     strerror(errno));
    size_t n = strlen(dir) + 48;
    char *probe = malloc(n);
    if (!probe)
        return ss_error_set(err, SS_ENOMEM, "out of memory");
    snprintf(probe, n, "%s/.probe.spiksim-%ld.XXXXXX", dir, (long)getpid());
    int fd = mkstemp(probe);
    int e = errno;
    if (fd >= 0) {
        close(fd);
        unlink(probe);
    }
    free(probe);
    if (fd < 0)
        return usage(err, what, path, "cannot write here: directory '%s': %s", dir, strerror(e));
    return SS_OK;
}

int ss_output_check(const char *path, const char *what, unsigned flags, ss_error *err)
{
    if (!path)
        return SS_OK;
    if (path[0] == '\0')
        return usage(err, what, "''", "empty file name");
    if (strcmp(path, "-") == 0 && !(flags & SS_OUTPUT_STDOUT_OK))
        return usage(err, what, path, "standard output cannot take this output: give a file name");
    int fd = named_fd(path);
    if (fd >= 0) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
            return usage(err, what, path, "descriptor %d is not open", fd);
        if ((fl & O_ACCMODE) == O_RDONLY)
            return usage(err, what, path, "descriptor %d is not open for writing", fd);
        return SS_OK;
    }
    size_t len = strlen(path);
    if (path[len - 1] == '/')
        return usage(err, what, path, "names a directory: give a file name");
    char *target = follow_links(path);
    if (!target)
        return usage(err, what, path, "%s", strerror(errno));
    int rc = SS_OK;
    struct stat st;
    if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = usage(err, what, path, "is a directory: give a file name");
    } else if (stat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A FIFO or a device: written in place. */
        if (access(target, W_OK) != 0)
            rc = usage(err, what, path, "cannot write: %s", strerror(errno));
    } else {
        char *dir = dir_of(target);
        rc = dir ? dir_writable(dir, what, path, err)
                 : ss_error_set(err, SS_ENOMEM, "out of memory");
        free(dir);
    }
    free(target);
    return rc;
}

int ss_output_dir_check(const char *dir, const char *what, ss_error *err)
{
    if (!dir)
        return SS_OK;
    if (dir[0] == '\0')
        return usage(err, what, "''", "empty directory name");
    struct stat st;
    if (stat(dir, &st) != 0)
        return usage(err, what, dir, "%s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return usage(err, what, dir, "not a directory");
    if (pseudo_fs(dir))
        return usage(err, what, dir, "is under /proc or /sys, not a place for files");
    return dir_writable(dir, what, dir, err);
}

int ss_atomic_file_check_writable(const char *path, ss_error *err)
{
    return ss_output_check(path, NULL, 0, err);
}
