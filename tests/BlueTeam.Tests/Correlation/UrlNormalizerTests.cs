using System.Text;
using BlueTeam.Correlation.Fields;

namespace BlueTeam.Tests.Correlation;

public class UrlNormalizerTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/api/equipment/42/status?since=2026-03-10", "/api/equipment/42/status?since=2026-03-10")]
    [InlineData("/wiki/東京", "/wiki/東京")]
    [InlineData("/files/a..b.txt", "/files/a..b.txt")]
    [InlineData("/.well-known/security.txt", "/.well-known/security.txt")]
    public void Normalize_NothingToDecode_ReturnsTheSameInstance(string url, string expected)
    {
        Assert.Equal(expected, url);
        Assert.Same(url, UrlNormalizer.Normalize(url));
    }

    [Theory]
    [InlineData("/a?x=1&y=2")]
    [InlineData("/a?next=https://example.org/b")]
    [InlineData("/c++/x")]
    [InlineData("/page;jsessionid=1?x=1;y=2")]
    public void Normalize_TriggerCharactersButNothingToChange_ReturnsTheSameInstance(string url)
    {
        Assert.Same(url, UrlNormalizer.Normalize(url));
    }

    [Theory]
    // percent, %u, repeated layers, '+' in the query only
    [InlineData("/a%20b?q=1+2", "/a b?q=1 2")]
    [InlineData("/c++/x", "/c++/x")]
    [InlineData("/x?id=%2527", "/x?id='")]
    [InlineData("/x?id=%252527", "/x?id='")]
    [InlineData("/x?v=%u003Cscript%u003E", "/x?v=<script>")]
    [InlineData("/x?v=%2B", "/x?v= ")]
    // UTF-8, its overlong forms, bytes that are not UTF-8
    [InlineData("/wiki/M%C3%BCnchen", "/wiki/München")]
    [InlineData("/x/..%c0%af..%c0%afetc", "/x/../../etc")]
    [InlineData("/x/%c0%ae%c0%ae/", "/x/../")]
    [InlineData("/x/%e0%80%ae%e0%80%ae/", "/x/../")]
    [InlineData("/x?q=%bf%27", "/x?q=¿'")]
    [InlineData("/x?q=%F0%9F%98%80", "/x?q=😀")]
    // log escapes (nginx, Apache) and \u
    [InlineData("/wiki/\\xE6\\x9D\\xB1\\xE4\\xBA\\xAC", "/wiki/東京")]
    [InlineData("/x?n=a\\x22b", "/x?n=a\"b")]
    [InlineData("/x?n=\\u003cb", "/x?n=<b")]
    // HTML references, with and without the semicolon, nested in percent-encoding
    [InlineData("/x?q=&lt;b&gt;&#60;&#x3c;&#0000060&#X3C;", "/x?q=<b><<<<")]
    [InlineData("/x?q=%26lt%3Bscript%26gt%3B", "/x?q=<script>")]
    [InlineData("/x?q=&amp;lt;", "/x?q=<")]
    [InlineData("/x?a=1&gt=2&ltx;", "/x?a=1&gt=2&ltx;")]
    [InlineData("/x?q=&#0;&#xD800;&#99999999999;", "/x?q=\uFFFD\uFFFD\uFFFD")]
    // full-width forms and odd spaces
    [InlineData("/x?q=%EF%BC%9Cscript%EF%BC%9E", "/x?q=<script>")]
    [InlineData("/ｅｔｃ／ｐａｓｓｗｄ", "/etc/passwd")]
    [InlineData("/x?q=a%C2%A0b%E3%80%80c", "/x?q=a b c")]
    // NUL and other controls go; whitespace controls stay
    [InlineData("/x?q=%3Cscr%00ipt%3E", "/x?q=<script>")]
    [InlineData("/x?q=a%01b%7Fc", "/x?q=abc")]
    [InlineData("/x?q=UN%0AION%20SEL%09ECT", "/x?q=UN\nION SEL\tECT")]
    // paths: backslashes, slash runs, dot segments, Tomcat path parameters; ".." itself is kept
    [InlineData("/static/..%5c..%5cweb.config", "/static/../../web.config")]
    [InlineData("/a//b///c/./d/.", "/a/b/c/d/")]
    [InlineData("/app/..;/..;jsessionid=1/manager", "/app/../../manager")]
    [InlineData("/app/.;x/admin", "/app/admin")]
    [InlineData("/app;jsessionid=1/x", "/app;jsessionid=1/x")]
    [InlineData("/x?f=/etc//./passwd", "/x?f=/etc/passwd")]
    [InlineData("/x?u=http://a.example//b", "/x?u=http://a.example/b")]
    [InlineData("/x?a=..;/b", "/x?a=..;/b")]
    [InlineData("/static/.%2e/.%2e/secret", "/static/../../secret")]
    public void Normalize_DecodesAndNormalizes(string url, string expected)
    {
        Assert.Equal(expected, UrlNormalizer.Normalize(url));
    }

    [Fact]
    public void Normalize_FourLayersOfEncoding_AreDecodedAndAFifthStops()
    {
        var layers = "'";
        for (var i = 0; i < UrlNormalizer.MaxRounds; i++) layers = Uri.EscapeDataString(layers);
        Assert.Equal("%25252527", layers);
        Assert.Equal("/x?id='", UrlNormalizer.Normalize("/x?id=" + layers, out var settled));
        Assert.True(settled);

        Assert.Equal("/x?id=%27", UrlNormalizer.Normalize("/x?id=" + Uri.EscapeDataString(layers), out settled));
        Assert.False(settled);
    }

    [Fact]
    public void Joined_RemovesWhitespaceControlsOnly_AndIsNullWithoutThem()
    {
        Assert.Equal("/x?q=UNION SELECT", UrlNormalizer.Joined("/x?q=UN\nION SEL\tECT"));
        Assert.Null(UrlNormalizer.Joined("/x?q=UNION SELECT"));
    }

    [Fact]
    public void FieldValue_GivesBothFormsWhenTheUrlHasWhitespaceControls_AndOneOtherwise()
    {
        Assert.Equal(new[] { "/x?q=java\tscript:", "/x?q=javascript:" }, UrlNormalizer.FieldValue("/x?q=java%09script:"));
        Assert.Equal("/x?q='", UrlNormalizer.FieldValue("/x?q=%27"));
        Assert.Null(UrlNormalizer.FieldValue(null));
        var plain = "/index.html";
        Assert.Same(plain, UrlNormalizer.FieldValue(plain));
    }

    // Seeded random inputs made of the pieces the normalizer reacts to (escapes, references, dots,
    // slashes, controls, surrogates): it never throws, never lengthens, and a settled result is a fixed point.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Normalize_RandomInput_NeverThrowsNeverGrowsAndIsIdempotentWhenSettled(int seed)
    {
        var rng = new Random(seed);
        for (var n = 0; n < 5_000; n++)
        {
            var url = RandomUrl(rng);
            var normalized = UrlNormalizer.Normalize(url, out var settled);
            Assert.True(normalized.Length <= url.Length, url);
            if (settled) Assert.Equal(normalized, UrlNormalizer.Normalize(normalized));
            var joined = UrlNormalizer.Joined(normalized);
            if (joined is not null) Assert.True(joined.Length < normalized.Length);
        }
    }

    // Ten megabytes of the costliest shapes: every round still runs once over the text.
    [Theory]
    [InlineData("%25")]
    [InlineData("&#0000000000")]
    [InlineData("%C0")]
    [InlineData("/./..;")]
    [InlineData("\\x")]
    public void Normalize_TenMegabytesOfOneShape_Completes(string shape)
    {
        var url = "/x?q=" + string.Concat(Enumerable.Repeat(shape, 10 * 1024 * 1024 / shape.Length));
        var normalized = UrlNormalizer.Normalize(url);
        Assert.True(normalized.Length <= url.Length);
        Assert.StartsWith("/x?q=", normalized);
    }

    private static readonly string[] Pieces =
    [
        "%", "%2", "%25", "%27", "%2e", "%2f", "%5c", "%00", "%0a", "%09", "%c0", "%af", "%ae", "%e0", "%80", "%f0", "%9f", "%bf",
        "%u", "%u00", "%u003c", "%uD800", "%uff0e", "\\", "\\x", "\\x2", "\\x5c", "\\u", "\\u0027", "&", "&#", "&#x", "&#0", "&#60",
        "&#x3c;", "&lt;", "&amp;", "&lt", ";", "#", "x", "6", "0", "0;", ".", "..", "/", "//", "/./", "..;", "?", "+", " ", "\t", "\n",
        "\0", "\u0001", "\uFF0E", "\uFF0F", "\uFF05", "\u3000", "\u00A0", "\uD83D", "\uDE00", "é", "東", "a", "A", "=", ":", "http://",
    ];

    private static string RandomUrl(Random rng)
    {
        var sb = new StringBuilder("/");
        var count = rng.Next(1, 40);
        for (var i = 0; i < count; i++) sb.Append(Pieces[rng.Next(Pieces.Length)]);
        return sb.ToString();
    }
}
