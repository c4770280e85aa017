using System.Diagnostics;
using Shikaku.Gallery;

namespace Shikaku.Bench;

/// <summary>
/// gallery identify against 1,000,000 stored descriptors (10,000 generated people with 100 each), on SQLite and on
/// PostgreSQL: the time to fill the gallery, to open and unseal every descriptor into memory, and one identification
/// (one SIMD pass, TensorPrimitives.Distance per row) on the loaded index; and the memory the index takes.
/// </summary>
internal static class GalleryBench
{
    public static void Run(string? postgres, int people, int perPerson, Action<string, string, double, string> emit)
    {
        string folder = Directory.CreateTempSubdirectory("shikaku-gallery-bench").FullName;
        try
        {
            var stores = new List<(string Name, Func<GalleryStore> Open)> { ("sqlite", () => GalleryStore.Open(Path.Combine(folder, "bench.db"))) };
            if (postgres != null) stores.Add(("postgres", () => GalleryStore.Open(postgres)));
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var consent = new Consent("benchmark", "generated", today, today.AddYears(1));
            var random = new Random(1);
            float[] Descriptor() => Enumerable.Range(0, 128).Select(_ => (float)(random.NextDouble() - 0.5) * 0.2f).ToArray();
            var probe = Descriptor();
            foreach (var (name, open) in stores)
            {
                using var key = GalleryKey.FromFile(Path.Combine(folder, name + ".key"), create: true);
                using (var store = open())
                {
                    // Generated rows only: the commit of each enrolment need not reach the disk.
                    if (name == "sqlite") store.Execute(null, "PRAGMA synchronous = OFF");
                    using var gallery = ConsentGallery.Open(store, key, "bench-model", create: true);
                    var fill = Stopwatch.StartNew();
                    for (int p = 0; p < people; p++)
                        gallery.Enroll($"person {p}", consent, Enumerable.Range(0, perPerson).Select(_ => Descriptor()), "bench");
                    emit(name, $"fill: {people:N0} people x {perPerson} descriptors", fill.Elapsed.TotalSeconds, "s");
                }
                double bestLoad = double.MaxValue, bestQuery = double.MaxValue;
                long bytes = 0, before = GC.GetTotalMemory(forceFullCollection: true), heap = 0;
                for (int round = 0; round < 2; round++)
                {
                    var sw = Stopwatch.StartNew();
                    using var store = open();
                    using var gallery = ConsentGallery.Open(store, key, "bench-model", create: false);
                    var index = gallery.LoadIndex();
                    bestLoad = Math.Min(bestLoad, sw.Elapsed.TotalSeconds);
                    bytes = index.Bytes;
                    heap = GC.GetTotalMemory(forceFullCollection: true) - before;
                    for (int q = 0; q < 200; q++)
                    {
                        var qs = Stopwatch.StartNew();
                        var match = index.Match(probe, 0.45, 0.05);
                        bestQuery = Math.Min(bestQuery, qs.Elapsed.TotalMilliseconds);
                        GC.KeepAlive(match);
                    }
                    GC.KeepAlive(index);
                }
                emit(name, $"open + unseal {people * perPerson:N0} descriptors into memory", bestLoad, "s");
                emit(name, $"identify one face: scan of {people * perPerson:N0} descriptors", bestQuery, "ms");
                emit(name, "index in memory (descriptors + owners)", bytes / 1048576.0, "MB");
                emit(name, "managed heap held by the loaded index", heap / 1048576.0, "MB");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
