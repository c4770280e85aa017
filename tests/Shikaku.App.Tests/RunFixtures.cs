using Shikaku.Vision.Imaging;

namespace Shikaku.App.Tests;

/// <summary>Run folders and digit photos for the tests of evaluate and predict (linked into the CLI's tests too).</summary>
internal static class RunFixtures
{
    /// <summary>An untrained MLP saved as a run folder: enough to exercise evaluate/predict's file handling.</summary>
    public static string UntrainedRun(string dir)
    {
        string run = Path.Combine(dir, "untrained");
        NN.Models.Create("mlp", 1).Save(run);
        return run;
    }

    /// <summary>A 64x64 photo of a "1", dark on light.</summary>
    public static string Digit(string dir, string name)
    {
        var px = Enumerable.Repeat((byte)230, 64 * 64).ToArray();
        for (int y = 12; y < 52; y++)
            for (int x = 28; x < 36; x++) px[y * 64 + x] = 20;
        string path = Path.Combine(dir, name);
        ImageCodec.Save(new Image(64, 64, 1, px), path);
        return path;
    }
}
