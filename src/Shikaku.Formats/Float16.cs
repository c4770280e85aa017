using System.Buffers.Binary;
using System.Runtime.InteropServices;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Formats;

/// <summary>IEEE half-precision values as files store them (little-endian), widened to float32: one place for every format.</summary>
internal static class Float16
{
    /// <summary>Widens <paramref name="littleEndian"/> (2 bytes per value) into <paramref name="values"/>, vectorised.</summary>
    public static void ToSingle(ReadOnlySpan<byte> littleEndian, Span<float> values)
    {
        if (littleEndian.Length < 2 * values.Length)
            throw new ArgumentException($"{littleEndian.Length} bytes hold fewer than {values.Length} half-precision values.", nameof(littleEndian));
        if (BitConverter.IsLittleEndian)
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(littleEndian[..(2 * values.Length)]), values);
            return;
        }
        for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(littleEndian[(2 * i)..]);
    }
}
