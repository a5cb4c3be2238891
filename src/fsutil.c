/* Atomic file replacement and small path helpers; see fsutil.h. */
#include "gan/fsutil.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
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
    if (S_ISREG(mode)) return "a file";
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

int fs_check_output(const char *final_path, gan_err_t *err)
{
    char target[PATH_MAX];
    if (final_path[0] == '\0')
        return gan_err_set(err, GAN_ERR_INPUT, "empty output path; give a file name");
    return output_target(target, sizeof target, final_path, err);
}

void fs_temp_host(char *out, size_t size)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    size_t n = 0;
    for (const char *p = host; *p && n + 1 < size && n < 64; p++) {
        char c = *p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-';
        out[n++] = keep ? c : '_';
    }
    if (size)
        out[n] = '\0';
}

/* ".tmp.<host>.<pid>": what every temporary name of this process ends in. */
static void temp_suffix(char *out, size_t size)
{
    char host[80];
    fs_temp_host(host, sizeof host);
    snprintf(out, size, ".tmp.%s.%ld", host, (long)getpid());
}

int atomic_begin(atomic_file_t *af, const char *final_path, gan_err_t *err)
{
    memset(af, 0, sizeof *af);
    if (final_path[0] == '\0')
        return gan_err_set(err, GAN_ERR_INPUT, "empty output path; give a file name");
    int rc = output_target(af->final_path, sizeof af->final_path, final_path, err);
    if (rc)
        return rc;
    char dir[PATH_MAX];
    fs_dirname(dir, sizeof dir, af->final_path);
    const char *base = strrchr(af->final_path, '/');
    base = base ? base + 1 : af->final_path;
    char suffix[128];
    temp_suffix(suffix, sizeof suffix);
    int n = snprintf(af->tmp_path, sizeof af->tmp_path, "%s/.%s%s", dir, base, suffix);
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

/* The error for a path that exists and is not a folder: what it is, and
 * for a dangling symlink where it points. */
static int not_a_folder(const char *path, gan_err_t *err)
{
    struct stat st;
    char target[PATH_MAX];
    ssize_t n;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) != 0 &&
        (n = readlink(path, target, sizeof target - 1)) >= 0) {
        target[n] = '\0';
        return gan_err_set(err, GAN_ERR_INPUT, "%s: a symlink to %s, which does not exist; "
                           "create that folder first or give another path", path, target);
    }
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
        return gan_err_set(err, GAN_ERR_INPUT, "%s: exists and is %s, not a folder; give a "
                           "folder's path", path, file_type(st.st_mode));
    return gan_err_set(err, GAN_ERR_INPUT, "%s: exists and is not a folder", path);
}

/* mkdir of one level: fine if it exists as a folder (or a symlink to one). */
static int mkdir_one(const char *path, gan_err_t *err)
{
    if (mkdir(path, 0777) == 0)
        return GAN_OK;
    int e = errno;
    if (e == EEXIST)
        return fs_is_dir(path) ? GAN_OK : not_a_folder(path, err);
    if (e == ENOTDIR)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: a part of the path is not a folder", path);
    return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot create folder (%s)", path, strerror(e));
}

int fs_check_folder(const char *path, gan_err_t *err)
{
    struct stat st;
    if (path[0] == '\0')
        return gan_err_set(err, GAN_ERR_INPUT, "empty folder path; give a folder's path");
    if (lstat(path, &st) != 0 || fs_is_dir(path))
        return GAN_OK;
    return not_a_folder(path, err);
}

int fs_mkdirs(const char *path, gan_err_t *err)
{
    char buf[PATH_MAX];
    if (path[0] == '\0')
        return gan_err_set(err, GAN_ERR_INPUT, "empty folder path; give a folder's path");
    if (strlen(path) >= sizeof buf)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: path longer than %d bytes", path,
                           PATH_MAX - 1);
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        int rc = mkdir_one(buf, err);
        if (rc)
            return rc;
        *p = '/';
    }
    return mkdir_one(buf, err);
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

/* The same order as fs_open_regular: stat() refuses the common mistakes
 * before any open; O_NONBLOCK makes a FIFO swapped in meanwhile fail at
 * once (ENXIO without a reader) instead of waiting for a reader, and fstat
 * refuses it when a reader exists. */
