using System.Text;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Tests;

/// <summary>Safetensors.ReadTensors keeps each tensor's dtype; Read (model weights) stays float32 only.</summary>
public sealed class SafetensorsDTypeTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"shikaku-st-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(_path);

    private void Write(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(_path, [.. BitConverter.GetBytes((long)json.Length), .. json, .. data]);
    }

    [Fact]
    public void EveryDtypeIsReadAsATensorOfThatDtypeAndHalvesAreWidened()
    {
        byte[] data =
        [
            .. BitConverter.GetBytes(1.5f),
            .. BitConverter.GetBytes(-7), .. BitConverter.GetBytes(1 << 30),
            .. BitConverter.GetBytes(1L << 40),
            .. BitConverter.GetBytes((Half)0.25f), .. BitConverter.GetBytes((ushort)0x4040), // BF16 0x4040 = 3.0
            200, 1, 0, 2,
        ];
        Write("""
            {"f": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
             "i": {"dtype": "I32", "shape": [2], "data_offsets": [4, 12]},
             "l": {"dtype": "I64", "shape": [], "data_offsets": [12, 20]},
             "h": {"dtype": "F16", "shape": [1], "data_offsets": [20, 22]},
             "bf": {"dtype": "BF16", "shape": [1], "data_offsets": [22, 24]},
             "u": {"dtype": "U8", "shape": [1], "data_offsets": [24, 25]},
             "b": {"dtype": "BOOL", "shape": [3], "data_offsets": [25, 28]}}
            """, data);
        var t = Safetensors.ReadTensors(_path);
        try
        {
            Assert.Equal([1.5f], t["f"].ToArray());
            Assert.Equal([-7, 1 << 30], t["i"].ToArray<int>());
            Assert.Equal([1L << 40], t["l"].ToArray<long>());
            Assert.Equal((DType.Float32, 0.25f), (t["h"].DType, t["h"].ToArray()[0]));
            Assert.Equal(3f, t["bf"].ToArray()[0]);
            Assert.Equal([(byte)200], t["u"].ToArray<byte>());
            Assert.Equal([true, false, true], t["b"].ToArray<bool>());
        }
        finally
        {
            foreach (var v in t.Values) v.Dispose();
        }
        // Model weights stay float32: the same file is refused by Read, naming the tensor and the way out.
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(_path));
        Assert.Contains("ReadTensors", e.Message);
    }

    [Fact]
    public void SizesAreCheckedPerDtypeAndUnknownDtypesAreNamed()
    {
        Write("""{"i": {"dtype": "I64", "shape": [2], "data_offsets": [0, 8]}}""", new byte[8]);
        Assert.Contains("16 bytes", Assert.Throws<InvalidDataException>(() => Safetensors.ReadTensors(_path)).Message);
        Write("""{"c": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}""", new byte[8]);
        Assert.Contains("C64", Assert.Throws<InvalidDataException>(() => Safetensors.ReadTensors(_path)).Message);
    }
}
