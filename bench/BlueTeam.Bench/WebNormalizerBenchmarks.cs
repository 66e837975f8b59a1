using BenchmarkDotNet.Attributes;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.Fields;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Bench;

/// <summary>
/// What reading web_attack's <c>url.normalized</c> costs: the normalizer alone on plain request targets
/// (no character it reacts to: no copy), on ordinary ones with a query (<c>&amp;</c>, <c>+</c>, <c>%2F</c>)
/// and on encoded attacks; then the rule on parsed access lines, beside the previous rule's four
/// patterns on <c>url.original</c>. Figures are per URL or per event.
/// </summary>
[MemoryDiagnoser]
public class WebNormalizerBenchmarks
{
    private static readonly string[] Plain =
    [
        "/", "/index.html", "/api/v1/equipment", "/static/app.3f9c1.js", "/images/logo@2x.png", "/favicon.ico",
        "/api/equipment/42/readings", "/docs/selection-guide.html", "/wiki/München", "/files/a..b.txt",
    ];

    private static readonly string[] Query =
    [
        "/api/equipment?page=2&sort=name", "/search?q=select+a+plan", "/api/files?path=docs%2F2026%2Freport.pdf",
        "/login?next=%2Fdashboard%3Ftab%3Dsettings", "/users?name=O%27Brien&city=Dublin",
        "/api/equipment/42/readings?from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z",
        "/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring_2026&utm_content=hero-cta",
        "/redirect?url=https%3A%2F%2Fshop.example.com%2Fcheckout%3Fitem%3D42%26qty%3D1", "/search?q=c%2B%2B+templates", "/a?b=1&c=2",
    ];

    private static readonly string[] Attacks =
    [
        "/products?id=-1%20UN%0AION%20SEL%09ECT%201,2,3", "/item?id=1%2527%2520OR%25201%253D1--", "/app/..;/..;/manager/html",
        "/static/..%5c..%5cweb.config", "/search?q=%3Cscr%00ipt%3Ealert(1)%3C/scr%00ipt%3E", "/search?q=%EF%BC%9Cscript%EF%BC%9Ealert(1)",
        "/search?q=%26lt;script%26gt;alert(1)%26lt;/script%26gt;", "/view?page=php://filter/convert.base64-encode/resource=index.php",
        "/ping?host=127.0.0.1%0Awhoami", "/scripts/..%c0%af..%c0%afwinnt/system32/cmd.exe",
    ];

    // web_attack's patterns before normalization (commit 34e0322), on the raw URL: the baseline.
    private static readonly string[] PreviousPatterns =
    [
        "(union(\\s|\\+|%20|/\\*.*\\*/)+(all(\\s|\\+|%20)+)?select|select(\\s|\\+|%20)+.+(\\s|\\+|%20)+from|(\\s|\\+|%20|'|%27)or(\\s|\\+|%20)+('|%27)?\\d+('|%27)?(\\s|\\+|%20)*=(\\s|\\+|%20)*('|%27)?\\d|sleep\\(\\d+\\)|benchmark\\(|information_schema|(%27|')(\\s|\\+|%20)*(--|%2d%2d|#|%23))",
        "(\\.\\./|\\.\\.\\\\|%2e%2e(/|%2f|\\\\|%5c)|\\.\\.%2f|/etc/passwd|/etc/shadow|/proc/self/)",
        "(<|%3c)(\\s|%20)*(script|img|svg|iframe|body)|javascript(:|%3a)|on(error|load|mouseover)(\\s|%20)*(=|%3d)",
        "(;|%3b|\\||%7c|`|%60|\\$\\(|%24%28)(\\s|\\+|%20)*(cat|id|whoami|uname|wget|curl|nc|bash|sh|python|perl)(\\s|\\+|%20|$|&|;)",
    ];

    // Ten megabytes of percent-escaped percent signs: every round decodes, the worst case for the round bound.
    private static readonly string Hostile = "/x?q=" + string.Concat(Enumerable.Repeat("%25", 10 * 1024 * 1024 / 3));

