using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.NN;

/// <summary>Updates parameters from their gradients after each batch.</summary>
public abstract class Optimizer
{
    private float _learningRate;

    /// <summary>
    /// Step size: a finite number above 0 and at most <see cref="MaxLearningRate"/>. Anything else
    /// (NaN, infinity, 0, a negative or absurdly large rate) would only train the weights to NaN, so it
    /// is refused with an <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    /// <example><code>optimizer.LearningRate = 1e-4f; // fine; 1e30f or float.NaN throws</code></example>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = CheckRate(value, MaxLearningRate, GetType().Name);
    }

    /// <summary>
    /// The largest learning rate accepted: 10 (100 for <see cref="Adadelta"/>, whose step is already
    /// normalised by past updates). Useful rates are 1e-5 to 1; above 10 every optimizer here diverges
    /// in a few steps, so a larger rate is a typo (1e3 for 1e-3) rather than a setting.
    /// </summary>
    public virtual float MaxLearningRate => 10f;

    internal static float CheckRate(float rate, float max, string who)
    {
        if (!float.IsFinite(rate) || rate <= 0 || rate > max)
            throw new ArgumentOutOfRangeException(nameof(LearningRate), rate,
                $"{who}: the learning rate must be a finite number above 0 and at most {max.ToString(System.Globalization.CultureInfo.InvariantCulture)}, " +
                $"got {rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}; typical rates are 1e-4 to 1e-1.");
        return rate;
    }

    /// <summary>Refuses a NaN, infinite or out-of-range hyperparameter with a message naming it.</summary>
    private protected static float Check(float value, string name, float min, float max, bool maxExclusive = false)
    {
        if (!float.IsFinite(value) || value < min || value > max || (maxExclusive && value == max))
            throw new ArgumentOutOfRangeException(name, value,
                $"{name} must be a finite number in [{min.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {max.ToString(System.Globalization.CultureInfo.InvariantCulture)}{(maxExclusive ? ")" : "]")}, " +
                $"got {value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}.");
        return value;
    }

    /// <summary>Applies one update to every parameter (gradients are means over the batch).</summary>
    public abstract void Step(IReadOnlyList<Parameter> parameters);

    /// <summary>Keras name and settings, for the run record.</summary>
    public abstract string Describe();
}

/// <summary>Adam (Kingma and Ba), with Keras's defaults: lr 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.</summary>
public sealed class Adam : Optimizer
{
    private readonly float beta1, beta2, epsilon;

    /// <summary>Adam with the given settings.</summary>
    public Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
    {
        LearningRate = learningRate;
        // beta = 1 divides by zero in the bias correction; epsilon = 0 divides 0 by 0 where a gradient is 0.
        (this.beta1, this.beta2) = (Check(beta1, nameof(beta1), 0, 1, maxExclusive: true), Check(beta2, nameof(beta2), 0, 1, maxExclusive: true));
        this.epsilon = Check(epsilon, nameof(epsilon), float.Epsilon, 1);
    }

    private readonly Dictionary<Parameter, (Tensor M, Tensor V)> _moments = [];
    private int _t;

    /// <inheritdoc/>
    public override void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _t++;
        // Keras folds the bias corrections into the step size.
        float lr = LearningRate * MathF.Sqrt(1f - MathF.Pow(beta2, _t)) / (1f - MathF.Pow(beta1, _t));
        foreach (var p in parameters)
        {
            if (!_moments.TryGetValue(p.Inner ?? p, out var mv))
                _moments[p.Inner ?? p] = mv = (Tensor.Zeros(p.Value.Shape), Tensor.Zeros(p.Value.Shape));
            Kernels.OptimizerOps.Adam(p.Value.Span, p.Grad.Span, mv.M.Span, mv.V.Span, lr, beta1, beta2, epsilon);
        }
    }

    /// <inheritdoc/>
    public override string Describe() => $"Adam(learning_rate={LearningRate}, beta_1={beta1}, beta_2={beta2}, epsilon={epsilon})";

}

/// <summary>Stochastic gradient descent with optional (Nesterov) momentum.</summary>
public sealed class Sgd : Optimizer
{
    private readonly float momentum;
    private readonly bool nesterov;

    /// <summary>SGD with the given settings.</summary>
    public Sgd(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false)
    {
        LearningRate = learningRate;
        (this.momentum, this.nesterov) = (Check(momentum, nameof(momentum), 0, 1), nesterov);
    }

    private readonly Dictionary<Parameter, Tensor> _velocity = [];

    /// <inheritdoc/>
    public override void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
        {
            var w = p.Value.Span;
            var g = p.Grad.Span;
            if (momentum == 0f)
            {
                TensorPrimitives.MultiplyAdd(g, -LearningRate, w, w);
                continue;
            }
            if (!_velocity.TryGetValue(p.Inner ?? p, out var vel)) _velocity[p.Inner ?? p] = vel = Tensor.Zeros(p.Value.Shape);
            var v = vel.Span;
            // v = momentum v - lr g;  w += v (or, Nesterov, w += momentum v - lr g)
            TensorPrimitives.Multiply(v, momentum, v);
            TensorPrimitives.MultiplyAdd(g, -LearningRate, v, v);
            if (nesterov)
            {
                TensorPrimitives.MultiplyAdd(v, momentum, w, w);
                TensorPrimitives.MultiplyAdd(g, -LearningRate, w, w);
            }
            else
            {
                TensorPrimitives.Add(w, v, w);
            }
        }
    }

    /// <inheritdoc/>
    public override string Describe() => $"SGD(learning_rate={LearningRate}, momentum={momentum}, nesterov={nesterov.ToString().ToLowerInvariant()})";
}

