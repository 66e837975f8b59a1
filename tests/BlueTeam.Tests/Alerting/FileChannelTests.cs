using System.Text.Json;
using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Alerting;

public sealed class FileChannelTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task SendAsync_TwoAlerts_TwoJsonLinesInA0600File()
    {
        var path = _dir.File("alerts.jsonl");
        var channel = new FileChannel(new FileChannelOptions { Enabled = true, Path = path });
        var hostile = AlertIncidents.Incident(Severity.Critical, user: "evil\nuser\u001b[31m");

        Assert.Equal(DeliveryResult.Delivered(), await channel.SendAsync(AlertIncidents.Record(hostile, id: 1), CancellationToken.None));
        Assert.Equal(DeliveryResult.Delivered(), await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident(Severity.Low), id: 2), CancellationToken.None));

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("evil\nuser\u001b[31m", first.RootElement.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("critical", first.RootElement.GetProperty("severity").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task SendAsync_DirectoryMissing_Transient()
    {
        var channel = new FileChannel(new FileChannelOptions { Enabled = true, Path = Path.Combine(_dir.File("missing"), "alerts.jsonl") });

        var result = await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident()), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
    }
}
