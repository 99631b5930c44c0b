using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// Tests that change the process-wide <see cref="SourceGenNN.Kernels.Parallelism.MaxThreads"/> run one at a time, so
/// that a test asking for 2 threads really gets 2 and one restoring the setting never races another. Test classes
/// that assert a pass allocates 0 bytes run here too, away from concurrent tests: one such assertion saw 5,616 bytes
/// once in a full parallel run and never alone (cause not found).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelThreadsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Kernel threads";
}
