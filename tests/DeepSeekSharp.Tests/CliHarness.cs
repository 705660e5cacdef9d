using DeepSeekSharp.Cli;

namespace DeepSeekSharp.Tests;

/// <summary>Runs `dss` in-process with captured stdout/stderr (tests using it belong to the "Console" collection).</summary>
public static class CliHarness
{
    private static readonly object Gate = new();

    public static (int Exit, string Out, string Err) Run(params string[] args) => RunWithInput(null, args);

    /// <summary>As <see cref="Run"/>, with <paramref name="stdin"/> as standard input.</summary>
    public static (int Exit, string Out, string Err) RunWithInput(string? stdin, params string[] args)
    {
        lock (Gate)
        {
            var oldOut = Console.Out;
            var oldErr = Console.Error;
            var oldIn = Console.In;
            if (stdin is not null) Console.SetIn(new StringReader(stdin));
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
                Console.SetIn(oldIn);
            }
        }
    }
}

[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection { }
