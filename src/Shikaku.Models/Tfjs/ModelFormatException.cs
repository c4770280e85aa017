namespace Shikaku.Models.Tfjs;

/// <summary>A model file that cannot be used: corrupt, truncated, or not the architecture it claims to be.</summary>
public sealed class ModelFormatException(string message) : Exception(message);
