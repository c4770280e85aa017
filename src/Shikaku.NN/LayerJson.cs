using System.Text.Json.Nodes;
using Shikaku.NN.Layers;

namespace Shikaku.NN;

/// <summary>Layers to and from the JSON of model.json (Keras-like: class_name, name, config).</summary>
public static class LayerJson
{
    /// <summary>The layer's JSON.</summary>
    public static JsonObject Write(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new JsonObject { ["class_name"] = layer.TypeName, ["name"] = layer.Name, ["config"] = layer.Config() };
    }

    /// <summary>A layer from its JSON (class_name, name, config).</summary>
    public static Layer Read(JsonNode node)
    {
        var c = node["config"]!;
        string type = node["class_name"]!.GetValue<string>();
        Layer layer = type switch
        {
            "Conv2D" => new Conv2D(c["filters"]!.GetValue<int>(), c["kernel_size"]!.GetValue<int>(), c["strides"]!.GetValue<int>(),
                c["padding"]!.GetValue<string>(), c["activation"]!.GetValue<string>(), c["dilation_rate"]!.GetValue<int>()),
            "Dense" => new Dense(c["units"]!.GetValue<int>(), c["activation"]!.GetValue<string>()),
            "MaxPooling2D" => new MaxPooling2D(c["pool_size"]!.GetValue<int>(), c["strides"]!.GetValue<int>(), c["padding"]!.GetValue<string>()),
            "Dropout" => new Dropout(c["rate"]!.GetValue<double>()),
            "Flatten" => new Flatten(),
            "Residual" => new Residual(c["layers"]!.AsArray().Select(n => Read(n!)).ToArray()),
            "BatchNormalization" => new BatchNormalization(c["momentum"]!.GetValue<double>(), c["epsilon"]!.GetValue<double>()),
            "DepthwiseConv2D" => new DepthwiseConv2D(c["kernel_size"]!.GetValue<int>(), c["strides"]!.GetValue<int>(), c["padding"]!.GetValue<string>(),
                c["depth_multiplier"]!.GetValue<int>(), c["activation"]!.GetValue<string>()),
            "AveragePooling2D" => new AveragePooling2D(c["pool_size"]!.GetValue<int>(), c["strides"]!.GetValue<int>(), c["padding"]!.GetValue<string>()),
            "GlobalAveragePooling2D" => new GlobalAveragePooling2D(),
            _ => throw new InvalidDataException($"Unknown layer type '{type}' in model.json."),
        };
        layer.Name = node["name"]!.GetValue<string>();
        return layer;
    }

}
