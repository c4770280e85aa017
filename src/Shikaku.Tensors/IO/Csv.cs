namespace Shikaku.IO;

/// <summary>CSV as RFC 4180 writes it, for the tables Shikaku's verbs write.</summary>
public static class Csv
{
    /// <summary>A field as written in a row: quoted (quotes doubled) when it holds a comma, a quote or a line break.</summary>
    public static string Field(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
