using System.Globalization;
using System.Text;

namespace Shikaku.Tensors;

/// <summary>
/// Small matrices as a learner writes them: rows separated by ';', values by spaces or commas,
/// e.g. "1 0 1; 1 1 1; 0 0 1". Parsing errors name the row and the value.
/// </summary>
public static class MatrixText
{
    /// <summary>Parses the text into a rectangular matrix.</summary>
    public static float[,] Parse(string text, string what = "matrix")
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = text.Split(';', StringSplitOptions.TrimEntries);
        if (rows.Length > 0 && rows[^1].Length == 0) rows = rows[..^1];
        if (rows.Length == 0 || rows.All(r => r.Length == 0))
            throw new FormatException($"The {what} is empty: write values separated by spaces and rows by ';', e.g. \"1 0 1; 0 1 0\".");
        var parsed = new List<float[]>();
        for (int r = 0; r < rows.Length; r++)
        {
            var cells = rows[r].Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length == 0)
                throw new FormatException($"Row {r + 1} of the {what} is empty (two ';' in a row?).");
            var values = new float[cells.Length];
            for (int c = 0; c < cells.Length; c++)
                if (!float.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out values[c]) || !float.IsFinite(values[c]))
                    throw new FormatException($"Row {r + 1} of the {what}: '{cells[c]}' is not a number.");
            parsed.Add(values);
        }
        int width = parsed[0].Length;
        for (int r = 1; r < parsed.Count; r++)
            if (parsed[r].Length != width)
                throw new FormatException($"The {what} is not rectangular: row 1 has {width} values but row {r + 1} has {parsed[r].Length}.");
        var m = new float[parsed.Count, width];
        for (int r = 0; r < parsed.Count; r++)
            for (int c = 0; c < width; c++) m[r, c] = parsed[r][c];
        return m;
    }

    /// <summary>Formats a matrix back in the same notation.</summary>
    public static string Format(float[,] m)
    {
        var sb = new StringBuilder();
        for (int r = 0; r < m.GetLength(0); r++)
        {
            if (r > 0) sb.Append("; ");
            for (int c = 0; c < m.GetLength(1); c++)
            {
                if (c > 0) sb.Append(' ');
                sb.Append(FormatValue(m[r, c]));
            }
        }
        return sb.ToString();
    }

    /// <summary>A number without trailing zeros ("2", "0.5", "-1.25").</summary>
    public static string FormatValue(float v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
