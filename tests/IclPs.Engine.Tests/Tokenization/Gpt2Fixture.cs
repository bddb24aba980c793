namespace IclPs.Engine.Tests.Tokenization;

/// <summary>
/// A hand-made GPT-2 byte-level BPE vocabulary: byte characters (Ġ = space, Ċ = newline, Ã© = the UTF-8 bytes of 'é'),
/// nine ranked merges that build "hello" and "Ġworld", and &lt;|endoftext|&gt; at id 22.
/// </summary>
internal static class Gpt2Fixture
{
    public const string Vocab = """
        {"h": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, ",": 8, "!": 9,
         "he": 10, "ll": 11, "hell": 12, "hello": 13, "Ġw": 14, "or": 15, "Ġwor": 16, "ld": 17, "Ġworld": 18,
         "Ã": 19, "©": 20, "Ċ": 21, "<|endoftext|>": 22}
        """;

    public const string Merges = "#version: 0.2\nh e\nl l\nhe ll\nhell o\nĠ w\no r\nĠw or\nl d\nĠwor ld\n";

    public static void Write(string directory, bool withEndOfText = true)
    {
        var vocab = withEndOfText ? Vocab : Vocab.Replace(", \"<|endoftext|>\": 22", "");
        File.WriteAllText(Path.Combine(directory, "vocab.json"), vocab);
        File.WriteAllText(Path.Combine(directory, "merges.txt"), Merges);
    }
}
