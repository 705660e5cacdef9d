namespace DeepSeekSharp.Numerics;

/// <summary>The plain reference twin of <see cref="MatMul"/>: one dot product per output, F32 accumulation.</summary>
public static class MatMulScalar
{
    public static void Forward(in WeightView w, ReadOnlySpan<float> x, Span<float> y, int T)
    {
        var row = new float[w.Cols];
        for (int r = 0; r < w.Rows; r++)
        {
            w.ReadRow(r, row);
            for (int t = 0; t < T; t++)
            {
                var xt = x.Slice(t * w.Cols, w.Cols);
                float acc = 0;
                for (int c = 0; c < w.Cols; c++) acc += xt[c] * row[c];
                y[t * w.Rows + r] = acc;
            }
        }
    }
}
