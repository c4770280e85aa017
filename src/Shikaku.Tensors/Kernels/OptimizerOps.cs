using System.Numerics;

namespace Shikaku.Kernels;

/// <summary>
/// Parameter updates of the optimizers, one fused pass over the weights and their moments (vectorised,
/// in blocks on all threads) instead of a pass per arithmetic step.
/// </summary>
public static class OptimizerOps
{
    private const int Block = 1 << 15;

    /// <summary>
    /// Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g²; w -= step · m / (√v + ε), with the bias corrections
    /// already folded into <paramref name="step"/> (as Keras does).
    /// </summary>
    public static unsafe void Adam(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float step, float beta1, float beta2, float epsilon)
    {
        int n = w.Length;
        if (g.Length != n || m.Length != n || v.Length != n)
            throw new ArgumentException($"Adam needs weights, gradients and moments of one length; got {n}, {g.Length}, {m.Length}, {v.Length}.");
        fixed (float* wp = w, gp = g, mp = m, vp = v)
        {
            float* pw = wp, pg = gp, pm = mp, pv = vp;
            Engine.ParallelFor((n + Block - 1) / Block, (first, last) =>
            {
                int i = first * Block, end = Math.Min(n, last * Block);
                var b1 = new Vector<float>(beta1);
                var b2 = new Vector<float>(beta2);
                var c1 = new Vector<float>(1f - beta1);
                var c2 = new Vector<float>(1f - beta2);
                var eps = new Vector<float>(epsilon);
                var lr = new Vector<float>(step);
                for (; i <= end - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var gi = Vector.Load(pg + i);
                    var mi = b1 * Vector.Load(pm + i) + c1 * gi;
                    var vi = b2 * Vector.Load(pv + i) + c2 * gi * gi;
                    Vector.Store(mi, pm + i);
                    Vector.Store(vi, pv + i);
                    Vector.Store(Vector.Load(pw + i) - lr * mi / (Vector.SquareRoot(vi) + eps), pw + i);
                }
                for (; i < end; i++)
                {
                    float gi = pg[i];
                    float mi = pm[i] = beta1 * pm[i] + (1f - beta1) * gi;
                    float vi = pv[i] = beta2 * pv[i] + (1f - beta2) * gi * gi;
                    pw[i] -= step * mi / (MathF.Sqrt(vi) + epsilon);
                }
            });
        }
    }
}
