using System.Text;
using System.Text.Json;

namespace BlueTeam.Storage;

/// <summary>
/// Keeps incidents when the store is down: a save that fails with <see cref="StoreException"/> is
/// appended to a local spool file instead, and <see cref="ReplaySpoolAsync"/> writes the spooled
/// incidents to the store, in order, once it is back. Everything else passes through.
/// </summary>
/// <remarks>
/// <para>
/// Once anything is spooled, later saves are spooled too (without trying the store) until a replay
/// empties the spool: the store upserts by fingerprint and takes count and last_seen from the
/// newest save, so an older spooled update replayed after a newer live one would move them back.
/// </para>
/// <para>
/// The spool is JSON lines, one save per line (format version, time, host, channels, the incident
/// as ECS JSON), created owner-only (0600) because it holds the same attack details as the store,
/// and each line is fsync'ed before the save returns. Replay is idempotent (the store upserts by
/// fingerprint), so the spool is truncated only after every line was saved; a replay that fails
/// half way simply runs again.
/// </para>
/// <para>
/// The engine's noise-control interfaces are passed through to the inner store, so the daemon can
/// hand this wrapper to the engine as its store and as its noise control (NoiseControlSources.Of). Two
/// differ while the store is down: active silences are answered from the last list read (an incident
/// must reach the spool, not fail on its silence lookup), and marking a spooled save as silenced does
/// nothing (it was spooled with no channels, so it is still not delivered after the replay; only the
/// mark is lost). Silences and acks are kept in memory (<see cref="NoiseControlCache"/>), checked with
/// the store's <see cref="INoiseControlChanges"/>: one short read per batch instead of the silences and
/// an ack per updated alert.
/// </para>
/// </remarks>
public sealed class SpoolingAlertStore : IAlertStore, INotificationLog, ISilenceSource, IAckSource, IDeliveryScheduler, IDisposable
{
    /// <summary>The <see cref="AlertSaveResult.AlertId"/> of a spooled save: stores number alerts from 1.</summary>
    public const long SpooledAlertId = 0;

    private const int FormatVersion = 1;

    // Spooled saves replayed per store transaction: a long outage's spool is written back in
    // batches, not one transaction per line, without one transaction growing without bound.
    private const int ReplayBatch = 500;
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly IBlueTeamStore _inner;
    private readonly TimeProvider _time;

    // One writer at a time for the spool file and the "spool is non-empty" state below; held across
    // the store call of a save so that a save cannot slip in between a replay and its truncation.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long? _spooledLines; // null until the file was looked at

    // The last active silences the store returned, for when it is down; replaced whole, never mutated.
    private IReadOnlyList<AlertSilence> _lastSilences = [];

    // Silences and acks in memory, checked for changes once a batch.
    private readonly NoiseControlCache _noise;

    public SpoolingAlertStore(IBlueTeamStore inner, string spoolPath, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentException.ThrowIfNullOrEmpty(spoolPath);
        _inner = inner;
        SpoolPath = Path.GetFullPath(spoolPath);
        _time = timeProvider ?? TimeProvider.System;
        _noise = new NoiseControlCache(inner.SilenceSource, inner, inner);
    }

    public string SpoolPath { get; }

    /// <summary>Whether <paramref name="result"/> came from a save that was spooled, not stored.</summary>
    public static bool IsSpooled(AlertSaveResult result) => result.AlertId == SpooledAlertId;

    /// <summary>Saves through to the store, or spools when it fails or the spool is not yet replayed.</summary>
    /// <returns>The store's result, or <c>(SpooledAlertId, IsNew: true)</c> when spooled: see <see cref="SaveOrSpoolAsync"/>.</returns>
    public async Task<AlertSaveResult> SaveAlertAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken)
    {
        var result = await SaveOrSpoolAsync(incident, host, channels, cancellationToken).ConfigureAwait(false);
        // IsNew: true for a spooled save, because whether it is new is decided at replay, and the
        // outbox rows (the deliveries) are only written then.
        return result.Spooled ? new AlertSaveResult(SpooledAlertId, IsNew: true) : result.Saved!.Value;
    }

    /// <summary>As <see cref="SaveAlertAsync"/>, saying plainly whether the incident was stored or spooled and why.</summary>
    public async Task<SpoolingSaveResult> SaveOrSpoolAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(channels);

        var (stored, failure) = await SaveOrSpoolAllAsync([new AlertSaveRequest(incident, host, channels)], cancellationToken).ConfigureAwait(false);
        return new SpoolingSaveResult(stored?[0], failure);
    }

    /// <summary>
    /// Saves the batch through to the store in its one transaction, or spools every incident of it,
    /// in order, when that fails (nothing of a failed batch was stored) or the spool is not yet
    /// replayed. One write and one fsync for the whole batch.
    /// </summary>
    /// <returns>The store's results, or <c>(SpooledAlertId, IsNew: true)</c> for each incident when spooled.</returns>
    public async Task<IReadOnlyList<AlertSaveResult>> SaveAlertsAsync(IReadOnlyList<AlertSaveRequest> saves, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(saves);
        foreach (var save in saves) ArgumentNullException.ThrowIfNull(save, nameof(saves));
        if (saves.Count == 0) return [];

        var (stored, _) = await SaveOrSpoolAllAsync(saves, cancellationToken).ConfigureAwait(false);
        return stored ?? Spooled(saves.Count);
    }

    /// <summary>
    /// The saves stored in the store's one transaction (Stored), or spooled, in order, when the store failed
    /// (StoreFailure says why; nothing of a failed batch was stored) or the spool is not yet replayed (Stored null).
    /// </summary>
    private async Task<(IReadOnlyList<AlertSaveResult>? Stored, StoreException? StoreFailure)> SaveOrSpoolAllAsync(
        IReadOnlyList<AlertSaveRequest> saves, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (SpooledLinesLocked() > 0)
            {
                await AppendOrFailLocked(saves, null, cancellationToken).ConfigureAwait(false);
                return (null, null);
            }
            try
            {
                return (await _inner.SaveAlertsAsync(saves, cancellationToken).ConfigureAwait(false), null);
            }
            catch (StoreException e)
            {
                await AppendOrFailLocked(saves, e, cancellationToken).ConfigureAwait(false);
                return (null, e);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static AlertSaveResult[] Spooled(int count) => Enumerable.Repeat(new AlertSaveResult(SpooledAlertId, IsNew: true), count).ToArray();

    /// <summary>
    /// Spools the incidents; when the spool cannot be written either (its disk is full or read-only),
    /// throws a <see cref="StoreException"/> saying so: the caller keeps the incidents (does not
    /// commit past their lines) and tries again, rather than losing them or crashing.
    /// </summary>
    private async Task AppendOrFailLocked(IReadOnlyList<AlertSaveRequest> saves, StoreException? storeFailure, CancellationToken cancellationToken)
    {
        try
        {
            await AppendLocked(saves, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"spool incident (the store: {storeFailure?.Message ?? "spool not yet replayed"})", SpoolPath, e);
        }
    }

    // The outbox scheduling is the store's: while it is down these fail as the store does.
    public Task<IReadOnlyList<string>> GetDueChannelsAsync(DateTimeOffset now, CancellationToken cancellationToken) => _inner.GetDueChannelsAsync(now, cancellationToken);
    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesForChannelAsync(string channel, DateTimeOffset now, int max, CancellationToken cancellationToken) => _inner.GetDueDeliveriesForChannelAsync(channel, now, max, cancellationToken);
    public Task<int> DeferAsync(IReadOnlyCollection<long> deliveryIds, DateTimeOffset until, CancellationToken cancellationToken) => _inner.DeferAsync(deliveryIds, until, cancellationToken);
    public Task<IReadOnlyList<ChannelSend>> GetSendsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) => _inner.GetSendsSinceAsync(since, cancellationToken);

    /// <summary>Lines waiting in the spool.</summary>
    public async Task<long> GetSpooledCountAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return SpooledLinesLocked();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Saves every spooled incident to the store, oldest first, then empties the spool. A
    /// <see cref="StoreException"/> (the store is still down) leaves the spool as it was.
    /// </summary>
    /// <exception cref="InvalidDataException">A line other than a torn last one is not a spool record; nothing is truncated.</exception>
    public async Task<SpoolReplay> ReplaySpoolAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!File.Exists(SpoolPath))
            {
                _spooledLines = 0;
                return new SpoolReplay(0, 0, TornTailDropped: false);
            }
            var text = await File.ReadAllTextAsync(SpoolPath, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
            var lines = text.Split('\n');
            // A crash in the middle of an append leaves a last line without its newline. That save
            // never returned (its fsync did not happen), so nobody was told it was kept: drop it.
            var tornTail = lines[^1].Length > 0;
            var complete = lines.AsSpan(0, lines.Length - 1).ToArray();

            var records = new List<AlertSaveRequest>(complete.Length);
            for (var i = 0; i < complete.Length; i++)
                records.Add(ParseLine(complete[i], i + 1));

            var created = 0;
            foreach (var chunk in records.Chunk(ReplayBatch))
            {
                var saved = await _inner.SaveAlertsAsync(chunk, cancellationToken).ConfigureAwait(false);
                created += saved.Count(s => s.IsNew);
            }

            await using (var truncate = new FileStream(SpoolPath, FileMode.Truncate, FileAccess.Write, FileShare.Read))
                truncate.Flush(flushToDisk: true);
            _spooledLines = 0;
            return new SpoolReplay(records.Count, created, tornTail);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        _inner.GetDueDeliveriesAsync(now, max, cancellationToken);

    public Task RecordDeliveryAttemptAsync(long deliveryId, DeliveryStatus status, string? error, DateTimeOffset attemptedAt, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken) =>
        _inner.RecordDeliveryAttemptAsync(deliveryId, status, error, attemptedAt, nextAttemptAt, cancellationToken);

    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(AlertQuery query, CancellationToken cancellationToken) =>
        _inner.ListAlertsAsync(query, cancellationToken);

    public Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken) => _inner.GetAlertAsync(id, cancellationToken);

    public Task<IReadOnlyList<DeliveryRecord>> GetDeliveriesAsync(long alertId, CancellationToken cancellationToken) =>
        _inner.GetDeliveriesAsync(alertId, cancellationToken);

    public Task<IReadOnlyList<ChannelNotification>> GetLastNotificationsAsync(long alertId, CancellationToken cancellationToken) =>
        _inner.GetLastNotificationsAsync(alertId, cancellationToken);

    public Task EnqueueDeliveriesAsync(long alertId, IReadOnlyCollection<string> channels, NotifyReason reason, Severity severity, int eventCount, DateTimeOffset queuedAt, CancellationToken cancellationToken) =>
        _inner.EnqueueDeliveriesAsync(alertId, channels, reason, severity, eventCount, queuedAt, cancellationToken);

    /// <summary>
    /// The inner store's active silences, kept in memory while the store says they did not change (see
    /// <see cref="NoiseControlCache"/>); while it fails, the last ones it returned that are still active at <paramref name="now"/>.
    /// </summary>
    public async Task<IReadOnlyList<AlertSilence>> GetActiveSilencesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            var active = await _noise.GetActiveSilencesAsync(now, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastSilences, active);
            return active;
        }
        catch (StoreException)
        {
            // The save that follows will fail too and be spooled; what matters is that it gets there.
            return Volatile.Read(ref _lastSilences).Where(s => s.StartsAt <= now && now < s.EndsAt).ToList();
        }
    }

    /// <summary>Marks the stored alert; does nothing for <see cref="SpooledAlertId"/> (see the class remarks).</summary>
    public Task MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken) =>
        alertId == SpooledAlertId ? Task.CompletedTask : _inner.SilenceSource.MarkSilencedAsync(alertId, silenceId, cancellationToken);

    /// <summary>The alert's acknowledgement, from memory as of the last check for changes.</summary>
    public Task<AlertAck?> GetAckAsync(long alertId, CancellationToken cancellationToken) =>
        _noise.GetAckAsync(alertId, cancellationToken);

    /// <summary>Releases the spool lock; the inner store belongs to the caller and stays open.</summary>
    public void Dispose() => _gate.Dispose();

    private long SpooledLinesLocked()
    {
        if (_spooledLines is { } known) return known;
        long count = 0;
        if (File.Exists(SpoolPath))
        {
            foreach (var line in File.ReadLines(SpoolPath, Encoding.UTF8))
                if (line.Length > 0) count++;
        }
        _spooledLines = count;
        return count;
    }

    private async Task AppendLocked(IReadOnlyList<AlertSaveRequest> saves, CancellationToken ct)
    {
        using var lines = new MemoryStream();
        foreach (var (incident, host, channels) in saves)
        {
            await using (var json = new Utf8JsonWriter(lines))
            {
                json.WriteStartObject();
                json.WriteNumber("v", FormatVersion);
                json.WriteString("spooled_at", _time.GetUtcNow());
                json.WriteString("host", host);
                json.WriteStartArray("channels");
                foreach (var channel in channels) json.WriteStringValue(channel);
                json.WriteEndArray();
                json.WritePropertyName("incident");
                json.WriteRawValue(EcsJson.Serialize(incident));
                json.WriteEndObject();
            }
            lines.WriteByte((byte)'\n');
        }

        CreateSpoolDirectory();
        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            UnixCreateMode = FileMode600,
            BufferSize = 0, // unbuffered: nothing is left to flush (and fail again) when a write failed
        };
        var file = new FileStream(SpoolPath, options);
        var before = file.Length;
        try
        {
            // One write of the whole lines: a crash leaves at most a torn last line, never a mix.
            await file.WriteAsync(lines.GetBuffer().AsMemory(0, (int)lines.Length), ct).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
            await file.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Disk full or failing: take back whatever part of the line reached the file, so a
            // retry appends a whole line after whole lines (a torn line in the middle would stop
            // the replay of everything after it).
            file.Dispose();
            using (var truncate = new FileStream(SpoolPath, FileMode.Open, FileAccess.Write, FileShare.Read)) truncate.SetLength(before);
            throw;
        }
        _spooledLines = SpooledLinesLocked() + saves.Count;
    }

    /// <summary>
    /// The spool sits next to the database file, whose directory nothing creates when the store
    /// is PostgreSQL (the daemon as root spools to /var/lib/blueteam): create it, owner-only like
    /// the spool, rather than fail to spool at the moment the store is down.
    /// </summary>
    private void CreateSpoolDirectory()
    {
        var directory = Path.GetDirectoryName(SpoolPath);
        if (string.IsNullOrEmpty(directory) || Directory.Exists(directory)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, DirectoryMode700);
    }

    private static AlertSaveRequest ParseLine(string line, int number)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.GetProperty("v").GetInt32() != FormatVersion)
                throw new InvalidDataException($"spool line {number}: unknown format version {root.GetProperty("v").GetRawText()}");
            var host = root.GetProperty("host").GetString() ?? throw new InvalidDataException($"spool line {number}: host is null");
            var channels = root.GetProperty("channels").EnumerateArray()
                .Select(c => c.GetString() ?? throw new InvalidDataException($"spool line {number}: a channel is null")).ToArray();
            var incident = EcsJson.DeserializeIncident(root.GetProperty("incident").GetRawText())
                ?? throw new InvalidDataException($"spool line {number}: incident is null");
            return new AlertSaveRequest(incident, host, channels);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"spool line {number} is not a spool record: {e.Message}", e);
        }
    }
}

/// <summary>What <see cref="SpoolingAlertStore.SaveOrSpoolAsync"/> did.</summary>
/// <param name="Saved">The store's result when the store took the incident; null when it was spooled.</param>
/// <param name="StoreFailure">Why it was spooled, when the store refused it; null when it was spooled only because earlier saves are still waiting.</param>
public sealed record SpoolingSaveResult(AlertSaveResult? Saved, StoreException? StoreFailure)
{
    public bool Spooled => Saved is null;
}

/// <summary>What a replay did.</summary>
/// <param name="Replayed">Spooled saves written to the store.</param>
/// <param name="Created">How many of them created a new alert (the rest updated one).</param>
/// <param name="TornTailDropped">Whether a last line cut short by a crash was dropped.</param>
public sealed record SpoolReplay(int Replayed, int Created, bool TornTailDropped);
