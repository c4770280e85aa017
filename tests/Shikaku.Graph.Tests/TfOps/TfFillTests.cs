using Shikaku.Tensors;
using static Shikaku.Graph.Tests.TfOps.TfGraph;

namespace Shikaku.Graph.Tests.TfOps;

/// <summary>Fill, Range, SparseToDense, Tile, the pads and Transpose against naive references, and their hostile sizes.</summary>
public class TfFillTests
{
    [Fact]
    public void FillRepeatsAScalarOfAnyDtype()
    {
        Same(Nd.Build([2, 0, 3], _ => 7, DType.Int32), Run("Fill", null, F(Nd.Vector(2, 0, 3)), F(Nd.Scalar(7))));
        Same(Nd.Build([3, 2], _ => 2.5), Run("Fill", null, C(Nd.Vector(3, 2)), F(Nd.Floats([], 2.5))));
        Same(Nd.Floats([], -1), Run("Fill", null, C(Nd.Ints([0])), F(Nd.Floats([], -1))));
        Same(Nd.Build([4], _ => 1, DType.Bool), Run("Fill", null, C(Nd.Longs([1], 4)), F(new Nd([], [1], DType.Bool))));
    }

    [Fact]
    public void RangeStepsTowardsTheLimit()
    {
        Same(Nd.Ints([4], 0, 3, 6, 9), Run("Range", null, F(Nd.Scalar(0)), F(Nd.Scalar(10)), F(Nd.Scalar(3))));
        Same(Nd.Ints([3], 5, 3, 1), Run("Range", null, F(Nd.Scalar(5)), F(Nd.Scalar(0)), F(Nd.Scalar(-2))));
        Same(Nd.Longs([0]), Run("Range", null, F(Nd.Longs([], 4)), F(Nd.Longs([], 4)), F(Nd.Longs([], 1))));
        // Float ranges accumulate in float32, as TF and TF.js do.
        var expected = new List<double>();
        for (float v = 0.1f, i = 0; i < 10; i++, v += 0.3f) expected.Add(v);
        Same(Nd.Floats([10], [.. expected]), Run("Range", null, F(Nd.Floats([], 0.1f)), F(Nd.Floats([], 3.05f)), F(Nd.Floats([], 0.3f))), 0);
        Assert.Contains("delta is 0", Fails("Range", null, F(Nd.Scalar(0)), F(Nd.Scalar(3)), F(Nd.Scalar(0))).Message);
        Assert.Contains("away from the limit", Fails("Range", null, F(Nd.Scalar(5)), F(Nd.Scalar(3)), F(Nd.Scalar(1))).Message);
    }

    [Fact]
    public void SparseToDenseScattersValuesOverADefault()
    {
        var rng = new Random(1);
        var shape = new[] { 3, 4, 2 };
        var flat = Enumerable.Range(0, 24).Where(_ => rng.Next(3) == 0).ToArray();
        var idx = Nd.Build([flat.Length, 3], i => flat[i[0]] / Nd.Strides(shape)[i[1]] % shape[i[1]], DType.Int64);
        var values = Nd.Build([flat.Length], i => 10 + i[0], DType.Int64);
        var expected = Nd.Build(shape, i => Array.IndexOf(flat, i[0] * 8 + i[1] * 2 + i[2]) is var k and >= 0 ? 10 + k : -1, DType.Int64);
        Same(expected, Run("SparseToDense", null, F(idx), C(Nd.Vector(shape)), F(values), F(Nd.Longs([], -1))));
        // One value for every index, indices as a vector into a 1-D result.
        Same(Nd.Floats([5], 0, 9, 0, 9, 0), Run("SparseToDense", null, F(Nd.Vector(1, 3)), C(Nd.Vector(5)), F(Nd.Floats([], 9)), F(Nd.Floats([], 0))));
        // nanodet: no indices at all (a zero-size constant), so the default everywhere.
        Same(Nd.Longs([1], 0), Run("SparseToDense", null, C(Nd.Longs([0, 1])), C(Nd.Longs([1], 1)), C(Nd.Longs([0])), C(Nd.Longs([], 0))));
        Assert.Contains("repeats", Fails("SparseToDense", null, F(Nd.Vector(1, 1)), C(Nd.Vector(5)), F(Nd.Floats([], 9)), F(Nd.Floats([], 0))).Message);
        Assert.Contains("outside", Fails("SparseToDense", null, F(Nd.Vector(5)), C(Nd.Vector(5)), F(Nd.Floats([], 9)), F(Nd.Floats([], 0))).Message);
        Same(Nd.Floats([3], 0, 9, 9), Run("SparseToDense", new() { ["validate_indices"] = false }, F(Nd.Vector(2, 1)), C(Nd.Vector(3)), F(Nd.Floats([], 9)), F(Nd.Floats([], 0))));
    }

    [Fact]
    public void TileRepeatsAlongEachDimension()
    {
        var rng = new Random(2);
        for (int trial = 0; trial < 10; trial++)
        {
            var shape = Shapes.Random(rng, 0, 3);
            var m = shape.Select(_ => rng.Next(0, 3)).ToArray();
            var x = Nd.Random(rng, trial % 2 == 0 ? DType.Float32 : DType.Int32, shape);
            var expected = Nd.Build(shape.Select((d, i) => d * m[i]).ToArray(), o => x[o.Select((v, d) => v % shape[d]).ToArray()], x.DType);
            Same(expected, Run("Tile", null, F(x), trial % 2 == 0 ? C(Nd.Vector(m)) : F(Nd.Vector(m))));
        }
    }

    public static TheoryData<string, string?> PadModes() => new() { { "Pad", null }, { "PadV2", null }, { "MirrorPad", "REFLECT" }, { "MirrorPad", "SYMMETRIC" } };

