namespace DeepSeekSharp.Server;

/// <summary>An error to send in OpenAI's shape: {"error": {"message", "type", "param", "code"}} with an HTTP status.</summary>
public sealed class ApiException : Exception
{
    public ApiException(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null)
        : base(message)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
    }

    public int Status { get; }
    public string Type { get; }
    public string? Param { get; }
    public string? Code { get; }

    public ErrorResponse ToResponse() => new(new ErrorBody(Message, Type, Param, Code));

    public static ApiException Invalid(string message, string? param = null) => new(400, message, param: param);
}
