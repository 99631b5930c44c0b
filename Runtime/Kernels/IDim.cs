namespace SourceGenNN.Kernels;

/// <summary>
/// A dimension known at compile time. Generated code declares one struct per size (<c>D784 : IDim</c>) and passes it
/// as a type argument; because the JIT specialises generic code for each struct, <c>TDim.Value</c> becomes a constant
/// and every loop bound in the kernel is a constant too.
/// </summary>
public interface IDim
{
    /// <summary>The size.</summary>
    static abstract int Value { get; }
}
