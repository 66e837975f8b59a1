namespace BlueTeam.Cli.Output;

/// <summary>"did you mean …?" for a name someone typed that is not one of the known ones.</summary>
internal static class Suggestion
{
    /// <summary>The known name closest to <paramref name="typed"/> by edit distance, when it is close enough to be a typo; else null.</summary>
    public static string? Closest(string typed, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var d = Distance(typed, name);
            if (d < bestDistance)
            {
                best = name;
                bestDistance = d;
            }
        }
        // A third of the name, at least 3 but less than all of it: "ssh_brute_forse" → ssh_brute_force,
        // "src.ip" → source.ip; "xy" → nothing.
        return best is not null && bestDistance <= Math.Max(3, typed.Length / 3) && bestDistance < typed.Length ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" or "".</summary>
    public static string Hint(string typed, IEnumerable<string> known) =>
        Closest(typed, known) is { } best ? $"; did you mean '{best}'?" : "";

    // Levenshtein, case-insensitive (a typo in case is still a typo), two rows.
    private static int Distance(string a, string b)
    {
        if (a.Length > 200 || b.Length > 200) return int.MaxValue;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
