using Shikaku.Formats;
using Shikaku.Models.MediaPipe;

namespace Shikaku.Models.Tests;

public sealed class CanonicalFaceTests
{
    private static readonly Lazy<CanonicalFace> Face = new(() => CanonicalFace.Load());

    [Fact]
    public void TheCanonicalFaceHasMediaPipesTopologyInCentimetres()
    {
        var face = Face.Value;
        Assert.Equal(3 * 468, face.Positions.Length);
        Assert.Equal(898 * 3, face.Triangles.Length);
        Assert.Equal(33, face.ProcrustesLandmarks.Count);
        Assert.All(face.TextureCoordinates, t => Assert.InRange(t, 0f, 1f));
        // Left-right symmetric: the outer eye corners (33, 263) and the mouth corners (61, 291) mirror in x.
        foreach (var (right, left) in new[] { (33, 263), (61, 291), (234, 454) })
        {
            var (rx, ry, rz) = face.Vertex(right);
            var (lx, ly, lz) = face.Vertex(left);
            Assert.Equal(-rx, lx, 4);
            Assert.Equal(ry, ly, 4);
            Assert.Equal(rz, lz, 4);
            Assert.True(rx < 0, "the subject's right is on the image's left: negative x");
        }
        // y up, z towards the camera: the nose tip (4) is the nearest vertex, the forehead (10) above the chin (152).
        Assert.Equal(4, Enumerable.Range(0, 468).MaxBy(v => face.Vertex(v).Z));
        Assert.True(face.Vertex(10).Y > face.Vertex(152).Y);
        // A real head: about 17.7 cm from forehead to chin and 12 cm between the face's sides (234, 454).
        Assert.InRange(face.Vertex(10).Y - face.Vertex(152).Y, 16f, 19f);
        Assert.InRange(face.Vertex(454).X - face.Vertex(234).X, 11f, 17f);
        // Every triangle is three distinct vertices, and every vertex is used.
        for (int t = 0; t < 898; t++)
            Assert.Equal(3, new[] { face.Triangles[3 * t], face.Triangles[3 * t + 1], face.Triangles[3 * t + 2] }.Distinct().Count());
        Assert.Equal(468, face.Triangles.Distinct().Count());
    }

    [Fact]
    public void The68PointsAreHumansFacemeshVerticesInIbugOrder()
    {
        var ibug = Face.Value.Ibug68;
        Assert.Equal(68, ibug.Count);
        Assert.Equal(68, ibug.Distinct().Count());
        // iBUG 8 is the chin, 30 the nose tip, 36 and 45 the outer eye corners, 48 and 54 the mouth corners.
        Assert.Equal(152, ibug[8]);
        Assert.Equal(4, ibug[30]);
        Assert.Equal(33, ibug[36]);
        Assert.Equal(263, ibug[45]);
        Assert.Equal(57, ibug[48]);
        Assert.Equal(287, ibug[54]);
    }

    [Fact]
    public void TheLoadersListFindsThePackedFileAndRefusesOffsetsOutsideIt()
    {
        const string loader = "{\"filename\": \"/a/b/geometry_pipeline_metadata_landmarks.binarypb\", \"start\": 3737848, \"end\": 3757224}";
        Assert.Equal((3737848L, 3757224L), CanonicalFace.PackedOffset(loader, "geometry_pipeline_metadata_landmarks.binarypb", 3986256));
        Assert.Contains("do not belong together", Assert.Throws<ModelFormatException>(() =>
            CanonicalFace.PackedOffset(loader, "geometry_pipeline_metadata_landmarks.binarypb", 3_000_000)).Message);
        Assert.Contains("does not list", Assert.Throws<ModelFormatException>(() =>
            CanonicalFace.PackedOffset(loader, "other.binarypb", 3986256)).Message);
    }

    [Fact]
    public void DamagedMetadataIsRefusedNamingWhatIsWrong()
    {
        var ibug = Face.Value.Ibug68.ToArray();
        byte[] good = Metadata(468, [0, 1, 2], [(4, 1f)]);
        Assert.Equal(3, CanonicalFace.Read(good, "m.binarypb", ibug).Triangles.Length);
        // Truncated anywhere: a clear refusal, never an index error.
        for (int n = 0; n < good.Length; n += 97)
            Assert.IsType<ModelFormatException>(Record.Exception(() => CanonicalFace.Read(good.AsSpan(0, n), "m.binarypb", ibug)));
        Assert.Contains("names vertex 468", Assert.Throws<ModelFormatException>(() => CanonicalFace.Read(Metadata(468, [0, 1, 468], [(4, 1f)]), "m.binarypb", ibug)).Message);
        Assert.Contains("has 2335 vertex values", Assert.Throws<ModelFormatException>(() => CanonicalFace.Read(Metadata(467, [0, 1, 2], [(4, 1f)]), "m.binarypb", ibug)).Message);
        Assert.Contains("weight NaN", Assert.Throws<ModelFormatException>(() => CanonicalFace.Read(Metadata(468, [0, 1, 2], [(4, float.NaN)]), "m.binarypb", ibug)).Message);
        // A varint that never ends, and a length past the end.
        Assert.Contains("longer than 10 bytes", Assert.Throws<ModelFormatException>(() => CanonicalFace.Read([0x08, .. Enumerable.Repeat((byte)0xFF, 11)], "m.binarypb", ibug)).Message);
        Assert.Contains("claims", Assert.Throws<ModelFormatException>(() => CanonicalFace.Read([0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2], "m.binarypb", ibug)).Message);
        Assert.Contains("wire type 3", Assert.Throws<ModelFormatException>(() => CanonicalFace.Read([0x0B], "m.binarypb", ibug)).Message);
        Assert.Contains("68 facemesh vertices", Assert.Throws<ModelFormatException>(() => CanonicalFace.Read(good, "m.binarypb", ibug[..67])).Message);
    }

