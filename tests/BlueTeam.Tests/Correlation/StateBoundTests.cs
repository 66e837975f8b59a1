using System.Globalization;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Correlation;

/// <summary>A flood of distinct sources must not grow the rules' state past max_keys (not timed).</summary>
[Collection(MemoryMeasurement.Name)]
public class StateBoundTests(ITestOutputHelper output)
{
    [Fact]
    public void Evaluate_MillionDistinctSources_StateStaysUnderKeyLimit()
    {
        const int MaxKeys = 10_000;
        const int Sources = 1_000_000;
        var options = new RuleOptions { MaxKeys = MaxKeys, WindowSec = 86400 }; // a wide window: nothing expires, only eviction bounds
        var bruteForce = Rules.Build("ssh_brute_force", options);
        var spray = Rules.Build("password_spray", options);
        var start = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        for (var i = 0; i < Sources; i++)
        {
            var ip = string.Create(CultureInfo.InvariantCulture, $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}");
            var e = Rules.Event(start.AddMilliseconds(i), "ssh_login", "failure", user: "root", ip: ip);
            bruteForce.Evaluate(e);
            spray.Evaluate(e);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        var bf = (IStatefulRule)bruteForce;
        var sp = (IStatefulRule)spray;
        Assert.True(bf.TrackedKeys <= MaxKeys, $"brute force tracks {bf.TrackedKeys}");
        Assert.True(sp.TrackedKeys <= MaxKeys, $"spray tracks {sp.TrackedKeys}");
        Assert.Equal(Sources - MaxKeys, bf.EvictedKeys);
        Assert.Equal(Sources - MaxKeys, sp.EvictedKeys);
        var retainedMb = (after - before) / 1024.0 / 1024.0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"retained managed memory after {Sources:N0} sources, max_keys {MaxKeys:N0}, 2 rules: {retainedMb:F1} MiB"));
        // 2 rules x 10,000 keys x (key state + one pending event) is a few MiB; a leak of 1M keys would be hundreds.
        Assert.True(retainedMb < 64, $"{retainedMb:F1} MiB retained");
        GC.KeepAlive(bruteForce);
        GC.KeepAlive(spray);
    }
}
