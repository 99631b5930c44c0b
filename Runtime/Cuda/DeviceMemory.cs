using System;
using System.Runtime.InteropServices;
using SourceGenNN.CompilerServices;

namespace SourceGenNN.Cuda;

/// <summary>A block of device memory holding <see cref="Length"/> floats (<c>cudaMalloc</c>/<c>cudaFree</c>).</summary>
internal sealed class DeviceBuffer : IDisposable
{
    private IntPtr _pointer;

    /// <summary>Allocates <paramref name="length"/> floats on the current device (contents undefined).</summary>
    public DeviceBuffer(long length) : this(length, sizeof(float)) { }

    /// <summary>Allocates <paramref name="length"/> elements of <paramref name="elementSize"/> bytes.</summary>
    public DeviceBuffer(long length, int elementSize)
    {
        if (length < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(length), length, "a length ≥ 0");
        if (elementSize <= 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(elementSize), elementSize, "a positive element size");
        CudaLibraries.Load();
        Length = length;
        ElementSize = elementSize;
        if (length > 0) Check.Runtime(CudaNative.cudaMalloc(out _pointer, (nuint)(length * elementSize)));
    }

    /// <summary>The number of elements.</summary>
    public long Length { get; }

    /// <summary>The size of one element in bytes.</summary>
    public int ElementSize { get; }

    /// <summary>The size in bytes.</summary>
    public long Bytes => Length * ElementSize;

    /// <summary>The device pointer (a <c>CUdeviceptr</c>).</summary>
    public IntPtr Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == IntPtr.Zero && Length > 0, this);
            return _pointer;
        }
    }

    /// <summary>The device pointer of element <paramref name="index"/>.</summary>
    public IntPtr At(long index) => Pointer + (nint)(index * ElementSize);

    /// <summary>Copies host floats into the buffer, starting at element <paramref name="offset"/>: waits for all device work first and for the copy.</summary>
    public unsafe void Upload(ReadOnlySpan<float> source, long offset = 0)
    {
        CheckRange(source.Length, offset, nameof(source));
        if (source.IsEmpty) return;
        // Our streams are non-blocking: synchronise the device around the legacy-stream copy so that it is ordered
        // after earlier work and complete on return. Not for hot paths; the executors use pinned async copies.
        Check.Runtime(CudaNative.cudaDeviceSynchronize());
        fixed (float* p = source)
            Check.Runtime(CudaNative.cudaMemcpy(At(offset), (IntPtr)p, (nuint)source.Length * sizeof(float), CudaNative.MemcpyHostToDevice));
        Check.Runtime(CudaNative.cudaDeviceSynchronize());
    }

    /// <summary>Copies floats from the buffer to the host, starting at element <paramref name="offset"/>: waits for all device work first.</summary>
    public unsafe void Download(Span<float> destination, long offset = 0)
    {
        CheckRange(destination.Length, offset, nameof(destination));
        if (destination.IsEmpty) return;
        Check.Runtime(CudaNative.cudaDeviceSynchronize()); // earlier work on any stream finishes first
        fixed (float* p = destination)
            Check.Runtime(CudaNative.cudaMemcpy((IntPtr)p, At(offset), (nuint)destination.Length * sizeof(float), CudaNative.MemcpyDeviceToHost));
    }

    /// <summary>Copies the whole buffer to a new host array.</summary>
    public float[] ToArray()
    {
        var a = new float[Length];
        Download(a);
        return a;
    }

    private void CheckRange(int count, long offset, string parameter)
    {
        if (ElementSize != sizeof(float)) ThrowHelper.ThrowInvalidOperation("Upload/Download of floats needs a float buffer.");
        if (offset < 0 || offset + count > Length)
            ThrowHelper.ThrowArgumentOutOfRange(parameter, count, $"at most {Length - offset} elements from offset {offset} (buffer of {Length})");
    }

    /// <summary>Frees the device memory.</summary>
    public void Dispose()
    {
        IntPtr p = _pointer;
        _pointer = IntPtr.Zero;
        if (p != IntPtr.Zero) CudaNative.cudaFree(p); // a failure here has nowhere useful to go
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory if <see cref="Dispose"/> was not called.</summary>
    ~DeviceBuffer()
    {
        if (_pointer != IntPtr.Zero) CudaNative.cudaFree(_pointer);
    }
}

/// <summary>Page-locked host memory (<c>cudaMallocHost</c>) for fast, asynchronous copies. Allocate once, reuse.</summary>
internal sealed unsafe class PinnedBuffer : IDisposable
{
    private IntPtr _pointer;

    /// <summary>Allocates <paramref name="length"/> pinned floats.</summary>
    public PinnedBuffer(int length)
    {
        if (length < 0) ThrowHelper.ThrowArgumentOutOfRange(nameof(length), length, "a length ≥ 0");
        CudaLibraries.Load();
        Length = length;
        if (length > 0) Check.Runtime(CudaNative.cudaMallocHost(out _pointer, (nuint)((long)length * sizeof(float))));
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The host pointer.</summary>
    public IntPtr Pointer => _pointer;

    /// <summary>The memory as a span.</summary>
    public Span<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == IntPtr.Zero && Length > 0, this);
            return new Span<float>((void*)_pointer, Length);
        }
    }

    /// <summary>Frees the pinned memory.</summary>
    public void Dispose()
    {
        IntPtr p = _pointer;
        _pointer = IntPtr.Zero;
        if (p != IntPtr.Zero) CudaNative.cudaFreeHost(p);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory if <see cref="Dispose"/> was not called.</summary>
    ~PinnedBuffer()
    {
        if (_pointer != IntPtr.Zero) CudaNative.cudaFreeHost(_pointer);
    }
}
