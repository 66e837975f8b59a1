using System.Net.Sockets;
using System.Text;
using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>Runs the channel against a real Unix datagram socket bound in a temp directory.</summary>
public sealed class SyslogChannelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bt-syslog-").FullName;
    private readonly string _path;
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 5, 8, 30, 7, TimeSpan.Zero));

    public SyslogChannelTests()
    {
        _path = Path.Combine(_dir, "log");
        _listener.Bind(new UnixDomainSocketEndPoint(_path));
        _time.SetLocalTimeZone(TimeZoneInfo.Utc);
    }

    public void Dispose()
    {
        _listener.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private SyslogChannel Channel(string? socket = null) =>
        new(new SyslogChannelOptions { Socket = socket ?? _path, Ident = "blueteam" }, _time);

    private async Task<List<string>> ReceiveAllAsync()
    {
        var datagrams = new List<string>();
        var buffer = new byte[65536];
        while (_listener.Available > 0 || datagrams.Count == 0)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var n = await _listener.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            datagrams.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return datagrams;
    }

    [Fact]
    public async Task SendAsync_Critical_SendsLocal6CritWithIdentPidAndFields()
    {
        var result = await Channel().SendAsync(AlertIncidents.Record(AlertIncidents.Incident(Severity.Critical, fingerprint: "abc123")), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        var line = Assert.Single(await ReceiveAllAsync());
        Assert.Equal(
            $"<178>Mar  5 08:30:07 blueteam[{Environment.ProcessId}]: SECURITY_INCIDENT [CRITICAL] SSH brute force from 203.0.113.7 | " +
            "detected_by=ssh_brute_force nist=3.14.6,3.14.7 cui=False source.ip=203.0.113.7 user.name=root " +
            "host.hostname=eqmon-web01 alert.id=42 fingerprint=abc123",
            line);
    }

    [Theory]
    [InlineData(Severity.Critical, 178)]
    [InlineData(Severity.High, 179)]
    [InlineData(Severity.Medium, 180)]
    [InlineData(Severity.Low, 181)]
    [InlineData(Severity.Info, 182)]
    public async Task SendAsync_Severity_UsesLocal6AndTheSeedSeverityMap(Severity severity, int pri)
    {
        await Channel().SendAsync(AlertIncidents.Record(AlertIncidents.Incident(severity)), CancellationToken.None);

        Assert.StartsWith($"<{pri}>", Assert.Single(await ReceiveAllAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TitleWithNewlineAndForgedRecord_ArrivesAsOneInertDatagram()
    {
        var incident = AlertIncidents.Incident(title: "x\n<13>Mar  5 08:30:07 sshd[1]: Accepted password for root\r\0", user: "bob fingerprint=forged");

        await Channel().SendAsync(AlertIncidents.Record(incident), CancellationToken.None);

        var line = Assert.Single(await ReceiveAllAsync());
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\0', line);
        Assert.Contains(@"x\x0a<13>Mar", line, StringComparison.Ordinal);
        Assert.Contains(@"user.name=bob\x20fingerprint=forged ", line, StringComparison.Ordinal);
        Assert.Equal(2, line.Split(" fingerprint=").Length);
    }

    [Fact]
    public async Task SendAsync_SocketMissing_Transient()
    {
        var missing = Path.Combine(_dir, "nothing-here");

        var result = await Channel(missing).SendAsync(AlertIncidents.Record(AlertIncidents.Incident()), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
        Assert.Contains(missing, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_SocketFileWithoutListener_Transient()
    {
        var stale = Path.Combine(_dir, "stale");
        using (var gone = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
            gone.Bind(new UnixDomainSocketEndPoint(stale));

        var result = await Channel(stale).SendAsync(AlertIncidents.Record(AlertIncidents.Incident()), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
        Assert.Contains("unavailable", result.Error, StringComparison.Ordinal);
    }
}
