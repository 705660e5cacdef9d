using System.Runtime.InteropServices;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Benchmarking;

/// <summary>What `dss init` writes: precision, seed, shard size.</summary>
public sealed record InitOptions(bool Fp8, ulong Seed = 0, long MaxShardBytes = 4L << 30, bool Overwrite = false);

/// <summary>
/// Writes a randomly initialised checkpoint of a config in the released Hugging Face layout
/// (<see cref="CheckpointLayout"/>), streaming each tensor in 1 MiB pieces so no buffer grows with the model.
/// Values: projections N(0, 1/sqrt(fan_in)) (so activations keep their scale through the layers), router and head
/// N(0, 1/sqrt(dim)), embeddings N(0, 1), norms 1, e_score_correction_bias 0. FP8 projections store E4M3 codes of
/// N(0, 64) with per-block scale_inv = std / 64 x a block factor in [0.75, 1.25), so block scales differ as in a
/// real checkpoint. Deterministic for a seed: each tensor has its own stream seeded from the seed and its name.
/// </summary>
public static class RandomCheckpoint
{
    private const int Piece = 1 << 20;
    private const float CodeStd = 64f;

    /// <summary>Writes config.json and the tensors into dir; returns the shard file names. progress receives bytes written.</summary>
    public static IReadOnlyList<string> Write(string dir, string configJson, InitOptions options, Action<long>? progress = null)
    {
        var config = ModelConfig.Parse(configJson, "config.json");
        if (options.Fp8 && config.QuantizationConfig is null)
            throw new DssException("an FP8 checkpoint needs quantization_config in its config.json");
        var entries = Entries(config, options, progress);
        var extra = new Dictionary<string, ReadOnlyMemory<byte>> { ["config.json"] = System.Text.Encoding.UTF8.GetBytes(configJson) };
        return ShardedCheckpointWriter.Write(dir, entries, options.MaxShardBytes, new Dictionary<string, string> { ["format"] = "pt" }, extra, options.Overwrite);
    }

    /// <summary>Total bytes of tensor data a config's checkpoint holds.</summary>
    public static long TotalBytes(ModelConfig config, bool fp8) => CheckpointLayout.Tensors(config, fp8).Sum(t => t.ByteLength);

    /// <summary>The streaming safetensors entries of the checkpoint.</summary>
    public static IEnumerable<SafetensorsEntry> Entries(ModelConfig config, InitOptions options, Action<long>? progress = null)
    {
        foreach (var t in CheckpointLayout.Tensors(config, options.Fp8))
        {
            var plan = t;
            yield return new SafetensorsEntry(t.Name, t.DType, t.Shape, s => WriteTensor(s, plan, config, options.Seed, progress));
        }
    }

    private static float StdOf(PlannedTensor t, ModelConfig c) => t.Role switch
    {
        TensorRole.Projection => 1f / MathF.Sqrt(t.FanIn),
        TensorRole.Router or TensorRole.Head => 1f / MathF.Sqrt(c.HiddenSize),
        _ => 1f,
    };

    private static void WriteTensor(Stream s, PlannedTensor t, ModelConfig c, ulong seed, Action<long>? progress)
    {
        byte[] buf = new byte[Piece];
        ulong state = InitDistribution.SeedFor(seed, t.Name);
        long left = t.ElementCount;
        int size = DTypes.SizeOf(t.DType);
        ushort[]? bf16 = t.DType == DType.BF16 && t.Role != TensorRole.Norm ? InitDistribution.Bf16Table(StdOf(t, c)) : null;
        byte[]? fp8 = t.DType == DType.F8_E4M3 ? InitDistribution.Fp8Table(CodeStd) : null;
        long index = 0;
        while (left > 0)
        {
            int n = (int)Math.Min(left, Piece / size);
            var bytes = buf.AsSpan(0, n * size);
            switch (t.Role)
            {
                case TensorRole.Norm:
                    MemoryMarshal.Cast<byte, ushort>(bytes).Fill(BFloat16.FromSingle(1f));
                    break;
                case TensorRole.RouterBias:
                    bytes.Clear();
                    break;
                case TensorRole.Scale:
                    FillScales(MemoryMarshal.Cast<byte, float>(bytes), index, t, seed);
                    break;
                default:
                    if (fp8 is not null) InitDistribution.Fill(bytes, fp8, ref state);
                    else InitDistribution.Fill(MemoryMarshal.Cast<byte, ushort>(bytes), bf16, ref state);
                    break;
            }
            s.Write(bytes);
            progress?.Invoke(bytes.Length);
            left -= n;
            index += n;
        }
    }

    /// <summary>scale_inv values [index, index + dst.Length) of a scale tensor: std(weight) / 64 x a per-block factor.</summary>
    private static void FillScales(Span<float> dst, long index, PlannedTensor scale, ulong seed)
    {
        float baseScale = 1f / MathF.Sqrt(scale.FanIn) / CodeStd;
        ulong s0 = InitDistribution.SeedFor(seed, scale.Name);
        for (int i = 0; i < dst.Length; i++)
        {
            ulong st = s0 + (ulong)(index + i) * 0x9E3779B97F4A7C15UL;
            double u = (InitDistribution.SplitMix64(ref st) >> 11) * (1.0 / (1UL << 53));
            dst[i] = baseScale * (float)(0.75 + 0.5 * u);
        }
    }
}
