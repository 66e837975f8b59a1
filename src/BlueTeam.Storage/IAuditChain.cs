namespace BlueTeam.Storage;

/// <summary>
/// The tamper-evident alert history (NIST SP 800-171 3.3.8, protect audit information): every
/// change to a stored alert is appended to a per-host hash chain in the transaction that makes it.
/// </summary>
/// <remarks>
/// Entry n of a host's chain holds the alert's full state after the change (immutable fields,
/// count, last_seen, severity, title, updated_at, a SHA-256 of the stored incident JSON, the
/// acknowledgement and the silence mark), the hash of entry n-1, and a SHA-256 over both. The
/// alert row itself must always equal the last entry about it. A chain cannot show that its newest
/// entries were cut off together with their alerts: export <see cref="GetChainHeadAsync"/>
/// somewhere the host cannot rewrite (syslog to the SIEM) to anchor it.
/// </remarks>
public interface IAuditChain
{
    /// <summary>Walks the chain of <paramref name="host"/>, or of every host when null; one result per host, ordered by host.</summary>
    Task<IReadOnlyList<ChainVerification>> VerifyChainAsync(string? host, CancellationToken cancellationToken);

    /// <summary>The newest entry of the host's chain, or null when the host has none.</summary>
    Task<ChainHead?> GetChainHeadAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The newest entry of one host's chain.</summary>
public sealed record ChainHead(string Host, long Seq, string Hash);

/// <summary>What verifying one host's chain found.</summary>
/// <param name="EntriesChecked">Entries whose hash was recomputed before the walk stopped (all of them when intact).</param>
/// <param name="Head">The newest entry as stored (null when the host has no entries).</param>
/// <param name="FirstBreak">The first problem in chain order, or null when the chain is intact.</param>
/// <param name="Pruned">The newest prune by retention: the walk began after the entries it removed (null when never pruned).</param>
public sealed record ChainVerification(string Host, long EntriesChecked, ChainHead? Head, ChainBreak? FirstBreak, Retention.PruneRecord? Pruned = null)
{
    public bool IsIntact => FirstBreak is null;
}

/// <summary>A broken or missing link.</summary>
/// <param name="Seq">The chain position concerned (the first missing one for a gap; the alert's last entry for an edited or deleted row; null for a row that was never chained).</param>
/// <param name="AlertId">The alert concerned, when one is.</param>
/// <param name="Detail">What exactly disagrees, for people.</param>
public sealed record ChainBreak(long? Seq, long? AlertId, ChainBreakKind Kind, string Detail);

public enum ChainBreakKind
{
    /// <summary>An entry's stored hash is not the hash of its contents: the entry was edited.</summary>
    HashMismatch,
    /// <summary>An entry's prev_hash is not the hash of the entry before it: entries were replaced or reordered.</summary>
    BrokenLink,
    /// <summary>Sequence numbers skip: entries were deleted.</summary>
    Gap,
    /// <summary>The alert row disagrees with the last chain entry about it: the row was edited outside the store.</summary>
    AlertEdited,
    /// <summary>The chain has entries about an alert whose row is gone.</summary>
    AlertDeleted,
    /// <summary>An alert row that no chain entry covers: it was inserted outside the store.</summary>
    AlertNotChained,
}
