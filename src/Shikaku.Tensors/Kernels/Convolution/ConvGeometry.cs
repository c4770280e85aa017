using System.Globalization;

namespace Shikaku.Kernels;

/// <summary>How a convolution or pooling window treats the border.</summary>
public enum PaddingKind
{
    /// <summary>No padding: windows lie fully inside the input (Keras 'valid').</summary>
    Valid,
    /// <summary>Output size = ceil(input / stride); the padding is split, the extra pixel going bottom/right (TF/Keras 'same').</summary>
    Same,
    /// <summary>Given numbers of zero rows/columns on each side.</summary>
    Explicit,
}

/// <summary>Border handling for a sliding window; the explicit amounts are used only with <see cref="PaddingKind.Explicit"/>.</summary>
/// <example><code>Padding.Same; Padding.Explicit(1); Padding.Parse("1,2")</code></example>
public readonly record struct Padding(PaddingKind Kind, int Top = 0, int Bottom = 0, int Left = 0, int Right = 0)
{
    /// <summary>No padding.</summary>
    public static Padding Valid => new(PaddingKind.Valid);

    /// <summary>TF/Keras 'same' padding.</summary>
    public static Padding Same => new(PaddingKind.Same);

    /// <summary>The same amount on all four sides.</summary>
    public static Padding Explicit(int all) => Explicit(all, all, all, all);

    /// <summary>Top/bottom and left/right amounts.</summary>
    public static Padding Explicit(int vertical, int horizontal) => Explicit(vertical, vertical, horizontal, horizontal);

    /// <summary>Each side separately.</summary>
    public static Padding Explicit(int top, int bottom, int left, int right)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new ArgumentException($"Padding must not be negative, got top={top} bottom={bottom} left={left} right={right}.");
        return new Padding(PaddingKind.Explicit, top, bottom, left, right);
    }

    /// <summary>The largest amount <see cref="Parse"/> accepts on a side (1000): more is zeros around zeros, and memory.</summary>
    public const int MaxParsed = 1000;

    /// <summary>Parses "valid", "same", "N" (all sides), "V,H" or "T,B,L,R"; each amount at most <see cref="MaxParsed"/>.</summary>
    public static Padding Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        if (t == "valid") return Valid;
        if (t == "same") return Same;
        string[] parts = t.Split(',', StringSplitOptions.TrimEntries);
        var n = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out n[i]) || n[i] < 0)
                throw new FormatException($"Padding '{text}' is not valid: use 'valid', 'same', N, 'V,H' or 'T,B,L,R' with whole numbers >= 0.");
            else if (n[i] > MaxParsed)
                throw new FormatException($"Padding '{text}': {n[i]} is over the limit of {MaxParsed} per side; use 'same' or a smaller number.");
        return parts.Length switch
        {
            1 => Explicit(n[0]),
            2 => Explicit(n[0], n[1]),
            4 => Explicit(n[0], n[1], n[2], n[3]),
            _ => throw new FormatException($"Padding '{text}' has {parts.Length} numbers: give 1 (all sides), 2 (vertical,horizontal) or 4 (top,bottom,left,right)."),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        PaddingKind.Valid => "valid",
        PaddingKind.Same => "same",
        _ => $"{Top},{Bottom},{Left},{Right}",
    };
}

