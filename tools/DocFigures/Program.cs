using System;
using System.IO;
using SourceGenNN.Plots;

// Writes the activation figures of the README and docs/training.md into the folder given (default docs/images):
//   dotnet run -c Release --project tools/DocFigures -- [DIR]
// The training figures come from the samples' --plots option; scripts/make-figures.sh runs both.
string dir = args.Length > 0 ? args[0] : Path.Combine("docs", "images");
Console.WriteLine(Figures.Activations().SavePng(Path.Combine(dir, "activations.png")));
return 0;
