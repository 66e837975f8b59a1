namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam test-alert`: the fire-alarm check. Raises a synthetic incident through the real path
/// (route → store with outbox rows → channels) and reports what each channel did.
/// </summary>
internal static class TestAlertCommand
{
    private static readonly Option<string> SeverityOption = new("--severity", "-s") { Description = $"Severity: {SeverityNames.AllNames}", DefaultValueFactory = _ => "critical" };
    private static readonly Option<string?> Title = new("--title") { Description = "Title of the test alert" };
    private static readonly Option<string?> Channel = new("--channel") { Description = "Send to this one channel only, whatever the routes say" };

    public static Command Build()
    {
        SeverityOption.Validators.Add(r =>
        {
            if (!SeverityNames.TryParse(r.GetValueOrDefault<string>(), out _)) r.AddError($"--severity must be one of {SeverityNames.AllNames}");
        });
        var cmd = new Command("test-alert", "Send a test alert through the configured routes and channels") { SeverityOption, Title, Channel };
        cmd.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => RunAsync(app, parse, token)));
        return cmd;
    }

    private static async Task<int> RunAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        var severity = SeverityNames.Parse(parse.GetValue(SeverityOption)!);
        var now = app.Time.GetUtcNow();
        var incident = new SecurityIncident
        {
            Rule = new IncidentRule { Id = "BT-TEST-000", Name = "test_alert" },
            Title = parse.GetValue(Title) ?? $"blueteam test alert ({severity.ToName()})",
            Severity = severity,
            DetectedBy = "test_alert",
            Description = "A test alert raised by `blueteam test-alert` to check that every routed channel delivers.",
            NistControls = ["3.3.4"],
            Host = new EcsHost { Hostname = app.Config.Host },
            FirstSeen = now,
            LastSeen = now,
            // Each test alert is its own incident, never deduplicated against an earlier one.
            Fingerprint = SecurityIncident.ComputeFingerprint("BT-TEST-000", now, Guid.NewGuid().ToString("N")),
        };

        var channels = app.BuildChannels();
        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var engine = app.BuildEngine(channels, store);
        var dispatcher = app.BuildDispatcher(channels, store);
        long alertId;
        if (parse.GetValue(Channel) is { } only)
        {
            if (!channels.ContainsKey(only))
            {
                await Console.Error.WriteLineAsync($"blueteam: --channel {SafeText.Inert(only)}: not an enabled channel (enabled: {string.Join(", ", channels.Keys.Order(StringComparer.Ordinal))})").ConfigureAwait(false);
                return ExitCodes.ConfigError;
            }
            alertId = (await store.SaveAlertAsync(incident, app.Config.Host, [only], ct).ConfigureAwait(false)).AlertId;
        }
        else alertId = (await engine.RaiseAsync(incident, ct).ConfigureAwait(false)).AlertId;
        await dispatcher.DispatchDueAsync(ct).ConfigureAwait(false);

        var deliveries = await store.GetDeliveriesAsync(alertId, ct).ConfigureAwait(false);
        var table = new Table().AddColumns("channel", "status", "attempts", "error");
        foreach (var d in deliveries)
            table.AddRow(Markup.Escape(d.Channel), Markup.Escape(d.Status.ToString().ToLowerInvariant()), d.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(SafeText.Inert(d.LastError ?? "")));
        var console = app.Out;
        console.MarkupLine($"test alert [bold]{alertId}[/] ({severity.ToName()}) stored in {Markup.Escape(store.Description)}");
        if (deliveries.Count == 0) console.MarkupLine($"no channel is routed for severity {severity.ToName()} (stored only)");
        else console.Write(table);
        return deliveries.All(d => d.Status == DeliveryStatus.Delivered) ? ExitCodes.Ok : ExitCodes.NotOk;
    }
}
