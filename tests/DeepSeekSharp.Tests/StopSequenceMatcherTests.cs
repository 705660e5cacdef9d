using DeepSeekSharp.Inference;

namespace DeepSeekSharp.Tests;

public class StopSequenceMatcherTests
{
    [Fact]
    public void StopStringSplitAcrossPiecesIsCaughtAndNotEmitted()
    {
        var m = new StopSequenceMatcher(["<|end|>"]);
        Assert.Equal(new StopMatch("Hello wor", false, null), m.Push("Hello wor"));
        Assert.Equal(new StopMatch("ld", false, null), m.Push("ld<|en"));
        Assert.Equal("<|en", m.Pending);
        Assert.Equal(new StopMatch("", true, "<|end|>"), m.Push("d|>more"));
        Assert.True(m.Stopped);
        Assert.Equal(new StopMatch("", true, null), m.Push("anything"));
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void TextBeforeTheStopInTheSamePieceIsEmitted()
    {
        var m = new StopSequenceMatcher(["STOP"]);
        Assert.Equal(new StopMatch("foo ", true, "STOP"), m.Push("foo STOP bar"));
    }

    [Fact]
    public void APartialMatchThatBreaksOffIsReleasedWithoutAFalseStop()
    {
        var m = new StopSequenceMatcher(["abc"]);
        Assert.Equal("x", m.Push("xab").Text);
        var r = m.Push("x");
        Assert.Equal(new StopMatch("abx", false, null), r);
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void HeldBackTailIsFlushedAtTheEnd()
    {
        var m = new StopSequenceMatcher(["abc"]);
        Assert.Equal("hello ", m.Push("hello a").Text);
        Assert.Equal("", m.Push("b").Text);
        Assert.Equal("ab", m.Flush());
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void OverlappingPrefixesHoldOnlyWhatCanStillMatch()
    {
        var m = new StopSequenceMatcher(["aab"]);
        Assert.Equal("", m.Push("a").Text);
        Assert.Equal("", m.Push("a").Text);
        Assert.Equal("a", m.Push("a").Text);
        Assert.Equal(new StopMatch("", true, "aab"), m.Push("b"));
    }

    [Fact]
    public void EarliestStopWinsAndNoStopsPassThrough()
    {
        var m = new StopSequenceMatcher(["world", "lo w", "o"]);
        Assert.Equal(new StopMatch("hel", true, "lo w"), m.Push("hello world")); // "lo w" starts before "o"
        Assert.Equal(new StopMatch("ab", true, "cd"), new StopSequenceMatcher(["cde", "cd"]).Push("abcdef")); // same start: shortest
        var none = new StopSequenceMatcher([]);
        Assert.Equal(new StopMatch("abc", false, null), none.Push("abc"));
        Assert.Throws<DssException>(() => new StopSequenceMatcher(["a", ""]));
    }

    [Fact]
    public void ResetStartsANewStream()
    {
        var m = new StopSequenceMatcher(["##"]);
        Assert.True(m.Push("a##").Stopped);
        m.Reset();
        Assert.Equal("b", m.Push("b#").Text);
        Assert.Equal("#", m.Flush());
    }

    [Fact]
    public void RandomSplitsEmitExactlyTheTextBeforeTheFirstStop()
    {
        var r = new Random(21);
        string[] stops = ["ab", "bca", "cc"];
        for (int c = 0; c < 500; c++)
        {
            var text = new string(Enumerable.Range(0, r.Next(0, 40)).Select(_ => "abcd"[r.Next(4)]).ToArray());
            int first = stops.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
            string expected = first >= 0 ? text[..first] : text;

            var m = new StopSequenceMatcher(stops);
            var emitted = new System.Text.StringBuilder();
            bool stopped = false;
            for (int pos = 0; pos < text.Length && !stopped;)
            {
                int len = Math.Min(r.Next(1, 5), text.Length - pos);
                var res = m.Push(text.Substring(pos, len));
                pos += len;
                emitted.Append(res.Text);
                stopped = res.Stopped;
            }
            emitted.Append(m.Flush());
            Assert.Equal(expected, emitted.ToString());
            Assert.Equal(first >= 0, stopped);
        }
    }
}
