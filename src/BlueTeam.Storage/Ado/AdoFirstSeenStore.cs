namespace BlueTeam.Storage.Ado;

// The first-seen table: loaded once at start and written behind by PersistentFirstSeenStore.
internal sealed class AdoFirstSeenStore(StoreDatabase db) : IFirstSeenPairStore
{
    public Task<IReadOnlyList<FirstSeenPair>> LoadFirstSeenAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        return db.RunAsync<IReadOnlyList<FirstSeenPair>>("load the first-seen memory", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT rule, key, value, first_seen_at FROM {db.FirstSeen}
                ORDER BY first_seen_at DESC, rule, key, value
                LIMIT @max
                """);
            Add(command, "@max", max);
            var result = new List<FirstSeenPair>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(new FirstSeenPair(reader.GetString(0), reader.GetString(1), reader.GetString(2), db.Dialect.ReadTimestamp(reader, 3)));
            return result;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<FirstSeenPair>> GetFirstSeenAsync(string rule, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(key);
        return db.RunAsync<IReadOnlyList<FirstSeenPair>>($"read first-seen values of {rule}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT value, first_seen_at FROM {db.FirstSeen} WHERE rule = @rule AND key = @key");
            AddText(command, "@rule", rule);
            AddText(command, "@key", key);
            var result = new List<FirstSeenPair>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(new FirstSeenPair(rule, key, reader.GetString(0), db.Dialect.ReadTimestamp(reader, 1)));
            return result;
        }, cancellationToken);
    }

    public Task SaveFirstSeenAsync(IReadOnlyCollection<FirstSeenPair> pairs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return Task.CompletedTask;
        return db.WriteEachAsync($"save {pairs.Count} first-seen value(s)", pairs, $"""
            INSERT INTO {db.FirstSeen} (rule, key, value, first_seen_at) VALUES (@rule, @key, @value, @first_seen_at)
            ON CONFLICT (rule, key, value) DO NOTHING
            """, (command, pair) =>
            {
                AddText(command, "@rule", pair.Rule);
                AddText(command, "@key", pair.Key);
                AddText(command, "@value", pair.Value);
                db.AddTimestamp(command, "@first_seen_at", pair.FirstSeenAt);
            }, cancellationToken);
    }
}
