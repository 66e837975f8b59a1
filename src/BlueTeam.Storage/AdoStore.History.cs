using System.Data.Common;
using BlueTeam.Alerting;
using BlueTeam.Core.Events;

namespace BlueTeam.Storage;

// Bulk reads for `blueteam incidents`, `alerts show` and `report`: a few statements per page of
// alerts instead of one per alert.
public abstract partial class AdoStore
{
    // Well under SQLite's and PostgreSQL's parameter limits, and a page of a listing in one go.
    private const int IdBatch = 500;

    public Task<IReadOnlyList<AlertTriage>> ListTriageAsync(IReadOnlyCollection<long> alertIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alertIds);
        return RunAsync<IReadOnlyList<AlertTriage>>($"read triage of {alertIds.Count} alert(s)", async (connection, ct) =>
        {
            var result = new List<AlertTriage>(alertIds.Count);
            foreach (var batch in alertIds.Distinct().Order().Chunk(IdBatch))
            {
                await using var command = Command(connection, null, "");
                command.CommandText = $"SELECT id, acked_at, acked_by, ack_note, acked_severity, silence_id FROM {_alerts} WHERE id IN ({IdParameters(command, batch)}) ORDER BY id";
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    result.Add(new AlertTriage
                    {
                        AlertId = reader.GetInt64(0),
                        AckedAt = reader.IsDBNull(1) ? null : _dialect.ReadTimestamp(reader, 1),
                        AckedBy = NullableString(reader, 2),
                        AckNote = NullableString(reader, 3),
                        AckedSeverity = reader.IsDBNull(4) ? null : SeverityNames.Parse(reader.GetString(4)),
                        SilenceId = reader.IsDBNull(5) ? null : reader.GetInt64(5),
                    });
                }
            }
            return result;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<DeliveryRecord>> ListDeliveriesAsync(IReadOnlyCollection<long> alertIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alertIds);
        return RunAsync<IReadOnlyList<DeliveryRecord>>($"read deliveries of {alertIds.Count} alert(s)", async (connection, ct) =>
        {
            var result = new List<DeliveryRecord>();
            foreach (var batch in alertIds.Distinct().Order().Chunk(IdBatch))
            {
                await using var command = Command(connection, null, "");
                command.CommandText = $"SELECT {DeliveryColumns} FROM {_deliveries} d WHERE d.alert_id IN ({IdParameters(command, batch)}) ORDER BY d.alert_id, d.id";
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) result.Add(ReadDelivery(reader, 0));
            }
            return result;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<AlertChainLink>> GetAlertChainAsync(long alertId, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<AlertChainLink>>($"read the chain entries of alert {alertId}", async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT host, seq, kind, entry_hash FROM {_chain} WHERE alert_id = @alert_id ORDER BY seq");
            Add(command, "@alert_id", alertId);
            var result = new List<AlertChainLink>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result.Add(new AlertChainLink(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3)));
            return result;
        }, cancellationToken);

    private static string IdParameters(DbCommand command, long[] ids)
    {
        var names = new string[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            names[i] = "@id" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Add(command, names[i], ids[i]);
        }
        return string.Join(", ", names);
    }
}
