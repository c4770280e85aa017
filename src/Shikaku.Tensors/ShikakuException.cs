namespace Shikaku;

/// <summary>
/// The base of every error Shikaku raises about the user's files, data, models or settings (not about a
/// bug): its message names the value that was wrong and what to do. Catch this one type to report such
/// errors in a front end; anything else that escapes Shikaku is a bug.
/// </summary>
/// <example><code>try { Image.Load(path); } catch (ShikakuException e) { Console.Error.WriteLine(e.Message); }</code></example>
public abstract class ShikakuException : Exception
{
    /// <summary>An error whose message says what was wrong, with which value, and what to do.</summary>
    protected ShikakuException(string message, Exception? inner = null) : base(message, inner) { }
}
