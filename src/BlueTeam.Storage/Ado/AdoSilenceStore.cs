using System.Text.Json;

namespace BlueTeam.Storage.Ado;

// Silences and what people did about an alert (ack, silenced mark). Changes to an alert row are
// chained like every other change to it. Also what the alert engine reads of them (ISilenceSource, IAckSource, INoiseControlChanges), with the
// semantics of the in-memory reference store the engine's tests use.
internal sealed class AdoSilenceStore(StoreDatabase db, AdoAuditChain chain) : ISilenceStore, ISilenceSource, IAckSource, INoiseControlChanges
{
    private const string SilenceColumns = "id, rule_name, matchers_json, starts_at, ends_at, created_by, reason, created_at, expired_at";

    public Task<Silence> AddSilenceAsync(NewSilence silence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(silence);
        ArgumentNullException.ThrowIfNull(silence.Matchers);
        ArgumentException.ThrowIfNullOrWhiteSpace(silence.CreatedBy);
        ArgumentNullException.ThrowIfNull(silence.Reason);
        if (silence.EndsAt <= silence.StartsAt)
            throw new ArgumentException($"a silence must end after it starts (starts {silence.StartsAt:O}, ends {silence.EndsAt:O})", nameof(silence));
        foreach (var matcher in silence.Matchers)
        {
            if (!IncidentLabels.Known.Contains(matcher.Label, StringComparer.Ordinal))
                throw new ArgumentException($"'{matcher.Label}' is not a label a silence can match (use {string.Join(", ", IncidentLabels.Known)})", nameof(silence));
        }
        var matchers = SilenceMatcherJson.Write(silence.Matchers);

        return db.RunAsync("add silence", async (connection, ct) =>
        {
            var now = db.Time.GetUtcNow();
            await using var command = Command(connection, null, $"""
                INSERT INTO {db.Silences} (rule_name, matchers_json, starts_at, ends_at, created_by, reason, created_at)
                VALUES (@rule_name, @matchers_json, @starts_at, @ends_at, @created_by, @reason, @created_at)
                RETURNING {SilenceColumns}
                """);
            AddText(command, "@rule_name", silence.RuleName);
            AddText(command, "@matchers_json", matchers);
            db.AddTimestamp(command, "@starts_at", silence.StartsAt);
            db.AddTimestamp(command, "@ends_at", silence.EndsAt);
            AddText(command, "@created_by", silence.CreatedBy);
            AddText(command, "@reason", silence.Reason);
            db.AddTimestamp(command, "@created_at", now);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                throw new StoreException("add silence", db.Description, "the insert returned no row");
            return ReadSilence(reader);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<Silence>> ListSilencesAsync(bool activeOnly, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<Silence>>(activeOnly ? "list active silences" : "list silences", async (connection, ct) =>
        {
            await using var command = Command(connection, null, activeOnly
                ? $"SELECT {SilenceColumns} FROM {db.Silences} WHERE expired_at IS NULL AND starts_at <= @now AND ends_at > @now ORDER BY id"
                : $"SELECT {SilenceColumns} FROM {db.Silences} ORDER BY id");
            if (activeOnly) db.AddTimestamp(command, "@now", db.Time.GetUtcNow());
            var result = new List<Silence>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) result.Add(ReadSilence(reader));
            return result;
        }, cancellationToken);

    public Task<SilenceExpiry> ExpireSilenceAsync(long id, CancellationToken cancellationToken) =>
        db.RunAsync($"expire silence {id}", async (connection, ct) =>
        {
            await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using (var update = Command(connection, transaction, $"UPDATE {db.Silences} SET expired_at = @now WHERE id = @id AND expired_at IS NULL"))
            {
                db.AddTimestamp(update, "@now", db.Time.GetUtcNow());
                Add(update, "@id", id);
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
                {
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    return SilenceExpiry.Expired;
                }
            }
            await using var exists = Command(connection, transaction, $"SELECT COUNT(*) FROM {db.Silences} WHERE id = @id");
            Add(exists, "@id", id);
            var found = Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false)) > 0;
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return found ? SilenceExpiry.AlreadyExpired : SilenceExpiry.NotFound;
        }, cancellationToken);

    public Task<AlertTriage?> AckAlertAsync(long alertId, string ackedBy, string? note, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ackedBy);
        return db.RunAsync($"acknowledge alert {alertId}", async (connection, ct) =>
        {
            await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            // acked_severity is copied from the row in the same statement, so it is the severity the
            // alert had at the ack even if the daemon raises it a moment later.
            await using (var update = Command(connection, transaction, $"""
                UPDATE {db.Alerts} SET acked_at = @now, acked_by = @acked_by, ack_note = @ack_note, acked_severity = severity
                WHERE id = @id
                """))
            {
                db.AddTimestamp(update, "@now", db.Time.GetUtcNow());
                AddText(update, "@acked_by", ackedBy);
                AddText(update, "@ack_note", note);
                Add(update, "@id", alertId);
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0) return null;
            }
            await chain.AppendEntryAsync(connection, transaction, alertId, AlertChain.Acked, ct).ConfigureAwait(false);
            var triage = await ReadTriageAsync(connection, transaction, alertId, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return triage;
        }, cancellationToken);
    }

