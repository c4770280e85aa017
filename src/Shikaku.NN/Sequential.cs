using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shikaku.Formats;
using Shikaku.Graph;
using Shikaku.Datasets;
using Shikaku.IO;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN;

/// <summary>Result of <see cref="Sequential.Evaluate"/>.</summary>
public sealed record Evaluation(double Loss, double Accuracy, int[,] Confusion);

/// <summary>
/// A stack of layers, as Keras's Sequential: build from the first input, <see cref="Compile"/>,
/// <see cref="Fit"/>, <see cref="Evaluate"/>, <see cref="Predict(ILabelledData, int)"/>, <see cref="Save"/> / <see cref="Load"/>.
/// The loss is sparse categorical cross-entropy; with a softmax output it is computed from the
/// logits in one stable step (gradient p - onehot).
/// </summary>
/// <example><code>
/// var model = new Sequential(new Shape(28, 28, 1),
///     new Conv2D(32, 3, activation: "relu"), new Conv2D(64, 3, activation: "relu"),
///     new MaxPooling2D(2), new Dropout(0.25), new Flatten(),
///     new Dense(128, activation: "relu"), new Dropout(0.5), new Dense(10, activation: "softmax"));
/// model.Compile(new Adam());
/// var history = model.Fit(train, epochs: 10, batchSize: 128, validation: test);
/// </code></example>
public sealed class Sequential
{
    private readonly List<Layer> _layers = [];

    /// <summary>A model for inputs of <paramref name="inputShape"/> (one example, no batch dimension).</summary>
    public Sequential(Shape inputShape, params Layer[] layers) : this(inputShape, 0, layers) { }

    /// <summary>As above, with the seed that draws the initial weights and dropout masks.</summary>
    public Sequential(Shape inputShape, int seed, params Layer[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        InputShape = inputShape;
        Seed = seed;
        var rng = new Random(seed);
        var shape = inputShape;
        var names = new HashSet<string>();
        int index = 0;
        foreach (var layer in layers)
        {
            if (string.IsNullOrEmpty(layer.Name)) layer.Name = $"{layer.TypeName.ToLowerInvariant()}_{index}";
            if (!names.Add(layer.Name)) throw new ArgumentException($"Two layers are named '{layer.Name}'.");
            try
            {
                layer.Build(shape, rng);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Layer {index} ({layer.TypeName}) cannot take input {shape}: {e.Message}", e);
            }
            shape = layer.OutputShape;
            _layers.Add(layer);
            index++;
        }
        if (_layers.Count == 0) throw new ArgumentException("A model needs at least one layer.");
    }

    /// <summary>Shape of one input example.</summary>
    public Shape InputShape { get; }
    /// <summary>Shape of one output.</summary>
    public Shape OutputShape => _layers[^1].OutputShape;
    /// <summary>Seed for weights and dropout.</summary>
    public int Seed { get; }
    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;
    /// <summary>Set by <see cref="Compile"/>.</summary>
    public Optimizer? Optimizer { get; private set; }
    /// <summary>All trainable parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => _layers.SelectMany(l => l.Parameters).ToList();
    /// <summary>Total trainable values.</summary>
    public long ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>The loss set by <see cref="Compile"/>.</summary>
    public Loss Loss { get; private set; }

    /// <summary>Chooses the optimizer and the loss (Keras names; the metric is accuracy).</summary>
    public void Compile(Optimizer optimizer, string loss = "sparse_categorical_crossentropy")
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        Loss = Losses.Parse(loss);
        if (_layers[^1] is Dense { IsSoftmax: true } last) last.GradientIsForLogits = Loss == Loss.SparseCategoricalCrossentropy;
    }

