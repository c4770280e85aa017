using System.Globalization;
using System.Text.RegularExpressions;
using Shikaku.Assets;
using Shikaku.Formats;
using Shikaku.IO;

namespace Shikaku.Models.MediaPipe;

/// <summary>
/// MediaPipe's canonical face: the "prepared 3-D face model" of lecture 8-6 that a reconstruction deforms to fit a
/// photo. 468 vertices in centimetres (axes: <see cref="Positions"/>) with their texture coordinates, 898 triangles, and the 33 weighted vertices MediaPipe fits rigidly (Procrustes) to find
/// the head's pose; plus which vertex each of the 68 iBUG/dlib points is (human's VTX68), so the same model fits
/// face-api.js's 68 landmarks.
/// </summary>
/// <example><code>
/// var face = CanonicalFace.Load();
/// var noseTip = face.Vertex(4);   // (x, y, z) in cm
/// </code></example>
public sealed class CanonicalFace
{
    /// <summary>The vertices of the facemesh topology.</summary>
    public const int VertexCount = 468;

    /// <summary>Most triangles read from a file (the canonical mesh has 898).</summary>
    public const int MaxTriangles = 4096;

    /// <summary>
    /// MediaPipe's face_mesh solution for the web (Apache-2.0): its packed assets hold
    /// geometry_pipeline_metadata_landmarks.binarypb at the offsets its loader script lists.
    /// </summary>
    public static PackageAsset MediaPipeFaceMesh { get; } = new("@mediapipe/face_mesh", "0.4.1657299874", new Dictionary<string, string>
    {
        ["package/face_mesh_solution_packed_assets.data"] = "dbe5905c582c0462cdaea17e7e6ecea92edaa8cccc515c5e2e7291f2cbb5fb99",
        ["package/face_mesh_solution_packed_assets_loader.js"] = "95147c15fdf12ba8b9ffc3c3964dbdfa1ffa4251182749babca19e75962bf128",
        ["package/package.json"] = "ce94721b676108e3c99973e7a643d1192537f1ff713f06da82cec9cc48f2d791",
    });

    /// <summary>human's source (MIT): facemeshcoords.ts lists the facemesh vertex of each of the 68 iBUG points (VTX68).</summary>
    public static PackageAsset HumanSource { get; } = new("@vladmandic/human", "3.3.6", new Dictionary<string, string>
    {
        ["package/src/face/facemeshcoords.ts"] = "f4a1c3d9426a5db3574c99a7e00631eea80b5c1a150d2f74295a7005964478f2",
        ["package/LICENSE"] = "9a3442b79acaf4fbc7c2e07b7e2d8f84af9bb3871bf08a69d80304ab00640e9a",
    });

    private const string MetadataName = "geometry_pipeline_metadata_landmarks.binarypb";

    private CanonicalFace(float[] positions, float[] uvs, int[] triangles, (int Vertex, float Weight)[] procrustes, int[] ibug68)
    {
        Positions = positions;
        TextureCoordinates = uvs;
        Triangles = triangles;
        ProcrustesLandmarks = procrustes;
        Ibug68 = ibug68;
    }

    /// <summary>
    /// x, y, z of each vertex in centimetres, in MediaPipe's metric face space: x to the right of the image, y up, z
    /// towards the camera; the face's centre is near the origin.
    /// </summary>
    public float[] Positions { get; }

    /// <summary>u, v of each vertex in [0, 1] (v down, as in an image), MediaPipe's texture layout.</summary>
    public float[] TextureCoordinates { get; }

    /// <summary>Three vertex indices per triangle, counter-clockwise seen from the front.</summary>
    public int[] Triangles { get; }

    /// <summary>The vertices MediaPipe fits rigidly to find the pose, with their weights.</summary>
    public IReadOnlyList<(int Vertex, float Weight)> ProcrustesLandmarks { get; }

    /// <summary>For each of the 68 iBUG/dlib landmarks (face-api.js's order), the vertex it is.</summary>
    public IReadOnlyList<int> Ibug68 { get; }

    /// <summary>Vertex <paramref name="i"/>'s position.</summary>
    public (float X, float Y, float Z) Vertex(int i) => (Positions[3 * i], Positions[3 * i + 1], Positions[3 * i + 2]);

    /// <summary>The canonical face from the verified packages, fetched and cached on first use.</summary>
    public static CanonicalFace Load(Action<string>? log = null)
    {
        var mediapipe = AssetCache.Fetch(MediaPipeFaceMesh, log);
        var human = AssetCache.Fetch(HumanSource, log);
        string data = mediapipe["package/face_mesh_solution_packed_assets.data"];
        var (start, end) = PackedOffset(File.ReadAllText(mediapipe["package/face_mesh_solution_packed_assets_loader.js"]), MetadataName, new FileInfo(data).Length);
        var bytes = new byte[end - start];
        using (var f = File.OpenRead(data))
        {
            f.Position = start;
            f.ReadExactly(bytes);
        }
        string coords = human["package/src/face/facemeshcoords.ts"];
        return Read(bytes, MetadataName, ReadIbug68(File.ReadAllText(coords), Path.GetFileName(coords)));
    }

