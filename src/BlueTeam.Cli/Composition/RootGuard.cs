namespace BlueTeam.Cli.Composition;

/// <summary>
/// The daemon reads text that attackers write (user names, URLs, whole log lines), so it should
/// hold no privilege it does not need: reading the logs takes membership of group <c>adm</c>
/// (Debian) or an ACL, not root. Running as root is refused unless the operator says so
/// explicitly, with <c>monitor --allow-root</c> or <c>monitoring.allow_root: true</c>.
/// </summary>
internal static class RootGuard
{
    /// <summary>The <c>monitor</c> option that allows running as root for this start.</summary>
    public static Option<bool> AllowRootOption { get; } = new("--allow-root")
    {
        Description = "Run even as root (not recommended: give the service user read access to the logs instead)",
    };

    /// <summary>Why the daemon must not start, or null when it may.</summary>
    /// <param name="config">The loaded config (<c>monitoring.allow_root</c>).</param>
    /// <param name="allowRootFlag">Whether <c>--allow-root</c> was given.</param>
    /// <param name="isRoot">Whether the process runs with uid 0; <see cref="Environment.IsPrivilegedProcess"/> by default.</param>
    public static string? Refusal(BlueTeamConfig config, bool allowRootFlag, bool? isRoot = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!(isRoot ?? Environment.IsPrivilegedProcess)) return null;
        if (allowRootFlag || config.Monitoring.AllowRoot) return null;
        return "blueteam: refusing to run the monitor as root: it parses attacker-controlled log text and needs only read access to the logs. "
            + "Run it as a service user with read access to the logs (group adm on Debian), or, if you must, pass --allow-root or set monitoring.allow_root: true.";
    }
}
