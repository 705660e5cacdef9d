namespace DeepSeekSharp.CostModel;

/// <summary>A machine for the decode roofline: memory bandwidth (GB/s) and dense compute (TFLOP/s) at the weights' math type.</summary>
/// <param name="ComputeTflops">null when unknown (for a measured machine): compute then does not bound the estimate.</param>
public sealed record HardwareProfile(string Name, string Description, double BandwidthGBps, double? ComputeTflops);

/// <summary>Built-in profiles with nominal spec-sheet figures (peaks; real kernels reach a fraction of them).</summary>
public static class HardwareProfiles
{
    public static IReadOnlyList<HardwareProfile> BuiltIn { get; } =
    [
        new("ktransformers-server", "the paper's ~$10k local server: 2 Xeon sockets of 8-channel DDR5-4800 (experts in DRAM) + 1 consumer GPU", 614.4, 100),
        new("dual-epyc-ddr5", "2 x AMD EPYC 9004, 12 channels DDR5-4800 each", 921.6, 40),
        new("mac-studio-m3-ultra", "Apple M3 Ultra, unified memory", 819, 28),
        new("rtx-4090", "NVIDIA RTX 4090, 24 GB GDDR6X (the model must fit)", 1008, 165),
        new("h800-server", "8 x NVIDIA H800 SXM (HBM3 3.35 TB/s and 989 dense BF16 TFLOP/s each), tensor-parallel", 8 * 3350, 8 * 989),
        new("gb200-nvl72", "72 x NVIDIA B200 in one NVLink domain (8 TB/s and 2.5 dense BF16 PFLOP/s each)", 72 * 8000, 72 * 2500),
    ];

    public static HardwareProfile Get(string name) =>
        BuiltIn.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new DssException($"unknown hardware profile '{name}' (built in: {string.Join(", ", BuiltIn.Select(p => p.Name))})");
}
