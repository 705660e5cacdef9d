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
            try
            {
                return await body(parse, ct);
            }
            catch (DssException e)
            {
                Console.Error.WriteLine($"dss {command.Name}: error: {e.Message}");
                return UserError;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"dss {command.Name}: cancelled");
                return 130;
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"dss {command.Name}: I/O error: {e.Message}");
                return UserError;
            }
            catch (UnauthorizedAccessException e)
            {
                Console.Error.WriteLine($"dss {command.Name}: access denied: {e.Message}");
                return UserError;
            }
        });
    }

    public static void SetGuardedAction(this Command command, Func<ParseResult, int> body) =>
        command.SetGuardedAction((p, _) => Task.FromResult(body(p)));
}
