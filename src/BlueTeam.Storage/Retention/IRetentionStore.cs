using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BlueTeam.Storage.Retention;

/// <summary>
/// Retention of a host's history: incidents whose last change is older than the retention period are removed with
/// their deliveries and the oldest part of the host's audit chain, and the prune is itself written to the chain,
/// so that <c>verify</c> still passes and says what was pruned, when and under which period.
/// </summary>
public interface IRetentionStore
{
    /// <summary>
    /// Prunes <paramref name="host"/>'s history older than <paramref name="retentionDays"/> days before <paramref name="now"/>,
    /// in one transaction. Incidents with a delivery still pending are kept (and so is every entry from their first on).
    /// With <paramref name="dryRun"/> nothing is changed and the result says what would go.
    /// </summary>
    Task<PruneOutcome> PruneAsync(string host, int retentionDays, DateTimeOffset now, bool dryRun, CancellationToken cancellationToken);

    /// <summary>The newest prune of <paramref name="host"/>'s chain, or null when it was never pruned.</summary>
    Task<PruneRecord?> GetLatestPruneAsync(string host, CancellationToken cancellationToken);

    /// <summary>Every host that has a chain in the store, in ordinal order (what an administrator's prune walks).</summary>
    Task<IReadOnlyList<string>> GetChainHostsAsync(CancellationToken cancellationToken);
}

/// <summary>What one prune did (or, dry, would do); <see cref="Record"/> is null when nothing was old enough.</summary>
public sealed record PruneOutcome(string Host, PruneRecord? Record, long EntriesRemoved, long AlertsRemoved, long DeliveriesRemoved, long OtherRowsRemoved, bool DryRun)
{
    public bool PrunedAnything => EntriesRemoved > 0;
}

/// <summary>
/// One prune of a host's chain, as stored in <c>chain_prunes</c>: entries up to <see cref="PrunedThrough"/> are gone, the
/// next entry links to <see cref="ThroughHash"/>, and the chain entry at <see cref="Seq"/> holds <see cref="Sha256"/> of this record.
/// </summary>
public sealed record PruneRecord(
    string Host,
    long Seq,
    long PrunedThrough,
    string ThroughHash,
    int RetentionDays,
    DateTimeOffset Cutoff,
    long EntriesRemoved,
    long AlertsRemoved,
    long DeliveriesRemoved,
    DateTimeOffset PrunedAt)
{
    /// <summary>The chain entry kind that records a prune (alert id 0: it is about no alert).</summary>
    public const string ChainKind = "pruned";

    // Bumped if the encoding ever changes.
    private const string Domain = "blueteam.chain-prune.v1";

    /// <summary>
    /// SHA-256 of the record's fields as a JSON array (an unambiguous encoding: strings are quoted and escaped);
    /// timestamps as UTC ticks, which both stores keep exactly since the prune stores them at whole microseconds.
    /// </summary>
    public string Sha256()
    {
        var fields = JsonSerializer.Serialize(new[]
        {
            Domain, Host, Seq.ToString(CultureInfo.InvariantCulture), PrunedThrough.ToString(CultureInfo.InvariantCulture), ThroughHash,
            RetentionDays.ToString(CultureInfo.InvariantCulture), Cutoff.UtcTicks.ToString(CultureInfo.InvariantCulture),
            EntriesRemoved.ToString(CultureInfo.InvariantCulture), AlertsRemoved.ToString(CultureInfo.InvariantCulture),
            DeliveriesRemoved.ToString(CultureInfo.InvariantCulture), PrunedAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fields)));
    }

    /// <summary>For people: what the prune removed.</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"entries up to {PrunedThrough} pruned on {PrunedAt:yyyy-MM-dd HH:mm}Z (retention {RetentionDays} days: {AlertsRemoved} incidents, {EntriesRemoved} chain entries, {DeliveriesRemoved} deliveries older than {Cutoff:yyyy-MM-dd HH:mm}Z); recorded by entry {Seq}");

    /// <summary>Timestamps as both stores keep them (PostgreSQL has microseconds), so the hash read back is the hash written.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
}