int fs_open_append(const char *path, int *fd, gan_err_t *err)
{
    *fd = -1;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return not_regular(path, st.st_mode, NULL, err);
    int f = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
    if (f < 0) {
        int e = errno;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
            return not_regular(path, st.st_mode, NULL, err);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot append (%s)", path, strerror(e));
    }
    int flags = fcntl(f, F_GETFL);
    if (fstat(f, &st) != 0 || flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(f);
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot append (%s)", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return not_regular(path, st.st_mode, NULL, err);
    }
    *fd = f;
    return GAN_OK;
}

int fs_append_durably(const char *path, const char *text, gan_err_t *err)
{
    int fd;
    int rc = fs_open_append(path, &fd, err);
    if (rc)
        return rc;
    size_t len = strlen(text), done = 0;
    int saved = 0;
    while (done < len && !saved) {
        ssize_t got = write(fd, text + done, len - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            saved = got < 0 ? errno : EIO;
        else
            done += (size_t)got;
    }
    if (!saved && fsync(fd) != 0)
        saved = errno;
    if (close(fd) != 0 && !saved)
        saved = errno;
    if (saved)
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: write failed (%s)", path, strerror(saved));
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

enum { TEMP_NONE, TEMP_OLD, TEMP_NEW };

/* What a temporary name says of its owner: TEMP_NEW for
 * ".<name>.tmp.<host>.<pid>" (host without '.', see fs_temp_host),
 * TEMP_OLD for ".<name>.tmp.<pid>", TEMP_NONE for any other name. */
static int temp_owner(const char *name, char *host, size_t host_size, long *pid)
{
    const char *dot = strrchr(name, '.');
    size_t digits = dot ? strlen(dot + 1) : 0;
    if (name[0] != '.' || digits == 0 || digits > 9 || strspn(dot + 1, "0123456789") != digits)
        return TEMP_NONE;
    *pid = strtol(dot + 1, NULL, 10);
    /* ".x.tmp" is the shortest prefix: a name, then ".tmp". */
    const char *hdot = dot;
    while (hdot > name && hdot[-1] != '.')
        hdot--;
    hdot--; /* the '.' before the host, or name itself */
    size_t host_len = (size_t)(dot - hdot) - 1;
    if (hdot - name >= 6 && host_len > 0 && host_len < host_size &&
        strncmp(hdot - 4, ".tmp", 4) == 0) {
        memcpy(host, hdot + 1, host_len);
        host[host_len] = '\0';
        return TEMP_NEW;
    }
    if (dot - name >= 6 && strncmp(dot - 4, ".tmp", 4) == 0)
        return TEMP_OLD;
    return TEMP_NONE;
}

/* 1 if the temporary file name is provably nobody's: its owner was a pid
 * of this host that no longer exists. An old-style name has no host: it
 * dates from before hosts were recorded and is judged by the pid alone. */
static int is_orphan_temp(const char *name)
{
    char host[80], me[80];
    long pid = 0;
    int kind = temp_owner(name, host, sizeof host, &pid);
    if (kind == TEMP_NONE || pid <= 0 || pid == (long)getpid())
        return 0;
    if (kind == TEMP_NEW) {
        fs_temp_host(me, sizeof me);
        if (strcmp(host, me) != 0)
            return 0;
    }
    /* EPERM means the pid exists (another user's): not ours to judge. */
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int fs_remove_stale_temps(const char *dir)
{
    return fs_remove_files(dir, is_orphan_temp);
}

/* nftw callback of fs_remove_tree: children come before their folder
 * (FTW_DEPTH), symlinks are not followed (FTW_PHYS). */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void fs_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Number of entries of a folder besides . and ..; -1 if it cannot be read. */
static long dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* The folder an atomic_dir writes: path without trailing slashes, or a
 * symlink's target (written through); must be missing or a folder. */
static int dir_target(char *out, size_t size, const char *path, gan_err_t *err)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') /* "out/" names the folder "out" */
        len--;
    if (len == 0)
        return gan_err_set(err, GAN_ERR_INPUT, "empty output path; give a folder's path");
    if (len >= size)
        return gan_err_set(err, GAN_ERR_INPUT, "%s: path longer than %zu bytes", path,
                           size - 1);
    memcpy(out, path, len);
    out[len] = '\0';
    struct stat st;
    if (lstat(out, &st) != 0)
        return GAN_OK; /* a new folder */
    if (S_ISLNK(st.st_mode)) {
        if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
            return not_a_folder(out, err);
        char *target = realpath(out, NULL);
        if (!target)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: a symlink whose target cannot be "
                               "resolved (%s); give a folder's path", out, strerror(errno));
        int n = snprintf(out, size, "%s", target);
        free(target);
        if (n < 0 || (size_t)n >= size)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: target path too long", path);
        return GAN_OK;
    }
    return S_ISDIR(st.st_mode) ? GAN_OK : not_a_folder(out, err);
}

int atomic_dir_begin(atomic_dir_t *ad, const char *path, int (*is_earlier)(const char *dir),
                     const char *not_empty_fix, gan_err_t *err)
{
    memset(ad, 0, sizeof *ad);
    int rc = dir_target(ad->final_path, sizeof ad->final_path, path, err);
    if (rc)
        return rc;
    if (fs_is_dir(ad->final_path)) {
        long n = dir_entries(ad->final_path);
        if (n < 0)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: cannot list the folder (%s)",
                               ad->final_path, strerror(errno));
        if (n > 0 && is_earlier && is_earlier(ad->final_path))
            ad->replace = 1;
        else if (n > 0)
            return gan_err_set(err, GAN_ERR_INPUT, "%s: folder is not empty (%ld entries); %s",
                               ad->final_path, n, not_empty_fix);
    }
    char parent[PATH_MAX], suffix[128];
    fs_dirname(parent, sizeof parent, ad->final_path);
    rc = fs_mkdirs(parent, err);
    if (rc)
        return rc;
    temp_suffix(suffix, sizeof suffix);
    snprintf(ad->tmp_path, sizeof ad->tmp_path, "%s%s", ad->final_path, suffix);
    int made = mkdir(ad->tmp_path, 0777) == 0;
    if (!made && errno == EEXIST) {
        fs_remove_tree(ad->tmp_path); /* our own leftover: same host and pid, earlier life */
        made = mkdir(ad->tmp_path, 0777) == 0;
    }
    if (!made) {
        int e = errno;
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot create the folder %s (%s)",
                         ad->final_path, ad->tmp_path, strerror(e));
        ad->tmp_path[0] = '\0';
        return rc;
    }
    return GAN_OK;
}

