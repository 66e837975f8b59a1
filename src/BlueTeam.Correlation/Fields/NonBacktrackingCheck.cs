using System.Text.RegularExpressions;

namespace BlueTeam.Correlation.Fields;

/// <summary>
/// Decides at rule load, cheaply, whether .NET's non-backtracking engine will accept a pattern, so
/// that <see cref="RegexMatcher"/> can build that engine on first use instead of at load.
/// </summary>
/// <remarks>
/// <para>Building a <see cref="RegexOptions.NonBacktracking"/> regex is expensive (the catalogue's web
/// patterns with ignore_case took ≈ 280 ms, more than any other part of start-up, and the rule parser
/// built each one twice), while most runs never evaluate most of them (an auth.log scan never
/// reaches a URL pattern). Syntax is checked here with the ordinary engine's parser (≈ 0.1 ms); a
/// scan of the pattern that skips escapes and character classes then looks for anything the
/// non-backtracking engine may refuse (backreferences, lookarounds, atomic groups, conditionals,
/// balancing groups, \G, inline whitespace mode, large counted repetitions). A pattern with none is
/// <see cref="Verdict.Supported"/>; any other is built at once, as before, and the engine's own
/// constructor decides and words the refusal. So no verdict differs from the engine's: a test
/// compares the two on a corpus of patterns.</para>
/// </remarks>
internal static class NonBacktrackingCheck
{
    // Above this product of counted-repetition bounds the engine may refuse the pattern as too large: build it to know.
    private const long MaxCountedProduct = 1000;

    /// <summary>The outcome of <see cref="Check"/>.</summary>
    public enum Verdict
    {
        /// <summary>The engine will accept the pattern: it may be built on first use.</summary>
        Supported,
        /// <summary>The pattern has a construct the engine may refuse: build it now and let it decide.</summary>
        BuildToKnow,
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> for a syntax error (as the engine's constructor would); otherwise
    /// says whether the engine can be built later or must be built now to know whether it accepts the pattern.
    /// </summary>
    public static Verdict Check(string pattern, RegexOptions options)
    {
        // The ordinary engine's constructor parses the pattern (syntax, group references) without compiling much.
        _ = new Regex(pattern, options & ~RegexOptions.NonBacktracking);
        return Scan(pattern);
    }

    private static Verdict Scan(string p)
    {
        long counted = 1;
        for (var i = 0; i < p.Length; i++)
        {
            switch (p[i])
            {
                case '\\':
                    if (i + 1 >= p.Length) return Verdict.BuildToKnow;
                    var next = p[i + 1];
                    if (next is (>= '1' and <= '9') or 'k' or 'G') return Verdict.BuildToKnow; // backreferences, \G
                    i++;
                    break;
                case '[':
                    i = SkipClass(p, i);
                    if (i < 0) return Verdict.BuildToKnow;
                    break;
                case '(' when i + 1 < p.Length && p[i + 1] == '?':
                    var verdict = Group(p, i + 2);
                    if (verdict is not null) return verdict.Value;
                    break;
                case '{':
                    var bound = CountedBound(p, i);
                    if (bound > 0) counted = Math.Min(counted * bound, MaxCountedProduct + 1);
                    if (counted > MaxCountedProduct) return Verdict.BuildToKnow;
                    break;
            }
        }
        return Verdict.Supported;
    }

    /// <summary>Judges the <c>(?</c> construct whose next character is at <paramref name="at"/>; null when it is a supported one.</summary>
    private static Verdict? Group(string p, int at)
    {
        if (at >= p.Length) return Verdict.BuildToKnow;
        var c = p[at];
        if (c is '=' or '!' or '>' or '(') return Verdict.BuildToKnow; // lookahead, atomic group, conditional
        if (c == '#') return null; // a comment: no construct in it means anything
        if (c is '<' or '\'')
        {
            if (at + 1 < p.Length && p[at + 1] is '=' or '!') return Verdict.BuildToKnow; // lookbehind
            var close = c == '<' ? '>' : '\'';
            var end = p.IndexOf(close, at + 1);
            if (end < 0) return Verdict.BuildToKnow;
            if (p.AsSpan(at + 1, end - at - 1).Contains('-')) return Verdict.BuildToKnow; // balancing group
            return null; // a named group
        }
        if (c == ':') return null;
        // Inline options such as (?i) or (?i:…): whitespace mode (x) changes how the rest reads, so let the engine judge.
        for (var j = at; j < p.Length && p[j] is not (')' or ':'); j++)
            if (p[j] == 'x') return Verdict.BuildToKnow;
        return null;
    }

    /// <summary>The index of the <c>]</c> that closes the class opened at <paramref name="open"/>, or -1.</summary>
    private static int SkipClass(string p, int open)
    {
        var i = open + 1;
        if (i < p.Length && p[i] == '^') i++;
        if (i < p.Length && p[i] == ']') i++; // a ']' first is a literal
        var depth = 1;
        for (; i < p.Length; i++)
        {
            var c = p[i];
            if (c == '\\') { i++; continue; }
            if (c == '[' && p[i - 1] == '-') depth++; // class subtraction: [a-z-[aeiou]]
            else if (c == ']' && --depth == 0) return i;
        }
        return -1;
    }

    /// <summary>The largest count of a <c>{n}</c>, <c>{n,}</c> or <c>{n,m}</c> quantifier at <paramref name="at"/>; 0 when it is a literal brace.</summary>
    private static long CountedBound(string p, int at)
    {
        var end = p.IndexOf('}', at + 1);
        if (end < 0) return 0;
        var body = p.AsSpan(at + 1, end - at - 1);
        long max = 0;
        foreach (var range in body.Split(','))
        {
            var part = body[range];
            if (part.IsEmpty) continue;
            if (!long.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) return 0;
            max = Math.Max(max, n);
        }
        // {n,} is unbounded above, which the engine handles as a loop; its lower bound is what it unrolls.
        return max;
    }
}
