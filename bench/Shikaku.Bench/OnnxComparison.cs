using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Shikaku.Datasets;
using Shikaku.NN;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Bench;

/// <summary>
/// Predicting the 10,000 MNIST test images with a trained run, in Shikaku and in ONNX Runtime running
/// the same network and weights (exported by bench/reference/export_onnx.py), same batches and threads.
/// </summary>
internal static class OnnxComparison
{
    public static void Run(string runFolder, string onnxPath, Action<string, double, string, string> emit)
    {
        var (_, test) = KnownDatasets.Load("mnist");
        var model = Sequential.Load(runFolder);
        const int batch = 1000;
        var all = Enumerable.Range(0, test.Count).ToArray();
        var (x, _) = test.Batch(all);
        using (x)
        {
            var input = x.ToArray();
            using var options = new SessionOptions { IntraOpNumThreads = Shikaku.Kernels.Engine.Threads, InterOpNumThreads = 1 };
            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
            // By default ORT's worker threads spin-wait after each run; on 2 cores that takes the CPU from whatever
            // runs next (here Shikaku, timed alternately with it). Measured: ORT itself is no slower without it.
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            using var session = new InferenceSession(onnxPath, options);
            var ortOut = new float[test.Count * 10];
            void RunOrt()
            {
                for (int s = 0; s < test.Count; s += batch)
                {
                    var t = new DenseTensor<float>(input.AsMemory(s * 784, batch * 784), [batch, 28, 28, 1]);
                    using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", t)]);
                    results[0].AsTensor<float>().ToArray().CopyTo(ortOut, s * 10);
                }
            }
            // Both sides start from the same float tensors, made before the clock starts: ORT gets views of
            // `input`, Shikaku the same batches as tensors (Predict(dataset) would also time turning the
            // dataset's bytes into floats, which ORT is not asked to do; that part is timed on its own below).
            var batches = Enumerable.Range(0, test.Count / batch)
                .Select(b => Tensor.FromArray(input.AsSpan(b * batch * 784, batch * 784).ToArray(), batch, 28, 28, 1)).ToArray();
            float[] ours = new float[test.Count * 10];
            void RunOurs()
            {
                for (int b = 0; b < batches.Length; b++)
                {
                    using var p = model.Predict(batches[b]);
                    p.Span.CopyTo(ours.AsSpan(b * batch * 10));
                }
            }
            void RunOursFromDataset()
            {
                using var p = model.Predict(test, batch);
            }
            var (ortSeconds, ourSeconds) = BestAlternating(RunOrt, RunOurs);
            emit("seconds to predict 10,000 test images (batches of 1000)", ourSeconds, "shikaku", "s");
            emit("seconds to predict 10,000 test images (batches of 1000)", ortSeconds, "onnxruntime", "s");
            var (fromDataset, _) = BestAlternating(RunOursFromDataset, () => { });
            emit("seconds to predict 10,000 test images from the dataset's bytes (Predict(dataset))", fromDataset, "shikaku", "s");
            foreach (var t in batches) t.Dispose();
            double maxDiff = 0;
            int agree = 0;
            for (int i = 0; i < test.Count; i++)
            {
                for (int j = 0; j < 10; j++) maxDiff = Math.Max(maxDiff, Math.Abs(ours[i * 10 + j] - ortOut[i * 10 + j]));
                if (ArgMax(ours.AsSpan(i * 10, 10)) == ArgMax(ortOut.AsSpan(i * 10, 10))) agree++;
            }
            emit("largest probability difference", maxDiff, "shikaku", "");
            emit("test images where both predict the same class", agree, "shikaku", "");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    /// <summary>
    /// Best time of each of two actions, run alternately (after warm-up runs that let the JIT reach its
    /// final code) so that drift of the machine's speed falls on both.
    /// </summary>
    private static (double First, double Second) BestAlternating(Action first, Action second, int rounds = 6)
    {
        for (int i = 0; i < 3; i++)
        {
            first();
            second();
        }
        double a = double.MaxValue, b = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            first();
            a = Math.Min(a, sw.Elapsed.TotalSeconds);
            sw.Restart();
            second();
            b = Math.Min(b, sw.Elapsed.TotalSeconds);
        }
        return (a, b);
    }
}
