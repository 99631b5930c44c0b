using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace SourceGenNN.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. Ids are never reused (AnalyzerReleases.*.md tracks them). Each message says
/// what is wrong and what to write instead; docs/diagnostics.md has an entry per id.
/// </summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "SourceGenNN";
    // Absolute, so that the links work for users outside the repository (the docs are in the repository and the package).
    internal const string HelpBase = "https://github.com/sourcegennn/sourcegennn/blob/main/docs/diagnostics.md#";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor NotPartial = Error("SGNN0001",
        "Network class must be partial",
        "The network class '{0}' must be partial so that its generated half can be added: write 'partial class {0}'");

    public static readonly DiagnosticDescriptor NotAClass = Error("SGNN0002",
        "Network must be a class",
        "[Network] is on {0} '{1}', but networks are generated as (non-static, non-record) classes: declare it as 'public partial class {1}'");

    public static readonly DiagnosticDescriptor MissingInputSize = Error("SGNN0003",
        "Network needs a positive input shape",
        "{0}: write the shape of one input sample as positive integers, for example [Network(784)] for vectors or [Network(1, 28, 28)] for images");

    public static readonly DiagnosticDescriptor NonPositiveSize = Error("SGNN0004",
        "Layer size must be positive",
        "[{0}] has {1} = {2}, but a layer size must be a positive integer: write, for example, [{0}(128)]");

    public static readonly DiagnosticDescriptor OptionOutOfRange = Error("SGNN0005",
        "Layer option out of range",
        "[{0}] has {1} = {2}, but it must be {3}");

    public static readonly DiagnosticDescriptor DuplicateName = Error("SGNN0006",
        "Duplicate layer name",
        "The layer name '{0}' is already used by layer {1}: give each layer its own Name, or leave Name unset to use the layer's index");

    public static readonly DiagnosticDescriptor NoLayers = Error("SGNN0007",
        "Network has no layers",
        "The network '{0}' declares no layers: add layer attributes after [Network], for example [Dense(10)]");

    public static readonly DiagnosticDescriptor UnsupportedContainingType = Error("SGNN0008",
        "Unsupported containing type",
        "The network '{0}' is {1}: declare it in a namespace, or nest it only in non-generic partial classes");

    public static readonly DiagnosticDescriptor InvalidArguments = Error("SGNN0009",
        "Attribute arguments cannot be read",
        "The arguments of [{0}] cannot be read: fix the compile errors on this attribute, using constant values of the documented types");

    public static readonly DiagnosticDescriptor InvalidName = Error("SGNN0010",
        "Invalid layer name",
        "The layer name '{0}' is not valid: use letters, digits and '_' only (no '.', which separates the layer from its tensor in weight files), for example Name = \"fc1\"");

    public static readonly DiagnosticDescriptor InitNotApplicable = Error("SGNN0011",
        "Initialiser not applicable",
        "[{0}] uses {1} = {2}, which needs a 2-D tensor: for a bias use Default, Zeros, Ones, Constant, Uniform or Normal");

    public static readonly DiagnosticDescriptor UnknownLayer = Error("SGNN0012",
        "Unknown layer attribute",
        "[{0}] derives from LayerAttribute but is not a layer kind the generator knows: use one of {1}");

    public static readonly DiagnosticDescriptor GenericNetwork = Error("SGNN0013",
        "Generic network class",
        "The network '{0}' is generic, but a network's shapes must be fixed: remove the type parameters");

    public static readonly DiagnosticDescriptor TooLarge = Error("SGNN0014",
        "Network too large",
        "[{0}] brings the network to {1} parameters (or a tensor to that many elements), more than one float buffer can hold (2,147,483,647): make the layer smaller");

    public static readonly DiagnosticDescriptor LayersOnAnotherDeclaration = Error("SGNN0015",
        "Layer on another partial declaration",
        "[{0}] is on a different partial declaration of '{1}' than [Network], so its place in the forward order is not defined: put every layer attribute on the declaration that has [Network]");

    public static readonly DiagnosticDescriptor InvalidShape = Error("SGNN0016",
        "Layer does not fit its input's shape",
        "[{0}] cannot apply to the tensors it reads: {1}");

    public static readonly DiagnosticDescriptor UnknownInput = Error("SGNN0017",
        "Unknown tensor name",
        "[{0}] has {1} = \"{2}\", but no network input or earlier layer has that name: a layer reads only tensors declared before it; the names it can read here are {3}");

    public static readonly DiagnosticDescriptor UnusedTensor = Error("SGNN0018",
        "Tensor never read",
        "Nothing reads {0}: {1}");

    public static readonly DiagnosticDescriptor InvalidInputName = Error("SGNN0019",
        "Invalid input name",
        "The input name '{0}' cannot be used: it becomes a Forward parameter and constants such as NameSize, so write a C# identifier that is not a keyword and not Input, Output, Parameter, Batch, Training or Buffer, for example [Input(\"memory\", 16)]");

    public static readonly DiagnosticDescriptor ReservedClassName = Error("SGNN0020",
        "Network class named like a generated member",
        "The network class '{0}' has the name of a member the generator adds to it (a class may not contain a member of its own name): rename the class");

    public static readonly DiagnosticDescriptor MemberClash = Error("SGNN0021",
        "Member clashes with generated code",
        "The network '{0}' declares {1}, which its generated half declares too: rename or remove yours (the generated members are listed in docs/diagnostics.md)");

    public static readonly DiagnosticDescriptor PrimaryConstructor = Error("SGNN0022",
        "Network with a primary constructor",
        "The network '{0}' has a primary constructor, but its generated constructor (ulong seed) could not call it: remove the parameter list and declare fields or a constructor that calls this(seed) instead");

    public static readonly DiagnosticDescriptor BaseWithoutParameterlessConstructor = Error("SGNN0023",
        "Base class needs a parameterless constructor",
        "The network '{0}' derives from '{1}', which has no accessible constructor without arguments for the generated constructor to call: give the base class one, or derive from another class");

    public static readonly DiagnosticDescriptor FileLocalNetwork = Error("SGNN0024",
        "File-local network class",
        "The network '{0}' is a file-local type, which only its own file can extend, so its generated half cannot be added: remove 'file' and make it internal or public");

    public static readonly DiagnosticDescriptor LayersWithoutNetwork = Error("SGNN0025",
        "Layer attributes without [Network]",
        "'{0}' has layer attributes but no [Network], so no network code is generated for it: add [Network(inputShape)] before the layers, for example [Network(784)]");

    public static readonly DiagnosticDescriptor SoftmaxBeforeTheEnd = new("SGNN0026",
        "Softmax before the last layer",
        "Layer '{0}' is a Softmax over the last dimension with {1} layer(s) after it: losses fuse only with a final Softmax, so if these are the network's probabilities, put the Softmax last; if the softmax is meant (an attention-like weighting), suppress this warning",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "sgnn0026");

    public static readonly DiagnosticDescriptor NonPositiveOutputSize = Error("SGNN0030",
        "Output size not positive",
        "[{0}] gives {1}: {2}");

    public static readonly DiagnosticDescriptor GroupsDoNotDivideChannels = Error("SGNN0031",
        "Groups do not divide the channels",
        "[{0}] has groups = {1}, but {2}: {3}");

    public static readonly DiagnosticDescriptor WrongInputRank = Error("SGNN0032",
        "Input rank does not fit the layer",
        "[{0}] works on {1} samples, but its input is {2} (rank {3}): {4}");
    public static readonly DiagnosticDescriptor RecurrentNeedsSequence = Error("SGNN0040",
        "Recurrent layer needs a sequence",
        "[{0}] reads sequences [T, F] (T steps of F features), but its input is {1}: {2}");

    public static readonly DiagnosticDescriptor RecurrentNumLayers = Error("SGNN0041",
        "Recurrent layer needs at least one layer",
        "[{0}] has NumLayers = {1}, but a recurrent layer stacks at least one layer: write NumLayers = 1 (the default) or more, for example [{0}(64, NumLayers = 2)]");

    public static readonly DiagnosticDescriptor RecurrentDropoutWithOneLayer = new("SGNN0042",
        "Recurrent dropout with a single layer",
        "[{0}] has Dropout = {1} but NumLayers = 1: dropout applies between stacked layers only, so it has no effect here (PyTorch warns the same); set NumLayers = 2 or more, or remove Dropout, or add a [Dropout] layer after it",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "sgnn0042");
    // SGNN0050–0059: attention.
    public static readonly DiagnosticDescriptor HeadsDoNotDivide = Error("SGNN0050",
        "Features not divisible by the heads",
        "[{0}] splits {1} = {2} into {3} heads, but {2} is not divisible by {3}: choose a head count that divides {2}, or project to a multiple of {3} features");

    public static readonly DiagnosticDescriptor KeyValueLengthMismatch = Error("SGNN0051",
        "Keys and values of different lengths",
        "[{0}] takes its keys from '{1}' with {2} positions and its values from '{3}' with {4}, but each key needs its value: give both the same length");

    public static readonly DiagnosticDescriptor CausalLengthMismatch = Error("SGNN0052",
        "Causal mask over keys of another length",
        "[{0}] is causal over {1} queries, but its keys '{2}' have {3} positions: a causal mask pairs query t with key t, so it needs as many keys as queries; remove IsCausal, or mask with KeyLengths");

    public static readonly DiagnosticDescriptor InvalidKeyLengths = Error("SGNN0053",
        "Key lengths must be a network input of shape [1]",
        "[{0}] reads its key lengths from '{1}', which is {2}; the lengths are given per sample at run time: declare [Input(\"{1}\", 1)] and name it in KeyLengths");

    public static readonly DiagnosticDescriptor InternalError = Error("SGNN0999",
        "Generator internal error",
        "The SourceGenNN generator failed on '{0}': {1}. This is a bug; please report it with the declaration");

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = new()
    {
        [NotPartial.Id] = NotPartial,
        [NotAClass.Id] = NotAClass,
        [MissingInputSize.Id] = MissingInputSize,
        [NonPositiveSize.Id] = NonPositiveSize,
        [OptionOutOfRange.Id] = OptionOutOfRange,
        [DuplicateName.Id] = DuplicateName,
        [NoLayers.Id] = NoLayers,
        [UnsupportedContainingType.Id] = UnsupportedContainingType,
        [InvalidArguments.Id] = InvalidArguments,
        [InvalidName.Id] = InvalidName,
        [InitNotApplicable.Id] = InitNotApplicable,
        [UnknownLayer.Id] = UnknownLayer,
        [GenericNetwork.Id] = GenericNetwork,
        [TooLarge.Id] = TooLarge,
        [LayersOnAnotherDeclaration.Id] = LayersOnAnotherDeclaration,
        [InvalidShape.Id] = InvalidShape,
        [UnknownInput.Id] = UnknownInput,
        [UnusedTensor.Id] = UnusedTensor,
        [InvalidInputName.Id] = InvalidInputName,
        [ReservedClassName.Id] = ReservedClassName,
        [MemberClash.Id] = MemberClash,
        [PrimaryConstructor.Id] = PrimaryConstructor,
        [BaseWithoutParameterlessConstructor.Id] = BaseWithoutParameterlessConstructor,
        [FileLocalNetwork.Id] = FileLocalNetwork,
        [LayersWithoutNetwork.Id] = LayersWithoutNetwork,
        [SoftmaxBeforeTheEnd.Id] = SoftmaxBeforeTheEnd,
        [NonPositiveOutputSize.Id] = NonPositiveOutputSize,
        [GroupsDoNotDivideChannels.Id] = GroupsDoNotDivideChannels,
        [WrongInputRank.Id] = WrongInputRank,
        [RecurrentNeedsSequence.Id] = RecurrentNeedsSequence,
        [RecurrentNumLayers.Id] = RecurrentNumLayers,
        [RecurrentDropoutWithOneLayer.Id] = RecurrentDropoutWithOneLayer,
        [HeadsDoNotDivide.Id] = HeadsDoNotDivide,
        [KeyValueLengthMismatch.Id] = KeyValueLengthMismatch,
        [CausalLengthMismatch.Id] = CausalLengthMismatch,
        [InvalidKeyLengths.Id] = InvalidKeyLengths,
        [InternalError.Id] = InternalError,
    };

    public static DiagnosticDescriptor Get(string id) => ById[id];
}
