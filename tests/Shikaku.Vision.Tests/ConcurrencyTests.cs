using System.Text.Json;
using Shikaku.Vision.Faces;

namespace Shikaku.Tests;

/// <summary>One FaceAnalyzer serving 8 threads at once gives, to the last bit, the answers of serial calls.</summary>
public sealed class FaceAnalyzerConcurrencyTests : IClassFixture<FaceParityTests.Analyzer>
{
    private readonly FaceAnalyzer _faces;

    public FaceAnalyzerConcurrencyTests(FaceParityTests.Analyzer analyzer) => _faces = analyzer.Faces;

    // Every property of every face (boxes, 68 points, expressions, age, gender, descriptor); doubles and
    // floats are written round-trip, so equal text means equal bits.
    private static string Everything(IReadOnlyList<Face> faces) => JsonSerializer.Serialize(faces);

    [Fact]
    public void EightThreadsAtOnceGiveTheSerialAnswers()
    {
        var photos = new[] { "sample1", "sample2", "sample3", "sample4", "sample5", "sample6" }.Select(FaceApiGolden.Photo).ToArray();
        var serial = photos.Select(p => Everything(_faces.Analyze(p))).ToArray();
        Assert.All(serial, s => Assert.Contains("Descriptor", s));
        var concurrent = new string[16];
        using var start = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = t; i < concurrent.Length; i += 8) concurrent[i] = Everything(_faces.Analyze(photos[(i * 5) % photos.Length]));
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();
        for (int i = 0; i < concurrent.Length; i++)
            Assert.True(serial[(i * 5) % photos.Length] == concurrent[i], $"call {i} on photo {(i * 5) % photos.Length} differs from the serial answer");
    }
}
