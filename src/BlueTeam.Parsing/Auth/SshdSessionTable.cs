namespace BlueTeam.Parsing.Auth;

/// <summary>
/// What sshd said earlier about one connection, by host and pid (one sshd process per connection):
/// its peer, learnt from a line that names it, and whether a line without an address already
/// reported a failure. Lines that name no peer (<c>Disconnecting: Too many authentication
/// failures</c>, <c>kex_exchange_identification: …</c>, <c>User X not allowed because account is
/// locked</c>) take the peer from here, and a later close line of the same connection carries their
/// failure.
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="Capacity"/> connections; the oldest entry is dropped first (a
/// connection that never closed, or a pid flood). A close line ends its entry, and a peer older than
/// <see cref="PeerLifetime"/> (event time) is not lent: a pid reused by a later connection whose close
/// line was lost must not inherit the earlier peer. Only sshd's own fixed
/// text feeds it (the peer from the fixed position of a line), never a user name. Thread-safe (a lock:
/// one parser may be shared by a scan's files).
/// </remarks>
internal sealed class SshdSessionTable(int capacity = SshdSessionTable.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    /// <summary>Lines without a peer come before authentication ends (LoginGraceTime, 2 minutes by default); ten minutes is generous.</summary>
    public static readonly TimeSpan PeerLifetime = TimeSpan.FromMinutes(10);

    private readonly Dictionary<(string Host, int Pid), Entry> _entries = [];
    private readonly Queue<(string Host, int Pid, long Serial)> _order = new();
    private readonly Lock _lock = new();
    private long _serial;

    public int Capacity => capacity;

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>Items in the eviction queue, live or stale (bounded by four times the capacity).</summary>
    internal int QueueLength
    {
        get { lock (_lock) return _order.Count; }
    }

    private sealed class Entry
    {
        public long Serial;
        public EcsSource? Peer;
        public DateTimeOffset PeerSeen;
        public string? PendingFailure;
    }

    /// <summary>Remembers the peer of a connection (any line that names it).</summary>
    public void Learn(string host, int? pid, EcsSource? peer, DateTimeOffset at)
    {
        if (pid is not { } p || peer is null) return;
        lock (_lock)
        {
            var entry = EntryFor(host, p);
            entry.Peer = peer;
            entry.PeerSeen = at;
        }
    }

    /// <summary>The connection's peer when a line at most <see cref="PeerLifetime"/> before <paramref name="at"/> named it.</summary>
    public EcsSource? PeerOf(string host, int? pid, DateTimeOffset at)
    {
        if (pid is not { } p) return null;
        lock (_lock)
        {
            if (!_entries.TryGetValue((host, p), out var e) || e.Peer is null) return null;
            return at - e.PeerSeen <= PeerLifetime && e.PeerSeen - at <= PeerLifetime ? e.Peer : null;
        }
    }

    /// <summary>A failure seen on a line without an address: the connection's close line will carry it.</summary>
    public void MarkFailure(string host, int? pid, string reason)
    {
        if (pid is not { } p) return;
        lock (_lock) EntryFor(host, p).PendingFailure ??= reason;
    }

    /// <summary>Ends the connection; returns the failure a line without address reported for it, if any.</summary>
    public string? Close(string host, int? pid)
    {
        if (pid is not { } p) return null;
        lock (_lock) return _entries.Remove((host, p), out var e) ? e.PendingFailure : null;
    }

    private Entry EntryFor(string host, int pid)
    {
        if (_entries.TryGetValue((host, pid), out var entry)) return entry;
        while (_entries.Count >= capacity && _order.TryDequeue(out var old))
        {
            // Stale queue items (entries closed or re-created since) are skipped.
            if (_entries.TryGetValue((old.Host, old.Pid), out var e) && e.Serial == old.Serial) _entries.Remove((old.Host, old.Pid));
        }
        entry = new Entry { Serial = ++_serial };
        _entries[(host, pid)] = entry;
        _order.Enqueue((host, pid, entry.Serial));
        // Closed entries leave items in the queue: compact it when it is far longer than the table.
        if (_order.Count > 4 * capacity)
        {
            var live = _order.Where(o => _entries.TryGetValue((o.Host, o.Pid), out var e) && e.Serial == o.Serial).ToArray();
            _order.Clear();
            foreach (var o in live) _order.Enqueue(o);
        }
        return entry;
    }
}
