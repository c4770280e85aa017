using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN;

/// <summary>Architectures known by name; each takes its input shape and class count from the data (28x28x1 and 10 by default).</summary>
public static class Models
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lecture-cnn", "tiny-vgg", "mlp"];

    private static readonly Shape Mnist = new(28, 28, 1);

    /// <summary>
    /// The network of the lecture's Keras exercise (section 8-4), exactly (on 28x28x1 and 10 classes: 1,199,882 parameters).
    /// </summary>
    public static Sequential LectureCnn(int seed = 0, Shape? input = null, int classes = 10) => new(input ?? Mnist, seed,
        new Conv2D(32, 3, activation: "relu"),
        new Conv2D(64, 3, activation: "relu"),
        new MaxPooling2D(2),
        new Dropout(0.25),
        new Flatten(),
        new Dense(128, "relu"),
        new Dropout(0.5),
        new Dense(classes, "softmax"));

    /// <summary>
    /// CNN Explainer's Tiny VGG: two blocks of two 3x3 convolutions with 10 maps each and ReLU, each block ending in
    /// 2x2 max pooling, then the dense softmax layer (on its 64x64x3 input and 10 classes: 19,920 parameters).
    /// </summary>
    public static Sequential TinyVgg(int seed = 0, Shape? input = null, int classes = 10) => new(input ?? Mnist, seed,
        new Conv2D(10, 3, activation: "relu"),
        new Conv2D(10, 3, activation: "relu"),
        new MaxPooling2D(2),
        new Conv2D(10, 3, activation: "relu"),
        new Conv2D(10, 3, activation: "relu"),
        new MaxPooling2D(2),
        new Flatten(),
        new Dense(classes, "softmax"));

    /// <summary>A small multilayer perceptron (fast baseline).</summary>
    public static Sequential Mlp(int seed = 0, Shape? input = null, int classes = 10) => new(input ?? Mnist, seed,
        new Flatten(), new Dense(128, "relu"), new Dropout(0.2), new Dense(classes, "softmax"));

    /// <summary>Whether <paramref name="name"/> is a composed architecture (layers as text) rather than a name.</summary>
    public static bool IsComposed(string name) => name.Contains(':', StringComparison.Ordinal) || name.Contains(',', StringComparison.Ordinal);

    /// <summary>The most layers a composed architecture may have, and the most weights (50 million: 200 MB).</summary>
    public const int MaxComposedLayers = 32;

    /// <inheritdoc cref="MaxComposedLayers"/>
    public const long MaxComposedParameters = 50_000_000;

    /// <summary>What <see cref="Compose"/> reads, for help texts.</summary>
    public const string ComposeSyntax = "conv:FILTERS[:SIZE[:STRIDE[:same]]], pool[:SIZE], avgpool[:SIZE], gap, flatten, dense:UNITS, dropout:RATE, bn " +
        "(ReLU after conv and dense; the softmax layer of the classes is added last, and a flatten before the first dense if none is given)";

    /// <summary>
    /// Layers you compose, written as text, e.g. "conv:16,pool,conv:32,pool,flatten,dense:64,dropout:0.3"
    /// (<see cref="ComposeSyntax"/>). Every size is checked, and the shapes followed, before a weight is allocated.
    /// </summary>
    public static Sequential Compose(string spec, int seed = 0, Shape? input = null, int classes = 10) => Build(spec, seed, input, classes, syntaxOnly: false)!;

    /// <summary>Checks a composed architecture's syntax and sizes without an input shape (what the data's shape decides is checked by <see cref="Compose"/>).</summary>
    public static void CheckComposition(string spec) => Build(spec, 0, null, 10, syntaxOnly: true);

    private static Sequential? Build(string spec, int seed, Shape? input, int classes, bool syntaxOnly)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var shape = (input ?? Mnist).ToArray();
        var layers = new List<Layer>();
        long parameters = 0;
        var tokens = spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw new ArgumentException("The composed architecture is empty; give layers such as conv:16,pool,flatten,dense:64.");
        if (tokens.Length > MaxComposedLayers) throw new ArgumentException($"{tokens.Length} layers, more than the {MaxComposedLayers} a composed architecture may have.");
        void Add(Layer layer, long weights, int[] output)
        {
            if (syntaxOnly) return;
            parameters += weights;
            if (parameters > MaxComposedParameters)
                throw new ArgumentException($"The composed architecture has more than {MaxComposedParameters:N0} weights by layer {layers.Count + 1} ({layer.TypeName}); use fewer filters or units, or pool earlier.");
            layers.Add(layer);
            shape = output;
        }
        void NeedMaps(string token)
        {
            if (!syntaxOnly && shape.Length != 3) throw new ArgumentException($"'{token}' needs maps (height x width x channels), but the layer before gives {string.Join("x", shape)}.");
        }
        void Flat()
        {
            if (syntaxOnly || shape.Length == 1) return;
            Add(new Flatten(), 0, [shape.Aggregate(1, (a, b) => checked(a * b))]);
        }
        foreach (var token in tokens)
        {
            var part = token.ToLowerInvariant().Split(':');
            int Int(int i, int fallback, int min, int max)
            {
                if (part.Length <= i) return fallback;
                if (!int.TryParse(part[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) || v < min || v > max)
                    throw new ArgumentException($"'{token}': '{part[i]}' is not a whole number in {min}..{max}.");
                return v;
            }
            int args = part.Length - 1;
            switch (part[0])
            {
                case "conv":
                {
                    NeedMaps(token);
                    if (args is < 1 or > 4 || (args == 4 && part[4] != "same"))
                        throw new ArgumentException($"'{token}' is not conv:FILTERS[:SIZE[:STRIDE[:same]]].");
                    int filters = Int(1, 0, 1, 512), size = Int(2, 3, 1, 11), stride = Int(3, 1, 1, 4);
                    var conv = new Conv2D(filters, size, stride, args == 4 ? "same" : "valid", "relu");
                    if (syntaxOnly) break;
                    var g = conv.Options.Geometry(shape[0], shape[1], size, size);
                    Add(conv, (long)size * size * shape[2] * filters + filters, [g.OutH, g.OutW, filters]);
                    break;
                }
                case "pool" or "avgpool":
                {
                    NeedMaps(token);
                    if (args > 1) throw new ArgumentException($"'{token}' is not {part[0]}[:SIZE].");
                    int size = Int(1, 2, 1, 8);
                    Pooling2DLayer pool = part[0] == "pool" ? new MaxPooling2D(size) : new AveragePooling2D(size);
                    if (syntaxOnly) break;
                    var g = pool.Options.Geometry(shape[0], shape[1]);
                    Add(pool, 0, [g.OutH, g.OutW, shape[2]]);
                    break;
                }
                case "gap" when args == 0:
                    NeedMaps(token);
                    Add(new GlobalAveragePooling2D(), 0, syntaxOnly ? shape : [shape[2]]);
                    break;
                case "flatten" when args == 0:
                    if (!syntaxOnly && shape.Length == 1) throw new ArgumentException("'flatten' after a layer that is already flat.");
                    Flat();
                    break;
                case "dense" when args == 1:
                {
                    Flat();
                    int units = Int(1, 0, 1, 4096);
                    Add(new Dense(units, "relu"), syntaxOnly ? 0 : (long)shape[0] * units + units, [units]);
                    break;
                }
                case "dropout" when args == 1:
                    if (!double.TryParse(part[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double rate) || !(rate >= 0 && rate < 1))
                        throw new ArgumentException($"'{token}': the rate '{part[1]}' is not a number in [0, 1).");
                    Add(new Dropout(rate), 0, shape);
                    break;
                case "bn" when args == 0:
                    Add(new BatchNormalization(), syntaxOnly ? 0 : 4L * shape[^1], shape);
                    break;
                default:
                    throw new ArgumentException($"'{token}' is not a layer; use {ComposeSyntax}.");
            }
        }
        if (syntaxOnly) return null;
        Flat();
        Add(new Dense(classes, "softmax"), (long)shape[0] * classes + classes, [classes]);
        return new Sequential(input ?? Mnist, seed, [.. layers]);
    }

    /// <summary>An architecture by name (or composed, <see cref="Compose"/>), for images of <paramref name="input"/> (default 28x28x1) in <paramref name="classes"/> classes.</summary>
    public static Sequential Create(string name, int seed = 0, Shape? input = null, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), $"A classifier needs at least 2 classes, got {classes}.");
        if (IsComposed(name)) return Compose(name, seed, input, classes);
        return name.ToLowerInvariant() switch
        {
            "lecture-cnn" => LectureCnn(seed, input, classes),
            "tiny-vgg" => TinyVgg(seed, input, classes),
            "mlp" => Mlp(seed, input, classes),
            _ => throw new ArgumentException($"Model '{name}' is unknown; use {string.Join(" or ", Names)}."),
        };
    }
}
