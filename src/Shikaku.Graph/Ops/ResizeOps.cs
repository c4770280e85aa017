using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// ResizeBilinear and ResizeNearestNeighbor (input 1: the new [height, width]) with TF's align_corners and
/// half_pixel_centers, on <see cref="Resample.Resize"/>: each combination is one of its <see cref="ResizeMode"/>s.
/// Float32 images (a bilinear resize of integers is computed on their float32 values, as TF returns float32).
/// </summary>
internal static class ResizeOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("ResizeBilinear", 2, c => new Resize(c, bilinear: true)));
        r.Register(OpSupport.Op("ResizeNearestNeighbor", 2, c => new Resize(c, bilinear: false)));
    }

    /// <summary>The mode TF computes for these attributes (both true is TF's error too).</summary>
    public static ResizeMode ModeOf(bool bilinear, bool alignCorners, bool halfPixelCenters) => (bilinear, alignCorners, halfPixelCenters) switch
    {
        (_, true, true) => throw new GraphException("align_corners and half_pixel_centers cannot both be true."),
        (true, true, _) => ResizeMode.BilinearAlignCorners,
        (true, _, true) => ResizeMode.Bilinear,
        (true, _, _) => ResizeMode.BilinearAsymmetric,
        (false, true, _) => ResizeMode.NearestAlignCorners,
        (false, _, true) => ResizeMode.NearestHalfPixel,
        _ => ResizeMode.Nearest,
    };

    private sealed class Resize : IOpKernel
    {
        private readonly ResizeMode _mode;
        private readonly bool _bilinear;
        private readonly IntegerInput _size;

        public Resize(CompileContext c, bool bilinear)
        {
            _bilinear = bilinear;
            _mode = ModeOf(bilinear, c.Attributes.Bool("align_corners", false), c.Attributes.Bool("half_pixel_centers", false));
            _size = new IntegerInput(c, 1, "the size");
        }

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            var size = _size.Values(ref c);
            if (size.Length != 2 || size[0] < 1 || size[1] < 1) throw new GraphException($"the size ({string.Join(", ", size)}) must be [height, width], each at least 1.");
            if (x.Rank != 4 || x.Shape[1] == 0 || x.Shape[2] == 0) throw new GraphException($"the images must be NHWC [batch, height, width, channels] of at least 1x1, got {x.Shape}.");
            OpSupport.OutputShape([x.Shape[0], size[0], size[1], x.Shape[3]], "Resize");
            if (x.DType == DType.Float32)
            {
                c.SetOutput(0, Resample.Resize(x, (int)size[0], (int)size[1], _mode));
                return;
            }
            if (!_bilinear) throw new GraphException($"ResizeNearestNeighbor works on float32 images here; got {x.DType.Name()}. Cast the images first.");
            using var floats = TensorOps.Cast(x, DType.Float32);
            c.SetOutput(0, Resample.Resize(floats, (int)size[0], (int)size[1], _mode));
        }
    }
}
