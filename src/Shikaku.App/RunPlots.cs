using Shikaku.IO;
using Shikaku.NN;

namespace Shikaku.App;

/// <summary>Learning curves (train vs validation accuracy and loss) and the confusion matrix, as images.</summary>
public static class RunPlots
{
    /// <summary>Writes accuracy.png/.svg and loss.png/.svg: train vs validation per epoch.</summary>
    public static void LearningCurves(History history, string folder, string title)
    {
        if (history.Epochs.Count == 0) return;
        double[] epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        foreach (var (metric, train, validation) in new[]
        {
            ("accuracy", history.Epochs.Select(e => e.Accuracy), history.Epochs.Select(e => e.ValAccuracy)),
            ("loss", history.Epochs.Select(e => e.Loss), history.Epochs.Select(e => e.ValLoss)),
        })
        {
            var plot = new ScottPlot.Plot();
            Curve(plot, epochs, train, validation, metric, title);
            Save(plot, Path.Combine(folder, $"{metric}.png"), 700, 450);
            SafeFile.WriteAllText(Path.Combine(folder, $"{metric}.svg"), plot.GetSvgXml(700, 450), overwrite: true);
        }
    }

    private static void Curve(ScottPlot.Plot plot, double[] epochs, IEnumerable<double> train, IEnumerable<double?> validation, string metric, string title)
    {
        var t = plot.Add.Scatter(epochs, train.ToArray());
        t.LegendText = "train";
        var v = validation.ToArray();
        if (v.All(x => x.HasValue))
        {
            var s = plot.Add.Scatter(epochs, v.Select(x => x!.Value).ToArray());
            s.LegendText = "validation";
        }
        plot.Title($"{title}: {metric}");
        plot.XLabel("epoch");
        plot.YLabel(metric);
        plot.ShowLegend();
    }

    /// <summary>Writes confusion.png: counts per (true, predicted) class.</summary>
    public static void Confusion(int[,] confusion, string[] classes, string path)
    {
        int n = classes.Length;
        var values = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) values[i, j] = confusion[i, j] == 0 ? 0 : Math.Log10(confusion[i, j] + 1);
        var plot = new ScottPlot.Plot();
        var map = plot.Add.Heatmap(values);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                var text = plot.Add.Text(confusion[i, j].ToString(System.Globalization.CultureInfo.InvariantCulture), j, n - 1 - i);
                text.LabelFontColor = i == j ? ScottPlot.Colors.Black : ScottPlot.Colors.White;
                text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                text.LabelFontSize = 11;
            }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(j => (double)j).ToArray(), classes);
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), classes);
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Title("confusion matrix (test set; colour: log count)");
        Save(plot, path, 800, 700);
    }

    /// <summary>A PNG of the plot, written whole or not at all (the caller has checked what may be replaced).</summary>
    private static void Save(ScottPlot.Plot plot, string path, int width, int height) =>
        SafeFile.WriteAllBytes(path, plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png), overwrite: true);
}
