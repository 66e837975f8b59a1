using System.Buffers;

namespace BlueTeam.Correlation.Fields;

/// <summary>
/// A request target as the application behind the web server ends up reading it, so that attack
/// patterns are written once against plain text instead of against every encoding of it
/// (the derived field <c>url.normalized</c>).
/// </summary>
/// <remarks>
/// <para>Each round decodes, in one pass: <c>%XX</c> (runs of them as UTF-8, with the overlong forms
/// old decoders accepted, such as <c>%c0%ae</c> for a dot; bytes that are not UTF-8 as Latin-1),
/// <c>%uXXXX</c>, the log escapes <c>\xXX</c> (nginx and Apache write control and non-ASCII bytes so)
/// and <c>\uXXXX</c>, HTML character references (<c>&amp;#60;</c>, <c>&amp;#x3c;</c>, with or without
/// the semicolon, and the common named ones), full-width forms (U+FF01–U+FF5E) and the ideographic
/// and no-break spaces to ASCII, and <c>+</c> to a space in the query. NUL and the other control
/// characters that are not whitespace are dropped (a browser or a C string function skips them).
/// Rounds repeat until nothing changes (double and triple encoding), at most <see cref="MaxRounds"/>.</para>
/// <para>Then the path (before the first <c>?</c>) is normalized the way servers route it, without
/// resolving <c>..</c> (that would erase the traversal the rules look for): backslashes become
/// slashes (also in the query: Windows file parameters), runs of slashes become one, <c>/./</c>
/// becomes <c>/</c>, and a path parameter after a dot segment (<c>..;x=1/</c>, which Tomcat strips) goes.</para>
/// <para>Case is kept: the rules match with <c>ignore_case</c>, so folding it here would cost a copy of
/// every URL with a capital letter. Whitespace controls (tab, LF, CR, VT, FF) are kept as they are
/// decoded, since SQL, shells and HTML read them as spaces and rules match them with <c>\s</c>;
/// <see cref="Joined"/> gives the form with them removed, for filters that strip them
/// (<c>UN%0AION</c> reads <c>UNION</c> there).</para>
/// <para>Each round is linear and never makes the text longer, so the cost is bounded by
/// <see cref="MaxRounds"/> passes over the input whatever it holds. A URL with nothing to decode
/// or normalize comes back as the same string instance, without allocating.</para>
/// </remarks>
public static class UrlNormalizer
{
    /// <summary>Decoding rounds before giving up on reaching a fixed point (four layers of encoding).</summary>
    public const int MaxRounds = 4;

    // Any of these means there may be something to decode or normalize; a URL with none (and no "//" or "/.") is returned as is.
    private static readonly SearchValues<char> Triggers = SearchValues.Create(
        "%&\\+;\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f\u00a0\u3000" +
        string.Concat(Enumerable.Range(0xFF01, 0xFF5E - 0xFF01 + 1).Select(c => (char)c)));

    private static readonly SearchValues<char> WhitespaceControls = SearchValues.Create("\t\n\v\f\r");

    // The named references an injection needs (markup, quotes, separators); HTML5 knows two thousand more.
    private static readonly Dictionary<string, char> Named = new(StringComparer.OrdinalIgnoreCase)
    {
        ["lt"] = '<', ["gt"] = '>', ["amp"] = '&', ["quot"] = '"', ["apos"] = '\'', ["nbsp"] = ' ',
        ["sol"] = '/', ["bsol"] = '\\', ["colon"] = ':', ["semi"] = ';', ["equals"] = '=', ["num"] = '#',
        ["excl"] = '!', ["dollar"] = '$', ["percnt"] = '%', ["period"] = '.', ["comma"] = ',', ["grave"] = '`',
        ["lpar"] = '(', ["rpar"] = ')', ["lsqb"] = '[', ["rsqb"] = ']', ["lbrack"] = '[', ["rbrack"] = ']',
        ["lcub"] = '{', ["rcub"] = '}', ["lbrace"] = '{', ["rbrace"] = '}', ["vert"] = '|', ["verbar"] = '|',
        ["ast"] = '*', ["plus"] = '+', ["quest"] = '?', ["commat"] = '@', ["hyphen"] = '-', ["dash"] = '-',
        ["lowbar"] = '_', ["hat"] = '^', ["tab"] = '\t', ["newline"] = '\n',
    };

