namespace IclPs.Engine.Models.Shipped;

/// <summary>Stable ErrorIds of the shipped-model catalog.</summary>
public static class ShippedModelErrorIds
{
    /// <summary>The catalog's root folder does not exist.</summary>
    public const string CatalogNotFound = "ShippedModelCatalogNotFound";
    /// <summary>No model folder of that name.</summary>
    public const string ModelNotFound = "ShippedModelNotFound";
    /// <summary>A model folder without iclps-model.json.</summary>
    public const string ManifestNotFound = "ShippedModelManifestNotFound";
    /// <summary>iclps-model.json is not valid JSON, lacks a field, has one of the wrong type, or names another folder.</summary>
    public const string InvalidManifest = "ShippedModelInvalidManifest";
    /// <summary>A text model asked for as a regression model or the other way round.</summary>
    public const string KindMismatch = "ShippedModelKindMismatch";
}
