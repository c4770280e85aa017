// Tests switch the process-wide SIMD level and thread count; run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
