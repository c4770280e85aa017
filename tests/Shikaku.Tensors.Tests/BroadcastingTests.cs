using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

/// <summary>Broadcasting elementwise operations against nested loops over multi-indices, over random shapes (seeded).</summary>
public class BroadcastingTests
{
    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> Naive)[] Binaries =
    [
        ("Add", TensorOps.Add, (a, b) => a + b),
        ("Subtract", TensorOps.Subtract, (a, b) => a - b),
        ("Multiply", TensorOps.Multiply, (a, b) => a * b),
        ("Maximum", TensorOps.Maximum, Math.Max),
        ("Minimum", TensorOps.Minimum, Math.Min),
        // The difference is rounded to float32 before it is squared, as the kernel does (exact for the small integers used).
        ("SquaredDifference", TensorOps.SquaredDifference, (a, b) => (double)(float)(a - b) * (float)(a - b)),
    ];

    /// <summary>The naive result of a binary operation: each output multi-index reads its broadcast elements.</summary>
    private static double[] NaiveBinary(double[] a, int[] sa, double[] b, int[] sb, int[] so, Func<double, double, double> op) =>
        Naive.Indices(so).Select(i => op(a[Naive.BroadcastFlat(i, sa)], b[Naive.BroadcastFlat(i, sb)])).ToArray();

    [Fact]
    public void BinaryOperationsMatchNestedLoopsOverRandomBroadcastPatterns()
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 12, count: 450, DType.Float32, DType.Int32, DType.Int64))
        {
            var out_ = Naive.Shape(rng);
            var sa = rng.Next(4) == 0 ? out_ : Naive.BroadcastPartner(rng, out_);
            var sb = rng.Next(4) == 0 ? out_ : Naive.BroadcastPartner(rng, out_);
            if (rng.Next(2) == 0) (sa, sb) = (sb, sa);
            using var a = Naive.Random(rng, dtype, sa);
            using var b = Naive.Random(rng, dtype, sb);
            var so = Naive.BroadcastShape(sa, sb)!;
            foreach (var (name, op, naive) in Binaries)
            {
                using var y = op(a, b);
                Assert.Equal(dtype, y.DType);
                Assert.Equal(new Shape(so), y.Shape);
                var expected = NaiveBinary(Naive.Values(a), sa, Naive.Values(b), sb, so, naive);
                // Float32: the same single operation per element, so equal to the last bit.
                if (dtype == DType.Float32) expected = expected.Select(v => (double)(float)v).ToArray();
                Assert.True(expected.SequenceEqual(Naive.Values(y)), $"{name} {Shape(sa)} with {Shape(sb)} ({dtype})");
            }
        }
    }

    [Fact]
    public void TheVectorisedPathsAgreeWithTheGeneralWalk()
    {
        // Same shape, a scalar on either side, per-channel-last, and a middle axis broadcast: long enough to use vectors.
        var rng = new Random(5);
        int[][][] patterns =
        [
            [[2, 17, 33], [2, 17, 33]], [[2, 17, 33], []], [[1], [2, 17, 33]], [[4, 9, 9, 35], [35]],
            [[4, 9, 9, 35], [1, 9, 1, 35]], [[6, 1, 40], [6, 5, 40]], [[3, 1], [1, 70]],
        ];
        foreach (var p in patterns)
        {
            using var a = Naive.Random(rng, DType.Float32, p[0]);
            using var b = Naive.Random(rng, DType.Float32, p[1]);
            var so = Naive.BroadcastShape(p[0], p[1])!;
            foreach (var (name, op, naive) in Binaries)
            {
                using var y = op(a, b);
                var expected = NaiveBinary(Naive.Values(a), p[0], Naive.Values(b), p[1], so, naive).Select(v => (float)v).ToArray();
                Assert.True(expected.SequenceEqual(y.ToArray()), $"{name} {Shape(p[0])} with {Shape(p[1])}");
            }
            using var q = TensorOps.Divide(a, b);
            var div = NaiveBinary(Naive.Values(a), p[0], Naive.Values(b), p[1], so, (x, z) => (float)x / (float)z);
            Assert.Equal(div.Select(v => (float)v), q.ToArray());
        }
    }

    [Fact]
    public void DivideAndPowFollowTheirDefinitionsPerDtype()
    {
        using var a = Tensor.FromInt32([7, -7, 7, -7, 0], 5);
        using var b = Tensor.FromInt32([2, 2, -2, -2, 3], 5);
        using (var q = TensorOps.Divide(a, b)) Assert.Equal([3, -3, -3, 3, 0], q.ToArray<int>()); // truncation toward zero
        using var zero = Tensor.FromInt32([0], 1);
        Assert.Contains("division by zero", Assert.Throws<ArgumentException>(() => TensorOps.Divide(a, zero)).Message);
        using (var f = TensorOps.Divide(Tensor.FromArray([1f, -1f], 2), Tensor.FromArray([0f], 1)))
            Assert.Equal([float.PositiveInfinity, float.NegativeInfinity], f.ToArray());

        using var e = Tensor.FromInt64([0, 1, 2, 3, 10], 5);
        using (var p = TensorOps.Pow(Tensor.FromInt64([3], 1), e)) Assert.Equal([1L, 3, 9, 27, 59049], p.ToArray<long>());
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => TensorOps.Pow(e, Tensor.FromInt64([-1], 1))).Message);
        var rng = new Random(3);
        using var x = Naive.Random(rng, DType.Float32, [3, 4]);
        using var y = Naive.Random(rng, DType.Float32, [4]);
        using var r = TensorOps.Pow(x, y);
        var expected = NaiveBinary(Naive.Values(x), [3, 4], Naive.Values(y), [4], [3, 4], (u, v) => MathF.Pow((float)u, (float)v));
        Assert.Equal(expected.Select(v => (float)v), r.ToArray());
    }

    [Fact]
    public void IncompatibleShapesAndMixedDtypesAreClearErrors()
    {
        using var a = Tensor.Zeros(2, 3, 4);
        using var b = Tensor.Zeros(2, 5, 4);
        var e = Assert.Throws<ArgumentException>(() => TensorOps.Add(a, b));
        Assert.Contains("(2, 3, 4)", e.Message);
        Assert.Contains("(2, 5, 4)", e.Message);
        Assert.Contains("3 meets 5", e.Message);
        using var i = Tensor.FromInt32([1, 2, 3, 4], 4);
        var mixed = Assert.Throws<ArgumentException>(() => TensorOps.Multiply(a, i));
        Assert.Contains("int32", mixed.Message);
        Assert.Contains("Cast", mixed.Message);
        using var m = Tensor.FromBool([true], 1);
        Assert.Contains("bool", Assert.Throws<ArgumentException>(() => TensorOps.Add(m, m)).Message);
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => TensorOps.Exp(i)).Message);
    }

    [Fact]
    public void BroadcastShapeFollowsNumPy()
    {
        Assert.Equal(new Shape(8, 5, 3), Broadcasting.Shape(new Shape(8, 1, 3), new Shape(5, 3)));
        Assert.Equal(new Shape(2, 0), Broadcasting.Shape(new Shape(2, 1), new Shape(0)));
        Assert.Equal(new Shape(4), Broadcasting.Shape(new Shape(), new Shape(4)));
        using var empty = TensorOps.Add(Tensor.Zeros(2, 1), Tensor.Zeros(0));
        Assert.Equal(new Shape(2, 0), empty.Shape);
    }

    [Fact]
    public void UnaryOperationsMatchTheirFormulas()
    {
        var rng = new Random(21);
        float[] special = [0f, -0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3f, 1e-3f];
        var values = special.Concat(Enumerable.Range(0, 990).Select(_ => (float)(rng.NextDouble() * 20 - 10))).ToArray();
        using var x = Tensor.FromArray(values, 10, 100);
        using var pos = Tensor.FromArray(values.Select(v => Math.Abs(v) + 0.01f).ToArray(), 10, 100);
        (Func<Tensor, Tensor> Op, Func<float, double> F, bool Positive, double Tolerance)[] cases =
        [
            (TensorOps.Negate, v => -v, false, 0),
            (TensorOps.Abs, v => Math.Abs(v), false, 0),
            (TensorOps.Square, v => v * v, false, 0),
            (TensorOps.Floor, v => Math.Floor(v), false, 0),
            (TensorOps.Ceil, v => Math.Ceiling(v), false, 0),
            (TensorOps.Round, v => Math.Round(v, MidpointRounding.ToEven), false, 0),
            (TensorOps.Exp, v => Math.Exp(v), false, 2e-7),
            (TensorOps.Log, v => Math.Log(v), true, 2e-7),
            (TensorOps.Sqrt, v => Math.Sqrt(v), true, 2e-7),
            (TensorOps.Rsqrt, v => 1 / Math.Sqrt(v), true, 3e-7),
            (TensorOps.Reciprocal, v => 1.0 / v, true, 2e-7),
        ];
        foreach (var (op, f, positive, tolerance) in cases)
        {
            var input = positive ? pos : x;
            using var y = op(input);
            var got = y.ToArray();
            var src = input.ToArray();
            for (int i = 0; i < got.Length; i++)
            {
                double want = f(src[i]);
                Assert.True(Math.Abs(got[i] - want) <= tolerance * Math.Max(1, Math.Abs(want)), $"{op.Method.Name}({src[i]}) = {got[i]}, expected {want}");
            }
        }
        using var rounded = TensorOps.Round(Tensor.FromArray([0.5f, 1.5f, 2.5f, -0.5f, -2.5f], 5));
        Assert.Equal([0f, 2f, 2f, -0f, -2f], rounded.ToArray());
        using var ints = Tensor.FromInt32([int.MinValue, -3, 0, 4], 4);
        using (var n = TensorOps.Negate(ints)) Assert.Equal([int.MinValue, 3, 0, -4], n.ToArray<int>());
        using (var a = TensorOps.Abs(ints)) Assert.Equal([int.MinValue, 3, 0, 4], a.ToArray<int>());
        using (var s = TensorOps.Square(Tensor.FromInt64([-3, 5], 2))) Assert.Equal([9L, 25], s.ToArray<long>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    [InlineData(DType.UInt8)]
    [InlineData(DType.Bool)]
    public void ComparisonsAndWhereMatchNestedLoops(DType dtype)
    {
        var rng = new Random(40 + (int)dtype);
        (Comparison C, Func<double, double, bool> F)[] comparisons =
        [
            (Comparison.Equal, (a, b) => a == b), (Comparison.NotEqual, (a, b) => a != b), (Comparison.Greater, (a, b) => a > b),
            (Comparison.GreaterEqual, (a, b) => a >= b), (Comparison.Less, (a, b) => a < b), (Comparison.LessEqual, (a, b) => a <= b),
        ];
        for (int trial = 0; trial < 60; trial++)
        {
            var so = Naive.Shape(rng);
            var sa = Naive.BroadcastPartner(rng, so);
            var sb = Naive.BroadcastPartner(rng, so);
            var sc = Naive.BroadcastPartner(rng, so);
            using var a = Naive.Random(rng, dtype, sa);
            using var b = dtype == DType.Float32 && rng.Next(2) == 0 ? TensorOps.Round(Naive.Random(rng, dtype, sb)) : Naive.Random(rng, dtype, sb);
            using var c = Naive.Random(rng, DType.Bool, sc);
            var ab = Naive.BroadcastShape(sa, sb)!;
            foreach (var (comparison, f) in comparisons)
            {
                using var y = TensorOps.Compare(a, b, comparison);
                Assert.Equal(DType.Bool, y.DType);
                var expected = NaiveBinary(Naive.Values(a), sa, Naive.Values(b), sb, ab, (u, v) => f(u, v) ? 1 : 0);
                Assert.True(expected.SequenceEqual(Naive.Values(y)), $"{comparison} {Shape(sa)} {Shape(sb)} {dtype}");
            }
            var all = Naive.BroadcastShape(Naive.BroadcastShape(sc, sa)!, sb)!;
            using var w = TensorOps.Where(c, a, b);
            var cv = Naive.Values(c);
            var av = Naive.Values(a);
            var bv = Naive.Values(b);
            var want = Naive.Indices(all).Select(i => cv[Naive.BroadcastFlat(i, sc)] != 0 ? av[Naive.BroadcastFlat(i, sa)] : bv[Naive.BroadcastFlat(i, sb)]).ToArray();
            Assert.Equal(new Shape(all), w.Shape);
            Assert.True(want.SequenceEqual(Naive.Values(w)), $"Where {Shape(sc)} {Shape(sa)} {Shape(sb)} {dtype}");
        }
    }

    [Fact]
    public void NaNComparesUnequalAndWhereNeedsABoolCondition()
    {
        using var x = Tensor.FromArray([float.NaN, 1f], 2);
        using (var eq = TensorOps.Compare(x, x, Comparison.Equal)) Assert.Equal([false, true], eq.ToArray<bool>());
        using (var ne = TensorOps.Compare(x, x, Comparison.NotEqual)) Assert.Equal([true, false], ne.ToArray<bool>());
        Assert.Contains("bool", Assert.Throws<ArgumentException>(() => TensorOps.Where(x, x, x)).Message);
    }

    [Fact]
    public void LongContiguousRunsCompareAsTheOperatorsDoNaNsIncluded()
    {
        // Same-shape float32 and int32 operands run eight at a time; lengths that are not a multiple of 8, equal values and
        // NaNs on either side (NaN is unequal to everything and neither above nor below) must come out as C#'s operators say.
        var rng = new Random(77);
        foreach (int length in new[] { 8, 19, 203 })
        {
            var a = Enumerable.Range(0, length).Select(_ => (float)rng.Next(-3, 4)).ToArray();
            var b = a.Select(v => rng.Next(3) == 0 ? v : (float)rng.Next(-3, 4)).ToArray();
            for (int i = 0; i < length; i += 5) (i % 2 == 0 ? a : b)[i] = float.NaN;
            using var ta = Tensor.FromArray(a, 1, length);
            using var tb = Tensor.FromArray(b, 1, length);
            using var ia = Tensor.From<int>(a.Select(v => float.IsNaN(v) ? 9 : (int)v).ToArray(), 1, length);
            using var ib = Tensor.From<int>(b.Select(v => float.IsNaN(v) ? -9 : (int)v).ToArray(), 1, length);
            (Comparison C, Func<float, float, bool> F)[] comparisons =
            [
                (Comparison.Equal, (u, v) => u == v), (Comparison.NotEqual, (u, v) => u != v), (Comparison.Greater, (u, v) => u > v),
                (Comparison.GreaterEqual, (u, v) => u >= v), (Comparison.Less, (u, v) => u < v), (Comparison.LessEqual, (u, v) => u <= v),
            ];
            foreach (var (comparison, f) in comparisons)
            {
                using var y = TensorOps.Compare(ta, tb, comparison);
                Assert.Equal(a.Zip(b, f).ToArray(), y.ToArray<bool>());
                using var yi = TensorOps.Compare(ia, ib, comparison);
                Assert.Equal(ia.ToArray<int>().Zip(ib.ToArray<int>(), (u, v) => f(u, v)).ToArray(), yi.ToArray<bool>());
            }
        }
    }

    private static string Shape(int[] dims) => "(" + string.Join(", ", dims) + ")";
}
