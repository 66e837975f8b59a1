using BlueTeam.Core.Text;
using Spectre.Console;

namespace BlueTeam.Alerting.Channels;

/// <summary>Prints an alert as a coloured panel on the operator's terminal.</summary>
/// <remarks>
/// Incident text comes from attackers (user names, URLs, log lines), so every field is made inert
/// twice over: <see cref="SafeText.Inert"/> turns control characters (ESC, CR, LF, bidi overrides)
/// into visible escapes, and <see cref="Markup.Escape"/> makes "[red]" print as text instead of
/// being read as Spectre markup.
/// </remarks>
public sealed class ConsoleChannel : IAlertChannel
{
    private readonly IAnsiConsole _console;

    public ConsoleChannel(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        _console = console;
    }

    public string Name => ChannelNames.Console;

    public Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        cancellationToken.ThrowIfCancellationRequested();
        var panel = BuildPanel(alert);
        try
        {
            _console.Write(panel);
        }
        catch (IOException e)
        {
            // The terminal went away (closed pipe, full disk behind a redirect); it may come back.
            return Task.FromResult(DeliveryResult.Transient($"console write failed: {e.Message}"));
        }
        return Task.FromResult(DeliveryResult.Delivered());
    }

    internal static Panel BuildPanel(AlertRecord alert)
    {
        var i = alert.Incident;
        var lines = new List<string>
        {
            $"[bold]{Safe(i.Title)}[/]",
            $"Severity: {i.Severity.ToName()} | Rule: {Safe(i.DetectedBy)}",
            $"NIST: {Safe(string.Join(", ", i.NistControls))}",
        };
        var who = new List<string>();
        if (i.Source?.Ip is { Length: > 0 } ip) who.Add($"Source: {Safe(ip)}");
        if (i.User?.Name is { Length: > 0 } user) who.Add($"User: {Safe(user)}");
        who.Add($"Host: {Safe(i.Host?.Hostname ?? alert.Host)}");
        lines.Add(string.Join(" | ", who));
        if (i.Description.Length > 0) lines.Add(Safe(i.Description));
        lines.Add($"[dim]alert {alert.Id} · {i.EventCount} event(s) · last seen {i.LastSeen:u}[/]");

        var style = BorderStyle(i.Severity);
        return new Panel(new Markup(string.Join('\n', lines)))
        {
            Header = new PanelHeader("SECURITY ALERT"),
            BorderStyle = style,
            Border = BoxBorder.Rounded,
            Expand = true,
        };
    }

    internal static Style BorderStyle(Severity severity) => severity switch
    {
        Severity.Critical => new Style(Color.Red, decoration: Decoration.Bold),
        Severity.High => new Style(Color.Red),
        Severity.Medium => new Style(Color.Yellow),
        Severity.Low => new Style(Color.Blue),
        _ => new Style(Color.White),
    };

    private static string Safe(string? text) => Markup.Escape(SafeText.Inert(text));
}

/// <summary>The console channel in the <see cref="ChannelRegistry"/>.</summary>
internal sealed class ConsoleChannelType() : CoreChannelType<ConsoleChannelOptions>(ChannelNames.Console, a => a.Console)
{
    protected override IAlertChannel Create(ConsoleChannelOptions options, ChannelContext context) => new ConsoleChannel(context.Console);
}
