using System.Text.Json;
using BlueTeam.Cli.Output;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam alerts list|show|ack`: the stored alert history with delivery status, one alert in
/// full, and recording that someone has looked at an alert.
/// </summary>
internal static class AlertsCommand
{
    private static readonly Option<string> Format = new("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
    private static readonly Option<int> Limit = new("--limit", "-n") { Description = "How many alerts, newest first", DefaultValueFactory = _ => 50 };
    private static readonly Option<string?> MinSeverity = new("--severity") { Description = "Only alerts of at least this severity" };
    private static readonly Option<string?> Rule = new("--rule") { Description = "Only alerts of this rule" };

    public static Command Build()
    {
        Format.AcceptOnlyFromAmong("table", "json");
        OptionChecks.AtLeast(Limit, 1, "at least 1");
        var list = new Command("list", "List stored alerts, newest first") { Format, Limit, MinSeverity, Rule };
        list.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ListAsync(app, parse, token)));

        var show = IncidentView.ShowCommand("The alert's id (from alerts list)", "One alert in full: the incident, its evidence, deliveries, triage and audit-chain entries");

        var ackId = new Argument<long>("id") { Description = "The alert's id (from alerts list)" };
        var by = new Option<string>("--by") { Description = "Who acknowledges it (recorded in the audit chain)", Required = true };
        var note = new Option<string?>("--note") { Description = "Why, or what was done about it" };
        var ack = new Command("ack", "Acknowledge an alert: it is not notified again unless its severity rises") { ackId, by, note };
        ack.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => AckAsync(app, parse.GetValue(ackId), parse.GetValue(by)!, parse.GetValue(note), token)));

        return new Command("alerts", "The alert history") { list, show, ack };
    }

    private static async Task<int> AckAsync(AppServices app, long id, string by, string? note, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(by))
        {
            await Console.Error.WriteLineAsync("blueteam: --by must name who acknowledges the alert").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }
        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var before = await store.GetTriageAsync(id, ct).ConfigureAwait(false);
        if (before is null || await store.AckAlertAsync(id, by.Trim(), string.IsNullOrWhiteSpace(note) ? null : note, ct).ConfigureAwait(false) is not { } triage)
        {
            await Console.Error.WriteLineAsync($"blueteam: no alert with id {id.ToString(CultureInfo.InvariantCulture)}").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        var sev = triage.AckedSeverity?.ToName() ?? "-";
        app.Out.MarkupLine($"acknowledged alert {id.ToString(CultureInfo.InvariantCulture)} (severity {sev}) by {Inert.Cell(triage.AckedBy)}; it is not notified again unless its severity rises above {sev}");
        if (before.IsAcked)
            app.Out.MarkupLine($"this replaces the acknowledgement by {Inert.Cell(before.AckedBy)} at {DurationText.Timestamp(before.AckedAt!.Value)}");
        return ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        Severity? min = null;
        if (parse.GetValue(MinSeverity) is { } s)
        {
            if (!SeverityNames.TryParse(s, out var sev))
            {
                await Console.Error.WriteLineAsync($"blueteam: --severity must be one of {SeverityNames.AllNames}").ConfigureAwait(false);
                return ExitCodes.ConfigError;
            }
            min = sev;
        }
        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        var alerts = await store.ListAlertsAsync(new AlertQuery { Limit = parse.GetValue(Limit), MinSeverity = min, RuleName = parse.GetValue(Rule) }, ct).ConfigureAwait(false);
        var rows = new List<(AlertRecord Alert, IReadOnlyList<DeliveryRecord> Deliveries)>();
        foreach (var a in alerts) rows.Add((a, await store.GetDeliveriesAsync(a.Id, ct).ConfigureAwait(false)));

        if (parse.GetValue(Format) == "json")
        {
            await using var stdout = Console.OpenStandardOutput();
            await using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
            json.WriteStartArray();
            var triage = (await store.ListTriageAsync(rows.Select(r => r.Alert.Id).ToList(), ct).ConfigureAwait(false)).ToDictionary(t => t.AlertId);
            foreach (var (a, ds) in rows) WriteJson(json, a, triage.GetValueOrDefault(a.Id), ds);
            json.WriteEndArray();
            await json.FlushAsync(ct).ConfigureAwait(false);
            await stdout.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var table = new Table().AddColumns("id", "last seen", "severity", "rule", "source.ip", "user", "events", "title", "deliveries");
        foreach (var (a, ds) in rows)
        {
            var i = a.Incident;
            table.AddRow(
                a.Id.ToString(CultureInfo.InvariantCulture),
                i.LastSeen.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                i.Severity.ToName(),
                Cell(i.Rule.Name),
                Cell(i.Source?.Ip),
                Cell(i.User?.Name),
                i.EventCount.ToString(CultureInfo.InvariantCulture),
                Cell(i.Title),
                Cell(string.Join(" ", ds.Select(d => $"{d.Channel}:{d.Status.ToString().ToLowerInvariant()}"))));
        }
        var console = app.Out;
        console.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>Untrusted text in a table cell: control characters made visible, markup escaped.</summary>
    private static string Cell(string? text) => Markup.Escape(SafeText.Inert(text ?? "-", 200));

    /// <summary>One alert of the list: the same fields as `alerts show` (IncidentView), with its deliveries.</summary>
    private static void WriteJson(Utf8JsonWriter w, AlertRecord a, AlertTriage? triage, IReadOnlyList<DeliveryRecord> deliveries)
    {
        w.WriteStartObject();
        IncidentView.WriteFields(w, a, triage);
        IncidentView.WriteDeliveries(w, deliveries);
        w.WriteEndObject();
    }
}
