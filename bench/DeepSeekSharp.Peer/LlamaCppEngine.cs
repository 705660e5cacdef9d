using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;

namespace DeepSeekSharp.Peer;

/// <summary>llama.cpp through LLamaSharp's low-level API: token ids in, logits out (no sampler, no tokenizer).</summary>
public sealed class LlamaCppEngine : IStepEngine
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _ctx;
    private readonly LLamaBatch _batch = new();
    private int _pos;

    public string Name => "llama.cpp";
    public int VocabSize { get; }
    public int Threads { get; }

    private LlamaCppEngine(LLamaWeights weights, ModelParams p, LLamaContext ctx)
    {
        _weights = weights;
        _ctx = ctx;
        Threads = p.Threads ?? 0;
        VocabSize = weights.Vocab.Count;
    }

    /// <summary>
    /// Loads a GGUF file. The KV cache is F32 by default (llama.cpp's own default is F16) so an F32 export can be
    /// compared with our F32 latent cache; batch = context so a whole prompt is one decode call. flashAttention null:
    /// llama.cpp's auto.
    /// </summary>
    public static LlamaCppEngine Load(string gguf, int threads, int contextSize, bool? flashAttention = null, bool f32Cache = true)
    {
        LlamaCppNative.EnsureLoaded();
        var kv = f32Cache ? GGMLType.GGML_TYPE_F32 : GGMLType.GGML_TYPE_F16;
        var p = new ModelParams(gguf)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            UBatchSize = (uint)contextSize,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            TypeK = kv,
            TypeV = kv,
            FlashAttention = flashAttention,
        };
        LLamaWeights weights;
        try
        {
            weights = LLamaWeights.LoadFromFile(p);
        }
        catch (Exception e) when (e is LoadWeightsFailedException or RuntimeError)
        {
            throw new DssException($"llama.cpp could not load {gguf}: {e.Message}\n{LlamaCppNative.TakeLog()}");
        }
        try
        {
            return new LlamaCppEngine(weights, p, weights.CreateContext(p));
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public float[] Prefill(ReadOnlySpan<int> prompt)
    {
        _ctx.NativeHandle.MemoryClear(true);
        _pos = 0;
        return Run(prompt);
    }

    public float[] Step(int token) => Run(new[] { token });

    private float[] Run(ReadOnlySpan<int> tokens)
    {
        _batch.Clear();
        for (int i = 0; i < tokens.Length; i++) _batch.Add(tokens[i], _pos + i, LLamaSeqId.Zero, i == tokens.Length - 1);
        var r = _ctx.NativeHandle.Decode(_batch);
        if (r != DecodeResult.Ok) throw new DssException($"llama.cpp decode failed: {r}\n{LlamaCppNative.TakeLog()}");
        _pos += tokens.Length;
        return _ctx.NativeHandle.GetLogitsIth(_batch.TokenCount - 1).ToArray();
    }

    public void Dispose()
    {
        _ctx.Dispose();
        _weights.Dispose();
    }
}
