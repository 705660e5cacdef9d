using System.CommandLine;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>Runs a command body and turns user errors into one clear line on stderr and a non-zero exit code.</summary>
internal static class CommandRunner
{
    public const int UserError = 1;

    public static void SetGuardedAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, ct) =>
        {
            string name = PathOf(parse);
            try
            {
                return await body(parse, ct);
            }
            catch (DssException e)
            {
                Console.Error.WriteLine($"dss {name}: error: {e.Message}");
                return UserError;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"dss {name}: cancelled");
                return 130;
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"dss {name}: I/O error: {e.Message}");
                return UserError;
            }
            catch (UnauthorizedAccessException e)
            {
                Console.Error.WriteLine($"dss {name}: access denied: {e.Message}");
                return UserError;
            }
        });
    }

    /// <summary>"tokenizer train" for `dss tokenizer train`: the invoked command's path below the root.</summary>
    private static string PathOf(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command.Name);
        return string.Join(" ", names);
    }

    public static void SetGuardedAction(this Command command, Func<ParseResult, int> body) =>
        command.SetGuardedAction((p, _) => Task.FromResult(body(p)));
}
