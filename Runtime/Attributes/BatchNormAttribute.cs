using System;

namespace SourceGenNN;

/// <summary>
/// Batch normalisation over the channels of vectors or sequences, PyTorch's <c>nn.BatchNorm1d</c>: the input is [C] or
/// [C, L] per sample and C is inferred from it. In training each channel is normalised with the statistics of the batch
/// (over the samples and L): the biased variance for normalising, the unbiased one for the running estimate, updated as
/// <c>running = (1 − momentum)·running + momentum·batch</c>. In evaluation the running statistics are used.
/// <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c> are state buffers: saved and loaded with the
/// weights (<see cref="INetwork.Buffers"/>), never trained.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNorm1dAttribute : LayerAttribute
{
    /// <summary>Added to the variance before the square root (default 1e-5).</summary>
    public double Eps { get; set; } = OptionDefaults.BatchNormEps;

    /// <summary>The weight of the new batch statistic in the running estimate (default 0.1, PyTorch's convention).</summary>
    public double Momentum { get; set; } = OptionDefaults.BatchNormMomentum;

    /// <summary>Whether the layer has the learnable per-channel <c>weight</c> and <c>bias</c> (default true).</summary>
    public bool Affine { get; set; } = OptionDefaults.BatchNormAffine;

    /// <summary>
    /// Whether the layer keeps running statistics (default true). Without them it has no buffers and normalises with the
    /// batch's statistics in evaluation too, as PyTorch does.
    /// </summary>
    public bool TrackRunningStats { get; set; } = OptionDefaults.BatchNormTrackRunningStats;
}

/// <summary>
/// Batch normalisation over the channels of images, PyTorch's <c>nn.BatchNorm2d</c>: the input is [C, H, W] per sample;
/// each channel is normalised over the batch and its H·W positions. Otherwise as <see cref="BatchNorm1dAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNorm2dAttribute : LayerAttribute
{
    /// <inheritdoc cref="BatchNorm1dAttribute.Eps"/>
    public double Eps { get; set; } = OptionDefaults.BatchNormEps;

    /// <inheritdoc cref="BatchNorm1dAttribute.Momentum"/>
    public double Momentum { get; set; } = OptionDefaults.BatchNormMomentum;

    /// <inheritdoc cref="BatchNorm1dAttribute.Affine"/>
    public bool Affine { get; set; } = OptionDefaults.BatchNormAffine;

    /// <inheritdoc cref="BatchNorm1dAttribute.TrackRunningStats"/>
    public bool TrackRunningStats { get; set; } = OptionDefaults.BatchNormTrackRunningStats;
}
