namespace BlueTeam.Parsing.Syslog;

/// <summary>
/// Splits the header off a syslog line as rsyslog and syslog-ng write them to files:
/// RFC 3164 (<c>Mar 10 08:30:00 host prog[pid]: msg</c>) and RFC 3339 high-precision
/// (<c>2026-03-10T08:30:00.123456+01:00 host prog[pid]: msg</c>), each optionally behind a
/// <c>&lt;PRI&gt;</c>, and RFC 5424 (<c>&lt;PRI&gt;1 TIMESTAMP HOST APP PROCID MSGID SD MSG</c>).
/// </summary>
/// <remarks>
/// Hand-written rather than a regex because every line of every auth log passes through here:
/// it reads the span once, allocates nothing, and rejects a line at the first character that
/// cannot belong to a header. It never throws.
/// </remarks>
public static class SyslogHeaderParser
{
    // Longer tags are not syslog tags; refusing them early keeps a 1 MB junk line cheap.
    private const int MaxTagLength = 256;

    /// <summary>Parses the header of <paramref name="line"/>; false when the line is not a syslog line.</summary>
    /// <remarks>
    /// RFC 3164 timestamps take <see cref="ParseContext.Year"/>, or else the year that puts the date
    /// no more than a day after <see cref="ParseContext.Now"/> (so a December line read in January
    /// is last year's); both they and RFC 3339 timestamps without an offset are in
    /// <see cref="ParseContext.TimeZone"/>. A trailing CR (CRLF files) is ignored.
    /// </remarks>
    public static bool TryParse(ReadOnlySpan<char> line, ParseContext context, out SyslogRecord record) =>
        TryParse(line, context, resolveTime: true, out record);

    /// <summary>
    /// The header's shape alone: program, qualifier, pid and message as <see cref="TryParse(ReadOnlySpan{char}, ParseContext, out SyslogRecord)"/>
    /// would split them, without resolving the timestamp (year and zone; <see cref="SyslogRecord.Timestamp"/> is left default).
    /// </summary>
    /// <remarks>
    /// A relaxation of TryParse: whenever TryParse succeeds this does too, with the same parts, so a line whose
    /// parts no message parser wants can be passed over before it becomes a string.
    /// </remarks>
    internal static bool TrySplit(ReadOnlySpan<char> line, out SyslogRecord record) =>
        TryParse(line, context: null, resolveTime: false, out record);

    private static bool TryParse(ReadOnlySpan<char> line, ParseContext? context, bool resolveTime, out SyslogRecord record)
    {
        record = default;
        while (line.Length > 0 && line[^1] is '\r' or '\n') line = line[..^1];

        if (line.Length > 0 && line[0] == '<')
        {
            if (!TrySkipPriority(ref line)) return false;
            if (line.Length > 2 && line[0] == '1' && line[1] == ' ') return TryParseRfc5424(line[2..], context, resolveTime, out record);
        }

        DateTimeOffset timestamp;
        int consumed;
        if (line.Length >= 4 && IsDigit(line[0]))
        {
            if (!TryParseRfc3339(line, context, resolveTime, out timestamp, out consumed)) return false;
        }
        else if (!TryParseRfc3164(line, context, resolveTime, out timestamp, out consumed)) return false;

        var rest = line[consumed..];
        if (rest.Length == 0 || rest[0] != ' ') return false;
        rest = rest.TrimStart(' ');

        // "[sshd]: msg" or "[sshd] msg": a bracketed program with no host and no pid (some BSD and embedded syslogds).
        if (TryBracketedTag(rest, out var bracketed, out var afterTag))
        {
            record = new SyslogRecord { Timestamp = timestamp, Program = bracketed, Message = StripVendorPrefix(afterTag) };
            return true;
        }

        // The first word is the host, unless it already is the tag (daemons that omit the host).
        var first = NextWord(rest);
        ReadOnlySpan<char> hostname = default;
        if (!IsTagWord(rest, first.Length))
        {
            hostname = first;
            rest = rest[first.Length..].TrimStart(' ');
            first = NextWord(rest);
            // BusyBox syslogd (-S off) writes the priority as text between host and tag: "host authpriv.info sshd[1]: …".
            if (!IsTagWord(rest, first.Length) && IsFacilityLevel(first) && first.Length < rest.Length)
            {
                rest = rest[first.Length..].TrimStart(' ');
                first = NextWord(rest);
            }
            if (!IsTagWord(rest, first.Length)) return false;
        }

        // first = "prog[pid]:" / "prog(qual)[pid]:" / "prog:"; drop the colon.
        if (!TryParseTag(first[..^1], out var program, out var qualifier, out var pid)) return false;

        var message = rest[first.Length..];
        if (message.Length > 0 && message[0] == ' ') message = message[1..];
        message = StripVendorPrefix(message);

        record = new SyslogRecord
        {
            Timestamp = timestamp,
            Hostname = hostname,
            Program = program,
            ProgramQualifier = qualifier,
            Pid = pid,
            Message = message,
        };
        return true;
    }

