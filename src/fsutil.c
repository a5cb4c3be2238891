/* Atomic file replacement and small path helpers; see fsutil.h. */
#include "gan/fsutil.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fs_dirname(char *out, size_t size, const char *path)
{
    snprintf(out, size, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, size, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

static const char *file_type(mode_t mode)
{
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

/* Where an atomic write of path must go: path itself when it is a regular
 * file or a new name in an existing folder, a symlink's target (written
 * through), else an error naming what path is. */
static int output_target(char *out, size_t size, const char *path, gan_err_t *err)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *target = realpath(path, NULL);
        if (!target)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: a symlink whose target cannot be "
                               "resolved (%s); give a file name", path, strerror(errno));
        int n = snprintf(out, size, "%s", target);
        free(target);
        if (n < 0 || (size_t)n >= size)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: target path too long", path);
        path = out;
    } else if (strlen(path) >= size) {
        return gan_err_set(err, GAN_ERR_INPUT, "%s: path longer than %zu bytes", path, size - 1);
    } else {
        snprintf(out, size, "%s", path);
    }
    if (stat(out, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return gan_err_set(err, GAN_ERR_INPUT, "%s: is %s, not a file gan can replace; "
                               "give the path of a regular file", out, file_type(st.st_mode));
        return GAN_OK;
    }
    char dir[PATH_MAX];
    fs_dirname(dir, sizeof dir, out);
    if (!fs_is_dir(dir))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: folder %s does not exist; create it first "
                           "(mkdir -p %s)", out, dir, dir);
    return GAN_OK;
}

int atomic_begin(atomic_file_t *af, const char *final_path, gan_err_t *err)
{
    memset(af, 0, sizeof *af);
    int rc = output_target(af->final_path, sizeof af->final_path, final_path, err);
    if (rc)
        return rc;
    char dir[PATH_MAX];
    fs_dirname(dir, sizeof dir, af->final_path);
    const char *base = strrchr(af->final_path, '/');
    base = base ? base + 1 : af->final_path;
    int n = snprintf(af->tmp_path, sizeof af->tmp_path, "%s/.%s.tmp.%ld", dir, base,
                     (long)getpid());
    if (n < 0 || (size_t)n >= sizeof af->tmp_path)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: path too long", final_path);
    af->fp = fopen(af->tmp_path, "wbx");
    if (!af->fp && errno == EEXIST && unlink(af->tmp_path) == 0)
        af->fp = fopen(af->tmp_path, "wbx"); /* our own leftover: same pid, earlier life */
    if (!af->fp) {
        int e = errno;
        af->tmp_path[0] = '\0';
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot create a file in %s (%s)",
                           af->final_path, dir, strerror(e));
    }
    return GAN_OK;
}

int atomic_begin_in(atomic_file_t *af, const char *dir, const char *name, gan_err_t *err)
{
    char path[PATH_MAX];
    memset(af, 0, sizeof *af);
    int rc = fs_join(path, sizeof path, dir, name, err);
    return rc ? rc : atomic_begin(af, path, err);
}

static void fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    fs_dirname(dir, sizeof dir, path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int atomic_commit(atomic_file_t *af, gan_err_t *err)
{
    if (!af->fp)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: not open", af->final_path);
    int failed = ferror(af->fp) || fflush(af->fp) != 0;
    int saved_errno = errno;
    if (!failed && fsync(fileno(af->fp)) != 0) {
        failed = 1;
        saved_errno = errno;
    }
    if (fclose(af->fp) != 0 && !failed) {
        failed = 1;
        saved_errno = errno;
    }
    af->fp = NULL;
    if (failed) {
        unlink(af->tmp_path);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: write failed (%s); the previous file is untouched",
                           af->final_path, saved_errno ? strerror(saved_errno) : "I/O error");
    }
    if (rename(af->tmp_path, af->final_path) != 0) {
        saved_errno = errno;
        unlink(af->tmp_path);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot rename into place (%s)",
                           af->final_path, strerror(saved_errno));
    }
    fsync_dir(af->final_path);
    af->tmp_path[0] = '\0';
    return GAN_OK;
}

void atomic_abort(atomic_file_t *af)
{
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
    }
    if (af->tmp_path[0]) {
        unlink(af->tmp_path);
        af->tmp_path[0] = '\0';
    }
}

