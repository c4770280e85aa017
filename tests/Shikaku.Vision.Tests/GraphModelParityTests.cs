using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Shikaku.Models.Human;
using Shikaku.Tensors;
using Xunit.Abstractions;

namespace Shikaku.Tests;

/// <summary>
/// Every human-models graph model on Shikaku's graph runtime against TensorFlow.js 4.22 itself (wasm backend) on the
/// identical input tensor (tests/golden/human-models-3.0.4-wasm.json, written by bench/reference/human from the
/// inputs of <see cref="HumanGoldenInputs"/>): each output within 1e-3 of the output's own scale (its largest
/// magnitude), on all its values or on the golden's evenly spaced sample, and its mean too.
/// </summary>
public sealed class GraphModelParityTests(ITestOutputHelper output)
{
    /// <summary>The tolerance, relative to each output's largest magnitude (the weights are float16 for most models).</summary>
    private const double Tolerance = 1e-3;

    private static readonly Lazy<JsonElement> Golden = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "human-models-3.0.4-wasm.json"))).RootElement);

    public static IEnumerable<object[]> Models() => GraphModels.All.Select(m => new object[] { m.Id });

    private static float Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "NaN" => float.NaN, "Infinity" => float.PositiveInfinity, "-Infinity" => float.NegativeInfinity, var s => float.Parse(s!, System.Globalization.CultureInfo.InvariantCulture) }
        : (float)e.GetDouble();

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryOutputMatchesTensorFlowJs(string id)
    {
        var golden = Golden.Value.GetProperty("models").GetProperty(id);
        using var input = HumanGoldenInputs.Make(id);
        var bytes = input.DType == DType.Int32 ? MemoryMarshal.AsBytes(input.AsSpan<int>()) : MemoryMarshal.AsBytes(input.AsSpan<float>());
        Assert.Equal(golden.GetProperty("input").GetProperty("npy_data_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));

        using var model = GraphModels.Load(id);
        var plan = model.Compile(optimize: true);
        var results = plan.Run(input);
        try
        {
            var expected = golden.GetProperty("outputs").EnumerateArray().ToList();
            Assert.Equal(expected.Count, results.Length);
            foreach (var e in expected)
            {
                string name = e.GetProperty("signature_key").GetString()!;
                // TF.js names a graph's own outputs "node:0"; Shikaku by the node ("node") when the model has no signature.
                static string Bare(string n) => n.EndsWith(":0", StringComparison.Ordinal) ? n[..^2] : n;
                int index = model.Outputs.ToList().FindIndex(o => Bare(o.Name) == Bare(name) || Bare(o.Value) == Bare(e.GetProperty("name").GetString()!));
                Assert.True(index >= 0, $"{id}: no output {name}; Shikaku's are {string.Join(", ", model.Outputs.Select(o => o.Name))}");
                var actual = results[index];
                Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), actual.Shape.ToArray());
                var values = actual.DType == DType.Float32 ? actual.ToArray<float>() : TensorOpsAsFloat(actual);
                var fp = e.GetProperty("fingerprint");
                double scale = Math.Max(Math.Abs(fp.GetProperty("min").GetDouble()), Math.Abs(fp.GetProperty("max").GetDouble()));
                double worst = 0;
                int worstAt = -1;
                void Check(int at, float reference)
                {
                    double d = Math.Abs(values[at] - (double)reference);
                    if (!(d <= worst) || double.IsNaN(values[at])) (worst, worstAt) = (double.IsNaN(values[at]) ? double.PositiveInfinity : d, at);
                }
                if (e.TryGetProperty("values", out var all))
                {
                    int k = 0;
                    foreach (var v in all.EnumerateArray()) Check(k++, Number(v));
                }
                else
                {
                    var sample = e.GetProperty("sample").EnumerateArray().Select(Number).ToArray();
                    long count = values.Length;
                    for (int k = 0; k < sample.Length; k++) Check((int)(k * count / sample.Length), sample[k]);
                }
                double mean = values.Select(v => (double)v).Sum() / values.Length, refMean = fp.GetProperty("sum").GetDouble() / values.Length;
                output.WriteLine($"{id} {name} {actual.Shape}: worst |diff| {worst:g3} at {worstAt} = {worst / Math.Max(scale, 1e-30):g3} of scale {scale:g3}; mean {mean:g6} vs {refMean:g6}");
                Assert.True(worst <= Tolerance * scale, $"{id} {name}: value {worstAt} is {values[Math.Max(worstAt, 0)]} off by {worst:g3} (scale {scale:g3}, tolerance {Tolerance * scale:g3}).");
                Assert.True(Math.Abs(mean - refMean) <= Tolerance * scale, $"{id} {name}: mean {mean} vs TF.js {refMean} (scale {scale:g3}).");
            }
        }
        finally
        {
            foreach (var r in results) r.Dispose();
        }
    }

    private static float[] TensorOpsAsFloat(Tensor t)
    {
        using var f = Kernels.TensorOps.Cast(t, DType.Float32);
        return f.ToArray<float>();
    }
}
