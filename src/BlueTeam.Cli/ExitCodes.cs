namespace BlueTeam.Cli;

/// <summary>The exit codes of every command (documented in the README).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command ran but what it checks is not fine (a delivery failed, a daemon is down).</summary>
    public const int NotOk = 1;
    /// <summary>The configuration or the command line is invalid; nothing was done.</summary>
    public const int ConfigError = 2;
    /// <summary>The store could not be reached or written.</summary>
    public const int StoreError = 3;
}
