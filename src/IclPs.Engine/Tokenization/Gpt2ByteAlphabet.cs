namespace IclPs.Engine.Tokenization;

/// <summary>
/// GPT-2's byte-to-character table (bytes_to_unicode in OpenAI's encoder.py): printable Latin-1 bytes stand for
/// themselves, the other 68 bytes map to U+0100 upwards in byte order, so a space is 'Ġ' and a newline 'Ċ'.
/// </summary>
internal static class Gpt2ByteAlphabet
{
    private static readonly char[] Chars = Build();

    public static char ToChar(byte b) => Chars[b];

    private static char[] Build()
    {
        var chars = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            chars[b] = printable ? (char)b : (char)next++;
        }
        return chars;
    }
}
