using System;
using System.Runtime.InteropServices;

namespace SourceGenNN.Distributed;

/// <summary>
/// The few Open MPI calls data-parallel training needs, bound with <see cref="LibraryImportAttribute"/> to the logical
/// library <see cref="MpiLibrary.Name"/>, which <see cref="MpiLibrary"/>'s resolver maps to the <c>libmpi</c> it loaded.
/// Handles (<c>MPI_Comm</c>, <c>MPI_Datatype</c>, <c>MPI_Op</c>, <c>MPI_Request</c>) are pointers in Open MPI; the
/// predefined ones are the addresses of exported objects (<see cref="MpiLibrary.CommWorld"/> and its neighbours).
/// </summary>
internal static unsafe partial class MpiNative
{
    /// <summary><c>MPI_IN_PLACE</c> in Open MPI: <c>(void*)1</c>.</summary>
    public static readonly void* InPlace = (void*)1;

    /// <summary><c>MPI_ANY_SOURCE</c>.</summary>
    public const int AnySource = -1;

    /// <summary><c>MPI_MAX_ERROR_STRING</c> in Open MPI.</summary>
    public const int MaxErrorString = 256;

    /// <summary>Open MPI's <c>MPI_Status</c>: source, tag, error, then two internal fields (24 bytes; room for more).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct Status
    {
        public int Source;
        public int Tag;
        public int Error;
    }

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Init")]
    public static partial int Init(int* argc, byte*** argv);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Initialized")]
    public static partial int Initialized(out int flag);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Finalized")]
    public static partial int Finalized(out int flag);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Finalize")]
    public static partial int FinalizeMpi();

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Abort")]
    public static partial int Abort(IntPtr comm, int errorCode);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Comm_rank")]
    public static partial int CommRank(IntPtr comm, out int rank);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Comm_size")]
    public static partial int CommSize(IntPtr comm, out int size);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Comm_set_errhandler")]
    public static partial int CommSetErrhandler(IntPtr comm, IntPtr errhandler);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Error_string")]
    public static partial int ErrorString(int errorCode, byte* text, out int length);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Allreduce")]
    public static partial int Allreduce(void* send, void* receive, int count, IntPtr datatype, IntPtr op, IntPtr comm);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Iallreduce")]
    public static partial int Iallreduce(void* send, void* receive, int count, IntPtr datatype, IntPtr op, IntPtr comm, out IntPtr request);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Bcast")]
    public static partial int Bcast(void* buffer, int count, IntPtr datatype, int root, IntPtr comm);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Ibcast")]
    public static partial int Ibcast(void* buffer, int count, IntPtr datatype, int root, IntPtr comm, out IntPtr request);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Ibarrier")]
    public static partial int Ibarrier(IntPtr comm, out IntPtr request);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Test")]
    public static partial int Test(ref IntPtr request, out int flag, Status* status);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Isend")]
    public static partial int Isend(void* buffer, int count, IntPtr datatype, int destination, int tag, IntPtr comm, out IntPtr request);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Iprobe")]
    public static partial int Iprobe(int source, int tag, IntPtr comm, out int flag, Status* status);

    [LibraryImport(MpiLibrary.Name, EntryPoint = "MPI_Recv")]
    public static partial int Recv(void* buffer, int count, IntPtr datatype, int source, int tag, IntPtr comm, Status* status);
}
