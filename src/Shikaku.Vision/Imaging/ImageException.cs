namespace Shikaku.Vision.Imaging;

/// <summary>An image could not be read or written; the message says which file, why and what to do.</summary>
public sealed class ImageException(string message, Exception? inner = null) : ShikakuException(message, inner);
