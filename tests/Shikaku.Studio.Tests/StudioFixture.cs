using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Shikaku.App;
using Shikaku.Assets;

namespace Shikaku.Studio.Tests;

/// <summary>
/// One studio on a free loopback port for every test class of the collection, over a runs folder that holds one real
/// (briefly) trained lecture CNN, so the explainer has a model to open.
/// </summary>
public sealed class StudioFixture : IAsyncLifetime
{
    public string RunsRoot { get; } = Directory.CreateTempSubdirectory("shikaku-studio-").FullName;

    /// <summary>The studio's datasets folder, holding "photos": two classes of six real photos each.</summary>
    public string DatasetsRoot { get; } = Directory.CreateTempSubdirectory("shikaku-studio-datasets-").FullName;

    /// <summary>The studio's gallery folder (never the user's own gallery).</summary>
    public string GalleryRoot { get; } = Directory.CreateTempSubdirectory("shikaku-studio-gallery-").FullName;

    public WebApplication App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string Url { get; private set; } = "";

    /// <summary>The trained run's id and folder.</summary>
    public const string RunId = "mnist";

    public string RunFolder => Path.Combine(RunsRoot, RunId);

    public static string Photo(int n) => AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos)[$"package/demo/sample{n}.jpg"];

    public async Task InitializeAsync()
    {
        // Two thousand MNIST images, one epoch: a real model (about 90 % accurate) in a few seconds.
        using (var run = TrainingRun.Open(new TrainRequest("mnist", "lecture-cnn", Epochs: 1, BatchSize: 64, Limit: 2000, Out: RunFolder)))
        {
            run.Load(IFetchProgress.Silent);
            run.Fit([], CancellationToken.None);
        }
        var faces = AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos);
        var coco = AssetCache.Fetch(KnownAssets.DarknetPhotos);
        string people = Directory.CreateDirectory(Path.Combine(DatasetsRoot, "photos", "people")).FullName;
        string scenes = Directory.CreateDirectory(Path.Combine(DatasetsRoot, "photos", "scenes")).FullName;
        for (int i = 1; i <= 6; i++) File.Copy(faces[$"package/demo/sample{i}.jpg"], Path.Combine(people, $"sample{i}.jpg"));
        foreach (var name in new[] { "dog", "eagle", "giraffe", "horses", "kite", "person" })
            File.Copy(coco[$"usr/share/darknet/data/{name}.jpg"], Path.Combine(scenes, name + ".jpg"));
        App = StudioApp.Build(new StudioOptions
        {
            Port = 0, RunsRoot = RunsRoot, DatasetsRoot = DatasetsRoot,
            Gallery = new GalleryAccess(Path.Combine(GalleryRoot, "gallery.db"), Path.Combine(GalleryRoot, "gallery.key")),
        });
        await App.StartAsync();
        Url = StudioApp.Url(App);
        Client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(2) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(RunsRoot, recursive: true);
        Directory.Delete(DatasetsRoot, recursive: true);
        Directory.Delete(GalleryRoot, recursive: true);
    }

    /// <summary>A multipart form with one image file field (and more text fields).</summary>
    public static MultipartFormDataContent Form(string field, byte[] bytes, string name, params (string Key, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(name.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg");
        form.Add(file, field, name);
        foreach (var (k, v) in fields) form.Add(new StringContent(v), k);
        return form;
    }
}

[CollectionDefinition(Name)]
public sealed class StudioCollection : ICollectionFixture<StudioFixture>
{
    public const string Name = "studio";
}
