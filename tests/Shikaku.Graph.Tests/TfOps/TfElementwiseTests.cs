using Shikaku.Tensors;
using static Shikaku.Graph.Tests.TfOps.TfGraph;

namespace Shikaku.Graph.Tests.TfOps;

/// <summary>The elementwise TF ops against naive references over random broadcasting shapes.</summary>
public class TfElementwiseTests
{
    private static float F32(double v) => (float)v;

    // The references, written from TF's definitions (float32 arithmetic for float32 tensors).
    private static double FloorDiv(double a, double b, DType t) =>
        t == DType.Float32 ? MathF.Floor(F32(a) / F32(b)) : Math.Floor(a / b);

    private static double FloorMod(double a, double b, DType t)
    {
        if (t != DType.Float32) return a - Math.Floor(a / b) * b;
        float r = F32(a) % F32(b); // C's fmod
        return r != 0 && (r < 0) != (b < 0) ? r + F32(b) : r;
    }

    public static TheoryData<string, DType> BinaryCases() => new()
    {
        { "AddV2", DType.Float32 }, { "Add", DType.Int32 }, { "Sub", DType.Float32 }, { "Sub", DType.Int64 }, { "Mul", DType.Float32 },
        { "Mul", DType.Int32 }, { "RealDiv", DType.Float32 }, { "FloorDiv", DType.Float32 }, { "FloorDiv", DType.Int32 },
        { "FloorMod", DType.Float32 }, { "FloorMod", DType.Int32 }, { "FloorMod", DType.Int64 }, { "Maximum", DType.Float32 },
        { "Minimum", DType.Int32 }, { "SquaredDifference", DType.Float32 }, { "Pow", DType.Float32 },
        { "Equal", DType.Float32 }, { "Equal", DType.Int32 }, { "NotEqual", DType.Int32 }, { "Greater", DType.Float32 },
        { "GreaterEqual", DType.Int32 }, { "Less", DType.Float32 }, { "LessEqual", DType.Int64 }, { "Equal", DType.Bool },
    };

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryOpsBroadcastAsTF(string op, DType dtype)
    {
        var rng = new Random(op.GetHashCode(StringComparison.Ordinal) & 0xffff ^ (int)dtype);
        for (int trial = 0; trial < 12; trial++)
        {
            var sa = Shapes.Random(rng, 0, 4);
            var sb = Shapes.BroadcastPartner(rng, sa);
            if (trial % 2 == 1) (sa, sb) = (sb, sa);
            var a = Nd.Random(rng, dtype, sa);
            var b = Nd.Random(rng, dtype, sb);
            if (op == "Pow") a = a with { Data = a.Data.Select(Math.Abs).ToArray() };
            if (trial % 3 == 0 && dtype != DType.Bool) b = b with { Data = b.Data.Select((v, i) => i % 2 == 0 && a.Data.Length > 0 ? a.Data[i % a.Data.Length] : v).ToArray() };
            if (op is "FloorDiv" or "FloorMod" or "RealDiv") b = b with { Data = b.Data.Select(v => v == 0 ? 3 : v).ToArray() };
            bool compare = op is "Equal" or "NotEqual" or "Greater" or "GreaterEqual" or "Less" or "LessEqual";
            var shape = Shapes.Broadcast(sa, sb);
            var expected = Nd.Build(shape, i =>
            {
                double x = Shapes.Read(a, i), y = Shapes.Read(b, i);
                return op switch
                {
                    "AddV2" or "Add" => x + y,
                    "Sub" => x - y,
                    "Mul" => x * y,
                    "RealDiv" => F32(x) / F32(y),
                    "FloorDiv" => FloorDiv(x, y, dtype),
                    "FloorMod" => FloorMod(x, y, dtype),
                    "Maximum" => Math.Max(x, y),
                    "Minimum" => Math.Min(x, y),
                    "SquaredDifference" => (x - y) * (x - y),
                    "Pow" => MathF.Pow(F32(x), F32(y)),
                    "Equal" => x == y ? 1 : 0,
                    "NotEqual" => x != y ? 1 : 0,
                    "Greater" => x > y ? 1 : 0,
                    "GreaterEqual" => x >= y ? 1 : 0,
                    "Less" => x < y ? 1 : 0,
                    _ => x <= y ? 1 : 0,
                };
            }, compare ? DType.Bool : dtype);
            // Constant and fed operands take different paths through the ops (constants may be read in place).
            Same(expected, Run(op, null, F(a), trial % 2 == 0 ? C(b) : F(b)), 1e-5);
        }
    }

