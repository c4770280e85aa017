using Shikaku.Assets;
using Shikaku.Explain;
using Shikaku.NN;
using Shikaku.Testing;
using Shikaku.Vision.Imaging;

namespace Shikaku.App.Tests;

/// <summary>Your own images as a dataset: a folder of class folders, trained on, predicted and explained with 3 channels.</summary>
public sealed class FolderDatasetTests() : TempFolderTest("shikaku-folder-dataset")
{
    /// <summary>Two classes of real photos: face-api.js's six group photos and darknet's six COCO photos.</summary>
    private string Photos()
    {
        string root = In("photos");
        var faces = AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos);
        var coco = AssetCache.Fetch(KnownAssets.DarknetPhotos);
        Directory.CreateDirectory(Path.Combine(root, "people"));
        Directory.CreateDirectory(Path.Combine(root, "scenes"));
        for (int i = 1; i <= 6; i++) File.Copy(faces[$"package/demo/sample{i}.jpg"], Path.Combine(root, "people", $"sample{i}.jpg"));
        foreach (var name in new[] { "dog", "eagle", "giraffe", "horses", "kite", "person" })
            File.Copy(coco[$"usr/share/darknet/data/{name}.jpg"], Path.Combine(root, "scenes", name + ".jpg"));
        File.WriteAllText(Path.Combine(root, "scenes", "notes.txt"), "not an image: skipped");
        return root;
    }

    [Fact]
    public void AFifthOfEachClassIsHeldOutAndEveryImageIs64x64Rgb()
    {
        string root = Photos();
        var (train, test) = FolderDataset.Load(root, seed: 1);
        Assert.Equal(["people", "scenes"], train.ClassNames);
        Assert.Equal((10, 2), (train.Count, test.Count)); // 6 per class: 1 held out each
        Assert.Equal(new Tensors.Shape(64, 64, 3), train.ExampleShape);
        Assert.Equal([0, 1], test.Labels.Select(l => (int)l).Order());
        // The held-out images depend on the seed only, and the pixels are the photo area-averaged to 64x64.
        var (trainAgain, again) = FolderDataset.Load(root, seed: 1);
        Assert.Equal(test.Pixels, again.Pixels);
        Assert.Equal(train.Labels, trainAgain.Labels);
        // The training images are mixed, so that --limit takes every class, not the first one.
        Assert.Equal(2, train.Take(4).Labels.Distinct().Count());
        var (x, _) = train.Batch([0]);
        using (x) Assert.InRange(x.Span.ToArray().Max(), 0.5f, 1f);
        var one = FolderDataset.Pixels(ImageCodec.Load(Path.Combine(root, "people", "sample1.jpg")), 64, 64, 3);
        Assert.Equal(64 * 64 * 3, one.Length);
        Assert.Contains(Enumerable.Range(0, train.Count), i => train.Pixels.AsSpan(i * one.Length, one.Length).SequenceEqual(one)
            || test.Pixels.AsSpan(0, one.Length).SequenceEqual(one) || test.Pixels.AsSpan(one.Length, one.Length).SequenceEqual(one));
    }

    [Fact]
    public void TheClipArtDatasetIsFiveCategoriesOfRealPicturesSplitTheSameEveryTime()
    {
        Assert.Equal("clipart", TrainingData.Check("ClipArt"));
        var (train, test) = TrainingData.Load("clipart", seed: 0, IFetchProgress.Silent);
        Assert.Equal(["fruit", "mammals", "music", "tools", "transportation"], train.ClassNames);
        Assert.Equal(359, train.Count + test.Count);
        Assert.Equal(70, test.Count); // a fifth of each category
        Assert.Equal(new Tensors.Shape(64, 64, 3), train.ExampleShape);
        var (_, again) = TrainingData.Load("clipart", seed: 0, IFetchProgress.Silent);
        Assert.Equal(test.Pixels, again.Pixels); // transparent PNGs once decoded differently each time
        Assert.Equal(test.Labels, again.Labels);
    }

    [Fact]
    public void ARunStillTrainingIsNotListedUntilItsLockIsReleased()
    {
        string runs = In("runs");
        string folder = Directory.CreateDirectory(Path.Combine(runs, "live")).FullName;
        NN.Models.Create("mlp").Save(folder);
        var catalog = new RunCatalog(runs);
        using (RunFolder.Lock(folder))
        {
            Assert.True(RunFolder.IsTraining(folder));
            Assert.Empty(catalog.List()); // no run.json yet: its dataset and classes would be guessed
        }
        Assert.False(RunFolder.IsTraining(folder));
        Assert.Equal(["live"], catalog.List().Select(r => r.Id));
    }

    [Fact]
    public void BadFoldersAreClearErrors()
    {
        Assert.Contains("no such folder", Assert.Throws<DirectoryNotFoundException>(() => FolderDataset.Scan(In("missing"))).Message);
        Directory.CreateDirectory(In("one", "cats"));
        File.Copy(AssetCache.Fetch(KnownAssets.DarknetPhotos)["usr/share/darknet/data/dog.jpg"], In("one", "cats", "a.jpg"));
        Assert.Contains("at least 2 classes", Assert.Throws<InvalidDataException>(() => FolderDataset.Scan(In("one"))).Message);
        Directory.CreateDirectory(In("one", "dogs"));
        File.Copy(In("one", "cats", "a.jpg"), In("one", "dogs", "b.jpg"));
        File.Copy(In("one", "cats", "a.jpg"), In("one", "dogs", "c.jpg"));
        Assert.Contains("class 'cats' has one image", Assert.Throws<InvalidDataException>(() => FolderDataset.Scan(In("one"))).Message);
        File.WriteAllBytes(In("one", "cats", "broken.jpg"), [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]);
        var e = Assert.ThrowsAny<Exception>(() => FolderDataset.Load(In("one")));
        Assert.IsType<ImageException>(e);
        Assert.Contains("broken.jpg", e.Message);
        Assert.Contains("folder:PATH", Assert.Throws<UsageException>(() => TrainingData.Check("imagenet")).Message);
        // Hostile files in a class folder: a PNG header that claims 100000 x 100000 pixels, and a FIFO named like an
        // image (reading it would wait forever). Each is refused, named, before anything is decoded or waited on.
        File.Delete(In("one", "cats", "broken.jpg"));
        var lying = new byte[33];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(lying, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(16), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(20), 100_000);
        lying[24] = 8; lying[25] = 2;
        File.WriteAllBytes(In("one", "cats", "huge.png"), lying);
        var huge = Assert.Throws<ImageException>(() => FolderDataset.Load(In("one")));
        Assert.Contains("huge.png", huge.Message); // refused and named, in milliseconds: nothing of 30 GB is allocated
        File.Delete(In("one", "cats", "huge.png"));
        System.Diagnostics.Process.Start("mkfifo", In("one", "cats", "pipe.png"))!.WaitForExit();
        var fifo = Assert.ThrowsAny<Exception>(() => FolderDataset.Load(In("one")));
        Assert.True(UserErrors.IsUserError(fifo), fifo.ToString());
        Assert.Contains("pipe.png", fifo.Message);
    }

    [Fact]
    public void TinyVggTrainsOnTheFolderAndPredictAndTheExplainerSeeThreeChannels()
    {
        string root = Photos();
        string runs = In("runs");
        string folder = Path.Combine(runs, "photos");
        using (var run = TrainingRun.Open(new TrainRequest("folder:" + root, "tiny-vgg", Epochs: 2, BatchSize: 4, Out: folder)))
        {
            run.Load(IFetchProgress.Silent);
            var result = run.Fit([], CancellationToken.None);
            Assert.True(result.Saved);
        }
        Assert.Equal("folder:" + Path.GetFullPath(root), RunFolder.Dataset(folder));
        Assert.Equal(["people", "scenes"], RunFolder.ClassNames(folder));
        var model = Sequential.Load(folder);
        Assert.Equal(new Tensors.Shape(64, 64, 3), model.InputShape);
        Assert.Equal(3_010 + 1_690 * 2 + 2, model.ParameterCount); // Tiny VGG with a 2-class head

        // evaluate reloads the same validation split; predict prepares a photo as training did.
        var eval = RunUseCases.Evaluate(new EvaluateRequest(folder), IFetchProgress.Silent);
        Assert.Equal(2, eval.Images);
        // Another image in the folder would change the seeded split: evaluate refuses rather than mix training images in.
        string extra = Path.Combine(root, "people", "extra.jpg");
        File.Copy(Path.Combine(root, "people", "sample1.jpg"), extra);
        Assert.Contains("changed since", Assert.Throws<InvalidDataException>(() => RunUseCases.Evaluate(new EvaluateRequest(folder), IFetchProgress.Silent)).Message);
        File.Delete(extra);
        Assert.Equal(eval.Accuracy, RunUseCases.Evaluate(new EvaluateRequest(folder), IFetchProgress.Silent).Accuracy);
        string photo = Path.Combine(root, "scenes", "dog.jpg");
        var p = RunUseCases.Predict(new PredictRequest(folder, [photo], new ImageLoadOptions())).Predictions.Single();
        Assert.Equal(2, p.Probabilities!.Length);
        Assert.Equal(1f, p.Probabilities.Sum(), 4);

        var catalog = new RunCatalog(runs);
        var explained = ExplainUseCases.Explain(catalog, "photos", ImageCodec.Load(photo));
        Assert.Equal([64, 64, 3], explained.Explanation.InputShape);
        for (int i = 0; i < 2; i++) Assert.Equal(p.Probabilities[i], explained.Explanation.Output[i], 5);
        var conv = ExplainUseCases.ExplainConv(catalog, "photos", ImageCodec.Load(photo), layer: 0, channel: 9);
        Assert.Equal(3, conv.Contributions.Count); // red, green and blue, each with its own kernel
        Assert.Equal(62 * 62, conv.Output.Length);
    }
}
