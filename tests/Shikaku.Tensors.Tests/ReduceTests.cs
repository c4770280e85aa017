using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

/// <summary>Reductions and argmax/argmin against nested loops over multi-indices, over random shapes and axis sets (seeded).</summary>
public class ReduceTests
{
    [Fact]
    public void ReductionsOverAnySetOfAxesMatchNestedLoops()
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 30, count: 450, DType.Float32, DType.Int32, DType.Int64))
        {
            var dims = Naive.Shape(rng, maxRank: 6, maxDim: 5);
            int rank = dims.Length;
            int[]? axes = rng.Next(6) == 0 ? null : Enumerable.Range(0, rank).Where(_ => rng.Next(2) == 0).Select(a => rng.Next(2) == 0 ? a : a - rank).ToArray();
            var reduced = Enumerable.Range(0, rank).Select(d => axes is null || axes.Contains(d) || axes.Contains(d - rank)).ToArray();
            bool keepDims = rng.Next(2) == 0;
            using var x = Naive.Random(rng, dtype, dims);
            var xv = Naive.Values(x);
            var kept = dims.Select((d, i) => reduced[i] ? 1 : d).ToArray();
            var groups = new List<double>[kept.Aggregate(1, (a, b) => a * b)];
            for (int g = 0; g < groups.Length; g++) groups[g] = [];
            foreach (var i in Naive.Indices(dims)) groups[Naive.Flat(i.Select((v, d) => reduced[d] ? 0 : v).ToArray(), kept)].Add(xv[Naive.Flat(i, dims)]);
            var outDims = Enumerable.Range(0, rank).Where(d => keepDims || !reduced[d]).Select(d => kept[d]).ToArray();
            (Reduction R, Func<List<double>, double> F)[] cases =
            [
                (Reduction.Sum, g => g.Sum()), (Reduction.Max, g => g.Max()), (Reduction.Min, g => g.Min()),
                (Reduction.Mean, g => dtype == DType.Float32 ? g.Sum() / g.Count : Math.Truncate(g.Sum() / g.Count)),
                (Reduction.Prod, g => g.Aggregate(1.0, (a, b) => a * b)),
            ];
            foreach (var (reduction, f) in cases)
            {
                if (reduction == Reduction.Prod && groups[0].Count > 8) continue; // 9^8 still fits an int32
                using var y = TensorOps.Reduce(x, reduction, axes, keepDims);
                Assert.Equal(new Shape(outDims), y.Shape);
                var got = Naive.Values(y);
                for (int g = 0; g < groups.Length; g++)
                {
                    double want = f(groups[g]);
                    double scale = reduction == Reduction.Prod ? Math.Abs(want) : groups[g].Sum(Math.Abs);
                    double tolerance = dtype == DType.Float32 ? 1e-5 * Math.Max(1, scale) : 0;
                    Assert.True(Math.Abs(got[g] - want) <= tolerance, $"{reduction} of {Shape(dims)} over ({string.Join(", ", axes ?? [])}): {got[g]}, expected {want}");
                }
            }
        }
    }

    [Fact]
    public void EmptyReductionsGiveTheIdentityAndBadAxesAreNamed()
    {
        using var empty = Tensor.Zeros(2, 0);
        using (var s = TensorOps.Sum(empty, [1])) Assert.Equal([0f, 0f], s.ToArray());
        using (var m = TensorOps.Max(empty, [1])) Assert.Equal([float.NegativeInfinity, float.NegativeInfinity], m.ToArray());
        using (var p = TensorOps.Prod(empty, [1])) Assert.Equal([1f, 1f], p.ToArray());
        using var x = Tensor.Zeros(2, 3);
        using (var none = TensorOps.Sum(x, [])) Assert.Equal(new Shape(2, 3), none.Shape);
        Assert.Contains("axis 2 does not exist", Assert.Throws<ArgumentOutOfRangeException>(() => TensorOps.Sum(x, [2])).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => TensorOps.Sum(x, [1, -1])).Message);
        Assert.Contains("bool", Assert.Throws<ArgumentException>(() => TensorOps.Sum(Tensor.FromBool([true], 1))).Message);
    }

    [Fact]
    public void ArgMaxAndArgMinPointToTheFirstExtremeAlongTheAxis()
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 50, count: 300, DType.Float32, DType.Int32, DType.UInt8))
        {
            var dims = Naive.Shape(rng, maxRank: 5, maxDim: 5);
            if (dims.Length == 0) dims = [5];
            int axis = rng.Next(dims.Length);
            var indexType = rng.Next(2) == 0 ? DType.Int32 : DType.Int64;
            using var x = Naive.Random(rng, dtype, dims);
            var xv = Naive.Values(x);
            var outDims = dims.Where((_, d) => d != axis).ToArray();
            foreach (bool largest in new[] { true, false })
            {
                using var y = largest ? TensorOps.ArgMax(x, axis, indexType) : TensorOps.ArgMin(x, axis - dims.Length, indexType);
                Assert.Equal(indexType, y.DType);
                Assert.Equal(new Shape(outDims), y.Shape);
                var got = Naive.Values(y);
                foreach (var o in Naive.Indices(outDims))
                {
                    int best = 0;
                    double bestValue = double.NaN;
                    for (int k = 0; k < dims[axis]; k++)
                    {
                        var i = o[..axis].Append(k).Concat(o[axis..]).ToArray();
                        double v = xv[Naive.Flat(i, dims)];
                        if (k == 0 || (largest ? v > bestValue : v < bestValue)) (best, bestValue) = (k, v);
                    }
                    Assert.Equal(best, got[Naive.Flat(o, outDims)]);
                }
            }
        }
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => TensorOps.ArgMax(Tensor.Zeros(2, 0))).Message);
    }

    private static string Shape(int[] dims) => "(" + string.Join(", ", dims) + ")";
}
