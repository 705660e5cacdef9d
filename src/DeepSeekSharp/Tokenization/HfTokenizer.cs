using System.Text;
using Microsoft.ML.Tokenizers;

namespace DeepSeekSharp.Tokenization;

/// <summary>
/// A Hugging Face byte-level BPE tokenizer (DeepSeek-V2/V3/R1) read from tokenizer.json and tokenizer_config.json.
/// Added tokens are matched in the text first; the rest is split by the Split regex sequence and encoded by
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> in byte-level mode. Decoding maps each id to its bytes.
/// </summary>
public sealed class HfTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly AddedTokenMatcher _addedMatcher;
    private readonly Dictionary<string, int> _tokenToId;
    private readonly string?[] _idToToken;   // (VocabSize) byte-level token text; null for unused ids
    private readonly byte[]?[] _idToBytes;   // (VocabSize) the bytes each id decodes to
    private readonly bool[] _isSpecial;      // (VocabSize) special added tokens, dropped by skipSpecialTokens

    public TokenizerConfig Config { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>One past the largest id the tokenizer knows (vocabulary and added tokens).</summary>
    public int VocabSize => _idToToken.Length;
    public string? BosToken => Config.BosToken;
    public string? EosToken => Config.EosToken;
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }
    /// <summary>The Jinja chat template of tokenizer_config.json, if it has one.</summary>
    public string? ChatTemplate => Config.ChatTemplate;

    private HfTokenizer(TokenizerJson json, TokenizerConfig config)
    {
        Config = config;
        AddedTokens = json.AddedTokens;
        _bpe = BpeTokenizer.Create(new BpeOptions(json.Vocab)
        {
            Merges = json.Merges,
            PreTokenizer = new SplitSequencePreTokenizer(json.SplitRegexes),
            ByteLevel = true,
        });
        _addedMatcher = new AddedTokenMatcher(json.AddedTokens);

        _tokenToId = new Dictionary<string, int>(json.Vocab, StringComparer.Ordinal);
        int size = json.Vocab.Count == 0 ? 0 : json.Vocab.Values.Max() + 1;
        foreach (var a in json.AddedTokens) size = Math.Max(size, a.Id + 1);
        _idToToken = new string?[size];
        _idToBytes = new byte[]?[size];
        _isSpecial = new bool[size];
        foreach (var (token, id) in json.Vocab)
        {
            _idToToken[id] = token;
            _idToBytes[id] = ByteLevelAlphabet.TokenToBytes(token);
        }
        foreach (var a in json.AddedTokens)
        {
            _tokenToId[a.Content] = a.Id;
            _idToToken[a.Id] = a.Content;
            _idToBytes[a.Id] = ByteLevelAlphabet.TokenToBytes(a.Content);
            _isSpecial[a.Id] = a.Special;
        }
        BosTokenId = config.BosToken is null ? null : TokenToId(config.BosToken);
        EosTokenId = config.EosToken is null ? null : TokenToId(config.EosToken);
    }

    /// <summary>Reads tokenizer.json and tokenizer_config.json from a folder (a tokenizer or a model folder).</summary>
    public static HfTokenizer Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DssException($"tokenizer folder not found: {dir}");
        string json = Path.Combine(dir, "tokenizer.json");
        string config = Path.Combine(dir, "tokenizer_config.json");
        if (!File.Exists(json)) throw new DssException($"{dir}: no tokenizer.json");
        if (!File.Exists(config)) throw new DssException($"{dir}: no tokenizer_config.json");
        return new HfTokenizer(TokenizerJson.Read(json), TokenizerConfig.Read(config));
    }

    /// <summary>
    /// Token ids of the text. Added tokens written in the text (e.g. "&lt;｜User｜&gt;") become their one id.
    /// With <paramref name="addSpecialTokens"/>, BOS/EOS are added as tokenizer_config.json's add_bos/eos_token say.
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addSpecialTokens && Config.AddBosToken && BosTokenId is int bos) ids.Add(bos);
        foreach (var (start, length, token) in _addedMatcher.Split(text))
        {
            if (token is not null) ids.Add(token.Id);
            else ids.AddRange(_bpe.EncodeToIds(text.AsSpan(start, length)));
        }
        if (addSpecialTokens && Config.AddEosToken && EosTokenId is int eos) ids.Add(eos);
        return [.. ids];
    }

    /// <summary>The text of the ids; bytes that are not valid UTF-8 become U+FFFD.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && IsSpecial(id)) continue;
            bytes.AddRange(TokenBytes(id));
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The raw bytes one id stands for (possibly part of a UTF-8 character).</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) =>
        (uint)id < (uint)_idToBytes.Length && _idToBytes[id] is { } b ? b
            : throw new DssException($"token id {id} is not in the vocabulary (size {VocabSize})");

    public bool IsSpecial(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    /// <summary>The vocabulary entry of an id (byte-level form, e.g. "Ġworld"), or null if the id is unused.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>The id of a vocabulary entry or added token, or null.</summary>
    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    /// <summary>A decoder that turns ids into text one at a time for streaming.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);
}