    /// <summary>Where file <paramref name="name"/> lies in a packed .data file, from the loader script's file list.</summary>
    public static (long Start, long End) PackedOffset(string loader, string name, long dataLength)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var m = Regex.Match(loader, "\"filename\":\\s*\"[^\"]*/" + Regex.Escape(name) + "\",\\s*\"start\":\\s*(\\d{1,12}),\\s*\"end\":\\s*(\\d{1,12})");
        if (!m.Success) throw new ModelFormatException($"The packed-assets loader does not list {name}; it is not the face_mesh 0.4.1657299874 loader.");
        long start = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), end = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        if (start >= end || end > dataLength || end - start > 1 << 20)
            throw new ModelFormatException($"The loader puts {name} at bytes {start}..{end} of a {dataLength:N0}-byte file: the files do not belong together.");
        return (start, end);
    }

    /// <summary>
    /// The face from MediaPipe's GeometryPipelineMetadata (canonical_mesh = 1: vertex_type, primitive_type,
    /// vertex_buffer of x, y, z, u, v, index_buffer; procrustes_landmark_basis = 2: landmark_id, weight) and the 68
    /// iBUG vertices. Every index is checked against the vertices there are.
    /// </summary>
    public static CanonicalFace Read(ReadOnlySpan<byte> metadata, string source, int[] ibug68)
    {
        ArgumentNullException.ThrowIfNull(ibug68);
        var vertices = new List<float>();
        var indices = new List<uint>();
        var procrustes = new List<(int, float)>();
        bool sawMesh = false;
        var r = new ProtoReader(metadata, source);
        while (r.Next(out int field, out var wire))
        {
            if (field == 1 && wire == ProtoWireType.LengthDelimited)
            {
                sawMesh = true;
                var mesh = r.Message("canonical_mesh");
                while (mesh.Next(out int f, out var w))
                {
                    if (f is 1 or 2 && w == ProtoWireType.Varint)
                    {
                        ulong kind = mesh.Varint();
                        if (kind != 0) throw new ModelFormatException($"{source}: the mesh's {(f == 1 ? "vertex" : "primitive")} type is {kind}; only positions with UVs in triangles (0) are read.");
                    }
                    else if (f == 3) mesh.Floats(w, vertices, 5 * VertexCount);
                    else if (f == 4) mesh.UInt32s(w, indices, 3 * MaxTriangles);
                    else mesh.Skip(w);
                }
            }
            else if (field == 2 && wire == ProtoWireType.LengthDelimited)
            {
                var basis = r.Message("procrustes_landmark_basis");
                uint id = uint.MaxValue;
                float weight = float.NaN;
                while (basis.Next(out int f, out var w))
                {
                    if (f == 1 && w == ProtoWireType.Varint) id = basis.UInt32();
                    else if (f == 2 && w == ProtoWireType.Fixed32) weight = basis.Float();
                    else basis.Skip(w);
                }
                if (id >= VertexCount || !float.IsFinite(weight) || weight < 0)
                    throw new ModelFormatException($"{source}: a Procrustes landmark has vertex {id} and weight {weight}; vertices are 0..{VertexCount - 1} and weights finite and not negative.");
                if (procrustes.Count >= VertexCount) throw new ModelFormatException($"{source} lists more Procrustes landmarks than there are vertices.");
                procrustes.Add(((int)id, weight));
            }
            else r.Skip(wire);
        }
        if (!sawMesh || vertices.Count != 5 * VertexCount)
            throw new ModelFormatException($"{source}: the canonical mesh has {vertices.Count} vertex values; {5 * VertexCount} (x, y, z, u, v for {VertexCount} vertices) were expected.");
        if (indices.Count == 0 || indices.Count % 3 != 0)
            throw new ModelFormatException($"{source}: the mesh has {indices.Count} indices, not whole triangles.");
        if (procrustes.Count == 0) throw new ModelFormatException($"{source} has no Procrustes landmarks.");
        var positions = new float[3 * VertexCount];
        var uvs = new float[2 * VertexCount];
        for (int v = 0; v < VertexCount; v++)
        {
            for (int k = 0; k < 5; k++)
                if (!float.IsFinite(vertices[5 * v + k])) throw new ModelFormatException($"{source}: vertex {v} has a value {vertices[5 * v + k]}.");
            positions[3 * v] = vertices[5 * v];
            positions[3 * v + 1] = vertices[5 * v + 1];
            positions[3 * v + 2] = vertices[5 * v + 2];
            uvs[2 * v] = vertices[5 * v + 3];
            uvs[2 * v + 1] = vertices[5 * v + 4];
        }
        var triangles = new int[indices.Count];
        for (int i = 0; i < triangles.Length; i++)
            triangles[i] = indices[i] < VertexCount ? (int)indices[i]
                : throw new ModelFormatException($"{source}: triangle {i / 3} names vertex {indices[i]}; there are {VertexCount}.");
        if (ibug68.Length != 68 || ibug68.Any(v => v is < 0 or >= VertexCount))
            throw new ModelFormatException($"The 68-point layout has {ibug68.Length} entries (or one outside 0..{VertexCount - 1}); 68 facemesh vertices were expected.");
        return new CanonicalFace(positions, uvs, triangles, [.. procrustes], ibug68);
    }

    /// <summary>
    /// The 68 facemesh vertices of the iBUG points from human's facemeshcoords.ts: the numbers of its
    /// <c>export const VTX68: number[] = [ ... ];</c>, comments skipped.
    /// </summary>
    public static int[] ReadIbug68(string typescript, string source)
    {
        ArgumentNullException.ThrowIfNull(typescript);
        var m = Regex.Match(typescript, @"export\s+const\s+VTX68\s*:\s*number\[\]\s*=\s*\[(?<body>[^\]]{0,4000})\]");
        if (!m.Success) throw new ModelFormatException($"{source} has no VTX68 list; it is not human 3.3.6's facemeshcoords.ts.");
        return EyeLayout.Numbers(Regex.Replace(m.Groups["body"].Value, @"/\*.*?\*/|//[^\n]*", " ", RegexOptions.Singleline), VertexCount, $"{source}: VTX68");
    }
}
