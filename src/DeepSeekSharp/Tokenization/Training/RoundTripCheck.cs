namespace DeepSeekSharp.Tokenization.Training;

/// <summary>
/// Loads a written tokenizer with <see cref="HfTokenizer"/> and encodes the training files with it: every file must
/// decode back to its exact text. Returns the token count, which must equal the trainer's own count of the training
/// text (its segmentation of every pre-token), so the loader's BPE and the trainer agree.
/// </summary>
public static class RoundTripCheck
{
    public static long Run(string tokenizerDir, TrainingCorpus corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var tokenizer = HfTokenizer.Load(tokenizerDir);
        long tokens = 0;
        foreach (string file in corpus.Files)
        {
            string text = TrainingCorpus.ReadText(file);
            int[] ids = tokenizer.Encode(text);
            tokens += ids.Length;
            string back = tokenizer.Decode(ids);
            if (back != text)
            {
                int at = 0;
                while (at < Math.Min(back.Length, text.Length) && back[at] == text[at]) at++;
                throw new DssException($"{file}: the trained tokenizer does not round-trip (first difference at char {at})");
            }
        }
        return tokens;
    }
}
