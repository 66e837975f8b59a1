using BlueTeam.Response;

namespace BlueTeam.Storage.Ado;

// The bans table: every decision of the response stage and of people (bans add/remove), kept for
// the record; lifting sets lifted_at, nothing is ever deleted.
internal sealed class AdoBanStore(StoreDatabase db) : IBanStore
{
    private const string BanColumns = "id, host, target, rule, incident_fingerprint, reason, evidence, by_whom, action, from_at, until_at, lifted_at, lifted_by";

    public Task<BanRecord> AddBanAsync(NewBan ban, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ban);
        ArgumentException.ThrowIfNullOrWhiteSpace(ban.Target);
        ArgumentException.ThrowIfNullOrWhiteSpace(ban.By);
        if (ban.Until < ban.From) throw new ArgumentException($"a ban cannot end ({ban.Until:O}) before it starts ({ban.From:O})", nameof(ban));
        return db.RunAsync($"record ban of {ban.Target}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                INSERT INTO {db.Bans} (host, target, rule, incident_fingerprint, reason, evidence, by_whom, action, from_at, until_at)
                VALUES (@host, @target, @rule, @fingerprint, @reason, @evidence, @by, @action, @from, @until)
                RETURNING {BanColumns}
                """);
            AddText(command, "@host", ban.Host);
            AddText(command, "@target", ban.Target);
            AddText(command, "@rule", ban.Rule);
            AddText(command, "@fingerprint", ban.IncidentFingerprint);
            AddText(command, "@reason", ban.Reason);
            AddText(command, "@evidence", ban.Evidence);
            AddText(command, "@by", ban.By);
            AddText(command, "@action", BanActionNames.Name(ban.Action));
            db.AddTimestamp(command, "@from", ban.From);
            db.AddTimestamp(command, "@until", ban.Until);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                throw new StoreException("record ban", db.Description, "the insert returned no row");
            return ReadBan(reader);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<BanRecord>> ListBansAsync(bool activeOnly, string? host, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<BanRecord>>(activeOnly ? "list active bans" : "list bans", async (connection, ct) =>
        {
            var where = new List<string>();
            if (activeOnly) where.Add("lifted_at IS NULL AND until_at > @now");
            if (host is not null) where.Add("host = @host");
            await using var command = Command(connection, null,
                $"SELECT {BanColumns} FROM {db.Bans}{(where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))} ORDER BY id");
            if (activeOnly) db.AddTimestamp(command, "@now", now);
            if (host is not null) AddText(command, "@host", host);
            var result = new List<BanRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) result.Add(ReadBan(reader));
            return result;
        }, cancellationToken);

    public Task<int> CountEnforcedBansAsync(string target, CancellationToken cancellationToken) =>
        db.RunAsync($"count bans of {target}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT COUNT(*) FROM {db.Bans} WHERE target = @target AND action = 'enforced'");
            AddText(command, "@target", target);
            return (int)Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false));
        }, cancellationToken);

    public Task<IReadOnlyList<BanRecord>> LiftBansAsync(string target, string liftedBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(liftedBy);
        return db.RunAsync<IReadOnlyList<BanRecord>>($"lift bans of {target}", async (connection, ct) =>
        {
            await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using var command = Command(connection, transaction, $"""
                UPDATE {db.Bans} SET lifted_at = @now, lifted_by = @by
                WHERE target = @target AND lifted_at IS NULL AND until_at > @now
                RETURNING {BanColumns}
                """);
            db.AddTimestamp(command, "@now", now);
            AddText(command, "@by", liftedBy);
            AddText(command, "@target", target);
            var result = new List<BanRecord>();
            await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) result.Add(ReadBan(reader));
            }
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, cancellationToken);
    }

    private BanRecord ReadBan(DbDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Host = reader.GetString(1),
        Target = reader.GetString(2),
        Rule = NullableString(reader, 3),
        IncidentFingerprint = NullableString(reader, 4),
        Reason = reader.GetString(5),
        Evidence = reader.GetString(6),
        By = reader.GetString(7),
        Action = BanActionNames.Parse(reader.GetString(8)),
        From = db.Dialect.ReadTimestamp(reader, 9),
        Until = db.Dialect.ReadTimestamp(reader, 10),
        LiftedAt = reader.IsDBNull(11) ? null : db.Dialect.ReadTimestamp(reader, 11),
        LiftedBy = NullableString(reader, 12),
    };
}
