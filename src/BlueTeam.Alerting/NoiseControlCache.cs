namespace BlueTeam.Alerting;

/// <summary>
/// Silences and acknowledgements kept in memory, for the engine that reads them for every batch (silences) and
/// every updated alert (acks); invalidated when the store says they changed, whoever changed them (the CLI, another
/// host's daemon).
/// </summary>
/// <remarks>
/// <para>
/// Each <see cref="GetActiveSilencesAsync"/> (the engine's once-per-batch call) reads the store's
/// <see cref="NoiseControlVersion"/>, a single short query. When the silences' token moved, the silences not yet
/// ended are read again; the active ones are then picked by time in memory, so a silence that starts or ends
/// later does so on time without a read. When the acks' token moved, the acks kept are dropped and read again
/// as they are asked for. A silence added or expired, or an alert acknowledged, before a batch starts therefore
/// applies to that batch, as it did when every batch read them.
/// </para>
/// <para>
/// <see cref="GetAckAsync"/> answers from memory as of the last version read (the start of the batch); before any,
/// it asks the store. Acks are kept for at most <see cref="MaxAcks"/> alerts, then dropped and read again.
/// </para>
/// </remarks>
public sealed class NoiseControlCache : ISilenceSource, IAckSource
{
    /// <summary>Alerts whose ack (or absence of one) is kept; a daemon updates far fewer alerts between two changes.</summary>
    public const int MaxAcks = 100_000;

    private readonly ISilenceSource _silences;
    private readonly IAckSource _acks;
    private readonly INoiseControlChanges _changes;

    // Guards the fields below; never held across an await. _generation moves whenever the acks are dropped, so an
    // ack read from the store before a drop is not kept after it.
    private readonly Lock _lock = new();
    private NoiseControlVersion? _version;
    private IReadOnlyList<Silence> _notEnded = [];
    private DateTimeOffset _notEndedAt;
    private readonly Dictionary<long, AlertAck?> _ackByAlert = [];
    private long _generation;

    public NoiseControlCache(ISilenceSource silences, IAckSource acks, INoiseControlChanges changes)
    {
        ArgumentNullException.ThrowIfNull(silences);
        ArgumentNullException.ThrowIfNull(acks);
        ArgumentNullException.ThrowIfNull(changes);
        _silences = silences;
        _acks = acks;
        _changes = changes;
    }

    /// <summary>Version reads that found silences changed and read them again (for tests and the curious).</summary>
    public long SilenceReloads { get; private set; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Silence>> GetActiveSilencesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var version = await _changes.GetNoiseControlVersionAsync(cancellationToken).ConfigureAwait(false);
        bool reload;
        lock (_lock)
        {
            if (_version is not { } known || known.Acks != version.Acks)
            {
                _ackByAlert.Clear();
                _generation++;
            }
            // Also when the clock went back: the list read later does not hold silences that ended before then.
            reload = _version is not { } seen || seen.Silences != version.Silences || now < _notEndedAt;
            if (!reload) _version = version;
        }
        if (reload)
        {
            var notEnded = await _changes.GetSilencesNotEndedAsync(now, cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                _notEnded = notEnded;
                _notEndedAt = now;
                _version = version;
                SilenceReloads++;
            }
        }

        IReadOnlyList<Silence> current;
        lock (_lock) current = _notEnded;
        var active = new List<Silence>(current.Count);
        foreach (var silence in current)
            if (silence.StartsAt <= now && now < silence.EndsAt) active.Add(silence);
        return active;
    }

    /// <inheritdoc />
    public Task MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken) =>
        _silences.MarkSilencedAsync(alertId, silenceId, cancellationToken);

    /// <inheritdoc />
    public async Task<AlertAck?> GetAckAsync(long alertId, CancellationToken cancellationToken)
    {
        long generation;
        lock (_lock)
        {
            if (_version is null) generation = -1;
            else if (_ackByAlert.TryGetValue(alertId, out var known)) return known;
            else generation = _generation;
        }
        var ack = await _acks.GetAckAsync(alertId, cancellationToken).ConfigureAwait(false);
        if (generation < 0) return ack;
        lock (_lock)
        {
            if (generation != _generation) return ack;
            if (_ackByAlert.Count >= MaxAcks)
            {
                _ackByAlert.Clear();
                _generation++;
            }
            _ackByAlert[alertId] = ack;
        }
        return ack;
    }
}
