using BlueTeam.Response;
using Prometheus;

namespace BlueTeam.Cli.Monitoring;

/// <summary>The response stage's counters as one Prometheus counter, labelled by outcome.</summary>
internal static class ResponseMetrics
{
    public static Counter Create(MetricFactory factory) =>
        factory.CreateCounter("blueteam_bans_total",
            "Active response decisions by outcome: banned, dry_run, reported (recent login), ignored, untrusted, failed (not applied), restored (at start or from the fleet), cap_refused, error.",
            "outcome");

    public static void Update(Counter bans, ResponseCounters c)
    {
        bans.WithLabels("banned").IncTo(c.Banned);
        bans.WithLabels("dry_run").IncTo(c.DryRun);
        bans.WithLabels("reported").IncTo(c.ReportedNotBanned);
        bans.WithLabels("ignored").IncTo(c.IgnoredSources);
        bans.WithLabels("untrusted").IncTo(c.UntrustedSources);
        bans.WithLabels("failed").IncTo(c.FailedBans);
        bans.WithLabels("restored").IncTo(c.RestoredBans);
        bans.WithLabels("cap_refused").IncTo(c.CapRefusals);
        bans.WithLabels("error").IncTo(c.Errors);
    }
}
