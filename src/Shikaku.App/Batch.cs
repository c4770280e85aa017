using Shikaku.Vision.Imaging;

namespace Shikaku.App;

/// <summary>The loop every image verb shares: load each file, do the work, and let a bad image become its result while the batch goes on.</summary>
internal static class Batch
{
    /// <summary>
    /// Runs <paramref name="work"/> on each image in order; a user error (unreadable file, bad pixels) becomes
    /// <paramref name="failed"/>'s result. Each result goes to <paramref name="onImage"/> as soon as it is known.
    /// </summary>
    public static (List<T> Results, BatchOutcome Outcome) ForEachImage<T>(ImageLoadOptions load, IReadOnlyList<string> files, Action<T>? onImage,
        CancellationToken ct, Func<string, Image, T> work, Func<string, Exception, T> failed)
    {
        var results = new List<T>();
        int failures = 0;
        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            T result;
            try
            {
                result = work(file, ImageCodec.Load(file, load));
            }
            catch (Exception e) when (UserErrors.IsUserError(e))
            {
                failures++;
                result = failed(file, e);
            }
            results.Add(result);
            onImage?.Invoke(result);
        }
        return (results, new BatchOutcome(failures, files.Count));
    }
}
