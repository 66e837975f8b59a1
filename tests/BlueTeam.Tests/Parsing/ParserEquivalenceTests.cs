using System.Globalization;
using System.Text;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Audit;
using BlueTeam.Parsing.Web;
using BlueTeam.Sources;
using BlueTeam.Tests.Parsing.Reference;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Parsing;

/// <summary>
/// The tuned audit and access parsers against their former selves (kept in Reference/ as the
/// specification): the same events, serialized, for every line of the public samples and for
/// tens of thousands of hostile mutations of them.
/// </summary>
public class ParserEquivalenceTests
{
    private static readonly ParseContext Context = new() { TimeZone = TimeZoneInfo.Utc, Now = new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero), DefaultHost = "eqmon-web01" };

    private static readonly string[] AuditSamples =
    [
        "audit-userspace-auparse/test.log", "audit-userspace-auparse/test2.log", "audit-userspace-auparse/test3.log", "audit-userspace-auparse/test4.log",
        "elastic-beats-filebeat/auditd-log/test.log", "elastic-beats-filebeat/auditd-log/useradd.log",
        "elastic-beats-filebeat/auditd-log/audit-rhel7_2.log", "elastic-beats-filebeat/auditd-log/execve-hex-arg.log",
    ];

    private static readonly string[] AccessSamples =
    [
        "elastic-beats-filebeat/nginx-access/test.log", "elastic-beats-filebeat/nginx-access/access.log",
        "elastic-beats-filebeat/apache-access/test.log", "elastic-beats-filebeat/apache-access/darwin-2.4.23.log",
    ];

    // Pieces that steer the parsers into their edge cases when spliced into real lines.
    private static readonly string[] HostilePieces =
    [
        "\"", "'", "=", " ", "  ", "\u001d", "\\", "\\\"", "(", ")", ":", "):", ".", "-", "+", "[", "]", "] ", " [", ",", ", ", "?", "é", "€", "\t", "\0", "\uD800",
        "0", "9", "A", "F", "00", "FF", "41", "4142", "C3", "C328", "E282AC", "E282", "410041", "00000000",
        "msg='", "a0=", "a1=", "argc=", "argc=99999 ", "proctitle=", "type=", "node=", "msg=audit(", "msg=audit(1.1:1): ", "EOE", "PROCTITLE", "USER_", "=\"x\"",
        "UID=\"root\"", "AUID=", "SYSCALL=execve", "key=", "pid=", "exe=", "acct=", "hostname=", "addr=", "::1",
        "Jan", "jan", "MAR", "Feb", "29", "30", "31", "00", "24", "60", "0000", "9999", "+1400", "+1430", "-1400", "-1500", "+0060", "+0000",
        " - - ", "\"-\"", "HTTP/", "HTTP/1.1\"", "GET ", "\"GET / HTTP/1.1\"", " 200 ", " 404 - ", " -1 ",
        "10.0.0.1", "10.0.0.1, ", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.1.1", "8.8.8.8", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5",
        "fe80::1", "::ffff:10.1.2.3", "2001:db8::1", "[::1]", "host.test", "-host_",
    ];

    // ------------------------------------------------------------------ audit

    [Fact]
    [Trait("Category", Datasets.Category)]
    public void AuditParser_PublicSamples_SameEventsAsReference()
    {
        foreach (var sample in AuditSamples)
        {
            var lines = ReadLines(sample);
            AssertSameAuditEvents(sample, lines);
            // The enriched format (translations after 0x1D) on the same records.
            AssertSameAuditEvents(sample + " enriched", [.. lines.Select((l, i) => l + Enrichments[i % Enrichments.Length])]);
        }
    }

    [Fact]
    [Trait("Category", Datasets.Category)]
    public void AuditParser_HostileMutations_SameEventsAndRecordsAsReference()
    {
        var seeds = AuditSamples.SelectMany(ReadLines).ToList();
        seeds.AddRange(seeds.Take(200).Select((l, i) => l + Enrichments[i % Enrichments.Length]).ToList());
        var random = new Random(20261202);
        var lines = new List<string>();
        for (var i = 0; i < 30_000; i++) lines.Add(Mutate(seeds[random.Next(seeds.Count)], seeds, random));
        AssertSameAuditEvents("mutations", lines);

        foreach (var line in lines)
        {
            var mine = AuditRecordParser.TryParse(line);
            var spec = ReferenceAuditRecordParser.TryParse(line);
            Assert.Equal(spec is null, mine is null);
            if (spec is null || mine is null) continue;
            Assert.Equal(spec.Type, mine.Type);
            Assert.Equal(spec.Node, mine.Node);
            Assert.Equal(spec.Serial, mine.Serial);
            Assert.Equal(spec.Timestamp, mine.Timestamp);
            Assert.Equal(spec.TimeText, mine.TimeText);
            Assert.Equal(spec.Text, mine.Text);
            Assert.Equal(spec.Fields, mine.Fields);
            Assert.Equal(spec.Interpreted.OrderBy(p => p.Key, StringComparer.Ordinal), mine.Interpreted.OrderBy(p => p.Key, StringComparer.Ordinal));
            foreach (var (key, value) in spec.Fields) Assert.Equal(spec.Get(key), mine.Get(key));
            foreach (var (key, value) in spec.Interpreted) Assert.Equal(value, mine.GetInterpreted(key));
        }
    }

    [Fact]
    public void TryHexDecode_RandomHex_SameTextAsReference()
    {
        var random = new Random(7);
        string[] pieces = ["00", "20", "41", "7A", "C3", "A9", "E2", "82", "AC", "F0", "9F", "98", "80", "FF", "FE", "C0", "0A", "22"];
        for (var i = 0; i < 20_000; i++)
        {
            var hex = new StringBuilder();
            var count = random.Next(0, 40);
            for (var k = 0; k < count; k++) hex.Append(pieces[random.Next(pieces.Length)]);
            if (random.Next(10) == 0) hex.Append('0'); // odd length
            foreach (var nulAsSpace in new[] { true, false })
            {
                var specOk = ReferenceAuditRecordParser.TryHexDecode(hex.ToString(), nulAsSpace, out var spec);
                var mineOk = AuditRecordParser.TryHexDecode(hex.ToString(), nulAsSpace, out var mine);
                Assert.Equal(specOk, mineOk);
                Assert.Equal(spec, mine);
            }
        }
        // Longer than the stack buffer: decoded through a rented array.
        var big = string.Concat(Enumerable.Repeat("E282AC00", 400));
        Assert.True(AuditRecordParser.TryHexDecode(big, nulAsSpace: true, out var decoded));
        ReferenceAuditRecordParser.TryHexDecode(big, nulAsSpace: true, out var expected);
        Assert.Equal(expected, decoded);
    }

    [Fact]
    public void AuditAssembler_FloodOfUnfinishedEvents_BoundedAndInArrivalOrder()
    {
        var mine = new AuditEventAssembler(maxPendingEvents: 8);
        var spec = new ReferenceAuditEventAssembler(maxPendingEvents: 8);
        var random = new Random(3);
        var order = new List<long>();
        var expected = new List<long>();
        for (var i = 0; i < 5_000; i++)
        {
            // Serials out of order, two streams, times jumping back and forth by up to 3 s.
            var serial = random.Next(0, 40);
            var time = 1_700_000_000 + (i / 50) + random.Next(0, 3);
            var type = random.Next(6) switch { 0 => "PROCTITLE", 1 => "EOE", 2 => "USER_LOGIN", _ => "SYSCALL" };
            var line = $"type={type} msg=audit({time}.{random.Next(1000):D3}:{serial}): pid=1";
            var stream = random.Next(2) == 0 ? "a" : "b";
            mine.Add(AuditRecordParser.TryParse(line)!, stream);
            spec.Add(ReferenceAuditRecordParser.TryParse(line)!, stream);
            Assert.InRange(mine.PendingCount, 0, 8);
            while (mine.TryTake(out var e)) order.Add(e.Serial * 10_000 + e.Records.Count);
            while (spec.TryTake(out var e)) expected.Add(e.Serial * 10_000 + e.Records.Count);
        }
        mine.Flush();
        spec.Flush();
        while (mine.TryTake(out var e)) order.Add(e.Serial * 10_000 + e.Records.Count);
        while (spec.TryTake(out var e)) expected.Add(e.Serial * 10_000 + e.Records.Count);
        Assert.Equal(expected, order);
        Assert.Equal(spec.Evicted, mine.Evicted);
    }

    private static readonly string[] Enrichments =
    [
        "\u001dUID=\"root\" AUID=\"alice\" SYSCALL=execve ARCH=x86_64",
        "\u001dAUID=\"unset\" UID=\"bob\" EUID=\"root\"",
        "\u001dSYSCALL=openat UID=\"x y\"",
        "",
    ];

    private static void AssertSameAuditEvents(string what, IReadOnlyList<string> lines)
    {
        var mine = new AuditLogParser();
        var spec = new ReferenceAuditLogParser();
        var got = new List<string>();
        var want = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var raw = new RawLine { Collector = "equivalence", Type = "audit", Path = "audit.log", Text = lines[i], Offset = i };
            for (var e = mine.Parse(raw, Context); e is not null; e = mine.TakeCompleted()) got.Add(EcsJson.Serialize(e));
            for (var e = spec.Parse(raw, Context); e is not null; e = spec.TakeCompleted()) want.Add(EcsJson.Serialize(e));
        }
        mine.Flush();
        spec.Flush();
        for (var e = mine.TakeCompleted(); e is not null; e = mine.TakeCompleted()) got.Add(EcsJson.Serialize(e));
        for (var e = spec.TakeCompleted(); e is not null; e = spec.TakeCompleted()) want.Add(EcsJson.Serialize(e));
        Assert.True(want.Count > 0 || lines.Count == 0, what + ": no events at all");
        Assert.Equal(want.Count, got.Count);
        for (var i = 0; i < want.Count; i++) Assert.True(want[i] == got[i], $"{what}: event {i} differs\nwant {want[i]}\ngot  {got[i]}");
    }

    // ------------------------------------------------------------------ access

    [Fact]
    [Trait("Category", Datasets.Category)]
    public void AccessParser_PublicSamplesAndGeneratedLines_SameEventsAsReference()
    {
        var lines = AccessSamples.SelectMany(ReadLines).ToList();
        lines.AddRange(GeneratedAccessLines());
        var events = AssertSameAccessEvents(lines);
        Assert.True(events > lines.Count / 2, $"only {events} of {lines.Count} lines became events");
    }

    [Fact]
    [Trait("Category", Datasets.Category)]
    public void AccessParser_HostileMutations_SameEventsAsReference()
    {
        var seeds = AccessSamples.SelectMany(ReadLines).Concat(GeneratedAccessLines()).ToList();
        var random = new Random(20261203);
        var lines = new List<string>();
        for (var i = 0; i < 40_000; i++) lines.Add(Mutate(seeds[random.Next(seeds.Count)], seeds, random));
        AssertSameAccessEvents(lines);
    }

    [Theory]
    [InlineData("+1430")]
    [InlineData("-1401")]
    [InlineData("+1459")]
    public void AccessParser_OffsetBeyondFourteenHours_IsRefusedNotThrown(string offset)
    {
        var line = $"203.0.113.7 - - [10/Mar/2026:08:30:00 {offset}] \"GET / HTTP/1.1\" 200 1";
        Assert.Null(new AccessLogParser().Parse(Raw(line), Context));
        Assert.False(AccessLogParser.LooksLikeAccessLog(line));
    }

    [Fact]
    public void AccessParser_OffsetOfExactlyFourteenHours_IsRead()
    {
        var e = new AccessLogParser().Parse(Raw("203.0.113.7 - - [10/Mar/2026:08:30:00 +1400] \"GET / HTTP/1.1\" 200 1"), Context);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 8, 30, 0, TimeSpan.FromHours(14)), e?.Timestamp);
    }

    [Fact]
    public void AccessTimestamp_EveryDayMonthAndEdge_AgreesWithTryParseExact()
    {
        string[] months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "jan", "FEB", "mAr", "Foo", "Ma ", "M\u0430r"];
        string[] years = ["0000", "0001", "1900", "2000", "2023", "2024", "2100", "9999", "20a6", " 202"];
        string[] times = ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1:00:000", "0a:00:00", "-1:00:00"];
        var fast = 0;
        foreach (var month in months)
            foreach (var year in years)
                for (var day = 0; day <= 32; day++)
                    foreach (var time in times)
                        fast += AssertTimestampAgrees($"{day:D2}/{month}/{year}:{time}") ? 1 : 0;
        Assert.True(fast > 4_000, $"the fast path took only {fast} texts");
    }

    [Fact]
    public void AccessTimestamp_RandomTexts_AgreeWithTryParseExact()
    {
        var random = new Random(11);
        const string alphabet = "0123456789/:JanFebMarDecjanMAR -+\u0661";
        for (var i = 0; i < 100_000; i++)
        {
            var chars = "10/Mar/2026:08:30:00".ToCharArray();
            for (var k = random.Next(1, 4); k > 0; k--) chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            AssertTimestampAgrees(new string(chars));
        }
    }

    /// <summary>Whatever the fast path accepts, TryParseExact accepts with the same value. True when the fast path took it.</summary>
    private static bool AssertTimestampAgrees(string text)
    {
        if (!AccessTimestamp.TryParseLocal(text, out var fast)) return false;
        Assert.True(DateTime.TryParseExact(text, "dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var exact), text);
        Assert.Equal(exact, fast);
        Assert.Equal(exact.Kind, fast.Kind);
        return true;
    }

    private static IEnumerable<string> GeneratedAccessLines()
    {
        string[] clients = ["203.0.113.7", "10.0.0.2, 10.0.0.1, 127.0.0.1", "10.0.0.2, 85.181.35.98", "\"10.5.102.222, 199.96.1.1\" 10.2.1.185", "2001:db8::1", "::ffff:198.51.100.4", "www.vhost.test 198.51.100.4", "host-name", "010.1.2.3"];
        string[] requests = ["GET / HTTP/1.1", "GET /api/v1/status?id=42 HTTP/1.1", "POST /login? HTTP/2.0", "-", "", "GET /x", "PROPFIND /dav HTTP/1.0", "get /%7e HTTP/3", "\\x16\\x03\\x01"];
        string[] tails = ["200 5120 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"", "404 - \"http://referrer.test/\" \"curl/8.5.0\" \"-\"", "500 0", "301 12 \"-\" \"-\"", "400 153 \"a\\\"b\" \"ua\""];
        string[] users = ["- -", "- alice", "ident bob"];
        var i = 0;
        foreach (var client in clients)
            foreach (var request in requests)
                foreach (var tail in tails)
                    yield return $"{client} {users[i++ % users.Length]} [{1 + i % 28:D2}/{(i % 2 == 0 ? "Mar" : "mar")}/2026:08:30:00 {(i % 3 == 0 ? "+0100" : "-0530")}] \"{request}\" {tail}";
    }

    private static int AssertSameAccessEvents(IReadOnlyList<string> lines)
    {
        var mine = new AccessLogParser();
        var events = 0;
        foreach (var line in lines)
        {
            var want = ReferenceAccessLogParser.Parse(Raw(line), Context) is { } w ? EcsJson.Serialize(w) : null;
            var got = mine.Parse(Raw(line), Context) is { } g ? EcsJson.Serialize(g) : null;
            Assert.True(want == got, $"line: {line}\nwant {want}\ngot  {got}");
            if (got is not null) events++;
        }
        return events;
    }

    [Fact]
    public void BoundedStringCache_EndlessDistinctTexts_StaysBoundedAndReturnsEqualText()
    {
        var cache = new BoundedStringCache(capacity: 16, maxLength: 8);
        for (var i = 0; i < 1_000; i++)
        {
            var text = (i % 40).ToString(CultureInfo.InvariantCulture);
            Assert.Equal(text, cache.Get(text));
            Assert.InRange(cache.Count, 0, 16);
        }
        Assert.Same(cache.Get("7"), cache.Get("7"));
        Assert.Equal("123456789", cache.Get("123456789")); // too long to keep
        Assert.InRange(cache.Count, 0, 16);
    }

    private static RawLine Raw(string text) => new() { Collector = "equivalence", Type = "access", Path = "access.log", Text = text };

    // ------------------------------------------------------------------ helpers

    /// <summary>Up to five edits: cut, splice a hostile piece (of <paramref name="pieces"/>, by default these tests') or a slice of another line, delete, duplicate.</summary>
    internal static string Mutate(string line, List<string> others, Random random, string[]? pieces = null)
    {
        pieces ??= HostilePieces;
        for (var k = random.Next(0, 6); k > 0; k--)
        {
            var at = random.Next(line.Length + 1);
            line = random.Next(6) switch
            {
                0 => line[..at],
                1 or 2 => line[..at] + pieces[random.Next(pieces.Length)] + line[at..],
                3 => line[..at] + line[Math.Min(line.Length, at + random.Next(1, 6))..],
                4 => line[..at] + line[(at / 2)..at] + line[at..],
                _ => Splice(line, at, others[random.Next(others.Count)], random),
            };
        }
        return line;
    }

    private static string Splice(string line, int at, string other, Random random)
    {
        var from = random.Next(other.Length + 1);
        return line[..at] + other[from..Math.Min(other.Length, from + random.Next(1, 40))] + line[at..];
    }

    private static string[] ReadLines(string relative)
    {
        var text = File.ReadAllText(Datasets.PathOf(relative));
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return [.. lines];
    }
}
