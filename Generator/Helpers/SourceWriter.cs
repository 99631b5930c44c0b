using System;
using System.Globalization;
using System.Text;

namespace SourceGenNN.Generator.Helpers;

/// <summary>An indented text writer for generated C#: <see cref="Block"/> opens a brace and closes it on dispose.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            _sb.Append(' ', _indent * 4);
            _sb.Append(text);
        }
        _sb.Append('\n');
    }

    /// <summary>Writes each line of a multi-line fragment at the current indentation.</summary>
    public void Lines(string text)
    {
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
            Line(line.TrimEnd());
    }

    public IDisposable Block(string? header = null)
    {
        if (header is not null) Line(header);
        Line("{");
        _indent++;
        return new Closer(this);
    }

    public void Indent() => _indent++;

    public void Unindent() => _indent--;

    public override string ToString() => _sb.ToString();

    private sealed class Closer : IDisposable
    {
        private readonly SourceWriter _w;
        public Closer(SourceWriter w) => _w = w;
        public void Dispose()
        {
            _w._indent--;
            _w.Line("}");
        }
    }
}

/// <summary>Literals written the same on every machine, whatever its culture.</summary>
internal static class Lit
{
    /// <summary>A float literal: the shortest round-trip form of the value as a float, invariant culture, with <c>f</c>.</summary>
    public static string F(double value)
    {
        if (float.IsNaN((float)value) || float.IsInfinity((float)value)) throw new ArgumentOutOfRangeException(nameof(value), value, "A float literal must be finite.");
        string s = ((float)value).ToString("R", CultureInfo.InvariantCulture);
        if (s.IndexOf('E') < 0 && s.IndexOf('.') < 0) s += ".0";
        return s + "f";
    }

    /// <summary>A double literal: round-trip form, invariant culture.</summary>
    public static string D(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "A double literal must be finite.");
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        if (s.IndexOf('E') < 0 && s.IndexOf('.') < 0) s += ".0";
        return s;
    }

    /// <summary>An int literal, invariant culture.</summary>
    public static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A C# string literal.</summary>
    public static string S(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 32) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A number for text shown to people (summary arguments): shortest round trip, invariant.</summary>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
