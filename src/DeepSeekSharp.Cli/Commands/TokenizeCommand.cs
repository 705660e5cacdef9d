using System.CommandLine;
using System.Globalization;
using DeepSeekSharp.Tokenization;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>
/// <c>dss tokenize (--tokenizer DIR | --model DIR) (--text TEXT | --decode 1,2,3) [--add-special-tokens]</c>:
/// prints the ids of a text as a JSON array, or the text of ids.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizerDir = new Option<string>("--tokenizer") { Description = "folder with tokenizer.json and tokenizer_config.json" };
        var modelDir = new Option<string>("--model") { Description = "model folder (its tokenizer files are used)" };
        var text = new Option<string>("--text") { Description = "text to encode; prints the ids as a JSON array" };
        var decode = new Option<string>("--decode") { Description = "comma-separated ids to decode; prints the text" };
        var addSpecial = new Option<bool>("--add-special-tokens") { Description = "add BOS/EOS as tokenizer_config.json says" };
        var skipSpecial = new Option<bool>("--skip-special-tokens") { Description = "leave special tokens out of decoded text" };

        var cmd = new Command("tokenize", "encode text to token ids, or decode ids to text, with a Hugging Face tokenizer.json");
        foreach (var o in new Option[] { tokenizerDir, modelDir, text, decode, addSpecial, skipSpecial }) cmd.Options.Add(o);
        cmd.SetGuardedAction(parse =>
        {
            string dir = parse.GetValue(tokenizerDir) ?? parse.GetValue(modelDir)
                ?? throw new DssException("give --tokenizer DIR or --model DIR");
            string? input = parse.GetValue(text);
            string? ids = parse.GetValue(decode);
            if ((input is null) == (ids is null)) throw new DssException("give exactly one of --text TEXT or --decode 1,2,3");

            var tokenizer = HfTokenizer.Load(dir);
            if (input is not null)
            {
                int[] encoded = tokenizer.Encode(input, parse.GetValue(addSpecial));
                Console.Out.WriteLine("[" + string.Join(",", encoded) + "]");
            }
            else
            {
                Console.Out.WriteLine(tokenizer.Decode(ParseIds(ids!, tokenizer.VocabSize), parse.GetValue(skipSpecial)));
            }
            return 0;
        });
        return cmd;
    }

    internal static int[] ParseIds(string list, int vocabSize)
    {
        var parts = list.Trim().Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 0 || ids[i] >= vocabSize)
                throw new DssException($"--decode: '{parts[i]}' is not a token id (0..{vocabSize - 1})");
        }
        return ids;
    }
}
