namespace Sarthe.Enrolment.Graph;

/// <summary>How the product authenticates to Graph.</summary>
public enum GraphCredentialKind
{
    /// <summary>Managed identity of the Function App (Azure).</summary>
    ManagedIdentity,

    /// <summary>App registration with a client secret (held in Key Vault / app settings).</summary>
    ClientSecret,

    /// <summary>Unsigned local token accepted only by tools/GraphEmulator.</summary>
    Emulator,
}
