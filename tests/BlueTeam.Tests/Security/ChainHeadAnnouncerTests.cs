using BlueTeam.Engine.Daemon;
using BlueTeam.Core.Config;
using BlueTeam.Storage;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Security;

/// <summary>
/// The audit chain head sent to a real rsyslog (TCP and UDP): what the collector records is the
/// store's head, a new alert sends the new head, an unchanged head is not repeated within the
/// hour, and the option off sends nothing.
/// </summary>
public class ChainHeadAnnouncerTests : IDisposable
{
    private const string Host = "eqmon-web01";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static BlueTeamConfig Config(SyslogServerFixture syslog, SyslogTransport transport, bool send) => new()
    {
        Host = Host,
        Alerting = new AlertingOptions
        {
            Syslog = new SyslogChannelOptions
            {
                Enabled = false, // alerts off: the head is sent on its own
                Transport = transport,
                Server = "127.0.0.1",
                Port = transport == SyslogTransport.Udp ? syslog.UdpPort : syslog.TcpPort,
                SendChainHead = send,
            },
        },
    };

    private static string[] Records(SyslogServerFixture syslog) =>
        File.Exists(syslog.OutputPath)
            ? File.ReadAllLines(syslog.OutputPath).Where(l => l.Contains("BLUETEAM_CHAIN_HEAD", StringComparison.Ordinal)).ToArray()
            : [];

    [Theory]
    [InlineData(SyslogTransport.Tcp)]
    [InlineData(SyslogTransport.Udp)]
    public async Task AnnounceAsync_RealRsyslog_RecordsTheStoresHeadOncePerChange(SyslogTransport transport)
    {
        using var syslog = new SyslogServerFixture();
        await using var store = new SqliteStore(_dir.File("blueteam.db"));
        await store.MigrateAsync(CancellationToken.None);
        var config = Config(syslog, transport, send: true);
        var announcer = new ChainHeadAnnouncer();
        var now = DateTimeOffset.UtcNow;

        // No chain yet: the empty head is anchored too (a history wiped to nothing shows).
        Assert.True(await announcer.AnnounceAsync(config, store, now, NullLogger.Instance, CancellationToken.None));
        var empty = await syslog.WaitForLineAsync($"BLUETEAM_CHAIN_HEAD host={Host} seq=0 hash=-", TimeSpan.FromSeconds(10));
        Assert.StartsWith("6 22 blueteam chainhead ", empty); // severity info, facility local6, app-name, msgid

        await store.SaveAlertAsync(AlertIncidents.Incident(ip: "203.0.113.9"), Host, [], CancellationToken.None);
        var head = await store.GetChainHeadAsync(Host, CancellationToken.None);
        Assert.NotNull(head);
        Assert.True(await announcer.AnnounceAsync(config, store, now.AddSeconds(10), NullLogger.Instance, CancellationToken.None));
        await syslog.WaitForLineAsync($"BLUETEAM_CHAIN_HEAD host={Host} seq={head.Seq} hash={head.Hash}", TimeSpan.FromSeconds(10));

        // Unchanged: not sent again within the hour; sent again after it.
        Assert.False(await announcer.AnnounceAsync(config, store, now.AddSeconds(20), NullLogger.Instance, CancellationToken.None));
        Assert.True(await announcer.AnnounceAsync(config, store, now.AddSeconds(10) + ChainHeadAnnouncer.Repeat, NullLogger.Instance, CancellationToken.None));

        // Another alert: the new head.
        await store.SaveAlertAsync(AlertIncidents.Incident(ip: "203.0.113.10"), Host, [], CancellationToken.None);
        var next = await store.GetChainHeadAsync(Host, CancellationToken.None);
        Assert.True(next!.Seq > head.Seq);
        Assert.True(await announcer.AnnounceAsync(config, store, now.AddHours(1).AddSeconds(20), NullLogger.Instance, CancellationToken.None));
        await syslog.WaitForLineAsync($"seq={next.Seq} hash={next.Hash}", TimeSpan.FromSeconds(10));

        await Task.Delay(500); // anything extra would have arrived by now
        var records = Records(syslog);
        Assert.Equal(4, records.Length); // empty, head, head after an hour, next
        Assert.Equal(2, records.Count(r => r.EndsWith($"seq={head.Seq} hash={head.Hash}", StringComparison.Ordinal)));
        Assert.Equal(64, next.Hash.Length); // a SHA-256, as `blueteam verify` prints it
    }

    [Fact]
    public async Task AnnounceAsync_OptionOff_SendsNothing()
    {
        using var syslog = new SyslogServerFixture();
        await using var store = new SqliteStore(_dir.File("off.db"));
        await store.MigrateAsync(CancellationToken.None);
        await store.SaveAlertAsync(AlertIncidents.Incident(), Host, [], CancellationToken.None);
        var announcer = new ChainHeadAnnouncer();
        Assert.False(await announcer.AnnounceAsync(Config(syslog, SyslogTransport.Tcp, send: false), store, DateTimeOffset.UtcNow, NullLogger.Instance, CancellationToken.None));
        // A marker record proves the collector was up and would have written an announcement first.
        Assert.True(await new ChainHeadAnnouncer().AnnounceAsync(new BlueTeamConfig
        {
            Host = "marker",
            Alerting = new AlertingOptions { Syslog = Config(syslog, SyslogTransport.Tcp, send: true).Alerting.Syslog },
        }, store, DateTimeOffset.UtcNow, NullLogger.Instance, CancellationToken.None));
        await syslog.WaitForLineAsync("host=marker", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(Records(syslog), r => r.Contains($"host={Host}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnnounceAsync_CollectorDown_ReturnsFalseAndSendsOnceItIsUp()
    {
        var port = SmtpServerFixture.FreeLoopbackPort();
        await using var store = new SqliteStore(_dir.File("down.db"));
        await store.MigrateAsync(CancellationToken.None);
        var config = new BlueTeamConfig
        {
            Host = Host,
            Alerting = new AlertingOptions { Syslog = new SyslogChannelOptions { Transport = SyslogTransport.Tcp, Server = "127.0.0.1", Port = port, SendChainHead = true, TimeoutSec = 2 } },
        };
        var announcer = new ChainHeadAnnouncer();
        Assert.False(await announcer.AnnounceAsync(config, store, DateTimeOffset.UtcNow, NullLogger.Instance, CancellationToken.None));
        using var syslog = new SyslogServerFixture(tcpPort: port);
        Assert.True(await announcer.AnnounceAsync(config, store, DateTimeOffset.UtcNow, NullLogger.Instance, CancellationToken.None));
        await syslog.WaitForLineAsync($"BLUETEAM_CHAIN_HEAD host={Host} seq=0 hash=-", TimeSpan.FromSeconds(10));
    }
}
