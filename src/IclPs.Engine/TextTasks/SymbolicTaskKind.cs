namespace IclPs.Engine.TextTasks;

/// <summary>The rule behind a <see cref="SymbolicTask"/>.</summary>
public enum SymbolicTaskKind
{
    /// <summary>A random bijection of the alphabet drawn from the task seed.</summary>
    Permutation,
    /// <summary>x -> x (shift by 0).</summary>
    Copy,
    /// <summary>x -> the next symbol of the alphabet, cyclically (shift by 1).</summary>
    Successor,
    /// <summary>x -> the previous symbol, cyclically (shift by n-1).</summary>
    Predecessor,
    /// <summary>x -> the symbol k places on, cyclically, for 2 &lt;= k &lt;= n-2.</summary>
    Shift,
    /// <summary>Every symbol -> one fixed symbol.</summary>
    Constant,
    /// <summary>Every symbol -> one of a few category labels, a random balanced assignment drawn from the task seed.</summary>
    Category,
    /// <summary>x -> (a*x + b) mod p over an alphabet of prime size p, a != 0, 1 (see <see cref="AffineTaskFamily"/>).</summary>
    Affine,
    /// <summary>Key + instance words -> the output of the word's key (see <see cref="KeyedLookupTaskFamily"/>).</summary>
    KeyedLookup,
    /// <summary>A word -> the word with each symbol replaced by its image under a random permutation (see <see cref="TransductionTaskFamily"/>).</summary>
    Transduction,
}
