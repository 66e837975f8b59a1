namespace BlueTeam.Cli.Commands;

/// <summary>Range checks for numeric options, reported as usage errors (exit 2) before any command runs.</summary>
internal static class OptionChecks
{
    /// <summary>
    /// Refuses a value of <paramref name="option"/> below <paramref name="minimum"/>. A value that is not a
    /// number at all is left to the parser's own error (reading it here would throw).
    /// </summary>
    public static void AtLeast(Option<int> option, int minimum, string why)
    {
        option.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                if (int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value < minimum)
                    r.AddError($"{option.Name} must be {why}");
        });
    }
}
