using System.Data.Common;
using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using AlertSilence = BlueTeam.Alerting.Silence;

namespace BlueTeam.Storage;

// What the alert engine needs to keep noise down (INotificationLog, ISilenceSource, IAckSource),
// over the outbox rows, the silences table and the ack columns. Semantics are those of the
// in-memory reference store the engine's tests use.
public abstract partial class AdoStore : INotificationLog, ISilenceSource, IAckSource, INoiseControlChanges
{
    /// <inheritdoc />
    public NoiseControlSources NoiseControl => NoiseControlSources.Of(this);

    /// <inheritdoc />
    /// <remarks>Newest = highest id; one entry per channel, ordered by channel.</remarks>
    public Task<IReadOnlyList<ChannelNotification>> GetLastNotificationsAsync(long alertId, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<ChannelNotification>>($"read the notifications of alert {alertId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT d.channel, d.queued_at, d.severity, d.event_count, d.status
                FROM {_deliveries} d
                WHERE d.alert_id = @alert_id
                  AND d.id = (SELECT MAX(l.id) FROM {_deliveries} l WHERE l.alert_id = d.alert_id AND l.channel = d.channel)
                ORDER BY d.channel
                """);
            Add(command, "@alert_id", alertId);
            var result = new List<ChannelNotification>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                result.Add(new ChannelNotification(reader.GetString(0), _dialect.ReadTimestamp(reader, 1), ReadSeverity(reader, 2),
                    reader.GetInt32(3), ParseStatus(reader.GetString(4))));
            }
            return result;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// The rows are due at <paramref name="queuedAt"/>, in one transaction. Channels are
    /// deduplicated; none at all writes nothing. Throws <see cref="StoreException"/> when the alert
    /// does not exist. The alert row itself does not change, so the audit chain gets no entry.
    /// </remarks>
    public Task EnqueueDeliveriesAsync(long alertId, IReadOnlyCollection<string> channels, NotifyReason reason, Severity severity, int eventCount, DateTimeOffset queuedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ReasonName(reason); // an unknown reason is a bug: fail before touching the database
        var distinct = channels.Distinct(StringComparer.Ordinal).ToList();
        return RunAsync($"queue deliveries of alert {alertId}", async (connection, ct) =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using (var exists = Command(connection, transaction, $"SELECT COUNT(*) FROM {_alerts} WHERE id = @id"))
            {
                Add(exists, "@id", alertId);
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false)) == 0)
                    throw new StoreException($"queue deliveries of alert {alertId}", Description, "no such alert");
            }
            await using (var statements = Statements(connection, transaction))
            {
                QueueDeliveries(statements, alertId, distinct, reason, severity, eventCount, queuedAt);
                await statements.FlushAsync(ct).ConfigureAwait(false);
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Started, not ended and not expired at <paramref name="now"/> (an expired silence ends at its
    /// expiry), ordered by id. The stored silence maps as: rule → <see cref="AlertSilence.RuleName"/>,
    /// matchers → <see cref="AlertSilence.Matchers"/>, reason → <see cref="AlertSilence.Comment"/>,
    /// ends_at (or expired_at, whichever is first) → <see cref="AlertSilence.EndsAt"/>.
    /// </remarks>
    public Task<IReadOnlyList<AlertSilence>> GetActiveSilencesAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        ReadEngineSilencesAsync("read active silences", "starts_at <= @now AND ", now, cancellationToken);

    /// <inheritdoc />
    /// <remarks>As <see cref="GetActiveSilencesAsync"/>, without the condition on the start.</remarks>
    public Task<IReadOnlyList<AlertSilence>> GetSilencesNotEndedAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        ReadEngineSilencesAsync("read silences not ended", "", now, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Silences are only ever added, expired (expired_at set once) or deleted, so their count, highest id and
    /// number expired change with any of those. An ack sets acked_at to the time of the ack: the number of
    /// acknowledged alerts and the newest ack time change with any ack, bar a re-acknowledgement stamped earlier
    /// than the newest one (two hosts' clocks apart), which is seen with the next change. Read through the
    /// partial index of migration 14, so the cost is that of the acknowledged rows, not of the history.
    /// </remarks>
    public Task<NoiseControlVersion> GetNoiseControlVersionAsync(CancellationToken cancellationToken) =>
        RunAsync("read the silences' and acks' version", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT (SELECT COUNT(*) FROM {_silences}), (SELECT MAX(id) FROM {_silences}), (SELECT COUNT(expired_at) FROM {_silences}),
                       (SELECT COUNT(*) FROM {_alerts} WHERE acked_at IS NOT NULL), (SELECT MAX(acked_at) FROM {_alerts} WHERE acked_at IS NOT NULL)
                """);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                throw new StoreException("read the silences' and acks' version", Description, "the query returned no row");
            var maxId = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
            var newestAck = reader.IsDBNull(4) ? 0 : _dialect.ReadTimestamp(reader, 4).UtcTicks;
            return new NoiseControlVersion(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reader.GetInt64(0)}:{maxId}:{reader.GetInt64(2)}"),
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reader.GetInt64(3)}:{newestAck}"));
        }, cancellationToken);

    private Task<IReadOnlyList<AlertSilence>> ReadEngineSilencesAsync(string operation, string startCondition, DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<AlertSilence>>(operation, async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT {SilenceColumns} FROM {_silences}
                WHERE {startCondition}ends_at > @now AND (expired_at IS NULL OR expired_at > @now)
                ORDER BY id
                """);
            AddTimestamp(command, "@now", now);
            var result = new List<AlertSilence>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var stored = ReadSilence(reader);
                if (stored.MatchersError is not null) continue; // unreadable: holds nothing back (silence list shows why)
                result.Add(new AlertSilence
                {
                    Id = stored.Id,
                    StartsAt = stored.StartsAt,
                    EndsAt = stored.ExpiredAt is { } expired && expired < stored.EndsAt ? expired : stored.EndsAt,
                    CreatedBy = stored.CreatedBy,
                    Comment = stored.Reason,
                    RuleName = string.IsNullOrEmpty(stored.RuleName) ? null : stored.RuleName,
                    Matchers = stored.Matchers,
                });
            }
            return result;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Chained like every change to an alert row; throws <see cref="StoreException"/> when the alert does not exist.</remarks>
    async Task ISilenceSource.MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken)
    {
        if (!await MarkSilencedAsync(alertId, silenceId, cancellationToken).ConfigureAwait(false))
            throw new StoreException($"mark alert {alertId} silenced by silence {silenceId}", Description, "no such alert");
    }

    /// <inheritdoc />
    /// <remarks>Null when the alert is not acknowledged or does not exist.</remarks>
    public Task<AlertAck?> GetAckAsync(long alertId, CancellationToken cancellationToken) =>
        RunAsync($"read the acknowledgement of alert {alertId}", async (connection, ct) =>
        {
            var triage = await ReadTriageAsync(connection, null, alertId, ct).ConfigureAwait(false);
            if (triage is not { AckedAt: { } at, AckedBy: { } by, AckedSeverity: { } severity }) return null;
            return new AlertAck(alertId, by, at, severity);
        }, cancellationToken);

    public Task<IReadOnlyList<QueuedNotification>> GetNotificationHistoryAsync(long alertId, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<QueuedNotification>>($"read the notification history of alert {alertId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT id, channel, queued_at, severity, event_count, reason, status
                FROM {_deliveries} WHERE alert_id = @alert_id ORDER BY id
                """);
            Add(command, "@alert_id", alertId);
            var result = new List<QueuedNotification>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                result.Add(new QueuedNotification(reader.GetInt64(0), reader.GetString(1), _dialect.ReadTimestamp(reader, 2), ReadSeverity(reader, 3),
                    reader.GetInt32(4), ParseReason(reader.GetString(5)), ParseStatus(reader.GetString(6))));
            }
            return result;
        }, cancellationToken);

    /// <summary>Adds one pending delivery row per channel (the outbox), due at <paramref name="queuedAt"/>, to the transaction's flush.</summary>
    private static void QueueDeliveries(TransactionStatements statements, long alertId, IReadOnlyList<string> channels,
        NotifyReason reason, Severity severity, int eventCount, DateTimeOffset queuedAt)
    {
        var severityName = severity.ToName();
        var reasonName = ReasonName(reason);
        foreach (var channel in channels)
            statements.Add(new DeliveryRow(alertId, channel, queuedAt, severityName, eventCount, reasonName));
    }

    // The names delivery rows and the alert JSON share (Alerting's NotifyReasonNames).
    private static string ReasonName(NotifyReason reason) => NotifyReasonNames.Name(reason);

    private static NotifyReason ParseReason(string text) => NotifyReasonNames.Parse(text);
}