    private static readonly Dictionary<string, char>.AlternateLookup<ReadOnlySpan<char>> NamedBySpan = Named.GetAlternateLookup<ReadOnlySpan<char>>();

    private const int MaxEntityName = 8; // the longest name above

    // One-entry memo per thread: several rules read url.normalized of the same event one after another.
    [ThreadStatic] private static string? _lastUrl;
    [ThreadStatic] private static object? _lastValue;

    /// <summary>
    /// The field value for <paramref name="url"/>: the normalized string, or, when the URL carries
    /// whitespace controls, both it and its <see cref="Joined"/> form (a rule matches if either does).
    /// </summary>
    public static object? FieldValue(string? url)
    {
        if (url is null) return null;
        if (ReferenceEquals(url, _lastUrl)) return _lastValue;
        var normalized = Normalize(url);
        var joined = Joined(normalized);
        object value = joined is null ? normalized : new[] { normalized, joined };
        _lastUrl = url;
        _lastValue = value;
        return value;
    }

    /// <summary>The normalized URL; the same instance when there is nothing to change.</summary>
    public static string Normalize(string url) => Normalize(url, out _);

    /// <summary>The normalized URL, and whether decoding reached a fixed point within <see cref="MaxRounds"/>.</summary>
    public static string Normalize(string url, out bool settled)
    {
        settled = true;
        var s = url.AsSpan();
        if (s.IndexOfAny(Triggers) < 0 && !s.Contains("//", StringComparison.Ordinal) && !s.Contains("/.", StringComparison.Ordinal))
            return url;

        var a = ArrayPool<char>.Shared.Rent(s.Length);
        var b = ArrayPool<char>.Shared.Rent(s.Length);
        try
        {
            s.CopyTo(a);
            var length = s.Length;
            settled = false;
            for (var round = 0; round < MaxRounds; round++)
            {
                var written = DecodeOnce(a.AsSpan(0, length), b);
                if (a.AsSpan(0, length).SequenceEqual(b.AsSpan(0, written)))
                {
                    settled = true;
                    break;
                }
                (a, b) = (b, a);
                length = written;
            }
            // Whether the last round's output is itself a fixed point (for callers that test idempotence); it stands either way.
            if (!settled) settled = a.AsSpan(0, length).SequenceEqual(b.AsSpan(0, DecodeOnce(a.AsSpan(0, length), b)));
            length = NormalizePath(a.AsSpan(0, length), b);
            var result = b.AsSpan(0, length);
            return result.SequenceEqual(s) ? url : new string(result);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(a);
            ArrayPool<char>.Shared.Return(b);
        }
    }

    /// <summary><paramref name="normalized"/> without its tab, LF, VT, FF and CR; null when it has none.</summary>
    public static string? Joined(string normalized)
    {
        var s = normalized.AsSpan();
        var first = s.IndexOfAny(WhitespaceControls);
        if (first < 0) return null;
        return string.Create(s.Length - Count(s[first..]), normalized, static (dest, text) =>
        {
            var n = 0;
            foreach (var c in text) if (!WhitespaceControls.Contains(c)) dest[n++] = c;
        });

        static int Count(ReadOnlySpan<char> rest)
        {
            var count = 0;
            foreach (var c in rest) if (WhitespaceControls.Contains(c)) count++;
            return count;
        }
    }

