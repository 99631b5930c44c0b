namespace SourceGenNN;

/// <summary>
/// A network whose training passes draw random numbers (dropout masks, RReLU slopes) from a counter-based stream. The
/// draws of one pass are keyed by <see cref="RandomSeed"/>, the layer's index and <see cref="RandomStep"/>, the number
/// of training forward passes before it. So two networks with the same seed and step draw the same masks. Generated
/// networks implement it; <see cref="Training.Trainer"/> uses it to give the GPU the CPU's masks.
/// </summary>
public interface IRandomStream
{
    /// <summary>The seed that keys the draws: the seed the network was initialised with.</summary>
    ulong RandomSeed { get; }

    /// <summary>The number of training forward passes so far; the next one is keyed by this value. Setting it replays a pass.</summary>
    ulong RandomStep { get; set; }
}
