/* Losses on logits, each fused with its output nonlinearity.
 *
 * Binary cross entropy, fused with the sigmoid:
 * For logit x and target t: loss = max(x, 0) - x t + log(1 + exp(-|x|)),
 * which equals -t log s(x) - (1-t) log(1 - s(x)) but never takes log(0), so
 * it stays exact at x = +-100 where a separate sigmoid would round to 0 or 1.
 * dloss/dx = s(x) - t.
 *
 * Softmax cross entropy over K classes, for a row of logits x and label y:
 * loss = logsumexp(x) - x_y with logsumexp(x) = m + log(sum_j exp(x_j - m)),
 * m = max_j x_j, so no exp overflows and no log(0) is taken; dloss/dx_j =
 * softmax(x)_j - [j == y] (e.g. Bishop 2006, section 4.3.4). */
#ifndef GAN_LOSS_H
#define GAN_LOSS_H

/* Returns the mean loss over the n logits for one shared target (1 for
 * "real", 0 for "fake"). If dlogits is not NULL, writes
 * dlogits[i] = scale * (sigmoid(logits[i]) - target); scale = 1/n gives the
 * gradient of the mean. logits: n, dlogits: n. */
float bce_logits(float *dlogits, const float *logits, float target, int n,
                 float scale);

/* Returns the mean over the batch rows of the softmax cross entropy of
 * logits (batch x k) against labels (batch values in 0..k-1; the caller
 * checks the range). If dlogits (batch x k) is not NULL, writes
 * dlogits = scale * (softmax(logits) - onehot(labels)); scale = 1/batch
 * gives the gradient of the mean. Sums run in double. */
float softmax_ce(float *dlogits, const float *logits, const int *labels, int batch, int k,
                 float scale);

/* probs = softmax of each row of logits (batch x k); probs may equal logits. */
void softmax_rows(float *probs, const float *logits, int batch, int k);

#endif
