namespace BlueTeam.Core.Config;

// Fleet correlation options (fleet.*): signals published by every host, correlated by one elected daemon.

/// <summary>
/// Fleet correlation over a shared PostgreSQL store. Off by default: each daemon then correlates only its
/// own host's logs. On, every daemon publishes compact signals of its authentication failures and one of
/// them, elected by an advisory lock, runs the fleet rules over every host's signals.
/// </summary>
public sealed class FleetOptions : IValidatable
{
    public bool Enabled { get; set; }

    /// <summary>Failures are counted per bucket of this many seconds of event time (per source, user and host).</summary>
    public int BucketSec { get; set; } = 60;
    public TimeSpan Bucket => TimeSpan.FromSeconds(BucketSec);

    /// <summary>A daemon that is not the fleet correlator tries to become it this often (so a dead one is replaced within it).</summary>
    public int ElectionRetrySec { get; set; } = 5;
    public TimeSpan ElectionRetry => TimeSpan.FromSeconds(ElectionRetrySec);

    /// <summary>The correlator reads new signals when notified, and at least this often (if a notification is missed).</summary>
    public int PollSec { get; set; } = 5;
    public TimeSpan Poll => TimeSpan.FromSeconds(PollSec);

    /// <summary>Signals older than this are deleted by the correlator (they are read once; the rules look back minutes).</summary>
    public int KeepSignalsHours { get; set; } = 24;

    public FleetRulesOptions Rules { get; set; } = new();

    public IEnumerable<ConfigProblem> Validate()
    {
        if (BucketSec is < 1 or > 3600) yield return new("bucket_sec", "must be between 1 and 3600 seconds");
        if (ElectionRetrySec is < 1 or > 30) yield return new("election_retry_sec", "must be between 1 and 30 seconds (a dead correlator is replaced within it)");
        if (KeepSignalsHours is < 1 or > 24 * 366) yield return new("keep_signals_hours", "must be between 1 hour and 366 days");
        if (PollSec is < 1 or > 300) yield return new("poll_sec", "must be between 1 and 300 seconds");
        if (Rules.FleetSshSpray.WindowSec < BucketSec) yield return new("rules.fleet_ssh_spray.window_sec", "must be at least bucket_sec");
        if (Rules.FleetSshSpray.MinSources != 1) yield return new("rules.fleet_ssh_spray.min_sources", "is read by fleet_account_spray only (a source spray has one source)");
        if (Rules.FleetAccountSpray.WindowSec < BucketSec) yield return new("rules.fleet_account_spray.window_sec", "must be at least bucket_sec");
    }
}

/// <summary>The fleet rules, each with its own thresholds (fleet.rules.NAME.*).</summary>
public sealed class FleetRulesOptions
{
    public FleetSprayOptions FleetSshSpray { get; set; } = new();
    public FleetSprayOptions FleetAccountSpray { get; set; } = new() { MinHosts = 5, MinSources = 3 };
}

/// <summary>
/// fleet_ssh_spray: one source (address, or /64 for IPv6) failing on at least <see cref="MinHosts"/> hosts
/// within <see cref="WindowSec"/>. fleet_account_spray: one user failing on at least <see cref="MinHosts"/>
/// hosts from at least <see cref="MinSources"/> sources within the window.
/// </summary>
public sealed class FleetSprayOptions : IValidatable
{
    public bool Enabled { get; set; } = true;
    public int MinHosts { get; set; } = 5;
    /// <summary>fleet_account_spray only: the distinct sources the failures must come from (1 for fleet_ssh_spray, which groups by source).</summary>
    public int MinSources { get; set; } = 1;
    public int WindowSec { get; set; } = 600;
    public TimeSpan Window => TimeSpan.FromSeconds(WindowSec);

    public IEnumerable<ConfigProblem> Validate()
    {
        if (MinHosts is < 2 or > 100_000) yield return new("min_hosts", "must be between 2 and 100000 (one host is the host's own rules' business)");
        if (MinSources is < 1 or > 100_000) yield return new("min_sources", "must be between 1 and 100000");
        if (WindowSec is < 60 or > 86400) yield return new("window_sec", "must be between 60 seconds and 1 day");
    }
}
