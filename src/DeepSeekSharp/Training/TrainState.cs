using System.Globalization;
using System.Runtime.InteropServices;
using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Training.Precision;

namespace DeepSeekSharp.Training;

/// <summary>
/// The training-state file (train_state.safetensors): F32 weights `param.*` (the exact values, correction biases
/// included), AdamW moments `adam_m.*` / `adam_v.*`, and in the metadata the step, the data position, the
/// generator state, the seed and the sequence length. One atomic file, so a crash never leaves a half state.
/// </summary>
public static class TrainState
{
    public const string FileName = "train_state.safetensors";
    private const string Format = "dss-train-state-1";

    public static void Save(string path, Trainer tr)
    {
        var p = tr.Params;
        var entries = new List<SafetensorsEntry>();
        foreach (var t in p.Tensors)
        {
            entries.Add(Entry("param." + t.Name, t, p.Data));
            if (!t.Trainable) continue;
            entries.Add(Entry("adam_m." + t.Name, t, tr.Optimizer.M));
            entries.Add(Entry("adam_v." + t.Name, t, tr.Optimizer.V));
        }
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = tr.Step.ToString(CultureInfo.InvariantCulture),
            ["sample"] = tr.Sample.ToString(CultureInfo.InvariantCulture),
            ["rng"] = tr.Rng.State.ToString(CultureInfo.InvariantCulture),
            ["seed"] = tr.Options.Seed.ToString(CultureInfo.InvariantCulture),
            ["seq"] = tr.Options.Seq.ToString(CultureInfo.InvariantCulture),
            ["mtp"] = p.HasMtp ? "1" : "0",
            ["precision"] = tr.Options.Precision.Name(),
        };
        SafetensorsWriter.Write(path, entries, meta);
    }

    private static SafetensorsEntry Entry(string name, ParamTensor t, float[] buffer) =>
        new(name, DType.F32, t.Shape, s => s.Write(MemoryMarshal.AsBytes(buffer.AsSpan((int)t.Offset, t.Length))));

    /// <summary>Restores weights, moments, step, data position and generator into a trainer built with the same config and options.</summary>
    public static void Load(string path, Trainer tr)
    {
        using var f = SafetensorsFile.Open(path);
        string Meta(string key) => f.Metadata.TryGetValue(key, out var v) ? v : throw new DssException($"{path}: training state lacks '{key}'");
        if (Meta("format") != Format) throw new DssException($"{path}: not a training state of this version (format '{Meta("format")}')");
        var p = tr.Params;
        if (Meta("mtp") != (p.HasMtp ? "1" : "0")) throw new DssException($"{path}: the state was saved {(p.HasMtp ? "without" : "with")} the MTP module");
        if (int.Parse(Meta("seq"), CultureInfo.InvariantCulture) != tr.Options.Seq)
            throw new DssException($"{path}: the run used --seq {Meta("seq")}; resume with the same --seq (the data position depends on it)");
        if (ulong.Parse(Meta("seed"), CultureInfo.InvariantCulture) != tr.Options.Seed)
            throw new DssException($"{path}: the run used seed {Meta("seed")}; resume with the same seed");
        if (f.Metadata.TryGetValue("precision", out var precision) && precision != tr.Options.Precision.Name())
            throw new DssException($"{path}: the run trained with --precision {precision}; resume with the same --precision");
        foreach (var t in p.Tensors)
        {
            Read(f, "param." + t.Name, t, p.Data);
            if (!t.Trainable) continue;
            Read(f, "adam_m." + t.Name, t, tr.Optimizer.M);
            Read(f, "adam_v." + t.Name, t, tr.Optimizer.V);
        }
        tr.Step = int.Parse(Meta("step"), CultureInfo.InvariantCulture);
        tr.Sample = long.Parse(Meta("sample"), CultureInfo.InvariantCulture);
        tr.Rng.State = ulong.Parse(Meta("rng"), CultureInfo.InvariantCulture);
    }

    private static void Read(SafetensorsFile f, string name, ParamTensor t, float[] dst)
    {
        if (!f.Contains(name)) throw new DssException($"{f.Path}: training state lacks '{name}' (was it saved for another config?)");
        var info = f.Info(name);
        if (info.DType != DType.F32 || info.ElementCount != t.Length)
            throw new DssException($"{f.Path}: '{name}' is {info.DType} {info.ShapeString}, expected F32 with {t.Length} values");
        MemoryMarshal.Cast<byte, float>(f.GetBytes(info)).CopyTo(dst.AsSpan((int)t.Offset, t.Length));
    }
}
