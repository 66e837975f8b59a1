namespace BlueTeam.Storage.Ado;

// The outbox: one delivery row per channel and notification, read when due, updated per attempt.
internal sealed class AdoOutbox(StoreDatabase db, StoreRows rows) : INotificationLog
{
    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        return ReadDueDeliveriesAsync(channel: null, now, max, cancellationToken);
    }

    /// <summary>
    /// Due deliveries, oldest first; for one <paramref name="channel"/> (its worker's queue) critical ones first.
    /// "Critical" is the alert's current severity (the stored severity only ever rises).
    /// </summary>
    public Task<IReadOnlyList<PendingDelivery>> ReadDueDeliveriesAsync(string? channel, DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<PendingDelivery>>(channel is null ? "read due deliveries" : $"read due deliveries of channel {channel}", async (connection, ct) =>
        {
            var (channelFilter, criticalFirst) = channel is null ? ("", "") : ("d.channel = @channel AND ", "CASE WHEN a.severity = 'critical' THEN 0 ELSE 1 END, ");
            // With each delivery, what its channel last delivered of the same alert: an update says what changed since.
            await using var command = Command(connection, null, $"""
                SELECT {StoreRows.DeliveryColumns}, {StoreRows.AlertColumns}, d.reason, p.severity, p.event_count, p.queued_at
                FROM {db.Deliveries} d JOIN {db.Alerts} a ON a.id = d.alert_id
                LEFT JOIN {db.Deliveries} p ON p.id = (
                    SELECT MAX(q.id) FROM {db.Deliveries} q
                    WHERE q.alert_id = d.alert_id AND q.channel = d.channel AND q.id < d.id AND q.status = 'delivered')
                WHERE {channelFilter}d.status = 'pending' AND d.next_attempt_at <= @now
                ORDER BY {criticalFirst}d.next_attempt_at, d.id
                LIMIT @max
                """);
            if (channel is not null) AddText(command, "@channel", channel);
            db.AddTimestamp(command, "@now", now);
            Add(command, "@max", max);
            var result = new List<PendingDelivery>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                const int change = StoreRows.DeliveryColumnCount + StoreRows.AlertColumnCount;
                var alert = rows.ReadAlert(reader, StoreRows.DeliveryColumnCount) with
                {
                    Change = AlertChange.For(StoreRows.ParseReason(reader.GetString(change)),
                        reader.IsDBNull(change + 1) ? null : StoreRows.ReadSeverity(reader, change + 1),
                        reader.IsDBNull(change + 2) ? null : reader.GetInt32(change + 2),
                        reader.IsDBNull(change + 3) ? null : db.Dialect.ReadTimestamp(reader, change + 3)),
                };
                result.Add(new PendingDelivery(rows.ReadDelivery(reader, 0), alert));
            }
            return result;
        }, cancellationToken);

    /// <inheritdoc cref="IAlertStore.RecordDeliveryAttemptAsync"/>
    /// <remarks>
    /// <paramref name="nextAttemptAt"/> is required when the status stays
    /// <see cref="DeliveryStatus.Pending"/> (otherwise the row would never be due again) and is
    /// ignored (stored as null) for a final status. delivered_at is set only for Delivered.
    /// </remarks>
    public Task RecordDeliveryAttemptAsync(long deliveryId, DeliveryStatus status, string? error, DateTimeOffset attemptedAt, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken)
    {
        if (status == DeliveryStatus.Pending && nextAttemptAt is null)
            throw new ArgumentException("a delivery that stays pending needs the time of its next attempt", nameof(nextAttemptAt));
        var statusName = StoreRows.StatusName(status);

        return db.RunAsync($"record delivery attempt {deliveryId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                UPDATE {db.Deliveries}
                SET attempts = attempts + 1, status = @status, last_error = @last_error,
                    next_attempt_at = @next_attempt_at, delivered_at = COALESCE(@delivered_at, delivered_at)
                WHERE id = @id
                """);
            AddText(command, "@status", statusName);
            AddText(command, "@last_error", error);
            db.AddTimestamp(command, "@next_attempt_at", status == DeliveryStatus.Pending ? nextAttemptAt : null);
            db.AddTimestamp(command, "@delivered_at", status == DeliveryStatus.Delivered ? attemptedAt : null);
            Add(command, "@id", deliveryId);
            if (await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                throw new StoreException($"record delivery attempt {deliveryId}", db.Description, "no such delivery");
            return true;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<DeliveryRecord>> GetDeliveriesAsync(long alertId, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<DeliveryRecord>>($"read deliveries of alert {alertId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT {StoreRows.DeliveryColumns} FROM {db.Deliveries} d WHERE d.alert_id = @alert_id ORDER BY d.id");
            Add(command, "@alert_id", alertId);
            var result = new List<DeliveryRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(rows.ReadDelivery(reader, 0));
            return result;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Newest = highest id; one entry per channel, ordered by channel.</remarks>
    public Task<IReadOnlyList<ChannelNotification>> GetLastNotificationsAsync(long alertId, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<ChannelNotification>>($"read the notifications of alert {alertId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT d.channel, d.queued_at, d.severity, d.event_count, d.status
                FROM {db.Deliveries} d
                WHERE d.alert_id = @alert_id
                  AND d.id = (SELECT MAX(l.id) FROM {db.Deliveries} l WHERE l.alert_id = d.alert_id AND l.channel = d.channel)
                ORDER BY d.channel
                """);
            Add(command, "@alert_id", alertId);
            var result = new List<ChannelNotification>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                result.Add(new ChannelNotification(reader.GetString(0), db.Dialect.ReadTimestamp(reader, 1), StoreRows.ReadSeverity(reader, 2),
                    reader.GetInt32(3), StoreRows.ParseStatus(reader.GetString(4))));
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
        StoreRows.ReasonName(reason); // an unknown reason is a bug: fail before touching the database
        var distinct = channels.Distinct(StringComparer.Ordinal).ToList();
        return db.RunAsync($"queue deliveries of alert {alertId}", async (connection, ct) =>
        {
            await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using (var exists = Command(connection, transaction, $"SELECT COUNT(*) FROM {db.Alerts} WHERE id = @id"))
            {
                Add(exists, "@id", alertId);
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false)) == 0)
                    throw new StoreException($"queue deliveries of alert {alertId}", db.Description, "no such alert");
            }
            await using (var statements = db.Statements(connection, transaction))
            {
                QueueDeliveries(statements, alertId, distinct, reason, severity, eventCount, queuedAt);
                await statements.FlushAsync(ct).ConfigureAwait(false);
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }


    /// <summary>Adds one pending delivery row per channel (the outbox), due at <paramref name="queuedAt"/>, to the transaction's flush.</summary>
    public static void QueueDeliveries(TransactionStatements statements, long alertId, IReadOnlyList<string> channels,
        NotifyReason reason, Severity severity, int eventCount, DateTimeOffset queuedAt)
    {
        var severityName = severity.ToName();
        var reasonName = StoreRows.ReasonName(reason);
        foreach (var channel in channels)
            statements.Add(new DeliveryRow(alertId, channel, queuedAt, severityName, eventCount, reasonName));
    }
}
