using System.Diagnostics.Metrics;
using BlueTeam.Core.Diagnostics;

namespace BlueTeam.Tests.Core;

public class DiagnosticsTests
{
    [Fact]
    public void StateChangeLog_SameErrorRepeated_ReportsOnceThenRecoveryOnce()
    {
        var log = new StateChangeLog();
        Assert.False(log.Succeeded());
        Assert.True(log.Failed("disk full"));
        Assert.False(log.Failed("disk full"));
        Assert.True(log.Failed("connection refused"));
        Assert.Equal("connection refused", log.LastError);
        Assert.True(log.Succeeded());
        Assert.False(log.Succeeded());
        Assert.Null(log.LastError);
        Assert.True(log.Failed("disk full"));
    }

    [Fact]
    public void KeyedStateChangeLog_KeysAreIndependent()
    {
        var log = new StateChangeLog<string>(StringComparer.Ordinal);
        Assert.True(log.Failed("email", "timeout"));
        Assert.True(log.Failed("webhook", "timeout"));
        Assert.False(log.Failed("email", "timeout"));
        Assert.True(log.Succeeded("email"));
        Assert.Equal("timeout", log.LastError("webhook"));
        Assert.Null(log.LastError("email"));
    }

    [Fact]
    public void Meter_Snapshot_ReadsEveryObservableInstrumentWithItsTags()
    {
        using var meter = new BlueTeamMeter();
        long lines = 0;
        meter.ObserveCounter("blueteam.lines", "{line}", "Lines read.", () =>
            [new Measurement<long>(Interlocked.Read(ref lines), new KeyValuePair<string, object?>("source", "auth"))]);
        meter.ObserveGauge("blueteam.queue.depth", "{line}", "Queued lines.", () => [new Measurement<double>(3)]);

        lines = 41;
        lines++;
        var snapshot = meter.Snapshot();

        Assert.Equal(42, BlueTeamMeter.Total(snapshot, "blueteam.lines"));
        Assert.Equal("auth", snapshot.Single(v => v.Name == "blueteam.lines").Tag("source"));
        Assert.Equal(3, BlueTeamMeter.Total(snapshot, "blueteam.queue.depth"));
        Assert.Equal(0, BlueTeamMeter.Total(snapshot, "blueteam.unknown"));
    }

    [Fact]
    public void Meter_TwoInstancesInOneProcess_DoNotSeeEachOther()
    {
        using var a = new BlueTeamMeter();
        using var b = new BlueTeamMeter();
        a.ObserveCounter("blueteam.events", "{event}", "Events.", () => [new Measurement<long>(5)]);
        b.ObserveCounter("blueteam.events", "{event}", "Events.", () => [new Measurement<long>(7)]);
        Assert.Equal(5, BlueTeamMeter.Total(a.Snapshot(), "blueteam.events"));
        Assert.Equal(7, BlueTeamMeter.Total(b.Snapshot(), "blueteam.events"));
    }
}
