using System.Buffers.Binary;

namespace Shikaku.Formats;

/// <summary>The wire types of protocol buffers' encoding (the deprecated groups, 3 and 4, are not read).</summary>
public enum ProtoWireType
{
    /// <summary>A varint: int32, int64, uint32, uint64, sint32, sint64, bool, enum.</summary>
    Varint = 0,
    /// <summary>Eight bytes: fixed64, sfixed64, double.</summary>
    Fixed64 = 1,
    /// <summary>A length, then that many bytes: string, bytes, a message, a packed repeated field.</summary>
    LengthDelimited = 2,
    /// <summary>Four bytes: fixed32, sfixed32, float.</summary>
    Fixed32 = 5,
}

/// <summary>
/// Reads the protocol-buffers wire format field by field, as the schema's reader would, without generated code: for
/// the few binary protos Shikaku reads (MediaPipe's geometry metadata). Input is untrusted: every length is checked
/// against the bytes that are there, a varint longer than 10 bytes or a group is refused, and each refusal is a
/// <see cref="ModelFormatException"/> naming the source and the offset.
/// </summary>
/// <example><code>
/// var r = new ProtoReader(bytes, "metadata.binarypb");
/// while (r.Next(out int field, out var wire))
///     if (field == 1 &amp;&amp; wire == ProtoWireType.LengthDelimited) ReadMesh(r.Message());
///     else r.Skip(wire);
/// </code></example>
public ref struct ProtoReader(ReadOnlySpan<byte> data, string source)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _at;

    /// <summary>What the bytes are, for messages ("x.binarypb", "x.binarypb: canonical_mesh").</summary>
    public string Source { get; } = source;

    /// <summary>Whether every byte was read.</summary>
    public readonly bool AtEnd => _at >= _data.Length;

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    public bool Next(out int field, out ProtoWireType wire)
    {
        field = 0;
        wire = default;
        if (AtEnd) return false;
        int at = _at;
        ulong tag = Varint();
        int type = (int)(tag & 7);
        if (tag >> 3 is 0 or > int.MaxValue) throw Damaged(at, $"field number {tag >> 3} is not valid");
        if (type is not (0 or 1 or 2 or 5)) throw Damaged(at, $"wire type {type} is not read (groups are deprecated; 6 and 7 do not exist)");
        field = (int)(tag >> 3);
        wire = (ProtoWireType)type;
        return true;
    }

    /// <summary>A varint field's value.</summary>
    public ulong Varint()
    {
        ulong value = 0;
        for (int i = 0, at = _at; i < 10; i++)
        {
            if (_at >= _data.Length) throw Damaged(at, "a varint runs past the end");
            byte b = _data[_at++];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80) return value;
        }
        throw Damaged(_at - 10, "a varint is longer than 10 bytes");
    }

    /// <summary>A uint32 field (a varint that must fit 32 bits).</summary>
    public uint UInt32()
    {
        int at = _at;
        ulong v = Varint();
        return v <= uint.MaxValue ? (uint)v : throw Damaged(at, $"{v} does not fit a uint32");
    }

    /// <summary>A float field (fixed32).</summary>
    public float Float() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    /// <summary>The bytes of a length-delimited field (a message, string, bytes or packed repeated field).</summary>
    public ReadOnlySpan<byte> Bytes()
    {
        int at = _at;
        ulong length = Varint();
        if (length > (ulong)(_data.Length - _at)) throw Damaged(at, $"a field claims {length:N0} bytes, but {_data.Length - _at:N0} remain");
        return Take((int)length);
    }

    /// <summary>A nested message's reader, named <paramref name="name"/> in messages.</summary>
    public ProtoReader Message(string name) => new(Bytes(), $"{Source}: {name}");

    /// <summary>Skips a field's value of the given wire type.</summary>
    public void Skip(ProtoWireType wire)
    {
        switch (wire)
        {
            case ProtoWireType.Varint: Varint(); break;
            case ProtoWireType.Fixed64: Take(8); break;
            case ProtoWireType.Fixed32: Take(4); break;
            default: Bytes(); break;
        }
    }

    /// <summary>Adds the values of a repeated float field, packed (one length-delimited run) or not (one fixed32).</summary>
    public void Floats(ProtoWireType wire, List<float> into, int max)
    {
        if (wire == ProtoWireType.Fixed32) Add(into, Float(), max);
        else if (wire == ProtoWireType.LengthDelimited)
        {
            var packed = new ProtoReader(Bytes(), Source);
            if (packed._data.Length % 4 != 0) throw Damaged(_at, $"a packed float field of {packed._data.Length} bytes is not whole floats");
            while (!packed.AtEnd) Add(into, packed.Float(), max);
        }
        else throw Damaged(_at, $"a float field arrives as wire type {(int)wire}");
    }

    /// <summary>Adds the values of a repeated uint32 field, packed or not.</summary>
    public void UInt32s(ProtoWireType wire, List<uint> into, int max)
    {
        if (wire == ProtoWireType.Varint) Add(into, UInt32(), max);
        else if (wire == ProtoWireType.LengthDelimited)
        {
            var packed = new ProtoReader(Bytes(), Source);
            while (!packed.AtEnd) Add(into, packed.UInt32(), max);
        }
        else throw Damaged(_at, $"a uint32 field arrives as wire type {(int)wire}");
    }

    private readonly void Add<T>(List<T> into, T value, int max)
    {
        if (into.Count >= max) throw Damaged(_at, $"a repeated field has more than {max:N0} values");
        into.Add(value);
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _data.Length - _at) throw Damaged(_at, $"{n} bytes are needed, {_data.Length - _at} remain");
        var s = _data.Slice(_at, n);
        _at += n;
        return s;
    }

    private readonly ModelFormatException Damaged(int at, string what) =>
        new($"{Source} is not a valid protocol buffer at byte {at}: {what}. The file is damaged or is not this kind of file.");
}