    /// <summary>One decoding round from <paramref name="src"/> into <paramref name="dest"/> (never longer); returns the length written.</summary>
    private static int DecodeOnce(ReadOnlySpan<char> src, Span<char> dest)
    {
        var n = 0;
        var inQuery = false;
        for (var i = 0; i < src.Length;)
        {
            var c = src[i];
            int consumed;
            int code;
            switch (c)
            {
                case '%' or '\\' when TryByte(src, i, out var first, out consumed):
                    if (first < 0x80) code = first;
                    else
                    {
                        code = Utf8(src, i + consumed, first, out var more);
                        consumed += more;
                    }
                    break;
                case '%' or '\\' when TryUnicodeEscape(src, i, out code):
                    consumed = 6;
                    break;
                case '&' when TryEntity(src, i, out code, out consumed):
                    break;
                default:
                    code = c;
                    consumed = 1;
                    break;
            }
            i += consumed;
            if (code == '?') inQuery = true;
            n = Write(dest, n, code, inQuery);
        }
        return n;
    }

    /// <summary>Writes one decoded code point, folded (full-width, odd spaces, '+' in the query) or dropped (NUL, controls).</summary>
    private static int Write(Span<char> dest, int n, int code, bool inQuery)
    {
        switch (code)
        {
            case < 0x20 when code is not ('\t' or '\n' or '\v' or '\f' or '\r'):
            case 0x7F:
                return n;
            case '+' when inQuery:
            case 0xA0 or 0x3000:
                dest[n] = ' ';
                return n + 1;
            case >= 0xFF01 and <= 0xFF5E:
                dest[n] = (char)(code - 0xFEE0);
                return n + 1;
            case > 0xFFFF:
                var scalar = new System.Text.Rune(code);
                return n + scalar.EncodeToUtf16(dest[n..]);
            default:
                dest[n] = (char)code;
                return n + 1;
        }
    }

