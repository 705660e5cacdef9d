using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>Writes the FP8-vs-BF16 report: report.md, report.json and loss.svg, each atomically.</summary>
internal static class ExperimentReport
{
    public const string MarkdownFile = "report.md", JsonFile = "report.json", ChartFile = "loss.svg";
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static void Write(string dir, ExperimentResult r)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllBytes(Path.Combine(dir, ChartFile), Encoding.UTF8.GetBytes(ExperimentChart.Svg(r)));
        AtomicFile.WriteAllBytes(Path.Combine(dir, JsonFile), Json(r));
        AtomicFile.WriteAllBytes(Path.Combine(dir, MarkdownFile), Encoding.UTF8.GetBytes(Markdown(r)));
    }

    private static string Pct(double x) => (x * 100).ToString("+0.000;-0.000;0.000", Ci) + "%";

    public static string Markdown(ExperimentResult r)
    {
        var s = r.Summary; var o = r.Setup.Options; var c = r.Setup.Config;
        var sb = new StringBuilder();
        void L(string line = "") => sb.Append(line).Append('\n');
        L("# FP8 vs BF16 training (DeepSeek-V3's FP8 recipe)");
        L();
        L("DeepSeek-V3 reports that training with its FP8 recipe stays within 0.25% relative loss of BF16. This report trains the same model on the same data from the same seed in both precisions and compares the validation loss.");
        L();
        L("## Reproduce");
        L();
        L("```");
        L(r.Setup.CommandLine);
        L("```");
        L();
        L("## Setup");
        L();
        L(string.Create(Ci, $"- Model: hidden {c.HiddenSize}, {c.NumHiddenLayers} layers ({c.FirstKDenseReplace} dense), {c.NRoutedExperts} routed experts (top {c.NumExpertsPerTok}) + {c.NSharedExperts} shared, vocab {c.VocabSize}, {(r.Setup.Mtp && c.NumNextnPredictLayers > 0 ? "MTP depth 1" : "no MTP")}; {r.Runs[0].Parameters:N0} parameters."));
        L(string.Create(Ci, $"- Training: {o.Steps} steps of {o.Batch} x {o.Seq} tokens ({(long)o.Steps * o.Batch * o.Seq:N0} tokens), AdamW lr {o.Lr} (warm-up {o.WarmupSteps}, cosine to {o.MinLrRatio}x), MTP loss weight {o.MtpLambda}, balancing gamma {o.BiasGamma} / alpha {o.BalanceAlpha}, seeds {string.Join(", ", r.Setup.Seeds)}."));
        L(string.Create(Ci, $"- Validation: the same {o.EvalSequences} held-out windows for every run, every {o.EvalEvery} steps and at the end."));
        L("- BF16: the inputs of every GEMM rounded to BF16 (nearest even), F32 accumulation, F32 master weights and AdamW moments.");
        L(string.Create(Ci, $"- FP8: as BF16, but every linear layer of the decoder blocks (attention projections, dense MLP, experts, shared experts, MTP block) runs Fprop, Dgrad and Wgrad on E4M3 inputs with online {(o.Fp8Scales == Fp8ScaleFormat.Ue8m0 ? "power-of-two (UE8M0)" : "F32")} scales (activations and output gradients per 1x128 tile, weights per 128x128 block) and a 14-bit tensor-core accumulator promoted to F32 every 128 products; AdamW moments stored in BF16. Embedding, output head, router, norms, attention core and loss as in BF16."));
        L();
        L("## Result");
        L();
        L("| seed | BF16 val loss | FP8 val loss | gap (FP8-BF16)/BF16 | gap, both evaluated with F32 GEMMs | BF16 tokens/s | FP8 tokens/s |");
        L("| --- | --- | --- | --- | --- | --- | --- |");
        var bf = r.Runs.Where(x => x.Precision == TrainPrecision.Bf16).OrderBy(x => x.Seed).ToArray();
        var fp = r.Runs.Where(x => x.Precision == TrainPrecision.Fp8).OrderBy(x => x.Seed).ToArray();
        for (int i = 0; i < bf.Length; i++)
            L(string.Create(Ci, $"| {bf[i].Seed} | {bf[i].FinalVal:F4} | {fp[i].FinalVal:F4} | {Pct(s.Gaps[i])} | {Pct((fp[i].FinalValF32 - bf[i].FinalValF32) / bf[i].FinalValF32)} | {bf[i].TokensPerSecond:F0} | {fp[i].TokensPerSecond:F0} |"));
        L(string.Create(Ci, $"| mean | {s.Bf16Mean:F4} | {s.Fp8Mean:F4} | {Pct(s.GapMean)} | {Pct(s.GapF32EvalMean)} | {s.Bf16TokensPerSecond:F0} | {s.Fp8TokensPerSecond:F0} |"));
        L();
        if (r.Setup.Seeds.Length > 1)
        {
            L(string.Create(Ci, $"- Relative gap: mean {Pct(s.GapMean)}, standard deviation over seeds {s.GapStd * 100:F3}%, range {Pct(s.GapMin)} to {Pct(s.GapMax)}."));
            L(string.Create(Ci, $"- Seed-to-seed spread of BF16 itself (relative standard deviation of its final validation loss): {s.Bf16SeedSpread * 100:F3}%."));
        }
        else
            L(string.Create(Ci, $"- Relative gap: {Pct(s.GapMean)} (one seed: no spread over seeds; run --seeds 2 or more for it)."));
        L($"- Within DeepSeek-V3's 0.25%: **{(s.WithinClaim ? "yes" : "no")}**. Within the seed spread: **{(s.Gaps.Length < 2 ? "n/a (one seed)" : s.WithinSeedSpread ? "yes" : "no")}**.");
        L(s.ValDivergeStep is int vd
            ? $"- The validation curves diverge (mean gap above 0.25% from then on) at step {vd}."
            : "- The validation curves do not diverge: the mean gap is within 0.25% at the last evaluation.");
        L(s.TrainDivergeStep is int td
            ? string.Create(Ci, $"- The training-loss curves (moving average over {s.SmoothWindow} steps, mean over seeds) stay more than 0.25% apart from step {td}.")
            : string.Create(Ci, $"- The training-loss curves (moving average over {s.SmoothWindow} steps, mean over seeds) end within 0.25% of each other."));
        L(string.Create(Ci, $"- Throughput: FP8 ran at {s.Fp8TokensPerSecond / s.Bf16TokensPerSecond:F2}x the tokens/s of BF16. This CPU has no FP8 or BF16 arithmetic: both are emulated (rounding and quantising around F32 products), so FP8 is slower here; the figure measures the emulation, not the recipe. The machine was shared, so tokens/s are noisy."));
        L(string.Create(Ci, $"- How flat the curve got: the BF16 training loss (moving average) fell {s.Bf16LastFifthDrop * 100:F2}% over the last fifth of the run."));
        L();
        L("Validation gap at each evaluation (mean over seeds):");
        L();
        L("| step | " + string.Join(" | ", s.EvalSteps) + " |");
        L("| --- |" + string.Concat(s.EvalSteps.Select(_ => " --- |")));
        L("| gap | " + string.Join(" | ", s.ValGapByEval.Select(Pct)) + " |");
        L();
        L($"![loss curves]({ChartFile})");
        L();
        L($"Data: [{JsonFile}]({JsonFile}) (every run's per-step training loss and validation points).");
        return sb.ToString();
    }

    public static byte[] Json(ExperimentResult r)
    {
        var s = r.Summary; var o = r.Setup.Options;
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("command", r.Setup.CommandLine);
            w.WriteNumber("steps", o.Steps);
            w.WriteNumber("batch", o.Batch);
            w.WriteNumber("seq", o.Seq);
            w.WriteNumber("lr", o.Lr);
            w.WriteNumber("eval_sequences", o.EvalSequences);
            w.WriteNumber("mtp_lambda", o.MtpLambda);
            w.WriteNumber("bias_gamma", o.BiasGamma);
            w.WriteNumber("balance_alpha", o.BalanceAlpha);
            w.WriteString("fp8_scales", o.Fp8Scales == Fp8ScaleFormat.Ue8m0 ? "ue8m0" : "float");
            w.WriteNumber("parameters", r.Runs[0].Parameters);
            w.WriteStartObject("summary");
            w.WriteNumber("bf16_val_loss_mean", s.Bf16Mean);
            w.WriteNumber("fp8_val_loss_mean", s.Fp8Mean);
            w.WriteNumber("relative_gap_mean", s.GapMean);
            w.WriteNumber("relative_gap_std", s.GapStd);
            w.WriteNumber("relative_gap_min", s.GapMin);
            w.WriteNumber("relative_gap_max", s.GapMax);
            w.WriteNumber("relative_gap_f32_eval_mean", s.GapF32EvalMean);
            w.WriteNumber("bf16_seed_spread", s.Bf16SeedSpread);
            w.WriteBoolean("within_0_25_percent", s.WithinClaim);
            w.WriteBoolean("within_seed_spread", s.WithinSeedSpread);
            if (s.ValDivergeStep is int vd) w.WriteNumber("val_diverge_step", vd); else w.WriteNull("val_diverge_step");
            if (s.TrainDivergeStep is int td) w.WriteNumber("train_diverge_step", td); else w.WriteNull("train_diverge_step");
            w.WriteNumber("bf16_tokens_per_s", s.Bf16TokensPerSecond);
            w.WriteNumber("fp8_tokens_per_s", s.Fp8TokensPerSecond);
            w.WriteNumber("bf16_train_loss_drop_last_fifth", s.Bf16LastFifthDrop);
            w.WriteEndObject();
            w.WriteStartArray("runs");
            foreach (var run in r.Runs)
            {
                w.WriteStartObject();
                w.WriteNumber("seed", run.Seed);
                w.WriteString("precision", run.Precision.Name());
                w.WriteNumber("final_val_loss", run.FinalVal);
                w.WriteNumber("final_val_loss_f32_eval", run.FinalValF32);
                w.WriteNumber("tokens_per_s", run.TokensPerSecond);
                w.WriteNumber("train_seconds", run.Seconds);
                w.WriteStartArray("val");
                foreach (var (step, loss) in run.ValLoss)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(step);
                    w.WriteNumberValue(loss);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteStartArray("train_loss");
                foreach (var v in run.TrainLoss) w.WriteNumberValue(Math.Round(v, 5));
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
