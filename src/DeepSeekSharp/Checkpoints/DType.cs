namespace DeepSeekSharp.Checkpoints;

/// <summary>Element types of safetensors files (the names are the ones in the JSON header).</summary>
public enum DType
{
    F32,
    F16,
    BF16,
    F8_E4M3,
    F8_E5M2,
    I64,
    I32,
    U8,
    BOOL,
}

public static class DTypes
{
    public static int SizeOf(DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.F8_E4M3 or DType.F8_E5M2 or DType.U8 or DType.BOOL => 1,
        DType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool TryParse(string s, out DType t)
    {
        switch (s)
        {
            case "F32": t = DType.F32; return true;
            case "F16": t = DType.F16; return true;
            case "BF16": t = DType.BF16; return true;
            case "F8_E4M3": t = DType.F8_E4M3; return true;
            case "F8_E5M2": t = DType.F8_E5M2; return true;
            case "I64": t = DType.I64; return true;
            case "I32": t = DType.I32; return true;
            case "U8": t = DType.U8; return true;
            case "BOOL": t = DType.BOOL; return true;
            default: t = default; return false;
        }
    }

    public static string Name(DType t) => t.ToString();
}
