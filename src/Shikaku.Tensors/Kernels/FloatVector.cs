using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Shikaku.Kernels;

/// <summary>
/// A float vector of a fixed width, so one generic kernel body serves 512-, 256-, 128-bit and scalar
/// code: the JIT compiles a separate, fully inlined copy for each struct below.
/// </summary>
internal unsafe interface IFloatVector<TSelf> where TSelf : struct, IFloatVector<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Load(float* p);
    static abstract TSelf Splat(float value);
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Max(TSelf a, TSelf b);
    void Store(float* p);
}

internal unsafe struct V512 : IFloatVector<V512>
{
    private Vector512<float> _v;
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* p) => new() { _v = Vector512.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Splat(float value) => new() { _v = Vector512.Create(value) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Fma(V512 a, V512 b, V512 c) => new() { _v = Vector512.FusedMultiplyAdd(a._v, b._v, c._v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Add(V512 a, V512 b) => new() { _v = a._v + b._v };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Max(V512 a, V512 b) => new() { _v = Vector512.Max(a._v, b._v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly void Store(float* p) => _v.Store(p);
}

internal unsafe struct V256 : IFloatVector<V256>
{
    private Vector256<float> _v;
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* p) => new() { _v = Vector256.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Splat(float value) => new() { _v = Vector256.Create(value) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Fma(V256 a, V256 b, V256 c) => new() { _v = Vector256.FusedMultiplyAdd(a._v, b._v, c._v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Add(V256 a, V256 b) => new() { _v = a._v + b._v };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Max(V256 a, V256 b) => new() { _v = Vector256.Max(a._v, b._v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly void Store(float* p) => _v.Store(p);
}

internal unsafe struct V128 : IFloatVector<V128>
{
    private Vector128<float> _v;
    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Load(float* p) => new() { _v = Vector128.Load(p) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Splat(float value) => new() { _v = Vector128.Create(value) };
    // Vector128 FMA may be emulated on hardware without it; multiply + add keeps this path portable.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Fma(V128 a, V128 b, V128 c) => new() { _v = a._v * b._v + c._v };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Add(V128 a, V128 b) => new() { _v = a._v + b._v };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Max(V128 a, V128 b) => new() { _v = Vector128.Max(a._v, b._v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly void Store(float* p) => _v.Store(p);
}

/// <summary>One lane: the scalar reference path, and the tail of every vector loop.</summary>
internal unsafe struct V1 : IFloatVector<V1>
{
    private float _v;
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Load(float* p) => new() { _v = *p };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Splat(float value) => new() { _v = value };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Fma(V1 a, V1 b, V1 c) => new() { _v = a._v * b._v + c._v };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Add(V1 a, V1 b) => new() { _v = a._v + b._v };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V1 Max(V1 a, V1 b) => new() { _v = MathF.Max(a._v, b._v) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly void Store(float* p) => *p = _v;
}