    /// <summary><c>[prog]:</c> or <c>[prog]</c> as the first word: the program, and the message after it.</summary>
    private static bool TryBracketedTag(ReadOnlySpan<char> rest, out ReadOnlySpan<char> program, out ReadOnlySpan<char> message)
    {
        program = message = default;
        if (rest.Length < 3 || rest[0] != '[') return false;
        var word = NextWord(rest);
        var inner = word.EndsWith("]:", StringComparison.Ordinal) ? word[1..^2] : word.EndsWith("]", StringComparison.Ordinal) ? word[1..^1] : default;
        if (inner.IsEmpty || inner.Length > MaxTagLength) return false;
        foreach (var c in inner)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')) return false;
        program = inner;
        message = word.Length < rest.Length ? rest[(word.Length + 1)..] : default;
        return true;
    }

    /// <summary>
    /// Text some systems put between the tag and the program's own message: Solaris' message id
    /// (<c>[ID 800047 auth.info] </c>) and a kernel-style uptime stamp (<c>kernel:[  970.699396]: </c>,
    /// <c>kernel: [  970.699396] </c>, seen in journal exports). Neither is the program's text, and
    /// the program's message parsers anchor at its start.
    /// </summary>
    private static ReadOnlySpan<char> StripVendorPrefix(ReadOnlySpan<char> message)
    {
        if (message.StartsWith("[ID ", StringComparison.Ordinal))
        {
            var close = message.IndexOf("] ", StringComparison.Ordinal);
            if (close > 4 && close < 64 && IsSolarisId(message[4..close])) return message[(close + 2)..];
        }
        else if (message.StartsWith("kernel:", StringComparison.Ordinal))
        {
            var rest = message[7..].TrimStart(' ');
            if (rest.Length > 2 && rest[0] == '[')
            {
                var close = rest.IndexOf(']');
                if (close > 1 && IsUptime(rest[1..close].Trim(' ')))
                {
                    rest = rest[(close + 1)..];
                    if (rest.StartsWith(":", StringComparison.Ordinal)) rest = rest[1..];
                    return rest.TrimStart(' ');
                }
            }
        }
        return message;
    }

    /// <summary>"authpriv.info", "auth.notice": a facility and a level, lower-case letters around one dot.</summary>
    private static bool IsFacilityLevel(ReadOnlySpan<char> word)
    {
        var dot = word.IndexOf('.');
        if (dot <= 0 || dot == word.Length - 1 || word.Length > 20 || word[(dot + 1)..].IndexOf('.') >= 0) return false;
        foreach (var c in word)
            if (!(char.IsAsciiLetterLower(c) || c == '.' || char.IsAsciiDigit(c))) return false;
        return true;
    }

    /// <summary>"800047 auth.info": digits, a space, facility.level.</summary>
    private static bool IsSolarisId(ReadOnlySpan<char> s)
    {
        var space = s.IndexOf(' ');
        if (space <= 0 || !TryParseDigits(s[..space], out _)) return false;
        var level = s[(space + 1)..];
        var dot = level.IndexOf('.');
        if (dot <= 0 || dot == level.Length - 1) return false;
        foreach (var c in level)
            if (!(char.IsAsciiLetterLower(c) || c == '.')) return false;
        return true;
    }

