using BlueTeam.Alerting;
using BlueTeam.Correlation;
using BlueTeam.Parsing;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// The parts of the daemon that a SIGHUP may replace: rules, routes and channels. Workers read
/// <see cref="Current"/> once per item, so a reload takes effect between two lines and never
/// half-way through one.
/// </summary>
internal sealed class DaemonRuntime
{
    private volatile RuntimeParts _current;

    public DaemonRuntime(RuntimeParts initial) => _current = initial;

    public RuntimeParts Current => _current;

    public void Swap(RuntimeParts next) => _current = next;
}

internal sealed record RuntimeParts(
    BlueTeamConfig Config,
    IReadOnlyList<IRule> Rules,
    ParserRegistry Parsers,
    DetectionPipeline Pipeline,
    IReadOnlyDictionary<string, IAlertChannel> Channels,
    AlertEngine Engine,
    DeliveryDispatcher Dispatcher,
    DeliveryHealthMonitor Health)
{
    /// <summary>
    /// Builds everything the config describes, validating as the daemon does at start. Rules whose
    /// name and options did not change keep their instance, and so their windows and counts.
    /// </summary>
    public static RuntimeParts Build(IRuntimeFactory app, BlueTeamConfig config, IAlertStore alertStore, NoiseControlSources noise, IFirstSeenStore firstSeen, RuntimeParts? previous)
    {
        var context = new RuleContext
        {
            Host = config.Host,
            Time = app.Time,
            FirstSeen = firstSeen,
            ExpectedSources = config.Collectors.Where(c => c.Value.Enabled).Select(c => c.Key).ToList(),
        };
        var rules = RuleCatalog.Build(config.Correlation, context).ToList();
        if (previous is not null)
        {
            var kept = previous.Rules.ToDictionary(r => Signature(r.Descriptor), StringComparer.Ordinal);
            for (var i = 0; i < rules.Count; i++)
                if (kept.TryGetValue(Signature(rules[i].Descriptor), out var old)) rules[i] = old;
        }
        var channels = app.BuildChannels(config);
        var engine = app.BuildEngine(config, channels, alertStore, noise);
        engine.History = previous?.Engine.History; // a reload during the first start keeps holding its history
        var dispatcher = app.BuildDispatcher(config, channels, alertStore);
        // Parsers keep their buffers (auditd records awaiting the rest of their event) across a reload.
        var parsers = previous?.Parsers ?? ParserRegistry.CreateDefault();
        // So are the contained-error counts, which `status` shows per source.
        var pipeline = new DetectionPipeline(parsers, new Correlator(rules, app.Loggers.CreateLogger<Correlator>()), previous?.Pipeline.Errors,
            app.Loggers.CreateLogger<DetectionPipeline>());
        var health = previous?.Health ?? app.BuildHealthMonitor(config);
        return new RuntimeParts(config, rules, parsers, pipeline, channels, engine, dispatcher, health);
    }

    private static string Signature(RuleDescriptor d) =>
        d.Name + "|" + d.Enabled + "|" + d.Severity + "|" + string.Join(",", d.Options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}"));
}
