using BlueTeam.Correlation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Storage;

/// <summary>
/// The daemon's first-seen memory: answers <see cref="Observe"/> from memory at once, and writes
/// new pairs to the store behind, in batches, when the daemon calls <see cref="FlushAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="LoadAsync"/> reads the most recently first-seen pairs (up to
/// <see cref="MaxPairs"/>) once at start. The working set is bounded by the same cap: past it, the
/// least recently observed pair is forgotten (a pair answered Known counts as observed). A
/// forgotten pair, or one beyond the cap at load, is reported as new again, which errs on the side
/// of alerting, and is written again harmlessly (the store keeps the first time).
/// </para>
/// <para>
/// A failed flush keeps its pairs queued, ahead of newer ones, and the next flush sends them again
/// (saving is idempotent). The queue is bounded by <see cref="MaxPendingWrites"/>; past it the
/// oldest unwritten pair is dropped, counted in <see cref="DroppedWrites"/> and logged: the pair is
/// still known until restart, and after one it is reported as new again.
/// </para>
/// <para>
/// Pairs written by other daemons sharing the database after the load are not seen until restart
/// (reported new here once). Thread-safe: the correlator observes while the daemon flushes.
/// </para>
/// </remarks>
public sealed class PersistentFirstSeenStore : IFirstSeenStore
{
    private readonly IFirstSeenPairStore _store;
    private readonly ILogger _logger;

    // Everything below is guarded by _lock: Observe runs on the correlator's thread, FlushAsync on
    // the daemon's cycle; both hold it only for in-memory work, never across the database call.
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Rule, string Key), Dictionary<string, LinkedListNode<Entry>>> _groups = [];
    // Most recently observed first; the last node is forgotten first.
    private readonly LinkedList<Entry> _recency = new();
    private List<FirstSeenPair> _pending = [];
    private long _droppedWrites;
    private long _written;

    private PersistentFirstSeenStore(IFirstSeenPairStore store, int maxPairs, int maxPendingWrites, ILogger logger)
    {
        _store = store;
        MaxPairs = maxPairs;
        MaxPendingWrites = maxPendingWrites;
        _logger = logger;
    }

    /// <summary>Pairs kept in memory at most.</summary>
    public int MaxPairs { get; }

    /// <summary>Unwritten pairs kept at most while the store fails.</summary>
    public int MaxPendingWrites { get; }

    /// <summary>Pairs in memory now.</summary>
    public int Count { get { lock (_lock) return _recency.Count; } }

    /// <summary>New pairs not yet written to the store.</summary>
    public int PendingWrites { get { lock (_lock) return _pending.Count; } }

    /// <summary>Pairs written to the store since start.</summary>
    public long WrittenPairs { get { lock (_lock) return _written; } }

    /// <summary>Unwritten pairs dropped because the queue was full (the store failed for long).</summary>
    public long DroppedWrites { get { lock (_lock) return _droppedWrites; } }

    /// <summary>Reads the newest <paramref name="maxPairs"/> pairs from <paramref name="store"/>.</summary>
    /// <exception cref="StoreException">The store cannot be read (the daemon should not start without its memory).</exception>
    public static async Task<PersistentFirstSeenStore> LoadAsync(IFirstSeenPairStore store, int maxPairs = 1_000_000, int maxPendingWrites = 100_000,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPairs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPendingWrites, 1);
        var memory = new PersistentFirstSeenStore(store, maxPairs, maxPendingWrites, logger ?? NullLogger.Instance);
        var pairs = await store.LoadFirstSeenAsync(maxPairs, cancellationToken).ConfigureAwait(false);
        lock (memory._lock)
        {
            // Newest first from the store; added oldest first so the newest end up most recent.
            for (var i = pairs.Count - 1; i >= 0; i--)
                memory.AddLocked(new Entry(pairs[i].Rule, pairs[i].Key, pairs[i].Value));
        }
        return memory;
    }

    public FirstSeenResult Observe(string ruleName, string key, string value, DateTimeOffset seenAt)
    {
        ArgumentNullException.ThrowIfNull(ruleName);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_lock)
        {
            FirstSeenResult result;
            if (_groups.TryGetValue((ruleName, key), out var values))
            {
                if (values.TryGetValue(value, out var node))
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    return FirstSeenResult.Known;
                }
                result = FirstSeenResult.NewValue;
            }
            else
            {
                result = FirstSeenResult.NewKey;
            }
            AddLocked(new Entry(ruleName, key, value));
            QueueLocked(new FirstSeenPair(ruleName, key, value, seenAt));
            return result;
        }
    }

    /// <summary>Writes the pairs observed since the last successful flush, in one transaction.</summary>
    /// <returns>How many pairs were written.</returns>
    /// <exception cref="StoreException">The write failed; the pairs stay queued for the next flush.</exception>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        List<FirstSeenPair> batch;
        lock (_lock)
        {
            if (_pending.Count == 0) return 0;
            batch = _pending;
            _pending = [];
        }
        try
        {
            await _store.SaveFirstSeenAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Put them back in front of anything observed meanwhile, then let the caller see why.
            lock (_lock)
            {
                batch.AddRange(_pending);
                _pending = batch;
                TrimPendingLocked();
            }
            throw;
        }
        lock (_lock) _written += batch.Count;
        return batch.Count;
    }

    private void AddLocked(Entry entry)
    {
        if (!_groups.TryGetValue((entry.Rule, entry.Key), out var values))
            _groups[(entry.Rule, entry.Key)] = values = new Dictionary<string, LinkedListNode<Entry>>(StringComparer.Ordinal);
        if (values.ContainsKey(entry.Value)) return;
        values[entry.Value] = _recency.AddFirst(entry);
        while (_recency.Count > MaxPairs)
        {
            var oldest = _recency.Last!.Value;
            _recency.RemoveLast();
            var group = _groups[(oldest.Rule, oldest.Key)];
            group.Remove(oldest.Value);
            if (group.Count == 0) _groups.Remove((oldest.Rule, oldest.Key));
        }
    }

    private void QueueLocked(FirstSeenPair pair)
    {
        _pending.Add(pair);
        TrimPendingLocked();
    }

    private void TrimPendingLocked()
    {
        var excess = _pending.Count - MaxPendingWrites;
        if (excess <= 0) return;
        _pending.RemoveRange(0, excess);
        var before = _droppedWrites;
        _droppedWrites += excess;
        // Once, then at each doubling: loud enough to see, without a line per event of a flood.
        if (before == 0 || long.Log2(before) != long.Log2(_droppedWrites))
            Log.FirstSeenWritesDropped(_logger, excess, _droppedWrites);
    }

    private readonly record struct Entry(string Rule, string Key, string Value);
}
