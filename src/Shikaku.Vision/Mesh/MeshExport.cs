using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Shikaku.IO;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Mesh;

/// <summary>
/// Writes a <see cref="FaceReconstruction"/> for 3-D viewers and tools: Wavefront OBJ with its material and the texture
/// unwrapped from the photo, PLY with vertex colours, and binary glTF (.glb) with the texture inside. Vertices are in
/// the face's own frame (x right, y up, z towards the viewer); OBJ and PLY in centimetres, glTF in metres as its
/// specification says. Every number written is finite: a face that could not be reconstructed never reaches here.
/// </summary>
/// <example><code>
/// MeshExport.WriteObj(face, photo, "out/face1", overwrite: false);   // face1.obj, face1.mtl, face1.png
/// MeshExport.WriteGlb(face, photo, "out/face1.glb", overwrite: false);
/// </code></example>
public static class MeshExport
{
    /// <summary>The side of the unwrapped texture, in pixels.</summary>
    public const int TextureSize = 512;

    /// <summary>
    /// The face's texture in the canonical UV layout: every texel of a triangle in UV space takes the colour of the
    /// photo where that point of the triangle lies in the photo (bilinear). Texels outside every triangle are black.
    /// </summary>
    public static Image Texture(FaceReconstruction face, Image photo, int size = TextureSize)
    {
        ArgumentNullException.ThrowIfNull(face);
        ArgumentNullException.ThrowIfNull(photo);
        var rgb = photo.ToRgb();
        var uv = new Point2D[face.Vertices.Length];
        for (int i = 0; i < uv.Length; i++) uv[i] = new Point2D(face.TextureCoordinates[2 * i] * size, face.TextureCoordinates[2 * i + 1] * size);
        var pixels = new byte[size * size * 3];
        var raster = new Rasterizer(size, size);
        var tri = face.Triangles;
        var at = face.ImagePoints;
        raster.Draw(uv, null, tri, (i, t, wa, wb, wc) =>
        {
            Point2D a = at[tri[3 * t]], b = at[tri[3 * t + 1]], c = at[tri[3 * t + 2]];
            Sample(rgb, wa * a.X + wb * b.X + wc * c.X, wa * a.Y + wb * b.Y + wc * c.Y, pixels.AsSpan(3 * i, 3));
        });
        return new Image(size, size, 3, pixels);
    }

    /// <summary>Each vertex's colour: the photo's, bilinear, where the vertex lies in it.</summary>
    public static byte[] VertexColours(FaceReconstruction face, Image photo)
    {
        ArgumentNullException.ThrowIfNull(face);
        var rgb = photo.ToRgb();
        var colours = new byte[3 * face.ImagePoints.Length];
        for (int i = 0; i < face.ImagePoints.Length; i++) Sample(rgb, face.ImagePoints[i].X, face.ImagePoints[i].Y, colours.AsSpan(3 * i, 3));
        return colours;
    }

    /// <summary>Bilinear sample of an RGB image at continuous (x, y) (pixel centres at +0.5), clamped at the borders.</summary>
    internal static void Sample(Image rgb, double x, double y, Span<byte> into)
    {
        double fx = Math.Clamp(x - 0.5, 0, rgb.Width - 1), fy = Math.Clamp(y - 0.5, 0, rgb.Height - 1);
        int x0 = (int)fx, y0 = (int)fy, x1 = Math.Min(x0 + 1, rgb.Width - 1), y1 = Math.Min(y0 + 1, rgb.Height - 1);
        double ax = fx - x0, ay = fy - y0;
        var p = rgb.Pixels;
        for (int k = 0; k < 3; k++)
        {
            double top = p[(y0 * rgb.Width + x0) * 3 + k] * (1 - ax) + p[(y0 * rgb.Width + x1) * 3 + k] * ax;
            double bottom = p[(y1 * rgb.Width + x0) * 3 + k] * (1 - ax) + p[(y1 * rgb.Width + x1) * 3 + k] * ax;
            into[k] = (byte)Math.Clamp(Math.Round(top * (1 - ay) + bottom * ay), 0, 255);
        }
    }

    /// <summary>
    /// <paramref name="stem"/>.obj, .mtl and .png (the texture): vertices with texture coordinates, triangles counter-clockwise
    /// seen from the front. Nothing is overwritten unless <paramref name="overwrite"/>.
    /// </summary>
    public static void WriteObj(FaceReconstruction face, Image photo, string stem, bool overwrite) =>
        WriteObj(face, TexturePng(face, photo), stem, overwrite);

    /// <summary>
    /// Every file of one face: stem.obj with stem.mtl and the texture stem.png, stem.ply and stem.glb, the texture
    /// unwrapped and encoded once for the OBJ and the glTF. Returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> WriteAll(FaceReconstruction face, Image photo, string stem, bool overwrite)
    {
        byte[] png = TexturePng(face, photo);
        WriteObj(face, png, stem, overwrite);
        WritePly(face, photo, stem + ".ply", overwrite);
        WriteGlb(face, png, stem + ".glb", overwrite);
        return [stem + ".obj", stem + ".mtl", stem + ".png", stem + ".ply", stem + ".glb"];
    }

