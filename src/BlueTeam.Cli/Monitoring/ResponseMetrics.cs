using System.Diagnostics.Metrics;
using BlueTeam.Core.Diagnostics;
using BlueTeam.Response;

namespace BlueTeam.Cli.Monitoring;

/// <summary>The response stage's counters on the daemon's meter: one count of decisions, by outcome (Prometheus: blueteam_bans_total).</summary>
internal static class ResponseMetrics
{
    public static void Register(BlueTeamMeter meter, ResponseCounters c) =>
        meter.ObserveCounter("blueteam.bans", "{decision}",
            "Active response decisions by outcome: banned, dry_run, reported (recent login), ignored, untrusted, failed (not applied), restored (at start or from the fleet), cap_refused, error.",
            () =>
            [
                Outcome(c.Banned, "banned"), Outcome(c.DryRun, "dry_run"), Outcome(c.ReportedNotBanned, "reported"),
                Outcome(c.IgnoredSources, "ignored"), Outcome(c.UntrustedSources, "untrusted"), Outcome(c.FailedBans, "failed"),
                Outcome(c.RestoredBans, "restored"), Outcome(c.CapRefusals, "cap_refused"), Outcome(c.Errors, "error"),
            ]);

    private static Measurement<long> Outcome(long value, string outcome) => new(value, new KeyValuePair<string, object?>("outcome", outcome));
}
