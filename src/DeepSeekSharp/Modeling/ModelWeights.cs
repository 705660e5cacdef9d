using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Modeling;

/// <summary>
/// Hands out the checkpoint's tensors in their stored dtype, with shapes checked against the config, and records
/// which tensors were used so `dss inspect` can list the ones it did not understand.
/// </summary>
public sealed unsafe class ModelWeights : IDisposable
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Checkpoint Checkpoint { get; }
    public ModelConfig Config { get; }

    public ModelWeights(Checkpoint checkpoint, ModelConfig config)
    {
        Checkpoint = checkpoint;
        Config = config;
    }

    public IReadOnlyCollection<string> Used => _used;

    public bool Has(string name) => Checkpoint.Contains(name);

    /// <summary>A [rows, cols] matrix as a zero-copy view (F32, BF16, or F8_E4M3 with its weight_scale_inv).</summary>
    public WeightView Matrix(string name, int rows, int cols)
    {
        var info = Checkpoint.Expect(name, rows, cols);
        var file = Checkpoint.FileOf(name);
        _used.Add(name);
        if (info.DType == DType.F8_E4M3)
        {
            string scaleName = name + HfNames.ScaleSuffix;
            int br = Config.QuantizationConfig?.BlockRows ?? 128;
            int bc = Config.QuantizationConfig?.BlockCols ?? 128;
            if (!Checkpoint.Contains(scaleName))
                throw new CheckpointFormatException(file.Path, name, $"F8_E4M3 weight without its '{scaleName}'");
            var sInfo = Checkpoint.Info(scaleName);
            long sr = (rows + br - 1) / br, sc = (cols + bc - 1) / bc;
            if (sInfo.DType != DType.F32 || !sInfo.Shape.SequenceEqual(new[] { sr, sc }))
                throw new CheckpointFormatException(Checkpoint.FileOf(scaleName).Path, scaleName,
                    $"expected F32 [{sr}, {sc}] block scales for a [{rows}, {cols}] weight with {br}x{bc} blocks, got {sInfo.DType} {sInfo.ShapeString}");
            _used.Add(scaleName);
            return new WeightView(DType.F8_E4M3, file.GetPointer(info), rows, cols, (float*)Checkpoint.FileOf(scaleName).GetPointer(sInfo), br, bc);
        }
        if (info.DType is not (DType.F32 or DType.BF16))
            throw new CheckpointFormatException(file.Path, name, $"weights of dtype {info.DType} are not supported (F32, BF16, F8_E4M3)");
        return new WeightView(info.DType, file.GetPointer(info), rows, cols);
    }

    /// <summary>A small vector (norm weight, bias) converted to F32.</summary>
    public float[] Vector(string name, int n)
    {
        Checkpoint.Expect(name, n);
        _used.Add(name);
        return Checkpoint.ReadF32(name);
    }

    public void Dispose() => Checkpoint.Dispose();
}
