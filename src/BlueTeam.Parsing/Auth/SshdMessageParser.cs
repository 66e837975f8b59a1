using System.Net;
using System.Text.RegularExpressions;
using BlueTeam.Core.Events;
using BlueTeam.Parsing.Syslog;
using BlueTeam.Sources;

namespace BlueTeam.Parsing.Auth;

/// <summary>
/// sshd's authentication results: <c>Accepted|Failed &lt;method&gt; for [invalid user ]X from IP port N ssh2</c>
/// and <c>Invalid user X from IP [port N]</c> (IPv4 or IPv6), as event.action <c>ssh_login</c> with
/// event.outcome success or failure, the way Elastic's system integration writes them.
/// </summary>
/// <remarks>
/// The user name is attacker-chosen text and may itself contain " from 1.2.3.4 port 22"; the
/// patterns therefore take the user greedily and anchor the address at the end of the message,
/// where sshd writes the real peer, so a forged address inside the name is never picked up.
/// </remarks>
public sealed partial class SshdMessageParser : IAuthMessageParser
{
    // sshd formats log messages into a 1 KiB buffer (MSGBUFSIZ); anything much longer did not
    // come from sshd, and refusing it keeps the regexes' work bounded.
    private const int MaxMessageLength = 2048;

    public bool Handles(ReadOnlySpan<char> program) =>
        // OpenSSH 9.8 moved authentication into a separate sshd-session binary that logs under its own name.
        program.SequenceEqual("sshd") || program.SequenceEqual("sshd-session");

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var message = record.Message;
        if (message.Length > MaxMessageLength) return null;

        if (message.StartsWith("Failed ", StringComparison.Ordinal) || message.StartsWith("Accepted ", StringComparison.Ordinal))
            return ParseAttempt(record, line, context);
        if (message.StartsWith("Invalid user ", StringComparison.Ordinal) || message.StartsWith("Illegal user ", StringComparison.Ordinal))
            return ParseInvalidUser(record, line, context);
        return null;
    }

    private static SecurityEvent? ParseAttempt(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var text = record.Message.ToString();
        var m = AttemptPattern().Match(text);
        if (!m.Success) return null;
        if (!TryReadPeer(m.Groups["ip"].ValueSpan, out var ip, out var domain)) return null;

        var success = m.Groups["result"].ValueSpan.SequenceEqual("Accepted");
        var method = m.Groups["method"].Value;
        var invalid = m.Groups["invalid"].Success;
        return Build(record, line, context, text,
            outcome: success ? EcsValues.Success : EcsValues.Failure,
            reason: (success ? "Accepted " : "Failed ") + method + (invalid ? " for invalid user" : ""),
            user: m.Groups["user"].Value, ip, domain, ParsePort(m.Groups["port"].ValueSpan));
    }

    private static SecurityEvent? ParseInvalidUser(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var text = record.Message.ToString();
        var m = InvalidUserPattern().Match(text);
        if (!m.Success) return null;
        if (!TryReadPeer(m.Groups["ip"].ValueSpan, out var ip, out var domain)) return null;

        return Build(record, line, context, text,
            outcome: EcsValues.Failure, reason: "Invalid user",
            user: m.Groups["user"].Value, ip, domain,
            m.Groups["port"].Success ? ParsePort(m.Groups["port"].ValueSpan) : null);
    }

    private static SecurityEvent Build(in SyslogRecord record, RawLine line, ParseContext context, string message,
        string outcome, string reason, string user, string? ip, string? domain, int? port)
    {
        var success = outcome == EcsValues.Success;
        return new SecurityEvent
        {
            Timestamp = record.Timestamp,
            Event = new EcsEvent
            {
                Category = success ? [EcsValues.Authentication, EcsValues.Session] : [EcsValues.Authentication],
                Type = [EcsValues.Info],
                Action = EventActions.SshLogin,
                Outcome = outcome,
                Reason = reason,
            },
            Source = new EcsSource { Ip = ip, Domain = domain, Port = port },
            User = user.Length > 0 ? new EcsUser { Name = user } : null,
            Host = EventFields.Host(record.Hostname, context),
            Process = new EcsProcess { Name = record.Program.ToString(), Pid = record.Pid },
            Log = EventFields.Log(line),
            Message = message,
            Labels = EventFields.Labels(line),
        };
    }

    /// <summary>
    /// The peer as sshd wrote it: an address (normalized, IPv4-mapped IPv6 as IPv4, so that one
    /// attacker is one key) or, with UseDNS, a host name.
    /// </summary>
    private static bool TryReadPeer(ReadOnlySpan<char> peer, out string? ip, out string? domain)
    {
        ip = domain = null;
        if (IPAddress.TryParse(peer, out var address))
        {
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            ip = address.ToString();
            return true;
        }
        if (!LooksLikeHostName(peer)) return false;
        domain = peer.ToString();
        return true;
    }

    private static bool LooksLikeHostName(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s.Length > 253) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')) return false;
        return true;
    }

    private static int? ParsePort(ReadOnlySpan<char> s) =>
        int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : null;

    // NonBacktracking: linear time in the message whatever an attacker puts in the user name.
    [GeneratedRegex(@"^(?<result>Accepted|Failed) (?<method>[^ ]+) for (?<invalid>invalid user )?(?<user>.*) from (?<ip>[^ ]+) port (?<port>[0-9]{1,5})(?: ssh2)?(?:: .*)?$",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex AttemptPattern();

    [GeneratedRegex(@"^(?:Invalid|Illegal) user (?<user>.*) from (?<ip>[^ ]+)(?: port (?<port>[0-9]{1,5}))?$",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex InvalidUserPattern();
}
