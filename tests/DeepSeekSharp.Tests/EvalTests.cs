using DeepSeekSharp.Evaluation;
using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Tests;

public class EvalTests
{
    [Fact]
    public void LossesMatchADirectComputation()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        int V = m.Config.VocabSize, seq = 8;
        var train = Enumerable.Repeat(5, 99).Append(7).ToArray();
        var val = Enumerable.Range(0, 2 * seq + 1).Select(i => 3 + i * 37 % 500).ToArray();
        var r = ValidationEvaluator.Evaluate(m, train, val, seq);
        Assert.Equal(2, r.Windows);
        Assert.Equal(2 * seq, r.Targets);

        double expected = 0, unigram = 0;
        for (int w = 0; w < 2; w++)
        {
            var input = val.AsSpan(w * seq, seq).ToArray();
            var logits = m.Forward(input, 0, m.NewCache(seq, CacheDType.F32));
            for (int i = 0; i < seq; i++)
            {
                var row = logits.AsSpan(i * V, V);
                double max = row.ToArray().Max(), sum = row.ToArray().Sum(x => Math.Exp(x - max));
                int target = val[w * seq + i + 1];
                expected += max + Math.Log(sum) - row[target];
                long c = train.Count(t => t == target);
                unigram += Math.Log((train.Length + (double)V) / (c + 1));
            }
        }
        Assert.Equal(expected / r.Targets, r.Loss, 5);
        Assert.Equal(unigram / r.Targets, r.UnigramLoss, 9);
        Assert.Equal(2 * (seq - 1), r.MtpPairs);
        Assert.InRange(r.MtpAgreement, 0, 1);

        // Expert load: recount the routing of the same windows through a capture.
        var moeLayers = m.Layers.Where(b => b.Moe is not null).Select(b => b.LayerId).ToArray();
        Assert.Equal(moeLayers, r.ExpertLoad.Select(e => e.Layer).ToArray());
        foreach (var l in moeLayers)
        {
            var counts = new long[m.Config.NRoutedExperts];
            for (int w = 0; w < 2; w++)
            {
                var cap = new ForwardCapture();
                m.Forward(val.AsSpan(w * seq, seq), 0, m.NewCache(seq, CacheDType.F32), capture: cap);
                foreach (var e in cap.TopkIdx[l]) counts[e]++;
            }
            var load = r.ExpertLoad.Single(e => e.Layer == l);
            Assert.Equal(counts.Max() / counts.Average(), load.MaxOverMean, 12);
            Assert.Equal(counts.Count(c => c == 0), load.UnusedExperts);
            Assert.Equal(2 * seq * m.Config.NumExpertsPerTok, counts.Sum());
        }
    }

    [Fact]
    public void TooLittleValidationIsAClearError()
    {
        using var m = Transformer.Load(Fixtures.Dir("v3-tiny"));
        var e = Assert.Throws<DssException>(() => ValidationEvaluator.Evaluate(m, new[] { 1, 2 }, new[] { 1, 2, 3 }, 8));
        Assert.Contains("fewer than one window", e.Message);
    }
}