    [Fact]
    public void FloorDivAndFloorModRoundTowardMinusInfinity()
    {
        var a = Nd.Ints([6], 7, -7, 7, -7, 6, -6);
        var b = Nd.Ints([6], 2, 2, -2, -2, 3, 3);
        Same(Nd.Ints([6], 3, -4, -4, 3, 2, -2), Run("FloorDiv", null, F(a), F(b)));
        Same(Nd.Ints([6], 1, 1, -1, -1, 0, 0), Run("FloorMod", null, F(a), F(b)));
        Same(Nd.Floats([2], -4, 1), Run("FloorDiv", null, F(Nd.Floats([2], -7, 7.5)), F(Nd.Floats([2], 2, 5))));
        Same(Nd.Floats([2], 1, -2.5), Run("FloorMod", null, F(Nd.Floats([2], -7, 7.5)), F(Nd.Floats([2], 2, -5))));
        // The most negative int32 divided by -1 wraps, as TF (.NET would throw).
        Same(Nd.Ints([1], int.MinValue), Run("FloorDiv", null, F(Nd.Ints([1], int.MinValue)), F(Nd.Ints([1], -1))));
        Assert.Contains("division by zero", Fails("FloorMod", null, F(Nd.Ints([1], 3)), F(Nd.Ints([1], 0))).Message);
    }

    [Fact]
    public void BroadcastingShapesThatDisagreeNameTheNode() =>
        Assert.Contains("do not broadcast", Fails("Sub", null, F(Nd.Random(new Random(1), DType.Float32, 2, 3)), F(Nd.Random(new Random(2), DType.Float32, 4))).Message);

