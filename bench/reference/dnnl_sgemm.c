/* SGEMM reference: oneDNN's dnnl_sgemm (Debian libdnnl-dev), row-major C = A B, square n.
 * Built and run by bench/run.sh; threads come from OMP_NUM_THREADS. Same timing rule as common.py:
 * two warm-up calls, then the best wall time over at least 5 runs and about 1.5 s.
 * Prints one JSON line per size, as the other references do. */
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const char *impl = argc > 1 ? argv[1] : "onednn";
    const int sizes[] = {256, 512, 1024, 2048};
    unsigned seed = 1;
    for (int s = 0; s < 4; s++) {
        int n = sizes[s];
        float *a = aligned_alloc(64, sizeof(float) * n * n), *b = aligned_alloc(64, sizeof(float) * n * n),
              *c = aligned_alloc(64, sizeof(float) * n * n);
        if (!a || !b || !c) { fprintf(stderr, "out of memory at n=%d\n", n); return 1; }
        for (long i = 0; i < (long)n * n; i++) {
            a[i] = (float)rand_r(&seed) / RAND_MAX;
            b[i] = (float)rand_r(&seed) / RAND_MAX;
        }
        for (int w = 0; w < 2; w++)
            if (dnnl_sgemm('N', 'N', n, n, n, 1.0f, a, n, b, n, 0.0f, c, n) != dnnl_success) {
                fprintf(stderr, "dnnl_sgemm failed at n=%d\n", n);
                return 1;
            }
        double best = 1e30, start = now();
        for (int reps = 0; reps < 5 || (now() - start < 1.5 && reps < 100000); reps++) {
            double t = now();
            dnnl_sgemm('N', 'N', n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            t = now() - t;
            if (t < best) best = t;
        }
        printf("{\"suite\": \"sgemm\", \"case\": \"%d\", \"impl\": \"%s\", \"value\": %.3f, \"unit\": \"GFLOPS\"}\n",
               n, impl, 2.0 * n * n * (double)n / best / 1e9);
        fflush(stdout);
        free(a); free(b); free(c);
    }
    return 0;
}
