namespace DeepSeekSharp.Training.Precision;

/// <summary>
/// A weight (N, K) as the low-precision GEMMs read it, made once per optimiser step: BF16-rounded values, or its
/// 128 x 128 block-quantised E4M3 codes with per-row block scales, and (lazily, for Dgrad) the same codes read
/// transposed, whose 128 x 128 blocks and scales are the same ones.
/// </summary>
internal sealed class QuantizedWeight
{
    public int Version;
    public float[]? Bf16;        // (N, K)
    public float[]? Codes;       // (N, Stride(K)) E4M3 values
    public float[]? RowScales;   // (N, Chunks(K)): scale of the block holding row n and chunk q
    public float[]? CodesT;      // (K, Stride(N)) transposed codes
    public float[]? RowScalesT;  // (K, Chunks(N))

    public void Quantize(ReadOnlySpan<float> w, int N, int K, Fp8ScaleFormat format)
    {
        int stride = Fp8Gemm.Stride(K), nq = Fp8Gemm.Chunks(K), br = Fp8Gemm.Chunks(N);
        if (Codes is null || Codes.Length != N * stride) Codes = new float[N * stride];
        if (RowScales is null || RowScales.Length != N * nq) RowScales = new float[N * nq];
        var blockScales = new float[br * nq]; // (ceil(N/128), ceil(K/128))
        BlockQuantizer.Quantize(w, N, K, Codes, stride, blockScales, format);
        for (int n = 0; n < N; n++) blockScales.AsSpan(n / BlockQuantizer.Block * nq, nq).CopyTo(RowScales.AsSpan(n * nq, nq));
        CodesT = null;
        RowScalesT = null;
    }

    /// <summary>Builds the transposed codes (K, Stride(N)) and their scales (K, Chunks(N)) from the codes.</summary>
    public void EnsureTransposed(int N, int K)
    {
        if (CodesT is not null) return;
        int stride = Fp8Gemm.Stride(K), nq = Fp8Gemm.Chunks(K), strideT = Fp8Gemm.Stride(N), nqT = Fp8Gemm.Chunks(N);
        var codes = Codes!; var rs = RowScales!;
        var ct = new float[K * strideT];
        var st = new float[K * nqT];
        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++) ct[k * strideT + n] = codes[n * stride + k];
        for (int k = 0; k < K; k++)
            for (int qn = 0; qn < nqT; qn++) st[k * nqT + qn] = rs[qn * BlockQuantizer.Block * nq + k / Fp8Gemm.Chunk];
        CodesT = ct;
        RowScalesT = st;
    }
}