    /// <summary>A <c>%XX</c> or <c>\xXX</c> byte at <paramref name="i"/>.</summary>
    private static bool TryByte(ReadOnlySpan<char> s, int i, out int value, out int consumed)
    {
        value = 0;
        consumed = 0;
        if (s[i] == '%' && i + 2 < s.Length && Hex(s[i + 1]) is var h1 and >= 0 && Hex(s[i + 2]) is var l1 and >= 0)
        {
            value = h1 << 4 | l1;
            consumed = 3;
            return true;
        }
        if (s[i] == '\\' && i + 3 < s.Length && s[i + 1] is 'x' or 'X' && Hex(s[i + 2]) is var h2 and >= 0 && Hex(s[i + 3]) is var l2 and >= 0)
        {
            value = h2 << 4 | l2;
            consumed = 4;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The character a UTF-8 sequence led by <paramref name="lead"/> spells, reading its continuation bytes
    /// (as <c>%XX</c> or <c>\xXX</c>) from <paramref name="at"/>; overlong forms decode as the old IIS and
    /// Tomcat decoders did. A lead byte without valid continuations stands for itself (Latin-1).
    /// </summary>
    private static int Utf8(ReadOnlySpan<char> s, int at, int lead, out int consumed)
    {
        consumed = 0;
        var (count, code) = lead switch
        {
            >= 0xC0 and <= 0xDF => (1, lead & 0x1F),
            >= 0xE0 and <= 0xEF => (2, lead & 0x0F),
            >= 0xF0 and <= 0xF4 => (3, lead & 0x07),
            _ => (0, lead),
        };
        if (count == 0) return lead;
        var read = 0;
        for (var k = 0; k < count; k++)
        {
            if (at + read >= s.Length || !TryByte(s, at + read, out var next, out var used) || (next & 0xC0) != 0x80) return lead;
            code = code << 6 | (next & 0x3F);
            read += used;
        }
        if (code is >= 0xD800 and <= 0xDFFF || code > 0x10FFFF) return lead;
        consumed = read;
        return code;
    }

    /// <summary>A <c>%uXXXX</c> or <c>\uXXXX</c> escape at <paramref name="i"/>.</summary>
    private static bool TryUnicodeEscape(ReadOnlySpan<char> s, int i, out int code)
    {
        code = 0;
        if (i + 5 >= s.Length || s[i + 1] is not ('u' or 'U')) return false;
        for (var k = 2; k < 6; k++)
        {
            var h = Hex(s[i + k]);
            if (h < 0) return false;
            code = code << 4 | h;
        }
        // A lone surrogate would make an invalid string; the rules have nothing to find in one.
        if (code is >= 0xD800 and <= 0xDFFF) code = 0xFFFD;
        return true;
    }

    /// <summary>An HTML character reference at <paramref name="i"/> (the <c>&amp;</c>).</summary>
    private static bool TryEntity(ReadOnlySpan<char> s, int i, out int code, out int consumed)
    {
        code = 0;
        consumed = 0;
        var j = i + 1;
        if (j < s.Length && s[j] == '#')
        {
            j++;
            var hex = j < s.Length && s[j] is 'x' or 'X';
            if (hex) j++;
            var digits = 0;
            long value = 0;
            while (j < s.Length && (hex ? Hex(s[j]) : Decimal(s[j])) is var d and >= 0)
            {
                // Leading zeros are unbounded in HTML (&#0000060;): read them all, but stop the value from overflowing.
                value = Math.Min(value * (hex ? 16 : 10) + d, 0x110000);
                digits++;
                j++;
            }
            if (digits == 0) return false;
            if (j < s.Length && s[j] == ';') j++;
            code = value is 0 or >= 0x110000 or (>= 0xD800 and <= 0xDFFF) ? 0xFFFD : (int)value;
            consumed = j - i;
            return true;
        }
        var end = j;
        while (end < s.Length && end - j < MaxEntityName && char.IsAsciiLetter(s[end])) end++;
        if (end == j || end >= s.Length || s[end] != ';') return false;
        if (!NamedBySpan.TryGetValue(s[j..end], out var named)) return false;
        code = named;
        consumed = end + 1 - i;
        return true;
    }

    /// <summary>Path normalization of the decoded text (see the remarks); returns the length written to <paramref name="dest"/>.</summary>
    private static int NormalizePath(ReadOnlySpan<char> src, Span<char> dest)
    {
        var n = 0;
        var inQuery = false;
        for (var i = 0; i < src.Length; i++)
        {
            var c = src[i] == '\\' ? '/' : src[i];
            switch (c)
            {
                case '?':
                    inQuery = true;
                    break;
                case ';' when !inQuery && DotSegmentEnds(dest[..n]):
                    // Tomcat drops a path parameter: "..;x/" routes as "../". Only after a dot segment, where it hides one.
                    while (i + 1 < src.Length && src[i + 1] is not ('/' or '\\' or '?')) i++;
                    continue;
                case '/':
                    // Runs of slashes are one (but "scheme://" stays, for the inclusion patterns); "/./" is "/".
                    // The query too: a file parameter reads "/etc//passwd" as the server's path does.
                    if (n > 0 && dest[n - 1] == '/' && !(n > 1 && dest[n - 2] == ':')) continue;
                    if (n > 1 && dest[n - 1] == '.' && dest[n - 2] == '/')
                    {
                        n--; // "/." + "/": the "/" already written stands for both
                        continue;
                    }
                    break;
            }
            dest[n++] = c;
        }
        // A trailing "/." names the directory itself.
        if (n > 1 && dest[n - 1] == '.' && dest[n - 2] == '/') n--;
        return n;
    }

    /// <summary>Whether <paramref name="written"/> ends with a "." or ".." segment.</summary>
    private static bool DotSegmentEnds(ReadOnlySpan<char> written) =>
        written.EndsWith("/..") || written.EndsWith("/.") || written is ".." or ".";

    private static int Hex(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static int Decimal(char c) => c is >= '0' and <= '9' ? c - '0' : -1;
}
