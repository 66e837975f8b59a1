namespace BlueTeam.Parsing.Web;

/// <summary>
/// Splits <c>[VHOST:PORT ]CLIENT[, CLIENT…][ CLIENT] IDENT USER</c>, the part of an access-log line
/// before the date, by its structure: the client field is read from the left and holds addresses
/// only (a proxy chain, with or without commas) or one host name (HostnameLookups); IDENT is the
/// next word; USER is everything after it.
/// </summary>
/// <remarks>
/// USER comes from the client's Authorization header and nginx writes it with its spaces, so it
/// may read <c>- 6.6.6.6 bob</c>: splitting from the right, as before, made its words part of the
/// client field. From the left, the client field ends at IDENT (<c>-</c> unless identd is used).
/// </remarks>
internal static class AccessHead
{
    public static bool TrySplit(ReadOnlySpan<char> head, out ReadOnlySpan<char> clients, out ReadOnlySpan<char> user)
    {
        clients = user = default;
        var rest = head;
        var first = Word(rest);
        if (first.IsEmpty) return false;
        // Apache's vhost_combined: "name:port" in front of the client.
        if (first.Contains(':') && !IsAddress(first) && first.Length < rest.Length) rest = rest[(first.Length + 1)..];
        var start = head.Length - rest.Length;
        var end = start;
        for (var any = false; ;)
        {
            var w = Word(rest);
            var listItem = IsListItem(w);
            var address = IsAddress(w);
            // A list item (even "unknown,") or an address continues the field; a host name may only stand alone.
            if (!(listItem || address || (!any && NetAddress.LooksLikeHostName(w)))) break;
            any = true;
            end = head.Length - rest.Length + w.Length;
            rest = rest[w.Length..];
            if (!listItem && !address) break;
            if (rest.Length < 2 || rest[0] != ' ') break;
            var next = Word(rest[1..]);
            if (!IsListItem(next) && !IsAddress(next)) break;
            rest = rest[1..];
        }
        if (end == start) return false;
        clients = head[start..end];
        // " IDENT USER"
        if (rest.Length < 2 || rest[0] != ' ') return false;
        rest = rest.TrimStart(' ');
        var ident = Word(rest);
        if (ident.IsEmpty || ident.Length >= rest.Length) return false;
        user = rest[(ident.Length + 1)..];
        return !user.IsEmpty;
    }

    private static ReadOnlySpan<char> Word(ReadOnlySpan<char> s)
    {
        var space = s.IndexOf(' ');
        return space < 0 ? s : s[..space];
    }

    /// <summary>An item of a list that goes on ("a,", or "\"a," when nginx logs the header quoted).</summary>
    private static bool IsListItem(ReadOnlySpan<char> token) => token.TrimStart('"').Length > 1 && token[^1] == ',';

    /// <summary>An address, maybe with the comma of a list after it or the quotes of a quoted list around it.</summary>
    private static bool IsAddress(ReadOnlySpan<char> token)
    {
        token = token.Trim('"');
        if (token.Length > 1 && token[^1] == ',') token = token[..^1];
        return CanonicalIPv4.TryRead(token, out _) || NetAddress.TryReadIp(token, out _);
    }
}
