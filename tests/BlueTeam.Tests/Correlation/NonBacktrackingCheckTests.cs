using System.Text;
using System.Text.RegularExpressions;
using BlueTeam.Correlation.Fields;

namespace BlueTeam.Tests.Correlation;

/// <summary>
/// <see cref="NonBacktrackingCheck"/> lets <see cref="RegexMatcher"/> build the engine late; that is only safe if
/// its verdict never disagrees with the engine's own constructor. Compared here on hand-picked and generated patterns.
/// </summary>
public class NonBacktrackingCheckTests
{
    private static readonly string[] Fragments =
    [
        "a", "abc", ".", ".*", ".+?", "\\d+", "\\s", "\\.", "\\\\", "\\(", "\\)", "\\[", "\\k", "\\1", "\\G", "\\p{L}", "\\x41", "\\u0041",
        "[abc]", "[^a]", "[]a]", "[a-z-[aeiou]]", "[\\]]", "[(?=]", "[\\1]", "(", ")", "(a)", "(?:a)", "(?<n>a)", "(?'n'a)", "\\k<n>",
        "(?=a)", "(?!a)", "(?<=a)", "(?<!a)", "(?>a)", "(?(a)b|c)", "(?<n-m>a)", "(?#c)", "(?i)", "(?i:a)", "(?x)", "(?x: a # c\n)",
        "a{2}", "a{2,}", "a{2,5}", "{", "}", "a{x}", "a{999}", "(a{40}){40}", "|", "^", "$", "?", "*", "+", "%27", "'", "-", "#", " ",
    ];

    private static readonly string[] Known =
    [
        // The catalogue's patterns (rules/*.yaml) and some of the engine's refusals.
        "(union(\\s|\\+|%20|/\\*.*\\*/)+(all(\\s|\\+|%20)+)?select|select(\\s|\\+|%20)+.+(\\s|\\+|%20)+from|(\\s|\\+|%20|'|%27)or(\\s|\\+|%20)+('|%27)?\\d+('|%27)?(\\s|\\+|%20)*=(\\s|\\+|%20)*('|%27)?\\d|sleep\\(\\d+\\)|benchmark\\(|information_schema|(%27|')(\\s|\\+|%20)*(--|%2d%2d|#|%23))",
        "(\\.\\./|\\.\\.\\\\|%2e%2e(/|%2f|\\\\|%5c)|\\.\\.%2f|/etc/passwd|/etc/shadow|/proc/self/)",
        "(nikto|sqlmap|nmap|masscan)", "^4[0-9][0-9]$", "NOT in sudoers|NOT authorized on host|command not allowed",
        "(a)\\1", "(?<x>a)\\k<x>", "(?=a)b", "a(?<!b)", "(?>a+)b", "(?(x)a|b)", "\\Ga", "((a{99}){99}){99}", "(unclosed", "a{2,1}",
    ];

    [Fact]
    public void Check_AgreesWithTheEngine_OnKnownPatterns()
    {
        foreach (var pattern in Known) AssertAgrees(pattern);
    }

    [Fact]
    public void Check_AgreesWithTheEngine_OnGeneratedPatterns()
    {
        var random = new Random(20261202);
        var pattern = new StringBuilder();
        for (var i = 0; i < 3_000; i++)
        {
            pattern.Clear();
            for (var k = random.Next(1, 6); k > 0; k--) pattern.Append(Fragments[random.Next(Fragments.Length)]);
            AssertAgrees(pattern.ToString());
        }
    }

    [Fact]
    public void RegexMatcher_BuildsTheEngineOnFirstUse_AndMatchesAsItWould()
    {
        var matcher = new RegexMatcher("(nikto|sqlmap)", ignoreCase: true);
        Assert.False(matcher.IsBuilt);
        Assert.True(matcher.Matches("Mozilla/5.0 SQLMap/1.7"));
        Assert.True(matcher.IsBuilt);
        Assert.False(matcher.Matches("curl/8.0"));
    }

    [Fact]
    public void RegexMatcher_RefusesAtConstruction_WhatTheEngineRefuses()
    {
        Assert.Throws<NotSupportedException>(() => new RegexMatcher("(a)\\1"));
        Assert.Throws<NotSupportedException>(() => new RegexMatcher("(?=a)b"));
        Assert.Throws<NotSupportedException>(() => new RegexMatcher("(?>a+)b"));
        Assert.ThrowsAny<ArgumentException>(() => new RegexMatcher("(unclosed"));
    }

    [Fact]
    public void Check_CatalogueWebPatterns_AreBuiltLate()
    {
        foreach (var pattern in Known[..5])
            Assert.Equal(NonBacktrackingCheck.Verdict.Supported, NonBacktrackingCheck.Check(pattern, RegexOptions.NonBacktracking | RegexOptions.IgnoreCase));
    }

    private static void AssertAgrees(string pattern)
    {
        foreach (var ignoreCase in new[] { false, true })
        {
            var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : 0);
            var engine = Outcome(() => _ = new Regex(pattern, options));
            var check = Outcome(() => { if (NonBacktrackingCheck.Check(pattern, options) == NonBacktrackingCheck.Verdict.BuildToKnow) throw new BuildToKnowException(); });
            if (check == typeof(BuildToKnowException)) continue; // the matcher builds the engine at once: its verdict is the engine's
            Assert.True(engine == check || (typeof(ArgumentException).IsAssignableFrom(engine) && typeof(ArgumentException).IsAssignableFrom(check)),
                $"pattern {pattern} (ignore_case {ignoreCase}): engine {engine?.Name ?? "accepts"}, check {check?.Name ?? "accepts"}");
        }
    }

    private static Type? Outcome(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or BuildToKnowException)
        {
            return e is ArgumentException ? typeof(ArgumentException) : e.GetType();
        }
    }

    private sealed class BuildToKnowException : Exception;
}
