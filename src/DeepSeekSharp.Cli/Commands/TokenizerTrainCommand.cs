using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DeepSeekSharp.Tokenization.Training;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// <c>dss tokenizer train --data PATH... --vocab-size N --out DIR [--min-frequency F] [--verify]</c>: trains a
/// byte-level BPE tokenizer with DeepSeek-V3's pre-tokenisation and writes tokenizer.json + tokenizer_config.json.
/// Progress goes to stderr, a one-line summary to stdout.
/// </summary>
internal static class TokenizerTrainCommand
{
    /// <summary>The <c>tokenizer</c> command group; <c>train</c> is its sub-command.</summary>
    public static Command CreateGroup()
    {
        var group = new Command("tokenizer", "tokenizer tools: train a byte-level BPE tokenizer");
        group.Subcommands.Add(Create());
        return group;
    }

    public static Command Create()
    {
        var data = new Option<string[]>("--data")
        {
            Description = "training text: UTF-8 files, or folders whose *.txt files are used (sorted by path)",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var vocabSize = new Option<int>("--vocab-size")
        {
            Description = $"vocabulary size including the {BpeSpecialTokens.All.Count} special tokens and 256 byte symbols",
            Required = true,
        };
        var outDir = new Option<string>("--out") { Description = "folder to write tokenizer.json and tokenizer_config.json into", Required = true };
        var minFrequency = new Option<long>("--min-frequency")
        {
            Description = "stop with an error if the best pair occurs fewer times than this before the vocab size is reached",
            DefaultValueFactory = _ => 2,
        };
        var verify = new Option<bool>("--verify")
        {
            Description = "load the written tokenizer, encode every training file and check it decodes back exactly",
        };

        var cmd = new Command("train", "train a deterministic byte-level BPE tokenizer (DeepSeek-V3 pre-tokenisation) on text files");
        foreach (var o in new Option[] { data, vocabSize, outDir, minFrequency, verify }) cmd.Options.Add(o);
        cmd.SetGuardedAction(parse => Run(parse.GetValue(data)!, parse.GetValue(vocabSize), parse.GetValue(outDir)!,
            parse.GetValue(minFrequency), parse.GetValue(verify)));
        return cmd;
    }

    private static int Run(string[] data, int vocabSize, string outDir, long minFrequency, bool verify)
    {
        var err = Console.Error;
        var clock = Stopwatch.StartNew();
        var trainer = new BpeTrainer(new BpeTrainerOptions(vocabSize, minFrequency)
        {
            Progress = (done, wanted) => err.WriteLine(F($"merges {done}/{wanted} ({clock.Elapsed.TotalSeconds:F1} s)")),
        });
        var corpus = TrainingCorpus.Resolve(data);

        var counts = new PreTokenCounts();
        long chars = 0;
        foreach (string file in corpus.Files)
        {
            string text = TrainingCorpus.ReadText(file);
            chars += text.Length;
            counts.Add(text);
        }
        double countSeconds = clock.Elapsed.TotalSeconds;
        err.WriteLine(F($"counted {counts.Total} pre-tokens ({counts.Counts.Count} distinct) in {corpus.Files.Count} files, {chars} chars ({countSeconds:F1} s)"));

        var bpe = trainer.Train(counts);
        double trainSeconds = clock.Elapsed.TotalSeconds - countSeconds;
        TrainedTokenizerFiles.Write(bpe, outDir);
        double totalSeconds = clock.Elapsed.TotalSeconds;

        long tokens = bpe.TrainingTokens + counts.AddedTokenOccurrences;
        double perWord = counts.WhitespaceWords == 0 ? 0 : (double)tokens / counts.WhitespaceWords;
        Console.Out.WriteLine(F($"wrote {outDir}: vocab {bpe.VocabSize} ({bpe.Merges.Count} merges); training text {tokens} tokens, ") +
            F($"{counts.WhitespaceWords} words, {perWord:F4} tokens/word; count {countSeconds:F2} s, merges {trainSeconds:F2} s, total {totalSeconds:F2} s"));

        if (verify)
        {
            var check = Stopwatch.StartNew();
            long encoded = RoundTripCheck.Run(outDir, corpus);
            if (encoded != tokens)
                throw new DssException($"verify: the loaded tokenizer encodes the training text to {encoded} tokens, the trainer counted {tokens}");
            Console.Out.WriteLine(F($"verified: all {corpus.Files.Count} files round-trip; {encoded} tokens as the trainer counted ({check.Elapsed.TotalSeconds:F2} s)"));
        }
        return 0;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
