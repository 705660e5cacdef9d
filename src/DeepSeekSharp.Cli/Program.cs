using System.CommandLine;
using DeepSeekSharp.Cli.Commands;

namespace DeepSeekSharp.Cli;

public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    /// <summary>The `dss` command tree; each sub-command lives in Commands/ next to this file.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("dss: run, serve, train and cost DeepSeek-V3-architecture models on the CPU");
        root.Subcommands.Add(LogitsCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ChatCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(CostCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(InitCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(TokenizerTrainCommand.CreateGroup());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(GradCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        return root;
    }
}
