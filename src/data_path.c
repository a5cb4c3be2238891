/* The default places of MNIST and the classifier; see data_path.h. Reads
 * the environment (GAN_DATA, XDG_DATA_HOME, HOME) on every call, so a test
 * can change it between calls. */
#include "gan/data_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gan/fsutil.h"

enum { N_PLACES = 3 };

static const char *kind_name(data_path_kind_t kind)
{
    return kind == DATA_PATH_MNIST ? "mnist" : "mnist-classifier.bin";
}

/* The per-user data folder: $XDG_DATA_HOME/gan, else $HOME/.local/share/gan
 * (the XDG Base Directory default). 0 if neither variable is usable. */
static int user_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    /* The spec says a relative XDG_DATA_HOME is invalid and to be ignored. */
    if (xdg && xdg[0] == '/')
        return snprintf(out, size, "%s/gan", xdg) < (int)size;
    if (home && home[0])
        return snprintf(out, size, "%s/.local/share/gan", home) < (int)size;
    return 0;
}

/* The folders searched, in order; "" for one that is not set. */
static void search_dirs(char dirs[N_PLACES][PATH_MAX])
{
    const char *env = getenv("GAN_DATA");
    if (!env || !env[0] || snprintf(dirs[0], PATH_MAX, "%s", env) >= PATH_MAX)
        dirs[0][0] = '\0';
    snprintf(dirs[1], PATH_MAX, "data");
    if (!user_dir(dirs[2], PATH_MAX))
        dirs[2][0] = '\0';
}

static int present(const char *path, data_path_kind_t kind)
{
    struct stat st;
    if (kind == DATA_PATH_CLASSIFIER)
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
    static const char *const names[] = {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"};
    char file[PATH_MAX + 64];
    for (int i = 0; i < 2; i++)
        if (snprintf(file, sizeof file, "%s/%s", path, names[i]) < (int)sizeof file &&
            stat(file, &st) == 0)
            return 1;
    return 0;
}

int data_path_find(char *out, size_t size, data_path_kind_t kind, gan_err_t *err)
{
    char dirs[N_PLACES][PATH_MAX], path[PATH_MAX + 64];
    search_dirs(dirs);
    char searched[3 * (PATH_MAX + 64)];
    size_t len = 0;
    searched[0] = '\0';
    for (int i = 0; i < N_PLACES; i++) {
        if (!dirs[i][0]) {
            len += (size_t)snprintf(searched + len, sizeof searched - len, "%s%s", i ? ", " : "",
                                    i == 0 ? "$GAN_DATA (not set)" : "the per-user folder (HOME not set)");
            continue;
        }
        if (snprintf(path, sizeof path, "%s/%s", dirs[i], kind_name(kind)) >= (int)sizeof path)
            continue;
        if (present(path, kind)) {
            if (strlen(path) >= size)
                break;
            snprintf(out, size, "%s", path);
            return GAN_OK;
        }
        int n = snprintf(searched + len, sizeof searched - len, "%s%s", i ? ", " : "", path);
        len = n < 0 || len + (size_t)n >= sizeof searched ? sizeof searched - 1 : len + (size_t)n;
    }
    if (size)
        out[0] = '\0';
    if (kind == DATA_PATH_MNIST)
        return gan_err_set(err, GAN_ERR_INPUT,
                           "MNIST not found; searched %s. Fetch it with gan-download-mnist "
                           "(./download_mnist.sh in the repository), set GAN_DATA to a folder "
                           "holding mnist/, or pass --data=DIR", searched);
    return gan_err_set(err, GAN_ERR_INPUT,
                       "no classifier found; searched %s. Make one with ./gan classifier train "
                       "(installed: gan classifier train; it writes where gan looks), or pass "
                       "--classifier=FILE", searched);
}

int data_path_write_target(char *out, size_t size, data_path_kind_t kind, gan_err_t *err)
{
    if (data_path_find(out, size, kind, NULL) == GAN_OK)
        return GAN_OK;
    char dirs[N_PLACES][PATH_MAX], found[PATH_MAX];
    search_dirs(dirs);
    const char *dir = NULL;
    char mnist_parent[PATH_MAX];
    if (dirs[0][0]) {
        dir = dirs[0];
    } else if (kind == DATA_PATH_CLASSIFIER &&
               data_path_find(found, sizeof found, DATA_PATH_MNIST, NULL) == GAN_OK) {
        fs_dirname(mnist_parent, sizeof mnist_parent, found);
        dir = mnist_parent;
    } else if (fs_is_dir(dirs[1])) {
        dir = dirs[1];
    } else if (dirs[2][0]) {
        dir = dirs[2];
    } else {
        return gan_err_set(err, GAN_ERR_INPUT,
                           "no place for %s: set GAN_DATA (or HOME) or pass the path",
                           kind_name(kind));
    }
    if (snprintf(out, size, "%s/%s", dir, kind_name(kind)) >= (int)size)
        return gan_err_set(err, GAN_ERR_INPUT, "%s/%s: path too long", dir, kind_name(kind));
    return GAN_OK;
}
