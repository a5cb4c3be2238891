/* Binary cross entropy on logits, fused with the sigmoid.
 *
 * For logit x and target t: loss = max(x, 0) - x t + log(1 + exp(-|x|)),
 * which equals -t log s(x) - (1-t) log(1 - s(x)) but never takes log(0), so
 * it stays exact at x = +-100 where a separate sigmoid would round to 0 or 1.
 * dloss/dx = s(x) - t. */
#ifndef GAN_LOSS_H
#define GAN_LOSS_H

/* Returns the mean loss over the n logits for one shared target (1 for
 * "real", 0 for "fake"). If dlogits is not NULL, writes
 * dlogits[i] = scale * (sigmoid(logits[i]) - target); scale = 1/n gives the
 * gradient of the mean. logits: n, dlogits: n. */
float bce_logits(float *dlogits, const float *logits, float target, int n,
                 float scale);

#endif
