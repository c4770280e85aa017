namespace Shikaku.Assets;

/// <summary>A dataset or model could not be fetched or verified; the message says what to do.</summary>
public sealed class AssetException(string message, Exception? inner = null) : ShikakuException(message, inner);
