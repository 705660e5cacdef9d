namespace DeepSeekSharp.Tokenization;

/// <summary>
/// GPT-2's byte-to-unicode table used by byte-level BPE: every byte value is shown as one printable char
/// (printable Latin-1 bytes as themselves, the other 68 as U+0100 onwards in byte order), so a space is 'Ġ'.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte = BuildInverse();

    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>
    /// The bytes a vocabulary token stands for. A token with a char outside the table (an added token such as
    /// "&lt;｜User｜&gt;") stands for its own UTF-8 bytes, as Hugging Face's ByteLevel decoder does.
    /// </summary>
    public static byte[] TokenToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out bytes[i])) return System.Text.Encoding.UTF8.GetBytes(token);
        }
        return bytes;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    private static Dictionary<char, byte> BuildInverse()
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (byte)b;
        return map;
    }
}
