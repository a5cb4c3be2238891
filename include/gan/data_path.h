/* Where gan finds MNIST and the classifier when no --data / --classifier is
 * given, so that an installed gan works from any folder. Searched in order,
 * the first that exists wins:
 *
 *   1. $GAN_DATA/<name>                  (a folder holding mnist/ and
 *                                         mnist-classifier.bin)
 *   2. data/<name>                       (the current folder's data/: a
 *                                         checkout of the repository)
 *   3. $XDG_DATA_HOME/gan/<name>         (per user; XDG_DATA_HOME defaults
 *                                         to ~/.local/share)
 *
 * <name> is "mnist" (a folder holding train-images-idx3-ubyte[.gz]) or
 * "mnist-classifier.bin". The paths are returned as built (data/mnist stays
 * relative), which is what config.json records. This module only looks; it
 * never creates anything. */
#ifndef GAN_DATA_PATH_H
#define GAN_DATA_PATH_H

#include <stddef.h>

#include "gan/error.h"

typedef enum { DATA_PATH_MNIST, DATA_PATH_CLASSIFIER } data_path_kind_t;

/* The first existing place of kind into out. GAN_ERR_INPUT when none
 * exists, with a message naming every place searched and how to fetch the
 * data (or train the classifier); out then holds "". */
int data_path_find(char *out, size_t size, data_path_kind_t kind, gan_err_t *err);

/* Where a new file of kind should go so that data_path_find finds it next
 * time: the place it already has if found; else $GAN_DATA if set; else, for
 * the classifier, next to the MNIST that data_path_find finds; else data/
 * if the current folder has a data/ folder; else the per-user folder.
 * GAN_ERR_INPUT when the path does not fit in size or HOME is unset. */
int data_path_write_target(char *out, size_t size, data_path_kind_t kind, gan_err_t *err);

#endif
