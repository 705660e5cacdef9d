using System.Text.Json.Serialization;

namespace DeepSeekSharp.Cli.Commands;

/// <summary>Source-generated JSON for small CLI outputs.</summary>
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int[]))]
internal sealed partial class CliJson : JsonSerializerContext;
