using System.Net;

namespace BlueTeam.Core.Config;

// Active response options (response.*). Durations follow the config's convention: whole seconds, *_sec.

public enum ResponseMode { Enforce, DryRun }

/// <summary>Where bans apply: this host's bans only, or every host's bans from a shared store.</summary>
public enum ResponseShare { Host, Fleet }

/// <summary>
/// Banning the sources of incidents with nftables. Off by default: a new install changes no
/// firewall until it is asked to.
/// </summary>
public sealed class ResponseOptions : IValidatable
{
    public bool Enabled { get; set; }
    /// <summary>enforce changes nftables; dry_run records what would have been done and changes nothing.</summary>
    public ResponseMode Mode { get; set; } = ResponseMode.Enforce;
    /// <summary>The rules whose incidents ban their source: the SSH brute-force family (ssh_brute_force, password_spray) and web scanning; add the distributed and per-prefix forms here when their rules are loaded.</summary>
    public List<string> Rules { get; set; } = ["ssh_brute_force", "password_spray", "web_scanner"];
    /// <summary>Addresses and CIDRs never banned; loopback and the host's own addresses are always added.</summary>
    public List<string> Ignore { get; set; } = [];
    /// <summary>An IPv6 source is banned as its prefix of this length (a host usually holds a whole /64).</summary>
    public int Ipv6Prefix { get; set; } = 64;
    public int BanTimeSec { get; set; } = 600;
    /// <summary>Each earlier ban of the same address multiplies the ban time by this (fail2ban's bantime.factor).</summary>
    public double BanTimeFactor { get; set; } = 2;
    public int BanTimeMaxSec { get; set; } = 7 * 86400;
    /// <summary>Most bans in force at once; past it new bans are refused and an alert says so.</summary>
    public int MaxBans { get; set; } = 500_000;
    /// <summary>An address that logged in successfully this recently is reported, never banned; 0 turns the guard off.</summary>
    public int SuccessfulLoginGraceSec { get; set; } = 86400;
    public ResponseShare Share { get; set; } = ResponseShare.Host;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Rules.Count == 0 && Enabled) yield return new("rules", "must name at least one rule when response is enabled");
        for (var i = 0; i < Rules.Count; i++)
            if (!ConfigNames.IsIdentifier(Rules[i])) yield return new($"rules[{i}]", "rule names are lower-case letters, digits and underscores");
        for (var i = 0; i < Ignore.Count; i++)
            if (!IPAddress.TryParse(Ignore[i], out _) && !IPNetwork.TryParse(Ignore[i], out _))
                yield return new($"ignore[{i}]", "must be an address or a CIDR (10.0.0.0/8, 2001:db8::/32)");
        if (Ipv6Prefix is < 32 or > 128) yield return new("ipv6_prefix", "must be between 32 and 128");
        if (BanTimeSec is < 1 or > 365 * 86400) yield return new("ban_time_sec", "must be between 1 second and 365 days");
        if (BanTimeFactor is < 1 or > 100 || double.IsNaN(BanTimeFactor)) yield return new("ban_time_factor", "must be between 1 and 100");
        if (BanTimeMaxSec < BanTimeSec || BanTimeMaxSec > 365 * 86400) yield return new("ban_time_max_sec", "must be at least ban_time_sec and at most 365 days");
        if (MaxBans is < 1 or > 10_000_000) yield return new("max_bans", "must be between 1 and 10000000");
        if (SuccessfulLoginGraceSec is < 0 or > 30 * 86400) yield return new("successful_login_grace_sec", "must be between 0 (off) and 30 days");
    }
}
