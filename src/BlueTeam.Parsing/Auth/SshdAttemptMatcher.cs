namespace BlueTeam.Parsing.Auth;

/// <summary>
/// A hand-written equivalent of <see cref="SshdMessageParser.InvalidUserPattern"/>, one of the messages that make
/// up most of an exposed host's auth.log (login attempts are read by <see cref="SshdAttemptReader"/>). It gives
/// the same groups as the regex (greedy user: the peer is the last <c>" from "</c> whose tail has the required
/// shape) without building a string or a Match.
/// </summary>
/// <remarks>
/// Profiling `blueteam scan` showed the NonBacktracking regexes at ~5 µs per sshd failure line,
/// more than everything else in parsing together. Each step here is linear in the message, like
/// the regex, so an attacker-chosen user name cannot make it slow either.
/// </remarks>
internal static class SshdAttemptMatcher
{
    private const string From = " from ";
    private const string PortWord = " port ";

    internal ref struct Attempt
    {
        public ReadOnlySpan<char> User;
        public ReadOnlySpan<char> Ip;
        public ReadOnlySpan<char> Port;
    }

    /// <summary><c>^(Invalid|Illegal) user USER from IP( port N)?$</c>.</summary>
    public static bool TryMatchInvalidUser(ReadOnlySpan<char> body, out Attempt m)
    {
        m = default;
        if (body.Contains('\n')) return SlowInvalidUser(body, out m);
        if (!body.StartsWith("Invalid user ", StringComparison.Ordinal) && !body.StartsWith("Illegal user ", StringComparison.Ordinal)) return false;
        var rest = body[13..];
        var at = LastPeer(rest, InvalidUserTail, out var ip, out var port);
        if (at < 0) return false;
        m.User = rest[..at];
        m.Ip = ip;
        m.Port = port;
        return true;
    }

    private delegate bool TailShape(ReadOnlySpan<char> tail, out ReadOnlySpan<char> ip, out ReadOnlySpan<char> port);

    /// <summary>The index of the last " from " whose tail has the shape (greedy <c>.*</c> before it), or -1.</summary>
    private static int LastPeer(ReadOnlySpan<char> text, TailShape shape, out ReadOnlySpan<char> ip, out ReadOnlySpan<char> port)
    {
        var end = text.Length;
        while (true)
        {
            var at = text[..end].LastIndexOf(From, StringComparison.Ordinal);
            if (at < 0)
            {
                ip = port = default;
                return -1;
            }
            if (shape(text[(at + From.Length)..], out ip, out port)) return at;
            // Overlapping occurrences (" from from ") are each tried, as the regex would.
            end = at + From.Length - 1;
        }
    }

    /// <summary><c>[^ ]+( port [0-9]{1,5})?$</c>.</summary>
    private static bool InvalidUserTail(ReadOnlySpan<char> tail, out ReadOnlySpan<char> ip, out ReadOnlySpan<char> port)
    {
        ip = port = default;
        var space = tail.IndexOf(' ');
        if (space == 0) return false;
        if (space < 0)
        {
            ip = tail;
            return true;
        }
        var after = tail[space..];
        if (!after.StartsWith(PortWord, StringComparison.Ordinal)) return false;
        var digits = after[PortWord.Length..];
        if (digits.Length is 0 or > 5) return false;
        foreach (var c in digits)
            if (!char.IsAsciiDigit(c)) return false;
        ip = tail[..space];
        port = digits;
        return true;
    }

    private static bool SlowInvalidUser(ReadOnlySpan<char> body, out Attempt m)
    {
        m = default;
        var r = SshdMessageParser.InvalidUserPattern().Match(body.ToString());
        if (!r.Success) return false;
        m.User = r.Groups["user"].ValueSpan;
        m.Ip = r.Groups["ip"].ValueSpan;
        m.Port = r.Groups["port"].Success ? r.Groups["port"].ValueSpan : default;
        return true;
    }
}