int atomic_write_bytes(const char *path, const void *data, size_t n, gan_err_t *err)
{
    atomic_file_t af;
    int rc = atomic_begin(&af, path, err);
    if (rc)
        return rc;
    if (n && fwrite(data, 1, n, af.fp) != n) {
        int e = errno;
        atomic_abort(&af);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: write failed (%s)", path, strerror(e));
    }
    return atomic_commit(&af, err);
}

int fs_mkdirs(const char *path, gan_err_t *err)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof buf)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: path longer than %d bytes", path,
                           PATH_MAX - 1);
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot create folder (%s)", buf,
                               strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot create folder (%s)", buf,
                           strerror(errno));
    if (!fs_is_dir(buf))
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: exists and is not a folder", buf);
    return GAN_OK;
}

int fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_join(char *out, size_t out_size, const char *a, const char *b, gan_err_t *err)
{
    int n = snprintf(out, out_size, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= out_size)
        return gan_err_set(err, GAN_ERR_INPUT, "%s/%s: path longer than %zu bytes", a, b,
                           out_size - 1);
    return GAN_OK;
}

/* What a non-regular file is, for messages. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a file";
}

static int not_regular(const char *path, mode_t mode, const char *fix, gan_err_t *err)
{
    return gan_err_set(err, GAN_ERR_INPUT, "%s: not a regular file (%s); %s", path,
                       file_kind(mode), fix ? fix : "give the path of a regular file");
}

/* stat() first, so the common mistakes (a FIFO, a directory, a device) are
 * refused without ever opening them: open() of a FIFO blocks until a writer
 * appears. The path can still be swapped for a FIFO between stat and open,
 * so open is non-blocking and fstat checks the file actually opened; only
 * then is O_NONBLOCK cleared (it means nothing for a regular file, but
 * callers should not have to know). */
int fs_open_regular(const char *path, const char *fix, int *fd, uint64_t *size, gan_err_t *err)
{
    *fd = -1;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return fix ? gan_err_set(err, GAN_ERR_INPUT, "%s: not found; %s", path, fix)
                       : gan_err_set(err, GAN_ERR_INPUT, "%s: not found", path);
        return gan_err_set(err, GAN_ERR_INPUT, "%s: cannot open (%s)", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return not_regular(path, st.st_mode, fix, err);
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (f < 0)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: cannot open (%s)", path, strerror(errno));
    int flags = fcntl(f, F_GETFL);
    if (fstat(f, &st) != 0 || flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(f);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot open (%s)", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return not_regular(path, st.st_mode, fix, err);
    }
    *fd = f;
    if (size)
        *size = (uint64_t)st.st_size;
    return GAN_OK;
}

/* The size from fstat sizes the buffer, but reading goes on to the real end
 * of the file (it may have grown since) and stops one byte past the cap. */
int fs_read_all(const char *path, size_t max_bytes, char **data, size_t *n, gan_err_t *err)
{
    *data = NULL;
    *n = 0;
    int fd;
    uint64_t size = 0;
    int rc = fs_open_regular(path, NULL, &fd, &size, err);
    if (rc)
        return rc;
    if (size > max_bytes) {
        close(fd);
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: larger than %zu bytes, the most this file can be; is it the "
                           "file you meant?", path, max_bytes);
    }
    size_t cap = (size_t)size + 1, len = 0;
    char *buf = malloc(cap + 1);
    int read_errno = 0;
    while (buf && len <= max_bytes) {
        if (len == cap) {
            size_t bigger_cap = cap > max_bytes / 2 ? max_bytes + 1 : cap * 2;
            char *bigger = realloc(buf, bigger_cap + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap = bigger_cap;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            read_errno = errno;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    if (!buf)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: out of memory", path);
    if (read_errno) {
        free(buf);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: read error (%s)", path,
                           strerror(read_errno));
    }
    if (len > max_bytes) {
        free(buf);
        return gan_err_set(err, GAN_ERR_INPUT,
                           "%s: larger than %zu bytes, the most this file can be; is it the "
                           "file you meant?", path, max_bytes);
    }
    buf[len] = '\0';
    *data = buf;
    *n = len;
    return GAN_OK;
}

int fs_remove_files(const char *dir, int (*match)(const char *name))
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!match(e->d_name))
            continue;
        char path[PATH_MAX];
        if (fs_join(path, sizeof path, dir, e->d_name, NULL) == GAN_OK && unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

static int is_atomic_temp(const char *name)
{
    return name[0] == '.' && strstr(name, ".tmp.") != NULL;
}

int fs_remove_stale_temps(const char *dir)
{
    return fs_remove_files(dir, is_atomic_temp);
}
