using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN;

/// <summary>Architectures known by name.</summary>
public static class Models
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lecture-cnn", "mlp"];

    /// <summary>
    /// The network of the lecture's Keras exercise (section 8-4), exactly: 1,199,882 parameters.
    /// </summary>
    public static Sequential LectureCnn(int seed = 0) => new(new Shape(28, 28, 1), seed,
        new Conv2D(32, 3, activation: "relu"),
        new Conv2D(64, 3, activation: "relu"),
        new MaxPooling2D(2),
        new Dropout(0.25),
        new Flatten(),
        new Dense(128, "relu"),
        new Dropout(0.5),
        new Dense(10, "softmax"));

    /// <summary>A small multilayer perceptron for 28x28 images (fast baseline).</summary>
    public static Sequential Mlp(int seed = 0) => new(new Shape(28, 28, 1), seed,
        new Flatten(), new Dense(128, "relu"), new Dropout(0.2), new Dense(10, "softmax"));

    /// <summary>An architecture by name.</summary>
    public static Sequential Create(string name, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "lecture-cnn" => LectureCnn(seed),
            "mlp" => Mlp(seed),
            _ => throw new ArgumentException($"Model '{name}' is unknown; use {string.Join(" or ", Names)}."),
        };
    }
}
