namespace DeepSeekSharp.CostModel;

/// <summary>Element types the cost model prices, with their storage size.</summary>
public enum StorageType { F32, BF16, FP8, Q4 }

public static class StorageTypes
{
    /// <summary>
    /// Bytes per element. FP8 includes DeepSeek-V3's one F32 scale per 128 x 128 block (4 / 16384 bytes);
    /// Q4 is 4.5 bits (4-bit values plus one FP16 scale per 32, as GGUF Q4_0).
    /// </summary>
    public static double Bytes(this StorageType t) => t switch
    {
        StorageType.F32 => 4,
        StorageType.BF16 => 2,
        StorageType.FP8 => 1 + 4.0 / (128 * 128),
        StorageType.Q4 => 4.5 / 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>Bytes per element of a KV cache: no block scales (the paper's Table 1 counts plain elements).</summary>
    public static double CacheBytes(this StorageType t) => t switch
    {
        StorageType.FP8 => 1,
        _ => t.Bytes(),
    };

    public static StorageType Parse(string s) => s.ToLowerInvariant() switch
    {
        "f32" or "fp32" or "float32" => StorageType.F32,
        "bf16" or "bfloat16" => StorageType.BF16,
        "fp8" or "f8" or "e4m3" => StorageType.FP8,
        "q4" or "int4" or "4bit" or "4-bit" => StorageType.Q4,
        _ => throw new DssException($"unknown element type '{s}' (f32, bf16, fp8, q4)"),
    };

    public static string Name(this StorageType t) => t.ToString().ToLowerInvariant();
}
