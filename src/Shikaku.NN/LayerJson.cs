using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shikaku.NN.Layers;

namespace Shikaku.NN;

/// <summary>Layers to and from the JSON of model.json (Keras-like: class_name, name, config).</summary>
public static class LayerJson
{
    /// <summary>Largest kernel, pool window, stride, dilation and depth multiplier read from a file (keeps window arithmetic in range).</summary>
    internal const int MaxWindow = 1024;
    /// <summary>Largest filter or unit count read from a file (the weights file bounds the product anyway).</summary>
    internal const int MaxUnits = 1 << 20;
    /// <summary>Largest explicit padding read from a file, per side.</summary>
    internal const int MaxPadding = 1 << 16;

    /// <summary>The layer's JSON.</summary>
    public static JsonObject Write(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new JsonObject { ["class_name"] = layer.TypeName, ["name"] = layer.Name, ["config"] = layer.Config() };
    }

    /// <summary>
    /// A layer from its JSON (class_name, name, config). Anything missing, of the wrong type or out of range
    /// is an <see cref="InvalidDataException"/> naming the field (e.g. "config.units").
    /// </summary>
    /// <example><code>var dense = LayerJson.Read(JsonNode.Parse("""{"class_name": "Dense", "name": "d", "config": {"units": 10, "activation": "softmax"}}""")!);</code></example>
    public static Layer Read(JsonNode node) => Read(node, "layer");

    /// <summary>As <see cref="Read(JsonNode)"/>; <paramref name="where"/> is the node's path for messages ("layers[3]").</summary>
    internal static Layer Read(JsonNode? node, string where)
    {
        var obj = Object(node, where);
        string type = String(obj, "class_name", where);
        string name = String(obj, "name", where);
        string at = $"{where}.config";
        JsonObject C() => Object(obj["config"], at);
        Layer layer;
        try
        {
            layer = type switch
            {
                "Conv2D" => new Conv2D(Int(C(), "filters", at, 1, MaxUnits), Int(C(), "kernel_size", at, 1, MaxWindow), Int(C(), "strides", at, 1, MaxWindow),
                    Padding(C(), at), Activation(C(), at), Int(C(), "dilation_rate", at, 1, MaxWindow)),
                "Dense" => new Dense(Int(C(), "units", at, 1, MaxUnits), Activation(C(), at)),
                "MaxPooling2D" => new MaxPooling2D(Int(C(), "pool_size", at, 1, MaxWindow), Int(C(), "strides", at, 1, MaxWindow), Padding(C(), at)),
                "Dropout" => new Dropout(Double(C(), "rate", at, 0, 1)),
                "Flatten" => new Flatten(),
                "Residual" => new Residual(Array(C(), "layers", at).Select((n, i) => Read(n, $"{at}.layers[{i}]")).ToArray()),
                "BatchNormalization" => new BatchNormalization(Double(C(), "momentum", at, 0, 1), Double(C(), "epsilon", at, 0, 1, minExclusive: true)),
                "DepthwiseConv2D" => new DepthwiseConv2D(Int(C(), "kernel_size", at, 1, MaxWindow), Int(C(), "strides", at, 1, MaxWindow), Padding(C(), at),
                    Int(C(), "depth_multiplier", at, 1, MaxWindow), Activation(C(), at)),
                "AveragePooling2D" => new AveragePooling2D(Int(C(), "pool_size", at, 1, MaxWindow), Int(C(), "strides", at, 1, MaxWindow), Padding(C(), at)),
                "GlobalAveragePooling2D" => new GlobalAveragePooling2D(),
                _ => throw new InvalidDataException($"{where}.class_name: unknown layer type '{Clip(type)}'; Shikaku reads Conv2D, Dense, MaxPooling2D, " +
                    "AveragePooling2D, GlobalAveragePooling2D, DepthwiseConv2D, BatchNormalization, Dropout, Flatten and Residual."),
            };
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            // A value the layer itself refuses (an unknown activation, a branch that changes the shape).
            throw new InvalidDataException($"{where} ({type} '{Clip(name)}'): {e.Message}", e);
        }
        layer.Name = name;
        return layer;
    }

    internal static JsonObject Object(JsonNode? node, string where) =>
        node as JsonObject ?? throw Bad(where, "must be a JSON object", node);

    internal static JsonArray Array(JsonObject obj, string key, string where) =>
        Required(obj, key, where) as JsonArray ?? throw Bad($"{where}.{key}", "must be a JSON array", obj[key]);

    internal static string String(JsonObject obj, string key, string where) =>
        Required(obj, key, where) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw Bad($"{where}.{key}", "must be a string", obj[key]);

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    internal static int Int(JsonNode? node, string where, int min, int max)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out int value))
            throw Bad(where, "must be a whole number", node);
        if (value < min || value > max)
            throw new InvalidDataException($"{where} is {value}; it must be between {min} and {max}.");
        return value;
    }

    internal static int Int(JsonObject obj, string key, string where, int min, int max) => Int(Required(obj, key, where), $"{where}.{key}", min, max);

    private static double Double(JsonObject obj, string key, string where, double min, double max, bool minExclusive = false)
    {
        var node = Required(obj, key, where);
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out double value) || !double.IsFinite(value))
            throw Bad($"{where}.{key}", "must be a number", node);
        if (value < min || value > max || (minExclusive && value == min))
            throw new InvalidDataException($"{where}.{key} is {value.ToString("R", CultureInfo.InvariantCulture)}; it must be " +
                $"{(minExclusive ? "above" : "at least")} {min.ToString(CultureInfo.InvariantCulture)} and at most {max.ToString(CultureInfo.InvariantCulture)}.");
        return value;
    }

    private static string Padding(JsonObject obj, string where)
    {
        string text = String(obj, "padding", where);
        var padding = Kernels.Padding.Parse(text);
        if (Math.Max(Math.Max(padding.Top, padding.Bottom), Math.Max(padding.Left, padding.Right)) > MaxPadding)
            throw new InvalidDataException($"{where}.padding '{Clip(text)}' pads by more than {MaxPadding} on a side.");
        return text;
    }

    private static string Activation(JsonObject obj, string where)
    {
        string text = String(obj, "activation", where);
        // A leaky slope of NaN or infinity parses as a number but makes every output NaN.
        string[] parts = text.Split(':', 2);
        if (parts.Length == 2 && (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double slope) || !double.IsFinite(slope)))
            throw new InvalidDataException($"{where}.activation '{Clip(text)}' does not have a finite slope.");
        return text;
    }

    private static JsonNode Required(JsonObject obj, string key, string where) =>
        obj[key] ?? throw new InvalidDataException($"{where}.{key} is missing" + (obj.ContainsKey(key) ? " (null)." : "."));

    private static InvalidDataException Bad(string where, string what, JsonNode? found) =>
        new($"{where} {what}, got {(found == null ? "null" : Clip(found.ToJsonString()))}.");

    /// <summary>Long text from a file, cut for a message.</summary>
    internal static string Clip(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
