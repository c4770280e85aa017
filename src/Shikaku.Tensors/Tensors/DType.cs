namespace Shikaku.Tensors;

/// <summary>
/// The element type of a tensor. Every kernel computes in <see cref="Float32"/>; the integer and bool types
/// carry what imported graphs (TF.js, ONNX) pass around: shapes, indices, masks and raw image bytes.
/// </summary>
/// <example><code>using var ids = Tensor.FromInt32([3, 1, 2], 3); // ids.DType == DType.Int32</code></example>
public enum DType
{
    /// <summary>32-bit IEEE float: the type of every kernel and of every tensor made without a dtype.</summary>
    Float32,
    /// <summary>32-bit signed integer (TF.js's int32; shapes and indices).</summary>
    Int32,
    /// <summary>64-bit signed integer (ONNX's shapes and indices).</summary>
    Int64,
    /// <summary>True or false, one byte each (masks, comparison results).</summary>
    Bool,
    /// <summary>8-bit unsigned integer (image bytes, quantized data).</summary>
    UInt8,
}

/// <summary>Sizes and names of <see cref="DType"/>s, and the mapping from .NET element types.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Int64 => 8,
        DType.Bool or DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The lower-case name used in messages and in TF.js manifests ("float32", "int32", ...).</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Bool => "bool",
        DType.UInt8 => "uint8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>Whether values of this type are numbers one can add (every type but bool).</summary>
    public static bool IsNumeric(this DType dtype) => dtype != DType.Bool;

    /// <summary>The dtype whose elements are <typeparamref name="T"/>: float, int, long, bool or byte.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(int) ? DType.Int32
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(bool) ? DType.Bool
        : typeof(T) == typeof(byte) ? DType.UInt8
        : throw new NotSupportedException($"Tensors hold float, int, long, bool or byte elements, not {typeof(T).Name}.");
}
