using System.Net;
using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>
/// The e-mail channel over STARTTLS to a real aiosmtpd that refuses mail without TLS, its
/// certificate signed by a throwaway CA the channel is told to trust (alerting.email.ca_file).
/// </summary>
public sealed class EmailTlsTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start.AddMinutes(2));
    private readonly TempDir _dir = new();
    private readonly AlertTestPki _pki = AlertTestPki.Create("localhost", IPAddress.Loopback);
    private readonly string _caFile;
    private readonly SmtpServerFixture _smtp;

    public EmailTlsTests()
    {
        var (ca, cert, key) = _pki.WritePem(_dir.Path);
        _caFile = ca;
        _smtp = new SmtpServerFixture(port: null, tlsCertFile: cert, tlsKeyFile: key);
    }

    public void Dispose()
    {
        _smtp.Dispose();
        _pki.Dispose();
        _dir.Dispose();
    }

    private EmailChannel Channel(SmtpTls tls, string? caFile) => new(new EmailChannelOptions
    {
        Enabled = true,
        SmtpHost = "127.0.0.1",
        SmtpPort = _smtp.Port,
        Tls = tls,
        CaFile = caFile,
        Recipients = ["soc@example.org"],
        TimeoutSec = 10,
    }, _time);

    [Fact]
    public async Task SendAsync_StartTlsWithPrivateCa_CriticalAlertDelivered()
    {
        var result = await Channel(SmtpTls.Starttls, _caFile).SendAsync(AlertIncidents.Record(AlertIncidents.Incident(Severity.Critical, fingerprint: "tls-mail-1"), id: 501), CancellationToken.None);

        Assert.Equal(DeliveryResult.Delivered(), result);
        var message = await _smtp.WaitForMessageAsync(m => m.Headers["X-BlueTeam-Alert-Id"] == "501", TimeSpan.FromSeconds(10));
        Assert.Equal("[CRITICAL] eqmon-web01: SSH brute force from 203.0.113.7 (ssh_brute_force)", message.Subject);
    }

    [Fact]
    public async Task SendAsync_WithoutTls_RefusedByTheServerSoTheTlsTestIsReal()
    {
        var result = await Channel(SmtpTls.None, null).SendAsync(AlertIncidents.Record(AlertIncidents.Incident(fingerprint: "tls-mail-2"), id: 502), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        Assert.Contains("530", result.Error, StringComparison.Ordinal);
        Assert.Empty(_smtp.Messages());
    }

    [Fact]
    public async Task SendAsync_CaNotTrusted_PermanentAndNothingSent()
    {
        // No ca_file: the system store does not know the throwaway CA, and verification stays on.
        var result = await Channel(SmtpTls.Starttls, null).SendAsync(AlertIncidents.Record(AlertIncidents.Incident(fingerprint: "tls-mail-3"), id: 503), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        Assert.Contains("TLS handshake failed", result.Error, StringComparison.Ordinal);
        Assert.Empty(_smtp.Messages());
    }

    [Fact]
    public async Task SendAsync_CertificateForAnotherName_Permanent()
    {
        using var other = AlertTestPki.Create("mail.example.org");
        using var dir = new TempDir();
        var (ca, cert, key) = other.WritePem(dir.Path);
        using var server = new SmtpServerFixture(port: null, tlsCertFile: cert, tlsKeyFile: key);
        var channel = new EmailChannel(new EmailChannelOptions
        {
            Enabled = true, SmtpHost = "127.0.0.1", SmtpPort = server.Port, Tls = SmtpTls.Starttls, CaFile = ca, Recipients = ["soc@example.org"], TimeoutSec = 10,
        }, _time);

        var result = await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident(fingerprint: "tls-mail-4")), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        Assert.Empty(server.Messages());
    }

    [Fact]
    public void Ctor_CaFileMissing_ConfigExceptionNamingTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => Channel(SmtpTls.Starttls, _dir.File("no-such-ca.pem")));

        Assert.Contains(e.Errors, x => x.Key == "alerting.email.ca_file");
    }

    [Fact]
    public void Validate_CaFileWithTlsNone_Refused()
    {
        var options = new EmailChannelOptions { Enabled = true, Recipients = ["soc@example.org"], Tls = SmtpTls.None, CaFile = _caFile };

        Assert.Contains(options.Validate(), p => p.Key == "ca_file");
    }
}
