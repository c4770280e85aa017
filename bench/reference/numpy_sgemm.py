"""SGEMM reference: numpy float32 matmul on Debian's OpenBLAS (pthread build).

Run with OPENBLAS_NUM_THREADS set; the impl label says which OpenBLAS kernel was in use
(OPENBLAS_CORETYPE), because OpenBLAS 0.3.21 does not recognise every recent CPU by itself.
"""
import os
import sys

import numpy as np

from common import best_seconds, emit

impl = sys.argv[1] if len(sys.argv) > 1 else "numpy-openblas"
rng = np.random.default_rng(1)
for n in (256, 512, 1024, 2048):
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    t = best_seconds(lambda: np.matmul(a, b, out=c))
    emit("sgemm", str(n), impl, 2.0 * n ** 3 / t / 1e9, "GFLOPS")
