using Shikaku.Tensors;
using static Shikaku.Graph.Tests.TfOps.TfGraph;

namespace Shikaku.Graph.Tests.TfOps;

/// <summary>Reductions, ArgMax and TopKV2 against naive references.</summary>
public class TfReductionTests
{
    public static TheoryData<string, DType> Cases() => new()
    {
        { "Sum", DType.Float32 }, { "Sum", DType.Int32 }, { "Mean", DType.Float32 }, { "Mean", DType.Int32 }, { "Max", DType.Float32 },
        { "Max", DType.Int64 }, { "Min", DType.Float32 }, { "Prod", DType.Float32 }, { "Prod", DType.Int32 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReductionsOverAnyAxes(string op, DType dtype)
    {
        var rng = new Random(op.Length * 17 + (int)dtype);
        for (int trial = 0; trial < 12; trial++)
        {
            var shape = Shapes.Random(rng, 1, 4);
            var x = Nd.Random(rng, dtype, shape);
            if (op == "Prod") x = x with { Data = x.Data.Select(v => dtype == DType.Float32 ? 0.75 + v / 8 : Math.Clamp(v, -1, 1)).Select(v => (double)(float)v).ToArray() };
            var axes = Enumerable.Range(0, shape.Length).Where(_ => rng.Next(2) == 0).ToArray();
            bool keep = rng.Next(2) == 0;
            var outShape = shape.Select((d, i) => axes.Contains(i) ? (keep ? 1 : -1) : d).Where(d => d >= 0).ToArray();
            var expected = Nd.Build(outShape, o =>
            {
                var values = Nd.Indices(shape).Where(i =>
                {
                    for (int d = 0, k = 0; d < shape.Length; d++)
                    {
                        bool reduced = axes.Contains(d);
                        if (!reduced && i[d] != o[k]) return false;
                        if (!reduced || keep) k++;
                    }
                    return true;
                }).Select(i => x[i]).ToList();
                double r = op switch
                {
                    "Sum" => values.Sum(),
                    "Mean" => dtype == DType.Float32 ? values.Average() : Math.Truncate(values.Sum() / values.Count),
                    "Max" => values.Max(),
                    "Min" => values.Min(),
                    _ => values.Aggregate(1.0, (a, b) => a * b),
                };
                return r;
            }, dtype);
            // Axes given negative half of the time; as a constant, or computed by the graph.
            var given = Nd.Vector(axes.Select(a => trial % 2 == 0 ? a : a - shape.Length).ToArray());
            Same(expected, Run(op, new() { ["keep_dims"] = keep }, F(x), trial % 3 == 0 ? F(given) : C(given)), 1e-5);
        }
    }

    [Fact]
    public void MeanOfTheSpatialAxesIsGlobalAveragePoolingEitherWay()
    {
        var x = Nd.Random(new Random(1), DType.Float32, 2, 5, 3, 4);
        var expected = Nd.Build([2, 4], o => Enumerable.Range(0, 15).Average(k => x[o[0], k / 3, k % 3, o[1]]));
        Same(expected, Run("Mean", null, F(x), C(Nd.Vector(1, 2))));
        Same(expected with { Shape = [2, 1, 1, 4] }, Run("Mean", new() { ["keep_dims"] = true }, F(x), C(Nd.Vector(-3, -2))));
        // A scalar axis, as TF allows.
        Same(Nd.Build([2, 3, 4], o => Enumerable.Range(0, 5).Average(k => x[o[0], k, o[1], o[2]])), Run("Mean", null, F(x), C(Nd.Scalar(1))));
        Assert.Contains("named twice", Fails("Sum", null, F(x), C(Nd.Vector(1, -3))).Message);
    }

    [Theory]
    [InlineData("ArgMax", "DT_INT32")]
    [InlineData("ArgMax", "DT_INT64")]
    [InlineData("ArgMin", "DT_INT32")]
    public void ArgMaxPointsAtTheFirstExtreme(string op, string type)
    {
        var rng = new Random(2);
        for (int trial = 0; trial < 8; trial++)
        {
            var shape = Shapes.Random(rng, 1, 4);
            var x = Nd.Random(rng, trial % 2 == 0 ? DType.Float32 : DType.Int32, shape);
            if (trial % 2 == 1) x = x with { Data = x.Data.Select(v => Math.Round(v / 4)).ToArray() }; // ties
            int axis = rng.Next(shape.Length);
            var expected = Nd.Build(shape.Where((_, d) => d != axis).ToArray(), o =>
            {
                var idx = o.ToList();
                idx.Insert(axis, 0);
                int best = 0;
                for (int k = 1; k < shape[axis]; k++)
                {
                    idx[axis] = k;
                    double v = x[[.. idx]];
                    idx[axis] = best;
                    if (op == "ArgMax" ? v > x[[.. idx]] : v < x[[.. idx]]) best = k;
                }
                return best;
            }, type == "DT_INT32" ? DType.Int32 : DType.Int64);
            Same(expected, Run(op, new() { ["output_type"] = type }, F(x), C(Nd.Scalar(axis - shape.Length * (trial % 2)))));
        }
    }

    [Fact]
    public void TopKGivesTheLargestFirstWithTheirIndicesTiesInOrder()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 10; trial++)
        {
            var shape = Shapes.Random(rng, 1, 3, 6);
            var x = Nd.Random(rng, trial % 3 == 0 ? DType.Int32 : DType.Float32, shape);
            if (trial % 2 == 0) x = x with { Data = x.Data.Select(v => Math.Round(v)).ToArray() }; // many ties
            int n = shape[^1], k = rng.Next(n + 1), rows = x.Data.Length / n;
            var order = Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, n).OrderByDescending(i => x.Data[r * n + i]).ThenBy(i => i).Take(k).ToArray()).ToArray();
            var outShape = shape[..^1].Append(k).ToArray();
            var values = new Nd(outShape, order.SelectMany((o, r) => o.Select(i => x.Data[r * n + i])).ToArray(), x.DType);
            var indices = new Nd(outShape, order.SelectMany(o => o.Select(i => (double)i)).ToArray(), DType.Int32);
            var got = RunAll("TopKV2", new() { ["sorted"] = true }, 2, F(x), trial % 2 == 0 ? C(Nd.Scalar(k)) : F(Nd.Scalar(k)));
            Same(values, got[0]);
            Same(indices, got[1]);
        }
        Assert.Contains("k = 4", Fails("TopKV2", null, F(Nd.Floats([3], 1, 2, 3)), C(Nd.Scalar(4))).Message);
    }

    [Fact]
    public void TopKOverLongRowsWithTiesAndNaNsKeepsTFsOrder()
    {
        // Long rows are scanned a vector at a time against the worst kept value: ties (the earlier index first), NaNs
        // (below every number, so a row of NaNs still yields NaNs in index order) and runs below the kept values.
        var rng = new Random(5);
        foreach (var (n, k) in new[] { (203, 1), (203, 7), (203, 100), (64, 64), (40, 40) })
        {
            var data = Enumerable.Range(0, 2 * n).Select(_ => (double)rng.Next(-4, 5)).ToArray();
            for (int i = 3; i < data.Length; i += 11) data[i] = double.NaN;
            if (n == 40) Array.Fill(data, double.NaN, 0, 30);
            var order = Enumerable.Range(0, 2).Select(r => Enumerable.Range(0, n).OrderByDescending(i => data[r * n + i]).ThenBy(i => i).Take(k).ToArray()).ToArray();
            var got = RunAll("TopKV2", null, 2, F(new Nd([2, n], data)), C(Nd.Scalar(k)));
            Assert.Equal(order.SelectMany(o => o.Select(i => (double)i)), got[1].Data);
            Assert.Equal(order.SelectMany((o, r) => o.Select(i => data[r * n + i])), got[0].Data);
        }
    }

    [Fact]
    public void TopKOfCenternetsHeatmapSizeFindsThePeaks()
    {
        // centernet: the 100 best of 128 x 128 x 80 scores, flattened.
        var rng = new Random(4);
        int n = 128 * 128 * 80;
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = (float)(rng.NextDouble() * 0.5);
        var peaks = Enumerable.Range(0, 100).Select(_ => rng.Next(n)).Distinct().ToArray();
        foreach (int p in peaks) data[p] = (float)(0.6 + rng.NextDouble() * 0.4);
        var got = RunAll("TopKV2", null, 2, F(new Nd([1, n], data)), C(Nd.Scalar(peaks.Length)));
        var expected = peaks.OrderByDescending(p => data[p]).ThenBy(p => p).ToArray();
        Assert.Equal(expected.Select(p => (double)p), got[1].Data);
    }
}
