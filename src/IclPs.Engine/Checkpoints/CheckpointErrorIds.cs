namespace IclPs.Engine.Checkpoints;

/// <summary>Stable ErrorIds of <see cref="CheckpointException"/>, so callers and tests can tell failures apart.</summary>
public static class CheckpointErrorIds
{
    // Safetensors container (one file).
    public const string FileNotFound = "SafetensorsFileNotFound";
    /// <summary>Fewer than the 8 bytes that hold the header length.</summary>
    public const string FileTooShort = "SafetensorsFileTooShort";
    /// <summary>Header length over the 100 MB limit Hugging Face's reader also enforces.</summary>
    public const string HeaderTooLarge = "SafetensorsHeaderTooLarge";
    /// <summary>The file ends before the header does.</summary>
    public const string HeaderTruncated = "SafetensorsHeaderTruncated";
    /// <summary>Header is not UTF-8 JSON holding an object.</summary>
    public const string HeaderNotJson = "SafetensorsHeaderNotJson";
    /// <summary>A tensor entry lacks dtype/shape/data_offsets or has them of the wrong type.</summary>
    public const string InvalidEntry = "SafetensorsInvalidEntry";
    /// <summary>__metadata__ is not an object of strings.</summary>
    public const string InvalidMetadata = "SafetensorsInvalidMetadata";
    public const string DuplicateTensor = "SafetensorsDuplicateTensor";
    public const string UnsupportedDType = "SafetensorsUnsupportedDType";
    /// <summary>end - begin differs from the element count times the element size.</summary>
    public const string SizeMismatch = "SafetensorsSizeMismatch";
    public const string OffsetsOverlap = "SafetensorsOffsetsOverlap";
    /// <summary>Bytes between two tensors that no tensor covers (the format forbids holes).</summary>
    public const string OffsetsGap = "SafetensorsOffsetsGap";
    /// <summary>A tensor's bytes run past the end of the file.</summary>
    public const string Truncated = "SafetensorsTruncated";
    /// <summary>Bytes after the last tensor that no tensor covers.</summary>
    public const string TrailingBytes = "SafetensorsTrailingBytes";
    public const string TensorNotFound = "SafetensorsTensorNotFound";
    /// <summary>A tensor name the writer cannot store (empty, reserved or repeated).</summary>
    public const string InvalidTensorName = "SafetensorsInvalidTensorName";

    // Hugging Face checkpoint folder.
    public const string CheckpointNotFound = "CheckpointNotFound";
    /// <summary>Neither model.safetensors nor model.safetensors.index.json is present.</summary>
    public const string WeightsNotFound = "CheckpointWeightsNotFound";
    public const string ShardNotFound = "CheckpointShardNotFound";
    /// <summary>model.safetensors.index.json is unreadable or disagrees with the shards.</summary>
    public const string InvalidIndex = "CheckpointInvalidIndex";
    public const string MissingTensor = "CheckpointMissingTensor";
    public const string UnexpectedTensor = "CheckpointUnexpectedTensor";
    public const string ShapeMismatch = "CheckpointShapeMismatch";
    /// <summary>A stored tensor whose dtype cannot become a model parameter (e.g. integers).</summary>
    public const string DTypeMismatch = "CheckpointDTypeMismatch";
    /// <summary>The same parameter stored twice (two shards, or with and without the GPT-2 "transformer." prefix).</summary>
    public const string DuplicateParameter = "CheckpointDuplicateParameter";
    /// <summary>A stored tensor holds NaN or infinite values (or values its dtype cannot hold once converted).</summary>
    public const string NonFiniteTensor = "CheckpointNonFiniteTensor";
    /// <summary>A file the save must replace is a folder.</summary>
    public const string TargetIsDirectory = "CheckpointTargetIsDirectory";
}
