using DeepSeekSharp.Inference;
using DeepSeekSharp.Modeling;

namespace DeepSeekSharp.Evaluation;

/// <summary>
/// Evaluates a model on a held-out token stream cut into windows of seq + 1 tokens (as the trainer's validation):
/// mean next-token cross-entropy, a unigram baseline from the training stream's counts (add-one smoothing) on the
/// same targets, top-1 accuracy, and for a model with an MTP module how often the MTP head's top-1 for the token
/// after next equals the main model's top-1 for that token (and the true token), and the expert load of each MoE
/// layer (tokens routed to each expert; max/mean over the split, 1.0 = perfectly even).
/// </summary>
public static class ValidationEvaluator
{
    public static ValidationReport Evaluate(Transformer model, ReadOnlySpan<int> train, ReadOnlySpan<int> validation, int seq,
        int maxWindows = int.MaxValue, IProgress<int>? progress = null)
    {
        if (seq < 3) throw new DssException($"--seq must be at least 3, got {seq}");
        int windows = Math.Min(maxWindows, (validation.Length - 1) / seq);
        if (windows < 1) throw new DssException($"the validation split has {validation.Length} tokens, fewer than one window of {seq + 1}");
        int V = model.Config.VocabSize, dim = model.Config.HiddenSize;

        // Unigram baseline: p(t) = (count(t) + 1) / (N + V) over the training stream.
        var counts = new long[V];
        foreach (var t in train)
        {
            if ((uint)t >= (uint)V) throw new DssException($"token id {t} is outside the model's vocabulary ({V})");
            counts[t]++;
        }
        double logDenominator = Math.Log(train.Length + (double)V);

        double loss = 0, unigram = 0;
        long targets = 0, mainHits = 0, mtpPairs = 0, mtpAgree = 0, mtpHits = 0;
        var mtp = model.Mtp.Length > 0 ? model.Mtp[0] : null;
        int E = model.Config.NRoutedExperts;
        var moeLayers = model.Layers.Where(b => b.Moe is not null).Select(b => b.LayerId).ToArray();
        var routed = moeLayers.ToDictionary(l => l, _ => new long[E]); // per MoE layer: tokens routed to each expert
        for (int w = 0; w < windows; w++)
        {
            var window = validation.Slice(w * seq, seq + 1);
            var input = window[..seq].ToArray();
            var hidden = new float[seq * dim]; // (seq, dim) after model.norm
            var capture = moeLayers.Length > 0 ? new ForwardCapture() : null;
            var logits = model.Forward(input, 0, model.NewCache(seq, CacheDType.F32), capture: capture, finalNorm: hidden); // (seq, V)
            if (capture is not null)
                foreach (var l in moeLayers)
                    foreach (var e in capture.TopkIdx[l]) routed[l][e]++;
            var top = new int[seq];
            for (int i = 0; i < seq; i++)
            {
                var row = logits.AsSpan(i * V, V);
                int target = window[i + 1];
                loss += LogSumExp(row) - row[target];
                unigram += logDenominator - Math.Log(counts[target] + 1.0);
                top[i] = Numerics.Ops.ArgMax(row);
                if (top[i] == target) mainHits++;
                targets++;
            }
            if (mtp is not null)
            {
                // MTP position i: (hidden[i], token[i+1]) -> token i+2, compared with the main model's top-1 at i+1.
                var cache = LatentCache.For(model.Config, seq, CacheDType.F32, layers: 1);
                var (mtpLogits, _) = mtp.Forward(input.AsSpan(1), hidden.AsSpan(0, (seq - 1) * dim), 0, cache.Layer(0));
                for (int i = 0; i < seq - 1; i++)
                {
                    int guess = Numerics.Ops.ArgMax(mtpLogits.AsSpan(i * V, V));
                    if (guess == top[i + 1]) mtpAgree++;
                    if (guess == window[i + 2]) mtpHits++;
                    mtpPairs++;
                }
            }
            progress?.Report(w + 1);
        }
        return new ValidationReport(windows, targets, loss / targets, unigram / targets, mtpPairs,
            mtpPairs > 0 ? (double)mtpAgree / mtpPairs : 0, mtpPairs > 0 ? (double)mtpHits / mtpPairs : 0, (double)mainHits / targets)
        {
            ExpertLoad = moeLayers.Select(l => new ExpertLoad(l, routed[l].Max() / routed[l].Average(), routed[l].Count(c => c == 0))).ToArray(),
        };
    }

    private static double LogSumExp(ReadOnlySpan<float> x)
    {
        float max = float.NegativeInfinity;
        foreach (var v in x) if (v > max) max = v;
        double sum = 0;
        foreach (var v in x) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

}
