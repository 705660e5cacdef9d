using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Modeling;
using DeepSeekSharp.Training;

namespace DeepSeekSharp.Tests;

/// <summary>MTP against the fixture logits, and the MTP and balance-loss gradients against finite differences.</summary>
public class TrainingGradientCheckTests
{
    [Theory]
    [InlineData("p0")]
    [InlineData("p1")]
    [InlineData("p2")]
    public void MtpLogitsMatchReference(string prompt)
    {
        string dir = Fixtures.Dir("v3-tiny");
        var p = ParameterInit.LoadCheckpoint(dir, includeMtp: true);
        Assert.True(p.HasMtp);
        var m = new TrainModel(p);
        using var r = SafetensorsFile.Open(Path.Combine(dir, "reference.safetensors"));
        var ids = r.ReadI32($"{prompt}.input_ids");
        var main = new float[ids.Length * p.Config.VocabSize];
        var mtp = new float[(ids.Length - 1) * p.Config.VocabSize];
        m.Run(ids, new LossScales(1, 0.3f, 0), backward: false, main, mtp);
        ForwardFixtureTests.AssertClose(r.ReadF32($"{prompt}.logits"), main, $"{prompt} logits");
        ForwardFixtureTests.AssertClose(r.ReadF32($"{prompt}.mtp_logits"), mtp, $"{prompt} mtp_logits");
    }

    internal static ParameterSet RandomTiny(bool mtp, ulong seed, double std = 0.15)
    {
        var c = ModelConfig.Load(Fixtures.Dir("v3-tiny"));
        return ParameterInit.Random(c, mtp, seed, std);
    }

    private static int[] RandomIds(int n, int vocab, ulong seed)
    {
        var rng = new TrainRng(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextInt(vocab)).ToArray();
    }

    private static double Objective(TrainModel m, int[] ids, LossScales s, out string routing)
    {
        var l = m.Run(ids, s, backward: false);
        routing = string.Join("|", m.MoeLayers.Select(x => string.Join(",", x.Counts)));
        return s.Main * l.Main + s.Mtp * l.Mtp + l.Balance;
    }

    /// <summary>
    /// Central differences on the entries of largest gradient of each named tensor. The expert choice is piecewise
    /// constant, so an entry whose perturbation changes the routing counts is skipped (the loss jumps there).
    /// </summary>
    private static void CheckAgainstFiniteDifferences(TrainModel m, int[] ids, LossScales s, string[] names, int entries = 3, float eps = 2e-3f)
    {
        var p = m.Params;
        Objective(m, ids, s, out string baseRouting);
        m.ZeroGrad();
        m.Run(ids, s, backward: true);
        foreach (var name in names)
        {
            var g = p.Gradient(name).ToArray();
            double gmax = g.Max(v => Math.Abs(v));
            Assert.True(gmax > 0, $"{name}: gradient is all zero");
            int checkedEntries = 0;
            foreach (int i in Enumerable.Range(0, g.Length).OrderByDescending(i => Math.Abs(g[i])).Take(4 * entries))
            {
                if (checkedEntries == entries) break;
                var w = p.Value(name);
                float keep = w[i];
                w[i] = keep + eps;
                double up = Objective(m, ids, s, out string r1);
                w = p.Value(name);
                w[i] = keep - eps;
                double down = Objective(m, ids, s, out string r2);
                p.Value(name)[i] = keep;
                if (r1 != baseRouting || r2 != baseRouting) continue;
                checkedEntries++;
                double fd = (up - down) / (2 * eps);
                Assert.True(Math.Abs(fd - g[i]) <= 0.03 * Math.Abs(g[i]) + 2e-4 * Math.Max(1, gmax),
                    $"{name}[{i}]: analytic {g[i]:E4}, finite difference {fd:E4}");
            }
            Assert.True(checkedEntries > 0, $"{name}: every perturbation changed the routing");
        }
    }

    [Fact]
    public void MtpLossGradientMatchesFiniteDifferences()
    {
        var p = RandomTiny(mtp: true, seed: 11);
        var m = new TrainModel(p);
        var ids = RandomIds(12, p.Config.VocabSize, 5);
        int L = p.Config.NumHiddenLayers;
        CheckAgainstFiniteDifferences(m, ids, new LossScales(0, 1, 0), new[]
        {
            HfNames.MtpEhProj(L), HfNames.MtpENorm(L), HfNames.MtpHNorm(L), HfNames.MtpHeadNorm(L), HfNames.Wo(L),
            HfNames.Head, HfNames.Embed, HfNames.Norm, HfNames.WkvA(0), HfNames.GateWeight(L),
        });
    }

    [Fact]
    public void BalanceLossGradientMatchesFiniteDifferences()
    {
        var p = RandomTiny(mtp: false, seed: 12, std: 0.3);
        var m = new TrainModel(p);
        var ids = RandomIds(16, p.Config.VocabSize, 6);
        var s = new LossScales(0, 0, 1f);
        Assert.True(m.Run(ids, s, backward: false).Balance > 0);
        CheckAgainstFiniteDifferences(m, ids, s, new[] { HfNames.GateWeight(1), HfNames.GateWeight(2), HfNames.FfnNorm(2), HfNames.WqB(1) });
    }
}
