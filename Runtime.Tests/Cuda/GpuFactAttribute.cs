using System;
using SourceGenNN.Cuda;
using Xunit;

namespace SourceGenNN.Tests.Cuda;

/// <summary>
/// A fact that needs a CUDA GPU: skipped with "CUDA not available: reason" where the probe says so, unless
/// SOURCEGENNN_REQUIRE_GPU=1, when it runs and fails loudly (a GPU machine with a broken library path).
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        string? reason = SourceGenNN.Cuda.Cuda.UnavailableReason();
        if (reason is not null && Environment.GetEnvironmentVariable("SOURCEGENNN_REQUIRE_GPU") != "1")
            Skip = "CUDA not available: " + reason.Split('\n')[0];
    }
}

/// <summary>
/// A fact about the machine without a GPU (the reasons CUDA gives when it is missing): skipped where CUDA is usable.
/// </summary>
public sealed class NoGpuFactAttribute : FactAttribute
{
    public NoGpuFactAttribute()
    {
        if (SourceGenNN.Cuda.Cuda.UnavailableReason() is null) Skip = "CUDA is available here: this checks the message given without it";
    }
}
