using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Shikaku.Kernels;

/// <summary>The widest vector instructions a kernel may use.</summary>
public enum SimdLevel
{
    /// <summary>Plain scalar code: the reference path every machine can run.</summary>
    Scalar = 0,
    /// <summary>128-bit vectors (SSE on x64, NEON on Arm).</summary>
    Vector128 = 1,
    /// <summary>256-bit vectors with fused multiply-add (AVX2 + FMA).</summary>
    Avx2 = 2,
    /// <summary>512-bit vectors (AVX-512F).</summary>
    Avx512 = 3,
}

/// <summary>
/// Engine settings: how many threads kernels use and which instruction set they may use. The defaults are
/// the machine's (all cores, the best instruction set detected at start-up), or the environment variables
/// <c>SHIKAKU_THREADS</c> and <c>SHIKAKU_SIMD</c> (scalar, vector128, avx2, avx512). Code that wants other
/// settings takes a scope with <see cref="Use"/>: the override holds for that code and whatever it calls,
/// including the worker threads kernels start, and for nothing else, so two callers (two tests, two web
/// requests) with different settings never see each other's. The level can be lowered, never raised past
/// what the CPU has, which is how the tests exercise the fallback paths.
/// </summary>
/// <example><code>using (Engine.Use(threads: 1, maxSimd: SimdLevel.Vector128)) model.Predict(x);</code></example>
public static class Engine
{
    private static readonly int DefaultThreads = ThreadsFromEnvironment() ?? Environment.ProcessorCount;
    private static readonly SimdLevel DefaultMax = FromEnvironment() ?? SimdLevel.Avx512;

    // The innermost scope of the current logical call (it flows into tasks and Parallel.For workers).
    private static readonly AsyncLocal<Settings?> Scoped = new();
    // How many scopes are open anywhere: while none is, reading a setting costs no AsyncLocal lookup.
    private static int _openScopes;

    private sealed record Settings(int Threads, SimdLevel MaxSimd);

    /// <summary>The best level this CPU supports.</summary>
    public static SimdLevel Hardware { get; } = Detect();

    /// <summary>The highest level kernels may use here; the effective level is the lower of this and <see cref="Hardware"/>.</summary>
    public static SimdLevel MaxSimd => Current?.MaxSimd ?? DefaultMax;

    /// <summary>The level kernels use now.</summary>
    public static SimdLevel Simd
    {
        get
        {
            var max = MaxSimd;
            return max < Hardware ? max : Hardware;
        }
    }

    /// <summary>Number of threads kernels use here (default: all cores).</summary>
    public static int Threads => Current?.Threads ?? DefaultThreads;

    private static Settings? Current => Volatile.Read(ref _openScopes) == 0 ? null : Scoped.Value;

    /// <summary>
    /// Overrides the settings for the calling code until the returned scope is disposed; a setting left
    /// null keeps its current value. Scopes nest, and each restores the settings it found.
    /// </summary>
    /// <param name="threads">Threads kernels may use, at least 1.</param>
    /// <param name="maxSimd">Highest instruction set kernels may use (lowered to what the CPU has).</param>
    public static IDisposable Use(int? threads = null, SimdLevel? maxSimd = null)
    {
        if (threads is < 1)
            throw new ArgumentOutOfRangeException(nameof(threads), $"Engine threads must be at least 1, got {threads}.");
        if (maxSimd is { } level && !Enum.IsDefined(level))
            throw new ArgumentOutOfRangeException(nameof(maxSimd), $"'{level}' is not a SIMD level; use one of {string.Join(", ", Enum.GetNames<SimdLevel>())}.");
        var outer = Scoped.Value;
        var scope = new Scope(outer);
        Interlocked.Increment(ref _openScopes);
        Scoped.Value = new Settings(threads ?? Threads, maxSimd ?? MaxSimd);
        return scope;
    }

    private sealed class Scope(Settings? outer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            Scoped.Value = outer;
            Interlocked.Decrement(ref _openScopes);
        }
    }

    private static SimdLevel Detect()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported) return SimdLevel.Avx512;
        if (Avx2.IsSupported && Fma.IsSupported) return SimdLevel.Avx2;
        if (Vector128.IsHardwareAccelerated) return SimdLevel.Vector128;
        return SimdLevel.Scalar;
    }

    private static int? ThreadsFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable("SHIKAKU_THREADS");
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (int.TryParse(value, out int n) && n >= 1) return n;
        throw new InvalidOperationException($"SHIKAKU_THREADS='{value}' is not a positive whole number.");
    }

    private static SimdLevel? FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable("SHIKAKU_SIMD");
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (Enum.TryParse<SimdLevel>(value, ignoreCase: true, out var level)) return level;
        throw new InvalidOperationException($"SHIKAKU_SIMD='{value}' is not one of: scalar, vector128, avx2, avx512.");
    }

    /// <summary>Runs <paramref name="body"/> for 0..count-1 on up to <see cref="Threads"/> threads, in contiguous chunks.</summary>
    internal static void ParallelFor(int count, Action<int, int> body)
    {
        int workers = Math.Min(Threads, count);
        if (workers <= 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            int start = (int)((long)count * w / workers);
            int end = (int)((long)count * (w + 1) / workers);
            if (end > start) body(start, end);
        });
    }
}
