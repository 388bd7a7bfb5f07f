using System.Numerics;
using System.Numerics.Tensors;
using FastSeq.Kernels;

namespace FastSeq.Layers;

/// <summary>The activations that act on each value alone (all but softmax), forward and backward.</summary>
internal static class ElementwiseActivation
{
    /// <summary><c>y = a(x)</c>; <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    public static void Apply(Activation activation, ReadOnlySpan<float> x, Span<float> y)
    {
        switch (activation)
        {
            case Activation.Linear:
                x.CopyTo(y);
                break;
            case Activation.Tanh:
                GateActivations.Tanh(x, y);
                break;
            case Activation.Sigmoid:
                GateActivations.Sigmoid(x, y);
                break;
            case Activation.Relu:
                TensorPrimitives.Max(x, 0f, y);
                break;
            default:
                throw new ArgumentException($"{activation} is not an elementwise activation.", nameof(activation));
        }
    }

    /// <summary>
    /// <c>result = gradient ⊙ a'(x)</c>, with the derivative written through the output <c>y = a(x)</c>:
    /// tanh 1 - y², sigmoid y(1 - y), relu [y > 0] (which is [x > 0]). <paramref name="result"/> may be <paramref name="gradient"/> itself.
    /// </summary>
    public static void MultiplyByDerivative(Activation activation, ReadOnlySpan<float> y, ReadOnlySpan<float> gradient, Span<float> result)
    {
        int length = result.Length;
        y = y[..length];
        gradient = gradient[..length];
        switch (activation)
        {
            case Activation.Linear:
                gradient.CopyTo(result);
                break;
            case Activation.Tanh:
            case Activation.Sigmoid:
                // Both are offset + y·(shift - y): tanh 1 - y² (offset 1, shift 0), sigmoid y(1 - y) (offset 0, shift 1).
                bool tanh = activation == Activation.Tanh;
                var offset = new Vector<float>(tanh ? 1f : 0f);
                var shift = new Vector<float>(tanh ? 0f : 1f);
                int j = 0;
                for (; j <= length - Vector<float>.Count; j += Vector<float>.Count)
                {
                    var vy = new Vector<float>(y[j..]);
                    (new Vector<float>(gradient[j..]) * (offset + (vy * (shift - vy)))).CopyTo(result[j..]);
                }
                for (; j < length; j++)
                    result[j] = gradient[j] * (tanh ? 1f - (y[j] * y[j]) : y[j] * (1f - y[j]));
                break;
            case Activation.Relu:
                for (int k = 0; k < length; k++)
                    result[k] = y[k] > 0f ? gradient[k] : 0f;
                break;
            default:
                throw new ArgumentException($"{activation} is not an elementwise activation.", nameof(activation));
        }
    }
}
