using System.CommandLine;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss cost`: the hardware cost model of the DeepSeek-V3 ISCA 2025 paper, pointed at any config.</summary>
internal static class CostCommand
{
    public static Command Create()
    {
        var cost = new Command("cost",
            "Reproduce the DeepSeek-V3 paper's cost tables (ISCA 2025, \"Insights into DeepSeek-V3\") and ask them of any config.json or machine");
        cost.Subcommands.Add(CostKvCommand.Create());
        cost.Subcommands.Add(CostParamsCommand.Create());
        cost.Subcommands.Add(CostFlopsCommand.Create());
        cost.Subcommands.Add(CostEpTpotCommand.Create());
        cost.Subcommands.Add(CostNetworkCommand.Create());
        cost.Subcommands.Add(CostDecodeCommand.Create());
        cost.Subcommands.Add(CostMtpCommand.Create());
        return cost;
    }
}
