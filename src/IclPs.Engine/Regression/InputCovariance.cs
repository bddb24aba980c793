namespace IclPs.Engine.Regression;

/// <summary>Covariance of the inputs x.</summary>
public enum InputCovariance
{
    /// <summary>x ~ N(0, I_D), the training distribution.</summary>
    Isotropic,
    /// <summary>x ~ N(0, diag(1/i)), i = 1..D: the skewed-covariance shift (eigenvalues 1/i).</summary>
    Skewed,
}
