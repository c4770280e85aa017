namespace Shikaku.IO;

/// <summary>CSV as RFC 4180 writes it, for the tables Shikaku's verbs write.</summary>
public static class Csv
{
    /// <summary>
    /// A text field as written in a row: quoted (quotes doubled) when it holds a comma, a quote or a line break. Text that
    /// a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return, as a file name may)
    /// gets a leading apostrophe, as OWASP advises, so opening the report in Excel or LibreOffice runs nothing.
    /// </summary>
    public static string Field(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