int atomic_dir_commit(atomic_dir_t *ad, gan_err_t *err)
{
    if (!ad->tmp_path[0])
        return gan_err_set(err, GAN_ERR_RUNTIME, "%s: not open", ad->final_path);
    /* One syncfs for every file: an fsync per file costs a disk flush each. */
    int fd = open(ad->tmp_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        int rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot flush the files to disk (%s)",
                             ad->tmp_path, strerror(e));
        atomic_dir_abort(ad);
        return rc;
    }
    close(fd);
    char old[PATH_MAX + 128] = "";
    int rc = GAN_OK;
    if (ad->replace &&
        renameat2(AT_FDCWD, ad->tmp_path, AT_FDCWD, ad->final_path, RENAME_EXCHANGE) == 0) {
        /* tmp_path now holds the earlier output. */
        snprintf(old, sizeof old, "%s", ad->tmp_path);
    } else if (ad->replace && errno != ENOENT) {
        /* No RENAME_EXCHANGE here (EINVAL: e.g. NFS): aside, then in. */
        char host[80];
        fs_temp_host(host, sizeof host);
        snprintf(old, sizeof old, "%s.old.%s.%ld", ad->final_path, host, (long)getpid());
        if (rename(ad->final_path, old) != 0) {
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot move the earlier output aside "
                             "(%s)", ad->final_path, strerror(errno));
        } else if (rename(ad->tmp_path, ad->final_path) != 0) {
            rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot rename %s into place (%s)",
                             ad->final_path, ad->tmp_path, strerror(errno));
            rename(old, ad->final_path); /* put the earlier output back */
            old[0] = '\0';
        }
    } else if (rename(ad->tmp_path, ad->final_path) != 0) {
        /* rename() replaces an empty folder and refuses a non-empty one, so
         * a folder that filled up meanwhile is never merged into. */
        rc = gan_err_set(err, GAN_ERR_RUNTIME, "%s: cannot rename %s into place (%s)",
                         ad->final_path, ad->tmp_path, strerror(errno));
    }
    if (rc) {
        atomic_dir_abort(ad);
        return rc;
    }
    ad->tmp_path[0] = '\0';
    fsync_dir(ad->final_path); /* the rename itself */
    if (old[0])
        fs_remove_tree(old);
    return GAN_OK;
}

void atomic_dir_abort(atomic_dir_t *ad)
{
    if (ad->tmp_path[0]) {
        fs_remove_tree(ad->tmp_path);
        ad->tmp_path[0] = '\0';
    }
}
