using System.Globalization;

namespace BlueTeam.Storage.Ado;

// What the dispatcher needs for digests and budgets (IDeliveryScheduler), over the outbox rows:
// per-channel reads with critical alerts first, deferral of held rows without counting an attempt,
// and the sends of the last hour for budgets that survive a restart.
internal sealed class AdoDeliveryScheduler(StoreDatabase db, AdoOutbox outbox) : IDeliveryScheduler
{
    // Ids per UPDATE in DeferAsync: well under SQLite's bound-parameter limit.
    private const int DeferChunk = 500;

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetDueChannelsAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<string>>("read channels with due deliveries", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT DISTINCT d.channel FROM {db.Deliveries} d
                WHERE d.status = 'pending' AND d.next_attempt_at <= @now
                ORDER BY d.channel
                """);
            db.AddTimestamp(command, "@now", now);
            var result = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(reader.GetString(0));
            return result;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesForChannelAsync(string channel, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        return outbox.ReadDueDeliveriesAsync(channel, now, max, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One transaction, however many ids; duplicates are harmless.</remarks>
    public Task<int> DeferAsync(IReadOnlyCollection<long> deliveryIds, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliveryIds);
        var ids = deliveryIds.Distinct().ToList();
        if (ids.Count == 0) return Task.FromResult(0);
        return db.RunAsync($"defer {ids.Count} deliveries", async (connection, ct) =>
        {
            await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var moved = 0;
            foreach (var chunk in ids.Chunk(DeferChunk))
            {
                var names = chunk.Select((_, i) => "@id" + i.ToString(CultureInfo.InvariantCulture)).ToList();
                await using var command = Command(connection, transaction, $"""
                    UPDATE {db.Deliveries} SET next_attempt_at = @until
                    WHERE status = 'pending' AND id IN ({string.Join(", ", names)})
                    """);
                db.AddTimestamp(command, "@until", until);
                for (var i = 0; i < chunk.Length; i++) Add(command, names[i], chunk[i]);
                moved += await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return moved;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ChannelSend>> GetSendsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<ChannelSend>>("read recent sends", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT DISTINCT d.channel, d.delivered_at FROM {db.Deliveries} d
                WHERE d.status = 'delivered' AND d.delivered_at >= @since
                ORDER BY d.delivered_at, d.channel
                """);
            db.AddTimestamp(command, "@since", since);
            var result = new List<ChannelSend>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(new ChannelSend(reader.GetString(0), db.Dialect.ReadTimestamp(reader, 1)));
            return result;
        }, cancellationToken);
}
