using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace SourceGenNN.Generator.Tests;

/// <summary>Edits that do not change a network do not re-run its emission; the models hold no Roslyn objects.</summary>
public class IncrementalityTests
{
    private static readonly string[] Steps = { TrackingNames.Parse, TrackingNames.Diagnostics, TrackingNames.Model };

    private static GeneratorDriverRunResult RunTwice(string first, Func<Compilation, Compilation> edit)
    {
        var compilation = GeneratorHarness.Compile(first, "public static class Unrelated { public static int F() => 1; }");
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var edited = edit(compilation);
        return driver.RunGenerators(edited).GetRunResult();
    }

    private static void AssertAllCachedOrUnchanged(GeneratorDriverRunResult result)
    {
        var run = result.Results.Single();
        foreach (var step in Steps)
        {
            Assert.True(run.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            foreach (var output in run.TrackedSteps[step].SelectMany(s => s.Outputs))
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"step {step} produced {output.Reason}");
        }
        foreach (var output in run.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(s => s.Outputs))
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"an output step produced {output.Reason}");
    }

    [Fact]
    public void Unrelated_edit_keeps_every_step_cached()
    {
        var result = RunTwice(Declarations.Mlp, c =>
        {
            var tree = c.SyntaxTrees.Last();
            return c.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText("public static class Unrelated { public static int F() => 2; }", (CSharpParseOptions)tree.Options, tree.FilePath));
        });
        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Comment_edit_in_the_network_file_keeps_output_unchanged()
    {
        var result = RunTwice(Declarations.Mlp, c =>
        {
            var tree = c.SyntaxTrees.First();
            string edited = "// a comment the user added\n" + tree.ToString().Replace("namespace Digits;", "namespace Digits; // the digits model");
            return c.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, (CSharpParseOptions)tree.Options, tree.FilePath));
        });
        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Changing_a_layer_size_does_re_emit()
    {
        // The cache test above can fail: here the model changes and the steps say so.
        var result = RunTwice(Declarations.Mlp, c =>
        {
            var tree = c.SyntaxTrees.First();
            return c.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(tree.ToString().Replace("Dense(128", "Dense(64"), (CSharpParseOptions)tree.Options, tree.FilePath));
        });
        var reasons = result.Results.Single().TrackedSteps[TrackingNames.Model].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
    }

    /// <summary>The model instances of one run of the generator over a fresh compilation of <paramref name="source"/>.</summary>
    private static object[] Models(string source, string step)
    {
        var compilation = GeneratorHarness.Compile(source);
        var run = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult().Results.Single();
        return run.TrackedSteps.TryGetValue(step, out var steps) ? steps.SelectMany(s => s.Outputs).Select(o => o.Value).ToArray() : [];
    }

    public static TheoryData<string> CorpusNames => new(Declarations.Corpus.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void The_same_source_parsed_twice_gives_equal_models_and_hash_codes(string name)
    {
        // Caching compares model instances: two parses of the same text must give equal values with equal hash codes
        // (a field compared by reference, or a collection without value equality, fails here).
        string source = Declarations.Corpus.Single(c => c.Name == name).Source;
        foreach (string step in new[] { TrackingNames.Parse, TrackingNames.Model })
        {
            var first = Models(source, step);
            var second = Models(source, step);
            Assert.NotEmpty(first);
            Assert.Equal(first.Length, second.Length);
            for (int i = 0; i < first.Length; i++)
            {
                Assert.Equal(first[i], second[i]);
                Assert.Equal(first[i].GetHashCode(), second[i].GetHashCode());
                Assert.NotSame(first[i], second[i]);
            }
        }
    }

    [Fact]
    public void Equal_models_are_told_apart_when_a_shape_or_an_option_changes()
    {
        // The equality above could pass by comparing nothing: a changed shape, option or input name must make the models differ.
        object Model(string s) => Models(s, TrackingNames.Model).Single();
        var graph = Model(Declarations.Graph);
        foreach (var (from, to) in new[] { ("[Network(4, 6)]", "[Network(4, 7)]"), ("[LayerNorm(Name = \"norm\")]", "[LayerNorm(Name = \"norm\", Eps = 1e-3)]"),
                     ("[Concat(\"5\")]", "[Concat(\"5\", Dim = 1)]"), ("\"context\", 3", "\"context\", 5") })
        {
            Assert.Contains(from, Declarations.Graph);
            var changed = Model(Declarations.Graph.Replace(from, to));
            Assert.NotEqual(graph, changed);
        }
    }

    [Fact]
    public void Pipeline_models_hold_no_roslyn_objects()
    {
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(AttributeData), typeof(SyntaxTree) };
        var seen = new HashSet<Type>();
        var models = typeof(NetworkGenerator).Assembly.GetTypes().Where(t => t.Namespace == "SourceGenNN.Generator.Models" || typeof(Models.LayerInfo).IsAssignableFrom(t));
        foreach (var t in models) Walk(t);

        void Walk(Type t)
        {
            if (!seen.Add(t) || t.IsPrimitive || t == typeof(string) || t.IsEnum) return;
            Assert.False(forbidden.Any(f => f.IsAssignableFrom(t)), $"{t} is a Roslyn type held by a pipeline model");
            if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) Walk(a);
            if (t.IsArray) Walk(t.GetElementType()!);
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)) Walk(f.FieldType);
        }
        Assert.Contains(typeof(Models.NetworkInfo), seen);
        Assert.Contains(typeof(Layers.DenseLayer), seen);
    }
}