    private static byte[] TexturePng(FaceReconstruction face, Image photo) => ImageCodec.Encode(Texture(face, photo), ImageFormat.Png);

    private static void WriteObj(FaceReconstruction face, byte[] texturePng, string stem, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(face);
        ArgumentNullException.ThrowIfNull(stem);
        string name = Path.GetFileName(stem);
        var obj = new StringBuilder();
        obj.Append(CultureInfo.InvariantCulture, $"# Shikaku face mesh ({face.Source}): {face.Vertices.Length} vertices, {face.Triangles.Length / 3} triangles, centimetres; x right, y up, z to the viewer\n");
        obj.Append(CultureInfo.InvariantCulture, $"mtllib {name}.mtl\nusemtl face\n");
        foreach (var v in face.Vertices) obj.Append(CultureInfo.InvariantCulture, $"v {Number(v.X)} {Number(v.Y)} {Number(v.Z)}\n");
        for (int i = 0; i < face.Vertices.Length; i++)
            obj.Append(CultureInfo.InvariantCulture, $"vt {Number(face.TextureCoordinates[2 * i])} {Number(1 - face.TextureCoordinates[2 * i + 1])}\n");
        var tri = FrontFacing(face);
        for (int t = 0; t < tri.Length; t += 3)
            obj.Append(CultureInfo.InvariantCulture, $"f {tri[t] + 1}/{tri[t] + 1} {tri[t + 1] + 1}/{tri[t + 1] + 1} {tri[t + 2] + 1}/{tri[t + 2] + 1}\n");
        string mtl = $"# Shikaku face material\nnewmtl face\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nillum 1\nmap_Kd {name}.png\n";
        SafeFile.Write(stem + ".png", stream => stream.Write(texturePng), overwrite);
        SafeFile.WriteAllText(stem + ".mtl", mtl, overwrite);
        SafeFile.WriteAllText(stem + ".obj", obj.ToString(), overwrite);
    }

    /// <summary>A binary little-endian PLY: vertices (x, y, z in cm) with the photo's colour at each, and the triangles.</summary>
    public static void WritePly(FaceReconstruction face, Image photo, string path, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(face);
        var colours = VertexColours(face, photo);
        var tri = FrontFacing(face);
        SafeFile.Write(path, stream =>
        {
            var header = $"ply\nformat binary_little_endian 1.0\ncomment Shikaku face mesh ({face.Source}), centimetres; x right, y up, z to the viewer\n" +
                $"element vertex {face.Vertices.Length}\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n" +
                $"element face {tri.Length / 3}\nproperty list uchar int vertex_indices\nend_header\n";
            stream.Write(Encoding.ASCII.GetBytes(header));
            using var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
            for (int i = 0; i < face.Vertices.Length; i++)
            {
                w.Write((float)face.Vertices[i].X);
                w.Write((float)face.Vertices[i].Y);
                w.Write((float)face.Vertices[i].Z);
                w.Write(colours[3 * i]);
                w.Write(colours[3 * i + 1]);
                w.Write(colours[3 * i + 2]);
            }
            for (int t = 0; t < tri.Length; t += 3)
            {
                w.Write((byte)3);
                w.Write(tri[t]);
                w.Write(tri[t + 1]);
                w.Write(tri[t + 2]);
            }
        }, overwrite);
    }

    /// <summary>Binary glTF 2.0: one mesh in metres with its texture coordinates and the unwrapped texture as an embedded PNG.</summary>
    public static void WriteGlb(FaceReconstruction face, Image photo, string path, bool overwrite) =>
        WriteGlb(face, TexturePng(face, photo), path, overwrite);

