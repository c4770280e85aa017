namespace Shikaku.Vision.Detection;

/// <summary>The 80 object classes of COCO 2017 detection, in the order detectors trained on it number them (0 = person).</summary>
public static class CocoClasses
{
    /// <summary>The class id of a person (COCO 0).</summary>
    public const int Person = 0;

    /// <summary>The class names by id, as COCO's annotations spell them.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
        "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
        "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
        "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
        "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
        "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed",
        "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
        "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
    ];

    /// <summary>
    /// The ids of comma-separated class names ("person,car"); names are matched without regard to case. An
    /// unknown name is a <see cref="FormatException"/> that lists the known ones.
    /// </summary>
    public static IReadOnlySet<int> Parse(string names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var ids = new HashSet<int>();
        foreach (var raw in names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int id = -1;
            for (int i = 0; i < Names.Count; i++)
                if (string.Equals(Names[i], raw, StringComparison.OrdinalIgnoreCase)) id = i;
            if (id < 0) throw new FormatException($"'{raw}' is not a COCO class; the classes are: {string.Join(", ", Names)}.");
            ids.Add(id);
        }
        if (ids.Count == 0) throw new FormatException("No class names given; e.g. --classes person,car.");
        return ids;
    }
}
