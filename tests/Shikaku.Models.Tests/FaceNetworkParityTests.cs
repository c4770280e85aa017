using Shikaku.Models.FaceApi;
using Shikaku.Vision.Imaging;

namespace Shikaku.Tests;

/// <summary>
/// Each face-api.js network alone, on the same fixed inputs as the reference (sample1 and integer
/// crops of its faces), against face-api.js's own outputs: a mismatch here names the network.
/// </summary>
public sealed class FaceNetworkParityTests
{
    private static readonly Lazy<Image> Sample1 = new(() => FaceApiGolden.Photo("sample1"));

    private static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    [Fact]
    public void SsdMobilenetV1_matches_face_api_on_the_top_50_priors()
    {
        using var weights = FaceApiModels.LoadWeights(FaceApiModel.SsdMobilenetV1);
        using var net = new SsdMobilenetV1(weights);
        using var image = Sample1.Value.ToTensor();
        var output = net.Forward(image);
        foreach (var expected in FaceApiGolden.Networks.GetProperty("ssd").EnumerateArray())
        {
            int i = expected.GetProperty("index").GetInt32();
            Assert.InRange(Math.Abs(output.Scores[i] - expected.GetProperty("score").GetDouble()), 0, 1e-4);
            var box = FaceApiGolden.Floats(expected.GetProperty("box"));
            Assert.InRange(MaxAbsDiff(output.Boxes.AsSpan(i * 4, 4), box), 0, 1e-4f); // relative units: 1e-4 of 512 px
        }
    }

    [Fact]
    public void TinyFaceDetector_grid_matches_face_api()
    {
        using var weights = FaceApiModels.LoadWeights(FaceApiModel.TinyFaceDetector);
        using var net = new TinyFaceDetector(weights);
        using var image = Sample1.Value.ToTensor();
        using var grid = net.Forward(image, 416);
        var expected = FaceApiGolden.Floats(FaceApiGolden.Networks.GetProperty("tiny").GetProperty("values"));
        Assert.Equal([1, 13, 13, 25], grid.Shape.ToArray());
        Assert.InRange(MaxAbsDiff(grid.Span, expected), 0, 5e-4f);
    }

    [Fact]
    public void Landmark_expression_age_gender_and_recognition_nets_match_face_api_on_face_crops()
    {
        string folder = FaceApiModels.Folder();
        using var landmarks = new FaceLandmark68Net(FaceApiModels.LoadWeights(FaceApiModel.FaceLandmark68, folder));
        using var landmarksTiny = new FaceLandmark68Net(FaceApiModels.LoadWeights(FaceApiModel.FaceLandmark68Tiny, folder), tiny: true);
        using var recognition = new FaceRecognitionNet(FaceApiModels.LoadWeights(FaceApiModel.FaceRecognition, folder));
        using var expressions = new FaceExpressionNet(FaceApiModels.LoadWeights(FaceApiModel.FaceExpression, folder));
        using var ageGender = new AgeGenderNet(FaceApiModels.LoadWeights(FaceApiModel.AgeGender, folder));
        int crops = 0;
        foreach (var expected in FaceApiGolden.Networks.GetProperty("crops").EnumerateArray())
        {
            using var face = FaceApiGolden.Crop(Sample1.Value, expected.GetProperty("crop"));
            int w = face.Shape[2], h = face.Shape[1];
            // Landmarks are relative to the crop: 0.05 px in the crop is the bar.
            var lm = landmarks.Forward(face);
            var lmExpected = FaceApiGolden.Floats(expected.GetProperty("landmarks"));
            for (int i = 0; i < 136; i++) Assert.InRange(Math.Abs(lm[i] - lmExpected[i]) * (i % 2 == 0 ? w : h), 0, 0.05);
            var lmt = landmarksTiny.Forward(face);
            var lmtExpected = FaceApiGolden.Floats(expected.GetProperty("landmarksTiny"));
            for (int i = 0; i < 136; i++) Assert.InRange(Math.Abs(lmt[i] - lmtExpected[i]) * (i % 2 == 0 ? w : h), 0, 0.05);
            var d = recognition.Forward(face);
            var dExpected = FaceApiGolden.Floats(expected.GetProperty("descriptor"));
            double dist = Math.Sqrt(d.Zip(dExpected, (a, b) => (double)(a - b) * (a - b)).Sum());
            Assert.InRange(dist, 0, 1e-3);
            Assert.InRange(MaxAbsDiff(expressions.Forward(face), FaceApiGolden.Floats(expected.GetProperty("expressions"))), 0, 1e-3f);
            var ag = ageGender.Forward(face);
            Assert.InRange(Math.Abs(ag.Age - expected.GetProperty("age").GetDouble()), 0, 0.05);
            var g = FaceApiGolden.Floats(expected.GetProperty("gender"));
            Assert.InRange(Math.Abs(ag.MaleProbability - g[0]), 0, 1e-3);
            crops++;
        }
        Assert.Equal(3, crops);
    }
}
