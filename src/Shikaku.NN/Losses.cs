namespace Shikaku.NN;

/// <summary>The losses a model can be compiled with (Keras names).</summary>
public enum Loss
{
    /// <summary>Cross-entropy of integer labels against softmax outputs (with a softmax layer, computed from the logits).</summary>
    SparseCategoricalCrossentropy,
    /// <summary>Binary cross-entropy: one sigmoid output against labels 0/1, or several outputs against one-hot labels.</summary>
    BinaryCrossentropy,
    /// <summary>Mean squared error against one-hot labels (or the label itself for a single output).</summary>
    MeanSquaredError,
}

/// <summary>Loss values, gradients and accuracy for a batch of outputs and integer labels.</summary>
public static class Losses
{
    /// <summary>Parses Keras names: sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, mse.</summary>
    public static Loss Parse(string name) => (name ?? throw new ArgumentNullException(nameof(name))).ToLowerInvariant() switch
    {
        "sparse_categorical_crossentropy" or "categorical_crossentropy" or "crossentropy" => Loss.SparseCategoricalCrossentropy,
        "binary_crossentropy" or "bce" => Loss.BinaryCrossentropy,
        "mse" or "mean_squared_error" => Loss.MeanSquaredError,
        _ => throw new ArgumentException($"Unknown loss '{name}'; use sparse_categorical_crossentropy, binary_crossentropy or mse."),
    };

    private const float Eps = 1e-7f;

    /// <summary>
    /// Sum of per-example losses and the number of correct predictions. When <paramref name="grad"/>
    /// is given it receives d(mean loss)/d(output) — or d/d(logits) when <paramref name="logits"/>
    /// (softmax + cross-entropy fused: p - onehot).
    /// </summary>
    public static (double Sum, int Correct) Compute(Loss loss, ReadOnlySpan<float> outputs, int width, ReadOnlySpan<int> labels, Span<float> grad, bool logits)
    {
        int n = labels.Length;
        double total = 0;
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            var row = outputs.Slice(i * width, width);
            var g = grad.IsEmpty ? Span<float>.Empty : grad.Slice(i * width, width);
            int y = labels[i];
            if (width > 1 && (uint)y >= (uint)width) throw new ArgumentException($"Label {y} is outside 0..{width - 1} (the model has {width} outputs).");
            if (width == 1 && y is not (0 or 1)) throw new ArgumentException($"Label {y} is not 0 or 1, as a single-output model needs.");
            int predicted = width == 1 ? (row[0] > 0.5f ? 1 : 0) : Sequential.ArgMax(row);
            if (predicted == y) correct++;
            switch (loss)
            {
                case Loss.SparseCategoricalCrossentropy:
                    total -= Math.Log(Math.Max(row[y], Eps));
                    if (g.IsEmpty) break;
                    if (logits)
                    {
                        for (int j = 0; j < width; j++) g[j] = row[j] / n;
                        g[y] -= 1f / n;
                    }
                    else
                    {
                        g.Clear();
                        g[y] = -1f / (n * Math.Max(row[y], Eps));
                    }
                    break;
                case Loss.BinaryCrossentropy:
                    for (int j = 0; j < width; j++)
                    {
                        float t = width == 1 ? y : (j == y ? 1f : 0f);
                        float p = Math.Clamp(row[j], Eps, 1 - Eps);
                        total -= (t * Math.Log(p) + (1 - t) * Math.Log(1 - p)) / width;
                        if (!g.IsEmpty) g[j] = (p - t) / (p * (1 - p)) / (n * width);
                    }
                    break;
                default:
                    for (int j = 0; j < width; j++)
                    {
                        float t = width == 1 ? y : (j == y ? 1f : 0f);
                        float d = row[j] - t;
                        total += d * d / width;
                        if (!g.IsEmpty) g[j] = 2 * d / (n * width);
                    }
                    break;
            }
        }
        return (total, correct);
    }
}
