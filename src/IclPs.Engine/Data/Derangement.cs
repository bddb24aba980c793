namespace IclPs.Engine.Data;

/// <summary>Seeded uniform derangements: shuffled labels in which no demonstration keeps its own output.</summary>
internal static class Derangement
{
    /// <summary>A uniform random permutation of 0..count-1 without fixed points (rejection sampling; about e tries); count &gt;= 2.</summary>
    public static int[] Draw(int count, SeededRandom random)
    {
        var permutation = Enumerable.Range(0, count).ToArray();
        do random.ShuffleFront(permutation, count);
        while (permutation.Where((p, i) => p == i).Any());
        return permutation;
    }
}
