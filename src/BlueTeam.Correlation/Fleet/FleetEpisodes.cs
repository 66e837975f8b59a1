namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// One fleet incident as the fleet remembers it (kept in the shared store, so a new correlator after a
/// failover continues it instead of raising it again): the rule and key, when it began and was last fed,
/// its fingerprint, the hosts with their failures, and which daemon raised it.
/// </summary>
public sealed record FleetEpisode(
    string RuleName,
    string Key,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string Fingerprint,
    IReadOnlyDictionary<string, long> Hosts,
    string RaisedBy,
    bool Raised)
{
    public long Failures => Hosts.Values.Sum();
}

/// <summary>What a finding means for the fleet incident of its group.</summary>
public enum FleetDecision
{
    /// <summary>No open incident for the group: a new one, to raise.</summary>
    New,
    /// <summary>The open incident gained hosts or failures: an update.</summary>
    Grown,
    /// <summary>Nothing the open incident does not already say.</summary>
    Unchanged,
}

/// <summary>
/// Decides whether a finding opens a new fleet incident or continues the open one of its group. An incident
/// stays open while its group keeps failing: a finding whose first bucket is no later than the incident's
/// last bucket plus the rule's window continues it; after a longer quiet it is a new incident.
/// </summary>
public static class FleetEpisodes
{
    public static (FleetDecision Decision, FleetEpisode Episode) Decide(FleetFinding finding, FleetEpisode? open, TimeSpan window, string raisedBy)
    {
        ArgumentNullException.ThrowIfNull(finding);
        if (open is null || finding.FirstSeen > open.LastSeen + window)
        {
            var hosts = finding.Hosts.ToDictionary(h => h.Host, h => h.Failures, StringComparer.Ordinal);
            return (FleetDecision.New, new FleetEpisode(finding.RuleName, finding.Key, finding.FirstSeen, finding.LastSeen,
                SecurityIncident.ComputeFingerprint(finding.RuleId, finding.FirstSeen, finding.Key), hosts, raisedBy, Raised: false));
        }
        // The window slides, so a host's count now may cover fewer buckets than the episode has seen: keep the larger.
        var merged = new Dictionary<string, long>(open.Hosts, StringComparer.Ordinal);
        var grown = false;
        foreach (var h in finding.Hosts)
        {
            if (merged.TryGetValue(h.Host, out var before) && before >= h.Failures) continue;
            merged[h.Host] = h.Failures;
            grown = true;
        }
        var lastSeen = finding.LastSeen > open.LastSeen ? finding.LastSeen : open.LastSeen;
        var next = open with { LastSeen = lastSeen, Hosts = merged };
        return (grown ? FleetDecision.Grown : FleetDecision.Unchanged, next);
    }
}
