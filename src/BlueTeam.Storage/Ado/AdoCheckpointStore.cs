using BlueTeam.Sources;
using BlueTeam.Storage.Fleet;

namespace BlueTeam.Storage.Ado;

// Where each collector stopped reading, per host (schema version 12): what a restarted daemon resumes from.
internal sealed class AdoCheckpointStore(StoreDatabase db) : ICheckpointStore, IHostCheckpointStore
{
    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string collector, CancellationToken cancellationToken) =>
        GetCheckpointsAsync(AdoStore.UnnamedCheckpointHost, collector, cancellationToken);

    /// <summary>The read positions of <paramref name="host"/>'s collector (hosts sharing a database may tail the same paths).</summary>
    /// <remarks>
    /// <see cref="Checkpoint.ReplayFrom"/> comes back as stored: the effective replay position (the offset when none was set).
    /// When the host has none for the collector, it first takes over the collector's rows from before
    /// checkpoints had a host (see <see cref="AdoStore.UnnamedCheckpointHost"/>): on SQLite they are its own;
    /// on a shared PostgreSQL the first host to read them after the upgrade gets them, as the one
    /// row every host overwrote was before.
    /// </remarks>
    public Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string host, string collector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(collector);
        return db.RunAsync<IReadOnlyList<Checkpoint>>($"read checkpoints of {collector}", async (connection, ct) =>
        {
            // A write transaction only when there may be rows to take over.
            await using var transaction = host == AdoStore.UnnamedCheckpointHost ? null : await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            if (transaction is not null)
            {
                await using var takeOver = Command(connection, transaction, $"""
                    UPDATE {db.Checkpoints} SET host = @host
                    WHERE host = '' AND collector = @collector
                      AND NOT EXISTS (SELECT 1 FROM {db.Checkpoints} mine WHERE mine.host = @host AND mine.collector = @collector)
                    """);
                AddText(takeOver, "@host", host);
                AddText(takeOver, "@collector", collector);
                await takeOver.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using var command = Command(connection, transaction,
                $"SELECT collector, path, device, inode, head_hash, \"offset\", updated_at, COALESCE(replay_from, \"offset\"), cursor FROM {db.Checkpoints} WHERE host = @host AND collector = @collector ORDER BY path");
            AddText(command, "@host", host);
            AddText(command, "@collector", collector);
            var result = new List<Checkpoint>();
            await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    // Device and inode are unsigned; they are stored bit for bit in a signed 64-bit column.
                    var file = new FileIdentity(unchecked((ulong)reader.GetInt64(2)), unchecked((ulong)reader.GetInt64(3)), reader.GetString(4));
                    result.Add(new Checkpoint(reader.GetString(0), reader.GetString(1), file, reader.GetInt64(5), db.Dialect.ReadTimestamp(reader, 6))
                    {
                        ReplayFrom = reader.GetInt64(7),
                        Cursor = reader.IsDBNull(8) ? null : reader.GetString(8),
                    });
                }
            }
            if (transaction is not null) await transaction.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, cancellationToken);
    }

    public Task SaveCheckpointsAsync(IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken) =>
        SaveCheckpointsAsync(AdoStore.UnnamedCheckpointHost, checkpoints, cancellationToken);

    /// <summary>Upserts <paramref name="host"/>'s checkpoints by (host, collector, path), in one transaction.</summary>
    public Task SaveCheckpointsAsync(string host, IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(checkpoints);
        if (checkpoints.Count == 0) return Task.CompletedTask;

        return db.WriteEachAsync($"save {checkpoints.Count} checkpoint(s)", checkpoints, $"""
            INSERT INTO {db.Checkpoints} (host, collector, path, device, inode, head_hash, "offset", updated_at, replay_from, cursor)
            VALUES (@host, @collector, @path, @device, @inode, @head_hash, @offset, @updated_at, @replay_from, @cursor)
            ON CONFLICT (host, collector, path) DO UPDATE
            SET device = excluded.device, inode = excluded.inode, head_hash = excluded.head_hash,
                "offset" = excluded."offset", updated_at = excluded.updated_at, replay_from = excluded.replay_from,
                cursor = excluded.cursor
            """, (command, checkpoint) =>
            {
                AddText(command, "@host", host);
                AddText(command, "@collector", checkpoint.Collector);
                AddText(command, "@path", checkpoint.Path);
                Add(command, "@device", unchecked((long)checkpoint.File.Device));
                Add(command, "@inode", unchecked((long)checkpoint.File.Inode));
                AddText(command, "@head_hash", checkpoint.File.HeadHash ?? "");
                Add(command, "@offset", checkpoint.Offset);
                // The effective position: an unset (or impossible) ReplayFrom is stored as the offset.
                Add(command, "@replay_from", checkpoint.EffectiveReplayFrom);
                AddText(command, "@cursor", checkpoint.Cursor);
                db.AddTimestamp(command, "@updated_at", checkpoint.UpdatedAt);
            }, cancellationToken);
    }
}
