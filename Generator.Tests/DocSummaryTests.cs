using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>
/// Every <c>Summary()</c> table shown in the documentation is what the network declared before it prints: the nearest
/// <c>```csharp</c> block above the table that declares a <c>[Network]</c> class is compiled with the generator, run,
/// and each line of the table (a <c>...</c> row, which abbreviates repeated layers, aside) must appear in its
/// <c>Summary(batch)</c>, in order; the batch is the table's own "Batch size" line, or 1.
/// </summary>
public class DocSummaryTests
{
    public static TheoryData<string> MarkdownFiles() => DocExampleTests.MarkdownFiles();

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Every_summary_table_is_what_its_network_prints(string file)
    {
        var problems = Check(file, File.ReadAllText(Path.Combine(DocExampleTests.Root, file)));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_docs_have_summary_tables_to_check()
    {
        // Guards the extractor: if it stopped finding tables, the check above would pass by checking nothing.
        Assert.Empty(Check("README.md", File.ReadAllText(Path.Combine(DocExampleTests.Root, "README.md")), out int readme));
        Assert.True(readme >= 4, $"README.md: {readme} summary tables found");
    }

    [Fact]
    public void A_stale_summary_table_is_reported_at_its_line()
    {
        const string doc = """
            ```csharp
            using SourceGenNN;
            [Network(4)] [Dense(3)] [ReLU] [Dense(2)]
            public partial class Tiny { }
            ```

            ```text
            Layer          Type             Output Shape            Param #
            ===============================================================
            input          Input            [-1, 4]                       0
            0              Dense            [-1, 3]                      15
            ...
            2              Dense            [-1, 2]                       8
            ```
            """;
        Assert.Empty(Check("ok.md", doc));
        var problems = Check("stale.md", doc.Replace("[-1, 3]                      15", "[-1, 3]                      16", StringComparison.Ordinal));
        var problem = Assert.Single(problems);
        Assert.Contains("stale.md(11)", problem);
        Assert.Contains("Tiny", problem);
    }

    /// <summary>The tables of one Markdown text that differ from what their networks print, as "file(line): ...".</summary>
    internal static List<string> Check(string file, string text) => Check(file, text, out _);

    internal static List<string> Check(string file, string text, out int tables)
    {
        tables = 0;
        var problems = new List<string>();
        string? declaration = null; // the last csharp block that declares a [Network] class
        foreach (var fence in DocExampleTests.Fences(text))
        {
            var block = fence.Lines;
            int start = fence.Line - 1; // 0-based index of the block's first line
            if (fence.IsCSharp)
            {
                if (block.Any(l => l.Contains("[Network(", StringComparison.Ordinal))) declaration = string.Join("\n", block);
                continue;
            }
            int header = Array.FindIndex(block, l => l.StartsWith("Layer ", StringComparison.Ordinal) && l.Contains("Output Shape", StringComparison.Ordinal));
            if (header < 0) continue;
            tables++;
            if (declaration is null)
            {
                problems.Add($"{file}({start + 1 + header}): a summary table with no [Network] declaration above it");
                continue;
            }
            var batchLine = block.Select(l => Regex.Match(l, @"^Batch size: (\d+)")).FirstOrDefault(m => m.Success);
            var (name, summary) = Summarize(declaration, batchLine is null ? 1 : int.Parse(batchLine.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            var actual = summary.Split('\n').Select(l => l.TrimEnd()).ToList();
            int at = 0;
            for (int k = 0; k < block.Length; k++)
            {
                string expected = block[k].TrimEnd();
                if (expected.Length == 0 || expected.StartsWith("...", StringComparison.Ordinal)) continue;
                int found = actual.FindIndex(at, l => l == expected);
                if (found < 0)
                {
                    problems.Add($"{file}({start + 1 + k}): {name}.Summary() has no line\n  {expected}\nafter line {at} of what it prints:\n{summary}");
                    break;
                }
                at = found + 1;
            }
        }
        return problems;
    }

    /// <summary>Compiles a declaration block with the generator and returns its network's name and <c>Summary(batch)</c>.</summary>
    private static (string Name, string Summary) Summarize(string declaration, int batch)
    {
        var unit = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(declaration, new CSharpParseOptions(LanguageVersion.Latest)).GetRoot();
        // Only the declarations: the block's statements may use variables of other blocks.
        var members = unit.Members.Where(m => m is not GlobalStatementSyntax).Select(m => m.ToString());
        string usings = string.Concat(unit.Usings.Select(u => u + "\n"));
        var network = unit.Members.OfType<ClassDeclarationSyntax>()
            .Last(c => c.AttributeLists.SelectMany(a => a.Attributes).Any(a => a.Name.ToString() is "Network" or "SourceGenNN.Network"));
        string source = "using SourceGenNN;\n" + usings + string.Join("\n", members);
        var (_, output, _) = GeneratorHarness.Run(source);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, "the declaration does not compile: " + string.Join("; ", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        var context = new AssemblyLoadContext("doc-summary", isCollectible: true);
        try
        {
            image.Position = 0;
            var assembly = context.LoadFromStream(image);
            string fullName = network.Parent is BaseNamespaceDeclarationSyntax ns ? ns.Name + "." + network.Identifier.Text : network.Identifier.Text;
            var type = assembly.GetType(fullName) ?? throw new InvalidOperationException("no type " + fullName);
            var instance = (INetwork)Activator.CreateInstance(type, (ulong)1)!;
            return (network.Identifier.Text, instance.Description.FormatSummary(batch));
        }
        finally
        {
            context.Unload();
        }
    }
}
