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

    /// <summary>An architecture by name, for images of <paramref name="input"/> (default 28x28x1) in <paramref name="classes"/> classes.</summary>
    public static Sequential Create(string name, int seed = 0, Shape? input = null, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), $"A classifier needs at least 2 classes, got {classes}.");
        return name.ToLowerInvariant() switch
        {
            "lecture-cnn" => LectureCnn(seed, input, classes),
            "tiny-vgg" => TinyVgg(seed, input, classes),
            "mlp" => Mlp(seed, input, classes),
            _ => throw new ArgumentException($"Model '{name}' is unknown; use {string.Join(" or ", Names)}."),
        };
    }
}