    private static void WriteGlb(FaceReconstruction face, byte[] png, string path, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(face);
        var tri = FrontFacing(face);
        int n = face.Vertices.Length;
        using var bin = new MemoryStream();
        using (var w = new BinaryWriter(bin, Encoding.ASCII, leaveOpen: true))
        {
            foreach (var v in face.Vertices)
            {
                w.Write((float)(v.X / 100));
                w.Write((float)(v.Y / 100));
                w.Write((float)(v.Z / 100));
            }
            for (int i = 0; i < n; i++)
            {
                w.Write(face.TextureCoordinates[2 * i]);
                w.Write(face.TextureCoordinates[2 * i + 1]);
            }
            foreach (int i in tri) w.Write((uint)i);
            w.Write(png);
            while (bin.Length % 4 != 0) w.Write((byte)0);
        }
        int positions = 12 * n, uvs = 8 * n, indices = 4 * tri.Length;
        var min = new JsonArray(Min(face, 0) / 100, Min(face, 1) / 100, Min(face, 2) / 100);
        var max = new JsonArray(Max(face, 0) / 100, Max(face, 1) / 100, Max(face, 2) / 100);
        var json = new JsonObject
        {
            ["asset"] = new JsonObject { ["version"] = "2.0", ["generator"] = "Shikaku" },
            ["scene"] = 0,
            ["scenes"] = new JsonArray(new JsonObject { ["nodes"] = new JsonArray(0) }),
            ["nodes"] = new JsonArray(new JsonObject { ["mesh"] = 0, ["name"] = "face" }),
            ["meshes"] = new JsonArray(new JsonObject
            {
                ["name"] = "face",
                ["primitives"] = new JsonArray(new JsonObject
                {
                    ["attributes"] = new JsonObject { ["POSITION"] = 0, ["TEXCOORD_0"] = 1 },
                    ["indices"] = 2,
                    ["material"] = 0,
                }),
            }),
            ["materials"] = new JsonArray(new JsonObject
            {
                ["name"] = "face",
                ["pbrMetallicRoughness"] = new JsonObject { ["baseColorTexture"] = new JsonObject { ["index"] = 0 }, ["metallicFactor"] = 0, ["roughnessFactor"] = 1 },
            }),
            ["textures"] = new JsonArray(new JsonObject { ["source"] = 0, ["sampler"] = 0 }),
            ["samplers"] = new JsonArray(new JsonObject { ["magFilter"] = 9729, ["minFilter"] = 9729 }),
            ["images"] = new JsonArray(new JsonObject { ["bufferView"] = 3, ["mimeType"] = "image/png" }),
            ["accessors"] = new JsonArray(
                new JsonObject { ["bufferView"] = 0, ["componentType"] = 5126, ["count"] = n, ["type"] = "VEC3", ["min"] = min, ["max"] = max },
                new JsonObject { ["bufferView"] = 1, ["componentType"] = 5126, ["count"] = n, ["type"] = "VEC2" },
                new JsonObject { ["bufferView"] = 2, ["componentType"] = 5125, ["count"] = tri.Length, ["type"] = "SCALAR" }),
            ["bufferViews"] = new JsonArray(
                new JsonObject { ["buffer"] = 0, ["byteOffset"] = 0, ["byteLength"] = positions, ["target"] = 34962 },
                new JsonObject { ["buffer"] = 0, ["byteOffset"] = positions, ["byteLength"] = uvs, ["target"] = 34962 },
                new JsonObject { ["buffer"] = 0, ["byteOffset"] = positions + uvs, ["byteLength"] = indices, ["target"] = 34963 },
                new JsonObject { ["buffer"] = 0, ["byteOffset"] = positions + uvs + indices, ["byteLength"] = png.Length }),
            ["buffers"] = new JsonArray(new JsonObject { ["byteLength"] = bin.Length }),
        };
        var text = Encoding.UTF8.GetBytes(json.ToJsonString());
        int jsonLength = (text.Length + 3) / 4 * 4;
        SafeFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
            w.Write(0x46546C67u); // "glTF"
            w.Write(2u);
            w.Write((uint)(12 + 8 + jsonLength + 8 + bin.Length));
            w.Write((uint)jsonLength);
            w.Write(0x4E4F534Au); // "JSON"
            w.Write(text);
            for (int i = text.Length; i < jsonLength; i++) w.Write((byte)' ');
            w.Write((uint)bin.Length);
            w.Write(0x004E4942u); // "BIN\0"
            w.Write(bin.ToArray());
        }, overwrite);
    }

    /// <summary>The triangles, each turned (if need be) so that its vertices run counter-clockwise seen from the front (+z).</summary>
    public static int[] FrontFacing(FaceReconstruction face)
    {
        ArgumentNullException.ThrowIfNull(face);
        // The canonical layout is one orientation throughout: decide it on the whole mesh's signed front area, so that a
        // fold in one place cannot flip its triangles one by one.
        double total = 0;
        var t = face.Triangles;
        for (int i = 0; i + 2 < t.Length; i += 3)
        {
            Point3D a = face.Vertices[t[i]], b = face.Vertices[t[i + 1]], c = face.Vertices[t[i + 2]];
            total += (b.X - a.X) * (c.Y - a.Y) - (b.Y - a.Y) * (c.X - a.X);
        }
        var result = (int[])t.Clone();
        if (total < 0)
            for (int i = 0; i + 2 < result.Length; i += 3) (result[i + 1], result[i + 2]) = (result[i + 2], result[i + 1]);
        return result;
    }

    private static string Number(double v) =>
        double.IsFinite(v) ? v.ToString("0.######", CultureInfo.InvariantCulture) : throw new InvalidOperationException("A mesh value is not finite.");

    private static double Min(FaceReconstruction f, int axis) => f.Vertices.Min(v => axis == 0 ? v.X : axis == 1 ? v.Y : v.Z);

    private static double Max(FaceReconstruction f, int axis) => f.Vertices.Max(v => axis == 0 ? v.X : axis == 1 ? v.Y : v.Z);
}
