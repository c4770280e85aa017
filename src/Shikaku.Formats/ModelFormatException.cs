namespace Shikaku.Formats;

/// <summary>A model file that cannot be used: corrupt, truncated, or not the architecture it claims to be.</summary>
public sealed class ModelFormatException : ShikakuException
{
    /// <summary>An error whose message names the file and what is wrong with it.</summary>
    public ModelFormatException(string message) : base(message) { }

    /// <summary>As above, keeping the error that revealed the problem.</summary>
    public ModelFormatException(string message, Exception? inner) : base(message, inner) { }
}
