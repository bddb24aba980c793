namespace IclPs.Engine.Data;

/// <summary>
/// SplitMix64: a tiny generator whose output is fixed by its seed on every runtime, unlike <see cref="Random"/>,
/// whose seeded sequence .NET does not promise to keep. Splits and demonstration samples must be reproducible years later.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;

    public SeededRandom(long seed) => _state = (ulong)seed;

    /// <summary>An independent stream per (seed, stream), e.g. (prompt seed, query index).</summary>
    public SeededRandom(long seed, long stream) => _state = Mix((ulong)seed ^ Mix((ulong)stream + 0x9E3779B97F4A7C15UL));

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform integer in [0, <paramref name="bound"/>), by rejection so no value is favoured.</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound));
        var b = (ulong)bound;
        var limit = ulong.MaxValue - ulong.MaxValue % b;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (int)(r % b);
    }

    /// <summary>Moves a uniform random sample of <paramref name="count"/> elements, in random order, to the front of <paramref name="items"/> (partial Fisher-Yates).</summary>
    public void ShuffleFront<T>(T[] items, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var j = i + NextInt(items.Length - i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
