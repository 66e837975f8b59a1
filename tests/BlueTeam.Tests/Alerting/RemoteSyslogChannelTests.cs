using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>RFC 5424 remote syslog against a real rsyslog (UDP, TCP) and a real TLS peer on loopback.</summary>
public sealed class RemoteSyslogChannelTests(SyslogServerFixture rsyslog) : IClassFixture<SyslogServerFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start.AddMinutes(2));

    private RemoteSyslogChannel Channel(SyslogTransport transport, SyslogFormat format, string facility = "local6", int? port = null) => new(new SyslogChannelOptions
    {
        Transport = transport,
        Server = "127.0.0.1",
        Port = port ?? (transport == SyslogTransport.Udp ? rsyslog.UdpPort : rsyslog.TcpPort),
        Format = format,
        Facility = facility,
        TimeoutSec = 5,
    }, _time);

    private static AlertRecord Alert(Severity severity, string marker, string? user = "root") =>
        AlertIncidents.Record(AlertIncidents.Incident(severity, title: $"{marker} brute force", user: user, fingerprint: marker), id: 4242);

    [Theory]
    [InlineData(SyslogTransport.Udp, Severity.Critical, "local6", "2 22")]
    [InlineData(SyslogTransport.Tcp, Severity.High, "local6", "3 22")]
    [InlineData(SyslogTransport.Tcp, Severity.Medium, "auth", "4 4")]
    [InlineData(SyslogTransport.Udp, Severity.Low, "local0", "5 16")]
    public async Task SendAsync_RealRsyslog_WritesSeverityAndFacility(SyslogTransport transport, Severity severity, string facility, string expected)
    {
        var marker = $"mk{Guid.NewGuid():N}"[..16];

        var result = await Channel(transport, SyslogFormat.Text, facility).SendAsync(Alert(severity, marker), CancellationToken.None);

        Assert.Equal(DeliveryResult.Delivered(), result);
        var line = await rsyslog.WaitForLineAsync(marker, Wait);
        Assert.StartsWith($"{expected} blueteam incident ", line, StringComparison.Ordinal);
        Assert.Contains($"SECURITY_INCIDENT [{severity.ToName().ToUpperInvariant()}] {marker} brute force", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_JsonOverTcp_OneRecordWithEcsJson()
    {
        var marker = $"js{Guid.NewGuid():N}"[..16];

        await Channel(SyslogTransport.Tcp, SyslogFormat.Json).SendAsync(Alert(Severity.High, marker, user: "a\nb"), CancellationToken.None);

        var line = await rsyslog.WaitForLineAsync(marker, Wait);
        var json = line[line.IndexOf('{', StringComparison.Ordinal)..];
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("a\nb", doc.RootElement.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal(marker, doc.RootElement.GetProperty("fingerprint").GetString());
    }

    [Fact]
    public async Task SendAsync_NewlineInTitleOverTcp_StaysOneRecord()
    {
        var marker = $"nl{Guid.NewGuid():N}"[..16];
        var alert = AlertIncidents.Record(AlertIncidents.Incident(Severity.High, title: $"{marker}\n<14>1 - forged - - - - FORGED{marker}", fingerprint: marker), id: 1);

        await Channel(SyslogTransport.Tcp, SyslogFormat.Cef).SendAsync(alert, CancellationToken.None);

        var line = await rsyslog.WaitForLineAsync(marker, Wait);
        Assert.Contains("CEF:0|blueteam|blueteam|1|BT-R001|", line, StringComparison.Ordinal);
        Assert.Contains("\\x0a<14>1", line, StringComparison.Ordinal);
        var all = await File.ReadAllTextAsync(rsyslog.OutputPath);
        Assert.Single(all.Split('\n'), l => l.Contains($"FORGED{marker}", StringComparison.Ordinal));
    }

    [Fact]
    public void Format_Rfc5424_HeaderAndStructuredData()
    {
        var record = Channel(SyslogTransport.Udp, SyslogFormat.Text).Format(Alert(Severity.Critical, "fp\"]x"));

        Assert.StartsWith($"<178>1 2026-03-10T08:32:00.000000Z eqmon-web01 blueteam {Environment.ProcessId} incident [blueteam@32473 alert_id=\"4242\" severity=\"critical\" rule=\"ssh_brute_force\" fingerprint=\"fp\\\"\\]x\"] SECURITY_INCIDENT", record, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TcpNothingListening_Transient()
    {
        var result = await Channel(SyslogTransport.Tcp, SyslogFormat.Text, port: SmtpServerFixture.FreeLoopbackPort()).SendAsync(Alert(Severity.High, "x"), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
    }

    [Fact]
    public async Task SendAsync_TlsPrivateCa_VerifiedAndOctetCounted()
    {
        using var pki = AlertTestPki.Create("localhost");
        using var dir = new TempDir();
        var caFile = dir.File("ca.pem");
        await File.WriteAllTextAsync(caFile, pki.Ca.ExportCertificatePem());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serverSide = ReceiveOneFrameAsync(listener, pki.Leaf);

        var channel = new RemoteSyslogChannel(new SyslogChannelOptions
        {
            Transport = SyslogTransport.Tls, Server = "127.0.0.1", ServerName = "localhost", Port = port, CaFile = caFile, TimeoutSec = 5,
        }, _time);
        var result = await channel.SendAsync(Alert(Severity.Critical, "tls-1"), CancellationToken.None);

        Assert.Equal(DeliveryResult.Delivered(), result);
        var frame = await serverSide.WaitAsync(Wait);
        Assert.StartsWith("<178>1 ", frame, StringComparison.Ordinal);
        Assert.Contains("fingerprint=\"tls-1\"", frame, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TlsWrongServerName_PermanentNotSent()
    {
        using var pki = AlertTestPki.Create("collector.example.org");
        using var dir = new TempDir();
        var caFile = dir.File("ca.pem");
        await File.WriteAllTextAsync(caFile, pki.Ca.ExportCertificatePem());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serverSide = ReceiveOneFrameAsync(listener, pki.Leaf);

        var channel = new RemoteSyslogChannel(new SyslogChannelOptions
        {
            Transport = SyslogTransport.Tls, Server = "127.0.0.1", ServerName = "localhost", Port = port, CaFile = caFile, TimeoutSec = 5,
        }, _time);
        var result = await channel.SendAsync(Alert(Severity.Critical, "tls-2"), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        await Assert.ThrowsAnyAsync<Exception>(() => serverSide.WaitAsync(Wait));
    }

    /// <summary>Accepts one TLS connection and reads one RFC 6587 octet-counted frame.</summary>
    private static async Task<string> ReceiveOneFrameAsync(TcpListener listener, X509Certificate2 certificate)
    {
        using var client = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        var length = new StringBuilder();
        var one = new byte[1];
        while (await tls.ReadAsync(one) == 1 && one[0] != (byte)' ') length.Append((char)one[0]);
        var body = new byte[int.Parse(length.ToString(), System.Globalization.CultureInfo.InvariantCulture)];
        await tls.ReadExactlyAsync(body);
        return Encoding.UTF8.GetString(body);
    }
}
