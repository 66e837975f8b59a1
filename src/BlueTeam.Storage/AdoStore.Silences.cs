using System.Data.Common;
using System.Text.Json;
using BlueTeam.Alerting;
using BlueTeam.Core.Events;

namespace BlueTeam.Storage;

// Silences and what people did about an alert (ack, silenced mark). Changes to an alert row are
// chained like every other change to it.
public abstract partial class AdoStore
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

        return RunAsync("add silence", async (connection, ct) =>
        {
            var now = _time.GetUtcNow();
            await using var command = Command(connection, null, $"""
                INSERT INTO {_silences} (rule_name, matchers_json, starts_at, ends_at, created_by, reason, created_at)
                VALUES (@rule_name, @matchers_json, @starts_at, @ends_at, @created_by, @reason, @created_at)
                RETURNING {SilenceColumns}
                """);
            AddText(command, "@rule_name", silence.RuleName);
            AddText(command, "@matchers_json", matchers);
            AddTimestamp(command, "@starts_at", silence.StartsAt);
            AddTimestamp(command, "@ends_at", silence.EndsAt);
            AddText(command, "@created_by", silence.CreatedBy);
            AddText(command, "@reason", silence.Reason);
            AddTimestamp(command, "@created_at", now);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                throw new StoreException("add silence", Description, "the insert returned no row");
            return ReadSilence(reader);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<Silence>> ListSilencesAsync(bool activeOnly, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<Silence>>(activeOnly ? "list active silences" : "list silences", async (connection, ct) =>
        {
            await using var command = Command(connection, null, activeOnly
                ? $"SELECT {SilenceColumns} FROM {_silences} WHERE expired_at IS NULL AND starts_at <= @now AND ends_at > @now ORDER BY id"
                : $"SELECT {SilenceColumns} FROM {_silences} ORDER BY id");
            if (activeOnly) AddTimestamp(command, "@now", _time.GetUtcNow());
            var result = new List<Silence>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) result.Add(ReadSilence(reader));
            return result;
        }, cancellationToken);

    public Task<SilenceExpiry> ExpireSilenceAsync(long id, CancellationToken cancellationToken) =>
        RunAsync($"expire silence {id}", async (connection, ct) =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using (var update = Command(connection, transaction, $"UPDATE {_silences} SET expired_at = @now WHERE id = @id AND expired_at IS NULL"))
            {
                AddTimestamp(update, "@now", _time.GetUtcNow());
                Add(update, "@id", id);
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
                {
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    return SilenceExpiry.Expired;
                }
            }
            await using var exists = Command(connection, transaction, $"SELECT COUNT(*) FROM {_silences} WHERE id = @id");
            Add(exists, "@id", id);
            var found = Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false)) > 0;
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return found ? SilenceExpiry.AlreadyExpired : SilenceExpiry.NotFound;
        }, cancellationToken);

    public Task<AlertTriage?> AckAlertAsync(long alertId, string ackedBy, string? note, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ackedBy);
        return RunAsync($"acknowledge alert {alertId}", async (connection, ct) =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            // acked_severity is copied from the row in the same statement, so it is the severity the
            // alert had at the ack even if the daemon raises it a moment later.
            await using (var update = Command(connection, transaction, $"""
                UPDATE {_alerts} SET acked_at = @now, acked_by = @acked_by, ack_note = @ack_note, acked_severity = severity
                WHERE id = @id
                """))
            {
                AddTimestamp(update, "@now", _time.GetUtcNow());
                AddText(update, "@acked_by", ackedBy);
                AddText(update, "@ack_note", note);
                Add(update, "@id", alertId);
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0) return null;
            }
            await AppendChainEntryAsync(connection, transaction, alertId, AlertChain.Acked, ct).ConfigureAwait(false);
            var triage = await ReadTriageAsync(connection, transaction, alertId, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return triage;
        }, cancellationToken);
    }

    public Task<bool> MarkSilencedAsync(long alertId, long silenceId, CancellationToken cancellationToken) =>
        RunAsync($"mark alert {alertId} silenced by silence {silenceId}", async (connection, ct) =>
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            await using (var update = Command(connection, transaction, $"UPDATE {_alerts} SET silence_id = @silence_id WHERE id = @id"))
            {
                Add(update, "@silence_id", silenceId);
                Add(update, "@id", alertId);
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0) return false;
            }
            await AppendChainEntryAsync(connection, transaction, alertId, AlertChain.Silenced, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<AlertTriage?> GetTriageAsync(long alertId, CancellationToken cancellationToken) =>
        RunAsync($"read triage of alert {alertId}", (connection, ct) => ReadTriageAsync(connection, null, alertId, ct), cancellationToken);

    private async Task<AlertTriage?> ReadTriageAsync(DbConnection connection, DbTransaction? transaction, long alertId, CancellationToken ct)
    {
        await using var command = Command(connection, transaction,
            $"SELECT acked_at, acked_by, ack_note, acked_severity, silence_id FROM {_alerts} WHERE id = @id");
        Add(command, "@id", alertId);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new AlertTriage
        {
            AlertId = alertId,
            AckedAt = reader.IsDBNull(0) ? null : _dialect.ReadTimestamp(reader, 0),
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
        StartsAt = _dialect.ReadTimestamp(reader, 3),
        EndsAt = _dialect.ReadTimestamp(reader, 4),
        CreatedBy = reader.GetString(5),
        Reason = reader.GetString(6),
        CreatedAt = _dialect.ReadTimestamp(reader, 7),
        ExpiredAt = reader.IsDBNull(8) ? null : _dialect.ReadTimestamp(reader, 8),
    };
}
