using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// BatchNorm1d ([C] or [C, L]) and BatchNorm2d ([C, H, W]): per channel (the first dimension of a sample), normalised
/// over the batch and the other dimensions, with running statistics as state buffers.
/// </summary>
internal sealed record BatchNormLayer(LayerCore Core, string BatchNormKind, double Eps, double Momentum, bool Affine, bool Track) : LayerInfo(Core)
{
    public override string Kind => BatchNormKind;

    public int Channels => Input.Dims[0];

    /// <summary>Elements of one channel of one sample (L, or H·W; 1 for a vector).</summary>
    public int Inner => Input.Size / Channels;

    public override EquatableArray<OptionInfo> Options => new[]
    {
        OptionInfo.Int("num_features", Channels, shown: false),
        OptionInfo.Double("eps", Eps, shown: Eps != OptionDefaults.BatchNormEps),
        OptionInfo.Double("momentum", Momentum, shown: Momentum != OptionDefaults.BatchNormMomentum),
        OptionInfo.Bool("affine", Affine, shown: Affine != OptionDefaults.BatchNormAffine),
        OptionInfo.Bool("track_running_stats", Track, shown: Track != OptionDefaults.BatchNormTrackRunningStats),
    }.ToEquatableArray();

    public override EquatableArray<ParameterInfo> Parameters => Affine
        ? new[]
        {
            new ParameterInfo("weight", Shape.Of(Channels), new InitInfo("Ones", 0, 0, Channels, Channels)),
            new ParameterInfo("bias", Shape.Of(Channels), new InitInfo("Zeros", 0, 0, Channels, Channels)),
        }.ToEquatableArray()
        : EquatableArray<ParameterInfo>.Empty;

    public override EquatableArray<BufferInfo> Buffers => Track
        ? new[]
        {
            new BufferInfo("running_mean", Shape.Of(Channels), 0, IsInteger: false),
            new BufferInfo("running_var", Shape.Of(Channels), 1, IsInteger: false),
            new BufferInfo("num_batches_tracked", Shape.Of(), 0, IsInteger: true),
        }.ToEquatableArray()
        : EquatableArray<BufferInfo>.Empty;

    public static LayerInfo? Parse(LayerParseContext c)
    {
        string kind = c.Args.ShortName;
        var input = c.InputShape;
        bool twoD = kind == LayerKindNames.BatchNorm2d;
        if (twoD ? input.Rank != 3 : input.Rank is not (1 or 2))
        {
            c.Report(DiagnosticDescriptors.WrongInputRank, kind, twoD ? "[C, H, W]" : "[C] or [C, L]", input.BatchText, Lit.I(input.Rank),
                twoD ? "use BatchNorm1d for [C] or [C, L]" : "use BatchNorm2d for [C, H, W]");
            return null;
        }
        double eps = c.Args.Number("Eps", OptionDefaults.BatchNormEps);
        double momentum = c.Args.Number("Momentum", OptionDefaults.BatchNormMomentum);
        c.Require(eps > 0 && !double.IsInfinity(eps), "Eps", eps, "positive, for example 1e-5");
        c.Require(momentum >= 0 && momentum <= 1, "Momentum", momentum, "in [0, 1], for example 0.1");
        bool affine = c.Args.Number("Affine", OptionDefaults.BatchNormAffine ? 1 : 0) != 0;
        bool track = c.Args.Number("TrackRunningStats", OptionDefaults.BatchNormTrackRunningStats ? 1 : 0) != 0;
        return c.HasErrors ? null : new BatchNormLayer(c.Core(input), kind, eps, momentum, affine, track);
    }
}
