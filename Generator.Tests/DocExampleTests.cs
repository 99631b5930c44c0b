using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>
/// Every C# example in the documentation compiles, with the generator, against the runtime, so that none can go stale:
/// the <c>```csharp</c> blocks of README.md, docs/*.md and samples/README.md, and the <c>&lt;code&gt;</c> of every
/// <c>&lt;example&gt;</c> in the runtime's XML documentation.
/// <para>How a Markdown file's blocks are compiled (the conventions a doc writer follows):</para>
/// <list type="bullet">
/// <item>The blocks of one file are one program, as a user's project: a network declared in one block can be used in
/// the next, and the <c>using</c> directives of every block apply to all (write each once, where it is first needed).
/// The implicit usings of a console project (System, System.IO, System.Linq, System.Collections.Generic,
/// System.Threading.Tasks, ...) apply too, and nullable is on.</item>
/// <item>A block may hold statements, declarations, or statements followed by declarations, as a Program.cs does. Each
/// block's statements are compiled on their own (in a method of their own, async so that <c>await</c> works), so two
/// blocks may both declare <c>var net</c>.</item>
/// <item>A block inside an HTML comment (<c>&lt;!--</c> ... <c>--&gt;</c>) is compiled but not shown: declare there
/// what the shown blocks assume, such as the network <c>Mlp</c>. Its statements run before those of the next shown
/// block, in the same method, so it can declare the variables that block uses (<c>x</c>, <c>targets</c>).</item>
/// <item>A block right after a line <c>&lt;!-- example: skip (why) --&gt;</c> is not compiled: for blocks that show a
/// compile error on purpose (docs/diagnostics.md) or are not C#.</item>
/// <item>Only errors fail (the compiler's and the generator's); a failure names the Markdown file and line.</item>
/// </list>
/// An XML <c>&lt;example&gt;</c> is compiled on its own, with the same implicit usings plus every SourceGenNN namespace
/// (an example is read in the context of the type it documents); it must declare what it uses. <c>&lt;code&gt;</c>
/// outside an <c>&lt;example&gt;</c> (pseudo-code in a summary) is not compiled.
/// </summary>
public class DocExampleTests
{
    /// <summary>The repository root (where SourceGenNN.sln is).</summary>
    internal static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SourceGenNN.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("SourceGenNN.sln not found above " + AppContext.BaseDirectory);
    }

    private static readonly string[] ImplicitUsings =
    {
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    };

    private static readonly string[] RuntimeNamespaces =
    {
        "SourceGenNN", "SourceGenNN.Cuda", "SourceGenNN.Data", "SourceGenNN.IO", "SourceGenNN.Metrics", "SourceGenNN.Training",
    };

    /// <summary>One code block: where its first line is, its text, and whether it is hidden in an HTML comment.</summary>
    internal sealed record Block(string File, int Line, string Code, bool Hidden);

    public static TheoryData<string> MarkdownFiles()
    {
        var files = new TheoryData<string>();
        files.Add("README.md");
        foreach (var f in Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal))
            files.Add("docs/" + Path.GetFileName(f));
        files.Add("samples/README.md");
        return files;
    }

    public static TheoryData<string> SourcesWithExamples()
    {
        var files = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(Root, "Runtime"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
            if (File.ReadAllText(f).Contains("/// <example>", StringComparison.Ordinal))
                files.Add(Path.GetRelativePath(Root, f).Replace('\\', '/'));
        return files;
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Every_csharp_block_of_the_markdown_compiles(string file)
    {
        var blocks = MarkdownBlocks(file, File.ReadAllText(Path.Combine(Root, file)));
        AssertCompiles(blocks, ImplicitUsings);
    }

    /// <summary>
    /// The attributes written inline in the prose and tables with named arguments (<c>`[ELU(alpha: 1)]`</c>,
    /// <c>`[Softmax(Dim = 1)]`</c>) are valid C#: each is put on a class of its own and compiled. Spans with a
    /// placeholder (<c>...</c>) are left out, and so are the generator's shape errors (the span is compiled on an input of
    /// an arbitrary shape); a C# error fails.
    /// </summary>
    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Every_inline_attribute_with_named_arguments_is_valid_csharp(string file)
    {
        var spans = Regex.Matches(File.ReadAllText(Path.Combine(Root, file)), @"`(\[[A-Za-z0-9]+\([^`]*[:=][^`]*\)\])`")
            .Select(m => m.Groups[1].Value).Where(a => !a.Contains("...", StringComparison.Ordinal)).Distinct().ToList();
        var errors = InlineAttributeErrors(spans);
        Assert.True(errors.Count == 0, file + ": inline attributes that are not valid C#:\n" + string.Join("\n", errors));
    }

    private static List<string> InlineAttributeErrors(IReadOnlyList<string> spans)
    {
        if (spans.Count == 0) return new List<string>();
        var source = new StringBuilder("using SourceGenNN;\n");
        for (int i = 0; i < spans.Count; i++) source.Append($"[Network(4, 4)] {spans[i]}\npublic partial class Inline{i} {{ }}\n");
        var (_, output, _) = GeneratorHarness.Run(source.ToString());
        // Each span is on line 1 + 2i of the source, its class on the next line.
        return output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("CS", StringComparison.Ordinal))
            .Select(d => (d.Location.SourceTree?.FilePath == "Input0.cs" ? spans[(d.Location.GetLineSpan().StartLinePosition.Line - 1) / 2] : "(generated code)") +
                         ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))
            .Distinct().Order(StringComparer.Ordinal).ToList(); // the compiler's order varies between runs
    }

    [Fact]
    public void An_inline_attribute_that_is_not_csharp_is_reported()
    {
        var errors = InlineAttributeErrors(new[] { "[ELU(alpha = 1)]", "[LeakyReLU(slope: 0.01)]", "[RReLU(lower = 0.1)]" });
        Assert.Equal(2, errors.Count);
        Assert.StartsWith("[ELU(alpha = 1)]: ", errors[0]);
        Assert.StartsWith("[RReLU(lower = 0.1)]: ", errors[1]);
    }

    [Theory]
    [MemberData(nameof(SourcesWithExamples))]
    public void Every_xml_doc_example_compiles(string file)
    {
        var examples = XmlExamples(file, File.ReadAllText(Path.Combine(Root, file)));
        Assert.NotEmpty(examples);
        foreach (var example in examples) AssertCompiles(new[] { example }, ImplicitUsings.Concat(RuntimeNamespaces).ToArray());
    }

    [Fact]
    public void The_docs_have_examples_to_compile()
    {
        // Guards the extractor: if it stopped finding blocks, every doc test would pass by compiling nothing.
        var readme = MarkdownBlocks("README.md", File.ReadAllText(Path.Combine(Root, "README.md")));
        Assert.True(readme.Count(b => !b.Hidden) >= 4, $"README.md: {readme.Count} blocks found");
        Assert.Contains(readme, b => b.Code.Contains("public partial class SeedNetwork", StringComparison.Ordinal));
        Assert.True(SourcesWithExamples().Count >= 4);
    }

    [Fact]
    public void A_stale_example_fails_at_its_markdown_line_and_the_conventions_hold()
    {
        const string doc = """
            # Title

            ```csharp
            using SourceGenNN;

            [Network(3)] [Dense(2)]
            public partial class Net { }
            ```

            <!--
            ```csharp
            float[] hidden = new float[Net.InputSize];
            ```
            -->
            ```csharp
            var net = new Net(seed: 1);
            net.Forward(hidden, new float[Net.OutputSize]);
            ```

            <!-- example: skip (shows an error) -->
            ```csharp
            this is not C#
            ```

            ```csharp
            var net = new Net(seed: 1);
            net.Forwrd(new float[3], new float[2]);
            ```
            """;
        var blocks = MarkdownBlocks("doc.md", doc);
        Assert.Equal(new[] { false, true, false, false }, blocks.Select(b => b.Hidden));
        var errors = Errors(blocks, ImplicitUsings);
        var error = Assert.Single(errors);
        Assert.Contains("doc.md(27,", error);
        Assert.Contains("CS1061", error);
        Assert.Contains("Forwrd", error);

        // A generator error is an error too.
        errors = Errors(MarkdownBlocks("bad.md", "```csharp\nusing SourceGenNN;\n[Network(3)] [Dense(2)] public class NotPartial { }\n```\n"), ImplicitUsings);
        Assert.Contains(errors, e => e.Contains("SGNN0001", StringComparison.Ordinal) && e.Contains("bad.md(3,", StringComparison.Ordinal));
    }

    [Fact]
    public void An_xml_example_is_extracted_decoded_and_compiled_alone()
    {
        const string source = """
            /// <summary>A type.</summary>
            /// <example>
            /// <code>
            /// var net = new Tiny(seed: 2);
            /// bool small = Tiny.InputSize &lt; 10 &amp;&amp; net.Summary().Length &gt; 0;
            ///
            /// [Network(3)] [Dense(2)]
            /// public partial class Tiny { }
            /// </code>
            /// </example>
            public sealed class Documented { }
            """;
        var example = Assert.Single(XmlExamples("Documented.cs", source));
        Assert.Equal(4, example.Line);
        Assert.Contains("Tiny.InputSize < 10 && net.Summary().Length > 0", example.Code);
        Assert.Empty(Errors(new[] { example }, ImplicitUsings.Concat(RuntimeNamespaces).ToArray()));
        var stale = example with { Code = example.Code.Replace("Summary()", "Summary(batch: 2)", StringComparison.Ordinal) };
        Assert.Contains(Errors(new[] { stale }, ImplicitUsings.Concat(RuntimeNamespaces).ToArray()), e => e.Contains("Documented.cs(5,", StringComparison.Ordinal));
    }

    private static void AssertCompiles(IReadOnlyList<Block> blocks, string[] usings)
    {
        var errors = Errors(blocks, usings);
        Assert.True(errors.Count == 0, "The examples do not compile:\n" + string.Join("\n", errors));
    }

    /// <summary>The ```csharp (or cs, c#) blocks of a Markdown text, those in HTML comments marked hidden, skipped ones left out.</summary>
    internal static List<Block> MarkdownBlocks(string file, string text) =>
        Fences(text).Where(f => f.IsCSharp && !f.Skipped).Select(f => new Block(file, f.Line, string.Join("\n", f.Lines), f.Hidden)).ToList();

    /// <summary>A fenced block of a Markdown text: its language, the line of its first content line, its lines.</summary>
    internal sealed record Fence(string Language, int Line, string[] Lines, bool Hidden, bool Skipped)
    {
        public bool IsCSharp => Language is "csharp" or "cs" or "c#";
    }

    /// <summary>
    /// Every fenced block of a Markdown text in order, marked hidden when inside an HTML comment and skipped when right
    /// after a line <c>&lt;!-- example: skip --&gt;</c>.
    /// </summary>
    internal static List<Fence> Fences(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var fences = new List<Fence>();
        bool inComment = false;
        string? previous = null; // the last non-blank line before a fence, outside any block
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            var fence = Regex.Match(line, @"^```\s*([^\s`]*)");
            if (fence.Success)
            {
                int start = i + 1;
                int end = start;
                while (end < lines.Length && !Regex.IsMatch(lines[end].Trim(), @"^```\s*$")) end++;
                bool skip = previous is not null && Regex.IsMatch(previous, @"^<!--\s*example:\s*skip\b");
                fences.Add(new Fence(fence.Groups[1].Value.ToLowerInvariant(), start + 1, lines[start..Math.Min(end, lines.Length)], inComment, skip));
                i = end;
                previous = null;
                continue;
            }
            // An HTML comment opens on a line starting with <!-- and closes at the first line holding -->.
            if (!inComment && line.StartsWith("<!--", StringComparison.Ordinal) && !line.Contains("-->", StringComparison.Ordinal)) inComment = true;
            else if (inComment && line.Contains("-->", StringComparison.Ordinal)) inComment = false;
            if (line.Length > 0) previous = line;
        }
        return fences;
    }

    /// <summary>The &lt;code&gt; of every &lt;example&gt; in /// comments, XML entities decoded, with the line of its first code line.</summary>
    internal static List<Block> XmlExamples(string file, string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var examples = new List<Block>();
        bool inExample = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (!line.StartsWith("///", StringComparison.Ordinal)) { inExample = false; continue; }
            string doc = line[3..].Trim();
            if (doc.StartsWith("<example>", StringComparison.Ordinal)) inExample = true;
            else if (doc.StartsWith("</example>", StringComparison.Ordinal)) inExample = false;
            else if (inExample && doc == "<code>")
            {
                var code = new List<string>();
                int start = i + 1;
                for (i = start; i < lines.Length && lines[i].Trim() != "/// </code>"; i++)
                {
                    string l = lines[i].TrimStart();
                    l = l.StartsWith("/// ", StringComparison.Ordinal) ? l[4..] : l.StartsWith("///", StringComparison.Ordinal) ? l[3..] : l;
                    code.Add(WebUtility.HtmlDecode(l));
                }
                examples.Add(new Block(file, start + 1, string.Join("\n", code), Hidden: false));
            }
        }
        return examples;
    }

    /// <summary>Compiles blocks as one program with the generator; returns the errors, located in the documentation.</summary>
    internal static List<string> Errors(IReadOnlyList<Block> blocks, string[] globalUsings)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var sources = new List<string> { string.Concat(globalUsings.Select(u => $"global using {u};\n")) };
        var units = blocks.Select(b => (Block: b, Unit: (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(b.Code, parse).GetRoot())).ToList();
        // The using directives of every block apply to all of them.
        var usings = string.Concat(units.SelectMany(u => u.Unit.Usings).Select(u => u.ToString() + "\n").Distinct());
        var pending = new List<(Block Block, CompilationUnitSyntax Unit, GlobalStatementSyntax Statement)>();
        int method = 0;
        foreach (var (block, unit) in units)
        {
            var members = unit.Members.Where(m => m is not GlobalStatementSyntax).ToList();
            foreach (var m in members)
                sources.Add(usings + LineDirective(block, unit, m.SpanStart) + m.ToString() + "\n#line default\n");
            pending.AddRange(unit.Members.OfType<GlobalStatementSyntax>().Select(s => (block, unit, s)));
            if (block.Hidden || pending.Count == 0) continue;
            var body = new StringBuilder();
            foreach (var (b, u, s) in pending)
                body.Append(LineDirective(b, u, s.SpanStart)).Append(s.ToString()).Append('\n');
            pending.Clear();
            sources.Add(usings + $"internal static class DocExample{method}\n{{\n#pragma warning disable CS1998\npublic static async global::System.Threading.Tasks.Task Run()\n{{\n{body}#line default\n}}\n}}\n");
            method++;
        }
        var (_, output, diagnostics) = GeneratorHarness.Run(sources.ToArray());
        return diagnostics.Concat(GeneratorHarness.Errors(output))
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => d.ToString())
            .Distinct()
            .ToList();
    }

    /// <summary>A #line directive mapping the text at <paramref name="position"/> of a block back to its documentation line.</summary>
    private static string LineDirective(Block block, CompilationUnitSyntax unit, int position)
    {
        int line = block.Line + unit.SyntaxTree.GetLineSpan(new Microsoft.CodeAnalysis.Text.TextSpan(position, 0)).StartLinePosition.Line;
        return $"#line {line} \"{block.File}\"\n";
    }
}