    private SecurityEvent[] _ordinaryEvents = [];
    private SecurityEvent[] _attackEvents = [];
    private EventFilter _previous = EventFilter.All;
    private EventFilter _filter = EventFilter.All;
    private IRule _rule = null!;

    [GlobalSetup]
    public void Setup()
    {
        var parsers = ParserRegistry.CreateDefault();
        SecurityEvent Parse(string url, int i) => parsers.Parse(Lines.Raw(
            $"203.0.113.{i % 200} - - [10/Mar/2026:08:30:{i % 60:00} +0000] \"GET {url} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
            "access"), Lines.Context) ?? throw new InvalidOperationException(url);
        _ordinaryEvents = [.. Plain.Concat(Query).Select(Parse)];
        _attackEvents = [.. Attacks.Select(Parse)];
        _rule = RuleCatalog.BuildOne(new CorrelationOptions(), "web_attack", new RuleContext { Host = "eqmon-web01" })!;
        var original = EventField.Resolve("url.original");
        _previous = new EventFilter([new FieldCondition(original, new AnyRegex([.. PreviousPatterns.Select(p => new RegexMatcher(p, ignoreCase: true))]))]);
        var definition = RuleCatalog.BuiltIn.Single(d => d.Name == "web_attack");
        _filter = definition.Detections[0].Match.Build(definition.Defaults);
    }

    [Benchmark(OperationsPerInvoke = 10)]
    public int NormalizePlain() => Normalize(Plain);

    [Benchmark(OperationsPerInvoke = 10)]
    public int NormalizeOrdinaryQuery() => Normalize(Query);

    [Benchmark(OperationsPerInvoke = 10)]
    public int NormalizeEncodedAttack() => Normalize(Attacks);

    /// <summary>A 10 MB request target that needs every round: the bound on what one hostile URL costs.</summary>
    [Benchmark]
    public int NormalizeTenMegabytes() => UrlNormalizer.Normalize(Hostile).Length;

    /// <summary>The rule on ordinary access lines (half plain, half with a query): the cost every web request pays.</summary>
    [Benchmark(OperationsPerInvoke = 20)]
    public int WebAttackRuleOrdinary() => Evaluate(_ordinaryEvents);

    /// <summary>web_attack's filter alone on ordinary lines (the rule adds its index and window bookkeeping).</summary>
    [Benchmark(OperationsPerInvoke = 20)]
    public int WebAttackFilterOrdinary() => Count(_filter, _ordinaryEvents);

    /// <summary>The filter on encoded attacks (the rule itself would also raise and render an incident for each).</summary>
    [Benchmark(OperationsPerInvoke = 10)]
    public int WebAttackFilterAttacks() => Count(_filter, _attackEvents);

    [Benchmark(OperationsPerInvoke = 20)]
    public int PreviousPatternsOrdinary() => Count(_previous, _ordinaryEvents);

    private static int Count(EventFilter filter, SecurityEvent[] events)
    {
        var hits = 0;
        foreach (var e in events) if (filter.Matches(e)) hits++;
        return hits;
    }

    private static int Normalize(string[] urls)
    {
        var length = 0;
        foreach (var url in urls) length += UrlNormalizer.Normalize(url).Length;
        return length;
    }

    /// <summary>A list of regexes, any of which matches (as a rule file's <c>regex:</c> list is read).</summary>
    private sealed class AnyRegex(RegexMatcher[] matchers) : IValueMatcher
    {
        public bool Matches(string value)
        {
            foreach (var m in matchers) if (m.Matches(value)) return true;
            return false;
        }

        public string Describe() => "any of the previous patterns";
    }

    // One rule for the whole run: after the first invocation an attack updates its open incident instead of raising one.
    private int Evaluate(SecurityEvent[] events)
    {
        var incidents = 0;
        foreach (var e in events) incidents += _rule.Evaluate(e).Count;
        return incidents;
    }
}
