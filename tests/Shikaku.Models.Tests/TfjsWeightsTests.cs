using Shikaku.Models.FaceApi;
using Shikaku.Formats;
using Shikaku.Tensors;
using Shikaku.Testing;

namespace Shikaku.Tests;

public sealed class TfjsWeightsTests() : TempFolderTest("shikaku-tfjs")
{
    private string Write(string manifest, params (string Name, byte[] Bytes)[] shards) => ManifestFiles.Write(Root, manifest, shards);

    [Fact]
    public void Dequantizes_uint8_uint16_float16_and_reads_float32_across_shards()
    {
        var f32 = BitConverter.GetBytes(1.5f).Concat(BitConverter.GetBytes(-2f)).ToArray();
        byte[] u8 = [0, 10, 255];
        var u16 = BitConverter.GetBytes((ushort)1000);
        var f16 = BitConverter.GetBytes((Half)0.25f);
        var all = f32.Concat(u8).Concat(u16).Concat(f16).ToArray();
        string path = Write("""
            [{"paths": ["a.bin", "b.bin"], "weights": [
              {"name": "f", "shape": [2], "dtype": "float32"},
              {"name": "q8", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1}},
              {"name": "q16", "shape": [], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.001, "min": 0}},
              {"name": "h", "shape": [1], "dtype": "float32", "quantization": {"dtype": "float16"}}]}]
            """, ("a.bin", all[..4]), ("b.bin", all[4..]));
        using var w = TfjsWeights.Load(path);
        Assert.Equal([1.5f, -2f], w.Get("f", 2).ToArray());
        Assert.Equal([-1f, 4f, 126.5f], w.Get("q8", 3).ToArray());
        Assert.Equal(1f, w.Get("q16").ToArray()[0], 6);
        Assert.Equal(0.25f, w.Get("h", 1).ToArray()[0]);
    }

    [Fact]
    public void Int32_and_bool_weights_load_as_Int32_and_Bool_tensors_not_floats()
    {
        var ints = BitConverter.GetBytes(16_777_217).Concat(BitConverter.GetBytes(-5)).ToArray(); // 2^24 + 1: a float would round it
        byte[] flags = [1, 0, 1];
        byte[] q = [0, 1, 2, 3];
        string path = Write("""
            [{"paths": ["a.bin"], "weights": [
              {"name": "i", "shape": [2], "dtype": "int32"},
              {"name": "b", "shape": [3], "dtype": "bool"},
              {"name": "qi", "shape": [4], "dtype": "int32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.5}}]}]
            """, ("a.bin", ints.Concat(flags).Concat(q).ToArray()));
        using var w = TfjsWeights.Load(path);
        var i = w.Get("i", 2);
        Assert.Equal(DType.Int32, i.DType);
        Assert.Equal([16_777_217, -5], i.ToArray<int>());
        Assert.Equal([true, false, true], w.Get("b", 3).ToArray<bool>());
        // -1.5, -1, -0.5, 0 rounded as JavaScript's Math.round: halves toward +infinity.
        Assert.Equal([-1, -1, 0, 0], w.Get("qi", 4).ToArray<int>());
    }

    [Fact]
    public void The_ssd_manifest_int32_constants_are_exact_integers()
    {
        using var w = FaceApiModels.LoadWeights(FaceApiModel.SsdMobilenetV1, FaceApiModels.Folder());
        var priors = w.Get("Postprocessor/stack/1");
        Assert.Equal(DType.Int32, priors.DType);
        Assert.Equal(5118, priors.ToArray<int>()[0]);
        Assert.Equal([512, 512], w.Get("Preprocessor/ResizeImage/size", 2).ToArray<int>());
    }

