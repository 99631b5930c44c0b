using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>
/// The summary table stays a table whatever the layers are called and whatever options they show: every row's columns
/// start (and the parameter count ends) where the header's do, and every row is as wide as the rules.
/// </summary>
public class SummaryAlignmentTests
{
    /// <summary>
    /// Checks the table of a summary: the rows between the header and the closing rule, the header itself, and the rules.
    /// Returns the data rows split into their four cells.
    /// </summary>
    internal static List<string[]> AssertAligned(string summary)
    {
        var lines = summary.Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("Layer ", StringComparison.Ordinal));
        Assert.True(header > 0, "no header line in:\n" + summary);
        string rule = lines[header - 1], equals = lines[header + 1];
        Assert.Matches("^-+$", rule);
        Assert.Equal(new string('=', rule.Length), equals);
        string h = lines[header];
        int type = h.IndexOf("Type", StringComparison.Ordinal), shape = h.IndexOf("Output Shape", StringComparison.Ordinal);
        Assert.Equal(rule.Length, h.Length);
        Assert.EndsWith("Param #", h, StringComparison.Ordinal);
        var rows = new List<string[]>();
        for (int i = header + 2; lines[i] != equals; i++)
        {
            string row = lines[i];
            Assert.True(row.Length == rule.Length, $"row {i} is {row.Length} wide, the rules {rule.Length}:\n{summary}");
            // Each cell starts at its header's column, after a space, and the count is right-aligned under "Param #".
            Assert.True(row[type - 1] == ' ' && row[type] != ' ', $"the type of row {i} does not start at column {type}:\n{summary}");
            Assert.True(row[shape - 1] == ' ' && row[shape] == '[', $"the shape of row {i} does not start at column {shape}:\n{summary}");
            Assert.True(char.IsDigit(row[^1]), $"the count of row {i} does not end at the last column:\n{summary}");
            rows.Add(new[] { row[..type].TrimEnd(), row[type..shape].TrimEnd(), row[shape..].Split(']')[0] + "]", row.Split(' ').Last() });
        }
        return rows;
    }

    [Fact]
    public void Long_names_long_options_and_several_inputs_keep_every_column_in_line()
    {
        var rows = AssertAligned(new LongNamesNet().Summary(batchSize: 3));
        Assert.Equal(new[] { "input", "Input", "[-1, 5]", "0" }, rows[0]);
        Assert.Equal(new[] { "auxiliary_measurements_of_the_patient", "Input", "[-1, 3]", "0" }, rows[1]);
        Assert.Equal(new[] { "c", "Input", "[-1, 2]", "0" }, rows[2]);
        Assert.Equal(new[] { "encoder_first_dense_projection", "Dense", "[-1, 4]", "24" }, rows[3]);
        Assert.Equal(new[] { "1", "LeakyReLU(slope=0.2)", "[-1, 4]", "0" }, rows[4]);
        Assert.Equal(new[] { "2", "RReLU(lower=0.1, upper=0.3333333333333333)", "[-1, 4]", "0" }, rows[5]);
        Assert.Equal(new[] { "side", "Dense <- auxiliary_measurements_of_the_patient", "[-1, 4]", "16" }, rows[6]);
        Assert.Equal(new[] { "4", "Concat <- side, 2, c, input", "[-1, 15]", "0" }, rows[7]);
        Assert.Equal(new[] { "5", "Dense", "[-1, 1000]", "16,000" }, rows[8]);
        Assert.Equal(new[] { "6", "Dropout(p=0.25)", "[-1, 1000]", "0" }, rows[9]);
        Assert.Equal(new[] { "7", "Dense", "[-1, 2]", "2,002" }, rows[10]);
        Assert.Equal(new[] { "8", "Softmax", "[-1, 2]", "0" }, rows[11]);
        Assert.Equal(12, rows.Count);
    }

    [Theory]
    [InlineData(typeof(SeedNet))]
    [InlineData(typeof(EveryLayerNet))]
    [InlineData(typeof(TwoInputNet))]
    [InlineData(typeof(NormNet))]
    [InlineData(typeof(SequenceNet))]
    [InlineData(typeof(MnistMlp))]
    public void Every_test_network_summary_is_aligned(Type network)
    {
        var net = (INetwork)Activator.CreateInstance(network, 0ul)!;
        var rows = AssertAligned(net.Summary(batchSize: 64));
        Assert.Equal(net.Description.Inputs.Count + net.Description.Layers.Count, rows.Count);
    }
}

/// <summary>A network whose names, options and inputs make every column of the summary wide.</summary>
[Network(5)]
[Input("auxiliary_measurements_of_the_patient", 3)]
[Input("c", 2)]
[Dense(4, Name = "encoder_first_dense_projection")] [LeakyReLU(0.2)]
[RReLU(0.1, 1.0 / 3)]
[Dense(4, Name = "side", Input = "auxiliary_measurements_of_the_patient")]
[Concat("2", "c", "input")]
[Dense(1000)] [Dropout(0.25)]
[Dense(2)] [Softmax]
public partial class LongNamesNet { }
