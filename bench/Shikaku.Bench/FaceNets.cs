using System.Diagnostics;
using Shikaku.Models.FaceApi;
using Shikaku.Tensors;

namespace Shikaku.Bench;

/// <summary>
/// A diagnostic: milliseconds per call of each face-api.js net on one 160x160 face, and of the two detectors on a
/// 640x480 image (best of 30 after 5 warm-ups),
/// and the managed bytes one call allocates, to find where a pipeline's time goes.
/// </summary>
internal static class FaceNets
{
    public static void Run()
    {
        var rng = new Random(1);
        using var face = Tensor.FromArray(Enumerable.Range(0, 160 * 160 * 3).Select(_ => rng.NextSingle() * 255).ToArray(), 1, 160, 160, 3);
        using var lm = new FaceLandmark68Net(FaceApiModels.LoadWeights(FaceApiModel.FaceLandmark68));
        using var rec = new FaceRecognitionNet(FaceApiModels.LoadWeights(FaceApiModel.FaceRecognition));
        using var ex = new FaceExpressionNet(FaceApiModels.LoadWeights(FaceApiModel.FaceExpression));
        using var ag = new AgeGenderNet(FaceApiModels.LoadWeights(FaceApiModel.AgeGender));
        using var tiny = new TinyFaceDetector(FaceApiModels.LoadWeights(FaceApiModel.TinyFaceDetector));
        using var ssd = new SsdMobilenetV1(FaceApiModels.LoadWeights(FaceApiModel.SsdMobilenetV1));
        using var photo = Tensor.FromArray(Enumerable.Range(0, 480 * 640 * 3).Select(_ => rng.NextSingle() * 255).ToArray(), 1, 480, 640, 3);
        Time("landmarks", () => lm.Forward(face));
        Time("recognition", () => rec.Forward(face));
        Time("expressions", () => ex.Forward(face));
        Time("agegender", () => ag.Forward(face));
        Time("tiny-416", () => tiny.Forward(photo, 416).Dispose());
        Time("ssd", () => ssd.Forward(photo));
    }

    private static void Time(string name, Action a)
    {
        for (int i = 0; i < 5; i++) a();
        double best = double.MaxValue;
        for (int i = 0; i < 30; i++) { var sw = Stopwatch.StartNew(); a(); best = Math.Min(best, sw.Elapsed.TotalMilliseconds); }
        long before = GC.GetTotalAllocatedBytes(true);
        a();
        long bytes = GC.GetTotalAllocatedBytes(true) - before;
        Console.WriteLine($"{name} {best:0.000} alloc {bytes / 1024} KB");
    }
}