    public Task<bool> MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken) =>
        db.RunAsync($"mark alert {alertId} silenced by silence {silenceId}", async (connection, ct) =>
        {
            await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using (var update = Command(connection, transaction, $"UPDATE {db.Alerts} SET silence_id = @silence_id WHERE id = @id"))
            {
                Add(update, "@silence_id", silenceId);
                Add(update, "@id", alertId);
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0) return false;
            }
            await chain.AppendEntryAsync(connection, transaction, alertId, AlertChain.Silenced, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<AlertTriage?> GetTriageAsync(long alertId, CancellationToken cancellationToken) =>
        db.RunAsync($"read triage of alert {alertId}", (connection, ct) => ReadTriageAsync(connection, null, alertId, ct), cancellationToken);

    private async Task<AlertTriage?> ReadTriageAsync(DbConnection connection, DbTransaction? transaction, long alertId, CancellationToken ct)
    {
        await using var command = Command(connection, transaction,
            $"SELECT acked_at, acked_by, ack_note, acked_severity, silence_id FROM {db.Alerts} WHERE id = @id");
        Add(command, "@id", alertId);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new AlertTriage
        {
            AlertId = alertId,
            AckedAt = reader.IsDBNull(0) ? null : db.Dialect.ReadTimestamp(reader, 0),
            AckedBy = NullableString(reader, 1),
            AckNote = NullableString(reader, 2),
            AckedSeverity = reader.IsDBNull(3) ? null : SeverityNames.Parse(reader.GetString(3)),
            SilenceId = reader.IsDBNull(4) ? null : reader.GetInt64(4),
        };
    }

    private Silence ReadSilence(DbDataReader reader)
    {
        // A row whose matchers cannot be read (edited by hand, written by a newer version) must not stop the
        // engine from reading the others, nor match anything: it is returned with the reason and no matchers.
        IReadOnlyList<LabelMatcher> matchers;
        string? error = null;
        try
        {
            matchers = SilenceMatcherJson.Read(reader.GetString(2));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            matchers = [];
            error = e.Message;
        }
        return ReadSilence(reader, matchers, error);
    }

    private Silence ReadSilence(DbDataReader reader, IReadOnlyList<LabelMatcher> matchers, string? error) => new()
    {
        Id = reader.GetInt64(0),
        RuleName = NullableString(reader, 1),
        Matchers = matchers,
        MatchersError = error,
        StartsAt = db.Dialect.ReadTimestamp(reader, 3),
        EndsAt = db.Dialect.ReadTimestamp(reader, 4),
        CreatedBy = reader.GetString(5),
        Reason = reader.GetString(6),
        CreatedAt = db.Dialect.ReadTimestamp(reader, 7),
        ExpiredAt = reader.IsDBNull(8) ? null : db.Dialect.ReadTimestamp(reader, 8),
    };

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
        db.RunAsync("read the silences' and acks' version", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT (SELECT COUNT(*) FROM {db.Silences}), (SELECT MAX(id) FROM {db.Silences}), (SELECT COUNT(expired_at) FROM {db.Silences}),
                       (SELECT COUNT(*) FROM {db.Alerts} WHERE acked_at IS NOT NULL), (SELECT MAX(acked_at) FROM {db.Alerts} WHERE acked_at IS NOT NULL)
                """);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                throw new StoreException("read the silences' and acks' version", db.Description, "the query returned no row");
            var maxId = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
            var newestAck = reader.IsDBNull(4) ? 0 : db.Dialect.ReadTimestamp(reader, 4).UtcTicks;
            return new NoiseControlVersion(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reader.GetInt64(0)}:{maxId}:{reader.GetInt64(2)}"),
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reader.GetInt64(3)}:{newestAck}"));
        }, cancellationToken);

    private Task<IReadOnlyList<AlertSilence>> ReadEngineSilencesAsync(string operation, string startCondition, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<AlertSilence>>(operation, async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT {SilenceColumns} FROM {db.Silences}
                WHERE {startCondition}ends_at > @now AND (expired_at IS NULL OR expired_at > @now)
                ORDER BY id
                """);
            db.AddTimestamp(command, "@now", now);
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
            throw new StoreException($"mark alert {alertId} silenced by silence {silenceId}", db.Description, "no such alert");
    }

    /// <inheritdoc />
    /// <remarks>Null when the alert is not acknowledged or does not exist.</remarks>
    public Task<AlertAck?> GetAckAsync(long alertId, CancellationToken cancellationToken) =>
        db.RunAsync($"read the acknowledgement of alert {alertId}", async (connection, ct) =>
        {
            var triage = await ReadTriageAsync(connection, null, alertId, ct).ConfigureAwait(false);
            if (triage is not { AckedAt: { } at, AckedBy: { } by, AckedSeverity: { } severity }) return null;
            return new AlertAck(alertId, by, at, severity);
        }, cancellationToken);
}
