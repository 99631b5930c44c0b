// netstandard2.0 lacks this marker type, which C# records and init accessors need.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit { }
