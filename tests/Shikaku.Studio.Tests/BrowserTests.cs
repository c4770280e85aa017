using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Shikaku.App;
using Shikaku.NN;
using Shikaku.Vision.Imaging;

namespace Shikaku.Studio.Tests;

/// <summary>
/// The studio's pages in a real browser: Playwright driving Debian's chromium (/usr/bin/chromium; Playwright's own
/// browser download does not work here). Each test leaves a screenshot of its page in docs/studio/.
/// </summary>
[Collection(StudioCollection.Name)]
public sealed class BrowserTests(StudioFixture studio) : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;

    public static string Chromium => Environment.GetEnvironmentVariable("SHIKAKU_CHROMIUM") ?? "/usr/bin/chromium";

    private static string Screenshots
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Shikaku.sln"))) return Directory.CreateDirectory(Path.Combine(d.FullName, "docs", "studio")).FullName;
            throw new InvalidOperationException("Shikaku.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"The browser tests need Debian's chromium at {Chromium} (apt-get install chromium; .ci/run installs it).");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        _page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        _page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        _page.PageError += (_, e) => errors.Add(e);
        _consoleErrors = errors;
    }

    private List<string> _consoleErrors = [];

    public async Task DisposeAsync()
    {
        // A page that broke its Content-Security-Policy or threw says so in its console.
        Assert.True(_consoleErrors.Count == 0, "the page logged errors:\n" + string.Join("\n", _consoleErrors));
        await _browser.CloseAsync();
        _playwright.Dispose();
    }

    private Task Open(string page) => _page.GotoAsync(studio.Url + "#" + page);

    private Task Shot(string name) => _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    [Fact]
    public async Task ConvolutionLabShowsTheLecturesOutputAndStepsToTheSecondWindow()
    {
        await Open("conv");
        await _page.ClickAsync("button.example[data-op=conv1d]");
        await Assertions.Expect(_page.Locator("#conv-output")).ToHaveTextAsync("0 2 0 1 1 1 2 1");
        await Assertions.Expect(_page.Locator("#step-info")).ToContainTextAsync("output [0, 0]");
        await _page.ClickAsync("#step-next");
        await Assertions.Expect(_page.Locator("#step-info")).ToContainTextAsync("window 2 of 8: output [0, 1] from input [0, 1]");
        await Assertions.Expect(_page.Locator("#step-sum")).ToHaveTextAsync("1x1 + 0x0 + 1x1 = 2");
        // The window's three taps are marked on the input, and the second output cell is the current one.
        await Assertions.Expect(_page.Locator("#conv-input-grid td.window")).ToHaveCountAsync(3);
        await Assertions.Expect(_page.Locator("#conv-output-grid td.current")).ToHaveTextAsync("2");
        await Assertions.Expect(_page.Locator("#conv-formula")).ToContainTextAsync("width floor((10 + 0 + 0 - 1x(3-1) - 1) / 1) + 1 = 8");
        await _page.ClickAsync("button.example[data-op=pool]");
        await Assertions.Expect(_page.Locator("#conv-output")).ToHaveTextAsync("8");
        await _page.ClickAsync("button.example[data-op=conv2d]");
        await Assertions.Expect(_page.Locator("#conv-output")).ToHaveTextAsync("4 3 5; 4 3 5; 4 3 5");
        await _page.SetInputFilesAsync("#filter-file", StudioFixture.Photo(3));
        await _page.SelectOptionAsync("#filter-kernel", "sobel");
        await _page.ClickAsync("#filter-run");
        await Assertions.Expect(_page.Locator("#filter-after")).ToHaveAttributeAsync("src", new Regex("^blob:"));
        await Shot("conv-lab");
    }

    [Fact]
    public async Task ExplainerPredictsADrawnDigitAsPredictDoesAndShowsTheKernelsOfAClickedMap()
    {
        await Open("explain");
        await Assertions.Expect(_page.Locator($"#explain-model option[value='{StudioFixture.RunId}']")).ToHaveCountAsync(1);
        await _page.SelectOptionAsync("#explain-model", StudioFixture.RunId);
        // Draw a "7" with the mouse.
        var box = (await _page.Locator("#draw").BoundingBoxAsync())!;
        await _page.Mouse.MoveAsync(box.X + 60, box.Y + 60);
        await _page.Mouse.DownAsync();
        await _page.Mouse.MoveAsync(box.X + 220, box.Y + 60, new MouseMoveOptions { Steps = 12 });
        await _page.Mouse.MoveAsync(box.X + 120, box.Y + 240, new MouseMoveOptions { Steps = 12 });
        await _page.Mouse.UpAsync();
        await _page.ClickAsync("#explain-run");
        await Assertions.Expect(_page.Locator("#explain-prediction")).ToHaveTextAsync(new Regex(@"^\d \(\d\.\d{4}\)$"));
        string shown = await _page.Locator("#explain-prediction").InnerTextAsync();

        // `shikaku predict` on the very drawing the page sent gives the same class and probability.
        string dataUrl = await _page.EvaluateAsync<string>("document.getElementById('draw').toDataURL('image/png')");
        string file = Path.Combine(studio.RunsRoot, "drawn.png");
        File.WriteAllBytes(file, Convert.FromBase64String(dataUrl[(dataUrl.IndexOf(',') + 1)..]));
        try
        {
            var p = RunUseCases.Predict(new PredictRequest(studio.RunFolder, [file], new ImageLoadOptions())).Predictions.Single();
            Assert.Equal($"{p.Class} ({p.Probability:0.0000})", shown);
        }
        finally
        {
            File.Delete(file);
        }

        // One column per layer plus the input; the first convolution has 32 maps.
        await Assertions.Expect(_page.Locator("#network .column")).ToHaveCountAsync(9);
        await Assertions.Expect(_page.Locator("canvas.map[data-layer='0']")).ToHaveCountAsync(32);
        // Clicking map 5 of the second convolution shows, for each of its 32 input channels, that channel's kernel.
        await _page.ClickAsync("canvas.map[data-layer='1'][data-channel='5']");
        await Assertions.Expect(_page.Locator("#conv-detail table.kernel")).ToHaveCountAsync(32);
        // Its connections: a line from each of the 32 maps of the first convolution.
        await Assertions.Expect(_page.Locator("#network svg.links line")).ToHaveCountAsync(32);
        var model = Sequential.Load(studio.RunFolder);
        var kernel = model.Layers[1].Parameters[0].Value; // HWIO 3x3x32x64
        var cells = await _page.Locator("#conv-detail table.kernel[data-input-channel='4'] td").AllInnerTextsAsync();
        Assert.Equal(9, cells.Count);
        for (int i = 0; i < 9; i++)
            Assert.Equal(kernel.Span[(i * 32 + 4) * 64 + 5], float.Parse(cells[i], System.Globalization.CultureInfo.InvariantCulture), 3);
        await Assertions.Expect(_page.Locator("#conv-detail")).ToContainTextAsync("How conv2d_1 map 5 was computed");
        await Assertions.Expect(_page.Locator("#layer-detail")).ToContainTextAsync("relu");
        // Dense and softmax layers show their formula and numbers.
        await _page.Locator("#network .column").Last.Locator("h4").ClickAsync();
        await Assertions.Expect(_page.Locator("#layer-detail")).ToContainTextAsync("softmax");
        await Shot("explainer");
    }

    [Fact]
    public async Task ExplainerOpensAnImportedNetworkOnAPhoto()
    {
        await Open("explain");
        await Assertions.Expect(_page.Locator("#explain-model option[value='graph:age']")).ToHaveCountAsync(1);
        await _page.SelectOptionAsync("#explain-model", "graph:age");
        await _page.SetInputFilesAsync("#explain-file", StudioFixture.Photo(2));
        await _page.ClickAsync("#explain-run");
        await Assertions.Expect(_page.Locator("#explain-prediction")).ToContainTextAsync("graph:age: age in years", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        Assert.True(await _page.Locator("#network .column").CountAsync() > 10);
        Assert.True(await _page.Locator("#network canvas.map").CountAsync() > 10);
        await Shot("explainer-imported");

        // A face-api.js net sees the crop of the face its own pipeline gives it.
        await _page.SelectOptionAsync("#explain-model", "faceapi:face_landmark_68");
        await _page.ClickAsync("#explain-run");
        await Assertions.Expect(_page.Locator("#explain-prediction")).ToContainTextAsync("faceapi:face_landmark_68: 68 face landmarks", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        await Assertions.Expect(_page.Locator("#explain-probs")).ToContainTextAsync("input 1x112x112x3, made from the most confident face's crop");
        Assert.True(await _page.Locator("#network canvas.map").CountAsync() > 10);
        await Shot("explainer-face-api");
    }

    [Fact]
    public async Task TrainingStreamsAnEpochAndStopsOnRequest()
    {
        await Open("train");
        // The lecture CNN on 1,024 images: an epoch takes a few seconds, so the run is still going when it is stopped.
        await _page.SelectOptionAsync("#train-model", "lecture-cnn");
        await _page.FillAsync("#train-epochs", "40");
        await _page.FillAsync("#train-limit", "1024");
        await _page.FillAsync("#train-batch", "64");
        await _page.ClickAsync("#train-start");
        try
        {
            await Assertions.Expect(_page.Locator("#train-log tbody tr").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 120_000 });
        }
        catch (PlaywrightException)
        {
            Assert.Fail($"no epoch row; status: {await _page.Locator("#train-status").InnerTextAsync()}; error: {await _page.Locator("#train-error").InnerTextAsync()}; console: {string.Join(" | ", _consoleErrors)}");
        }
        await _page.ClickAsync("#train-stop");
        await Assertions.Expect(_page.Locator("#train-status")).ToContainTextAsync("stopped after", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        await Assertions.Expect(_page.Locator("#train-open")).ToBeVisibleAsync();
        int epochs = await _page.Locator("#train-log tbody tr").CountAsync();
        Assert.InRange(epochs, 1, 39);
        await Assertions.Expect(_page.Locator("#train-status")).ToContainTextAsync($"stopped after {epochs} epoch(s)");
        await Assertions.Expect(_page.Locator("#train-start")).ToBeEnabledAsync();
        await Shot("training");
    }

    [Fact]
    public async Task FacesPageFindsTheThreeFacesOfTheDemoPhoto()
    {
        await Open("faces");
        await _page.SetInputFilesAsync("#faces-file", StudioFixture.Photo(1));
        await _page.ClickAsync("#faces-run");
        await Assertions.Expect(_page.Locator("#faces-count")).ToHaveTextAsync("3 faces in 1920x1280", new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 });
        await Assertions.Expect(_page.Locator("#faces-table tbody tr")).ToHaveCountAsync(3);
        await _page.SetInputFilesAsync("#verify-first", StudioFixture.Photo(2));
        await _page.SetInputFilesAsync("#verify-second", StudioFixture.Photo(2));
        await _page.ClickAsync("#verify-run");
        await Assertions.Expect(_page.Locator("#verify-result")).ToContainTextAsync("the same person", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        // The gallery: enrol the photo's largest face with a consent record, identify it, forget it.
        await _page.FillAsync("#gallery-name", "dana");
        await _page.FillAsync("#gallery-consent", "shown in the browser test");
        await _page.FillAsync("#gallery-expires", "2099-01-01");
        await _page.ClickAsync("#gallery-enroll");
        await Assertions.Expect(_page.Locator("#gallery-result")).ToContainTextAsync("dana: 1 descriptor(s) enrolled", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        await Assertions.Expect(_page.Locator("#gallery-people tbody tr", new PageLocatorOptions { HasText = "dana" })).ToHaveCountAsync(1);
        await _page.ClickAsync("#gallery-identify");
        await Assertions.Expect(_page.Locator("#gallery-result")).ToContainTextAsync("dana (0.00)", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        await Shot("faces");
        await _page.Locator("#gallery-people tbody tr", new PageLocatorOptions { HasText = "dana" }).Locator("button").ClickAsync();
        await Assertions.Expect(_page.Locator("#gallery-result")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^dana: erased \\(their rows are deleted and the store compacted"), new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 });
        await Assertions.Expect(_page.Locator("#gallery-people tbody tr", new PageLocatorOptions { HasText = "dana" })).ToHaveCountAsync(0);
        // The 3-D viewer: three faces, the first drawn textured (WebGL), and a drag turns it (the pixels change).
        await _page.ClickAsync("#mesh-run");
        await Assertions.Expect(_page.Locator("#mesh-info")).ToHaveTextAsync("3 of 3 faces in 3-D", new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 });
        await Assertions.Expect(_page.Locator("#mesh-face option")).ToHaveCountAsync(3);
        string before = await _page.EvalOnSelectorAsync<string>("#mesh-canvas", "c => c.toDataURL()");
        double lit = await _page.EvalOnSelectorAsync<double>("#mesh-canvas", @"c => {
            const gl = c.getContext('webgl', { preserveDrawingBuffer: true }), px = new Uint8Array(4 * c.width * c.height);
            gl.readPixels(0, 0, c.width, c.height, gl.RGBA, gl.UNSIGNED_BYTE, px);
            let n = 0; for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 31) + Math.abs(px[i + 1] - 31) + Math.abs(px[i + 2] - 36) > 30) n++;
            return n / (c.width * c.height); }");
        Assert.InRange(lit, 0.05, 0.9); // the face covers part of the view, not none and not all of it
        var box = (await _page.Locator("#mesh-canvas").BoundingBoxAsync())!;
        await _page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await _page.Mouse.DownAsync();
        await _page.Mouse.MoveAsync(box.X + box.Width / 2 + 80, box.Y + box.Height / 2, new MouseMoveOptions { Steps = 5 });
        await _page.Mouse.UpAsync();
        Assert.NotEqual(before, await _page.EvalOnSelectorAsync<string>("#mesh-canvas", "c => c.toDataURL()"));
        await _page.Locator("#mesh-canvas").ScrollIntoViewIfNeededAsync();
        await _page.Locator("#mesh-canvas").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Screenshots, "faces-3d.png") });
    }

    [Fact]
    public async Task ObjectsPageDrawsTheDetections()
    {
        await Open("objects");
        await Assertions.Expect(_page.Locator("#objects-model option")).ToHaveCountAsync(2);
        await _page.SetInputFilesAsync("#objects-file", StudioFixture.Photo(1));
        await _page.ClickAsync("#objects-run");
        await Assertions.Expect(_page.Locator("#objects-count")).ToContainTextAsync("objects (centernet", new LocatorAssertionsToContainTextOptions { Timeout = 60_000 });
        await Assertions.Expect(_page.Locator("#objects-table tbody tr").Filter(new LocatorFilterOptions { HasText = "person" })).Not.ToHaveCountAsync(0);
        await Shot("objects");
    }
}