    private static bool IsUptime(ReadOnlySpan<char> s)
    {
        var dot = s.IndexOf('.');
        if (dot <= 0) return false;
        foreach (var c in s[..dot]) if (!IsDigit(c)) return false;
        foreach (var c in s[(dot + 1)..]) if (!IsDigit(c)) return false;
        return dot < s.Length - 1;
    }

    /// <summary>"&lt;0..191&gt;", as a relay or a network listener leaves it in front of the line.</summary>
    private static bool TrySkipPriority(ref ReadOnlySpan<char> line)
    {
        var close = line.IndexOf('>');
        if (close is < 2 or > 4 || !TryParseDigits(line[1..close], out var pri) || pri > 191) return false;
        line = line[(close + 1)..];
        return true;
    }

    // ---- RFC 5424: "TIMESTAMP HOST APP PROCID MSGID SD [MSG]" after "<PRI>1 "; "-" is the nil value ----

    private static bool TryParseRfc5424(ReadOnlySpan<char> s, ParseContext? context, bool resolveTime, out SyslogRecord record)
    {
        record = default;
        DateTimeOffset timestamp = default;
        if (s.StartsWith("- ", StringComparison.Ordinal))
        {
            // No timestamp in the message: the best we know is when it was read.
            if (resolveTime) timestamp = context!.Now;
            s = s[2..];
        }
        else
        {
            if (!TryParseRfc3339(s, context, resolveTime, out timestamp, out var consumed) || consumed >= s.Length || s[consumed] != ' ') return false;
            s = s[(consumed + 1)..];
        }

        if (!TryTakeField(ref s, out var hostname) || !TryTakeField(ref s, out var app)
            || !TryTakeField(ref s, out var procId) || !TryTakeField(ref s, out _)) return false;
        if (app.Length > MaxTagLength) return false;

        // Structured data: "-" or one or more [id k="v" …] elements, where a value may hold an escaped ']'.
        if (s.StartsWith("-", StringComparison.Ordinal)) s = s[1..];
        else
        {
            if (s.IsEmpty || s[0] != '[') return false;
            while (!s.IsEmpty && s[0] == '[')
            {
                var i = 1;
                var quoted = false;
                for (; i < s.Length; i++)
                {
                    var c = s[i];
                    if (c == '\\') { i++; continue; }
                    if (c == '"') quoted = !quoted;
                    else if (c == ']' && !quoted) break;
                }
                if (i >= s.Length) return false;
                s = s[(i + 1)..];
            }
        }
        if (!s.IsEmpty)
        {
            if (s[0] != ' ') return false;
            s = s[1..];
        }
        if (!s.IsEmpty && s[0] == '\uFEFF') s = s[1..];

        int? pid = null;
        if (TryParseDigits(procId, out var p)) pid = p;
        record = new SyslogRecord
        {
            Timestamp = timestamp,
            Hostname = hostname.SequenceEqual("-") ? default : hostname,
            Program = app.SequenceEqual("-") ? default : app,
            Pid = pid,
            Message = s,
        };
        return true;
    }

    private static bool TryTakeField(scoped ref ReadOnlySpan<char> s, out ReadOnlySpan<char> field)
    {
        var space = s.IndexOf(' ');
        field = default;
        if (space <= 0) return false;
        field = s[..space];
        s = s[(space + 1)..];
        return true;
    }

    private static ReadOnlySpan<char> NextWord(ReadOnlySpan<char> s)
    {
        var space = s.IndexOf(' ');
        return space < 0 ? s : s[..space];
    }

    private static bool IsTagWord(ReadOnlySpan<char> rest, int wordLength) =>
        wordLength is > 1 and <= MaxTagLength && rest[wordLength - 1] == ':';

