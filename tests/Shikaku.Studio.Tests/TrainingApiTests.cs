using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Shikaku.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class TrainingApiTests(StudioFixture studio)
{
    /// <summary>Reads server-sent events until <paramref name="until"/> says stop; returns (kind, data) pairs.</summary>
    internal static async Task<List<(string Kind, JsonElement Data)>> ReadEvents(HttpClient client, string url, Func<string, JsonElement, Task<bool>> until)
    {
        var events = new List<(string, JsonElement)>();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? kind = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonDocument.Parse(line[6..]).RootElement.Clone();
                events.Add((kind!, data));
                if (await until(kind!, data)) break;
            }
        }
        return events;
    }

    [Fact]
    public async Task ARunStreamsItsEpochsStopsOnRequestAndAppearsAsAModel()
    {
        var client = studio.Client;
        var start = await client.PostAsJsonAsync("/api/train", new { dataset = "mnist", model = "mlp", epochs = 50, batchSize = 8, limit = 1024 });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var started = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement;
        string id = started.GetProperty("id").GetString()!;
        Assert.StartsWith("mnist-", id); // runs/mnist holds the fixture's run: the next free folder
        // A second run while this one trains is refused.
        var busy = await client.PostAsJsonAsync("/api/train", new { dataset = "mnist", model = "mlp", epochs = 1 });
        Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);

        bool stopped = false;
        var events = await ReadEvents(client, started.GetProperty("events").GetString()!, async (kind, data) =>
        {
            if (kind == "epoch" && !stopped)
            {
                stopped = true;
                Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/train/{Uri.EscapeDataString(id)}/stop", null)).StatusCode);
            }
            return kind is "end" or "error";
        });
        Assert.Contains(events, e => e.Kind == "batch");
        var epoch = events.First(e => e.Kind == "epoch").Data;
        Assert.Equal(1, epoch.GetProperty("epoch").GetInt32());
        Assert.InRange(epoch.GetProperty("valAccuracy").GetDouble(), 0.5, 1);
        var end = events[^1];
        Assert.Equal("end", end.Kind);
        Assert.True(end.Data.GetProperty("cancelled").GetBoolean());
        Assert.True(end.Data.GetProperty("saved").GetBoolean());
        Assert.InRange(end.Data.GetProperty("epochs").GetInt32(), 1, 49);
        // The run folder is the one `shikaku train` writes, and the explainer lists it.
        Assert.True(File.Exists(Path.Combine(studio.RunsRoot, id, "model.json")));
        Assert.True(File.Exists(Path.Combine(studio.RunsRoot, id, "history.csv")));
        var models = JsonDocument.Parse(await client.GetStringAsync("/api/models")).RootElement;
        Assert.Contains(models.GetProperty("runs").EnumerateArray(), r => r.GetProperty("id").GetString() == id);
        // A stream opened after the end replays every event; one that says the last event it had (a reconnecting
        // EventSource) gets only the later ones.
        var replay = await ReadEvents(client, $"/api/train/{Uri.EscapeDataString(id)}/events", (_, _) => Task.FromResult(false));
        Assert.Equal(events.Count, replay.Count);
        client.DefaultRequestHeaders.Add("Last-Event-ID", "2147483647"); // past every event: nothing, not an error
        try
        {
            Assert.Empty(await ReadEvents(client, $"/api/train/{Uri.EscapeDataString(id)}/events", (_, _) => Task.FromResult(false)));
        }
        finally
        {
            client.DefaultRequestHeaders.Remove("Last-Event-ID");
        }
        client.DefaultRequestHeaders.Add("Last-Event-ID", "2");
        try
        {
            var rest = await ReadEvents(client, $"/api/train/{Uri.EscapeDataString(id)}/events", (_, _) => Task.FromResult(false));
            Assert.Equal(events.Count - 3, rest.Count);
        }
        finally
        {
            client.DefaultRequestHeaders.Remove("Last-Event-ID");
        }
        // Batch events are thinned to at most 100 an epoch (1,024 images in batches of 8: 128 batches).
        Assert.InRange(events.Count(e => e.Kind == "batch" && e.Data.GetProperty("epoch").GetInt32() == 1), 1, 100);
    }

    [Fact]
    public async Task AFolderDatasetTrainsTinyVggAndTheExplainerOpensItsThreeChannelModel()
    {
        var client = studio.Client;
        var models = JsonDocument.Parse(await client.GetStringAsync("/api/models")).RootElement;
        Assert.Equal(["mnist", "fashion-mnist", "clipart", "folder:photos"], models.GetProperty("datasets").EnumerateArray().Select(d => d.GetString()));
        Assert.Contains("tiny-vgg", models.GetProperty("architectures").EnumerateArray().Select(d => d.GetString()));
        var start = await client.PostAsJsonAsync("/api/train", new { dataset = "folder:photos", model = "tiny-vgg", epochs = 2, batchSize = 4 });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var started = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement;
        string id = started.GetProperty("id").GetString()!;
        Assert.Equal("photos", id);
        var events = await ReadEvents(client, started.GetProperty("events").GetString()!, (kind, _) => Task.FromResult(kind is "end" or "error"));
        Assert.Equal("end", events[^1].Kind);
        Assert.Equal(2, events.Count(e => e.Kind == "epoch"));
        Assert.Contains("(10 images), validating on folder:", events.First(e => e.Kind == "start").Data.GetProperty("description").GetString());

        var photo = File.ReadAllBytes(StudioFixture.Photo(4));
        var explained = JsonDocument.Parse(await (await client.PostAsync($"/api/models/{id}/explain", StudioFixture.Form("image", photo, "p.jpg"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal([64, 64, 3], explained.GetProperty("input").GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(["people", "scenes"], explained.GetProperty("classes").EnumerateArray().Select(v => v.GetString()));
        var conv = JsonDocument.Parse(await (await client.PostAsync($"/api/models/{id}/explain/conv?layer=0&channel=2", StudioFixture.Form("image", photo, "p.jpg"))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, conv.GetProperty("contributions").GetArrayLength());
    }

    [Fact]
    public async Task ComposedLayersTrainAndLayersThatDoNotFitTheImagesEndInAnErrorEvent()
    {
        var client = studio.Client;
        var start = await client.PostAsJsonAsync("/api/train", new { dataset = "mnist", model = "conv:4,pool,flatten,dense:16", epochs = 1, batchSize = 64, limit = 256 });
        var started = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement;
        var events = await ReadEvents(client, started.GetProperty("events").GetString()!, (kind, _) => Task.FromResult(kind is "end" or "error"));
        Assert.Equal("end", events[^1].Kind);
        string id = started.GetProperty("id").GetString()!;
        var model = NN.Sequential.Load(Path.Combine(studio.RunsRoot, id));
        Assert.Equal(["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"], model.Layers.Select(l => l.TypeName));

        // Five 2x2 poolings fit no 28x28 image: the syntax passed, the data's shape decides once it has loaded.
        var bad = await client.PostAsJsonAsync("/api/train", new { dataset = "mnist", model = "pool,pool,pool,pool,pool", epochs = 1, limit = 64 });
        var badStart = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement;
        var badEvents = await ReadEvents(client, badStart.GetProperty("events").GetString()!, (kind, _) => Task.FromResult(kind is "end" or "error"));
        Assert.Equal("error", badEvents[^1].Kind);
        Assert.Contains("does not fit", badEvents[^1].Data.GetProperty("error").GetString());
    }

    [Fact]
    public async Task BadTrainingSettingsAreRefusedBeforeAnythingStarts()
    {
        foreach (var body in new object[]
        {
            new { dataset = "cifar", model = "mlp" },
            new { dataset = "mnist", model = "resnet" },
            new { dataset = "mnist", model = "mlp", epochs = 0 },
            new { dataset = "mnist", model = "mlp", learningRate = -1 },
            new { dataset = "mnist", model = "mlp", batchSize = 100000 },
            new { dataset = "folder:nothing", model = "mlp" },
            new { dataset = "mnist", model = "conv:0,pool" },
            new { dataset = "mnist", model = "conv:8,lstm:4" },
            new { dataset = "folder:../" + Path.GetFileName(studio.RunsRoot), model = "mlp" },
            new { dataset = "folder:/etc", model = "mlp" },
        })
        {
            var r = await studio.Client.PostAsJsonAsync("/api/train", body);
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
    }
}
