using Xunit;

namespace SourceGenNN.Tests.Kernels;

/// <summary>
/// Tests that change the process-wide <see cref="SourceGenNN.Kernels.Parallelism.MaxThreads"/> run one at a time, so
/// that a test asking for 2 threads really gets 2 and one restoring the setting never races another.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelThreadsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Kernel threads";
}
