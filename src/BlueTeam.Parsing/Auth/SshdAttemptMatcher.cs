namespace BlueTeam.Parsing.Auth;

/// <summary>
/// Hand-written equivalents of <see cref="SshdMessageParser.AttemptPattern"/> and
/// <see cref="SshdMessageParser.InvalidUserPattern"/>, the two messages that make up most of an
/// exposed host's auth.log. They give the same groups as the regexes (greedy user: the peer is the
/// last <c>" from "</c> whose tail has the required shape) without building a string or a Match.
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
        public bool Accepted;
        public ReadOnlySpan<char> Method;
        public bool Invalid;
        public ReadOnlySpan<char> User;
        public ReadOnlySpan<char> Ip;
        public ReadOnlySpan<char> Port;
    }

    /// <summary><c>^(Accepted|Failed) METHOD for (invalid user )?USER from IP port N( ssh2)?(: .*)?$</c>.</summary>
    public static bool TryMatchAttempt(ReadOnlySpan<char> body, out Attempt m)
    {
        m = default;
        // '.' in the regex stops at '\n' and '$' may match before a final one: such text takes the regex's path.
        if (body.Contains('\n')) return SlowAttempt(body, out m);

        ReadOnlySpan<char> rest;
        if (body.StartsWith("Accepted ", StringComparison.Ordinal)) { m.Accepted = true; rest = body[9..]; }
        else if (body.StartsWith("Failed ", StringComparison.Ordinal)) rest = body[7..];
        else return false;

        var space = rest.IndexOf(' ');
        if (space <= 0) return false;
        m.Method = rest[..space];
        rest = rest[space..];
        if (!rest.StartsWith(" for ", StringComparison.Ordinal)) return false;
        rest = rest[5..];

        var at = LastPeer(rest, AttemptTail, out var ip, out var port);
        if (at < 0) return false;
        const string invalid = "invalid user ";
        // The optional group is tried first: it is taken whenever the chosen " from " lies after it.
        if (rest.StartsWith(invalid, StringComparison.Ordinal) && at >= invalid.Length)
        {
            m.Invalid = true;
            m.User = rest[invalid.Length..at];
        }
        else m.User = rest[..at];
        m.Ip = ip;
        m.Port = port;
        return true;
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

    /// <summary><c>[^ ]+ port [0-9]{1,5}( ssh2)?(: .*)?$</c>.</summary>
    private static bool AttemptTail(ReadOnlySpan<char> tail, out ReadOnlySpan<char> ip, out ReadOnlySpan<char> port)
    {
        ip = port = default;
        var space = tail.IndexOf(' ');
        if (space <= 0) return false;
        var after = tail[space..];
        if (!after.StartsWith(PortWord, StringComparison.Ordinal)) return false;
        var digits = after[PortWord.Length..];
        var n = 0;
        while (n < digits.Length && char.IsAsciiDigit(digits[n])) n++;
        if (n is 0 or > 5) return false;
        var rest = digits[n..];
        if (rest.StartsWith(" ssh2", StringComparison.Ordinal)) rest = rest[5..];
        if (!rest.IsEmpty && !rest.StartsWith(": ", StringComparison.Ordinal)) return false;
        ip = tail[..space];
        port = digits[..n];
        return true;
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

    private static bool SlowAttempt(ReadOnlySpan<char> body, out Attempt m)
    {
        m = default;
        var r = SshdMessageParser.AttemptPattern().Match(body.ToString());
        if (!r.Success) return false;
        m.Accepted = r.Groups["result"].ValueSpan.SequenceEqual("Accepted");
        m.Method = r.Groups["method"].ValueSpan;
        m.Invalid = r.Groups["invalid"].Success;
        m.User = r.Groups["user"].ValueSpan;
        m.Ip = r.Groups["ip"].ValueSpan;
        m.Port = r.Groups["port"].ValueSpan;
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
