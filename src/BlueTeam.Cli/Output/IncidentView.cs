using System.Text.Json;

namespace BlueTeam.Cli.Output;

/// <summary>Everything the store knows about one stored incident (an alert row).</summary>
internal sealed record IncidentDetail(AlertRecord Alert, AlertTriage? Triage, IReadOnlyList<DeliveryRecord> Deliveries, IReadOnlyList<AlertChainLink> Chain);

/// <summary>
/// How a stored incident is shown by `alerts show`, `incidents show` and `incidents list`: the
/// same fields and the same triage words everywhere, table or JSON.
/// </summary>
internal static class IncidentView
{
    public static async Task<IncidentDetail?> LoadAsync(IBlueTeamStore store, long id, CancellationToken ct)
    {
        if (await store.GetAlertAsync(id, ct).ConfigureAwait(false) is not { } alert) return null;
        var triage = await store.GetTriageAsync(id, ct).ConfigureAwait(false);
        var deliveries = await store.GetDeliveriesAsync(id, ct).ConfigureAwait(false);
        var chain = await store.GetAlertChainAsync(id, ct).ConfigureAwait(false);
        return new IncidentDetail(alert, triage, deliveries, chain);
    }

    /// <summary>
    /// open, acked, acked+escalated (severity rose after the ack, so it needs a look again),
    /// silenced, or acked+silenced.
    /// </summary>
    public static string TriageState(AlertTriage? triage, Severity current)
    {
        if (triage is null) return "open";
        var state = triage.IsAcked
            ? triage.AckedSeverity is { } at && current > at ? "acked+escalated" : "acked"
            : "open";
        if (triage.IsSilenced) state = triage.IsAcked ? state + "+silenced" : "silenced";
        return state;
    }

    public static string DeliverySummary(IEnumerable<DeliveryRecord> deliveries)
    {
        var text = string.Join(" ", deliveries.Select(d => $"{d.Channel}:{StatusName(d.Status)}"));
        return text.Length == 0 ? "-" : text;
    }

