using DeepSeekSharp.Cli;

namespace DeepSeekSharp.Tests;

/// <summary>Runs `dss` in-process with captured stdout/stderr (tests using it belong to the "Console" collection).</summary>
public static class CliHarness
{
    private static readonly object Gate = new();

    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var oldOut = Console.Out;
            var oldErr = Console.Error;
            var o = new StringWriter();
            var e = new StringWriter();
            Console.SetOut(o);
            Console.SetError(e);
            try
            {
                int rc = Program.BuildRoot().Parse(args).Invoke();
                return (rc, o.ToString(), e.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }
}

[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection { }
