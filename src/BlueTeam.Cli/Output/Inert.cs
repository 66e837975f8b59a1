using System.Net;
using System.Text;

namespace BlueTeam.Cli.Output;

/// <summary>
/// Untrusted text (titles, user names, notes, host names from logs or the database) made harmless
/// for each place the CLI prints it. Control characters always become visible escapes first
/// (<see cref="SafeText.Inert"/>), then the target's own syntax is escaped.
/// </summary>
internal static class Inert
{
    /// <summary>For a Spectre table cell or markup string: no escape sequences, no markup.</summary>
    public static string Cell(string? text, int maxLength = 200) => Markup.Escape(SafeText.Inert(text ?? "-", maxLength));

    /// <summary>For plain terminal lines (stderr messages): no escape sequences.</summary>
    public static string Plain(string? text, int maxLength = 300) => SafeText.Inert(text ?? "-", maxLength);

    /// <summary>
    /// For Markdown text and table cells: CR/LF cannot end the row (they are escapes by then), and
    /// every ASCII punctuation Markdown gives meaning to is backslash-escaped, so a pipe cannot
    /// open a column and nothing becomes a link, emphasis, code or raw HTML.
    /// </summary>
    public static string Markdown(string? text, int maxLength = 300)
    {
        var safe = SafeText.Inert(text ?? "-", maxLength);
        var sb = new StringBuilder(safe.Length + 8);
        foreach (var c in safe)
        {
            if (c is '\\' or '`' or '*' or '_' or '{' or '}' or '[' or ']' or '<' or '>' or '(' or ')' or '#' or '+' or '!' or '|' or '~' or '&')
                sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>For HTML text and attribute values.</summary>
    public static string Html(string? text, int maxLength = 300) => WebUtility.HtmlEncode(SafeText.Inert(text ?? "-", maxLength));
}
