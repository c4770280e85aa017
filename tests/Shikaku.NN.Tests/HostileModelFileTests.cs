using System.Diagnostics;
using System.Text;
using Shikaku.Formats;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN.Tests;

/// <summary>
/// A hostile or damaged run folder: every variant must fail quickly with InvalidDataException, IOException
/// or FileNotFoundException naming the file; never hang, never run out of memory, never an internal error.
/// </summary>
public class HostileModelFileTests
{
    private const string GoodJson = """
        {"class_name": "Sequential", "input_shape": [4], "seed": 1,
         "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 3, "activation": "softmax"}}]}
        """;

    private const string KernelEntry = "\"dense_0/kernel\": {\"dtype\": \"F32\", \"shape\": [4, 3], \"data_offsets\": [0, 48]}";
    private const string BiasEntry = "\"dense_0/bias\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [48, 60]}";

    /// <summary>A safetensors file with the given header and <paramref name="dataBytes"/> bytes of data (small finite floats).</summary>
    private static byte[] Safetensors(string header, int dataBytes = 60)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BitConverter.TryWriteBytes(file.AsSpan(0, 8), (long)json.Length);
        json.CopyTo(file, 8);
        for (int i = 0; i + 4 <= dataBytes; i += 4) BitConverter.TryWriteBytes(file.AsSpan(8 + json.Length + i), 0.01f * (i / 4));
        return file;
    }

    private static byte[] GoodWeights => Safetensors($"{{{KernelEntry}, {BiasEntry}}}");

    private static string Folder(string json = GoodJson, byte[]? weights = null)
    {
        string folder = Directory.CreateTempSubdirectory("shikaku-hostile").FullName;
        File.WriteAllText(Path.Combine(folder, "model.json"), json);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), weights ?? GoodWeights);
        return folder;
    }

    /// <summary>Load must fail (within a minute: a hang would be forever; the tests share two cores) with a user-facing exception whose message names <paramref name="file"/>.</summary>
    private static Exception Refused(string folder, string file)
    {
        var load = Task.Run(() => Sequential.Load(folder));
        bool finished = Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(60))).Result == load;
        Assert.True(finished, $"Load of {folder} did not return within 60 s");
        Assert.True(load.IsFaulted, $"Load of {folder} succeeded");
        var e = load.Exception!.InnerException!;
        Assert.True(e is InvalidDataException or IOException, $"{e.GetType().Name}: {e.Message}");
        Assert.Contains(Path.Combine(folder, file), e.Message);
        return e;
    }

    [Fact]
    public void TheGoodFilesOfTheseTestsLoad()
    {
        var model = Sequential.Load(Folder());
        Assert.Equal(0.01f, model.Layers[0].Parameters[0].Value.Span[1]);
    }

    public static TheoryData<int> TruncatedLengths => [0, 1, 7, 8, 9, 16, 100, -61, -60, -59, -4, -1];

    [Theory]
    [MemberData(nameof(TruncatedLengths))]
    public void TruncatedWeightsAreRefused(int length)
    {
        byte[] good = GoodWeights;
        int keep = length >= 0 ? length : good.Length + length;
        Refused(Folder(weights: good[..keep]), "model.safetensors");
    }

    public static TheoryData<long> LyingHeaderLengths => [long.MaxValue, -1, long.MinValue, 0, 200_000_000, 1 << 20];

    [Theory]
    [MemberData(nameof(LyingHeaderLengths))]
    public void ALyingHeaderLengthIsRefused(long headerLength)
    {
        byte[] bytes = GoodWeights;
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), headerLength);
        Assert.Contains("header length", Refused(Folder(weights: bytes), "model.safetensors").Message);
        // One past the file's end.
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (long)bytes.Length - 7);
        Refused(Folder(weights: bytes), "model.safetensors");
    }

    [Fact]
    public void AHeaderLongerThanAnyRealOneIsRefusedWithoutReadingIt()
    {
        string folder = Folder();
        string path = Path.Combine(folder, "model.safetensors");
        using (var f = new FileStream(path, FileMode.Create))
        {
            f.SetLength(150_000_100); // sparse: costs no disk
            f.Write(BitConverter.GetBytes(150_000_000L));
        }
        Assert.Contains("more than a safetensors header may be", Refused(folder, "model.safetensors").Message);
    }

    public static TheoryData<string, string> BadHeaders => new()
    {
        { "not JSON", "{" },
        { "an array", "[]" },
        { "null", "null" },
        { "a string", "\"tensors\"" },
        { "an entry that is a number", "{\"dense_0/kernel\": 1}" },
        { "deeply nested", new string('[', 5000) + new string(']', 5000) },
        { "duplicate keys", $"{{{KernelEntry}, {KernelEntry}, {BiasEntry}}}" },
        { "offsets past the end", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [48, 1060]}}}}" },
        { "negative offsets", $"{{\"dense_0/kernel\": {{\"dtype\": \"F32\", \"shape\": [4, 3], \"data_offsets\": [-4, 44]}}, {BiasEntry}}}" },
        { "reversed offsets", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [60, 48]}}}}" },
        { "overlapping tensors", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [40, 52]}}, \"x\": {{\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [52, 60]}}}}" },
        { "a gap", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [52, 60]}}}}" },
        { "offsets as strings", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [\"48\", \"60\"]}}}}" },
        { "three offsets", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [48, 60, 72]}}}}" },
        { "fractional offsets", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [48.5, 60]}}}}" },
        { "no offsets", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F32\", \"shape\": [3]}}}}" },
        { "dtype F16", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": \"F16\", \"shape\": [6], \"data_offsets\": [48, 60]}}}}" },
        { "dtype I64", $"{{\"dense_0/kernel\": {{\"dtype\": \"I64\", \"shape\": [6], \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
        { "dtype a number", $"{{{KernelEntry}, \"dense_0/bias\": {{\"dtype\": 32, \"shape\": [3], \"data_offsets\": [48, 60]}}}}" },
        { "no dtype", $"{{{KernelEntry}, \"dense_0/bias\": {{\"shape\": [3], \"data_offsets\": [48, 60]}}}}" },
        { "shape larger than its bytes", $"{{\"dense_0/kernel\": {{\"dtype\": \"F32\", \"shape\": [4, 4], \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
        { "negative dimension", $"{{\"dense_0/kernel\": {{\"dtype\": \"F32\", \"shape\": [-4, -3], \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
        { "product overflow", $"{{\"dense_0/kernel\": {{\"dtype\": \"F32\", \"shape\": [2147483647, 2147483647, 2147483647, 16], \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
        { "overflow to the right size", $"{{\"dense_0/kernel\": {{\"dtype\": \"F32\", \"shape\": [4294967296, 3], \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
        { "dimension 1e10", $"{{\"dense_0/kernel\": {{\"dtype\": \"F32\", \"shape\": [1e10], \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
        { "shape a string", $"{{\"dense_0/kernel\": {{\"dtype\": \"F32\", \"shape\": \"4x3\", \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
        { "wrong architecture", $"{{\"dense_0/kernel\": {{\"dtype\": \"F32\", \"shape\": [3, 4], \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
        { "missing tensor", $"{{\"other/kernel\": {{\"dtype\": \"F32\", \"shape\": [4, 3], \"data_offsets\": [0, 48]}}, {BiasEntry}}}" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void ADamagedOrLyingHeaderIsRefused(string what, string header)
    {
        var e = Refused(Folder(weights: Safetensors(header)), "model.safetensors");
        Assert.IsType<InvalidDataException>(e);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void InvalidUtf8AndAppendedBytesAreRefused()
    {
        byte[] bytes = GoodWeights;
        bytes[9] = 0xFF;
        bytes[10] = 0xFE;
        Refused(Folder(weights: bytes), "model.safetensors");
        Assert.Contains("appended", Refused(Folder(weights: [.. GoodWeights, 1, 2, 3, 4]), "model.safetensors").Message);
    }

    [Fact]
    public void NaNOrInfiniteWeightsAreAClearErrorInsteadOfAUselessModel()
    {
        foreach (var (offset, value, tensor) in new[] { (8, float.NaN, "dense_0/kernel"), (52, float.PositiveInfinity, "dense_0/bias"), (0, float.NegativeInfinity, "dense_0/kernel") })
        {
            byte[] bytes = GoodWeights;
            int dataStart = bytes.Length - 60;
            BitConverter.TryWriteBytes(bytes.AsSpan(dataStart + offset), value);
            var e = Refused(Folder(weights: bytes), "model.safetensors");
            Assert.IsType<InvalidDataException>(e);
            Assert.Contains($"holds NaN/Inf values in '{tensor}'", e.Message);
            Assert.Contains("diverged", e.Message);
        }
    }

    public static TheoryData<string, string> BadModelJson => new()
    {
        { "empty", "" },
        { "blank", "   \n" },
        { "null", "null" },
        { "an array", "[]" },
        { "a number", "42" },
        { "an empty object", "{}" },
        { "not JSON", "{\"input_shape\": [4], " },
        { "deeply nested", new string('[', 100_000) + new string(']', 100_000) },
        { "duplicate keys", """{"input_shape": [4], "input_shape": [5], "layers": []}""" },
        { "input_shape a number", """{"input_shape": 4, "layers": []}""" },
        { "input_shape empty", """{"input_shape": [], "layers": []}""" },
        { "input_shape zero", """{"input_shape": [0], "layers": [{"class_name": "Flatten", "name": "f", "config": {}}]}""" },
        { "input_shape negative", """{"input_shape": [-4], "layers": []}""" },
        { "input_shape fractional", """{"input_shape": [4.5], "layers": []}""" },
        { "input_shape a string", """{"input_shape": ["4"], "layers": []}""" },
        { "input_shape huge", """{"input_shape": [1e30], "layers": []}""" },
        { "input_shape too many values", """{"input_shape": [4096, 4096, 4096], "layers": []}""" },
        { "input_shape rank 5", """{"input_shape": [1, 1, 1, 1, 4], "layers": []}""" },
        { "seed a string", """{"input_shape": [4], "seed": "one", "layers": []}""" },
        { "layers missing", """{"input_shape": [4]}""" },
        { "layers an object", """{"input_shape": [4], "layers": {}}""" },
        { "layers empty", """{"input_shape": [4], "layers": []}""" },
        { "a null layer", """{"input_shape": [4], "layers": [null]}""" },
        { "a number layer", """{"input_shape": [4], "layers": [1]}""" },
        { "an empty layer", """{"input_shape": [4], "layers": [{}]}""" },
        { "unknown class", """{"input_shape": [4], "layers": [{"class_name": "Lambda", "name": "x", "config": {}}]}""" },
        { "class_name a number", """{"input_shape": [4], "layers": [{"class_name": 5, "name": "x", "config": {}}]}""" },
        { "no name", """{"input_shape": [4], "layers": [{"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]}""" },
        { "no config", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0"}]}""" },
        { "config null", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": null}]}""" },
        { "no units", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"activation": "softmax"}}]}""" },
        { "units a string", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": "3", "activation": "softmax"}}]}""" },
        { "units negative", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": -3, "activation": "softmax"}}]}""" },
        { "units zero", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 0, "activation": "softmax"}}]}""" },
        { "units fractional", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 2.5, "activation": "softmax"}}]}""" },
        { "units beyond int", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 2147483648, "activation": "softmax"}}]}""" },
        { "units 1e30", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 1e30, "activation": "softmax"}}]}""" },
        { "units more than the weights", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 1000000, "activation": "softmax"}}]}""" },
        { "a billion weights", """{"input_shape": [65536], "layers": [{"class_name": "Dense", "name": "d", "config": {"units": 1000000, "activation": "relu"}}]}""" },
        { "activation a number", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 3, "activation": 5}}]}""" },
        { "unknown activation", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 3, "activation": "swish9"}}]}""" },
        { "NaN leaky slope", """{"input_shape": [4], "layers": [{"class_name": "Dense", "name": "dense_0", "config": {"units": 3, "activation": "leaky_relu:nan"}}]}""" },
        { "convolution of vectors", """{"input_shape": [4], "layers": [{"class_name": "Conv2D", "name": "c", "config": {"filters": 1, "kernel_size": 3, "strides": 1, "padding": "valid", "activation": "relu", "dilation_rate": 1}}]}""" },
        { "window larger than the image", """{"input_shape": [4, 4, 1], "layers": [{"class_name": "MaxPooling2D", "name": "p", "config": {"pool_size": 9, "strides": 1, "padding": "valid"}}]}""" },
        { "huge padding", """{"input_shape": [4, 4, 1], "layers": [{"class_name": "Conv2D", "name": "c", "config": {"filters": 1, "kernel_size": 1, "strides": 1, "padding": "2000000000,1", "activation": "relu", "dilation_rate": 1}}]}""" },
        { "huge dilation", """{"input_shape": [4, 4, 1], "layers": [{"class_name": "Conv2D", "name": "c", "config": {"filters": 1, "kernel_size": 1024, "strides": 1, "padding": "same", "activation": "relu", "dilation_rate": 2097152}}]}""" },
        { "activation too large per example", """{"input_shape": [4, 4, 1], "layers": [{"class_name": "MaxPooling2D", "name": "p", "config": {"pool_size": 1, "strides": 1, "padding": "4096,4096"}}]}""" },
        { "unknown padding", """{"input_shape": [4, 4, 1], "layers": [{"class_name": "AveragePooling2D", "name": "p", "config": {"pool_size": 2, "strides": 2, "padding": "mirror"}}]}""" },
        { "dropout rate 1.5", """{"input_shape": [4], "layers": [{"class_name": "Dropout", "name": "d", "config": {"rate": 1.5}}]}""" },
        { "batch norm epsilon 0", """{"input_shape": [4], "layers": [{"class_name": "BatchNormalization", "name": "b", "config": {"momentum": 0.9, "epsilon": 0}}]}""" },
        { "empty residual", """{"input_shape": [4], "layers": [{"class_name": "Residual", "name": "r", "config": {"layers": []}}]}""" },
        { "residual layers not an array", """{"input_shape": [4], "layers": [{"class_name": "Residual", "name": "r", "config": {"layers": "all"}}]}""" },
        { "deeply nested residuals", """{"input_shape": [4], "layers": [""" + string.Concat(Enumerable.Repeat("""{"class_name": "Residual", "name": "r", "config": {"layers": [""", 40))
            + """{"class_name": "Flatten", "name": "f", "config": {}}""" + new string(']', 40).Replace("]", "]}}") + "]}" },
        { "two layers with one name", """{"input_shape": [4], "layers": [{"class_name": "Flatten", "name": "x", "config": {}}, {"class_name": "Flatten", "name": "x", "config": {}}]}""" },
    };

    [Theory]
    [MemberData(nameof(BadModelJson))]
    public void ADamagedOrLyingModelJsonIsRefused(string what, string json)
    {
        var e = Refused(Folder(json), "model.json");
        Assert.IsType<InvalidDataException>(e);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void MessagesNameTheField()
    {
        string Message(string json) => Refused(Folder(json), "model.json").Message;
        Assert.Contains("model.input_shape is missing", Message("""{"layers": []}"""));
        Assert.Contains("model.layers[0].config.units is -3", Message(GoodJson.Replace("\"units\": 3", "\"units\": -3")));
        Assert.Contains("model.layers[0].config.units must be a whole number, got \"3\"", Message(GoodJson.Replace("\"units\": 3", "\"units\": \"3\"")));
        Assert.Contains("unknown layer type 'Lambda'", Message(GoodJson.Replace("\"Dense\"", "\"Lambda\"")));
        Assert.Contains("would need 5,000,000 weights", Message(GoodJson.Replace("\"units\": 3", "\"units\": 1000000")));
        Assert.Contains("Unknown activation 'swish9'", Message(GoodJson.Replace("softmax", "swish9")));
        // A layer whose output grows past the limit (padding at most 1000 a side, so the input is near the limit).
        Assert.Contains("outputs (4000, 4200, 1) = 16,800,000 values per example", Message("""
            {"input_shape": [4000, 4000, 1], "layers": [{"class_name": "MaxPooling2D", "name": "p", "config": {"pool_size": 1, "strides": 1, "padding": "0,100"}}]}
            """));
    }

    [Fact]
    public void AModelJsonLargerThanTheLimitIsNotRead()
    {
        string folder = Folder();
        using (var f = new FileStream(Path.Combine(folder, "model.json"), FileMode.Create))
            f.SetLength(Sequential.MaxModelJsonBytes + 1);
        Assert.IsAssignableFrom<IOException>(Refused(folder, "model.json"));
    }

    [Fact]
    public void FifosDevicesAndFoldersAreRefusedAtOnce()
    {
        if (OperatingSystem.IsWindows()) return;
        foreach (string file in new[] { "model.json", "model.safetensors" })
        {
            string fifoFolder = Folder();
            string fifo = Path.Combine(fifoFolder, file);
            File.Delete(fifo);
            using (var p = Process.Start("mkfifo", fifo)) p.WaitForExit();
            Assert.Contains("FIFO", Refused(fifoFolder, file).Message);

            string zeroFolder = Folder();
            File.Delete(Path.Combine(zeroFolder, file));
            File.CreateSymbolicLink(Path.Combine(zeroFolder, file), "/dev/zero");
            Assert.Contains("character device", Refused(zeroFolder, file).Message);

            string dirFolder = Folder();
            File.Delete(Path.Combine(dirFolder, file));
            Directory.CreateDirectory(Path.Combine(dirFolder, file));
            Assert.Contains("is a folder", Refused(dirFolder, file).Message);

            string missing = Folder();
            File.Delete(Path.Combine(missing, file));
            Assert.IsType<FileNotFoundException>(Refused(missing, file));
        }
    }

    [Fact]
    public void ConcurrentSavesToOneFolderNeverCollideOrLeaveTemporaryFiles()
    {
        string folder = Directory.CreateTempSubdirectory("shikaku-concurrent").FullName;
        var a = new Sequential(new Shape(4), 1, new Dense(3, "softmax"));
        var b = new Sequential(new Shape(4), 2, new Dense(3, "softmax"));
        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => (i % 2 == 0 ? a : b).Save(folder, overwrite: true));
        Assert.Equal(["model.json", "model.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal(3, Sequential.Load(folder).OutputShape[0]);
    }
}
