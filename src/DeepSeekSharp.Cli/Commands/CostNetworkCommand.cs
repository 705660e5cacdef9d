using System.CommandLine;
using DeepSeekSharp.CostModel;
using static DeepSeekSharp.Cli.Commands.CostOutput;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>`dss cost network`: size and cost of scale-out networks (the paper's Table 3).</summary>
internal static class CostNetworkCommand
{
    public static Command Create()
    {
        var cmd = new Command("network", "Endpoints, switches, links and cost of FT2, MPFT, FT3, Slim Fly and Dragonfly networks (Table 3)");
        var format = CostOptions.Format();
        var ports = new Option<int>("--ports") { Description = "Ports per switch (the paper: 64)", DefaultValueFactory = _ => NetworkInputs.Paper.Ports };
        var planes = new Option<int>("--planes") { Description = "Planes of the multi-plane fat tree (the paper: 8, one per NIC)", DefaultValueFactory = _ => NetworkInputs.Paper.Planes };
        var switchPrice = new Option<double>("--switch-price")
        {
            Description = "Dollars per switch. The paper gives no prices; 81,500 with --link-price 525 reproduces its costs within 1.2%",
            DefaultValueFactory = _ => NetworkInputs.Paper.SwitchPrice,
        };
        var linkPrice = new Option<double>("--link-price")
        {
            Description = "Dollars per switch-to-switch link (cable and transceivers). Fitted together with --switch-price",
            DefaultValueFactory = _ => NetworkInputs.Paper.LinkPrice,
        };
        var groups = new Option<int?>("--dragonfly-groups") { Description = "Dragonfly groups (default a x h - 1 = 511 for 64 ports, the paper's size; the most is a x h + 1)" };
        foreach (Option o in new Option[] { ports, planes, switchPrice, linkPrice, groups, format }) cmd.Options.Add(o);
        cmd.SetGuardedAction(p =>
        {
            var inputs = new NetworkInputs(p.GetValue(ports), p.GetValue(planes), p.GetValue(switchPrice), p.GetValue(linkPrice), p.GetValue(groups));
            var report = Build(inputs);
            var f = CostOptions.GetFormat(p, format);
            if (f == CostFormat.Json) PrintJson(report, CostJsonContext.Default.NetworkReport);
            else Print(ToTable(report), f);
            return 0;
        });
        return cmd;
    }

    public static NetworkReport Build(NetworkInputs i)
    {
        bool paperSizes = i.Ports == 64 && i.Planes == 8 && i.DragonflyGroups is null or 511;
        return new NetworkReport(i.Ports, i.Planes, i.SwitchPrice, i.LinkPrice, NetworkTopology.All(i).Select(n =>
        {
            bool hasPaper = PaperTables.Network.TryGetValue(n.Topology, out var paper) && paperSizes;
            return new NetworkRow(n.Topology, n.Description, n.Endpoints, n.Switches, n.Links, n.CostDollars / 1e6, n.CostPerEndpointDollars / 1e3,
                hasPaper ? paper.CostMillions : null, hasPaper ? paper.PerEndpointThousands : null);
        }).ToArray());
    }

    private static CostTable ToTable(NetworkReport r)
    {
        var t = new CostTable($"Scale-out networks of {r.Ports}-port switches (switch ${N(r.SwitchPrice, "#,0")}, link ${N(r.LinkPrice, "#,0")})",
            "Topology", "Endpoints", "Switches", "Links", "Cost M$", "Paper M$", "Per endpoint k$", "Paper k$", "Residual");
        foreach (var x in r.Rows)
            t.Add($"{x.Topology} ({x.Description})", N(x.Endpoints, "#,0"), N(x.Switches, "#,0"), N(x.Links, "#,0"), N(x.CostMillions, "#,0.0"),
                N(x.PaperCostMillions, "#,0"), N(x.CostPerEndpointThousands, "0.00"), N(x.PaperCostPerEndpointThousands, "0.00#"),
                Pct(Residual(x.CostMillions, x.PaperCostMillions)));
        t.Notes.Add("Cost = switches x switch price + links x link price. The paper gives no unit prices: the defaults are fitted to its Table 3.");
        return t;
    }
}