    /// <summary>Keras-style table: layer (type), output shape, parameter count, totals.</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        string line = new('─', 72);
        sb.AppendLine("Model: \"sequential\"").AppendLine(line);
        sb.AppendLine($"{"Layer (type)",-32}{"Output Shape",-26}{"Param #",14}").AppendLine(line);
        foreach (var l in _layers)
        {
            long count = l.ParameterCount + l.States.Sum(s => (long)s.Value.Length);
            sb.AppendLine($"{$"{l.Name} ({l.TypeName})",-32}{"(None, " + string.Join(", ", l.OutputShape) + ")",-26}{count.ToString("N0", CultureInfo.InvariantCulture),14}");
        }
        sb.AppendLine(line);
        long fixedCount = _layers.Sum(l => l.States.Sum(s => (long)s.Value.Length));
        sb.AppendLine($" Total params: {(ParameterCount + fixedCount).ToString("N0", CultureInfo.InvariantCulture)}");
        sb.AppendLine($" Trainable params: {ParameterCount.ToString("N0", CultureInfo.InvariantCulture)}");
        sb.AppendLine($" Non-trainable params: {fixedCount.ToString("N0", CultureInfo.InvariantCulture)}");
        return sb.ToString();
    }

    /// <summary>Class probabilities (or outputs) for every example, in batches.</summary>
    public Tensor Predict(ILabelledData data, int batchSize = 256) => PredictWithLabels(data, batchSize).Outputs;

