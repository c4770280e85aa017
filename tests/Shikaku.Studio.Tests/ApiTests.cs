using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Shikaku.App;
using Shikaku.NN;
using Shikaku.Vision.Imaging;
using Shikaku.Models.Human;

namespace Shikaku.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class ApiTests(StudioFixture studio)
{
    private HttpClient Client => studio.Client;

    private static async Task<JsonElement> Json(HttpResponseMessage r)
    {
        string text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>A refusal: the status, an RFC 9457 problem document, and a detail that says what was wrong.</summary>
    private static async Task<string> Problem(HttpResponseMessage r, HttpStatusCode status)
    {
        string text = await r.Content.ReadAsStringAsync();
        Assert.True(status == r.StatusCode, $"expected {(int)status}, got {(int)r.StatusCode}: {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", text); // never a stack trace
        return problem.GetProperty("detail").GetString()!;
    }

    [Fact]
    public async Task ConvTracesTheLecturesOneDimensionalExample()
    {
        var r = await Json(await Client.PostAsJsonAsync("/api/conv", new { operation = "conv1d", data = "0 1 0 1 0 0 1 1 1 0", kernel = "1 0 1" }));
        var output = r.GetProperty("output")[0].EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal([0f, 2, 0, 1, 1, 1, 2, 1], output);
        var second = r.GetProperty("steps")[1];
        Assert.Equal([0, 1], second.GetProperty("output").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal([1f, 0, 1], second.GetProperty("patch")[0].EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(2f, second.GetProperty("value").GetSingle());
    }

    [Fact]
    public async Task ConvPoolsAndPadsAsTheCliDoes()
    {
        var pool = await Json(await Client.PostAsJsonAsync("/api/conv", new { operation = "pool", data = "4 8; 7 1", size = 2, mode = "max" }));
        Assert.Equal(8f, pool.GetProperty("output")[0][0].GetSingle());
        var same = await Json(await Client.PostAsJsonAsync("/api/conv", new { operation = "conv2d", data = "1 2 3; 4 5 6; 7 8 9", kernel = "0 0 0; 0 1 0; 0 0 0", padding = "same" }));
        Assert.Equal(3, same.GetProperty("output").GetArrayLength());
        Assert.Equal(1, same.GetProperty("geometry").GetProperty("padding").GetProperty("top").GetInt32());
    }

    [Fact]
    public async Task ModelsListTheTrainedRunAndTheDetectors()
    {
        var r = await Json(await Client.GetAsync("/api/models"));
        var run = r.GetProperty("runs").EnumerateArray().Single(e => e.GetProperty("id").GetString() == StudioFixture.RunId);
        Assert.Equal("mnist", run.GetProperty("dataset").GetString());
        Assert.Equal(10, run.GetProperty("classes").GetArrayLength());
        Assert.Contains("centernet", r.GetProperty("detectors").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task FacesAnalyzeFindsTheThreeFacesAndSendsNoDescriptor()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(1));
        var r = await Json(await Client.PostAsync("/api/faces/analyze", StudioFixture.Form("image", bytes, "sample1.jpg")));
        var faces = r.GetProperty("faces");
        Assert.Equal(3, faces.GetArrayLength());
        Assert.Equal("sample1.jpg", r.GetProperty("image").GetString());
        foreach (var f in faces.EnumerateArray())
        {
            Assert.Equal(68, f.GetProperty("landmarks").GetArrayLength());
            Assert.Equal(JsonValueKind.Null, f.GetProperty("descriptor").ValueKind);
            Assert.True(f.GetProperty("age").GetDouble() > 0);
        }
    }

    [Fact]
    public async Task FacesMeshGivesEachFaceInThreeDimensionsForTheViewer()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(1));
        var r = await Json(await Client.PostAsync("/api/faces/mesh", StudioFixture.Form("image", bytes, "sample1.jpg")));
        Assert.Equal("centimetres", r.GetProperty("units").GetString());
        var faces = r.GetProperty("faces");
        Assert.Equal(3, faces.GetArrayLength());
        foreach (var f in faces.EnumerateArray())
        {
            Assert.Equal(468 * 3, f.GetProperty("positions").GetArrayLength());
            Assert.Equal(898 * 3, f.GetProperty("triangles").GetArrayLength());
            Assert.Equal(468 * 2, f.GetProperty("uv").GetArrayLength());
            Assert.All(f.GetProperty("positions").EnumerateArray(), v => Assert.InRange(v.GetDouble(), -30, 30));
            Assert.All(f.GetProperty("triangles").EnumerateArray(), i => Assert.InRange(i.GetInt32(), 0, 467));
            string texture = f.GetProperty("texture").GetString()!;
            Assert.StartsWith("data:image/png;base64,", texture);
            var png = ImageCodec.Decode(Convert.FromBase64String(texture["data:image/png;base64,".Length..]), "texture");
            Assert.Equal((512, 512), (png.Width, png.Height));
            Assert.InRange(f.GetProperty("pose").GetProperty("yaw").GetDouble(), -90, 90);
        }
        var corrupt = await Client.PostAsync("/api/faces/mesh", StudioFixture.Form("image", Encoding.ASCII.GetBytes("not an image"), "x.jpg"));
        Assert.Equal(HttpStatusCode.BadRequest, corrupt.StatusCode);
    }

    [Fact]
    public async Task TheGalleryEnrolsWithConsentIdentifiesAndForgets()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(3));
        // No consent record, nothing stored.
        var refused = await Client.PostAsync("/api/gallery/enroll", StudioFixture.Form("image", bytes, "sample3.jpg", ("name", "carol"), ("expires", "2099-01-01")));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("consent", await refused.Content.ReadAsStringAsync());
        var enrolled = await Json(await Client.PostAsync("/api/gallery/enroll", StudioFixture.Form("image", bytes, "sample3.jpg",
            ("name", "carol"), ("consent", "shown on the studio's test page"), ("expires", "2099-01-01"))));
        Assert.Equal(1, enrolled.GetProperty("descriptors").GetInt32());
        var people = await Json(await Client.GetAsync("/api/gallery"));
        Assert.Contains(people.GetProperty("people").EnumerateArray(), p => p.GetProperty("name").GetString() == "carol");
        var found = await Json(await Client.PostAsync("/api/gallery/identify", StudioFixture.Form("image", bytes, "sample3.jpg")));
        var names = found.GetProperty("images")[0].GetProperty("faces").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList();
        Assert.Equal(1, names.Count(n => n == "carol"));
        Assert.Equal(names.Count - 1, names.Count(n => n == "unknown"));
        var forget = new MultipartFormDataContent { { new StringContent("carol"), "name" } };
        var erased = await Client.PostAsync("/api/gallery/forget", forget);
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.True((await Json(erased)).GetProperty("compacted").GetBoolean());
        var after = await Json(await Client.PostAsync("/api/gallery/identify", StudioFixture.Form("image", bytes, "sample3.jpg")));
        Assert.All(after.GetProperty("images")[0].GetProperty("faces").EnumerateArray(), f => Assert.Equal("unknown", f.GetProperty("name").GetString()));
        var audit = await Json(await Client.GetAsync("/api/gallery/audit"));
        Assert.True(audit.GetProperty("intact").GetBoolean());
        var commands = audit.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("command").GetString()).ToList();
        Assert.Contains("studio enroll", commands);
        Assert.Contains("studio forget", commands);
        Assert.DoesNotContain("carol", audit.GetRawText());
    }

    [Fact]
    public async Task ConcurrentRequestsOnOneModelGiveTheSameAnswers()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(1));
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            var r = await Client.PostAsync("/api/faces/analyze", StudioFixture.Form("image", bytes, "sample1.jpg"));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return await r.Content.ReadAsStringAsync();
        }));
        Assert.All(answers, a => Assert.Equal(answers[0], a));
        var drawings = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            await (await Client.PostAsync($"/api/models/{StudioFixture.RunId}/explain", StudioFixture.Form("image", Digit(), "d.png"))).Content.ReadAsStringAsync()));
        Assert.All(drawings, d => Assert.Equal(drawings[0], d));
    }

    [Fact]
    public async Task VerifySaysAPhotoShowsTheSamePersonAsItself()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(2));
        var form = StudioFixture.Form("first", bytes, "a.jpg");
        var second = new ByteArrayContent(bytes);
        second.Headers.ContentType = new("image/jpeg");
        form.Add(second, "second", "b.jpg");
        var r = await Json(await Client.PostAsync("/api/faces/verify", form));
        Assert.True(r.GetProperty("samePerson").GetBoolean());
        Assert.Equal(0, r.GetProperty("distance").GetDouble(), 6);
    }

    [Fact]
    public async Task DetectFindsPeopleWithBoxesInsideThePhoto()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(1));
        var r = await Json(await Client.PostAsync("/api/detect", StudioFixture.Form("image", bytes, "sample1.jpg", ("model", "centernet"), ("threshold", "0.3"))));
        Assert.Equal("centernet", r.GetProperty("model").GetString());
        var objects = r.GetProperty("objects").EnumerateArray().ToList();
        Assert.Contains(objects, o => o.GetProperty("name").GetString() == "person");
        Assert.All(objects, o => Assert.InRange(o.GetProperty("box").GetProperty("x2").GetDouble(), 0, 1920));
    }

    [Fact]
    public async Task FilterReturnsAPngOfTheSameSizeWithoutMetadata()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(3));
        var r = await Client.PostAsync("/api/filter", StudioFixture.Form("image", bytes, "sample3.jpg", ("kernel", "sobel")));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("image/png", r.Content.Headers.ContentType?.MediaType);
        var original = ImageCodec.Decode(bytes, "sample3.jpg");
        var filtered = ImageCodec.Decode(await r.Content.ReadAsByteArrayAsync(), "filtered.png", new ImageLoadOptions { KeepMetadata = true });
        Assert.Equal((original.Width, original.Height), (filtered.Width, filtered.Height));
        Assert.Null(filtered.Exif);
        Assert.Equal("sobel", r.Headers.GetValues("X-Shikaku-Filter").Single());
    }

    /// <summary>A digit drawn white on black, as the explainer's canvas sends it: a "1" (a thick vertical stroke).</summary>
    private static byte[] Digit()
    {
        var px = new byte[280 * 280];
        for (int y = 40; y < 240; y++)
            for (int x = 125; x < 155; x++) px[y * 280 + x] = 255;
        return ImageCodec.Encode(new Image(280, 280, 1, px), ImageFormat.Png);
    }

    [Fact]
    public async Task ExplainGivesEveryLayerAndPredictsProbabilitiesAsPredictDoes()
    {
        var png = Digit();
        var r = await Json(await Client.PostAsync($"/api/models/{StudioFixture.RunId}/explain", StudioFixture.Form("image", png, "digit.png")));
        var model = Sequential.Load(studio.RunFolder);
        var layers = r.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(model.Layers.Select(l => l.Name), layers.Select(l => l.GetProperty("name").GetString()));
        Assert.Equal([28, 28, 1], r.GetProperty("input").GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        // predict on the same file: the same class and the same probabilities.
        string file = Path.Combine(studio.RunsRoot, "digit.png");
        File.WriteAllBytes(file, png);
        try
        {
            var predicted = RunUseCases.Predict(new PredictRequest(studio.RunFolder, [file], new ImageLoadOptions())).Predictions.Single();
            Assert.Equal(predicted.Class, r.GetProperty("predicted").GetProperty("class").GetString());
            var probabilities = r.GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            for (int i = 0; i < probabilities.Length; i++) Assert.Equal(predicted.Probabilities![i], probabilities[i], 5);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ExplainConvShowsEachInputChannelsKernelAndTheirSumIsTheMap()
    {
        var r = await Json(await Client.PostAsync($"/api/models/{StudioFixture.RunId}/explain/conv?layer=1&channel=3", StudioFixture.Form("image", Digit(), "digit.png")));
        var model = Sequential.Load(studio.RunFolder);
        var kernel = model.Layers[1].Parameters[0].Value; // HWIO: 3x3x32x64
        var contributions = r.GetProperty("contributions").EnumerateArray().ToList();
        Assert.Equal(kernel.Shape[2], contributions.Count);
        var k5 = contributions[5].GetProperty("kernel").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        for (int i = 0; i < 9; i++) Assert.Equal(kernel.Span[(i * kernel.Shape[2] + 5) * kernel.Shape[3] + 3], k5[i]);
        var pre = r.GetProperty("preActivation").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var output = r.GetProperty("output").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        for (int i = 0; i < pre.Length; i++) Assert.Equal(Math.Max(pre[i], 0f), output[i], 3);
    }

    [Fact]
    public async Task AnImportedNetworkIsExplainedNodeByNodeAndEndsInItsOwnOutput()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(2));
        var r = await Json(await Client.PostAsync("/api/models/graph:emotion/explain", StudioFixture.Form("image", bytes, "face.jpg")));
        Assert.Equal("graph:emotion", r.GetProperty("model").GetString());
        Assert.Equal([1, 64, 64, 1], r.GetProperty("input").GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        var nodes = r.GetProperty("nodes").EnumerateArray().ToList();
        Assert.True(nodes.Count > 10, $"{nodes.Count} nodes");
        Assert.Contains(nodes, n => n.GetProperty("preview").GetArrayLength() == 3); // maps
        // The last node is the model's output, the 7 expression probabilities, as running the graph directly gives them.
        var recipe = GraphModels.Find("emotion").Input;
        var image = ImageCodec.Decode(bytes, "face.jpg");
        using var model = GraphModels.Load("emotion", GraphModels.Folder());
        using var x = ModelInput.From(image, recipe, new Vision.Detection.Letterbox(image.Width, image.Height, recipe.Width));
        var outputs = model.Compile(optimize: true).Run(x);
        var expected = outputs[0].Span.ToArray();
        foreach (var o in outputs) o.Dispose();
        var last = nodes[^1].GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(7, expected.Length);
        Assert.Equal(expected, last);
        Assert.Contains("channel-by-channel view is for the convolutions of trained run folders",
            await Problem(await Client.PostAsync("/api/models/graph:emotion/explain/conv?layer=0&channel=0", StudioFixture.Form("image", bytes, "face.jpg")), HttpStatusCode.BadRequest));
        Assert.Contains("no graph model 'graph:nothing'",
            await Problem(await Client.PostAsync("/api/models/graph:nothing/explain", StudioFixture.Form("image", bytes, "face.jpg")), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task AFaceApiNetIsExplainedOnTheCropItsOwnPipelineGivesIt()
    {
        var bytes = File.ReadAllBytes(StudioFixture.Photo(2));
        var models = await Json(await Client.GetAsync("/api/models"));
        Assert.Equal(7, models.GetProperty("faceApiModels").GetArrayLength());
        var r = await Json(await Client.PostAsync("/api/models/faceapi:face_expression/explain", StudioFixture.Form("image", bytes, "face.jpg")));
        Assert.Equal("faceapi:face_expression", r.GetProperty("model").GetString());
        Assert.Equal([1, 112, 112, 3], r.GetProperty("input").GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Contains("the most confident face's crop", r.GetProperty("input").GetProperty("region").GetString());
        var nodes = r.GetProperty("nodes").EnumerateArray().ToList();
        Assert.True(nodes.Count > 10, $"{nodes.Count} nodes");
        Assert.Contains(nodes, n => n.GetProperty("op").GetString() == "DepthwiseConv2dNative" || n.GetProperty("op").GetString()!.Contains("Conv", StringComparison.Ordinal));
        // The last node is the net's logits: their softmax is what the net itself gives for that face's crop.
        var image = ImageCodec.Decode(bytes, "face.jpg");
        using var analyzer = new Vision.Faces.FaceAnalyzer();
        var box = analyzer.Detect(image).OrderByDescending(d => d.Score).First().CropRegion();
        using var crop = image.ToRgb().Crop((int)box.X, (int)box.Y, (int)box.Width, (int)box.Height).ToTensor();
        using var net = new Models.FaceApi.FaceExpressionNet(Models.FaceApi.FaceApiModels.LoadWeights(Models.FaceApi.FaceApiModel.FaceExpression));
        var expected = net.Forward(crop);
        var logits = nodes[^1].GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(7, logits.Length);
        var p = new float[7];
        System.Numerics.Tensors.TensorPrimitives.SoftMax(logits, p);
        for (int i = 0; i < 7; i++) Assert.Equal(expected[i], p[i], 5);

        // A detector takes the whole photo; its last node is the raw grid the detector itself computes.
        var d = await Json(await Client.PostAsync("/api/models/faceapi:tiny_face_detector/explain", StudioFixture.Form("image", bytes, "face.jpg")));
        Assert.Equal([1, 416, 416, 3], d.GetProperty("input").GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        using var detector = new Models.FaceApi.TinyFaceDetector(Models.FaceApi.FaceApiModels.LoadWeights(Models.FaceApi.FaceApiModel.TinyFaceDetector));
        using var pixels = image.ToRgb().ToTensor();
        using var grid = detector.Forward(pixels);
        var dn = d.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(grid.Shape.ToArray(), dn[^1].GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        var preview = dn[^1].GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        int cells = grid.Shape[1] * grid.Shape[2], shown = preview.Length / cells; // the first 16 of the 25 channels
        Assert.Equal(16, shown);
        for (int cell = 0; cell < cells; cell++)
            for (int k = 0; k < shown; k++) Assert.Equal(grid.Span[cell * 25 + k], preview[cell * shown + k]);
        Assert.Contains("no face-api.js net 'faceapi:nothing'",
            await Problem(await Client.PostAsync("/api/models/faceapi:nothing/explain", StudioFixture.Form("image", bytes, "face.jpg")), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task UnknownAndPathLikeModelIdsAreNotFound()
    {
        foreach (var id in new[] { "nope", "..%2F..%2Fetc", "%2Fetc%2Fpasswd", "mnist%2F..%2F..", "..%2Fmnist", "mnist%2F" })
        {
            var r = await Client.PostAsync($"/api/models/{id}/explain", StudioFixture.Form("image", Digit(), "d.png"));
            string detail = await Problem(r, HttpStatusCode.NotFound);
            Assert.Contains("GET /api/models lists the ids", detail);
        }
        // A literal ".." segment never reaches a model: the path it makes names no endpoint.
        await Problem(await Client.PostAsync("/api/models/../explain", StudioFixture.Form("image", Digit(), "d.png")), HttpStatusCode.NotFound);
        await Problem(await Client.PostAsync("/api/train/nope/stop", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task BadUploadsAreClearFourHundreds()
    {
        // A corrupt image, a JSON body where a form is expected, no file, an empty file, bad numbers, an unknown filter.
        var corrupt = await Problem(await Client.PostAsync("/api/faces/analyze", StudioFixture.Form("image", Encoding.ASCII.GetBytes("not an image at all"), "x.jpg")), HttpStatusCode.BadRequest);
        Assert.Contains("x.jpg", corrupt);
        await Problem(await Client.PostAsJsonAsync("/api/faces/analyze", new { image = "x" }), HttpStatusCode.UnsupportedMediaType);
        var noFile = new MultipartFormDataContent { { new StringContent("1"), "threshold" } };
        Assert.Contains("no file field 'image'", await Problem(await Client.PostAsync("/api/detect", noFile), HttpStatusCode.BadRequest));
        Assert.Contains("empty", await Problem(await Client.PostAsync("/api/detect", StudioFixture.Form("image", [], "e.jpg")), HttpStatusCode.BadRequest));
        var photo = File.ReadAllBytes(StudioFixture.Photo(1));
        Assert.Contains("threshold 7 is out of range", await Problem(await Client.PostAsync("/api/detect", StudioFixture.Form("image", photo, "p.jpg", ("threshold", "7"))), HttpStatusCode.BadRequest));
        Assert.Contains("nanodot", await Problem(await Client.PostAsync("/api/detect", StudioFixture.Form("image", photo, "p.jpg", ("model", "nanodot"))), HttpStatusCode.BadRequest));
        Assert.Contains("detector 'huge'", await Problem(await Client.PostAsync("/api/faces/analyze", StudioFixture.Form("image", photo, "p.jpg", ("detector", "huge"))), HttpStatusCode.BadRequest));
        await Problem(await Client.PostAsync("/api/filter", StudioFixture.Form("image", photo, "p.jpg", ("kernel", "blur:9"))), HttpStatusCode.BadRequest);
        await Problem(await Client.PostAsJsonAsync("/api/conv", new { operation = "conv2d", data = "1 2; x 4", kernel = "1" }), HttpStatusCode.BadRequest);
        await Problem(await Client.PostAsync("/api/conv", new StringContent("{not json", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        Assert.Contains("not a Conv2D", await Problem(await Client.PostAsync($"/api/models/{StudioFixture.RunId}/explain/conv?layer=2&channel=0", StudioFixture.Form("image", Digit(), "d.png")), HttpStatusCode.BadRequest));
        Assert.Contains("channel 99", await Problem(await Client.PostAsync($"/api/models/{StudioFixture.RunId}/explain/conv?layer=0&channel=99", StudioFixture.Form("image", Digit(), "d.png")), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task WrongMethodsMediaTypesAndFieldsAreNamed()
    {
        var get = await Client.GetAsync("/api/conv");
        Assert.Contains("takes POST", await Problem(get, HttpStatusCode.MethodNotAllowed));
        Assert.Equal("POST", get.Content.Headers.Allow.Single());
        await Problem(await Client.PutAsync("/api/models", null), HttpStatusCode.MethodNotAllowed);
        Assert.Contains("takes a JSON body", await Problem(await Client.PostAsync("/api/conv", new StringContent("{}", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType));
        await Problem(await Client.PostAsync("/api/train", new StringContent("{}")), HttpStatusCode.UnsupportedMediaType);
        // A field the endpoint does not know is an error, not silently ignored (batch_size once trained with 128).
        Assert.Contains("batch_size", await Problem(await Client.PostAsJsonAsync("/api/train", new { dataset = "mnist", batch_size = 4096 }), HttpStatusCode.BadRequest));
        Assert.Contains("dataset is missing", await Problem(await Client.PostAsJsonAsync("/api/train", new { dataset = (string?)null, model = "mlp" }), HttpStatusCode.BadRequest));
        Assert.Contains("model is missing", await Problem(await Client.PostAsJsonAsync("/api/train", new { dataset = "mnist", model = (string?)null }), HttpStatusCode.BadRequest));
        var nullPadding = await Json(await Client.PostAsJsonAsync("/api/conv", new { operation = "conv1d", data = "1 2 3", kernel = "1 1", padding = (string?)null }));
        Assert.Equal(2, nullPadding.GetProperty("output")[0].GetArrayLength());
        // A dilation that once wrapped around in 32 bits.
        Assert.Contains("does not fit", await Problem(await Client.PostAsJsonAsync("/api/conv", new { operation = "conv1d", data = "0 1 0 1 1", kernel = "1 0 1", dilation = int.MaxValue }), HttpStatusCode.BadRequest));
        // "ssd,tiny" parsed as enum flags once ran the tiny detector.
        var photo = File.ReadAllBytes(StudioFixture.Photo(1));
        Assert.Contains("'ssd,tiny'", await Problem(await Client.PostAsync("/api/faces/analyze", StudioFixture.Form("image", photo, "p.jpg", ("detector", "ssd,tiny"))), HttpStatusCode.BadRequest));
        // Pages answer HEAD; paths that look like files get a problem document too.
        Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"))).StatusCode);
        await Problem(await Client.GetAsync("/favicon.ico"), HttpStatusCode.NotFound);
        // A problem raised through the exception handler still carries the security headers.
        var refused = await Client.PostAsync("/api/filter", new MultipartFormDataContent { { new StringContent("x"), "foo" } });
        await Problem(refused, HttpStatusCode.BadRequest);
        Assert.Contains("frame-ancestors 'none'", refused.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task AFilterTooCostlyForTheServerIsRefusedBeforeItRuns()
    {
        // A 255x255 custom kernel on a 1920x1280 photo: 1.6e11 multiply-adds, minutes of both cores.
        var rng = new Random(1);
        string kernel = string.Join("; ", Enumerable.Range(0, 255).Select(_ => string.Join(" ", Enumerable.Range(0, 255).Select(_ => rng.Next(10)))));
        var r = await Client.PostAsync("/api/filter", StudioFixture.Form("image", File.ReadAllBytes(StudioFixture.Photo(1)), "p.jpg", ("kernel", kernel)));
        Assert.Contains("multiply-adds, over the limit", await Problem(r, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ADamagedRunFolderDoesNotHideTheOthersAndIdsAreDecodedOnce()
    {
        string junk = Path.Combine(studio.RunsRoot, "junk");
        string odd = Path.Combine(studio.RunsRoot, "50%41");
        try
        {
            Directory.CreateDirectory(junk);
            File.Copy(Path.Combine(studio.RunFolder, "model.json"), Path.Combine(junk, "model.json"));
            File.WriteAllText(Path.Combine(junk, "run.json"), "not json");
            foreach (var f in Directory.GetFiles(studio.RunFolder)) { Directory.CreateDirectory(odd); File.Copy(f, Path.Combine(odd, Path.GetFileName(f))); }
            var models = await Json(await Client.GetAsync("/api/models"));
            var ids = models.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
            Assert.Contains(StudioFixture.RunId, ids);
            Assert.Contains("50%41", ids);
            Assert.DoesNotContain("junk", ids);
            await Json(await Client.PostAsync($"/api/models/{StudioFixture.RunId}/explain", StudioFixture.Form("image", Digit(), "d.png")));
            // The page sends encodeURIComponent(id): "50%2541" is the run "50%41", not "50A".
            await Json(await Client.PostAsync($"/api/models/{Uri.EscapeDataString("50%41")}/explain", StudioFixture.Form("image", Digit(), "d.png")));
        }
        finally
        {
            Directory.Delete(junk, recursive: true);
            if (Directory.Exists(odd)) Directory.Delete(odd, recursive: true);
        }
    }

    [Fact]
    public void MessagesNameTheStudiosFoldersNotTheServersPaths()
    {
        var options = new StudioOptions { RunsRoot = studio.RunsRoot, DatasetsRoot = studio.DatasetsRoot };
        Assert.Equal("runs/mnist/run.json is damaged", Problems.Redact(Path.Combine(studio.RunsRoot, "mnist", "run.json") + " is damaged", options));
        Assert.Equal("datasets/photos has no images", Problems.Redact(Path.Combine(studio.DatasetsRoot, "photos") + " has no images", options));
        string elsewhere = Directory.CreateTempSubdirectory("shikaku-redact-").FullName;
        try
        {
            Assert.Equal("cannot open …/weights.bin: denied", Problems.Redact($"cannot open {elsewhere}/weights.bin: denied", options));
        }
        finally
        {
            Directory.Delete(elsewhere);
        }
        // Addresses of the API are not paths of this machine.
        Assert.Equal("GET /api/models lists the ids.", Problems.Redact("GET /api/models lists the ids.", options));
    }

    [Fact]
    public async Task ARunWhoseWeightsAreDamagedIsRefusedWithoutTheServersPath()
    {
        string broken = Path.Combine(studio.RunsRoot, "broken");
        try
        {
            Directory.CreateDirectory(broken);
            foreach (var f in Directory.GetFiles(studio.RunFolder)) File.Copy(f, Path.Combine(broken, Path.GetFileName(f)));
            foreach (var f in Directory.GetFiles(broken).Where(f => !f.EndsWith(".json", StringComparison.Ordinal) && !f.EndsWith(".png", StringComparison.Ordinal) && !f.EndsWith(".csv", StringComparison.Ordinal)))
                File.WriteAllBytes(f, File.ReadAllBytes(f)[..100]);
            string detail = await Problem(await Client.PostAsync("/api/models/broken/explain", StudioFixture.Form("image", Digit(), "d.png")), HttpStatusCode.BadRequest);
            Assert.DoesNotContain(studio.RunsRoot, detail);
            Assert.DoesNotContain(Path.GetTempPath(), detail);
            Assert.Contains("runs/broken/", detail);
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }

    [Fact]
    public async Task AnImageOverThePixelLimitIsRefusedFromItsHeader()
    {
        await using var small = StudioApp.Build(new StudioOptions { Port = 0, RunsRoot = studio.RunsRoot, MaxPixels = 1_000_000 });
        await small.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(StudioApp.Url(small)) };
        var r = await client.PostAsync("/api/faces/analyze", StudioFixture.Form("image", File.ReadAllBytes(StudioFixture.Photo(1)), "big.jpg"));
        Assert.Contains("2.5 megapixels is over the limit of 1 megapixels", await Problem(r, HttpStatusCode.BadRequest));
        await small.StopAsync();
    }

    [Fact]
    public async Task HeavyRequestsBeyondTheConcurrencyLimitAndItsQueueGet429()
    {
        await using var one = StudioApp.Build(new StudioOptions { Port = 0, RunsRoot = studio.RunsRoot, MaxConcurrent = 1, QueueLimit = 0 });
        await one.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(StudioApp.Url(one)) };
        var bytes = File.ReadAllBytes(StudioFixture.Photo(1));
        // Six analyses at once (each takes tens of milliseconds): one runs, none may wait, the rest are refused.
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.PostAsync("/api/faces/analyze", StudioFixture.Form("image", bytes, "p.jpg"))));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.Contains("runs 1 model requests at once", await Problem(refused[0], HttpStatusCode.TooManyRequests));
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, a.StatusCode.ToString()));
        // Light requests are not limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/models")).StatusCode);
        await one.StopAsync();
    }

    [Fact]
    public async Task AnOversizeBodyIsRefusedWith413()
    {
        await using var small = StudioApp.Build(new StudioOptions { Port = 0, RunsRoot = studio.RunsRoot, MaxBodyBytes = 64 * 1024 });
        await small.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(StudioApp.Url(small)) };
        var r = await client.PostAsync("/api/faces/analyze", StudioFixture.Form("image", new byte[200 * 1024], "big.jpg"));
        Assert.Contains("65,536 bytes", await Problem(r, HttpStatusCode.RequestEntityTooLarge));
        await small.StopAsync();
    }

    [Fact]
    public async Task CrossSiteRequestsAndForeignHostsAreRefused()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/conv") { Content = JsonContent.Create(new { operation = "conv1d", data = "1 2", kernel = "1" }) };
        request.Headers.Add("Origin", "http://evil.example");
        Assert.Contains("evil.example", await Problem(await Client.SendAsync(request), HttpStatusCode.Forbidden));
        var fetchSite = new HttpRequestMessage(HttpMethod.Post, "/api/conv") { Content = JsonContent.Create(new { operation = "conv1d", data = "1 2", kernel = "1" }) };
        fetchSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        await Problem(await Client.SendAsync(fetchSite), HttpStatusCode.Forbidden);
        var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        rebound.Headers.Host = "attacker.example";
        Assert.Contains("attacker.example", await Problem(await Client.SendAsync(rebound), HttpStatusCode.BadRequest));
        // The studio's own page may post.
        var own = new HttpRequestMessage(HttpMethod.Post, "/api/conv") { Content = JsonContent.Create(new { operation = "conv1d", data = "1 2", kernel = "1" }) };
        own.Headers.Add("Origin", studio.Url.TrimEnd('/'));
        Assert.Equal(HttpStatusCode.OK, (await Client.SendAsync(own)).StatusCode);
    }

    [Fact]
    public async Task WithATokenEveryRequestNeedsIt()
    {
        const string token = "0123456789abcdef0123";
        await using var locked = StudioApp.Build(new StudioOptions { Port = 0, RunsRoot = studio.RunsRoot, Token = token });
        await locked.StartAsync();
        var handler = new HttpClientHandler { UseCookies = true };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(StudioApp.Url(locked)) };
        var unauthorized = await client.GetAsync("/api/models");
        await Problem(unauthorized, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", unauthorized.Headers.WwwAuthenticate.Single().Scheme);
        var lower = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        lower.Headers.TryAddWithoutValidation("Authorization", "bearer " + token); // the scheme is case-insensitive
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(lower)).StatusCode);
        await Problem(await client.GetAsync("/?token=wrong-token-wrong-token"), HttpStatusCode.Unauthorized);
        var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        bearer.Headers.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(bearer)).StatusCode);
        // Opening the printed URL sets a cookie that carries the page's later requests.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/?token={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/models")).StatusCode);
        await locked.StopAsync();
    }

    [Fact]
    public void OffLoopbackATokenIsMadeAndBadSettingsAreRefused()
    {
        var open = new StudioOptions { Host = "0.0.0.0" }.Validated();
        Assert.False(open.IsLoopback);
        Assert.Equal(32, open.Token!.Length);
        Assert.Null(new StudioOptions().Validated().Token);
        Assert.Throws<UsageException>(() => new StudioOptions { Host = "example.com" }.Validated());
        Assert.Throws<UsageException>(() => new StudioOptions { Token = "short" }.Validated());
        Assert.Throws<UsageException>(() => new StudioOptions { MaxBodyBytes = 10 }.Validated());
    }

    [Fact]
    public async Task PagesCarryAContentSecurityPolicyAndServeTheirOwnScripts()
    {
        var page = await Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        string html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal));
        Assert.DoesNotContain("https://", html);
        foreach (var asset in new[] { "/static/app.js", "/static/style.css" })
            Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(asset)).StatusCode);
        await Problem(await Client.GetAsync("/static/nothing.js"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OpenApiDescribesEveryEndpoint()
    {
        var doc = await Json(await Client.GetAsync("/openapi/v1.json"));
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var p in new[] { "/api/models", "/api/conv", "/api/filter", "/api/faces/analyze", "/api/faces/verify", "/api/detect",
            "/api/models/{id}/explain", "/api/models/{id}/explain/conv", "/api/train", "/api/train/{id}/stop", "/api/train/{id}/events" })
            Assert.Contains(p, paths);

        // Every POST says what it refuses, each refusal an RFC 9457 problem.
        var schemas = doc.GetProperty("components").GetProperty("schemas");
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
            foreach (var op in path.Value.EnumerateObject().Where(o => o.Name == "post"))
            {
                var responses = op.Value.GetProperty("responses");
                var refusal = path.Name.EndsWith("/stop", StringComparison.Ordinal) ? "404" : "400";
                Assert.True(responses.TryGetProperty(refusal, out var problem), $"{path.Name} lists no {refusal}");
                Assert.True(problem.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{path.Name}'s {refusal} is not a problem document");
            }
        Assert.True(doc.GetProperty("paths").GetProperty("/api/train").GetProperty("post").GetProperty("responses").TryGetProperty("409", out _));

        // Uploads are described as multipart forms with binary file fields and optional settings.
        var body = doc.GetProperty("paths").GetProperty("/api/faces/verify").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        string reference = body.GetProperty("multipart/form-data").GetProperty("schema").GetProperty("$ref").GetString()!;
        var form = schemas.GetProperty(reference[(reference.LastIndexOf('/') + 1)..]);
        Assert.Equal(["first", "second"], form.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        string file = form.GetProperty("properties").GetProperty("first").GetProperty("$ref").GetString()!;
        var fileSchema = schemas.GetProperty(file[(file.LastIndexOf('/') + 1)..]);
        Assert.Equal("binary", fileSchema.GetProperty("format").GetString());
        Assert.Contains("number", form.GetProperty("properties").GetProperty("threshold").GetProperty("type").EnumerateArray().Select(t => t.GetString()));
        var filter = doc.GetProperty("paths").GetProperty("/api/filter").GetProperty("post");
        Assert.True(filter.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.True(filter.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("image/png", out _));
    }
}
