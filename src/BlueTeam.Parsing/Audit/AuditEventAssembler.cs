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

    private readonly Dictionary<(string Stream, string? Node, long Serial), AuditEvent> _pending = [];
    // Arrival order of pending events: the oldest is evicted first when the buffer is full.
    private readonly List<(string Stream, string? Node, long Serial)> _order = [];
    private readonly Queue<AuditEvent> _completed = new();

    /// <summary>Events that were complete but pushed out early because the buffer was full (a flood, or events never finished).</summary>
    public long Evicted { get; private set; }

    public int PendingCount => _pending.Count;

    public void Add(AuditRecord record, string stream)
    {
        // (4) events whose time is well before this record's cannot receive more records.
        if (_pending.Count > 0) CompleteOlderThan(record.Timestamp - Timeout);

        var key = (stream, record.Node, record.Serial);
        if (record.Type == "EOE")
        {
            Complete(key);
            return;
        }
        if (!_pending.TryGetValue(key, out var e))
        {
            if (_pending.Count >= maxPendingEvents)
            {
                Evicted++;
                Complete(_order[0]);
            }
            e = new AuditEvent { Node = record.Node, Serial = record.Serial, Timestamp = record.Timestamp };
            _pending[key] = e;
            _order.Add(key);
        }
        e.Records.Add(record);

        if (IsStandalone(record.Type) || record.Type == "PROCTITLE" || e.Records.Count >= maxRecordsPerEvent) Complete(key);
    }

    /// <summary>The next complete event, in completion order.</summary>
    public bool TryTake(out AuditEvent e) => _completed.TryDequeue(out e!);

    /// <summary>End of input: every pending event is complete, in arrival order.</summary>
    public void Flush()
    {
        while (_order.Count > 0) Complete(_order[0]);
    }

    private void CompleteOlderThan(DateTimeOffset limit)
    {
        for (var i = 0; i < _order.Count;)
        {
            var key = _order[i];
            if (_pending[key].Timestamp < limit) Complete(key);
            else i++;
        }
    }

    private void Complete((string, string?, long) key)
    {
        if (!_pending.Remove(key, out var e)) return;
        _order.Remove(key);
        if (e.Records.Count > 0) _completed.Enqueue(e);
    }

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
