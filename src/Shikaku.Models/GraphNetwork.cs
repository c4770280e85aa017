using Shikaku.Graph;
using Shikaku.Tensors;

namespace Shikaku.Models;

/// <summary>
/// A network that runs as a compiled graph, opened for looking inside: its plan (to trace node by node) and the
/// input it makes from an image, exactly as its own forward pass makes it.
/// </summary>
public interface IGraphNetwork : IDisposable
{
    /// <summary>The compiled graph the network runs.</summary>
    GraphPlan Plan { get; }

    /// <summary>[1, H, W, 3] pixels 0..255 -> the network's input tensor (the caller disposes it).</summary>
    Tensor PrepareInput(Tensor image);
}
