using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Spectre.Console;
using Spectre.Console.Testing;

namespace BlueTeam.Tests.Alerting;

public sealed class ConsoleChannelTests
{
    private static TestConsole Console() => new TestConsole().Width(200);

    [Fact]
    public async Task SendAsync_Critical_PrintsPanelWithSeedFields()
    {
        var console = Console();
        var channel = new ConsoleChannel(console);

        var result = await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident(Severity.Critical)), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        var output = console.Output;
        Assert.Contains("SECURITY ALERT", output, StringComparison.Ordinal);
        Assert.Contains("SSH brute force from 203.0.113.7", output, StringComparison.Ordinal);
        Assert.Contains("Severity: critical | Rule: ssh_brute_force", output, StringComparison.Ordinal);
        Assert.Contains("NIST: 3.14.6, 3.14.7", output, StringComparison.Ordinal);
        Assert.Contains("12 failed logins in 60 s", output, StringComparison.Ordinal);
        Assert.Contains("User: root", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_MarkupInTitleAndUser_PrintsLiterally()
    {
        var console = Console();
        var incident = AlertIncidents.Incident(title: "login as [red]admin[/] [link=http://x]y[/]", user: "[bold]root[/]");

        var result = await new ConsoleChannel(console).SendAsync(AlertIncidents.Record(incident), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        Assert.Contains("login as [red]admin[/] [link=http://x]y[/]", console.Output, StringComparison.Ordinal);
        Assert.Contains("User: [bold]root[/]", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_AnsiEscapeInTitle_PrintsInertWithNoRawEscape()
    {
        // With ANSI on, the panel's own colours are escape sequences; the title's must not be.
        var console = Console().Colors(ColorSystem.TrueColor);
        console.EmitAnsiSequences = true;
        var incident = AlertIncidents.Incident(title: "evil\u001b[2J\u001b]0;pwned\u0007 title", description: "line1\r\nline2\u202e");

        await new ConsoleChannel(console).SendAsync(AlertIncidents.Record(incident), CancellationToken.None);

        var output = console.Output;
        Assert.Contains(@"evil\x1b[2J\x1b]0;pwned\x07 title", output, StringComparison.Ordinal);
        Assert.Contains(@"line1\x0d\x0aline2\u202e", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[2J", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b]0;", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', output);
        Assert.DoesNotContain('\u202e', output);
    }

    [Theory]
    [InlineData(Severity.Critical, "bold red")]
    [InlineData(Severity.High, "red")]
    [InlineData(Severity.Medium, "yellow")]
    [InlineData(Severity.Low, "blue")]
    [InlineData(Severity.Info, "white")]
    public void BorderStyle_Severity_MatchesSeedColours(Severity severity, string expected)
    {
        Assert.Equal(Style.Parse(expected), ConsoleChannel.BorderStyle(severity));
    }
}
