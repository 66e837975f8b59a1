namespace BlueTeam.Parsing.Audit;

/// <summary>The records of one audit event (one node + serial), in the order they arrived.</summary>
public sealed class AuditEvent
{
    public string? Node { get; init; }
    public long Serial { get; init; }
    public DateTimeOffset Timestamp { get; init; }
    public List<AuditRecord> Records { get; } = [];
}

/// <summary>
/// Groups audit records into events by (stream, node, serial), even when the records of concurrent
/// events interleave, and decides when an event is complete without waiting forever.
/// </summary>
/// <remarks>
/// <para>auditd does not write the kernel's EOE record to disk, so completion is inferred, as
/// libauparse does: an event is complete when (1) an EOE record for it arrives; (2) it is a
/// user-space message (USER_*, CRED_*, DAEMON_*, ADD_/DEL_*, …), which is always a single record;
/// (3) its PROCTITLE arrives, which the kernel writes last; (4) a record arrives whose time is more
/// than <see cref="Timeout"/> after the event's (event time, so replaying a file behaves as tailing it);
/// (5) the buffer is full (the oldest event is emitted); (6) <see cref="Flush"/>.</para>
/// <para>"Any later serial completes the earlier events" would be wrong: auditd interleaves
/// concurrent events' records (upstream's test3.log has SYSCALL 194435, SYSCALL 194433, PROCTITLE
/// 194433, PROCTITLE 194435…), so rule (4) uses a time margin instead.</para>
/// <para>Not thread-safe: one consumer.</para>
/// </remarks>
public sealed class AuditEventAssembler(int maxPendingEvents = 256, int maxRecordsPerEvent = 2048, TimeSpan? timeout = null)
{
    public TimeSpan Timeout { get; } = timeout ?? TimeSpan.FromSeconds(2);

    // Pending events in arrival order: the oldest is evicted first when the buffer is full. A list,
    // not a dictionary: one or two events are pending at a time, and the one a record belongs to is
    // nearly always the newest, so a backwards scan beats hashing the file path for every record.
    // The scan is bounded by maxPendingEvents.
    private readonly List<PendingEvent> _pending = [];
    private readonly Queue<AuditEvent> _completed = new();
    // No pending event is older than this (a lower bound, exact after each sweep): most records
    // then skip the timeout sweep (rule 4) entirely.
    private DateTimeOffset _oldestPending = DateTimeOffset.MaxValue;

    /// <summary>Events that were complete but pushed out early because the buffer was full (a flood, or events never finished).</summary>
    public long Evicted { get; private set; }

    public int PendingCount => _pending.Count;

    public void Add(AuditRecord record, string stream)
    {
        // (4) events whose time is well before this record's cannot receive more records.
        if (_pending.Count > 0) CompleteOlderThan(record.Timestamp - Timeout);

        var index = IndexOf(stream, record.Node, record.Serial);
        if (record.Type == "EOE")
        {
            if (index >= 0) CompleteAt(index);
            return;
        }
        if (index < 0)
        {
            if (_pending.Count >= maxPendingEvents)
            {
                Evicted++;
                CompleteAt(0);
            }
            var created = new AuditEvent { Node = record.Node, Serial = record.Serial, Timestamp = record.Timestamp };
            _pending.Add(new PendingEvent(stream, created));
            if (created.Timestamp < _oldestPending) _oldestPending = created.Timestamp;
            index = _pending.Count - 1;
        }
        var e = _pending[index].Event;
        e.Records.Add(record);

        if (IsStandalone(record.Type) || record.Type == "PROCTITLE" || e.Records.Count >= maxRecordsPerEvent) CompleteAt(index);
    }

    /// <summary>The next complete event, in completion order.</summary>
    public bool TryTake(out AuditEvent e) => _completed.TryDequeue(out e!);

    /// <summary>End of input: every pending event is complete, in arrival order.</summary>
    public void Flush()
    {
        while (_pending.Count > 0) CompleteAt(0);
    }

    private int IndexOf(string stream, string? node, long serial)
    {
        for (var i = _pending.Count - 1; i >= 0; i--)
        {
            var p = _pending[i];
            if (p.Event.Serial == serial && string.Equals(p.Event.Node, node, StringComparison.Ordinal) && string.Equals(p.Stream, stream, StringComparison.Ordinal))
                return i;
        }
        return -1;
    }

    private void CompleteOlderThan(DateTimeOffset limit)
    {
        if (_oldestPending >= limit) return;
        var oldest = DateTimeOffset.MaxValue;
        for (var i = 0; i < _pending.Count;)
        {
            var time = _pending[i].Event.Timestamp;
            if (time < limit)
            {
                CompleteAt(i);
                continue;
            }
            if (time < oldest) oldest = time;
            i++;
        }
        _oldestPending = oldest;
    }

    private void CompleteAt(int index)
    {
        var e = _pending[index].Event;
        _pending.RemoveAt(index);
        if (_pending.Count == 0) _oldestPending = DateTimeOffset.MaxValue;
        if (e.Records.Count > 0) _completed.Enqueue(e);
    }

    private readonly record struct PendingEvent(string Stream, AuditEvent Event);

    /// <summary>
    /// User-space messages (auparse's single-record types: 1100–1299 and 2100–2999 by number). Kernel
    /// records (SYSCALL and its PATH/CWD/EXECVE…, AVC, LOGIN, CONFIG_CHANGE, ANOM_ABEND…) may have companions.
    /// </summary>
    public static bool IsStandalone(string type) =>
        type.StartsWith("USER_", StringComparison.Ordinal) || type.StartsWith("CRED_", StringComparison.Ordinal)
        || type.StartsWith("DAEMON_", StringComparison.Ordinal) || type.StartsWith("ADD_", StringComparison.Ordinal)
        || type.StartsWith("DEL_", StringComparison.Ordinal) || type.StartsWith("GRP_", StringComparison.Ordinal)
        || type.StartsWith("ACCT_", StringComparison.Ordinal) || type.StartsWith("SYSTEM_", StringComparison.Ordinal)
        || type.StartsWith("SERVICE_", StringComparison.Ordinal) || type.StartsWith("CRYPTO_", StringComparison.Ordinal)
        || type.StartsWith("VIRT_", StringComparison.Ordinal) || type.StartsWith("RESP_", StringComparison.Ordinal)
        || type.StartsWith("ROLE_", StringComparison.Ordinal) || type.StartsWith("ANOM_LOGIN_", StringComparison.Ordinal)
        || type is "ANOM_ADD_ACCT" or "ANOM_DEL_ACCT" or "ANOM_MOD_ACCT" or "ANOM_ROOT_TRANS" or "ANOM_EXEC" or "ANOM_ACCESS_FS"
            or "ANOM_MAX_DAC" or "ANOM_MAX_MAC" or "ANOM_AMTU_FAIL" or "ANOM_RBAC_FAIL" or "ANOM_CRYPTO_FAIL"
            or "CHGRP_ID" or "CHUSER_ID" or "SOFTWARE_UPDATE" or "TRUSTED_APP" or "TEST" or "USYS_CONFIG" or "DAC_CHECK" or "MAC_CHECK";
}
