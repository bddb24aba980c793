using static TorchSharp.torch;

namespace IclPs.Engine.Checkpoints;

/// <summary>The safetensors element types this engine reads and writes; each has a TorchSharp counterpart.</summary>
public enum SafetensorsDType { Bool, U8, I8, I16, I32, I64, F16, BF16, F32, F64 }

/// <summary>Header spellings, element sizes and TorchSharp types of <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    private static readonly (SafetensorsDType DType, string Name, int Size, ScalarType Scalar)[] Table =
    [
        (SafetensorsDType.Bool, "BOOL", 1, ScalarType.Bool),
        (SafetensorsDType.U8, "U8", 1, ScalarType.Byte),
        (SafetensorsDType.I8, "I8", 1, ScalarType.Int8),
        (SafetensorsDType.I16, "I16", 2, ScalarType.Int16),
        (SafetensorsDType.I32, "I32", 4, ScalarType.Int32),
        (SafetensorsDType.I64, "I64", 8, ScalarType.Int64),
        (SafetensorsDType.F16, "F16", 2, ScalarType.Float16),
        (SafetensorsDType.BF16, "BF16", 2, ScalarType.BFloat16),
        (SafetensorsDType.F32, "F32", 4, ScalarType.Float32),
        (SafetensorsDType.F64, "F64", 8, ScalarType.Float64),
    ];

    /// <summary>The header spelling, e.g. "BF16".</summary>
    public static string HeaderName(this SafetensorsDType dtype) => Table[(int)dtype].Name;

    public static int ElementSize(this SafetensorsDType dtype) => Table[(int)dtype].Size;

    public static ScalarType ToScalarType(this SafetensorsDType dtype) => Table[(int)dtype].Scalar;

    public static bool IsFloatingPoint(this SafetensorsDType dtype) =>
        dtype is SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.F32 or SafetensorsDType.F64;

    /// <summary>Parses a header spelling; names are case-sensitive as in the format.</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        foreach (var row in Table)
        {
            if (row.Name == name) { dtype = row.DType; return true; }
        }
        dtype = default;
        return false;
    }

    public static bool TryFromScalarType(ScalarType scalar, out SafetensorsDType dtype)
    {
        foreach (var row in Table)
        {
            if (row.Scalar == scalar) { dtype = row.DType; return true; }
        }
        dtype = default;
        return false;
    }

    /// <summary>All header spellings, for error messages.</summary>
    public static string SupportedNames => string.Join(", ", Table.Select(r => r.Name));
}
