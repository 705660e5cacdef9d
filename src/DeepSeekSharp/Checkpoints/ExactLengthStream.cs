namespace DeepSeekSharp.Checkpoints;

/// <summary>
/// A write-only view of another stream that accepts at most <c>limit</c> bytes, so a tensor's data callback
/// cannot write past its slot; <see cref="Written"/> tells whether it wrote too little.
/// </summary>
internal sealed class ExactLengthStream(Stream inner, long limit, string path, string tensor) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Written + buffer.Length > limit)
            throw new CheckpointFormatException(path, tensor, $"the data callback wrote more than the {limit} bytes its shape and dtype need");
        inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
