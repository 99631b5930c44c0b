using System;

namespace SourceGenNN.Cuda;

/// <summary>Whether CUDA can be used in this process, asked without throwing.</summary>
public static class Cuda
{
    private static readonly object Gate = new();
    private static bool _probed;
    private static string? _reason;

    /// <summary>
    /// Null when CUDA is usable (the libraries load and at least one device is present); otherwise why not: which
    /// library is missing and where it was looked for, or that there is no device. Never throws; the answer is cached.
    /// </summary>
    public static string? UnavailableReason()
    {
        lock (Gate)
        {
            if (_probed) return _reason;
            _probed = true;
            _reason = Probe();
            return _reason;
        }
    }

    /// <summary>True when <see cref="UnavailableReason"/> is null.</summary>
    public static bool IsAvailable => UnavailableReason() is null;

    /// <summary>Throws <see cref="CudaUnavailableException"/> with the reason when CUDA is not usable.</summary>
    public static void EnsureAvailable()
    {
        string? reason = UnavailableReason();
        if (reason is not null) throw new CudaUnavailableException(reason);
    }

    private static string? Probe()
    {
        try
        {
            CudaLibraries.Load();
            int status = CudaNative.cudaGetDeviceCount(out int count);
            if (status != 0)
            {
                var (name, text) = CudaErrorText.Describe(CudaLibrary.Runtime, status);
                return $"cudaGetDeviceCount failed with {name} ({text}); is the NVIDIA driver installed and a GPU visible?";
            }
            if (count <= 0) return "no CUDA device is visible (cudaGetDeviceCount returned 0)";
            return null;
        }
        catch (CudaUnavailableException e)
        {
            return e.Reason;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return e.GetType().Name + ": " + e.Message;
        }
        catch (Exception e)
        {
            return "probing CUDA failed: " + e.GetType().Name + ": " + e.Message;
        }
    }
}
