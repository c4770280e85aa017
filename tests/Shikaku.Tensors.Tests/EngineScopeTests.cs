using Shikaku.Kernels;

namespace Shikaku.Tests;

/// <summary>Engine settings are a scope of the calling code: nested, restored, isolated between callers.</summary>
public class EngineScopeTests
{
    [Fact]
    public void ScopesNestAndRestoreWhatTheyFound()
    {
        int threads = Engine.Threads;
        var simd = Engine.MaxSimd;
        using (Engine.Use(threads: 3))
        {
            Assert.Equal(3, Engine.Threads);
            Assert.Equal(simd, Engine.MaxSimd);
            using (Engine.Use(maxSimd: SimdLevel.Scalar))
            {
                Assert.Equal(3, Engine.Threads);
                Assert.Equal(SimdLevel.Scalar, Engine.Simd);
            }
            Assert.Equal(simd, Engine.MaxSimd);
        }
        Assert.Equal(threads, Engine.Threads);
    }

    [Fact]
    public void ConcurrentCallersDoNotSeeEachOthersSettings()
    {
        // Each of 8 threads holds its own thread count while the others change theirs.
        using var ready = new Barrier(8);
        var seen = new int[8];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using (Engine.Use(threads: i + 1))
            {
                ready.SignalAndWait();
                Thread.Sleep(20);
                seen[i] = Engine.Threads;
                ready.SignalAndWait();
            }
        });
        Assert.Equal(Enumerable.Range(1, 8), seen);
    }

    [Fact]
    public void TheScopeFlowsIntoTheWorkersAKernelStarts()
    {
        using (Engine.Use(threads: 2, maxSimd: SimdLevel.Vector128))
        {
            var levels = new SimdLevel[64];
            Engine.ParallelFor(64, (first, last) =>
            {
                for (int i = first; i < last; i++) levels[i] = Engine.MaxSimd;
            });
            Assert.All(levels, l => Assert.Equal(SimdLevel.Vector128, l));
        }
    }

    [Fact]
    public void BadSettingsAreRefusedByName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Engine.Use(threads: 0));
        Assert.Contains("at least 1, got 0", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Engine.Use(maxSimd: (SimdLevel)9));
    }

    [Fact]
    public void DisposingTwiceRestoresOnce()
    {
        int threads = Engine.Threads;
        var outer = Engine.Use(threads: 5);
        var inner = Engine.Use(threads: 6);
        inner.Dispose();
        inner.Dispose();
        Assert.Equal(5, Engine.Threads);
        outer.Dispose();
        Assert.Equal(threads, Engine.Threads);
    }
}
