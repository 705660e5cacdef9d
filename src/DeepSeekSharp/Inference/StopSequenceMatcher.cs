using System.Text;

namespace DeepSeekSharp.Inference;

/// <summary>What a <see cref="StopSequenceMatcher"/> lets out for one streamed piece.</summary>
/// <param name="Text">Text safe to emit now (never any part of a stop string).</param>
/// <param name="Stopped">True once a stop string was hit; <paramref name="Text"/> then ends right before it.</param>
/// <param name="StopString">The stop string that was hit, or null.</param>
public readonly record struct StopMatch(string Text, bool Stopped, string? StopString);

/// <summary>
/// Finds stop strings in streamed text. <see cref="Push"/> returns what can be shown now and holds back the
/// longest tail that could still begin a stop string, so a stop string split over several pieces is caught and
/// never shown. When several stop strings match, the one starting first wins (then the shortest).
/// At the end of a stream without a stop, <see cref="Flush"/> returns the held-back tail. Matching is ordinal.
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _held = new();

    public StopSequenceMatcher(IEnumerable<string> stopStrings)
    {
        ArgumentNullException.ThrowIfNull(stopStrings);
        _stops = [.. stopStrings];
        foreach (string s in _stops)
            if (string.IsNullOrEmpty(s)) throw new DssException("sampling: stop strings must not be empty");
    }

    public IReadOnlyList<string> StopStrings => _stops;

    /// <summary>True after a stop string was hit; further pieces are ignored.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Text currently held back (a possible start of a stop string).</summary>
    public string Pending => _held.ToString();

    /// <summary>Consume the next piece of text.</summary>
    public StopMatch Push(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (Stopped) return new StopMatch("", true, null);
        if (_stops.Length == 0) return new StopMatch(piece, false, null);

        string buffer = _held.Length == 0 ? piece : _held.Append(piece).ToString();
        _held.Clear();

        int hitAt = -1;
        string? hit = null;
        foreach (string stop in _stops)
        {
            int at = buffer.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (hitAt < 0 || at < hitAt || (at == hitAt && stop.Length < hit!.Length)))
            {
                hitAt = at;
                hit = stop;
            }
        }
        if (hit is not null)
        {
            Stopped = true;
            return new StopMatch(buffer[..hitAt], true, hit);
        }

        int keep = LongestTailThatStartsAStop(buffer);
        _held.Append(buffer, buffer.Length - keep, keep);
        return new StopMatch(buffer[..^keep], false, null);
    }

    /// <summary>End of stream: the held-back text (empty after a stop). The matcher is then empty.</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _held.ToString();
        _held.Clear();
        return rest;
    }

    /// <summary>Forget held text and the stopped state, for a new stream.</summary>
    public void Reset()
    {
        _held.Clear();
        Stopped = false;
    }

    /// <summary>Length of the longest proper suffix of text that is a prefix of some stop string.</summary>
    private int LongestTailThatStartsAStop(string text)
    {
        int best = 0;
        foreach (string stop in _stops)
        {
            for (int len = Math.Min(stop.Length - 1, text.Length); len > best; len--)
            {
                if (text.AsSpan(text.Length - len).SequenceEqual(stop.AsSpan(0, len)))
                {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
