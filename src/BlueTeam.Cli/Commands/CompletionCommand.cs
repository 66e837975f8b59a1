using System.Text;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam completion bash|zsh`: a shell completion script written from the command tree itself,
/// so it can never fall behind the commands (the Debian package installs both at build time).
/// </summary>
internal static class CompletionCommand
{
    private static readonly Argument<string> Shell = new("shell") { Description = "bash or zsh" };

    public static Command Build(Func<RootCommand> tree)
    {
        Shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a bash or zsh completion script (source it, or install it where the shell looks)") { Shell };
        command.SetAction(parse =>
        {
            var paths = Paths(tree());
            Console.Out.Write(parse.GetValue(Shell) == "zsh" ? Zsh(paths) : Bash(paths));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One entry per command path (" alerts list"; "" for the root): its subcommands and options, with descriptions.</summary>
    private static List<(string Path, List<(string Word, string Description)> Words)> Paths(Command root)
    {
        var result = new List<(string, List<(string, string)>)>();
        void Walk(Command c, string path)
        {
            var words = new List<(string, string)>();
            foreach (var sub in c.Subcommands.Where(s => !s.Hidden)) words.Add((sub.Name, sub.Description ?? ""));
            foreach (var option in Options(c)) words.Add((option.Name, option.Description ?? ""));
            result.Add((path, words));
            foreach (var sub in c.Subcommands.Where(s => !s.Hidden)) Walk(sub, path + " " + sub.Name);
        }
        Walk(root, "");
        return result;
    }

    private static IEnumerable<Option> Options(Command c)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in c.Options.Where(o => !o.Hidden && names.Add(o.Name))) yield return o;
        // Recursive options (--config) are declared on the root but valid everywhere.
        for (var parent = c.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
            foreach (var o in parent.Options.Where(o => o.Recursive && !o.Hidden && names.Add(o.Name))) yield return o;
    }

    private static string Bash(List<(string Path, List<(string Word, string Description)> Words)> paths)
    {
        var s = new StringBuilder();
        s.AppendLine("# bash completion for blueteam (written by `blueteam completion bash`)");
        s.AppendLine("_blueteam() {");
        s.AppendLine("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" w i opts");
        s.AppendLine("    for ((i = 1; i < COMP_CWORD; i++)); do");
        s.AppendLine("        w=\"${COMP_WORDS[i]}\"");
        s.AppendLine("        case \"$w\" in -*) continue ;; esac");
        s.AppendLine("        case \"$path $w\" in");
        s.AppendLine("            " + string.Join("|", paths.Where(p => p.Path.Length > 0).Select(p => Quote(p.Path))) + ") path=\"$path $w\" ;;");
        s.AppendLine("        esac");
        s.AppendLine("    done");
        s.AppendLine("    case \"$path\" in");
        foreach (var (path, words) in paths)
            s.AppendLine($"        {Quote(path)}) opts={Quote(string.Join(' ', words.Select(w => w.Word)))} ;;");
        s.AppendLine("    esac");
        s.AppendLine("    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))");
        s.AppendLine("}");
        s.AppendLine("complete -o default -F _blueteam blueteam");
        return s.ToString();
    }

    private static string Zsh(List<(string Path, List<(string Word, string Description)> Words)> paths)
    {
        var s = new StringBuilder();
        s.AppendLine("#compdef blueteam");
        s.AppendLine("# zsh completion for blueteam (written by `blueteam completion zsh`)");
        s.AppendLine("_blueteam() {");
        s.AppendLine("    local path=\"\" w i");
        s.AppendLine("    local -a opts");
        s.AppendLine("    for ((i = 2; i < CURRENT; i++)); do");
        s.AppendLine("        w=${words[i]}");
        s.AppendLine("        [[ $w == -* ]] && continue");
        s.AppendLine("        case \"$path $w\" in");
        s.AppendLine("            (" + string.Join("|", paths.Where(p => p.Path.Length > 0).Select(p => Quote(p.Path))) + ") path=\"$path $w\" ;;");
        s.AppendLine("        esac");
        s.AppendLine("    done");
        s.AppendLine("    case \"$path\" in");
        foreach (var (path, words) in paths)
            s.AppendLine($"        ({Quote(path)}) opts=({string.Join(' ', words.Select(w => Quote(w.Word + ":" + OneLine(w.Description).Replace(":", "\\:", StringComparison.Ordinal))))}) ;;");
        s.AppendLine("    esac");
        s.AppendLine("    _describe -t commands 'blueteam' opts || _files");
        s.AppendLine("}");
        s.AppendLine("_blueteam \"$@\"");
        return s.ToString();
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>Single-quoted for sh: the descriptions are ours, but a quote in one must not end the string.</summary>
    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
