using System.Numerics;
using Shikaku.Kernels.Gemm;

namespace Shikaku.Kernels;

/// <summary>
/// One activation function as a small operator struct (the TensorPrimitives pattern): its forward and its
/// derivative a vector at a time, whether the derivative follows from the output alone, and whether the GEMM
/// and direct-convolution tiles can apply it in registers. <see cref="ActivationFunction{T}"/> runs it over
/// spans; the JIT compiles one specialised copy per struct, so nothing is called per element. Parameters
/// (a slope, an alpha) come from the <see cref="Activation"/> value through <see cref="Create"/>.
/// Adding an activation: one struct in this folder, one <see cref="ActivationKind"/> member, one line in
/// <see cref="ActivationFunction.For"/>'s table.
/// </summary>
internal interface IActivation<TSelf> where TSelf : struct, IActivation<TSelf>
{
    static abstract ActivationKind Kind { get; }
    /// <summary>The names <see cref="Activation.Parse"/> accepts; the first is the canonical one.</summary>
    static abstract string[] Names { get; }
    /// <summary>The struct with the value's parameters.</summary>
    static abstract TSelf Create(in Activation activation);

    /// <summary>The value for "name" or "name:parameter"; by default no parameter is taken.</summary>
    static virtual Activation Parse(string? parameter) => parameter == null
        ? new Activation(TSelf.Kind)
        : throw new FormatException($"Activation '{TSelf.Names[0]}' takes no parameter, got '{parameter}'; write '{TSelf.Names[0]}'.");

    /// <summary>The text <see cref="Parse"/> reads back.</summary>
    static virtual string Format(in Activation activation) => TSelf.Names[0];

    /// <summary>True when f'(x) is a function of y = f(x), so a backward pass needs only the output.</summary>
    static virtual bool GradientFromOutput(in Activation activation) => true;

    /// <summary>The register-tile form, or null when the function needs its own pass (it is not piecewise linear).</summary>
    static virtual FusedTail.Op? FusesIntoGemm(in Activation activation) => null;

    /// <summary>y = f(x).</summary>
    Vector<float> Forward(Vector<float> x);

    /// <summary>f'(x), given x and y = f(x) (x is not read when <see cref="GradientFromOutput"/> holds).</summary>
    Vector<float> Derivative(Vector<float> x, Vector<float> y);

    /// <summary>
    /// x = f(x) in place; <paramref name="offset"/> is the index of x[0] in its tensor's last axis period
    /// (for per-channel parameters). The default runs <see cref="Forward"/> a vector at a time, the tail
    /// through a padded vector so every element takes the same path.
    /// </summary>
    static virtual void Apply(in TSelf f, Span<float> x, int offset) => ActivationLoops.Apply(f, x);

    /// <summary>grad *= f'(x); <paramref name="input"/> is empty when <see cref="GradientFromOutput"/> holds and the caller kept only the output.</summary>
    static virtual void ApplyGradient(in TSelf f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
        => ActivationLoops.ApplyGradient(f, input.IsEmpty ? output : input, output, grad);
}

/// <summary>The default span loops of <see cref="IActivation{TSelf}"/>: a vector at a time, the tail through a padded vector so every element takes the same path.</summary>
internal static class ActivationLoops
{
    public static void Apply<T>(in T f, Span<float> x) where T : struct, IActivation<T>
    {
        int lanes = Vector<float>.Count, i = 0;
        for (; i <= x.Length - lanes; i += lanes) f.Forward(new Vector<float>(x[i..])).CopyTo(x[i..]);
        if (i == x.Length) return;
        Span<float> tail = stackalloc float[lanes];
        tail.Clear();
        x[i..].CopyTo(tail);
        f.Forward(new Vector<float>(tail)).CopyTo(tail);
        tail[..(x.Length - i)].CopyTo(x[i..]);
    }

    public static void ApplyGradient<T>(in T f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad) where T : struct, IActivation<T>
    {
        int lanes = Vector<float>.Count, i = 0;
        for (; i <= grad.Length - lanes; i += lanes)
            (new Vector<float>(grad[i..]) * f.Derivative(new Vector<float>(input[i..]), new Vector<float>(output[i..]))).CopyTo(grad[i..]);
        if (i == grad.Length) return;
        int rest = grad.Length - i;
        Span<float> padded = stackalloc float[3 * lanes];
        padded.Clear();
        Span<float> x = padded[..lanes], y = padded.Slice(lanes, lanes), g = padded[(2 * lanes)..];
        input.Slice(i, rest).CopyTo(x);
        output.Slice(i, rest).CopyTo(y);
        grad[i..].CopyTo(g);
        (new Vector<float>(g) * f.Derivative(new Vector<float>(x), new Vector<float>(y))).CopyTo(g);
        g[..rest].CopyTo(grad[i..]);
    }
}

/// <summary>An activation's span loops behind one virtual call per span (never per element).</summary>
internal abstract class ActivationFunction
{
    public abstract ActivationKind Kind { get; }
    public abstract string[] Names { get; }
    public abstract Activation Parse(string? parameter);
    public abstract string Format(in Activation activation);
    public abstract bool GradientFromOutput(in Activation activation);
    public abstract FusedTail.Op? FusesIntoGemm(in Activation activation);
    public abstract void Apply(in Activation activation, Span<float> x, int offset);
    public abstract void ApplyGradient(in Activation activation, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset);

    // In ActivationKind order (checked by InKindOrder).
    private static readonly ActivationFunction[] Table = InKindOrder(
    [
        new ActivationFunction<Linear>(), new ActivationFunction<Relu>(), new ActivationFunction<Relu6>(), new ActivationFunction<LeakyRelu>(),
        new ActivationFunction<Sigmoid>(), new ActivationFunction<Tanh>(), new ActivationFunction<HardSwish>(), new ActivationFunction<Swish>(),
        new ActivationFunction<Gelu>(), new ActivationFunction<GeluTanh>(), new ActivationFunction<Elu>(), new ActivationFunction<Softplus>(),
        new ActivationFunction<PRelu.Function>(),
    ]);

    // A field initializer rather than a static constructor, so that reading the table needs no initialization check.
    private static ActivationFunction[] InKindOrder(ActivationFunction[] table)
    {
        for (int i = 0; i < table.Length; i++)
            if ((int)table[i].Kind != i) throw new InvalidOperationException($"Activation table entry {i} is {table[i].Kind}; keep it in ActivationKind order.");
        return table;
    }

    /// <summary>Every activation, in <see cref="ActivationKind"/> order.</summary>
    public static IReadOnlyList<ActivationFunction> All => Table;

    public static ActivationFunction For(ActivationKind kind) => (uint)kind < (uint)Table.Length
        ? Table[(int)kind]
        : throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown activation kind {(int)kind}.");
}

internal sealed class ActivationFunction<T> : ActivationFunction where T : struct, IActivation<T>
{
    public override ActivationKind Kind => T.Kind;
    public override string[] Names => T.Names;
    public override Activation Parse(string? parameter) => T.Parse(parameter);
    public override string Format(in Activation activation) => T.Format(activation);
    public override bool GradientFromOutput(in Activation activation) => T.GradientFromOutput(activation);
    public override FusedTail.Op? FusesIntoGemm(in Activation activation) => T.FusesIntoGemm(activation);
    public override void Apply(in Activation activation, Span<float> x, int offset) => T.Apply(T.Create(activation), x, offset);
    public override void ApplyGradient(in Activation activation, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
        => T.ApplyGradient(T.Create(activation), input, output, grad, offset);
}
