using System.Net.Sockets;
using System.Text;
using BlueTeam.Core.Text;

namespace BlueTeam.Alerting.Channels;

/// <summary>
/// Writes one line per alert to the local syslog socket (facility LOCAL6), the way glibc's
/// <c>syslog(3)</c> does: <c>&lt;PRI&gt;Mmm dd HH:mm:ss ident[pid]: message</c>. The syslog daemon adds
/// the host name and forwards it to the SIEM.
/// </summary>
/// <remarks>
/// Every field passes through <see cref="SafeText.Inert"/>, so a CR, LF or NUL in a title or user
/// name becomes a visible escape and can never end the record and start a forged one. Key=value
/// fields also escape spaces, so a user name cannot add a key of its own. A socket is opened per
/// alert: alerts are rare, and a syslog daemon restart then needs no reconnect logic.
/// </remarks>
public sealed class SyslogChannel : IAlertChannel
{
    /// <summary>LOCAL6, as the original plan chose.</summary>
    public const int Facility = 22;

    // Longer titles are cut: the record must stay well under the daemon's default
    // maximum message size (8 KiB for rsyslog) so it is never truncated mid-field.
    private const int MaxTitleLength = 512;
    private const int MaxFieldLength = 256;

    private readonly string _socketPath;
    private readonly string _ident;
    private readonly TimeProvider _time;
    private readonly int _pid = Environment.ProcessId;

    public SyslogChannel(SyslogChannelOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _socketPath = options.Socket;
        _ident = options.Ident;
        _time = time;
    }

    public string Name => ChannelNames.Syslog;

    /// <summary>The syslog severity for an incident severity (RFC 5424 numeric codes).</summary>
    public static int SyslogSeverity(Severity severity) => severity switch
    {
        Severity.Critical => 2, // crit
        Severity.High => 3,     // err
        Severity.Medium => 4,   // warning
        Severity.Low => 5,      // notice
        _ => 6,                 // info
    };

    public async Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var payload = Encoding.UTF8.GetBytes(Format(alert));
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            await socket.SendToAsync(payload, SocketFlags.None, new UnixDomainSocketEndPoint(_socketPath), cancellationToken).ConfigureAwait(false);
            return DeliveryResult.Delivered();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
        {
            // The same record will never fit; retrying cannot help.
            return DeliveryResult.Permanent($"syslog socket {_socketPath}: record of {payload.Length} bytes is too large: {e.Message}");
        }
        catch (SocketException e)
        {
            // Missing socket, nobody listening, daemon restarting, permission: all fixable on the
            // host without touching blueteam, so the delivery waits for it.
            return DeliveryResult.Transient($"syslog socket {_socketPath} unavailable ({e.SocketErrorCode}): {e.Message}");
        }
    }

    /// <summary>The datagram text for an alert, without a trailing newline.</summary>
    internal string Format(AlertRecord alert)
    {
        var i = alert.Incident;
        var pri = Facility * 8 + SyslogSeverity(i.Severity);
        var now = _time.GetLocalNow();
        // RFC 3164 timestamp: English month, day padded with a space, local time.
        var stamp = string.Create(CultureInfo.InvariantCulture, $"{now:MMM} {now.Day,2} {now:HH:mm:ss}");
        var sb = new StringBuilder(256);
        sb.Append('<').Append(pri.ToString(CultureInfo.InvariantCulture)).Append('>')
          .Append(stamp).Append(' ')
          .Append(_ident).Append('[').Append(_pid.ToString(CultureInfo.InvariantCulture)).Append("]: ")
          .Append(FormatText(alert));
        return sb.ToString();
    }

    /// <summary>The key=value message text (no header), shared with <see cref="RemoteSyslogChannel"/>.</summary>
    internal static string FormatText(AlertRecord alert)
    {
        var i = alert.Incident;
        var sb = new StringBuilder(256);
        sb.Append("SECURITY_INCIDENT [").Append(i.Severity.ToName().ToUpperInvariant()).Append("] ")
          .Append(SafeText.Inert(i.Title, MaxTitleLength))
          .Append(" | detected_by=").Append(Value(i.DetectedBy))
          .Append(" nist=").Append(Value(string.Join(",", i.NistControls)))
          .Append(" cui=").Append(i.CuiInvolved ? "True" : "False")
          .Append(" source.ip=").Append(Value(i.Source?.Ip))
          .Append(" user.name=").Append(Value(i.User?.Name))
          .Append(" host.hostname=").Append(Value(i.Host?.Hostname ?? alert.Host))
          .Append(" alert.id=").Append(alert.Id.ToString(CultureInfo.InvariantCulture))
          .Append(" fingerprint=").Append(Value(i.Fingerprint));
        return sb.ToString();
    }

    private static string Value(string? text) =>
        string.IsNullOrEmpty(text) ? "-" : SafeText.Inert(text, MaxFieldLength).Replace(" ", "\\x20", StringComparison.Ordinal);
}

/// <summary>
/// The syslog channel in the <see cref="ChannelRegistry"/>: the local socket, or a remote server
/// over UDP, TCP or TLS (<see cref="RemoteSyslogChannel"/>).
/// </summary>
internal sealed class SyslogChannelType() : CoreChannelType<SyslogChannelOptions>(ChannelNames.Syslog, a => a.Syslog)
{
    protected override IAlertChannel Create(SyslogChannelOptions options, ChannelContext context)
    {
        ChannelChecks.ThrowIfInvalid(options, "alerting.syslog");
        if (options.Transport != SyslogTransport.Local) return new RemoteSyslogChannel(options, context.Time);
        // A missing socket is not a config error: syslog may start after blueteam, and the
        // outbox keeps the records until it does. Say so once, now.
        if (!File.Exists(options.Socket))
            Log.SyslogSocketMissing(context.Loggers.CreateLogger<SyslogChannel>(), options.Socket);
        return new SyslogChannel(options, context.Time);
    }
}
