namespace Shikaku.Vision.Imaging;
internal static class Probe { public static string Version => SkiaSharp.SKImageInfo.PlatformColorType.ToString(); }
