using DeepSeekSharp.Training;

namespace DeepSeekSharp.Tests;

/// <summary>The training GEMMs against plain loops (odd shapes for every tail), and the same bits on 1 or 2 threads.</summary>
public class TrainingGemmTests
{
    private static float[] Random(int n, ulong seed)
    {
        var r = new TrainRng(seed);
        return Enumerable.Range(0, n).Select(_ => (float)r.NextNormal()).ToArray();
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 13, 21)]
    [InlineData(64, 300, 128)]
    [InlineData(66, 70, 531)]
    public void MatchPlainLoops(int M, int N, int K)
    {
        var x = Random(M * K, 1); var w = Random(N * K, 2); var dy = Random(M * N, 3);
        var y = new float[M * N];
        Gemm.Forward(x, w, y, M, N, K);
        var dx = Random(M * K, 4); var dx0 = (float[])dx.Clone();
        Gemm.AccumulateInput(dy, w, dx, M, N, K);
        var dw = Random(N * K, 5); var dw0 = (float[])dw.Clone();
        Gemm.AccumulateWeight(dy, x, dw, M, N, K);
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++)
            {
                double s = 0;
                for (int k = 0; k < K; k++) s += (double)x[m * K + k] * w[n * K + k];
                Assert.True(Math.Abs(s - y[m * N + n]) <= 1e-4 * Math.Sqrt(K), $"y[{m},{n}] {y[m * N + n]} vs {s}");
            }
        for (int m = 0; m < M; m++)
            for (int k = 0; k < K; k++)
            {
                double s = dx0[m * K + k];
                for (int n = 0; n < N; n++) s += (double)dy[m * N + n] * w[n * K + k];
                Assert.True(Math.Abs(s - dx[m * K + k]) <= 1e-4 * Math.Sqrt(N), $"dx[{m},{k}] {dx[m * K + k]} vs {s}");
            }
        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++)
            {
                double s = dw0[n * K + k];
                for (int m = 0; m < M; m++) s += (double)dy[m * N + n] * x[m * K + k];
                Assert.True(Math.Abs(s - dw[n * K + k]) <= 1e-4 * Math.Sqrt(M), $"dw[{n},{k}] {dw[n * K + k]} vs {s}");
            }
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        int M = 130, N = 1000, K = 96;
        var x = Random(M * K, 1); var w = Random(N * K, 2); var dy = Random(M * N, 3);
        float[] Run(int threads)
        {
            int keep = Gemm.Threads;
            Gemm.Threads = threads;
            try
            {
                var y = new float[M * N]; var dx = new float[M * K]; var dw = new float[N * K];
                Gemm.Forward(x, w, y, M, N, K);
                Gemm.AccumulateInput(dy, w, dx, M, N, K);
                Gemm.AccumulateWeight(dy, x, dw, M, N, K);
                return y.Concat(dx).Concat(dw).ToArray();
            }
            finally { Gemm.Threads = keep; }
        }
        Assert.Equal(Run(1), Run(4));
    }
}
