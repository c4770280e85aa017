using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>A convolution with its weights: y = act(conv(x, kernel) + bias). Kernel [KH, KW, Cin, Cout].</summary>
internal sealed class Conv : IDisposable
{
    private readonly Tensor _kernel;
    private readonly Tensor? _bias;
    private readonly ConvOptions _options;

    public Conv(Tensor kernel, Tensor? bias, int stride, Padding padding, Activation activation)
    {
        _kernel = kernel;
        _bias = bias;
        _options = new ConvOptions { Stride = stride, Padding = padding, Activation = activation };
    }

    /// <summary>Reads "{prefix}/filters" and "{prefix}/bias" (face-api's naming) with the shapes given.</summary>
    public static Conv Load(WeightMap w, string prefix, int k, int cin, int cout, int stride, Padding padding, Activation activation) =>
        new(w.Get($"{prefix}/filters", k, k, cin, cout).Clone(), w.Get($"{prefix}/bias", cout).Clone(), stride, padding, activation);

    public int OutChannels => _kernel.Shape[3];

    public Tensor Apply(Tensor x) => Convolution.Conv2D(x, _kernel, _bias, _options);

    public void Dispose()
    {
        _kernel.Dispose();
        _bias?.Dispose();
    }
}

/// <summary>A depthwise 3x3 convolution ('same') with a bias and a fused activation. Kernel [KH, KW, C, 1].</summary>
internal sealed class DepthwiseConv : IDisposable
{
    private readonly Tensor _kernel;
    private readonly Tensor? _bias;
    private readonly ConvOptions _options;

    public DepthwiseConv(Tensor kernel, Tensor? bias, int stride, Activation activation)
    {
        _kernel = kernel;
        _bias = bias;
        _options = new ConvOptions { Stride = stride, Padding = Padding.Same, Activation = activation };
    }

    public Tensor Apply(Tensor x) => Convolution.DepthwiseConv2D(x, _kernel, _bias, _options);

    public void Dispose()
    {
        _kernel.Dispose();
        _bias?.Dispose();
    }
}

/// <summary>
/// tf.separableConv2d + bias: a 3x3 depthwise convolution (no bias, stride s, 'same') then a 1x1 pointwise
/// convolution with the bias and an optional activation fused into its epilogue.
/// </summary>
internal sealed class SeparableConv : IDisposable
{
    private readonly DepthwiseConv _depthwise;
    private readonly Conv _pointwise;

    public SeparableConv(WeightMap w, string prefix, int cin, int cout, int stride, Activation activation)
    {
        _depthwise = new DepthwiseConv(w.Get($"{prefix}/depthwise_filter", 3, 3, cin, 1).Clone(), null, stride, Activation.Linear);
        _pointwise = new Conv(w.Get($"{prefix}/pointwise_filter", 1, 1, cin, cout).Clone(), w.Get($"{prefix}/bias", cout).Clone(), 1, Padding.Valid, activation);
    }

    public Tensor Apply(Tensor x)
    {
        using var dw = _depthwise.Apply(x);
        return _pointwise.Apply(dw);
    }

    public void Dispose()
    {
        _depthwise.Dispose();
        _pointwise.Dispose();
    }
}

/// <summary>A fully connected layer x [N, in] * W [in, out] + b.</summary>
internal sealed class FullyConnected : IDisposable
{
    private readonly Tensor _weights;
    private readonly Tensor? _bias;

    public FullyConnected(Tensor weights, Tensor? bias)
    {
        _weights = weights;
        _bias = bias;
    }

    public static FullyConnected Load(WeightMap w, string prefix, int cin, int cout) =>
        new(w.Get($"{prefix}/weights", cin, cout).Clone(), w.Get($"{prefix}/bias", cout).Clone());

    public Tensor Apply(Tensor x)
    {
        int n = x.Shape[0], cin = _weights.Shape[0], cout = _weights.Shape[1];
        if (x.Length != n * cin) throw new ArgumentException($"Fully connected layer expects {cin} features per item, got {x.Shape}.");
        var y = Tensor.Uninitialized(new Shape(n, cout));
        Sgemm.Multiply(false, false, n, cout, cin, 1f, x.Span, cin, _weights.Span, cout, 0f, y.Span, cout,
            _bias == null ? ReadOnlySpan<float>.Empty : _bias.Span, Activation.Linear);
        return y;
    }

    public void Dispose()
    {
        _weights.Dispose();
        _bias?.Dispose();
    }
}

/// <summary>Small elementwise helpers on whole tensors.</summary>
internal static class Ops
{
    /// <summary>a + b into a new tensor (same shapes).</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        if (a.Shape != b.Shape) throw new ArgumentException($"Cannot add {a.Shape} and {b.Shape}.");
        var y = Tensor.Uninitialized(a.Shape);
        TensorPrimitives.Add(a.Span, b.Span, y.Span);
        return y;
    }

    /// <summary>a += b.</summary>
    public static void AddInPlace(Tensor a, Tensor b)
    {
        if (a.Shape != b.Shape) throw new ArgumentException($"Cannot add {a.Shape} and {b.Shape}.");
        TensorPrimitives.Add(a.Span, b.Span, a.Span);
    }

    /// <summary>max(x, 0) in place; returns x.</summary>
    public static Tensor ReluInPlace(Tensor x)
    {
        ElementwiseOps.Activate(x.Span, Activation.Relu);
        return x;
    }

    /// <summary>relu(x) into a new tensor.</summary>
    public static Tensor Relu(Tensor x) => ReluInPlace(x.Clone());

    /// <summary>(x - mean[c]) / divisor per channel, in place on an NHWC tensor with 3 channels.</summary>
    public static void Normalize(Tensor x, ReadOnlySpan<float> mean, float divisor)
    {
        var s = x.Span;
        for (int i = 0; i < s.Length; i += 3)
        {
            s[i] = (s[i] - mean[0]) / divisor;
            s[i + 1] = (s[i + 1] - mean[1]) / divisor;
            s[i + 2] = (s[i + 2] - mean[2]) / divisor;
        }
    }
}