    [Theory]
    [MemberData(nameof(PadModes))]
    public void PadsFillOrMirrorAroundEachDimension(string op, string? mode)
    {
        var rng = new Random(op.Length + (mode?.Length ?? 0));
        for (int trial = 0; trial < 10; trial++)
        {
            var shape = Shapes.Random(rng, 1, 4);
            var x = Nd.Random(rng, trial % 2 == 0 ? DType.Float32 : DType.Int32, shape);
            int Limit(int size) => mode == "REFLECT" ? size - 1 : mode == "SYMMETRIC" ? size : 3;
            var p = shape.SelectMany(d => new[] { rng.Next(Limit(d) + 1), rng.Next(Limit(d) + 1) }).ToArray();
            double constant = op == "PadV2" ? 5 : 0;
            int Source(int i, int size)
            {
                if (i >= 0 && i < size) return i;
                if (mode == "REFLECT") return i < 0 ? -i : 2 * (size - 1) - i;
                if (mode == "SYMMETRIC") return i < 0 ? -i - 1 : 2 * size - 1 - i;
                return -1;
            }
            var outShape = shape.Select((d, i) => d + p[2 * i] + p[2 * i + 1]).ToArray();
            var expected = Nd.Build(outShape, o =>
            {
                var src = o.Select((v, d) => Source(v - p[2 * d], shape[d])).ToArray();
                return src.Any(s => s < 0) ? constant : x[src];
            }, x.DType);
            var paddings = Nd.Ints([shape.Length, 2], p.Select(v => (double)v).ToArray());
            var attributes = mode == null ? null : new Attributes { ["mode"] = mode };
            var inputs = op == "PadV2"
                ? new[] { F(x), C(paddings), C(new Nd([], [constant], x.DType)) }
                : new[] { F(x), trial % 2 == 0 ? C(paddings) : F(paddings) };
            Same(expected, Run(op, attributes, inputs));
        }
    }

    [Fact]
    public void MirrorPadRefusesAnUnknownModeAndAReflectionWiderThanTheTensor()
    {
        var x = Nd.Random(new Random(3), DType.Float32, 3);
        Assert.Contains("WRAP", Fails("MirrorPad", new() { ["mode"] = "WRAP" }, F(x), C(Nd.Ints([1, 2], 1, 1))).Message);
        Assert.Contains("0..2", Fails("MirrorPad", new() { ["mode"] = "REFLECT" }, F(x), C(Nd.Ints([1, 2], 3, 0))).Message);
    }

    [Fact]
    public void TransposeReordersDimensionsByPerm()
    {
        var rng = new Random(4);
        for (int trial = 0; trial < 10; trial++)
        {
            var shape = Shapes.Random(rng, 1, 5);
            var perm = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
            var x = Nd.Random(rng, trial % 2 == 0 ? DType.Float32 : DType.Bool, shape);
            var expected = Nd.Build(perm.Select(p => shape[p]).ToArray(), o =>
            {
                var src = new int[shape.Length];
                for (int i = 0; i < perm.Length; i++) src[perm[i]] = o[i];
                return x[src];
            }, x.DType);
            Same(expected, Run("Transpose", null, F(x), trial % 2 == 0 ? C(Nd.Vector(perm)) : F(Nd.Vector(perm))));
        }
        Assert.Contains("permutation", Fails("Transpose", null, F(Nd.Floats([2, 2], 1, 2, 3, 4)), C(Nd.Vector(0, 0))).Message);
    }

    // Hostile sizes: a lying model must get a clear error that names the node before anything is allocated.
    [Fact]
    public void AbsurdSizesAreRefusedBeforeAllocating()
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Assert.Contains("more than", Fails("Fill", null, F(Nd.Vector(1 << 20, 1 << 20)), F(Nd.Floats([], 1))).Message);
        Assert.Contains("more than", Fails("Fill", null, C(Nd.Longs([1], 1L << 31)), F(Nd.Floats([], 1))).Message);
        Assert.Contains(">= 0", Fails("Fill", null, C(Nd.Vector(-1, 4)), F(Nd.Floats([], 1))).Message);
        Assert.Contains("more than", Fails("Range", null, F(Nd.Longs([], 0)), F(Nd.Longs([], 1L << 40)), F(Nd.Longs([], 1))).Message);
        Assert.Contains("more than", Fails("Range", null, F(Nd.Floats([], 0)), F(Nd.Floats([], 1e12f)), F(Nd.Floats([], 1e-3f))).Message);
        Assert.Contains("more than", Fails("Tile", null, F(Nd.Floats([2, 2], 1, 2, 3, 4)), F(Nd.Vector(1 << 20, 1 << 20))).Message);
        Assert.Contains("more than", Fails("Pad", null, F(Nd.Floats([2, 2], 1, 2, 3, 4)), F(Nd.Ints([2, 2], 1 << 30, 0, 1 << 30, 0))).Message);
        Assert.Contains("more than", Fails("SparseToDense", null, F(Nd.Vector(1)), F(Nd.Vector(1 << 30, 1 << 30)), F(Nd.Floats([], 1)), F(Nd.Floats([], 0))).Message);
        Assert.Contains("more than", Fails("ResizeBilinear", null, F(Nd.Floats([1, 1, 1, 1], 1)), F(Nd.Vector(1 << 20, 1 << 20))).Message);
        Assert.Contains("more than", Fails("Conv2DBackpropInput", new() { ["padding"] = "VALID" },
            F(Nd.Vector(1 << 20, 1 << 20, 1 << 20, 1)), C(Nd.Random(new Random(1), DType.Float32, 1, 1, 1, 1)), F(Nd.Random(new Random(2), DType.Float32, 1, 1, 1, 1))).Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64 << 20, "a refused size still allocated memory");
    }
}
