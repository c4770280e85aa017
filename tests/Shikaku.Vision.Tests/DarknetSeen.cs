namespace Shikaku.Tests;

/// <summary>
/// What a person sees in the photos of Debian's darknet package, written down by looking at each photo: an object's
/// class (any of the names separated by '|') and its box corners x1, y1, x2, y2 in pixels, by eye to within a few pixels.
/// The detection tests and the bench's detect-eval share it.
/// </summary>
internal static class DarknetSeen
{
    public static IReadOnlyList<(string Photo, string Classes, int X1, int Y1, int X2, int Y2)> Objects { get; } =
    [
        ("dog.jpg", "dog", 125, 210, 315, 540),
        ("dog.jpg", "bicycle", 115, 125, 570, 475),
        ("dog.jpg", "truck|car", 465, 75, 690, 170),
        ("person.jpg", "person", 190, 100, 275, 385),
        ("person.jpg", "dog", 65, 262, 200, 355),
        ("person.jpg", "horse", 400, 135, 605, 340),
        ("giraffe.jpg", "giraffe", 165, 25, 455, 445),
        ("giraffe.jpg", "zebra", 245, 205, 425, 450),
        ("horses.jpg", "horse", 430, 210, 600, 345),
        ("horses.jpg", "horse", 0, 195, 315, 410),
        ("eagle.jpg", "bird", 125, 85, 615, 440),
    ];
}