/// <summary>
/// Where every window of a 2-D sliding-window operation lies: output size and the padding actually
/// applied. Convolution, pooling and the explanation traces all take their windows from here.
/// </summary>
public readonly record struct ConvGeometry
{
    /// <summary>Input height and width.</summary>
    public int InH { get; }
    /// <inheritdoc cref="InH"/>
    public int InW { get; }
    /// <summary>Window height and width (before dilation).</summary>
    public int KH { get; }
    /// <inheritdoc cref="KH"/>
    public int KW { get; }
    /// <summary>Step between windows.</summary>
    public int StrideH { get; }
    /// <inheritdoc cref="StrideH"/>
    public int StrideW { get; }
    /// <summary>Spacing between taps of a window (1 = adjacent).</summary>
    public int DilationH { get; }
    /// <inheritdoc cref="DilationH"/>
    public int DilationW { get; }
    /// <summary>Zero rows above / columns left of the input.</summary>
    public int PadTop { get; }
    /// <inheritdoc cref="PadTop"/>
    public int PadLeft { get; }
    /// <summary>Zero rows below / columns right of the input.</summary>
    public int PadBottom { get; }
    /// <inheritdoc cref="PadBottom"/>
    public int PadRight { get; }
    /// <summary>Output height and width.</summary>
    public int OutH { get; }
    /// <inheritdoc cref="OutH"/>
    public int OutW { get; }

    /// <summary>Resolves the geometry; throws with the offending values when no window fits.</summary>
    public ConvGeometry(int inH, int inW, int kh, int kw, int strideH, int strideW, int dilationH, int dilationW, Padding padding)
    {
        if (inH < 1 || inW < 1) throw new ArgumentException($"Input is {inH}x{inW}; height and width must be at least 1.");
        if (kh < 1 || kw < 1) throw new ArgumentException($"Window is {kh}x{kw}; it must be at least 1x1.");
        if (strideH < 1 || strideW < 1) throw new ArgumentException($"Stride {strideH}x{strideW} must be at least 1.");
        if (dilationH < 1 || dilationW < 1) throw new ArgumentException($"Dilation {dilationH}x{dilationW} must be at least 1.");
        (InH, InW, KH, KW, StrideH, StrideW, DilationH, DilationW) = (inH, inW, kh, kw, strideH, strideW, dilationH, dilationW);
        // In 64 bits: a large dilation or stride must not wrap around into a window that "fits" (a silently wrong output).
        long effH = (long)(kh - 1) * dilationH + 1, effW = (long)(kw - 1) * dilationW + 1;
        long padH = 0, padW = 0;
        switch (padding.Kind)
        {
            case PaddingKind.Same:
                OutH = (int)(((long)inH + strideH - 1) / strideH);
                OutW = (int)(((long)inW + strideW - 1) / strideW);
                padH = Math.Max(0, (long)(OutH - 1) * strideH + effH - inH);
                padW = Math.Max(0, (long)(OutW - 1) * strideW + effW - inW);
                break;
            case PaddingKind.Explicit:
                padH = (long)padding.Top + padding.Bottom;
                padW = (long)padding.Left + padding.Right;
                OutH = Out(inH + padH, effH, strideH);
                OutW = Out(inW + padW, effW, strideW);
                break;
            default:
                OutH = Out(inH, effH, strideH);
                OutW = Out(inW, effW, strideW);
                break;
        }
        if (inH + padH > int.MaxValue || inW + padW > int.MaxValue)
            throw new ArgumentException(
                $"A {kh}x{kw} window with dilation {dilationH}x{dilationW} and padding {padding} on a {inH}x{inW} input needs a padded input of " +
                $"{inH + padH}x{inW + padW}, more than a tensor side can be; use a smaller dilation or less padding.");
        if (padding.Kind == PaddingKind.Same)
            (PadTop, PadBottom, PadLeft, PadRight) = ((int)(padH / 2), (int)(padH - padH / 2), (int)(padW / 2), (int)(padW - padW / 2));
        else if (padding.Kind == PaddingKind.Explicit)
            (PadTop, PadBottom, PadLeft, PadRight) = (padding.Top, padding.Bottom, padding.Left, padding.Right);
        if (OutH < 1 || OutW < 1)
            throw new ArgumentException(
                $"A {kh}x{kw} window (dilation {dilationH}x{dilationW}, so {effH}x{effW}) does not fit a {inH}x{inW} input with padding {padding}: " +
                "use a smaller window, 'same' padding or more padding.");
    }

    private static int Out(long padded, long eff, int stride) => padded < eff ? 0 : (int)((padded - eff) / stride + 1);

    /// <summary>Input row of tap <paramref name="kh"/> of the window at output row <paramref name="oh"/> (may lie in the padding).</summary>
    public int InputRow(int oh, int kh) => oh * StrideH - PadTop + kh * DilationH;

    /// <summary>Input column of tap <paramref name="kw"/> of the window at output column <paramref name="ow"/> (may lie in the padding).</summary>
    public int InputCol(int ow, int kw) => ow * StrideW - PadLeft + kw * DilationW;

    /// <summary>The taps <c>[First, End)</c> of the window at output row <paramref name="oh"/> that fall inside the input (not in the padding).</summary>
    public (int First, int End) RowTaps(int oh) => TapsInside(InputRow(oh, 0), DilationH, KH, InH);

    /// <summary>The taps <c>[First, End)</c> of the window at output column <paramref name="ow"/> that fall inside the input.</summary>
    public (int First, int End) ColTaps(int ow) => TapsInside(InputCol(ow, 0), DilationW, KW, InW);

    // Tap t reads start + t·dilation; the taps inside 0..length-1 are a contiguous run.
    private static (int First, int End) TapsInside(int start, int dilation, int taps, int length)
    {
        // In 64 bits: -start + dilation - 1 passes int.MaxValue for a dilation near it.
        long first = start >= 0 ? 0 : (-(long)start + dilation - 1) / dilation;
        long end = start >= length ? 0 : Math.Min(taps, ((long)length - 1 - start) / dilation + 1);
        return ((int)Math.Min(first, end), (int)end);
    }
}

/// <summary>What a window sees outside the image.</summary>
public enum BorderMode
{
    /// <summary>Zeros (what neural networks use).</summary>
    Zero,
    /// <summary>Mirror without repeating the edge pixel: gfedcb|abcdefgh|gfedcba (OpenCV's default for filters).</summary>
    Reflect101,
    /// <summary>Repeat the edge pixel: aaaaaa|abcdefgh|hhhhhhh.</summary>
    Replicate,
}

/// <summary>Maps a coordinate outside the image to the one it reads under a <see cref="BorderMode"/>.</summary>
public static class Border
{
    /// <summary>The index inside 0..length-1 that position <paramref name="i"/> reads, or -1 for a zero.</summary>
    public static int Map(int i, int length, BorderMode mode)
    {
        if ((uint)i < (uint)length) return i;
        switch (mode)
        {
            case BorderMode.Replicate:
                return i < 0 ? 0 : length - 1;
            case BorderMode.Reflect101:
                if (length == 1) return 0;
                int period = 2 * (length - 1);
                int r = i % period;
                if (r < 0) r += period;
                return r < length ? r : period - r;
            default:
                return -1;
        }
    }
}