    /// <summary>Outputs for every example and the labels that came with the same batches (one pass over the data).</summary>
    private (Tensor Outputs, int[] Labels) PredictWithLabels(ILabelledData data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data);
        var result = Tensor.Uninitialized(new Shape(new[] { data.Count }.Concat(OutputShape).ToArray()));
        var labels = new int[data.Count];
        int width = OutputShape.Length;
        var indices = Enumerable.Range(0, data.Count).ToArray();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            var (x, batchLabels) = data.Batch(indices.AsSpan(start, n));
            using var y = ForwardAll(x);
            y.Span.CopyTo(result.Span.Slice(start * width, n * width));
            batchLabels.CopyTo(labels, start);
        }
        return (result, labels);
    }

    /// <summary>Probabilities for a batch tensor [N, ...InputShape].</summary>
    public Tensor Predict(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return ForwardAll(batch, disposeInput: false);
    }

    /// <summary>Mean loss, accuracy and confusion matrix (rows: true class, columns: predicted).</summary>
    public Evaluation Evaluate(ILabelledData data, int batchSize = 256)
    {
        var (probs, labels) = PredictWithLabels(data, batchSize);
        using var owned = probs;
        int width = OutputShape.Length, classes = Math.Max(2, width);
        var confusion = new int[classes, classes];
        var p = probs.Span;
        var (loss, correct) = Losses.Compute(Loss, p, width, labels, Span<float>.Empty, logits: false);
        for (int i = 0; i < data.Count; i++)
        {
            var row = p.Slice(i * width, width);
            confusion[labels[i], width == 1 ? (row[0] > 0.5f ? 1 : 0) : ArgMax(row)]++;
        }
        return new Evaluation(loss / data.Count, (double)correct / data.Count, confusion);
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs of shuffled mini-batches; the same seed gives the
    /// same history on the same machine. Stops early (after the current batch) when
    /// <paramref name="cancel"/> is signalled or a callback asks (<see cref="History.StoppedReason"/> says which).
    /// A run that diverges stops at once: when a batch loss, the epoch's loss, the validation loss or a
    /// weight becomes NaN or infinite, training ends, <see cref="History.Divergence"/> says where, the
    /// unfinished epoch is not recorded and no callback sees it (so a <see cref="ModelCheckpoint"/> keeps
    /// the last good model). The model's own weights are then those of the bad step; load the checkpoint.
    /// </summary>
    public History Fit(ILabelledData train, int epochs, int batchSize = 32, ILabelledData? validation = null,
        IReadOnlyList<ICallback>? callbacks = null, CancellationToken cancel = default, bool verbose = false)
    {
        ArgumentNullException.ThrowIfNull(train);
        var optimizer = Optimizer ?? throw new InvalidOperationException("Call Compile(optimizer) before Fit.");
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), $"Epochs must be at least 1, got {epochs}.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"Batch size must be at least 1, got {batchSize}.");
        CheckData(train);
        if (validation != null) CheckData(validation);
        callbacks ??= [];
        // Keras' verbose=1: a line per epoch on stdout (a ProgressLogger of one's own can write elsewhere).
        if (verbose) callbacks = [.. callbacks, new ProgressLogger(Console.Out) { Epochs = epochs }];
        var history = new History();
        var rng = new Random(Seed + 1);
        var order = Enumerable.Range(0, train.Count).ToArray();
        int batches = (train.Count + batchSize - 1) / batchSize;
        var parameters = Parameters;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            if (cancel.IsCancellationRequested)
            {
                history.StoppedReason = $"cancelled before epoch {epoch}";
                break;
            }
            foreach (var c in callbacks) c.OnEpochBegin(this, epoch);
            var clock = Stopwatch.StartNew();
            rng.Shuffle(order);
            double lossSum = 0;
            int correct = 0, seen = 0;
            for (int b = 0; b < batches && !cancel.IsCancellationRequested; b++)
            {
                int start = b * batchSize, n = Math.Min(batchSize, train.Count - start);
                var (x, labels) = train.Batch(order.AsSpan(start, n));
                var (loss, hits) = TrainStep(x, labels, parameters, optimizer);
                if (!double.IsFinite(loss)) return Diverged(history, new Divergence(epoch, b + 1, "loss", loss));
                lossSum += loss * n;
                correct += hits;
                seen += n;
                foreach (var c in callbacks) c.OnBatchEnd(epoch, b + 1, batches, lossSum / seen, (double)correct / seen);
            }
            if (seen == 0)
            {
                history.StoppedReason = $"cancelled before epoch {epoch}";
                break;
            }
            // Finite batch losses can still sum to infinity, and the last step can turn the weights to NaN
            // (its loss was computed before the step): check both before anyone sees the epoch.
            if (!double.IsFinite(lossSum / seen)) return Diverged(history, new Divergence(epoch, 0, "loss", lossSum / seen));
            if (FirstNonFiniteWeight() is { } bad) return Diverged(history, new Divergence(epoch, 0, $"weights '{bad}'", double.NaN));
            Evaluation? val = validation == null ? null : Evaluate(validation);
            if (val != null && !double.IsFinite(val.Loss)) return Diverged(history, new Divergence(epoch, 0, "val_loss", val.Loss));
            var logs = new EpochLogs(epoch, lossSum / seen, (double)correct / seen, val?.Loss, val?.Accuracy, clock.Elapsed.TotalSeconds, optimizer.LearningRate);
            history.Epochs.Add(logs);
            foreach (var c in callbacks) c.OnEpochEnd(this, logs);
            if (cancel.IsCancellationRequested)
            {
                history.StoppedReason = $"cancelled during epoch {epoch}";
                break;
            }
            if (callbacks.FirstOrDefault(c => c.StopTraining) is { } stopper)
            {
                if (epoch < epochs) history.StoppedReason = $"{stopper.GetType().Name} stopped training after epoch {epoch}";
                break;
            }
        }
        return history;
    }

    private static History Diverged(History history, Divergence divergence)
    {
        history.Divergence = divergence;
        history.StoppedReason = $"{divergence}; training stopped. Lower the learning rate (or check the data), and use the last good checkpoint.";
        return history;
    }

    /// <summary>
    /// The name ("dense_1/kernel") of the first parameter or saved state holding NaN or infinity, or null when
    /// every weight is finite. A model with such weights only predicts NaN; <see cref="Save"/> refuses it.
    /// </summary>
    public string? FirstNonFiniteWeight()
    {
        foreach (var (name, value) in NamedTensors())
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(value.Span)) return name;
        return null;
    }

    /// <summary>Every parameter and state with its saved name, in file order.</summary>
    private IEnumerable<(string Name, Tensor Value)> NamedTensors() =>
        _layers.SelectMany(l => l.Parameters.Select(p => ($"{l.Name}/{p.Name}", p.Value)).Concat(l.States.Select(s => ($"{l.Name}/{s.Name}", s.Value))));

    /// <summary>Forward, loss, backward and one optimizer step on a batch; returns mean loss and correct count.</summary>
    private (double Loss, int Correct) TrainStep(Tensor x, int[] labels, IReadOnlyList<Parameter> parameters, Optimizer optimizer)
    {
        var activations = new List<Tensor>(_layers.Count + 1) { x };
        using var tape = new Tape();
        try
        {
            for (int i = 0; i < _layers.Count; i++)
            {
                // A ReLU convolution and the 2x2 max pooling after it run fused: the convolution's full-size output is never stored.
                if (_layers[i] is Conv2D { Options.Activation.Kind: Kernels.ActivationKind.Relu } conv && i + 1 < _layers.Count
                    && _layers[i + 1] is MaxPooling2D { IsFusable2x2: true } pool)
                {
                    activations.Add(pool.ForwardAfter(conv, activations[^1], tape));
                    i++;
                    continue;
                }
                activations.Add(_layers[i].Forward(activations[^1], tape));
            }
            var probs = activations[^1];
            int n = labels.Length;
            using var grad = Tensor.Uninitialized(probs.Shape);
            bool logits = _layers[^1] is Dense { GradientIsForLogits: true };
            var (lossSum, correct) = Losses.Compute(Loss, probs.Span, OutputShape.Length, labels, grad.Span, logits);
            double loss = lossSum;
            foreach (var prm in parameters) prm.Grad.Span.Clear();
            Tensor? upstream = null;
            for (int i = _layers.Count - 1; i >= 0; i--)
            {
                Tensor? next;
                // Max pooling after a ReLU convolution applies the ReLU's gradient while routing its own (same values).
                if (i > 0 && _layers[i] is MaxPooling2D pool && _layers[i - 1] is Conv2D { Options.Activation.Kind: Kernels.ActivationKind.Relu } conv)
                {
                    if (pool.RanFused(tape))
                    {
                        // Fused forward: the convolution's output gradient is built and used one image at a time.
                        next = conv.BackwardThroughPooling(pool, upstream ?? grad, tape, needInputGrad: i - 1 > 0);
                    }
                    else
                    {
                        using var preActivation = pool.BackwardThroughRelu(upstream ?? grad, tape);
                        next = conv.BackwardFromPreActivation(preActivation, tape, needInputGrad: i - 1 > 0);
                    }
                    i--;
                }
                else
                {
                    next = _layers[i].Backward(upstream ?? grad, tape, needInputGrad: i > 0);
                }
                upstream?.Dispose();
                upstream = next;
            }
            upstream?.Dispose();
            optimizer.Step(parameters);
            return (loss / n, correct);
        }
        finally
        {
            foreach (var t in activations) t.Dispose();
        }
    }

    private GraphPlan? _inference;

    /// <summary>
    /// The model as an inference graph (<see cref="ComputeGraph"/>): one or more nodes per layer, reading the layers'
    /// own weights, with a convolution and the 2x2 max pooling after it (or two convolutions and the pooling) fused.
    /// The graph does not own the weights; the model does.
    /// </summary>
    public ComputeGraph ToGraph() => SequentialGraph.Build(this, out _);

    /// <summary>
    /// Predict and Evaluate run this plan. It reads the parameter tensors themselves, which training and loading update
    /// in place, so it is compiled once; it keeps nothing about a call, so concurrent calls are safe.
    /// </summary>
    private GraphPlan InferencePlan()
    {
        if (_inference is { } ready) return ready;
        var plan = GraphPlan.Compile(SequentialGraph.Build(this, out var registry), registry);
        return Interlocked.CompareExchange(ref _inference, plan, null) ?? plan;
    }

    private GraphPlan? _tracing;

    /// <summary>
    /// Every layer's output for a batch [N, ...InputShape], in layer order, through the graph runtime's trace hook on a
    /// plan with one node per layer (Predict's plan fuses a convolution with the pooling after it, so its pooled maps
    /// are never whole). The last entry is what Predict returns. The caller disposes the tensors.
    /// </summary>
    public IReadOnlyList<(Layer Layer, Tensor Output)> Trace(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        CheckBatch(batch);
        var plan = _tracing;
        if (plan == null)
        {
            var compiled = GraphPlan.Compile(SequentialGraph.Build(this, out var registry, fuse: false), registry);
            plan = Interlocked.CompareExchange(ref _tracing, compiled, null) ?? compiled;
        }
        var byName = _layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            // The executor frees an intermediate after its last consumer: the observer keeps a copy.
            var result = plan.Run([batch], (node, index, value) =>
            {
                if (index == 0 && byName.ContainsKey(node.Name) && !outputs.ContainsKey(node.Name)) outputs[node.Name] = value.Clone();
            });
            foreach (var t in result) t.Dispose();
            if (_layers.FirstOrDefault(l => !outputs.ContainsKey(l.Name)) is { } missing)
                throw new InvalidOperationException($"The trace has no output for layer {missing.Name}.");
            var traced = _layers.Select(l => (l, outputs[l.Name])).ToList();
            outputs.Clear(); // the caller owns them now
            return traced;
        }
        finally
        {
            foreach (var t in outputs.Values) t.Dispose();
        }
    }

    private void CheckBatch(Tensor x)
    {
        var shape = x.Shape;
        if (shape.Rank != InputShape.Rank + 1 || !shape.ToArray().Skip(1).SequenceEqual(InputShape.ToArray()))
            throw new ArgumentException($"Layer {_layers[0].Name} ({_layers[0].TypeName}) expects input (batch, {string.Join(", ", InputShape)}), got {x.Shape}.");
    }

    /// <summary>Inference through the compiled graph (no tape: nothing is kept, so concurrent calls are safe).</summary>
    private Tensor ForwardAll(Tensor x, bool disposeInput = true)
    {
        try
        {
            CheckBatch(x);
            return InferencePlan().Run(x)[0];
        }
        finally
        {
            if (disposeInput) x.Dispose();
        }
    }

    private void CheckData(ILabelledData data)
    {
        if (data.ExampleShape != InputShape)
            throw new ArgumentException($"The data's examples have shape {data.ExampleShape} but the model expects {InputShape}.");
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    /// <summary>Largest model.json read by <see cref="Load"/> (a real one is a few kilobytes).</summary>
    public const long MaxModelJsonBytes = 16 << 20;

    /// <summary>Largest output of any layer, per example, in a model read by <see cref="Load"/> (64 MB of floats).</summary>
    public const int MaxLoadedActivation = 1 << 24;

    /// <summary>
    /// Writes model.json (architecture) and model.safetensors (weights) into <paramref name="folder"/>, each
    /// through a temporary file renamed into place (an interrupted save never leaves half a file, and two
    /// saves at once do not share a temporary name). Refuses weights holding NaN or infinity
    /// (<see cref="InvalidOperationException"/>): <see cref="Load"/> would refuse them.
    /// </summary>
    public void Save(string folder, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (FirstNonFiniteWeight() is { } bad)
            throw new InvalidOperationException($"The weights '{bad}' hold NaN or infinite values (training diverged?); a model that cannot be loaded is not saved to {folder}. Lower the learning rate and train again.");
        string json = Path.Combine(folder, "model.json"), weights = Path.Combine(folder, "model.safetensors");
        if (!overwrite && (File.Exists(json) || File.Exists(weights)))
            throw new IOException($"{folder} already holds a model; choose another folder or allow overwriting.");
        Directory.CreateDirectory(folder);
        var layers = new JsonArray();
        foreach (var l in _layers)
            layers.Add(LayerJson.Write(l));
        var doc = new JsonObject
        {
            ["class_name"] = "Sequential",
            ["input_shape"] = new JsonArray(InputShape.Select(d => (JsonNode)d).ToArray()),
            ["seed"] = Seed,
            ["layers"] = layers,
        };
        SafeFile.WriteAllText(json, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), overwrite);
        SafeFile.WriteAllBytes(weights, Safetensors.Encode(NamedTensors().ToList()), overwrite);
    }

    /// <summary>
    /// Reads a model written by <see cref="Save"/>, checking everything against everything: model.json
    /// (a regular file of at most <see cref="MaxModelJsonBytes"/>; every field present, typed and in range),
    /// model.safetensors (see <see cref="Safetensors.Read"/>), every tensor's name and shape, and every weight
    /// finite. Architecture and weights must agree before the weights are allocated, so a lying model.json
    /// cannot exhaust memory. Throws <see cref="FileNotFoundException"/> (a file is missing),
    /// <see cref="IOException"/> (not a regular file, too large, unreadable) or <see cref="InvalidDataException"/>
    /// (damaged or mismatched: NaN weights, bad JSON, wrong shapes), each naming the file and the field or tensor.
    /// </summary>
    /// <example><code>var model = Sequential.Load("runs/mnist"); var eval = model.Evaluate(test);</code></example>
    public static Sequential Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string json = Path.Combine(folder, "model.json"), weights = Path.Combine(folder, "model.safetensors");
        if (!File.Exists(json) && !Directory.Exists(json)) throw new FileNotFoundException($"{folder} has no model.json ({json} does not exist); is it a run folder from 'shikaku train'?", json);
        if (!File.Exists(weights) && !Directory.Exists(weights)) throw new FileNotFoundException($"{folder} has model.json but no model.safetensors ({weights} does not exist).", weights);
        string text = SafeFile.ReadAllText(json, MaxModelJsonBytes, "a model description (model.json)");
        var stored = Safetensors.Read(weights);
        var (shape, seed, layers) = ReadArchitecture(text, json);
        Sequential model;
        long available = stored.Values.Sum(t => (long)t.Values.Length);
        using (BuildLimits.Enter(available, MaxLoadedActivation, json))
        {
            try
            {
                model = new Sequential(shape, seed, layers);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{json}: {e.Message}", e);
            }
        }
        foreach (var (name, value) in model.NamedTensors())
        {
            if (!stored.TryGetValue(name, out var t))
                throw new InvalidDataException($"{weights} has no tensor '{name}'; the weights do not belong to this architecture.");
            if (!t.Shape.SequenceEqual(value.Shape))
                throw new InvalidDataException($"{weights}: '{name}' has shape ({string.Join(", ", t.Shape)}) but the architecture needs {value.Shape}.");
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(t.Values))
                throw new InvalidDataException(
                    $"{weights} holds NaN/Inf values in '{name}'; the model is damaged (a training run that diverged?). " +
                    "Train it again with a lower learning rate, or use an earlier checkpoint.");
            t.Values.CopyTo(value.Span);
        }
        return model;
    }

    /// <summary>Input shape, seed and layers of model.json; every problem names the file and the field.</summary>
    private static (Shape Shape, int Seed, Layer[] Layers) ReadArchitecture(string text, string json)
    {
        JsonNode? doc;
        try
        {
            doc = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{json} is not valid JSON: {e.Message}", e);
        }
        try
        {
            var root = LayerJson.Object(doc, "the top level");
            var dims = LayerJson.Array(root, "input_shape", "model");
            if (dims.Count is < 1 or > 3)
                throw new InvalidDataException($"model.input_shape has {dims.Count} dimensions; a model takes (features), (height, width) or (height, width, channels).");
            var shape = dims.Select((d, i) => LayerJson.Int(d, $"model.input_shape[{i}]", 1, 1 << 16)).ToArray();
            if (shape.Aggregate(1L, (a, d) => a * d) > MaxLoadedActivation)
                throw new InvalidDataException($"model.input_shape ({string.Join(", ", shape)}) has more than {MaxLoadedActivation:N0} values per example.");
            int seed = root["seed"] is null ? 0 : LayerJson.Int(root, "seed", "model", int.MinValue, int.MaxValue);
            var layers = LayerJson.Array(root, "layers", "model").Select((n, i) => LayerJson.Read(n, $"model.layers[{i}]")).ToArray();
            if (layers.Length == 0) throw new InvalidDataException("model.layers is empty; a model needs at least one layer.");
            return (new Shape(shape), seed, layers);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{json}: {e.Message}", e);
        }
    }
}
