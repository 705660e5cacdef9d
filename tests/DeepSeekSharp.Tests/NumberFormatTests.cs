using DeepSeekSharp.Checkpoints;
using DeepSeekSharp.Numerics;

namespace DeepSeekSharp.Tests;

/// <summary>BF16 and FP8 conversions, bit-exact against PyTorch (fixtures/fp8-formats).</summary>
public sealed class NumberFormatTests
{
    private static readonly string Reference = Path.Combine(Fixtures.Dir("fp8-formats"), "reference.safetensors");

    private static void AssertSameValue(float expected, float actual, string what)
    {
        if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual), $"{what}: expected NaN, got {actual}");
        else Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: expected {expected}, got {actual}");
    }

    [Fact]
    public void E4M3FnDecodeMatchesEveryByte()
    {
        using var f = SafetensorsFile.Open(Reference);
        var expected = f.ReadF32("e4m3fn.decode");
        Assert.Equal(256, expected.Length);
        for (int b = 0; b < 256; b++) AssertSameValue(expected[b], Fp8E4M3.ToSingle((byte)b), $"e4m3fn byte 0x{b:x2}");
        Assert.Equal(2, expected.Count(float.IsNaN)); // 0x7f and 0xff only: no infinities in "fn"
    }

    [Fact]
    public void E5M2DecodeMatchesEveryByte()
    {
        using var f = SafetensorsFile.Open(Reference);
        var expected = f.ReadF32("e5m2.decode");
        for (int b = 0; b < 256; b++) AssertSameValue(expected[b], Fp8E5M2.ToSingle((byte)b), $"e5m2 byte 0x{b:x2}");
        Assert.Equal(6, expected.Count(float.IsNaN));
        Assert.Equal(2, expected.Count(float.IsInfinity));
    }

    private static void AssertEncodes(string codesName, Func<float, byte> encode)
    {
        using var f = SafetensorsFile.Open(Reference);
        var input = f.ReadF32("encode.in");
        var codes = f.GetBytes(codesName).ToArray();
        Assert.Equal(input.Length, codes.Length);
        Assert.True(input.Length > 20000);
        var bad = Enumerable.Range(0, input.Length).Where(i => encode(input[i]) != codes[i]).ToArray();
        Assert.True(bad.Length == 0, $"{bad.Length} mismatches, first: " + string.Join("; ",
            bad.Take(5).Select(i => $"[{i}] {input[i]:R} (0x{BitConverter.SingleToUInt32Bits(input[i]):x8}) -> 0x{encode(input[i]):x2}, expected 0x{codes[i]:x2}")));
    }

    [Fact]
    public void E4M3FnEncodeMatchesPyTorch() => AssertEncodes("encode.e4m3fn", Fp8E4M3.FromSingle);

    [Fact]
    public void E5M2EncodeMatchesPyTorch() => AssertEncodes("encode.e5m2", Fp8E5M2.FromSingle);

    [Theory]
    [InlineData(0f, 0x00)]
    [InlineData(-0f, 0x80)]
    [InlineData(448f, 0x7E)]
    [InlineData(-448f, 0xFE)]
    [InlineData(464f, 0x7E)]        // the midpoint between 448 and (absent) 480 ties to even: 448
    [InlineData(464.00003f, 0x7F)]  // just past it: NaN, E4M3FN has no infinity
    [InlineData(-1e6f, 0xFF)]
    [InlineData(float.PositiveInfinity, 0x7F)]
    [InlineData(float.NegativeInfinity, 0xFF)]
    [InlineData(0.001953125f, 0x01)]   // 2^-9, smallest subnormal
    [InlineData(0.0009765625f, 0x00)]  // 2^-10, half of it: tie to even (zero)
    [InlineData(-0.0009765625f, 0x80)] // keeps the sign
    [InlineData(0.0029296875f, 0x02)]  // 1.5 x 2^-9: tie to even (2)
    [InlineData(0.0009765626f, 0x01)]  // just above the tie
    [InlineData(0.013671875f, 0x07)]   // 7 x 2^-9, largest subnormal
    [InlineData(0.0146484375f, 0x08)]  // 7.5 x 2^-9: ties up to the smallest normal 2^-6
    [InlineData(1.0625f, 0x38)]        // tie between 1 and 1.125: even (1)
    [InlineData(1.1875f, 0x3A)]        // tie between 1.125 and 1.25: even (1.25)
    [InlineData(1e-30f, 0x00)]
    public void E4M3FnEdgeCases(float x, int code) => Assert.Equal((byte)code, Fp8E4M3.FromSingle(x));

    [Theory]
    [InlineData(57344f, 0x7B)]
    [InlineData(61439.996f, 0x7B)]
    [InlineData(61440f, 0x7C)]        // tie between 57344 and 65536 goes to even, which is infinity
    [InlineData(-1e9f, 0xFC)]
    [InlineData(float.PositiveInfinity, 0x7C)]
    [InlineData(float.NegativeInfinity, 0xFC)]
    [InlineData(-0f, 0x80)]
    [InlineData(1.52587890625e-05f, 0x01)] // 2^-16, smallest subnormal
    [InlineData(7.62939453125e-06f, 0x00)] // 2^-17: tie to even (zero)
    [InlineData(1.125f, 0x3C)]             // tie between 1 and 1.25: even (1)
    [InlineData(1.375f, 0x3E)]             // tie between 1.25 and 1.5: even (1.5)
    public void E5M2EdgeCases(float x, int code) => Assert.Equal((byte)code, Fp8E5M2.FromSingle(x));

    /// <summary>
    /// NaN keeps its sign, as in PyTorch's casts (c10 ORs the sign into the result). Note that .NET's
    /// <c>float.NaN</c> is 0xFFC00000 (sign set) while Python's <c>float('nan')</c> is 0x7FC00000.
    /// </summary>
    [Theory]
    [InlineData(0x7FC00000u, 0x7F, 0x7F)]
    [InlineData(0xFFC00000u, 0xFF, 0xFF)]
    [InlineData(0x7F800001u, 0x7F, 0x7F)]
    [InlineData(0xFFFFFFFFu, 0xFF, 0xFF)]
    public void NaNKeepsItsSign(uint bits, int e4m3, int e5m2)
    {
        float x = BitConverter.UInt32BitsToSingle(bits);
        Assert.Equal((byte)e4m3, Fp8E4M3.FromSingle(x));
        Assert.Equal((byte)e5m2, Fp8E5M2.FromSingle(x));
        Assert.Equal(0xFFC00000u, BitConverter.SingleToUInt32Bits(float.NaN));
    }

    /// <summary>The bit-level encoders against their exact (double arithmetic) twins, densely around every rounding boundary.</summary>
    [Fact]
    public void FastFp8EncodersMatchExactReference()
    {
        var probes = new List<uint>();
        var rng = new Random(3);
        for (int n = 0; n < 300_000; n++) probes.Add((uint)rng.NextInt64(0, 1L << 32));
        foreach (var table in new[] { Fp8E4M3.DecodeTable.ToArray(), Fp8E5M2.DecodeTable.ToArray() })
        {
            var values = table.Where(float.IsFinite).Select(Math.Abs).Distinct().Order().ToList();
            values.Add(2 * values[^1]); // beyond the largest finite value
            for (int i = 0; i + 1 < values.Count; i++)
            {
                foreach (float v in new[] { values[i], (values[i] + values[i + 1]) / 2 })
                {
                    uint b = BitConverter.SingleToUInt32Bits(v);
                    for (int d = -40; d <= 40; d++)
                    {
                        probes.Add((uint)(b + d));
                        probes.Add((uint)(b + d) | 0x80000000u);
                    }
                }
            }
        }
        probes.AddRange([0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0x00000001u, 0x80000001u, 0x477FFFFFu, 0x47800000u]);
        foreach (uint bits in probes)
        {
            float x = BitConverter.UInt32BitsToSingle(bits);
            Assert.True(Fp8E4M3.FromSingleReference(x) == Fp8E4M3.FromSingle(x), $"e4m3 0x{bits:x8}: fast 0x{Fp8E4M3.FromSingle(x):x2}, exact 0x{Fp8E4M3.FromSingleReference(x):x2}");
            Assert.True(Fp8E5M2.FromSingleReference(x) == Fp8E5M2.FromSingle(x), $"e5m2 0x{bits:x8}: fast 0x{Fp8E5M2.FromSingle(x):x2}, exact 0x{Fp8E5M2.FromSingleReference(x):x2}");
        }
        var span = new byte[3];
        Fp8E4M3.FromSingle([1f, -448f, 500f], span);
        Assert.Equal(new byte[] { 0x38, 0xFE, 0x7F }, span);
        Fp8E5M2.FromSingle([1f, -57344f, 1e6f], span);
        Assert.Equal(new byte[] { 0x3C, 0xFB, 0x7C }, span);
    }

    [Fact]
    public void EveryFp8ValueEncodesToItsOwnByte()
    {
        for (int b = 0; b < 256; b++)
        {
            float v4 = Fp8E4M3.ToSingle((byte)b);
            if (!float.IsNaN(v4)) Assert.Equal((byte)b, Fp8E4M3.FromSingle(v4));
            float v5 = Fp8E5M2.ToSingle((byte)b);
            if (!float.IsNaN(v5)) Assert.Equal((byte)b, Fp8E5M2.FromSingle(v5));
        }
    }

    [Theory]
    [InlineData(0x3F800000u, 0x3F80)] // 1
    [InlineData(0x3F808000u, 0x3F80)] // 1 + 2^-8: tie, even stays down
    [InlineData(0x3F818000u, 0x3F82)] // tie with odd lsb rounds up
    [InlineData(0x3F808001u, 0x3F81)] // just above the tie
    [InlineData(0x3F807FFFu, 0x3F80)] // just below the tie
    [InlineData(0xBF818000u, 0xBF82)] // negative tie, away from zero to even
    [InlineData(0x7F800000u, 0x7F80)] // +inf
    [InlineData(0xFF800000u, 0xFF80)] // -inf
    [InlineData(0x7F7FFFFFu, 0x7F80)] // float.MaxValue rounds to inf
    [InlineData(0x7F7F7FFFu, 0x7F7F)] // largest value that stays finite
    [InlineData(0x7F7F8000u, 0x7F80)] // tie at the top rounds to even: inf
    [InlineData(0x80000000u, 0x8000)] // -0
    [InlineData(0x00000001u, 0x0000)] // smallest subnormal rounds to 0
    [InlineData(0x00018000u, 0x0002)] // subnormal tie to even
    [InlineData(0x7FC00000u, 0x7FC0)] // quiet NaN
    [InlineData(0xFFC00000u, 0x7FC0)] // negative NaN: canonical, as PyTorch
    [InlineData(0x7F800001u, 0x7FC0)] // signalling NaN whose payload is only in the low bits must stay NaN
    [InlineData(0x7FFFFFFFu, 0x7FC0)] // NaN that would round up into the sign bit
    public void BFloat16RoundsToNearestEven(uint floatBits, int expected)
    {
        Assert.Equal((ushort)expected, BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(floatBits)));
    }

    [Fact]
    public void BFloat16RoundTripsEveryNonNaNPatternAndSpanConversionsAgree()
    {
        var all = new ushort[65536];
        var floats = new float[65536];
        for (int i = 0; i < all.Length; i++) all[i] = (ushort)i;
        BFloat16.ToSingle(all, floats);
        var back = new ushort[65536];
        BFloat16.FromSingle(floats, back);
        for (int i = 0; i < all.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToUInt32Bits(floats[i]), (uint)i << 16);
            if (float.IsNaN(floats[i])) Assert.Equal(BFloat16.CanonicalNaN, back[i]);
            else Assert.Equal((ushort)i, back[i]);
        }
        Assert.Equal(3.140625f, BFloat16.Round(3.14159265f));
        Assert.Throws<ArgumentException>(() => BFloat16.ToSingle(new ushort[3], new float[2]));
    }

    [Fact]
    public void BFloat16MatchesExactRoundingOnRandomFloats()
    {
        // Independent reference: pick the nearer of the two neighbouring BF16 values in double arithmetic.
        var rng = new Random(11);
        for (int n = 0; n < 200_000; n++)
        {
            uint bits = (uint)rng.NextInt64(0, 1L << 32);
            float x = BitConverter.UInt32BitsToSingle(bits);
            if (!float.IsFinite(x)) continue;
            ushort lo = (ushort)(bits >> 16);
            double a = BFloat16.ToSingle(lo), b = NextAway(lo);
            double dx = Math.Abs(x - a), dy = Math.Abs(b - x);
            ushort expected = dx < dy ? lo : dx > dy ? (ushort)(lo + 1) : (lo & 1) == 0 ? lo : (ushort)(lo + 1);
            Assert.Equal(expected, BFloat16.FromSingle(x));
        }

        static double NextAway(ushort lo)
        {
            // The BF16 value one step further from zero (infinity past the largest finite one, where the gap is 2^(127-7)).
            ushort up = (ushort)(lo + 1);
            return (up & 0x7FFF) == 0x7F80 ? Math.CopySign(Math.Pow(2, 128), BFloat16.ToSingle(lo)) : BFloat16.ToSingle(up);
        }
    }
}
