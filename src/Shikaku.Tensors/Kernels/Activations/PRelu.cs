using System.Numerics;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>
/// PReLU: y = x where x &gt; 0, else alpha · x, with a learned slope alpha per channel (Keras PReLU, TF.js Prelu).
/// The slopes repeat along the input's last axes: [C] for one slope per channel (Keras shared_axes=[1, 2]),
/// or a whole trailing shape such as [H, W, C] (Keras' default). Backward: dx = dy where x &gt; 0, else
/// alpha · dy; d alpha = Σ dy · x over the positions where x &lt;= 0 that share the slope.
/// As a fused activation (<see cref="Activation.PRelu"/>) the slopes are one per output channel.
/// </summary>
/// <example><code>
/// using var y = PRelu.Forward(x, alpha);                          // x [N, H, W, C], alpha [C]
/// using var dx = PRelu.Backward(x, alpha, dy, alphaGrad);          // alphaGrad [C] accumulates
/// </code></example>
public static class PRelu
{
    /// <summary>y = prelu(x; slopes) in a new tensor.</summary>
    public static Tensor Forward(Tensor input, Tensor slopes)
    {
        ArgumentNullException.ThrowIfNull(input);
        int period = Period(input.Shape, slopes);
        var output = Tensor.Uninitialized(input.Shape);
        Apply(input.Span, slopes.Span, period, output.Span, 0);
        return output;
    }

    /// <summary>Returns dx and adds d slopes to <paramref name="slopesGrad"/> (same shape as the slopes).</summary>
    public static Tensor Backward(Tensor input, Tensor slopes, Tensor outputGrad, Tensor slopesGrad)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(outputGrad);
        ArgumentNullException.ThrowIfNull(slopesGrad);
        int period = Period(input.Shape, slopes);
        outputGrad.ExpectShape(input.Shape, "PReLU output gradient");
        slopesGrad.ExpectShape(slopes.Shape, "PReLU slope gradient");
        var dx = Tensor.Uninitialized(input.Shape);
        var x = input.Span;
        var a = slopes.Span;
        var dy = outputGrad.Span;
        var da = slopesGrad.Span;
        var g = dx.Span;
        for (int start = 0; start < x.Length; start += period)
            for (int c = 0; c < period; c++)
            {
                int i = start + c;
                if (x[i] > 0f)
                {
                    g[i] = dy[i];
                }
                else
                {
                    g[i] = a[c] * dy[i];
                    da[c] += dy[i] * x[i];
                }
            }
        return dx;
    }

    /// <summary>How many values the slopes cover: their length, once leading 1s are ignored they must be the input's last axes.</summary>
    internal static int Period(Shape input, Tensor slopes)
    {
        ArgumentNullException.ThrowIfNull(slopes);
        var s = slopes.Shape;
        int first = 0;
        while (first < s.Rank - 1 && s[first] == 1) first++;
        int axes = s.Rank - first;
        bool fits = axes <= input.Rank - 1 || (axes == 1 && input.Rank == 1);
        for (int i = 0; fits && i < axes; i++) fits = s[first + i] == input[input.Rank - axes + i];
        if (!fits)
            throw new ArgumentException($"PReLU slopes {s} do not match the last axes of the input {input}; give one slope per channel [{input[input.Rank - 1]}] or the input's trailing shape.", nameof(slopes));
        return (int)s.Length;
    }

    /// <summary>y = prelu(x), x[0] being at <paramref name="offset"/> within the slopes' period.</summary>
    internal static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> slopes, int period, Span<float> y, int offset)
    {
        int c = offset % period, i = 0;
        // Up to the start of a period one value at a time, then whole periods (rows of channels) a vector at a time.
        for (; i < x.Length && c != 0; i++)
        {
            y[i] = x[i] > 0f ? x[i] : slopes[c] * x[i];
            if (++c == period) c = 0;
        }
        for (; i + period <= x.Length; i += period) Row(x.Slice(i, period), slopes[..period], y.Slice(i, period));
        for (c = 0; i < x.Length; i++, c++) y[i] = x[i] > 0f ? x[i] : slopes[c] * x[i];
    }

    // One period: y = x where x > 0, else slope · x.
    private static void Row(ReadOnlySpan<float> x, ReadOnlySpan<float> slopes, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
            {
                var v = new Vector<float>(x[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * new Vector<float>(slopes[i..])).CopyTo(y[i..]);
            }
        for (; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] : slopes[i] * x[i];
    }

    /// <summary>PReLU as an activation value: per-channel loops over the value's <see cref="Activation.Slopes"/>.</summary>
    internal readonly struct Function(Tensor slopes) : IActivation<Function>
    {
        private readonly Tensor _slopes = slopes;
        public static ActivationKind Kind => ActivationKind.PRelu;
        public static string[] Names { get; } = ["prelu"];

        public static Function Create(in Activation activation) =>
            new(activation.Slopes ?? throw new ArgumentException("A PReLU activation needs its slopes; make it with Activation.PRelu(slopes).", nameof(activation)));

        public static Activation Parse(string? parameter) =>
            throw new FormatException("PReLU learns one slope per channel, so it has no text form; use a PReLU layer or Activation.PRelu(slopes).");

        public static bool GradientFromOutput(in Activation activation) => false;

        /// <summary>Not used: the spans below know each value's channel, a lone vector does not.</summary>
        public Vector<float> Forward(Vector<float> x) => throw new NotSupportedException("PReLU runs per channel; call Activation.Apply on a span.");

        /// <inheritdoc cref="Forward"/>
        public Vector<float> Derivative(Vector<float> x, Vector<float> y) => throw new NotSupportedException("PReLU runs per channel; call Activation.Backward on a span.");

        public static void Apply(in Function f, Span<float> x, int offset) => PRelu.Apply(x, f._slopes.Span, (int)f._slopes.Shape.Length, x, offset);

        public static void ApplyGradient(in Function f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
        {
            var a = f._slopes.Span;
            int period = a.Length, c = offset % period;
            for (int i = 0; i < grad.Length; i++)
            {
                if (!(input[i] > 0f)) grad[i] *= a[c];
                if (++c == period) c = 0;
            }
        }
    }
}
