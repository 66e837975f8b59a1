using System.Diagnostics;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.State;
using BlueTeam.Engine;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Bench;

/// <summary>
/// Times read → read+parse → read+parse+correlate over real files, with the bytes allocated per
/// line, to see which stage a change should go after. Each stage is run three times (or --rounds N); the best is shown.
/// </summary>
internal static class StageHarness
{
    public static int Run(string[] args)
    {
        // --rounds N: each stage is run N times and the fastest kept (on a shared machine, more rounds find a quiet moment).
        var roundsAt = Array.IndexOf(args, "--rounds");
        var rounds = roundsAt >= 0 && roundsAt + 1 < args.Length ? int.Parse(args[roundsAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        if (roundsAt >= 0) args = [.. args[..roundsAt], .. args[Math.Min(args.Length, roundsAt + 2)..]];
        var files = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var type = args.Contains("--audit") ? "audit" : args.Contains("--access") ? "access" : "auth";
        if (files.Length == 0)
        {
            Console.Error.WriteLine("usage: stages FILE... [--audit|--access] [--rounds N]");
            return 2;
        }
        Measure("read", files, type, parse: false, correlate: false, rounds);
        Measure("read+parse", files, type, parse: true, correlate: false, rounds);
        Measure("read+parse+correlate", files, type, parse: true, correlate: true, rounds);
        return 0;
    }

    private static void Measure(string name, string[] files, string type, bool parse, bool correlate, int rounds)
    {
        var best = TimeSpan.MaxValue;
        long lines = 0, events = 0, incidents = 0, allocated = 0;
        int gen0 = 0, gen1 = 0, gen2 = 0;
        var pause = TimeSpan.Zero;
        for (var round = 0; round < rounds; round++)
        {
            // The engine as scan and the daemon drive it: the same reader, the same pipeline, updates left unrendered
            // (scan renders the last one of each incident once).
            var pipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), new Correlator(RuleCatalog.Build(new CorrelationOptions(), new RuleContext { Host = "eqmon-web01" })));
            var reader = new LineReader();
            var parsed = new List<SecurityEvent>();
            var updates = new List<IncidentUpdate>();
            lines = events = incidents = 0;
            var before = GC.GetAllocatedBytesForCurrentThread();
            int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
            var paused = GC.GetTotalPauseDuration();
            var sw = Stopwatch.StartNew();
            foreach (var file in files)
            {
                var context = new ParseContext { TimeZone = TimeZoneInfo.Local, Now = new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero), DefaultHost = "eqmon-web01" };
                // As scan reads: lines no parser wants are passed over before they become strings (not in the "read" stage).
                foreach (var raw in LogFile.Plain(file, type, context).ReadLines("scan", reader, parse ? pipeline.Parsers.ScreenFor(type) : null))
                {
                    lines++;
                    if (!parse) continue;
                    parsed.Clear();
                    if (!correlate)
                    {
                        events += pipeline.Parse(raw, context, parsed);
                        continue;
                    }
                    updates.Clear();
                    events += pipeline.Process(raw, context, parsed, updates);
                    incidents += updates.Count;
                }
            }
            sw.Stop();
            lines += reader.ScreenedOut;
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (sw.Elapsed < best)
            {
                best = sw.Elapsed;
                (gen0, gen1, gen2) = (GC.CollectionCount(0) - g0, GC.CollectionCount(1) - g1, GC.CollectionCount(2) - g2);
                pause = GC.GetTotalPauseDuration() - paused;
            }
        }
        Console.WriteLine($"{name,-22} {lines,10:N0} lines {events,10:N0} events {incidents,8:N0} incidents {best.TotalMilliseconds,9:F0} ms {lines / best.TotalSeconds,12:N0} lines/s {allocated / (double)Math.Max(1, lines),8:F0} B/line   GCs {gen0}/{gen1}/{gen2} (gen0/1/2, each counted in the lower ones) paused {pause.TotalMilliseconds:F0} ms");
    }
}

/// <summary>
/// `rules FILE...`: the events of the files, parsed once, then each built-in rule alone over all of
/// them (rules keep independent state, so the sum is the correlator's cost), with time and bytes.
/// </summary>
internal static class RuleHarness
{
    public static int Run(string[] files)
    {
        var pipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), new Correlator([]));
        var events = new List<SecurityEvent>();
        var context = new ParseContext { TimeZone = TimeZoneInfo.Utc, Year = 2026, DefaultHost = "eqmon-web01" };
        foreach (var file in files)
            foreach (var raw in LogFile.Plain(file, "auth", context).ReadLines("scan"))
                pipeline.Parse(raw, context, events);
        Console.WriteLine($"{events.Count:N0} events");
        var rules = RuleCatalog.Build(new CorrelationOptions(), new RuleContext { Host = "eqmon-web01" });
        double total = 0;
        var updates = new List<IncidentUpdate>();
        foreach (var rule in rules.OrderBy(r => r.Descriptor.Name, StringComparer.Ordinal))
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            long incidents = 0;
            foreach (var e in events)
            {
                updates.Clear();
                rule.Evaluate(e, updates);
                incidents += updates.Count;
            }
            sw.Stop();
            total += sw.Elapsed.TotalMilliseconds;
            Console.WriteLine($"{rule.Descriptor.Name,-28} {sw.Elapsed.TotalMilliseconds,8:F1} ms {sw.Elapsed.TotalMilliseconds * 1e6 / events.Count,7:F0} ns/event {(GC.GetAllocatedBytesForCurrentThread() - before) / (double)events.Count,7:F0} B/event {incidents,9:N0} incident updates");
        }
        Console.WriteLine($"{"all rules",-28} {total,8:F1} ms {total * 1e6 / events.Count,7:F0} ns/event");
        return 0;
    }
}
