namespace DeepSeekSharp.CostModel;

/// <summary>One network built from identical switches (Table 3). Links count switch-to-switch cables.</summary>
public sealed record NetworkCost(string Topology, string Description, long Endpoints, long Switches, long Links, double CostDollars)
{
    public double CostPerEndpointDollars => CostDollars / Endpoints;
}

/// <summary>Prices and sizes the network model uses; the paper gives no prices, see <see cref="Paper"/>.</summary>
/// <param name="DragonflyGroups">null: a x h - 1 groups, the paper's size (the most a radix-64 Dragonfly allows is a x h + 1).</param>
public sealed record NetworkInputs(int Ports = 64, int Planes = 8, double SwitchPrice = 81_500, double LinkPrice = 525, int? DragonflyGroups = null)
{
    /// <summary>
    /// Prices fitted (minimax relative error) to the paper's Table 3 costs: $81,500 per 64-port switch and $525 per
    /// switch-to-switch link. Every row then lands within 1.2% of the paper's cost and cost per endpoint
    /// (FT2/MPFT -1.1%, FT3 -1.0%, SF -0.6%, DF +0.8%). One price per part cannot do better: the paper cites the
    /// Slim Fly paper's cost model, whose cables cost by length.
    /// </summary>
    public static NetworkInputs Paper { get; } = new();
}

/// <summary>
/// Endpoints, switches and links of five topologies of radix-k switches (k = 64):
///   FT2  two-layer fat tree: k leaves with k/2 hosts each, k/2 spines: k^2/2 hosts, 3k/2 switches, k^2/2 links.
///   MPFT multi-plane FT2: planes x FT2 (each NIC port in its own plane).
///   FT3  three-layer fat tree: k^3/4 hosts, 5k^2/4 switches, k^3/2 links (edge-aggregation and aggregation-core).
///   SF   Slim Fly (MMS graph): 2q^2 switches of network radix k' = (3q - d)/2 (q = 4w + d, d in {-1, 0, 1}),
///        p = ceil(k'/2) hosts each; q is the largest with k' + p &lt;= k: q = 28, k' = 42, p = 21 (MMS needs a
///        prime power q and 28 is not one, but it is the size the paper lists).
///   DF   Dragonfly, balanced a = 2p = 2h: p = k/4 hosts, a = k/2 switches per group, h = k/4 global links each,
///        g groups; links = g a (a - 1)/2 local + g a h / 2 global.
/// Counts reproduce Table 3 exactly; cost = switches x switch price + links x link price.
/// </summary>
public static class NetworkTopology
{
    public static IReadOnlyList<NetworkCost> All(NetworkInputs i) => [FatTree2(i), MultiPlane(i), FatTree3(i), SlimFly(i), Dragonfly(i)];

    public static NetworkCost FatTree2(NetworkInputs i)
    {
        long k = CheckedPorts(i);
        return Priced("FT2", $"two-layer fat tree, {k}-port switches", k * k / 2, 3 * k / 2, k * k / 2, i);
    }

    public static NetworkCost MultiPlane(NetworkInputs i)
    {
        if (i.Planes <= 0) throw new DssException($"planes must be positive, got {i.Planes}");
        var one = FatTree2(i);
        return Priced("MPFT", $"{i.Planes} planes of FT2", one.Endpoints * i.Planes, one.Switches * i.Planes, one.Links * i.Planes, i);
    }

    public static NetworkCost FatTree3(NetworkInputs i)
    {
        long k = CheckedPorts(i);
        return Priced("FT3", $"three-layer fat tree, {k}-port switches", k * k * k / 4, 5 * k * k / 4, k * k * k / 2, i);
    }

    public static NetworkCost SlimFly(NetworkInputs i)
    {
        long k = CheckedPorts(i);
        for (long q = k; q >= 3; q--)
        {
            long delta = (q % 4) switch { 0 => 0, 1 => 1, 3 => -1, _ => 2 };
            if (delta == 2) continue;
            long netRadix = (3 * q - delta) / 2;
            long hosts = (netRadix + 1) / 2;
            if (netRadix + hosts > k) continue;
            long switches = 2 * q * q;
            return Priced("SF", $"Slim Fly, q = {q}, {netRadix} network + {hosts} host ports", switches * hosts, switches, switches * netRadix / 2, i);
        }
        throw new DssException($"no Slim Fly fits {k}-port switches");
    }

    public static NetworkCost Dragonfly(NetworkInputs i)
    {
        long k = CheckedPorts(i);
        long p = k / 4, a = k / 2, h = k / 4;
        long g = i.DragonflyGroups ?? a * h - 1;
        if (g < 2 || g > a * h + 1) throw new DssException($"Dragonfly groups must be between 2 and {a * h + 1} for {k}-port switches, got {g}");
        long links = g * a * (a - 1) / 2 + g * a * h / 2;
        return Priced("DF", $"Dragonfly, {g} groups of {a} switches, p = {p}, h = {h}", g * a * p, g * a, links, i);
    }

    private static long CheckedPorts(NetworkInputs i)
    {
        if (i.Ports < 8 || i.Ports % 4 != 0) throw new DssException($"switch ports must be a multiple of 4 and at least 8, got {i.Ports}");
        if (i.SwitchPrice < 0 || i.LinkPrice < 0) throw new DssException("prices must not be negative");
        return i.Ports;
    }

    private static NetworkCost Priced(string name, string description, long endpoints, long switches, long links, NetworkInputs i) =>
        new(name, description, endpoints, switches, links, switches * i.SwitchPrice + links * i.LinkPrice);
}
