"""Shared helpers for the reference benchmarks: best-of timing and the JSON line format."""
import json
import time


def best_seconds(fn, min_reps=5, budget=1.5):
    """Best wall time of fn() after two warm-up calls, over about `budget` seconds of runs."""
    fn()
    fn()
    best = float("inf")
    start = time.perf_counter()
    reps = 0
    while reps < min_reps or time.perf_counter() - start < budget:
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        reps += 1
        if reps > 100000:
            break
    return best


def emit(suite, case, impl, value, unit):
    print(json.dumps({"suite": suite, "case": case, "impl": impl, "value": round(value, 3), "unit": unit}), flush=True)