/// <summary>AdamW: Adam with decoupled weight decay (Loshchilov and Hutter), Keras defaults (decay 0.004).</summary>
public sealed class AdamW : Optimizer
{
    private readonly Adam _adam;
    private readonly float _decay;

    /// <summary>AdamW with the given settings.</summary>
    public AdamW(float learningRate = 0.001f, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
    {
        LearningRate = learningRate;
        _decay = Check(weightDecay, nameof(weightDecay), 0, 1);
        _adam = new Adam(learningRate, beta1, beta2, epsilon);
    }

    /// <inheritdoc/>
    public override void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        // w -= lr * decay * w, then the Adam step.
        foreach (var p in parameters) TensorPrimitives.Multiply(p.Value.Span, 1f - LearningRate * _decay, p.Value.Span);
        _adam.LearningRate = LearningRate;
        _adam.Step(parameters);
    }

    /// <inheritdoc/>
    public override string Describe() => $"AdamW(learning_rate={LearningRate}, weight_decay={_decay})";
}

/// <summary>RMSprop (Hinton), Keras defaults: rho 0.9, epsilon 1e-7.</summary>
public sealed class RmsProp : Optimizer
{
    private readonly Dictionary<Parameter, Tensor> _meanSquare = [];
    private readonly float _rho, _epsilon;

    /// <summary>RMSprop with the given settings.</summary>
    public RmsProp(float learningRate = 0.001f, float rho = 0.9f, float epsilon = 1e-7f)
    {
        LearningRate = learningRate;
        (_rho, _epsilon) = (Check(rho, nameof(rho), 0, 1, maxExclusive: true), Check(epsilon, nameof(epsilon), float.Epsilon, 1));
    }

    /// <inheritdoc/>
    public override void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
        {
            if (!_meanSquare.TryGetValue(p.Inner ?? p, out var ms)) _meanSquare[p.Inner ?? p] = ms = Tensor.Zeros(p.Value.Shape);
            var w = p.Value.Span;
            var g = p.Grad.Span;
            var s = ms.Span;
            // s = rho s + (1 - rho) g²;  w -= lr g / (sqrt(s) + eps)
            for (int i = 0; i < w.Length; i++)
            {
                s[i] = _rho * s[i] + (1 - _rho) * g[i] * g[i];
                w[i] -= LearningRate * g[i] / (MathF.Sqrt(s[i]) + _epsilon);
            }
        }
    }

    /// <inheritdoc/>
    public override string Describe() => $"RMSprop(learning_rate={LearningRate}, rho={_rho}, epsilon={_epsilon})";
}

/// <summary>Adadelta (Zeiler), Keras defaults: learning rate 0.001, rho 0.95, epsilon 1e-7.</summary>
public sealed class Adadelta : Optimizer
{
    private readonly Dictionary<Parameter, (Tensor Grad2, Tensor Delta2)> _state = [];
    private readonly float _rho, _epsilon;

    /// <summary>Adadelta with the given settings.</summary>
    public Adadelta(float learningRate = 0.001f, float rho = 0.95f, float epsilon = 1e-7f)
    {
        LearningRate = learningRate;
        (_rho, _epsilon) = (Check(rho, nameof(rho), 0, 1, maxExclusive: true), Check(epsilon, nameof(epsilon), float.Epsilon, 1));
    }

    /// <inheritdoc/>
    public override float MaxLearningRate => 100f;

    /// <inheritdoc/>
    public override void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
        {
            if (!_state.TryGetValue(p.Inner ?? p, out var st)) _state[p.Inner ?? p] = st = (Tensor.Zeros(p.Value.Shape), Tensor.Zeros(p.Value.Shape));
            var w = p.Value.Span;
            var g = p.Grad.Span;
            var eg = st.Grad2.Span;
            var ed = st.Delta2.Span;
            for (int i = 0; i < w.Length; i++)
            {
                // E[g²] = rho E[g²] + (1-rho) g²;  Δ = sqrt(E[Δ²] + eps) / sqrt(E[g²] + eps) g;  E[Δ²] = rho E[Δ²] + (1-rho) Δ²
                eg[i] = _rho * eg[i] + (1 - _rho) * g[i] * g[i];
                float delta = MathF.Sqrt(ed[i] + _epsilon) / MathF.Sqrt(eg[i] + _epsilon) * g[i];
                ed[i] = _rho * ed[i] + (1 - _rho) * delta * delta;
                w[i] -= LearningRate * delta;
            }
        }
    }

    /// <inheritdoc/>
    public override string Describe() => $"Adadelta(learning_rate={LearningRate}, rho={_rho}, epsilon={_epsilon})";
}
