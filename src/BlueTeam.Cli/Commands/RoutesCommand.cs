namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam routes test`: where an incident with these properties would be sent, using the same
/// router the daemon builds (config routes, enabled channels, each channel's min_severity), like
/// amtool's <c>config routes test</c>. Nothing is stored or sent.
/// </summary>
internal static class RoutesCommand
{
    private static readonly Option<string> SeverityOption = new("--severity", "-s") { Description = $"Severity: {SeverityNames.AllNames}", Required = true };
    private static readonly Option<string?> RuleOption = new("--rule", "-r") { Description = "Rule name (rule.name), e.g. ssh_brute_force" };
    private static readonly Option<string[]> LabelOption = new("--label", "-l")
    {
        Description = $"label=value, repeatable; labels: {string.Join(", ", RouteLabels.Known)}",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command Build()
    {
        SeverityOption.Validators.Add(r =>
        {
            if (!SeverityNames.TryParse(r.GetValueOrDefault<string>(), out _)) r.AddError($"--severity must be one of {SeverityNames.AllNames}");
        });
        LabelOption.Validators.Add(r =>
        {
            foreach (var raw in r.GetValueOrDefault<string[]>() ?? [])
                if (!TryParseLabel(raw, out _, out _))
                    r.AddError($"--label '{SafeText.Inert(raw, 80)}': expected label=value with a label among {string.Join(", ", RouteLabels.Known)}");
        });
        var test = new Command("test", "Print where an incident with this severity, rule and labels would be sent") { SeverityOption, RuleOption, LabelOption };
        test.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, _) => Task.FromResult(Run(app, parse))));
        return new Command("routes", "Inspect alert routing") { test };
    }

    private static int Run(AppServices app, ParseResult parse)
    {
        var severity = SeverityNames.Parse(parse.GetValue(SeverityOption)!);
        var rule = parse.GetValue(RuleOption) ?? "";
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in parse.GetValue(LabelOption) ?? [])
            if (TryParseLabel(raw, out var k, out var v)) labels[k] = v;

        var incident = new SecurityIncident
        {
            Rule = new IncidentRule { Id = "", Name = rule },
            Title = "routes test",
            Severity = severity,
            DetectedBy = rule,
            NistControls = labels.TryGetValue(RouteLabels.NistControl, out var nist) ? [nist] : [],
            Source = labels.TryGetValue(RouteLabels.SourceIp, out var ip) ? new EcsSource { Ip = ip } : null,
            User = labels.TryGetValue(RouteLabels.UserName, out var user) ? new EcsUser { Name = user } : null,
            Host = new EcsHost { Hostname = labels.TryGetValue(RouteLabels.Host, out var host) ? host : app.Config.Host },
            FirstSeen = app.Time.GetUtcNow(),
            LastSeen = app.Time.GetUtcNow(),
            Fingerprint = "routes-test",
        };

        var channels = app.BuildChannels();
        var router = new AlertRouter(app.Config.Alerting, channels.Keys);
        var decision = router.Route(incident, app.Config.Host);

        var labelText = labels.Count == 0 ? "" : " " + string.Join(" ", labels.Select(kv => $"{kv.Key}={kv.Value}"));
        Console.Out.WriteLine(SafeText.Inert($"incident: severity={severity.ToName()} rule={(rule.Length == 0 ? "-" : rule)}{labelText}"));
        Console.Out.WriteLine(SafeText.Inert($"matched routes: {(decision.MatchedRoutes.Count == 0 ? "(none)" : string.Join(", ", decision.MatchedRoutes))}"));
        Console.Out.WriteLine($"channels: {(decision.Channels.Count == 0 ? "(none: stored only)" : string.Join(", ", decision.Channels))}");
        foreach (var (channel, reason) in decision.Dropped)
            Console.Out.WriteLine($"not sent to {channel}: {reason}");
        return ExitCodes.Ok;
    }

    private static bool TryParseLabel(string raw, out string key, out string value)
    {
        var eq = raw.IndexOf('=', StringComparison.Ordinal);
        key = eq > 0 ? raw[..eq].Trim() : "";
        value = eq > 0 ? raw[(eq + 1)..].Trim() : "";
        return eq > 0 && RouteLabels.Known.Contains(key);
    }
}
