using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using Spectre.Console.Testing;

namespace BlueTeam.Tests.Alerting;

public sealed class ChannelFactoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bt-channels-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static EmailChannelOptions Email() => new()
    {
        Enabled = true,
        SmtpHost = "127.0.0.1",
        Recipients = ["soc@example.org"],
    };

    [Fact]
    public void Create_Defaults_BuildsConsoleAndSyslogOnly()
    {
        var channels = ChannelFactory.Create(new AlertingOptions(), new TestConsole(), null);

        Assert.Equal(["console", "syslog"], channels.Keys.Order());
        Assert.All(channels, kv => Assert.Equal(kv.Key, kv.Value.Name));
    }

    [Fact]
    public void Create_EverythingEnabled_BuildsAllThree()
    {
        var channels = ChannelFactory.Create(new AlertingOptions { Email = Email() }, new TestConsole(), null);

        Assert.Equal(["console", "email", "syslog"], channels.Keys.Order());
        Assert.IsType<EmailChannel>(channels["email"]);
    }

    [Fact]
    public void Create_PasswordFileUnreadable_ThrowsConfigExceptionNamingKey()
    {
        var email = Email();
        email.SmtpUsername = "alerts";
        email.SmtpPasswordFile = Path.Combine(_dir, "missing-password");

        var e = Assert.Throws<ConfigException>(() => ChannelFactory.Create(new AlertingOptions { Email = email }, new TestConsole(), null));

        var error = Assert.Single(e.Errors);
        Assert.Equal("alerting.email.smtp_password_file", error.Key);
        Assert.Contains("missing-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_PasswordFileEmpty_ThrowsConfigExceptionNamingKey()
    {
        var file = Path.Combine(_dir, "empty");
        File.WriteAllText(file, "");
        var email = Email();
        email.SmtpPasswordFile = file;

        var e = Assert.Throws<ConfigException>(() => ChannelFactory.Create(new AlertingOptions { Email = email }, new TestConsole(), null));

        Assert.Equal("alerting.email.smtp_password_file", Assert.Single(e.Errors).Key);
    }

    [Fact]
    public void Create_PasswordFileReadable_BuildsEmail()
    {
        var file = Path.Combine(_dir, "pw");
        File.WriteAllText(file, "hunter2\nignored second line\n");
        var email = Email();
        email.SmtpPasswordFile = file;

        var channels = ChannelFactory.Create(new AlertingOptions { Email = email }, new TestConsole(), null);

        Assert.Contains("email", channels.Keys);
    }

    [Fact]
    public void Create_EmailWithoutRecipientsAndBadIdent_ReportsEveryProblem()
    {
        var email = Email();
        email.Recipients = [];
        var options = new AlertingOptions { Email = email, Syslog = new SyslogChannelOptions { Ident = "blue team" } };

        var e = Assert.Throws<ConfigException>(() => ChannelFactory.Create(options, new TestConsole(), null));

        Assert.Equal(["alerting.email.recipients", "alerting.syslog.ident"], e.Errors.Select(x => x.Key).Order());
    }

    [Fact]
    public void Create_AllDisabled_ReturnsNoChannels()
    {
        var options = new AlertingOptions { Console = new() { Enabled = false }, Syslog = new() { Enabled = false } };

        Assert.Empty(ChannelFactory.Create(options, new TestConsole(), null));
    }
}
