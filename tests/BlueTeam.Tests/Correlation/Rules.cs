using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;

namespace BlueTeam.Tests.Correlation;

/// <summary>Builds catalogue rules by name, as the daemon builds them, with optional overrides.</summary>
internal static class Rules
{
    public const string Host = "configured-host";

    /// <summary>The identity every test rule file starts with: six lines, each ended.</summary>
    public const string FileHeader = """
        id: SITE-001
        name: site_rule
        title: Site rule
        description: a rule
        severity: high
        nist_controls: ["3.14.6"]

        """;

    public static IRule Build(string name, RuleOptions? options = null, RuleContext? context = null)
    {
        var correlation = new CorrelationOptions();
        if (options is not null) correlation.Rules[name] = options;
        return RuleCatalog.BuildOne(correlation, name, context ?? new RuleContext { Host = Host })
            ?? throw new InvalidOperationException($"no rule named {name}");
    }

    public static List<SecurityIncident> Run(IRule rule, IEnumerable<SecurityEvent> events) => events.SelectMany(rule.Evaluate).ToList();

    /// <summary>A hand-built event, for state-bound tests that need millions of them cheaply; rule behaviour is tested through the parsers (SecurityLogs).</summary>
    public static SecurityEvent Event(DateTimeOffset at, string action, string? outcome = null, string? user = null, string? ip = null,
        string? reason = null, IReadOnlyDictionary<string, string>? labels = null, string host = "eqmon-web01") => new()
    {
        Timestamp = at,
        Event = new EcsEvent { Action = action, Outcome = outcome, Reason = reason },
        User = user is null ? null : new EcsUser { Name = user },
        Source = ip is null ? null : new EcsSource { Ip = ip },
        Host = new EcsHost { Hostname = host },
        Labels = labels,
    };
}
