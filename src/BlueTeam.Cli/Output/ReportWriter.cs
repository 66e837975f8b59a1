using System.Text;

namespace BlueTeam.Cli.Output;

/// <summary>
/// The few shapes the audit report is made of (title, headings, facts, tables), written as
/// Markdown or HTML. Every string handed in is treated as untrusted and escaped here, so the
/// report's content is defined once and cannot break either format.
/// </summary>
internal abstract class ReportWriter
{
    protected StringBuilder Text { get; } = new();

    public abstract void Title(string text);
    public abstract void Heading(string text);
    /// <summary>A list of label: value facts.</summary>
    public abstract void Facts(IEnumerable<(string Label, string Value)> facts);
    public abstract void Paragraph(string text);
    public abstract void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows);
    public virtual string Finish() => Text.ToString();

    public static ReportWriter For(string format) => format == "html" ? new HtmlReportWriter() : new MarkdownReportWriter();
}

internal sealed class MarkdownReportWriter : ReportWriter
{
    public override void Title(string text) => Text.Append("# ").Append(Inert.Markdown(text)).Append("\n\n");

    public override void Heading(string text) => Text.Append("## ").Append(Inert.Markdown(text)).Append("\n\n");

    public override void Facts(IEnumerable<(string Label, string Value)> facts)
    {
        foreach (var (label, value) in facts)
            Text.Append("- **").Append(Inert.Markdown(label)).Append(":** ").Append(Inert.Markdown(value, 2000)).Append('\n');
        Text.Append('\n');
    }

    public override void Paragraph(string text) => Text.Append(Inert.Markdown(text, 2000)).Append("\n\n");

    public override void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        Text.Append("| ").AppendJoin(" | ", headers.Select(h => Inert.Markdown(h))).Append(" |\n");
        Text.Append('|').AppendJoin("|", headers.Select(_ => " --- ")).Append("|\n");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            Text.Append("| ").AppendJoin(" | ", row.Select(c => Inert.Markdown(c))).Append(" |\n");
        }
        if (!any) Text.Append("| ").AppendJoin(" | ", headers.Select((_, i) => i == 0 ? "none" : "")).Append(" |\n");
        Text.Append('\n');
    }
}

internal sealed class HtmlReportWriter : ReportWriter
{
    private string? _title;

    public override void Title(string text)
    {
        _title = text;
        Text.Append("<h1>").Append(Inert.Html(text)).Append("</h1>\n");
    }

    public override void Heading(string text) => Text.Append("<h2>").Append(Inert.Html(text)).Append("</h2>\n");

    public override void Facts(IEnumerable<(string Label, string Value)> facts)
    {
        Text.Append("<ul>\n");
        foreach (var (label, value) in facts)
            Text.Append("<li><strong>").Append(Inert.Html(label)).Append(":</strong> ").Append(Inert.Html(value, 2000)).Append("</li>\n");
        Text.Append("</ul>\n");
    }

    public override void Paragraph(string text) => Text.Append("<p>").Append(Inert.Html(text, 2000)).Append("</p>\n");

    public override void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        Text.Append("<table>\n<thead><tr>");
        foreach (var h in headers) Text.Append("<th>").Append(Inert.Html(h)).Append("</th>");
        Text.Append("</tr></thead>\n<tbody>\n");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            Text.Append("<tr>");
            foreach (var c in row) Text.Append("<td>").Append(Inert.Html(c)).Append("</td>");
            Text.Append("</tr>\n");
        }
        if (!any) Text.Append("<tr><td colspan=\"").Append(headers.Count).Append("\">none</td></tr>\n");
        Text.Append("</tbody>\n</table>\n");
    }

    // A whole document: no scripts, no external resources, so it opens the same offline and in a mail client.
    public override string Finish() =>
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
        $"<title>{Inert.Html(_title ?? "blueteam report")}</title>\n" +
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}" +
        "th,td{border:1px solid #999;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#eee}</style>\n" +
        "</head>\n<body>\n" + Text + "</body>\n</html>\n";
}
