using Shikaku.Tensors;
using static Shikaku.Graph.Tests.TfOps.TfGraph;

namespace Shikaku.Graph.Tests.TfOps;

/// <summary>Shape, join/split and slicing ops against naive references, with constant and fed index inputs.</summary>
public class TfShapeTests
{
    private static readonly DType[] Types = [DType.Float32, DType.Int32, DType.Int64, DType.Bool];

    [Fact]
    public void ReshapeTakesAShapeTheGraphComputes()
    {
        var x = Nd.Random(new Random(1), DType.Float32, 2, 3, 4);
        foreach (var shape in new[] { Nd.Vector(4, -1), Nd.Longs([3], 2, 2, 6) })
        {
            var dims = shape.Data.Select(v => (int)v).ToArray();
            if (dims.Contains(-1)) dims[Array.IndexOf(dims, -1)] = 24 / dims.Where(d => d > 0).Aggregate(1, (a, b) => a * b);
            Same(new Nd(dims, x.Data), Run("Reshape", null, F(x), C(shape)));
            Same(new Nd(dims, x.Data), Run("Reshape", null, F(x), F(shape)));
        }
        Assert.Contains("Cannot reshape", Fails("Reshape", null, F(x), F(Nd.Vector(5, -1))).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(-4)]
    public void ExpandDimsInsertsAnAxisCountedFromEitherEnd(int axis)
    {
        var x = Nd.Random(new Random(2), DType.Int32, 2, 3, 4);
        var dims = x.Shape.ToList();
        dims.Insert(axis < 0 ? axis + 4 : axis, 1);
        Same(new Nd([.. dims], x.Data, DType.Int32), Run("ExpandDims", null, F(x), C(Nd.Scalar(axis))));
        Same(new Nd([.. dims], x.Data, DType.Int32), Run("ExpandDims", null, F(x), F(Nd.Vector(axis))));
    }

    [Fact]
    public void ExpandDimsOutsideTheRankNamesTheNode() =>
        Assert.Contains("axis 5", Fails("ExpandDims", null, F(Nd.Floats([2], 1, 2)), C(Nd.Scalar(5))).Message);

    [Fact]
    public void SqueezeDropsNamedOrAllUnitDimensions()
    {
        var x = Nd.Random(new Random(3), DType.Float32, 1, 3, 1, 2, 1);
        Same(new Nd([3, 2], x.Data), Run("Squeeze", null, F(x)));
        Same(new Nd([3, 1, 2], x.Data), Run("Squeeze", new() { ["squeeze_dims"] = AttrValue.Ints(0, -1) }, F(x)));
        Assert.Contains("not 1", Fails("Squeeze", new() { ["squeeze_dims"] = AttrValue.Ints(1) }, F(x)).Message);
    }

    [Fact]
    public void ShapeGivesTheDimensionsAsInt32OrInt64()
    {
        var x = Nd.Random(new Random(4), DType.Bool, 2, 0, 5);
        Same(Nd.Ints([3], 2, 0, 5), Run("Shape", null, F(x)));
        Same(Nd.Longs([3], 2, 0, 5), Run("Shape", new() { ["out_type"] = "DT_INT64" }, F(x)));
        Same(Nd.Ints([0]), Run("Shape", null, F(Nd.Floats([], 1))));
    }

    [Fact]
    public void ConcatJoinsAlongAnyAxisOfAnyDtype()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 16; trial++)
        {
            var dtype = Types[trial % Types.Length];
            var shape = Shapes.Random(rng, 1, 4);
            int axis = rng.Next(shape.Length), n = rng.Next(1, 4);
            var parts = Enumerable.Range(0, n).Select(_ =>
            {
                var s = (int[])shape.Clone();
                s[axis] = rng.Next(0, 3); // empty parts too
                return Nd.Random(rng, dtype, s);
            }).ToArray();
            var outShape = (int[])shape.Clone();
            outShape[axis] = parts.Sum(p => p.Shape[axis]);
            var expected = Nd.Build(outShape, i =>
            {
                int k = i[axis], p = 0;
                while (k >= parts[p].Shape[axis]) k -= parts[p++].Shape[axis];
                var j = (int[])i.Clone();
                j[axis] = k;
                return parts[p][j];
            }, dtype);
            int given = trial % 2 == 0 ? axis : axis - shape.Length; // negative axes too
            Same(expected, Run("ConcatV2", new() { ["N"] = n }, [.. parts.Select(F), C(Nd.Scalar(given))]));
            Same(expected, Run("Concat", null, [F(Nd.Scalar(given)), .. parts.Select(F)]));
        }
    }

    [Fact]
    public void ConcatWithALyingNIsRefused() =>
        Assert.Contains("N is 3", Fails("ConcatV2", new() { ["N"] = 3 }, F(Nd.Floats([1], 1)), F(Nd.Floats([1], 2)), C(Nd.Scalar(0))).Message);

    [Fact]
    public void PackAndUnpackAreInverse()
    {
        var rng = new Random(6);
        for (int trial = 0; trial < 12; trial++)
        {
            var dtype = Types[trial % Types.Length];
            var shape = Shapes.Random(rng, 0, 3);
            int axis = rng.Next(shape.Length + 1), n = rng.Next(1, 4);
            var parts = Enumerable.Range(0, n).Select(_ => Nd.Random(rng, dtype, shape)).ToArray();
            var outShape = shape.ToList();
            outShape.Insert(axis, n);
            var expected = Nd.Build([.. outShape], i =>
            {
                var j = i.ToList();
                int k = j[axis];
                j.RemoveAt(axis);
                return parts[k][[.. j]];
            }, dtype);
            long given = trial % 3 == 0 ? axis - shape.Length - 1 : axis;
            Same(expected, Run("Pack", new() { ["axis"] = given, ["N"] = n }, parts.Select(F).ToArray()));
            var unpacked = RunAll("Unpack", new() { ["axis"] = given, ["num"] = n }, n, F(expected));
            for (int k = 0; k < n; k++) Same(parts[k], unpacked[k]);
        }
    }

    [Fact]
    public void UnpackWithTheWrongNumIsAnErrorAndAFarOutputIsRefusedAtCompileTime()
    {
        var x = Nd.Random(new Random(7), DType.Float32, 3, 2);
        Assert.Contains("num is 2", Fails("Unpack", new() { ["num"] = 2 }, F(x)).Message);
        using var g = new ComputeGraph();
        g.AddInput("x", 3, 2);
        g.AddNode(new Node("node", "Unpack", ["x"], new() { ["num"] = 3 }));
        g.Outputs.Add("node:3");
        Assert.Contains("output 3 of 'node'", Assert.Throws<GraphException>(() => GraphPlan.Compile(g)).Message);
        g.Nodes[0] = new Node("node", "Unpack", ["x"], new() { ["num"] = 1L << 40 });
        Assert.Contains("'node'", Assert.Throws<GraphException>(() => GraphPlan.Compile(g)).Message);
    }

    [Fact]
    public void SplitAndSplitVCutAlongAnAxis()
    {
        var rng = new Random(8);
        for (int trial = 0; trial < 10; trial++)
        {
            var shape = Shapes.Random(rng, 1, 4);
            int axis = rng.Next(shape.Length), n = rng.Next(1, 4);
            shape[axis] = n * rng.Next(1, 3);
            var x = Nd.Random(rng, Types[trial % Types.Length], shape);
            Nd Piece(int from, int size)
            {
                var s = (int[])shape.Clone();
                s[axis] = size;
                return Nd.Build(s, i => { var j = (int[])i.Clone(); j[axis] += from; return x[j]; }, x.DType);
            }
            int part = shape[axis] / n;
            var split = RunAll("Split", new() { ["num_split"] = n }, n, C(Nd.Scalar(axis - (trial % 2) * shape.Length)), F(x));
            for (int k = 0; k < n; k++) Same(Piece(k * part, part), split[k]);
            // SplitV with uneven sizes, one of them inferred (-1).
            var sizes = Enumerable.Range(0, n).Select(_ => 0).ToArray();
            for (int left = shape[axis]; left > 0; left--) sizes[rng.Next(n)]++;
            var given = (int[])sizes.Clone();
            given[rng.Next(n)] = -1;
            var splitV = RunAll("SplitV", new() { ["num_split"] = n }, n, F(x), trial % 2 == 0 ? C(Nd.Vector(given)) : F(Nd.Vector(given)), C(Nd.Scalar(axis)));
            for (int k = 0, at = 0; k < n; at += sizes[k], k++) Same(Piece(at, sizes[k]), splitV[k]);
        }
        var y = Nd.Random(rng, DType.Float32, 5, 2);
        Assert.Contains("equal parts", Fails("Split", new() { ["num_split"] = 2 }, C(Nd.Scalar(0)), F(y)).Message);
        Assert.Contains("add up", Fails("SplitV", new() { ["num_split"] = 2 }, F(y), C(Nd.Vector(2, 2)), C(Nd.Scalar(0))).Message);
    }

    [Fact]
    public void SliceCopiesABlockWithMinusOneToTheEnd()
    {
        var rng = new Random(9);
        for (int trial = 0; trial < 10; trial++)
        {
            var shape = Shapes.Random(rng, 1, 4, 5);
            var x = Nd.Random(rng, Types[trial % Types.Length], shape);
            var begin = shape.Select(d => rng.Next(d)).ToArray();
            var size = shape.Select((d, i) => rng.Next(3) == 0 ? -1 : rng.Next(d - begin[i] + 1)).ToArray();
            var counts = size.Select((s, i) => s == -1 ? shape[i] - begin[i] : s).ToArray();
            var expected = Nd.Build(counts, i => x[i.Select((v, d) => v + begin[d]).ToArray()], x.DType);
            Same(expected, Run("Slice", null, F(x), C(Nd.Vector(begin)), F(Nd.Vector(size))));
        }
    }

    // The reference StridedSlice: TF's masks turned into a Python index expression (x[1:, ..., None, ::-1, 2]) and
    // evaluated as Python evaluates one, with slice.indices clamping.
    private abstract record Index;
    private sealed record Ellipsis : Index;
    private sealed record NewAxis : Index;
    private sealed record At(int I) : Index;
    private sealed record Range(int? Start, int? Stop, int Step) : Index;

    private static Nd PythonSlice(Nd x, IReadOnlyList<Index> items)
    {
        // The ellipsis stands for the dimensions no other item names; dimensions past the items are taken whole.
        int named = items.Count(i => i is At or Range);
        var full = new List<Index>();
        foreach (var item in items)
            if (item is Ellipsis) full.AddRange(Enumerable.Repeat<Index>(new Range(null, null, 1), x.Rank - named));
            else full.Add(item);
        while (full.Count(i => i is At or Range) < x.Rank) full.Add(new Range(null, null, 1));
        var fixedAt = new List<(int Dim, int Value)>();
        var outputs = new List<(int Dim, int[] Values)>(); // Dim -1: a new axis
        int d = 0;
        foreach (var item in full)
        {
            if (item is NewAxis) { outputs.Add((-1, [0])); continue; }
            int len = x.Shape[d];
            if (item is At a) fixedAt.Add((d, a.I < 0 ? a.I + len : a.I));
            else if (item is Range r)
            {
                // Python's slice.indices: defaults by the step's direction, negatives from the end, clamped.
                int lower = r.Step > 0 ? 0 : -1, upper = r.Step > 0 ? len : len - 1;
                int Bound(int? v, int fallback) => v is not { } s ? fallback : Math.Clamp(s < 0 ? s + len : s, lower, upper);
                int start = Bound(r.Start, r.Step > 0 ? lower : upper), stop = Bound(r.Stop, r.Step > 0 ? upper : lower);
                var values = new List<int>();
                for (int v = start; r.Step > 0 ? v < stop : v > stop; v += r.Step) values.Add(v);
                outputs.Add((d, [.. values]));
            }
            d++;
        }
        return Nd.Build(outputs.Select(o => o.Values.Length).ToArray(), o =>
        {
            var src = new int[x.Rank];
            foreach (var (dim, value) in fixedAt) src[dim] = value;
            for (int k = 0; k < o.Length; k++) if (outputs[k].Dim >= 0) src[outputs[k].Dim] = outputs[k].Values[o[k]];
            return x[src];
        }, x.DType);
    }

    [Fact]
    public void StridedSliceMatchesPythonIndexingForEveryMask()
    {
        var rng = new Random(10);
        int checkedCases = 0;
        for (int trial = 0; trial < 400 && checkedCases < 150; trial++)
        {
            var shape = Shapes.Random(rng, 1, 4, 5);
            var x = Nd.Random(rng, trial % 2 == 0 ? DType.Float32 : DType.Int32, shape);
            int entries = rng.Next(1, shape.Length + 2);
            int ellipsisAt = rng.Next(3) == 0 ? rng.Next(entries) : -1;
            int begin = 0, end = 0, ellipsis = 0, newAxis = 0, shrink = 0;
            var b = new int[entries];
            var e = new int[entries];
            var s = new int[entries];
            var items = new List<Index>();
            int dim = 0;
            bool valid = true;
            for (int i = 0; i < entries; i++)
            {
                b[i] = rng.Next(-6, 7);
                e[i] = rng.Next(-6, 7);
                s[i] = rng.Next(2) == 0 ? rng.Next(1, 3) : -rng.Next(1, 3);
                if (i == ellipsisAt) { ellipsis |= 1 << i; items.Add(new Ellipsis()); continue; }
                if (rng.Next(6) == 0) { newAxis |= 1 << i; items.Add(new NewAxis()); continue; }
                int size = dim < shape.Length ? shape[dim] : 1;
                if (rng.Next(4) == 0)
                {
                    shrink |= 1 << i;
                    b[i] = rng.Next(-size, size);
                    s[i] = 1;
                    items.Add(new At(b[i]));
                }
                else
                {
                    bool bm = rng.Next(3) == 0, em = rng.Next(3) == 0;
                    if (bm) begin |= 1 << i;
                    if (em) end |= 1 << i;
                    items.Add(new Range(bm ? null : b[i], em ? null : e[i], s[i]));
                }
                dim++;
            }
            if (items.Count(i => i is At or Range) > shape.Length) valid = false;
            // Entries after the ellipsis name dimensions from the end: redo the shrink bounds for those.
            if (!valid) continue;
            int namedAfter = 0;
            for (int i = entries - 1; i > ellipsisAt && ellipsisAt >= 0; i--)
                if (items[i] is At or Range)
                {
                    int size = shape[shape.Length - 1 - namedAfter++];
                    if (items[i] is At) { b[i] = rng.Next(-size, size); items[i] = new At(b[i]); }
                }
            var expected = PythonSlice(x, items);
            var attributes = new Attributes { ["begin_mask"] = begin, ["end_mask"] = end, ["ellipsis_mask"] = ellipsis, ["new_axis_mask"] = newAxis, ["shrink_axis_mask"] = shrink };
            Same(expected, Run("StridedSlice", attributes, F(x), C(Nd.Vector(b)), checkedCases % 2 == 0 ? C(Nd.Vector(e)) : F(Nd.Vector(e)), C(Nd.Vector(s))));
            checkedCases++;
        }
        Assert.True(checkedCases >= 100, $"only {checkedCases} random slices were valid");
    }

    [Fact]
    public void StridedSliceAsTheModelsWriteIt()
    {
        // age: x[:, 3] of a (N, 5) matrix (begin_mask 1, shrink_axis_mask 2); centernet: x[:, :, 1:2] with masks 3.
        var x = Nd.Random(new Random(11), DType.Float32, 4, 5);
        var a = new Attributes { ["begin_mask"] = 1, ["end_mask"] = 1, ["shrink_axis_mask"] = 2 };
        Same(Nd.Build([4], i => x[i[0], 3]), Run("StridedSlice", a, F(x), C(Nd.Vector(0, 3)), C(Nd.Vector(0, 4)), C(Nd.Vector(1, 1))));
        var y = Nd.Random(new Random(12), DType.Float32, 1, 6, 4);
        var m = new Attributes { ["begin_mask"] = 3, ["end_mask"] = 3 };
        Same(Nd.Build([1, 6, 1], i => y[i[0], i[1], 1]), Run("StridedSlice", m, F(y), C(Nd.Vector(0, 0, 1)), C(Nd.Vector(0, 0, 2)), C(Nd.Vector(1, 1, 1))));
        var two = new Attributes { ["ellipsis_mask"] = 3 };
        Assert.Contains("ellipsis", Fails("StridedSlice", two, F(y), C(Nd.Vector(0, 0)), C(Nd.Vector(0, 0)), C(Nd.Vector(1, 1))).Message);
        Assert.Contains("stride", Fails("StridedSlice", null, F(y), C(Nd.Vector(0)), C(Nd.Vector(1)), C(Nd.Vector(0))).Message);
    }

    [Fact]
    public void GatherV2PicksAlongAnAxisWithBatchDims()
    {
        var rng = new Random(13);
        for (int trial = 0; trial < 12; trial++)
        {
            var shape = Shapes.Random(rng, 1, 4);
            int batch = trial % 3 == 2 && shape.Length > 1 ? 1 : 0;
            int axis = rng.Next(batch, shape.Length);
            var x = Nd.Random(rng, Types[trial % Types.Length], shape);
            var indexShape = batch == 1 ? [shape[0], .. Shapes.Random(rng, 0, 2)] : Shapes.Random(rng, 0, 2);
            var idx = Nd.Build(indexShape, _ => rng.Next(shape[axis]), trial % 2 == 0 ? DType.Int32 : DType.Int64);
            var outShape = shape.Take(axis).Concat(indexShape.Skip(batch)).Concat(shape.Skip(axis + 1)).ToArray();
            var expected = Nd.Build(outShape, o =>
            {
                var src = new int[shape.Length];
                for (int d = 0; d < axis; d++) src[d] = o[d];
                int ir = indexShape.Length - batch;
                var ii = (batch == 1 ? new[] { o[0] } : []).Concat(o.Skip(axis).Take(ir)).ToArray();
                src[axis] = (int)idx[ii];
                for (int d = axis + 1; d < shape.Length; d++) src[d] = o[d - 1 + ir];
                return x[src];
            }, x.DType);
            Same(expected, Run("GatherV2", new() { ["batch_dims"] = batch }, F(x), F(idx), C(Nd.Scalar(axis - (trial % 2) * shape.Length))));
        }
        Assert.Contains("outside", Fails("GatherV2", null, F(Nd.Floats([3], 1, 2, 3)), F(Nd.Vector(3)), C(Nd.Scalar(0))).Message);
    }

    [Fact]
    public void GatherNdPicksByIndexTuples()
    {
        var rng = new Random(14);
        for (int trial = 0; trial < 12; trial++)
        {
            var shape = Shapes.Random(rng, 1, 4);
            int k = rng.Next(1, shape.Length + 1);
            var x = Nd.Random(rng, Types[trial % Types.Length], shape);
            var lead = Shapes.Random(rng, 0, 2);
            var idx = Nd.Build([.. lead, k], i => rng.Next(shape[i[^1]]));
            idx = idx with { DType = trial % 2 == 0 ? DType.Int32 : DType.Int64 };
            var expected = Nd.Build([.. lead, .. shape.Skip(k)], o =>
            {
                var src = new int[shape.Length];
                for (int j = 0; j < k; j++) src[j] = (int)idx[[.. o.Take(lead.Length), j]];
                for (int d = k; d < shape.Length; d++) src[d] = o[lead.Length + d - k];
                return x[src];
            }, x.DType);
            Same(expected, Run("GatherNd", null, F(x), F(idx)));
        }
        // movenet: the (y, x) of each keypoint's best cell, with the keypoint as the last coordinate.
        var heat = Nd.Random(rng, DType.Float32, 1, 4, 4, 3);
        var at = Nd.Ints([3, 4], 0, 1, 2, 0, 0, 3, 3, 1, 0, 0, 1, 2);
        Same(Nd.Floats([3], heat[0, 1, 2, 0], heat[0, 3, 3, 1], heat[0, 0, 1, 2]), Run("GatherNd", null, F(heat), C(at)));
        Assert.Contains("outside", Fails("GatherNd", null, F(heat), C(Nd.Ints([1, 2], 0, 4))).Message);
    }
}
