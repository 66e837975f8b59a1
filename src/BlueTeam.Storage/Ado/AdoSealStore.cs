using BlueTeam.Storage.Sealing;

namespace BlueTeam.Storage.Ado;

// The seals table (migration 11): what the daemon's ChainSealer writes and `verify --key` reads.
internal sealed class AdoSealStore(StoreDatabase db) : ISealStore
{
    public Task AddSealAsync(SealRecord seal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seal);
        return db.RunAsync($"store the seal of epoch {seal.Epoch} of {seal.Host}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                INSERT INTO {db.Seals} (host, key_id, epoch, seq, entry_hash, tag, sealed_at)
                VALUES (@host, @key_id, @epoch, @seq, @entry_hash, @tag, @sealed_at)
                ON CONFLICT (host, key_id, epoch) DO NOTHING
                """);
            AddText(command, "@host", seal.Host);
            AddText(command, "@key_id", seal.KeyId);
            Add(command, "@epoch", seal.Epoch);
            Add(command, "@seq", seal.Seq);
            AddText(command, "@entry_hash", seal.EntryHash);
            AddText(command, "@tag", seal.Tag);
            db.AddTimestamp(command, "@sealed_at", seal.SealedAt);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<SealRecord>> GetSealsAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        return db.RunAsync<IReadOnlyList<SealRecord>>($"read the seals of {host}", async (connection, ct) =>
        {
            await using var command = Command(connection, null,
                $"SELECT host, key_id, epoch, seq, entry_hash, tag, sealed_at FROM {db.Seals} WHERE host = @host ORDER BY key_id, epoch");
            AddText(command, "@host", host);
            var seals = new List<SealRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                seals.Add(new SealRecord(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                    reader.GetString(4), reader.GetString(5), db.Dialect.ReadTimestamp(reader, 6)));
            }
            return seals;
        }, cancellationToken);
    }

    public Task<IReadOnlyDictionary<long, string>> GetEntryHashesAsync(string host, IReadOnlyCollection<long> seqs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(seqs);
        return db.RunAsync<IReadOnlyDictionary<long, string>>($"read chain entries of {host}", async (connection, ct) =>
        {
            var found = new Dictionary<long, string>();
            // In slices, so a long history never makes one statement with more parameters than the driver takes.
            foreach (var slice in seqs.Distinct().Chunk(500))
            {
                var names = slice.Select((_, i) => "@s" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
                await using var command = Command(connection, null,
                    $"SELECT seq, entry_hash FROM {db.Chain} WHERE host = @host AND seq IN ({string.Join(", ", names)})");
                AddText(command, "@host", host);
                for (var i = 0; i < slice.Length; i++) Add(command, names[i], slice[i]);
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) found[reader.GetInt64(0)] = reader.GetString(1);
            }
            return found;
        }, cancellationToken);
    }
}
