using System.Text.Json.Serialization;

namespace DeepSeekSharp.CostModel;

/// <summary>Source-generated (reflection-free) JSON for the `dss cost` reports.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(KvReport))]
[JsonSerializable(typeof(ParamsReport))]
[JsonSerializable(typeof(FlopsReport))]
[JsonSerializable(typeof(EpTpotReport))]
[JsonSerializable(typeof(NetworkReport))]
[JsonSerializable(typeof(DecodeReport))]
[JsonSerializable(typeof(MtpReport))]
public sealed partial class CostJsonContext : JsonSerializerContext;
