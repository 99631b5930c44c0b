using System.Linq;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// Layer normalisation, PyTorch's <c>nn.LayerNorm(normalized_shape, eps, elementwise_affine)</c>: each group of the
/// trailing <see cref="NormalizedShape"/> elements is normalised to zero mean and unit (biased) variance, then scaled by
/// <c>weight</c> and shifted by <c>bias</c>, both of that shape (ones and zeros at first).
/// </summary>
internal sealed record LayerNormLayer(LayerCore Core, Shape NormalizedShape, double Eps, bool Affine) : LayerInfo(Core)
{
    public override string Kind => LayerKindNames.LayerNorm;

    /// <summary>The elements normalised together: the product of <see cref="NormalizedShape"/>.</summary>
    public int GroupSize => NormalizedShape.Size;

    /// <summary>The groups of one sample.</summary>
    public int Groups => Input.Size / GroupSize;

    public override EquatableArray<OptionInfo> Options => new[]
    {
        OptionInfo.IntList("normalized_shape", NormalizedShape.Dims, shown: NormalizedShape.Rank > 1),
        OptionInfo.Double("eps", Eps, shown: Eps != OptionDefaults.LayerNormEps),
        OptionInfo.Bool("elementwise_affine", Affine, shown: Affine != OptionDefaults.LayerNormAffine),
    }.ToEquatableArray();

    public override EquatableArray<ParameterInfo> Parameters => Affine
        ? new[]
        {
            new ParameterInfo("weight", NormalizedShape, new InitInfo("Ones", 0, 0, GroupSize, GroupSize)),
            new ParameterInfo("bias", NormalizedShape, new InitInfo("Zeros", 0, 0, GroupSize, GroupSize)),
        }.ToEquatableArray()
        : EquatableArray<ParameterInfo>.Empty;

    public static LayerInfo? Parse(LayerParseContext c)
    {
        var input = c.InputShape;
        var given = c.Args.Numbers("normalizedShape").Select(d => (int)d).ToArray();
        Shape normalized;
        if (given.Length == 0)
        {
            normalized = Shape.Of(input.Last); // nn.LayerNorm(x.shape[-1]), the common case
        }
        else
        {
            normalized = Shape.Of(given);
            bool fits = given.Length <= input.Rank;
            for (int i = 0; fits && i < given.Length; i++)
                fits = given[i] == input.Dims[input.Rank - given.Length + i];
            if (!fits)
                c.ShapeError($"normalized_shape {normalized.Text} must equal the last {given.Length} dimension(s) of the input {input.BatchText}: " +
                    $"write [LayerNorm({string.Join(", ", input.Dims.Skip(System.Math.Max(0, input.Rank - given.Length)))})], or [LayerNorm] for the last dimension");
        }
        double eps = c.Args.Number("Eps", OptionDefaults.LayerNormEps);
        c.Require(eps > 0 && !double.IsInfinity(eps), "Eps", eps, "positive, for example 1e-5");
        bool affine = c.Args.Number("ElementwiseAffine", OptionDefaults.LayerNormAffine ? 1 : 0) != 0;
        return c.HasErrors ? null : new LayerNormLayer(c.Core(input), normalized, eps, affine);
    }
}