    [Fact]
    public void Float16_quantization_of_an_int32_weight_is_refused_as_tfjs_does()
    {
        string path = Write("""[{"paths": ["a.bin"], "weights": [{"name": "h", "shape": [1], "dtype": "int32", "quantization": {"dtype": "float16"}}]}]""", ("a.bin", new byte[2]));
        Assert.Contains("float16", Assert.Throws<ModelFormatException>(() => TfjsWeights.Load(path)).Message);
    }

    [Fact]
    public void A_truncated_shard_is_an_error_naming_the_sizes()
    {
        string path = Write("""[{"paths": ["a.bin"], "weights": [{"name": "f", "shape": [4], "dtype": "float32"}]}]""", ("a.bin", new byte[12]));
        var e = Assert.Throws<ModelFormatException>(() => TfjsWeights.Load(path));
        Assert.Contains("12 bytes", e.Message);
        Assert.Contains("16", e.Message);
    }

    [Fact]
    public void Missing_shards_bad_json_and_unknown_dtypes_are_clear_errors()
    {
        Assert.Contains("does not exist", Assert.Throws<ModelFormatException>(() =>
            TfjsWeights.Load(Write("""[{"paths": ["nope.bin"], "weights": []}]"""))).Message);
        Assert.Contains("not valid JSON", Assert.Throws<ModelFormatException>(() => TfjsWeights.Load(Write("[{"))).Message);
        Assert.Contains("string", Assert.Throws<ModelFormatException>(() =>
            TfjsWeights.Load(Write("""[{"paths": [], "weights": [{"name": "s", "shape": [1], "dtype": "string"}]}]"""))).Message);
    }

    [Fact]
    public void A_manifest_whose_shapes_do_not_fit_the_architecture_is_rejected_by_name()
    {
        // The tiny face detector's manifest handed to the SSD: the first weight it looks for is missing.
        string folder = FaceApiModels.Folder();
        using (var tiny = FaceApiModels.LoadWeights(FaceApiModel.TinyFaceDetector, folder))
            Assert.Contains("MobilenetV1/Conv2d_0_pointwise/weights", Assert.Throws<ModelFormatException>(() => new SsdMobilenetV1(tiny)).Message);
        // The full landmark net's weights read as the tiny one's: names match, shapes do not.
        using var full = FaceApiModels.LoadWeights(FaceApiModel.FaceLandmark68, folder);
        var e = Assert.Throws<ModelFormatException>(() => new FaceLandmark68Net(full, tiny: true));
        Assert.Contains("fc/weights", e.Message);
        Assert.Contains("(256, 136)", e.Message);
        Assert.Contains("(128, 136)", e.Message);
    }

    [Fact]
    public void A_tampered_weight_file_in_a_copied_model_folder_fails_its_size_check()
    {
        string folder = FaceApiModels.Folder();
        foreach (var f in Directory.GetFiles(folder, "tiny_face_detector*")) File.Copy(f, Path.Combine(Root, Path.GetFileName(f)));
        string bin = Path.Combine(Root, "tiny_face_detector_model.bin");
        File.WriteAllBytes(bin, File.ReadAllBytes(bin)[..1000]);
        var e = Assert.Throws<ModelFormatException>(() => FaceApiModels.LoadWeights(FaceApiModel.TinyFaceDetector, Root, verify: false));
        Assert.Contains("truncated", e.Message);
        // Same size, one byte changed: only the checksum can tell.
        File.Copy(Path.Combine(folder, "tiny_face_detector_model.bin"), bin, overwrite: true);
        var bytes = File.ReadAllBytes(bin);
        bytes[500] ^= 0xFF;
        File.WriteAllBytes(bin, bytes);
        var tampered = Assert.Throws<ModelFormatException>(() => FaceApiModels.LoadWeights(FaceApiModel.TinyFaceDetector, Root));
        Assert.Contains("SHA-256", tampered.Message);
        using var unchecked_ = FaceApiModels.LoadWeights(FaceApiModel.TinyFaceDetector, Root, verify: false);
        Assert.Contains("conv8/bias", unchecked_.Names);
    }
}
