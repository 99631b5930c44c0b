using System.Runtime.Intrinsics;

namespace SourceGenNN.Kernels;

/// <summary>
/// An element-wise activation <c>a = f(z)</c> and its derivative, at every vector width. Kernels take the operator as a
/// struct type argument so that the JIT inlines it; parameterised activations (LeakyReLU's slope) carry their
/// parameters as readonly fields.
/// </summary>
public interface IActivationOperator
{
    /// <summary>f(z) for one element.</summary>
    float Invoke(float z);

    /// <summary>f(z) for 4 elements.</summary>
    Vector128<float> Invoke(Vector128<float> z);

    /// <summary>f(z) for 8 elements.</summary>
    Vector256<float> Invoke(Vector256<float> z);

    /// <summary>f(z) for 16 elements.</summary>
    Vector512<float> Invoke(Vector512<float> z);

    /// <summary>f'(z), given both the input <paramref name="z"/> and the output <paramref name="a"/> = f(z).</summary>
    float Derivative(float z, float a);

    /// <summary>f'(z) for 4 elements.</summary>
    Vector128<float> Derivative(Vector128<float> z, Vector128<float> a);

    /// <summary>f'(z) for 8 elements.</summary>
    Vector256<float> Derivative(Vector256<float> z, Vector256<float> a);

    /// <summary>f'(z) for 16 elements.</summary>
    Vector512<float> Derivative(Vector512<float> z, Vector512<float> a);
}
