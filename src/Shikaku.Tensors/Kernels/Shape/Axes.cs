using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>Resolves a possibly negative axis (-1 is the last) against a rank, or says which axes exist.</summary>
    internal static int Axis(int axis, int rank, string operation)
    {
        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{operation}: axis {axis} does not exist in a tensor of rank {rank}; use 0..{rank - 1} or -{rank}..-1.");
        return a;
    }

    /// <summary>The product of dims[from..to).</summary>
    internal static int Product(Shape shape, int from, int to)
    {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }
}
