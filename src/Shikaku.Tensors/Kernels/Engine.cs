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
/// Process-wide engine settings: how many threads kernels use and which instruction set they may use.
/// The instruction set is detected at start-up; it can be lowered (never raised past what the CPU has)
/// with <see cref="MaxSimd"/> or the environment variable <c>SHIKAKU_SIMD</c> (scalar, vector128, avx2, avx512),
/// which is how the tests exercise the fallback paths. <c>SHIKAKU_THREADS</c> sets the thread count.
/// </summary>
/// <example><code>Engine.Threads = 1; Engine.MaxSimd = SimdLevel.Vector128;</code></example>
public static class Engine
{
    private static int _threads = ThreadsFromEnvironment() ?? Environment.ProcessorCount;
    private static SimdLevel _max = FromEnvironment() ?? SimdLevel.Avx512;

    /// <summary>The best level this CPU supports.</summary>
    public static SimdLevel Hardware { get; } = Detect();

    /// <summary>The highest level kernels may use; the effective level is the lower of this and <see cref="Hardware"/>.</summary>
    public static SimdLevel MaxSimd
    {
        get => _max;
        set => _max = value;
    }

    /// <summary>The level kernels use now.</summary>
    public static SimdLevel Simd => _max < Hardware ? _max : Hardware;

    /// <summary>Number of threads kernels use (default: all cores).</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), $"Engine.Threads must be at least 1, got {value}.");
            _threads = value;
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