    [Fact]
    public void AScalarPlusAVectorIsAVector()
    {
        // A rank-0 first operand: the result has the vector's rank (the in-place fast path must not keep the scalar's).
        Same(Nd.Floats([1], 5), Run("AddV2", null, F(Nd.Floats([], 2)), F(Nd.Floats([1], 3))));
        Same(Nd.Floats([1], 6), Run("Mul", null, F(Nd.Floats([], 2)), C(Nd.Floats([1], 3))));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Int32)]
    public void AddNSumsTensorsOfOneShape(DType dtype)
    {
        var rng = new Random(7);
        var shape = Shapes.Random(rng, 0, 4);
        var xs = Enumerable.Range(0, 4).Select(_ => Nd.Random(rng, dtype, shape)).ToArray();
        var expected = new Nd(shape, Enumerable.Range(0, Nd.Count(shape)).Select(i => (double)(float)xs.Sum(x => x.Data[i])).ToArray(), dtype);
        Same(expected, Run("AddN", null, xs.Select(F).ToArray()));
        Same(xs[0], Run("AddN", null, F(xs[0])));
        Assert.Contains("one shape", Fails("AddN", null, F(xs[0]), F(Nd.Random(rng, dtype, [.. shape, 2]))).Message);
    }

    [Fact]
    public void SelectV2PicksWithABroadcastCondition()
    {
        var rng = new Random(3);
        var cond = Nd.Random(rng, DType.Bool, 3, 1);
        var x = Nd.Random(rng, DType.Float32, 3, 4);
        var y = Nd.Random(rng, DType.Float32, 4);
        Same(Nd.Build([3, 4], i => cond[i[0], 0] != 0 ? x[i] : y[i[1]]), Run("SelectV2", null, F(cond), F(x), F(y)));
    }

    public static TheoryData<string> UnaryCases() => new() { "Sqrt", "Rsqrt", "Square", "Exp", "Log", "Neg", "Abs", "Floor", "Ceil", "Round", "Reciprocal" };

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryOpsMatchTheirDefinitions(string op)
    {
        var rng = new Random(op.Length * 31);
        for (int trial = 0; trial < 4; trial++)
        {
            var x = Nd.Random(rng, DType.Float32, Shapes.Random(rng, 0, 4));
            if (op is "Sqrt" or "Rsqrt" or "Log") x = x with { Data = x.Data.Select(v => Math.Abs(v) + 0.01).ToArray() };
            var expected = x with
            {
                Data = x.Data.Select(v => op switch
                {
                    "Sqrt" => Math.Sqrt(v),
                    "Rsqrt" => 1 / Math.Sqrt(v),
                    "Square" => v * v,
                    "Exp" => Math.Exp(v),
                    "Log" => Math.Log(v),
                    "Neg" => -v,
                    "Abs" => Math.Abs(v),
                    "Floor" => Math.Floor(v),
                    "Ceil" => Math.Ceiling(v),
                    "Round" => Math.Round(v, MidpointRounding.ToEven),
                    _ => 1 / v,
                }).ToArray(),
            };
            Same(expected, Run(op, null, F(x)), 2e-6);
        }
        if (op is "Neg" or "Abs" or "Square")
        {
            var i = Nd.Ints([4], -3, 0, 2, -9);
            Same(i with { Data = i.Data.Select(v => op == "Neg" ? -v : op == "Abs" ? Math.Abs(v) : v * v).ToArray() }, Run(op, null, F(i)));
        }
    }

    [Theory]
    [InlineData(DType.Float32, "DT_INT32")]
    [InlineData(DType.Float32, "DT_INT64")]
    [InlineData(DType.Float32, "DT_BOOL")]
    [InlineData(DType.Int32, "DT_FLOAT")]
    [InlineData(DType.Bool, "DT_FLOAT")]
    [InlineData(DType.Int64, "int32")]
    public void CastConvertsAsTF(DType from, string to)
    {
        var rng = new Random(11);
        var x = Nd.Random(rng, from, 3, 5);
        if (from == DType.Float32) x = x with { Data = x.Data.Select(v => v * 3).Select(v => (double)(float)v).ToArray() };
        var target = to switch { "DT_INT32" or "int32" => DType.Int32, "DT_INT64" => DType.Int64, "DT_BOOL" => DType.Bool, _ => DType.Float32 };
        // Float to integer truncates toward zero; anything to bool is x != 0.
        var expected = new Nd(x.Shape, x.Data.Select(v => target == DType.Bool ? (v != 0 ? 1 : 0) : target == DType.Float32 ? v : Math.Truncate(v)).ToArray(), target);
        Same(expected, Run("Cast", new() { ["DstT"] = to, ["SrcT"] = "DT_FLOAT" }, F(x)));
    }

    [Fact]
    public void CastToATypeShikakuHasNotIsRefusedByName() =>
        Assert.Contains("DT_STRING", Fails("Cast", new() { ["DstT"] = "DT_STRING" }, F(Nd.Floats([1], 1))).Message);

    [Theory]
    [InlineData(new[] { 2, 3, 3, 4 }, new[] { 4 })]        // one slope per channel
    [InlineData(new[] { 2, 3, 3, 4 }, new[] { 1, 1, 4 })]  // TF.js's [1, 1, C]
    [InlineData(new[] { 2, 3, 3, 4 }, new[] { 3, 3, 4 })]  // Keras' default: a slope per position
    [InlineData(new[] { 2, 4, 3, 3 }, new[] { 1, 4, 1, 1 })] // any broadcast (NCHW slopes)
    [InlineData(new[] { 5 }, new[] { 5 })]
    [InlineData(new[] { 3, 2 }, new int[0])]                 // one slope for all
    public void PreluBroadcastsItsSlopes(int[] xShape, int[] alphaShape)
    {
        var rng = new Random(xShape.Sum() * 7 + alphaShape.Length);
        var x = Nd.Random(rng, DType.Float32, xShape);
        var alpha = Nd.Random(rng, DType.Float32, alphaShape);
        var shape = Shapes.Broadcast(xShape, alphaShape);
        var expected = Nd.Build(shape, i => Shapes.Read(x, i) > 0 ? Shapes.Read(x, i) : (float)(Shapes.Read(alpha, i) * Shapes.Read(x, i)));
        Same(expected, Run("Prelu", null, F(x), C(alpha)));
    }

    [Theory]
    [InlineData("Relu")]
    [InlineData("Relu6")]
    [InlineData("LeakyRelu")]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    public void ActivationsMatchTheirDefinitions(string op)
    {
        var x = Nd.Random(new Random(5), DType.Float32, 3, 7);
        x = x with { Data = x.Data.Select(v => v * 4).ToArray() };
        var attributes = op == "LeakyRelu" ? new Attributes { ["alpha"] = 0.1f } : null;
        var expected = x with
        {
            Data = x.Data.Select(v => op switch
            {
                "Relu" => Math.Max(v, 0),
                "Relu6" => Math.Clamp(v, 0, 6),
                "LeakyRelu" => v > 0 ? v : 0.1 * v, // nanodet's alpha (TF's default is 0.2)
                "Sigmoid" => 1 / (1 + Math.Exp(-v)),
                _ => Math.Tanh(v),
            }).ToArray(),
        };
        Same(expected, Run(op, attributes, F(x)), 1e-5);
        if (op == "LeakyRelu") Same(x with { Data = x.Data.Select(v => v > 0 ? v : 0.2 * v).ToArray() }, Run(op, null, F(x)), 1e-6);
    }
}
