using System.Globalization;
using System.Text.RegularExpressions;
using Shikaku.Assets;
using Shikaku.Formats;

namespace Shikaku.Models.MediaPipe;

/// <summary>
/// Which facemesh vertices MediaPipe Iris refines: its 71 eye-contour points, per contour line, mapped to the mesh
/// vertices of the same line around each eye (human 3.3.6's facemeshcoords.ts, MIT: <c>meshAnnotations</c> and
/// <c>irisIndices</c>). The iris net's remaining 5 points (71..75) are the iris: centre, then four points on its rim.
/// </summary>
/// <example><code>
/// var eyes = EyeLayout.Load();
/// var (outer, inner) = eyes.Corners(EyeSide.Right);   // 33 and 133: the subject's right eye, on the image's left
/// </code></example>
public sealed class EyeLayout
{
    /// <summary>Points the iris net gives per eye: 71 on the contours, 5 on the iris.</summary>
    public const int NetPoints = 76, ContourPoints = 71;

    // The contour lines the iris net refines, in irisIndices' order.
    private static readonly string[] Lines = ["EyeUpper0", "EyeUpper1", "EyeUpper2", "EyeLower0", "EyeLower1", "EyeLower2", "EyeLower3", "EyebrowUpper", "EyebrowLower"];

    private readonly Dictionary<(EyeSide, string), int[]> _mesh;
    private readonly Dictionary<string, int[]> _net;

    private EyeLayout(Dictionary<(EyeSide, string), int[]> mesh, Dictionary<string, int[]> net)
    {
        _mesh = mesh;
        _net = net;
    }

    /// <summary>The contour line names: the upper lid (0, nearest the eye, to 2), the lower lid (0 to 3), the brow's two lines.</summary>
    public static IReadOnlyList<string> LineNames => Lines;

    /// <summary>The mesh vertices along <paramref name="line"/> of one eye, from the outer corner's end.</summary>
    public IReadOnlyList<int> MeshLine(EyeSide side, string line) => _mesh[(side, line)];

    /// <summary>The iris net's points along <paramref name="line"/>, one per vertex of <see cref="MeshLine"/>.</summary>
    public IReadOnlyList<int> NetLine(string line) => _net[line];

    /// <summary>The eye's two corners on the mesh (the ends of its lower lid line), which the iris crop is built around.</summary>
    public (int Outer, int Inner) Corners(EyeSide side)
    {
        var lower = _mesh[(side, "EyeLower0")];
        return (lower[0], lower[^1]);
    }

    /// <summary>The layout from the verified human source package (the same one <see cref="CanonicalFace"/> reads).</summary>
    public static EyeLayout Load(Action<string>? log = null)
    {
        string coords = AssetCache.Fetch(CanonicalFace.HumanSource, log)["package/src/face/facemeshcoords.ts"];
        return Read(File.ReadAllText(coords), Path.GetFileName(coords));
    }

    /// <summary>
    /// Reads <c>rightEyeUpper0: [...]</c> and the like from <c>meshAnnotations</c>, and <c>{ key: 'EyeUpper0', indices: [...] }</c>
    /// from <c>irisIndices</c>. Every line must be there on both sides with as many mesh vertices (0..467) as net points (0..70).
    /// </summary>
    public static EyeLayout Read(string typescript, string source)
    {
        ArgumentNullException.ThrowIfNull(typescript);
        string text = Regex.Replace(typescript, @"/\*.*?\*/|//[^\n]*", " ", RegexOptions.Singleline);
        var mesh = new Dictionary<(EyeSide, string), int[]>();
        var net = new Dictionary<string, int[]>();
        foreach (string line in Lines)
        {
            var n = Regex.Match(text, @"\{\s*key\s*:\s*'" + line + @"'\s*,\s*indices\s*:\s*\[(?<body>[^\]]{0,400})\]");
            if (!n.Success) throw new ModelFormatException($"{source} has no irisIndices entry for {line}; it is not human 3.3.6's facemeshcoords.ts.");
            net[line] = Numbers(n.Groups["body"].Value, ContourPoints, $"{source}: irisIndices {line}");
            foreach (var side in new[] { EyeSide.Right, EyeSide.Left })
            {
                string name = (side == EyeSide.Right ? "right" : "left") + line;
                var m = Regex.Match(text, @"\b" + name + @"\s*:\s*\[(?<body>[^\]]{0,400})\]");
                if (!m.Success) throw new ModelFormatException($"{source} has no meshAnnotations entry {name}; it is not human 3.3.6's facemeshcoords.ts.");
                var vertices = Numbers(m.Groups["body"].Value, CanonicalFace.VertexCount, $"{source}: {name}");
                if (vertices.Length != net[line].Length)
                    throw new ModelFormatException($"{source}: {name} has {vertices.Length} vertices but irisIndices {line} has {net[line].Length} points.");
                mesh[(side, line)] = vertices;
            }
        }
        return new EyeLayout(mesh, net);
    }

    /// <summary>The comma-separated whole numbers of a TypeScript list's body (comments already removed), each under <paramref name="limit"/>.</summary>
    internal static int[] Numbers(string body, int limit, string what)
    {
        var numbers = new List<int>();
        foreach (var part in body.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            numbers.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v < limit ? v
                : throw new ModelFormatException($"{what} holds '{part}', not a number in 0..{limit - 1}."));
        return numbers.Count > 0 ? [.. numbers] : throw new ModelFormatException($"{what} is empty.");
    }
}

/// <summary>One of the subject's eyes: <see cref="Right"/> is on the image's left in a frontal photo.</summary>
public enum EyeSide
{
    /// <summary>The subject's right eye (mesh vertices 33 to 133).</summary>
    Right,

    /// <summary>The subject's left eye (mesh vertices 263 to 362).</summary>
    Left,
}
