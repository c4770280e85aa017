using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

/// <summary>Concat, transpose, slices, gather, tile, pad and cast against nested loops over multi-indices, over random shapes (seeded).</summary>
public class ShapeOpsTests
{
    private static readonly DType[] All = [DType.Float32, DType.Int32, DType.Int64, DType.Bool, DType.UInt8];

    [Fact]
    public void ConcatPlacesEachInputAtItsOffsetAlongTheAxis()
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 1, count: 80, All))
        {
            var dims = Naive.Shape(rng);
            if (dims.Length == 0) dims = [3];
            int axis = rng.Next(dims.Length);
            var parts = Enumerable.Range(0, rng.Next(1, 4)).Select(_ =>
            {
                var d = (int[])dims.Clone();
                d[axis] = rng.Next(0, 4);
                return Naive.Random(rng, dtype, d);
            }).ToList();
            using var y = TensorOps.Concat(parts, rng.Next(2) == 0 ? axis : axis - dims.Length);
            var yd = y.Shape.ToArray();
            Assert.Equal(parts.Sum(p => p.Shape[axis]), yd[axis]);
            var got = Naive.Values(y);
            int offset = 0;
            foreach (var p in parts)
            {
                var pd = p.Shape.ToArray();
                var pv = Naive.Values(p);
                foreach (var i in Naive.Indices(pd))
                {
                    var o = (int[])i.Clone();
                    o[axis] += offset;
                    Assert.Equal(pv[Naive.Flat(i, pd)], got[Naive.Flat(o, yd)]);
                }
                offset += pd[axis];
                p.Dispose();
            }
        }
    }

    [Fact]
    public void TransposeMovesEveryElementToItsPermutedIndex()
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 2, count: 100, All))
        {
            var dims = Naive.Shape(rng, maxRank: 6, maxDim: 5);
            var perm = Enumerable.Range(0, dims.Length).OrderBy(_ => rng.Next()).ToArray();
            using var x = Naive.Random(rng, dtype, dims);
            using var y = TensorOps.Transpose(x, perm);
            var yd = perm.Select(p => dims[p]).ToArray();
            Assert.Equal(new Shape(yd), y.Shape);
            var xv = Naive.Values(x);
            var yv = Naive.Values(y);
            foreach (var i in Naive.Indices(dims))
                Assert.Equal(xv[Naive.Flat(i, dims)], yv[Naive.Flat(perm.Select(p => i[p]).ToArray(), yd)]);
        }
        using var t = Tensor.Zeros(2, 3);
        Assert.Contains("not a permutation", Assert.Throws<ArgumentException>(() => TensorOps.Transpose(t, 0, 0)).Message);
    }

    /// <summary>Python's slice(begin, end, step).indices(size): the indices a slice visits, as TF's StridedSlice defines them.</summary>
    private static List<int> PythonSlice(int? begin, int? end, int step, int size)
    {
        int lower = step > 0 ? 0 : -1, upper = step > 0 ? size : size - 1;
        int Clamp(int? v, int whenMissing) => v is not int b ? whenMissing : b < 0 ? Math.Max(b + size, lower) : Math.Min(b, upper);
        int start = Clamp(begin, step > 0 ? lower : upper), stop = Clamp(end, step > 0 ? upper : lower);
        var list = new List<int>();
        for (int i = start; step > 0 ? i < stop : i > stop; i += step) list.Add(i);
        return list;
    }

    [Fact]
    public void StridedSliceVisitsWhatPythonSlicingVisits()
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 3, count: 200, All))
        {
            var dims = Naive.Shape(rng, maxRank: 5, maxDim: 6);
            if (dims.Length == 0) continue;
            int n = dims.Length;
            var begin = new int[n];
            var end = new int[n];
            var strides = new int[n];
            int beginMask = 0, endMask = 0, shrink = 0;
            var picks = new List<int>[n];
            var outDims = new List<int>();
            for (int d = 0; d < n; d++)
            {
                int size = dims[d];
                if (rng.Next(6) == 0)
                {
                    int index = rng.Next(-size, size);
                    begin[d] = index;
                    end[d] = index + 1;
                    strides[d] = 1;
                    shrink |= 1 << d;
                    picks[d] = [index < 0 ? index + size : index];
                    continue;
                }
                begin[d] = rng.Next(-size - 2, size + 3);
                end[d] = rng.Next(-size - 2, size + 3);
                strides[d] = rng.Next(2) == 0 ? rng.Next(1, 4) : -rng.Next(1, 4);
                bool bm = rng.Next(4) == 0, em = rng.Next(4) == 0;
                if (bm) beginMask |= 1 << d;
                if (em) endMask |= 1 << d;
                picks[d] = PythonSlice(bm ? null : begin[d], em ? null : end[d], strides[d], size);
                outDims.Add(picks[d].Count);
            }
            using var x = Naive.Random(rng, dtype, dims);
            using var y = TensorOps.StridedSlice(x, begin, end, strides, beginMask, endMask, shrinkAxisMask: shrink);
            Assert.Equal(new Shape([.. outDims]), y.Shape);
            var xv = Naive.Values(x);
            var pickDims = picks.Select(p => p.Count).ToArray();
            var expected = Naive.Indices(pickDims).Select(i => xv[Naive.Flat(i.Select((k, d) => picks[d][k]).ToArray(), dims)]).ToArray();
            Assert.True(expected.SequenceEqual(Naive.Values(y)), $"{dtype} {string.Join('x', dims)} begin ({string.Join(", ", begin)}) end ({string.Join(", ", end)}) strides ({string.Join(", ", strides)})");
        }
    }

    [Fact]
    public void StridedSliceEllipsisAndNewAxisWorkAsInTF()
    {
        using var x = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), 2, 3, 4);
        // x[..., ::-1]: the last axis reversed.
        using (var r = TensorOps.StridedSlice(x, [0, 0], [0, 0], [1, -1], beginMask: 2, endMask: 2, ellipsisMask: 1))
        {
            Assert.Equal(new Shape(2, 3, 4), r.Shape);
            Assert.Equal([3f, 2f, 1f, 0f], r.ToArray()[..4]);
        }
        // x[1, tf.newaxis, :, 2]: shape (1, 3), the values 14, 18, 22.
        using (var s = TensorOps.StridedSlice(x, [1, 0, 0, 2], [2, 0, 0, 3], [1, 1, 1, 1], beginMask: 4, endMask: 4, newAxisMask: 2, shrinkAxisMask: 9))
        {
            Assert.Equal(new Shape(1, 3), s.Shape);
            Assert.Equal([14f, 18f, 22f], s.ToArray());
        }
        // x[..., 1]: the ellipsis covers the first two axes.
        using (var e = TensorOps.StridedSlice(x, [0, 1], [0, 2], [1, 1], ellipsisMask: 1, shrinkAxisMask: 2))
            Assert.Equal([1f, 5f, 9f, 13f, 17f, 21f], e.ToArray());
        Assert.Contains("stride", Assert.Throws<ArgumentException>(() => TensorOps.StridedSlice(x, [0], [1], [0])).Message);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => TensorOps.StridedSlice(x, [2], [3], [1], shrinkAxisMask: 1)).Message);
        using (var block = TensorOps.Slice(x, [1, 1, 0], [1, -1, 2])) Assert.Equal([16f, 17f, 20f, 21f], block.ToArray());
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => TensorOps.Slice(x, [1, 1, 0], [2, 1, 1])).Message);
    }

    [Theory]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    public void GatherPicksSlicesAlongAnyAxisWithBatchDimensions(DType indexType)
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 4 + (int)indexType, count: 80, All))
        {
            var dims = Naive.Shape(rng, maxRank: 4);
            if (dims.Length == 0) dims = [4];
            int axis = rng.Next(dims.Length);
            int batchDims = rng.Next(axis + 1);
            var idxDims = dims.Take(batchDims).Concat(Naive.Shape(rng, maxRank: 2)).ToArray();
            int count = idxDims.Aggregate(1, (a, b) => a * b);
            var idx = Enumerable.Range(0, count).Select(_ => (double)rng.Next(dims[axis])).ToArray();
            using var x = Naive.Random(rng, dtype, dims);
            using var indices = Naive.Make(indexType, idx, idxDims);
            using var y = TensorOps.Gather(x, indices, axis, batchDims);
            var yd = dims[..axis].Concat(idxDims[batchDims..]).Concat(dims[(axis + 1)..]).ToArray();
            Assert.Equal(new Shape(yd), y.Shape);
            var xv = Naive.Values(x);
            var yv = Naive.Values(y);
            int ir = idxDims.Length - batchDims;
            foreach (var o in Naive.Indices(yd))
            {
                // o = x[..axis] ++ indices[batchDims..] ++ x[axis+1..]; the batch part of the index is o[..batchDims].
                var ii = o[..batchDims].Concat(o[axis..(axis + ir)]).ToArray();
                var xi = o[..axis].Append((int)idx[Naive.Flat(ii, idxDims)]).Concat(o[(axis + ir)..]).ToArray();
                Assert.Equal(xv[Naive.Flat(xi, dims)], yv[Naive.Flat(o, yd)]);
            }
        }
    }

    [Fact]
    public void GatherRefusesNegativeAndOutOfRangeIndicesByValue()
    {
        using var x = Tensor.Zeros(3, 2);
        Assert.Contains("index 3 is outside 0..2", Assert.Throws<ArgumentException>(() => TensorOps.Gather(x, Tensor.FromInt32([0, 3], 2))).Message);
        Assert.Contains("index -1", Assert.Throws<ArgumentException>(() => TensorOps.Gather(x, Tensor.FromInt64([-1], 1))).Message);
        Assert.Contains("int32 or int64", Assert.Throws<ArgumentException>(() => TensorOps.Gather(x, Tensor.FromArray([0f], 1))).Message);
    }

    [Fact]
    public void TileRepeatsEveryDimension()
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 5, count: 80, All))
        {
            var dims = Naive.Shape(rng, maxRank: 5, maxDim: 3);
            var multiples = dims.Select(_ => rng.Next(0, 4)).ToArray();
            using var x = Naive.Random(rng, dtype, dims);
            using var y = TensorOps.Tile(x, multiples);
            var yd = dims.Select((d, i) => d * multiples[i]).ToArray();
            Assert.Equal(new Shape(yd), y.Shape);
            var xv = Naive.Values(x);
            var yv = Naive.Values(y);
            foreach (var o in Naive.Indices(yd))
                Assert.Equal(xv[Naive.Flat(o.Select((v, i) => v % dims[i]).ToArray(), dims)], yv[Naive.Flat(o, yd)]);
        }
    }

    [Theory]
    [InlineData(PadMode.Constant)]
    [InlineData(PadMode.Reflect)]
    [InlineData(PadMode.Symmetric)]
    public void PadFillsByMirroringOrWithTheConstant(PadMode mode)
    {
        foreach (var (rng, dtype) in Naive.Trials(seed: 6 + (int)mode, count: 80, All))
        {
            var dims = Naive.Shape(rng, maxRank: 4, maxDim: 4);
            int Limit(int d) => mode switch { PadMode.Reflect => d - 1, PadMode.Symmetric => d, _ => 3 };
            var pads = dims.Select(d => (rng.Next(Limit(d) + 1), rng.Next(Limit(d) + 1))).ToArray();
            using var x = Naive.Random(rng, dtype, dims);
            using var y = TensorOps.Pad(x, pads, mode, value: 1);
            var yd = dims.Select((d, i) => d + pads[i].Item1 + pads[i].Item2).ToArray();
            Assert.Equal(new Shape(yd), y.Shape);
            var xv = Naive.Values(x);
            var yv = Naive.Values(y);
            foreach (var o in Naive.Indices(yd))
            {
                var src = new int[dims.Length];
                bool constant = false;
                for (int d = 0; d < dims.Length; d++)
                {
                    int i = o[d] - pads[d].Item1, n = dims[d];
                    // Reflect mirrors about the edge element, symmetric about the edge itself.
                    if (i < 0) { if (mode == PadMode.Constant) constant = true; i = mode == PadMode.Reflect ? -i : -i - 1; }
                    else if (i >= n) { if (mode == PadMode.Constant) constant = true; i = mode == PadMode.Reflect ? 2 * n - 2 - i : 2 * n - 1 - i; }
                    src[d] = i;
                }
                Assert.Equal(constant ? 1 : xv[Naive.Flat(src, dims)], yv[Naive.Flat(o, yd)]);
            }
        }
    }

    [Fact]
    public void PadExamplesAndLimitsMatchMirrorPad()
    {
        using var x = Tensor.FromArray([1f, 2f, 3f], 3);
        using (var r = TensorOps.Pad(x, [(2, 2)], PadMode.Reflect)) Assert.Equal([3f, 2f, 1f, 2f, 3f, 2f, 1f], r.ToArray());
        using (var s = TensorOps.Pad(x, [(2, 3)], PadMode.Symmetric)) Assert.Equal([2f, 1f, 1f, 2f, 3f, 3f, 2f, 1f], s.ToArray());
        Assert.Contains("0..2", Assert.Throws<ArgumentException>(() => TensorOps.Pad(x, [(3, 0)], PadMode.Reflect)).Message);
        Assert.Contains(">= 0", Assert.Throws<ArgumentException>(() => TensorOps.Pad(x, [(-1, 0)])).Message);
    }

    [Fact]
    public void CastConvertsBetweenEveryPairOfDtypesAsTF()
    {
        float[] values = [-2.7f, -1f, -0.5f, 0f, 0.5f, 1f, 2.7f, 7f, 200.9f];
        using var f = Tensor.FromArray(values, 9);
        using (var i = TensorOps.Cast(f, DType.Int32)) Assert.Equal([-2, -1, 0, 0, 0, 1, 2, 7, 200], i.ToArray<int>()); // toward zero
        using (var l = TensorOps.Cast(f, DType.Int64)) Assert.Equal([-2L, -1, 0, 0, 0, 1, 2, 7, 200], l.ToArray<long>());
        using (var b = TensorOps.Cast(f, DType.Bool)) Assert.Equal([true, true, true, false, true, true, true, true, true], b.ToArray<bool>());
        using (var u = TensorOps.Cast(Tensor.FromInt32([0, 7, 255, 256, -1], 5), DType.UInt8)) Assert.Equal([0, 7, 255, 0, 255], u.ToArray<byte>()); // low bits
        using (var n = TensorOps.Cast(Tensor.FromInt64([1L << 33 | 5, -3], 2), DType.Int32)) Assert.Equal([5, -3], n.ToArray<int>());
        using (var back = TensorOps.Cast(Tensor.FromBool([true, false], 2), DType.Float32)) Assert.Equal([1f, 0f], back.ToArray());
        // Every pair: through the naive rule on small values that every dtype holds.
        var rng = new Random(7);
        foreach (var from in All)
            foreach (var to in All)
            {
                using var x = Naive.Random(rng, from, [2, 3, 5]);
                using var y = TensorOps.Cast(x, to);
                Assert.Equal(to, y.DType);
                var expected = Naive.Values(x).Select(v => to switch
                {
                    DType.Bool => v != 0 ? 1 : 0,
                    DType.Float32 => v,
                    // Integers keep their low bits; a float out of range saturates.
                    DType.UInt8 => from == DType.Float32 ? Math.Clamp(Math.Truncate(v), 0, 255) : (byte)(int)v,
                    _ => Math.Truncate(v),
                }).ToArray();
                Assert.True(expected.SequenceEqual(Naive.Values(y)), $"{from} -> {to}");
            }
    }
}
