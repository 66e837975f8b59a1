namespace BlueTeam.Engine.Daemon;

/// <summary>
/// The history's own incidents (NIST SP 800-171 3.3.8): the sealing key changed, and the store was
/// tampered with. They are the daemon's (and <c>keys init</c>'s) own findings, not a rule's over log
/// events, and they go into the audit chain like every incident, so a key change is on the record.
/// </summary>
public static class StoreIntegrityIncidents
{
    public const string KeyChangedRuleId = "BT-AUDIT-001";
    public const string KeyChangedRule = "sealing_key_changed";
    public const string TamperedRuleId = "BT-AUDIT-002";
    public const string TamperedRule = "audit_store_tampered";

    /// <param name="previousKeyId">The key replaced, or null for the first key of this host.</param>
    public static SecurityIncident KeyChanged(string host, string keyId, string? previousKeyId, string statePath, DateTimeOffset now) => new()
    {
        Rule = new IncidentRule { Id = KeyChangedRuleId, Name = KeyChangedRule },
        Title = previousKeyId is null ? $"Sealing key {keyId} initialised" : $"Sealing key re-initialised: {previousKeyId} replaced by {keyId}",
        Severity = Severity.Info,
        DetectedBy = KeyChangedRule,
        NistControls = ["3.3.8"],
        Description = (previousKeyId is null
                ? $"blueteam keys init created the sealing state {statePath} for {host} (key {keyId}). "
                : $"blueteam keys init --force replaced the sealing key {previousKeyId} of {host} by {keyId} ({statePath}). Seals of the old key still check with the old verification key; ")
            + "The verification key was printed once, to be kept off the host.",
        Host = new EcsHost { Hostname = host },
        FirstSeen = now,
        LastSeen = now,
        Fingerprint = SecurityIncident.ComputeFingerprint(KeyChangedRuleId, now, host, keyId),
    };

    /// <param name="what">What was seen, for people: "the store file was deleted", "the chain shrank from 40 to 37 entries", …</param>
    public static SecurityIncident Tampered(string host, string what, string store, DateTimeOffset now) => new()
    {
        Rule = new IncidentRule { Id = TamperedRuleId, Name = TamperedRule },
        Title = $"Audit store tampered with on {host}: {what}",
        Severity = Severity.Critical,
        DetectedBy = TamperedRule,
        NistControls = ["3.3.8"],
        Description = $"The daemon watching its own store ({store}) saw that {what}. Nobody but the daemon writes there: "
            + "someone with access to the store removed or replaced history. The daemon recreated the store if it had to and sealed it again; "
            + "run blueteam verify --key with the verification key, and compare with the chain heads sent to syslog.",
        Host = new EcsHost { Hostname = host },
        FirstSeen = now,
        LastSeen = now,
        Fingerprint = SecurityIncident.ComputeFingerprint(TamperedRuleId, now, host, what),
    };
}
