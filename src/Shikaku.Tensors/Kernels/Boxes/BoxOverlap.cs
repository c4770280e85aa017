namespace Shikaku.Kernels;

/// <summary>
/// Overlap of axis-aligned boxes given by two opposite corners, four numbers per box
/// (y1, x1, y2, x2 or x1, y1, x2, y2: the formula is symmetric in the axes, and the corners may come in
/// either order, as TF's non_max_suppression accepts them).
/// </summary>
/// <example><code>double iou = BoxOverlap.IoU(boxes, 0, 1); // boxes: [n * 4] corners</code></example>
public static class BoxOverlap
{
    /// <summary>
    /// Intersection over union of boxes <paramref name="i"/> and <paramref name="j"/> of
    /// <paramref name="boxes"/> ([n * 4] corners), in double precision; 0 when either box is empty.
    /// </summary>
    public static double IoU(ReadOnlySpan<double> boxes, int i, int j)
    {
        // TF's IOU (non_max_suppression_op.cc): normalise the corner order, then an empty box overlaps nothing.
        double aMin0 = Math.Min(boxes[i * 4], boxes[i * 4 + 2]), aMin1 = Math.Min(boxes[i * 4 + 1], boxes[i * 4 + 3]);
        double aMax0 = Math.Max(boxes[i * 4], boxes[i * 4 + 2]), aMax1 = Math.Max(boxes[i * 4 + 1], boxes[i * 4 + 3]);
        double bMin0 = Math.Min(boxes[j * 4], boxes[j * 4 + 2]), bMin1 = Math.Min(boxes[j * 4 + 1], boxes[j * 4 + 3]);
        double bMax0 = Math.Max(boxes[j * 4], boxes[j * 4 + 2]), bMax1 = Math.Max(boxes[j * 4 + 1], boxes[j * 4 + 3]);
        double areaA = (aMax0 - aMin0) * (aMax1 - aMin1), areaB = (bMax0 - bMin0) * (bMax1 - bMin1);
        if (areaA <= 0 || areaB <= 0) return 0.0;
        double inter = Math.Max(Math.Min(aMax0, bMax0) - Math.Max(aMin0, bMin0), 0.0) * Math.Max(Math.Min(aMax1, bMax1) - Math.Max(aMin1, bMin1), 0.0);
        return inter / (areaA + areaB - inter);
    }

    /// <summary>The [a, b] matrix of IoUs between every box of <paramref name="first"/> and every box of <paramref name="second"/>.</summary>
    public static double[,] PairwiseIoU(ReadOnlySpan<double> first, ReadOnlySpan<double> second)
    {
        CheckCorners(first, nameof(first));
        CheckCorners(second, nameof(second));
        int a = first.Length / 4, b = second.Length / 4;
        var both = new double[first.Length + second.Length];
        first.CopyTo(both);
        second.CopyTo(both.AsSpan(first.Length));
        var result = new double[a, b];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++) result[i, j] = IoU(both, i, a + j);
        return result;
    }

    internal static void CheckCorners(ReadOnlySpan<double> boxes, string name)
    {
        if (boxes.Length % 4 != 0)
            throw new ArgumentException($"Boxes come as four corners each; {boxes.Length} numbers is not a multiple of 4.", name);
    }
}