    public static string StatusName(DeliveryStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>The incident's scalar fields, shared by list and show JSON.</summary>
    public static void WriteFields(Utf8JsonWriter w, AlertRecord a, AlertTriage? triage)
    {
        var i = a.Incident;
        w.WriteNumber("id", a.Id);
        w.WriteString("fingerprint", a.Fingerprint);
        w.WriteString("host", a.Host);
        w.WriteString("rule_id", i.Rule.Id);
        w.WriteString("rule_name", i.Rule.Name);
        w.WriteString("severity", i.Severity.ToName());
        w.WriteString("title", i.Title);
        w.WriteString("description", i.Description);
        w.WriteString("detected_by", i.DetectedBy);
        w.WriteStartArray("nist_controls");
        foreach (var c in i.NistControls) w.WriteStringValue(c);
        w.WriteEndArray();
        w.WriteBoolean("cui_involved", i.CuiInvolved);
        if (i.Source?.Ip is { } ip) w.WriteString("source_ip", ip);
        if (i.User?.Name is { } user) w.WriteString("user_name", user);
        w.WriteNumber("event_count", i.EventCount);
        w.WriteString("first_seen", i.FirstSeen);
        w.WriteString("last_seen", i.LastSeen);
        w.WriteString("created_at", a.CreatedAt);
        w.WriteString("triage", TriageState(triage, i.Severity));
        w.WriteStartObject("ack");
        if (triage?.IsAcked == true)
        {
            w.WriteTimestamp("at", triage.AckedAt);
            w.WriteString("by", triage.AckedBy);
            if (triage.AckNote is { } note) w.WriteString("note", note); else w.WriteNull("note");
            if (triage.AckedSeverity is { } sev) w.WriteString("severity", sev.ToName()); else w.WriteNull("severity");
        }
        w.WriteEndObject();
        if (triage?.SilenceId is { } silence) w.WriteNumber("silence_id", silence); else w.WriteNull("silence_id");
    }

    public static void WriteDeliveries(Utf8JsonWriter w, IEnumerable<DeliveryRecord> deliveries)
    {
        w.WriteObjects("deliveries", deliveries, (w, d) =>
        {
            w.WriteString("channel", d.Channel);
            w.WriteString("status", StatusName(d.Status));
            w.WriteNumber("attempts", d.Attempts);
            if (d.LastError is not null) w.WriteString("last_error", d.LastError);
            if (d.DeliveredAt is { } at) w.WriteString("delivered_at", at);
            if (d.NextAttemptAt is { } next) w.WriteString("next_attempt_at", next);
        });
    }

    public static void WriteDetailJson(Utf8JsonWriter w, IncidentDetail d)
    {
        w.WriteStartObject();
        WriteFields(w, d.Alert, d.Triage);
        WriteDeliveries(w, d.Deliveries);
        w.WriteObjects("chain", d.Chain, (w, link) =>
        {
            w.WriteString("host", link.Host);
            w.WriteNumber("seq", link.Seq);
            w.WriteString("kind", link.Kind);
            w.WriteString("entry_hash", link.EntryHash);
        });
        // The evidence as ECS documents, exactly as stored.
        w.WritePropertyName("evidence");
        w.WriteStartArray();
        foreach (var e in d.Alert.Incident.Evidence)
        {
            using var doc = JsonDocument.Parse(EcsJson.Serialize(e));
            doc.RootElement.WriteTo(w);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void RenderDetail(IAnsiConsole console, IncidentDetail d)
    {
        var a = d.Alert;
        var i = a.Incident;
        var fields = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string name, string markup) => fields.AddRow(new Markup($"[bold]{name}[/]"), new Markup(markup));
        Row("id", a.Id.ToString(CultureInfo.InvariantCulture));
        Row("title", Inert.Cell(i.Title, 500));
        Row("severity", SeverityMarkup(i.Severity));
        Row("rule", $"{Inert.Cell(i.Rule.Name)} ({Inert.Cell(i.Rule.Id)})");
        Row("host", Inert.Cell(a.Host));
        Row("source.ip", Inert.Cell(i.Source?.Ip));
        Row("user", Inert.Cell(i.User?.Name));
        Row("events", i.EventCount.ToString(CultureInfo.InvariantCulture));
        Row("first seen", DurationText.Timestamp(i.FirstSeen));
        Row("last seen", DurationText.Timestamp(i.LastSeen));
        Row("nist", Inert.Cell(string.Join(", ", i.NistControls)));
        Row("cui involved", i.CuiInvolved ? "yes" : "no");
        Row("description", Inert.Cell(i.Description, 1000));
        Row("fingerprint", Inert.Cell(a.Fingerprint));
        Row("triage", Markup.Escape(TriageState(d.Triage, i.Severity)));
        if (d.Triage?.IsAcked == true)
        {
            var t = d.Triage;
            Row("acked", $"{DurationText.Timestamp(t.AckedAt!.Value)} by {Inert.Cell(t.AckedBy)} at severity {t.AckedSeverity?.ToName() ?? "-"}");
            Row("ack note", Inert.Cell(t.AckNote, 1000));
        }
        if (d.Triage?.SilenceId is { } silence) Row("silenced by", "silence " + silence.ToString(CultureInfo.InvariantCulture));
        Row("chain", d.Chain.Count == 0
            ? "[red]not chained[/]"
            : Inert.Cell($"{d.Chain[0].Host}: " + string.Join(", ", d.Chain.Select(l => $"#{l.Seq} {l.Kind}"))));
        console.Write(fields);

        console.WriteLine();
        var deliveries = new Table().Title("deliveries").AddColumns("channel", "status", "attempts", "delivered / next attempt", "last error");
        foreach (var del in d.Deliveries)
        {
            deliveries.AddRow(
                Inert.Cell(del.Channel),
                StatusMarkup(del.Status),
                del.Attempts.ToString(CultureInfo.InvariantCulture),
                del.DeliveredAt is { } at ? DurationText.Timestamp(at) : del.NextAttemptAt is { } next ? "next " + DurationText.Timestamp(next) : "-",
                Inert.Cell(del.LastError));
        }
        if (d.Deliveries.Count == 0) deliveries.AddRow("-", "none routed", "", "", "");
        console.Write(deliveries);

        console.WriteLine();
        var evidence = new Table().Title($"evidence ({i.Evidence.Count} of {i.EventCount} events)").AddColumns("time", "action", "outcome", "source.ip", "user", "message");
        foreach (var e in i.Evidence)
        {
            evidence.AddRow(
                DurationText.Timestamp(e.Timestamp),
                Inert.Cell(e.Event.Action),
                Inert.Cell(e.Event.Outcome),
                Inert.Cell(e.Source?.Ip),
                Inert.Cell(e.User?.Name),
                Inert.Cell(e.Message, 300));
        }
        console.Write(evidence);
    }

    public static string SeverityMarkup(Severity s) => s switch
    {
        Severity.Critical => "[bold red]critical[/]",
        Severity.High => "[red]high[/]",
        Severity.Medium => "[yellow]medium[/]",
        Severity.Low => "[blue]low[/]",
        _ => "info",
    };

    public static string StatusMarkup(DeliveryStatus s) => s switch
    {
        DeliveryStatus.Delivered => "[green]delivered[/]",
        DeliveryStatus.Failed => "[red]failed[/]",
        _ => "[yellow]pending[/]",
    };

    /// <summary>The <c>show ID [--format table|json]</c> subcommand, the same under <c>alerts</c> and <c>incidents</c>.</summary>
    public static Command ShowCommand(string idDescription, string description)
    {
        var id = new Argument<long>("id") { Description = idDescription };
        var format = new Option<string>("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var show = new Command("show", description) { id, format };
        show.SetAction((parse, ct) => Composition.CommandRunner.RunAsync(parse, ct, (app, token) => ShowAsync(app, parse.GetValue(id), parse.GetValue(format)!, token)));
        return show;
    }

    /// <summary>`alerts show ID` and `incidents show ID`: exit 0, or 1 when there is no such incident.</summary>
    public static async Task<int> ShowAsync(Composition.AppServices app, long id, string format, CancellationToken ct)
    {
        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        if (await LoadAsync(store, id, ct).ConfigureAwait(false) is not { } detail)
        {
            await Console.Error.WriteLineAsync($"blueteam: no incident with id {id.ToString(CultureInfo.InvariantCulture)}").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        if (format == "json") await JsonOutput.WriteAsync(w => WriteDetailJson(w, detail), ct).ConfigureAwait(false);
        else RenderDetail(app.Out, detail);
        return ExitCodes.Ok;
    }
}
