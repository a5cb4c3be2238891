/* gan-bench --claims=N: what claiming a run costs a worker (issue 14): per
 * run, the quick look (state and lock), mkdir, taking the lock (O_EXCL
 * create + flock + the claim written and fsync'ed), the claims.log line, one
 * refresh, the release line and the release; N fresh run folders in a temp
 * folder on the filesystem given (default /tmp; point it at the shared
 * filesystem to measure that). */
#include "claims.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gan/clock.h"
#include "gan/fsutil.h"
#include "gan/run_dir.h"
#include "gan/run_lock.h"

int bench_claims(int n, const char *parent)
{
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/gan-bench-claims-XXXXXX", parent);
    if (!mkdtemp(root))
        return fprintf(stderr, "gan-bench: cannot make a folder in %s\n", parent), 1;
    gan_err_t err;
    double start = clock_seconds();
    for (int i = 0; i < n; i++) {
        char dir[PATH_MAX + 16];
        snprintf(dir, sizeof dir, "%s/run-%d", root, i);
        run_status_t st;
        run_lock_t *lock = NULL;
        if (run_status(&st, dir, &err) || run_lock_held(dir, 0) || fs_mkdirs(dir, &err) ||
            run_lock_acquire(&lock, dir, 0, &err) || run_lock_journal(lock, "claim: bench", &err) ||
            run_lock_refresh(lock, &err) || run_lock_journal(lock, "release: bench", &err)) {
            fprintf(stderr, "gan-bench: claim %d: %s\n", i, err.msg);
            run_lock_release(lock);
            return 1;
        }
        run_lock_release(lock);
    }
    double ms = (clock_seconds() - start) * 1e3 / n;
    printf("claims: %d runs claimed, journaled, refreshed once and released in %s: %.3f ms per "
           "run\n", n, parent, ms);
    printf("RESULT {\"claims\":%d,\"ms_per_claim\":%.4f}\n", n, ms);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : 1;
}
