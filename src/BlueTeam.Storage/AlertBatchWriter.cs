using System.Data.Common;

namespace BlueTeam.Storage;

/// <summary>The tables a batch writes, with the dialect's prefix.</summary>
internal sealed record AlertTables(string Alerts, string Chain, string Deliveries);

/// <summary>A new alert row as the save path inserts it; the JSON (and its hash, for the chain) rendered once, before.</summary>
internal sealed record AlertInsertRow(
    string Fingerprint,
    string Host,
    string RuleId,
    string RuleName,
    string Severity,
    string Title,
    string Description,
    string DetectedBy,
    string NistControls,
    bool CuiInvolved,
    string? SourceIp,
    string? UserName,
    int EventCount,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string IncidentJson,
    string IncidentSha256);

/// <summary>A pending delivery row of the outbox.</summary>
internal sealed record DeliveryRow(long AlertId, string Channel, DateTimeOffset QueuedAt, string Severity, int EventCount, string Reason);

/// <summary>An inserted alert as the database returned it.</summary>
internal readonly record struct InsertedAlert(long Id, string Host, AlertSnapshot State);

/// <summary>
/// Writes the rows of one write transaction that go many at a time: new alerts, chain entries (and the creation
/// link in the alert row), delivery rows. One per transaction, disposed with it.
/// </summary>
/// <remarks>
/// What is fast differs by engine, so each has its own: PostgreSQL pays a round trip, a parse and a plan per
/// statement, so a whole batch goes as one statement over arrays (<c>unnest</c>), one parameter per column;
/// SQLite runs in process and pays for binding (Microsoft.Data.Sqlite looks every parameter up by name), so one
/// single-row statement per kind is prepared once and run for every row with only its values changed.
/// Either way the rows, their order (and so the ids the database gives them) are those of one statement per row.
/// </remarks>
internal abstract class AlertBatchWriter : IAsyncDisposable
{
    /// <summary>
    /// The columns an insert returns, in the order <see cref="AdoStore"/> reads a snapshot (id, host, state, link);
    /// the incident JSON is not read back (the writer knows what it sent) and comes back as null.
    /// </summary>
    public const string ReturnedColumns =
        "id, host, fingerprint, rule_id, rule_name, severity, title, event_count, first_seen, last_seen, " +
        "created_at, updated_at, NULL, acked_at, acked_by, ack_note, acked_severity, silence_id, chain_seq, prev_hash, row_hash";

    /// <summary>
    /// Inserts <paramref name="rows"/> in order, all stamped <paramref name="now"/>. A fingerprint already stored,
    /// or repeated in <paramref name="rows"/> after its first row, is not inserted: its slot in the result is null.
    /// </summary>
    /// <param name="read">Reads one returned row (<see cref="ReturnedColumns"/>).</param>
    public virtual Task<InsertedAlert?[]> InsertAlertsAsync(IReadOnlyList<AlertInsertRow> rows, DateTimeOffset now,
        Func<DbDataReader, InsertedAlert> read, CancellationToken ct) =>
        throw new NotSupportedException("this writer inserts alerts one by one (TryInsertLinkedAsync)");

    /// <summary>
    /// True when new alerts go one at a time, each with its creation link in the same insert
    /// (<see cref="TryInsertLinkedAsync"/>), instead of <see cref="InsertAlertsAsync"/> and the link written after.
    /// </summary>
    public virtual bool InsertsOneByOne => false;

    /// <summary>
    /// Inserts <paramref name="row"/> with the id it gets and the creation link <paramref name="link"/> makes of that id
    /// and of the row's state as stored, unless its fingerprint is stored already: null then, and nothing was written.
    /// </summary>
    public virtual Task<ChainEntry?> TryInsertLinkedAsync(AlertInsertRow row, DateTimeOffset now,
        Func<long, AlertSnapshot, ChainEntry> link, CancellationToken ct) =>
        throw new NotSupportedException("this writer inserts alerts in batches (InsertAlertsAsync)");

    /// <summary>
    /// Inserts the leading run of <paramref name="rows"/> that are new (up to the first fingerprint already stored or
    /// repeated in the batch), each with the id it gets and the creation link <paramref name="link"/> makes of its
    /// index, that id and its state as stored, in one go; returns how many rows that was (0: none, or this writer
    /// links after inserting). <paramref name="link"/> is called in order, once per row inserted.
    /// </summary>
    public virtual Task<int> InsertLeadingNewLinkedAsync(IReadOnlyList<AlertInsertRow> rows, DateTimeOffset now,
        Func<int, long, AlertSnapshot, ChainEntry> link, CancellationToken ct) => Task.FromResult(0);

    /// <summary>Writes the entries, and for each creation entry not linked at its insert its link (seq, prev_hash, row_hash) into its alert row.</summary>
    public abstract Task WriteChainAsync(IReadOnlyList<ChainEntry> entries, CancellationToken ct);

    /// <summary>Inserts the delivery rows in order.</summary>
    public abstract Task WriteDeliveriesAsync(IReadOnlyList<DeliveryRow> rows, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    // The alerts of this transaction inserted with their creation link, whose entries need no link written after.
    private readonly HashSet<long> _linkedAtInsert = [];

    /// <summary>Records that <paramref name="alertId"/> was inserted with its creation link.</summary>
    protected void LinkedAtInsert(long alertId) => _linkedAtInsert.Add(alertId);

    /// <summary>Whether <paramref name="entry"/> is a creation whose link must still be written into its alert row.</summary>
    protected bool NeedsLink(ChainEntry entry) => AlertChain.IsCreation(entry.Kind) && !_linkedAtInsert.Contains(entry.AlertId);

    /// <summary>Slot i of the result of an insert: each fingerprint's first row, when the database returned it.</summary>
    protected static InsertedAlert?[] ByFirstRow(IReadOnlyList<AlertInsertRow> rows, List<InsertedAlert> returned)
    {
        var result = new InsertedAlert?[rows.Count];
        if (returned.Count == 0) return result;
        var rowOf = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++) rowOf.TryAdd(rows[i].Fingerprint, i);
        foreach (var inserted in returned) result[rowOf[inserted.State.Fingerprint]] = inserted;
        return result;
    }
}
