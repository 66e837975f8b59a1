namespace BlueTeam.Core.Text;

/// <summary>
/// Makes attacker-controlled text (usernames, URLs, log messages) inert before it reaches a
/// terminal, a syslog line or a mail body: control characters, escape sequences and bidi
/// overrides become visible escapes, so nothing can move the cursor, forge a line or reorder text.
/// </summary>
public static class SafeText
{
    /// <summary>Replaces every control and bidi-format character with a visible \xNN or \uNNNN escape.</summary>
    public static string Inert(string? text, int maxLength = 4096)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (!NeedsEscaping(text) && text.Length <= maxLength) return text;
        var sb = new StringBuilder(Math.Min(text.Length + 16, maxLength + 16));
        foreach (var c in text)
        {
            if (sb.Length >= maxLength) { sb.Append('…'); break; }
            if (IsUnsafe(c))
            {
                if (c < 0x100) sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                else sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool NeedsEscaping(string text)
    {
        foreach (var c in text) if (IsUnsafe(c)) return true;
        return false;
    }

    /// <summary>C0/C1 controls (incl. CR, LF, TAB, ESC, DEL) and the Unicode bidi/format controls.</summary>
    public static bool IsUnsafe(char c) =>
        c < 0x20 || (c >= 0x7f && c <= 0x9f)
        || (c >= '\u200b' && c <= '\u200f') || (c >= '\u202a' && c <= '\u202e')
        || (c >= '\u2066' && c <= '\u2069') || c == '\u2028' || c == '\u2029' || c == '\ufeff';
}
