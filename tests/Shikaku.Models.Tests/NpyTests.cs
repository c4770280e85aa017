using System.IO.Compression;
using System.Text;
using Shikaku.Formats;
using Shikaku.Tensors;
using Shikaku.Testing;

namespace Shikaku.Tests;

/// <summary>
/// .npy and .npz against files NumPy 1.24.2 wrote (tests/golden/npy), made with:
/// <code>
/// np.save('f32_2x3.npy', np.arange(6, dtype=np.float32).reshape(2,3) * 0.5 - 1)
/// np.save('f64_4.npy', np.array([0.1, -2.5, 1e-3, 3.0]))
/// np.save('f16_3.npy', np.array([1.5, -0.25, 65504], dtype=np.float16))
/// np.save('i32_2x2.npy', np.array([[1,-2],[3,2147483647]], dtype=np.int32))
/// np.save('i64_3.npy', np.array([1, -9000000000, 7], dtype=np.int64))
/// np.save('u8_2x2x1.npy', np.array([0,1,254,255], dtype=np.uint8).reshape(2,2,1))
/// np.save('bool_3.npy', np.array([True, False, True]))
/// np.save('scalar_f32.npy', np.float32(3.25))
/// np.save('empty_0x3.npy', np.zeros((0,3), dtype=np.float32))
/// np.save('bigendian_f32_3.npy', np.array([1.0, 2.0, -3.5], dtype='>f4'))
/// np.save('fortran_f32_2x3.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2,3)))
/// np.savez('two.npz', x=np.arange(4, dtype=np.float32), idx=np.array([3,1], dtype=np.int32))
/// np.savez_compressed('two_compressed.npz', x=np.arange(4, dtype=np.float32), idx=np.array([3,1], dtype=np.int32))
/// np.save('object.npy', np.array([{'a':1}], dtype=object), allow_pickle=True)
/// </code>
/// </summary>
public sealed class NpyTests() : TempFolderTest("shikaku-npy")
{
    private static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "golden", "npy", name);

    [Fact]
    public void ReadsWhatNumPyWrote()
    {
        using (var t = Npy.Read(Golden("f32_2x3.npy")))
        {
            Assert.Equal(new Shape(2, 3), t.Shape);
            Assert.Equal([-1f, -0.5f, 0f, 0.5f, 1f, 1.5f], t.ToArray<float>());
        }
        using (var t = Npy.Read(Golden("f64_4.npy"))) Assert.Equal([0.1f, -2.5f, 1e-3f, 3f], t.ToArray<float>());
        using (var t = Npy.Read(Golden("f16_3.npy"))) Assert.Equal([1.5f, -0.25f, 65504f], t.ToArray<float>());
        using (var t = Npy.Read(Golden("i32_2x2.npy")))
        {
            Assert.Equal(DType.Int32, t.DType);
            Assert.Equal([1, -2, 3, int.MaxValue], t.ToArray<int>());
        }
        using (var t = Npy.Read(Golden("i64_3.npy"))) Assert.Equal([1L, -9_000_000_000L, 7L], t.ToArray<long>());
        using (var t = Npy.Read(Golden("u8_2x2x1.npy")))
        {
            Assert.Equal(new Shape(2, 2, 1), t.Shape);
            Assert.Equal([0, 1, 254, 255], t.ToArray<byte>());
        }
        using (var t = Npy.Read(Golden("bool_3.npy"))) Assert.Equal([true, false, true], t.ToArray<bool>());
        using (var t = Npy.Read(Golden("scalar_f32.npy")))
        {
            Assert.Equal(0, t.Shape.Rank);
            Assert.Equal([3.25f], t.ToArray<float>());
        }
        using (var t = Npy.Read(Golden("empty_0x3.npy"))) Assert.Equal(new Shape(0, 3), t.Shape);
        using (var t = Npy.Read(Golden("bigendian_f32_3.npy"))) Assert.Equal([1f, 2f, -3.5f], t.ToArray<float>());
        using (var t = Npy.Read(Golden("fortran_f32_2x3.npy")))
        {
            Assert.Equal(new Shape(2, 3), t.Shape);
            Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f], t.ToArray<float>());
        }
    }

    [Theory]
    [InlineData("f32_2x3.npy")]
    [InlineData("i32_2x2.npy")]
    [InlineData("i64_3.npy")]
    [InlineData("u8_2x2x1.npy")]
    [InlineData("bool_3.npy")]
    [InlineData("scalar_f32.npy")]
    [InlineData("empty_0x3.npy")]
    public void WritesTheBytesNumPyWrites(string name)
    {
        using var t = Npy.Read(Golden(name));
        string path = In(name);
        Npy.Write(path, t, overwrite: false);
        Assert.Equal(File.ReadAllBytes(Golden(name)), File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("two.npz")]
    [InlineData("two_compressed.npz")]
    public void ReadsNumPysArchivesAndWritesOnesItReadsBack(string name)
    {
        using var arrays = Npy.ReadNpz(Golden(name));
        Assert.Equal(["x", "idx"], arrays.Keys);
        Assert.Equal([0f, 1f, 2f, 3f], arrays["x"].ToArray<float>());
        Assert.Equal([3, 1], arrays["idx"].ToArray<int>());
        string path = In("again.npz");
        Npy.WriteNpz(path, arrays, overwrite: false, compress: name.Contains("compressed"));
        using var again = Npy.ReadNpz(path);
        Assert.Equal(arrays["x"].ToArray<float>(), again["x"].ToArray<float>());
        Assert.Equal(arrays["idx"].ToArray<int>(), again["idx"].ToArray<int>());
    }

    [Fact]
    public void NeverWritesOverAFileUnlessAsked()
    {
        string path = Write("keep.npy", [1, 2, 3]);
        using var t = Tensor.FromArray([1f], 1);
        Assert.Throws<IOException>(() => Npy.Write(path, t, overwrite: false));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
    }

    [Fact]
    public void APickledObjectArrayIsRefusedNotEvaluated()
    {
        var e = Assert.Throws<ModelFormatException>(() => Npy.Read(Golden("object.npy")));
        Assert.Contains("'|O'", e.Message);
        Assert.Contains("astype", e.Message);
    }

    /// <summary>A v1.0 file with <paramref name="dict"/> as its header, then <paramref name="data"/>.</summary>
    private string Hostile(string dict, byte[] data, string name = "h.npy") => Write(name, NpyBytes(dict, data));

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000), }", 16, "truncated")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", 16, "impossible shape")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }", 16, "tuple of sizes")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 2), }", 16, "tuple of sizes")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 16, "structured dtype")]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, "'<c8' are not read")]
    [InlineData("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 16, "neither True nor False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'evil': __import__('os'), }", 16, "unknown key 'evil'")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }", 16, "lacks")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) } junk", 16, "text after the dict")]
    [InlineData("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 0, "truncated")]
    public void AHostileHeaderIsAClearErrorBeforeAnyAllocation(string dict, int dataBytes, string expected)
    {
        var e = Assert.Throws<ModelFormatException>(() => Npy.Read(Hostile(dict, new byte[dataBytes])));
        Assert.Contains(expected, e.Message);
        Assert.Contains("h.npy", e.Message);
    }

    [Fact]
    public void ABoolThatIsNotZeroOrOneIsRefused()
    {
        var e = Assert.Throws<ModelFormatException>(() => Npy.Read(Hostile("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", [1, 7])));
        Assert.Contains("the byte 7", e.Message);
    }

    [Fact]
    public void NotANpyFileOrAnUnknownVersionIsNamed()
    {
        Assert.Contains("does not start with", Assert.Throws<ModelFormatException>(() => Npy.Read(Write("a.npy", Encoding.ASCII.GetBytes("PK not numpy")))).Message);
        var bytes = File.ReadAllBytes(Golden("f32_2x3.npy"));
        bytes[6] = 9;
        Assert.Contains("version 9.0", Assert.Throws<ModelFormatException>(() => Npy.Read(Write("v9.npy", bytes))).Message);
        Assert.Contains("not a .npz", Assert.Throws<ModelFormatException>(() => Npy.ReadNpz(Write("z.npz", bytes))).Message);
    }

    [Fact]
    public void AZipBombIsStoppedAtTheLimitNotInMemory()
    {
        // 64 MiB of zeros, deflated to a few KB, in an archive read with a 1 MiB limit.
        string path = In("bomb.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("big.npy", CompressionLevel.Optimal).Open();
            var dict = Encoding.ASCII.GetBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (16777216,), }\n");
            s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)dict.Length, 0]);
            s.Write(dict);
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) s.Write(zeros);
        }
        Assert.True(new FileInfo(path).Length < 1 << 20);
        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadNpz(path, maxBytes: 1 << 20));
        Assert.Contains("over the limit of 1048576", e.Message);
    }

    [Fact]
    public void AnArchiveEntryPromisingMoreThanItHoldsIsRefusedBeforeAllocating()
    {
        // A stored entry of about 150 bytes whose header claims 4 GB of floats (within the default limit): refused from its size.
        string path = In("liar.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("big.npy", CompressionLevel.NoCompression).Open())
        {
            var dict = Encoding.ASCII.GetBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }\n");
            s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)dict.Length, 0]);
            s.Write(dict);
            s.Write(new byte[64]);
        }
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<ModelFormatException>(() => Npy.ReadNpz(path));
        Assert.Contains("truncated", e.Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64L << 20, "allocated what the entry does not hold");
    }

    [Fact]
    public void TheLimitCountsWhatIsAllocatedNotWhatIsStored()
    {
        // 1000 float16 values are 2000 bytes in the file and 4000 as float32.
        var data = new byte[2000];
        var e = Assert.Throws<ModelFormatException>(() => Npy.Read(new MemoryStream(NpyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (1000,), }", data)), -1, "h.npy", maxBytes: 3000));
        Assert.Contains("needs 4000 bytes, over the limit of 3000", e.Message);
    }

    private static byte[] NpyBytes(string dict, byte[] data)
    {
        var header = Encoding.ASCII.GetBytes(dict + "\n");
        var bytes = new byte[10 + header.Length + data.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", bytes.AsSpan(1));
        bytes[6] = 1;
        BitConverter.TryWriteBytes(bytes.AsSpan(8), (ushort)header.Length);
        header.CopyTo(bytes, 10);
        data.CopyTo(bytes, 10 + header.Length);
        return bytes;
    }

    [Fact]
    public void AnArchiveWithTwoArraysOfOneNameIsRefused()
    {
        string path = In("twice.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            foreach (var name in new[] { "a.npy", "a" })
                using (var s = zip.CreateEntry(name).Open())
                    s.Write(File.ReadAllBytes(Golden("f32_2x3.npy")));
        Assert.Contains("a second array named 'a'", Assert.Throws<ModelFormatException>(() => Npy.ReadNpz(path)).Message);
    }
}
