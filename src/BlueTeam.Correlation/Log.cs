using Microsoft.Extensions.Logging;

namespace BlueTeam.Correlation;

/// <summary>The correlation stage's log messages, with fixed event ids.</summary>
internal static class Log
{
    private static readonly Action<ILogger, string, long, Exception?> RuleFailedMessage = LoggerMessage.Define<string, long>(
        LogLevel.Error, new EventId(3001, "RuleFailed"),
        "Rule {RuleName} threw while evaluating an event and was skipped for it ({ErrorCount} errors so far)");

    public static void RuleFailed(ILogger logger, string ruleName, long errorCount, Exception exception) =>
        RuleFailedMessage(logger, ruleName, errorCount, exception);
}