    private static bool TryParseTag(ReadOnlySpan<char> tag, out ReadOnlySpan<char> program, out ReadOnlySpan<char> qualifier, out int? pid)
    {
        program = default;
        qualifier = default;
        pid = null;

        var end = tag.IndexOfAny('[', '(');
        program = end < 0 ? tag : tag[..end];
        if (program.IsEmpty || program.IndexOfAny(']', ')') >= 0) return false;
        if (end < 0) return true;

        var rest = tag[end..];
        if (rest[0] == '(')
        {
            var close = rest.IndexOf(')');
            if (close < 0) return false;
            qualifier = rest[1..close];
            rest = rest[(close + 1)..];
        }

        if (rest.IsEmpty) return true;
        if (rest[0] != '[' || rest[^1] != ']' || rest.Length < 3) return false;
        if (!TryParseDigits(rest[1..^1], out var value)) return false;
        pid = value;
        return true;
    }

    // ---- RFC 3164: "Mmm dd hh:mm:ss" (day space-padded), zone and year from the context ----

    private static bool TryParseRfc3164(ReadOnlySpan<char> s, ParseContext? context, bool resolveTime, out DateTimeOffset timestamp, out int consumed)
    {
        timestamp = default;
        consumed = 0;
        if (s.Length < 15) return false;
        var month = MonthOf(s[..3]);
        if (month == 0 || s[3] != ' ') return false;

        var i = 4;
        if (s[i] == ' ') i++;
        var dayStart = i;
        while (i < s.Length && i - dayStart < 2 && IsDigit(s[i])) i++;
        if (i == dayStart || !TryParseDigits(s[dayStart..i], out var day) || day is < 1 or > 31) return false;
        if (i + 9 > s.Length || s[i] != ' ') return false;
        i++;
        if (!TryParseClock(s.Slice(i, 8), out var hour, out var minute, out var second)) return false;
        i += 8;
        long fractionTicks = 0;
        if (i < s.Length && s[i] == '.' && !TryParseFraction(s, ref i, out fractionTicks)) return false;

        if (!resolveTime)
        {
            consumed = i;
            return true;
        }
        if (!TryResolveYear(month, day, new TimeSpan(hour, minute, second), context!, out var year)) return false;
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
        if (!TryInZone(local, context!.UtcOffset(local), out timestamp)) return false;
        consumed = i;
        return true;
    }

    /// <summary>
    /// The year for a month/day without one: the context's (carried over New Year within a file), else
    /// the latest that is not more than a day ahead of Now.
    /// </summary>
    /// <remarks>
    /// The search starts at next year: a line of 1 January read (or a file last written) on 31 December,
    /// because the sender's clock runs a few seconds ahead of the log server's, is next year's, not last
    /// year's (rsyslog and fail2ban decide the same way).
    /// </remarks>
    private static bool TryResolveYear(int month, int day, TimeSpan timeOfDay, ParseContext context, out int year)
    {
        if (context.Year is { } fixedYear)
        {
            year = context.FixedYearFor(fixedYear, month);
            return year is >= 1 and <= 9999 && day <= DateTime.DaysInMonth(year, month);
        }

        var nowLocal = context.NowLocal;
        var limit = nowLocal.AddDays(1);
        // Feb 29 steps back to the last leap year; any other date resolves within three tries.
        for (year = Math.Min(9999, nowLocal.Year + 1); year >= Math.Max(1, nowLocal.Year - 8); year--)
        {
            if (day > DateTime.DaysInMonth(year, month)) continue;
            if (new DateTime(year, month, day).Add(timeOfDay) <= limit) return true;
        }
        return false;
    }

    private static int MonthOf(ReadOnlySpan<char> m) => m switch
    {
        "Jan" => 1, "Feb" => 2, "Mar" => 3, "Apr" => 4, "May" => 5, "Jun" => 6,
        "Jul" => 7, "Aug" => 8, "Sep" => 9, "Oct" => 10, "Nov" => 11, "Dec" => 12,
        _ => 0,
    };

    // ---- RFC 3339: "yyyy-MM-ddTHH:mm:ss[.fffffff][Z|±hh:mm]"; without an offset, the context's zone ----

