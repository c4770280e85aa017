using Shikaku.Tensors;

namespace Shikaku.Tests;

/// <summary>
/// Naive references for the tensor operations: nested loops over multi-indices, written for the reader and
/// not for speed, with values held as doubles whatever the dtype. The fast operations are checked against them.
/// </summary>
internal static class Naive
{
    /// <summary>Every multi-index of a shape, in row-major order.</summary>
    public static IEnumerable<int[]> Indices(int[] dims)
    {
        if (dims.Any(d => d == 0)) yield break;
        var index = new int[dims.Length];
        while (true)
        {
            yield return (int[])index.Clone();
            int d = dims.Length - 1;
            for (; d >= 0; d--)
            {
                if (++index[d] < dims[d]) break;
                index[d] = 0;
            }
            if (d < 0) yield break;
        }
    }

    /// <summary>The row-major position of a multi-index.</summary>
    public static int Flat(int[] index, int[] dims)
    {
        int flat = 0;
        for (int d = 0; d < dims.Length; d++) flat = flat * dims[d] + index[d];
        return flat;
    }

    /// <summary>The elements of any tensor as doubles (bool as 0/1).</summary>
    public static double[] Values(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToArray().Select(v => (double)v).ToArray(),
        DType.Int32 => t.ToArray<int>().Select(v => (double)v).ToArray(),
        DType.Int64 => t.ToArray<long>().Select(v => (double)v).ToArray(),
        DType.Bool => t.ToArray<bool>().Select(v => v ? 1.0 : 0.0).ToArray(),
        _ => t.ToArray<byte>().Select(v => (double)v).ToArray(),
    };

    /// <summary>A tensor of the dtype holding the given values (which must fit it).</summary>
    public static Tensor Make(DType dtype, double[] values, int[] dims) => dtype switch
    {
        DType.Float32 => Tensor.FromArray(values.Select(v => (float)v).ToArray(), dims),
        DType.Int32 => Tensor.FromInt32(values.Select(v => (int)v).ToArray(), dims),
        DType.Int64 => Tensor.FromInt64(values.Select(v => (long)v).ToArray(), dims),
        DType.Bool => Tensor.FromBool(values.Select(v => v != 0).ToArray(), dims),
        _ => Tensor.FromUInt8(values.Select(v => (byte)v).ToArray(), dims),
    };

    /// <summary>Random values that fit the dtype: floats in [-4, 4), integers in [-9, 9] (uint8 0..20), bools.</summary>
    public static Tensor Random(Random rng, DType dtype, int[] dims)
    {
        int n = dims.Aggregate(1, (a, b) => a * b);
        var values = Enumerable.Range(0, n).Select(_ => dtype switch
        {
            DType.Float32 => (double)(float)(rng.NextDouble() * 8 - 4),
            DType.Bool => rng.Next(2),
            DType.UInt8 => rng.Next(21),
            _ => rng.Next(-9, 10),
        }).ToArray();
        return Make(dtype, values, dims);
    }

    /// <summary>A random shape of rank 0..maxRank with dimensions 1..maxDim.</summary>
    public static int[] Shape(Random rng, int maxRank = 6, int maxDim = 4)
    {
        int rank = rng.Next(maxRank + 1);
        return Enumerable.Range(0, rank).Select(_ => rng.Next(1, maxDim + 1)).ToArray();
    }

    /// <summary>A shape that broadcasts to <paramref name="dims"/>: some leading dimensions dropped, some others set to 1.</summary>
    public static int[] BroadcastPartner(Random rng, int[] dims)
    {
        int drop = rng.Next(dims.Length + 1);
        return dims.Skip(drop).Select(d => rng.Next(3) == 0 ? 1 : d).ToArray();
    }

    /// <summary>The element of an operand of shape <paramref name="dims"/> that output index <paramref name="outIndex"/> reads under broadcasting.</summary>
    public static int BroadcastFlat(int[] outIndex, int[] dims)
    {
        int offset = outIndex.Length - dims.Length;
        var index = dims.Select((d, i) => d == 1 ? 0 : outIndex[i + offset]).ToArray();
        return Flat(index, dims);
    }

    /// <summary>The broadcast shape, as NumPy defines it, or null when the shapes do not broadcast.</summary>
    public static int[]? BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - rank + a.Length >= 0 ? a[i - rank + a.Length] : 1;
            int db = i - rank + b.Length >= 0 ? b[i - rank + b.Length] : 1;
            if (da != db && da != 1 && db != 1) return null;
            dims[i] = Math.Max(da, db);
        }
        return dims;
    }

    /// <summary><paramref name="count"/> random trials from one seeded generator, cycling through <paramref name="dtypes"/>.</summary>
    public static IEnumerable<(Random Rng, DType DType)> Trials(int seed, int count, params DType[] dtypes)
    {
        var rng = new Random(seed);
        for (int trial = 0; trial < count; trial++) yield return (rng, dtypes[trial % dtypes.Length]);
    }
}
