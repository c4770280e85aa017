using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Detection;

/// <summary>One tile of a large image: its top-left corner and size in the image's pixels.</summary>
public readonly record struct Tile(int X, int Y, int Width, int Height);

/// <summary>
/// Detection on a large image through overlapping tiles: the tiles, the test for a box cut by a tile
/// edge, and the merge of the tiles' boxes.
/// </summary>
/// <example><code>
/// var candidates = new List&lt;DetectedObject&gt;();
/// foreach (var tile in Tiling.Tiles(width, height, [256, 512]))
///     foreach (var d in detect(crop(tile)))
///         if (!Tiling.IsCut(d.Box, tile, width, height)) candidates.Add(d with { Box = d.Box.Offset(tile.X, tile.Y) });
/// var merged = Tiling.Merge(candidates, maxCount: 100);
/// </code></example>
public static class Tiling
{
    /// <summary>
    /// The tiles of each size in <paramref name="tileSizes"/> (smaller than the image's longer side), each
    /// overlapping its neighbours by a quarter, the last of a row or column flush with the image's edge.
    /// </summary>
    public static IEnumerable<Tile> Tiles(int width, int height, IEnumerable<int> tileSizes)
    {
        ArgumentNullException.ThrowIfNull(tileSizes);
        foreach (int tile in tileSizes)
        {
            if (tile >= Math.Max(width, height)) yield break;
            int step = tile - tile / 4;
            foreach (int y0 in Starts(height, tile, step))
                foreach (int x0 in Starts(width, tile, step))
                    yield return new Tile(x0, y0, Math.Min(tile, width), Math.Min(tile, height));
        }
    }

    /// <summary>The starts of tiles of <paramref name="tile"/> pixels every <paramref name="step"/> along <paramref name="length"/>.</summary>
    public static IEnumerable<int> Starts(int length, int tile, int step)
    {
        if (length <= tile)
        {
            yield return 0;
            yield break;
        }
        for (int s = 0; ; s += step)
        {
            if (s + tile >= length)
            {
                yield return length - tile;
                yield break;
            }
            yield return s;
        }
    }

    /// <summary>
    /// Whether <paramref name="box"/> (in the tile's pixels) touches an inner tile edge: an object cut by
    /// the tile, which an overlapping tile holds whole.
    /// </summary>
    public static bool IsCut(BoundingBox box, Tile tile, int width, int height)
    {
        double margin = Math.Max(4, 0.25 * box.Width);
        return (tile.X > 0 && box.X < margin) || (tile.Y > 0 && box.Y < margin)
            || (tile.X + tile.Width < width && box.Right > tile.Width - margin) || (tile.Y + tile.Height < height && box.Bottom > tile.Height - margin);
    }

    /// <summary>
    /// Merges the boxes of overlapping tiles: highest score first, a box is dropped when it overlaps a kept
    /// one by IoU above <paramref name="iouThreshold"/> or lies mostly (<paramref name="containment"/> of
    /// the smaller area) inside it, as an object cut by a tile border does. Per class unless
    /// <paramref name="classAware"/> is false.
    /// </summary>
    public static List<DetectedObject> Merge(IEnumerable<DetectedObject> candidates, int maxCount, double iouThreshold = 0.3, double containment = 0.6, bool classAware = true)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var kept = new List<DetectedObject>();
        foreach (var c in candidates.OrderByDescending(c => c.Score))
        {
            if (kept.Count >= maxCount) break;
            bool duplicate = kept.Any(k => (!classAware || k.ClassId == c.ClassId)
                && (k.Box.IoU(c.Box) > iouThreshold || k.Box.Intersection(c.Box) > containment * Math.Min(k.Box.Area, c.Box.Area)));
            if (!duplicate) kept.Add(c);
        }
        return kept;
    }
}