    private static bool TryParseRfc3339(ReadOnlySpan<char> s, ParseContext? context, bool resolveTime, out DateTimeOffset timestamp, out int consumed)
    {
        timestamp = default;
        consumed = 0;
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || s[10] is not ('T' or 't')) return false;
        if (!TryParseDigits(s[..4], out var year) || !TryParseDigits(s[5..7], out var month) || !TryParseDigits(s[8..10], out var day)) return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        if (!TryParseClock(s.Slice(11, 8), out var hour, out var minute, out var second)) return false;

        var i = 19;
        long fractionTicks = 0;
        if (i < s.Length && s[i] == '.' && !TryParseFraction(s, ref i, out fractionTicks)) return false;

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
        TimeSpan offset;
        if (i < s.Length && s[i] is 'Z' or 'z')
        {
            offset = TimeSpan.Zero;
            i++;
        }
        else if (i < s.Length && s[i] is '+' or '-')
        {
            if (!TryParseOffset(s, ref i, out offset)) return false;
        }
        else if (resolveTime) offset = context!.UtcOffset(local);
        else offset = default;

        if (resolveTime && !TryInZone(local, offset, out timestamp)) return false;
        consumed = i;
        return true;
    }

    /// <summary>"+hh:mm" or "+hhmm", at most 14 hours as DateTimeOffset allows.</summary>
    private static bool TryParseOffset(ReadOnlySpan<char> s, ref int i, out TimeSpan offset)
    {
        offset = default;
        var sign = s[i] == '-' ? -1 : 1;
        var p = i + 1;
        if (p + 2 > s.Length || !TryParseDigits(s.Slice(p, 2), out var hours)) return false;
        p += 2;
        if (p < s.Length && s[p] == ':') p++;
        if (p + 2 > s.Length || !TryParseDigits(s.Slice(p, 2), out var minutes)) return false;
        p += 2;
        if (hours > 14 || minutes > 59 || hours * 60 + minutes > 14 * 60) return false;
        offset = TimeSpan.FromMinutes(sign * (hours * 60 + minutes));
        i = p;
        return true;
    }

    // ---- shared pieces ----

    /// <summary>"HH:mm:ss"; a leap second (60) is read as 59 rather than dropping the line.</summary>
    private static bool TryParseClock(ReadOnlySpan<char> s, out int hour, out int minute, out int second)
    {
        hour = minute = second = 0;
        if (s[2] != ':' || s[5] != ':') return false;
        if (!TryParseDigits(s[..2], out hour) || !TryParseDigits(s[3..5], out minute) || !TryParseDigits(s[6..8], out second)) return false;
        if (hour > 23 || minute > 59 || second > 60) return false;
        if (second == 60) second = 59;
        return true;
    }

    /// <summary>A '.' and 1+ digits at s[i]; keeps 7 digits (100 ns ticks) and skips the rest.</summary>
    private static bool TryParseFraction(ReadOnlySpan<char> s, ref int i, out long ticks)
    {
        ticks = 0;
        var p = i + 1;
        var digits = 0;
        while (p < s.Length && IsDigit(s[p]))
        {
            if (digits < 7)
            {
                ticks = ticks * 10 + (s[p] - '0');
                digits++;
            }
            p++;
        }
        if (p == i + 1) return false;
        for (; digits < 7; digits++) ticks *= 10;
        i = p;
        return true;
    }

    /// <summary>Builds the instant only when it is representable, instead of letting DateTimeOffset throw.</summary>
    private static bool TryInZone(DateTime local, TimeSpan offset, out DateTimeOffset timestamp)
    {
        timestamp = default;
        // Historical zone rules can carry seconds (local mean time); DateTimeOffset takes whole minutes.
        if (offset.Ticks % TimeSpan.TicksPerMinute != 0) offset = TimeSpan.FromMinutes(Math.Round(offset.TotalMinutes));
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;
        timestamp = new DateTimeOffset(local, offset);
        return true;
    }

    private static bool TryParseDigits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 9) return false;
        foreach (var c in s)
        {
            if (!IsDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static bool IsDigit(char c) => c is >= '0' and <= '9';
}
