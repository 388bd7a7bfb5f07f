using System.Globalization;
using System.Text;

namespace FastSeq.Tests.IO;

/// <summary>Builds safetensors bytes by hand, including invalid ones, independently of the library's writer.</summary>
internal static class SafeTensorsBytes
{
    public static byte[] Build(string headerJson, byte[] data, ulong? headerLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>A valid file of the given tensors, contiguous in the order given.</summary>
    public static byte[] Build(params (string Name, string DType, int[] Shape, byte[] Data)[] tensors)
    {
        var json = new StringBuilder("{");
        long offset = 0;
        foreach ((string name, string dtype, int[] shape, byte[] data) in tensors)
        {
            if (json.Length > 1)
                json.Append(',');
            json.Append(CultureInfo.InvariantCulture,
                $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + data.Length}]}}");
            offset += data.Length;
        }

        json.Append('}');
        return Build(json.ToString(), [.. tensors.SelectMany(t => t.Data)]);
    }

    public static byte[] Floats(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];
}
