using System.Text;

namespace Shikaku.Gallery;

/// <summary>
/// Text in Unicode's canonical decomposed form (NFD), by the tables <c>scripts/unicode-canonical.py</c> writes. Shikaku
/// runs in .NET's invariant globalization mode, where <see cref="string.Normalize()"/> changes nothing; without this,
/// "José" typed with one é and "José" typed as e and a combining accent would be two people in the gallery.
/// </summary>
internal static partial class CanonicalText
{
    private const int HangulFirst = 0xAC00, HangulCount = 11172, LeadFirst = 0x1100, VowelFirst = 0x1161, TrailFirst = 0x11A7;
    private const int VowelCount = 21, TrailCount = 28;

    /// <summary>
    /// <paramref name="text"/> fully decomposed and its combining marks put in canonical order: two strings that
    /// Unicode says are the same text give the same result.
    /// </summary>
    public static string Decompose(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var points = new List<int>(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp - HangulFirst is >= 0 and < HangulCount)
            {
                int s = cp - HangulFirst;
                points.Add(LeadFirst + s / (VowelCount * TrailCount));
                points.Add(VowelFirst + s % (VowelCount * TrailCount) / TrailCount);
                if (s % TrailCount != 0) points.Add(TrailFirst + s % TrailCount);
                continue;
            }
            int at = Decomposable.BinarySearch(cp);
            if (at < 0) points.Add(cp);
            else
                foreach (int p in Decompositions[DecompositionStarts[at]..DecompositionStarts[at + 1]]) points.Add(p);
        }
        // Canonical ordering: within each run of marks, a stable sort by combining class (runs are a few marks long).
        for (int i = 1; i < points.Count; i++)
        {
            int cc = ClassOf(points[i]);
            if (cc == 0) continue;
            for (int j = i; j > 0 && ClassOf(points[j - 1]) > cc; j--) (points[j - 1], points[j]) = (points[j], points[j - 1]);
        }
        var result = new StringBuilder(points.Count);
        foreach (int p in points) result.Append(new Rune(p).ToString());
        return result.ToString();
    }

    /// <summary>The canonical combining class of a code point (0 for a base character).</summary>
    public static int ClassOf(int codePoint)
    {
        int at = Marks.BinarySearch(codePoint);
        return at < 0 ? 0 : MarkClasses[at];
    }
}