    [Fact]
    public void Vtx68IsReadFromTheTypeScriptListWithItsComments()
    {
        string ts = "export const VTX68: number[] = [\n  /* cont */ " + string.Join(", ", Enumerable.Range(0, 68)) + ",\n];\n";
        Assert.Equal(Enumerable.Range(0, 68), CanonicalFace.ReadIbug68(ts, "c.ts"));
        Assert.Contains("no VTX68", Assert.Throws<ModelFormatException>(() => CanonicalFace.ReadIbug68("export const X = [1];", "c.ts")).Message);
        Assert.Contains("'x'", Assert.Throws<ModelFormatException>(() => CanonicalFace.ReadIbug68("export const VTX68: number[] = [1, x];", "c.ts")).Message);
    }

    [Fact]
    public void TheEyeLayoutMapsTheIrisNetsContoursOntoBothEyesOfTheMesh()
    {
        var eyes = EyeLayout.Load();
        Assert.Equal((33, 133), eyes.Corners(EyeSide.Right));
        Assert.Equal((263, 362), eyes.Corners(EyeSide.Left));
        // The 9 lines use each of the net's 71 contour points once, on 71 distinct mesh vertices per eye.
        var net = EyeLayout.LineNames.SelectMany(eyes.NetLine).ToList();
        Assert.Equal(Enumerable.Range(0, EyeLayout.ContourPoints), net.Order());
        foreach (var side in new[] { EyeSide.Right, EyeSide.Left })
            Assert.Equal(71, EyeLayout.LineNames.SelectMany(l => eyes.MeshLine(side, l)).Distinct().Count());
        // The two eyes are mirror images on the canonical face: x flips, y and z stay (within a millimetre).
        var face = CanonicalFace.Load();
        foreach (string line in EyeLayout.LineNames)
            for (int j = 0; j < eyes.MeshLine(EyeSide.Right, line).Count; j++)
            {
                var r = face.Vertex(eyes.MeshLine(EyeSide.Right, line)[j]);
                var l = face.Vertex(eyes.MeshLine(EyeSide.Left, line)[j]);
                Assert.True(Math.Abs(r.X + l.X) < 0.1 && Math.Abs(r.Y - l.Y) < 0.1 && Math.Abs(r.Z - l.Z) < 0.1, $"{line}[{j}]: {r} against {l}");
            }
    }

    [Fact]
    public void ADamagedEyeLayoutIsRefusedNamingTheLine()
    {
        string Source(string line) => line + "\n  { key: 'EyeUpper0', indices: [9, 10] },";
        Assert.Contains("no irisIndices entry for EyeUpper0", Assert.Throws<ModelFormatException>(() => EyeLayout.Read("rightEyeUpper0: [1, 2],", "c.ts")).Message);
        Assert.Contains("irisIndices EyeUpper0 holds '99'", Assert.Throws<ModelFormatException>(() => EyeLayout.Read("{ key: 'EyeUpper0', indices: [9, 99] },", "c.ts")).Message);
        Assert.Contains("no meshAnnotations entry rightEyeUpper0", Assert.Throws<ModelFormatException>(() => EyeLayout.Read(Source("leftEyeUpper0: [1, 2],"), "c.ts")).Message);
        Assert.Contains("rightEyeUpper0 has 3 vertices", Assert.Throws<ModelFormatException>(() => EyeLayout.Read(Source("rightEyeUpper0: [1, 2, 3],"), "c.ts")).Message);
        Assert.Contains("'468'", Assert.Throws<ModelFormatException>(() => EyeLayout.Read(Source("rightEyeUpper0: [1, 468],"), "c.ts")).Message);
    }

    /// <summary>A GeometryPipelineMetadata as protoc writes it: unpacked floats, packed indices (both are legal).</summary>
    private static byte[] Metadata(int vertices, uint[] indices, (uint Id, float Weight)[] basis)
    {
        var mesh = new List<byte> { 0x08, 0, 0x10, 0 };
        for (int i = 0; i < 5 * vertices; i++)
        {
            mesh.Add(0x1D);
            mesh.AddRange(BitConverter.GetBytes(i % 5 >= 3 ? 0.5f : i * 0.01f));
        }
        var packed = indices.SelectMany(Varint).ToList();
        mesh.Add(0x22);
        mesh.AddRange(Varint((uint)packed.Count));
        mesh.AddRange(packed);
        var file = new List<byte> { 0x0A };
        file.AddRange(Varint((uint)mesh.Count));
        file.AddRange(mesh);
        foreach (var (id, weight) in basis)
        {
            var b = new List<byte> { 0x08 };
            b.AddRange(Varint(id));
            b.Add(0x15);
            b.AddRange(BitConverter.GetBytes(weight));
            file.Add(0x12);
            file.AddRange(Varint((uint)b.Count));
            file.AddRange(b);
        }
        return [.. file];
    }

    private static IEnumerable<byte> Varint(uint v)
    {
        while (v >= 0x80)
        {
            yield return (byte)(v | 0x80);
            v >>= 7;
        }
        yield return (byte)v;
    }
}
