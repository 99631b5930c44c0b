using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SourceGenNN.CodeFixes;

/// <summary>
/// Fixes for the common declaration mistakes: make the network class partial (SGNN0001), add <c>[Network]</c> to a class
/// that has layers (SGNN0025), and replace a non-positive layer size (SGNN0004).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NetworkCodeFixes)), Shared]
public sealed class NetworkCodeFixes : CodeFixProvider
{
    /// <summary>The ids fixed here.</summary>
    public const string NotPartial = "SGNN0001", NonPositiveSize = "SGNN0004", LayersWithoutNetwork = "SGNN0025";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(NotPartial, NonPositiveSize, LayersWithoutNetwork);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan);
            var type = node.FirstAncestorOrSelf<TypeDeclarationSyntax>();
            switch (diagnostic.Id)
            {
                case NotPartial when type is not null:
                    context.RegisterCodeFix(CodeAction.Create("Make the network class partial",
                        ct => Replace(context.Document, root, type, MakePartial(type)), NotPartial), diagnostic);
                    break;
                case LayersWithoutNetwork when type is not null:
                    context.RegisterCodeFix(CodeAction.Create("Add [Network(1)] before the layers (then set the input shape)",
                        ct => Replace(context.Document, root, type, AddNetwork(type)), LayersWithoutNetwork), diagnostic);
                    break;
                case NonPositiveSize:
                    var attribute = node.FirstAncestorOrSelf<AttributeSyntax>();
                    var size = attribute?.ArgumentList?.Arguments.FirstOrDefault()?.Expression;
                    if (size is null) break;
                    int value = Value(size);
                    int fixedValue = value < 0 ? -value : 1;
                    context.RegisterCodeFix(CodeAction.Create($"Use {fixedValue.ToString(CultureInfo.InvariantCulture)} as the size",
                        ct => Replace(context.Document, root, size, SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression,
                            SyntaxFactory.Literal(fixedValue)).WithTriviaFrom(size)), NonPositiveSize), diagnostic);
                    break;
            }
        }
    }

    private static Task<Document> Replace(Document document, SyntaxNode root, SyntaxNode from, SyntaxNode to) =>
        Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(from, to)));

    private static TypeDeclarationSyntax MakePartial(TypeDeclarationSyntax type)
    {
        // 'partial' goes last among the modifiers, just before 'class'.
        var partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (type.Modifiers.Count == 0)
            return type.WithModifiers(SyntaxFactory.TokenList(partial.WithLeadingTrivia(type.Keyword.LeadingTrivia)))
                       .WithKeyword(type.Keyword.WithLeadingTrivia());
        return type.WithModifiers(type.Modifiers.Add(partial));
    }

    private static TypeDeclarationSyntax AddNetwork(TypeDeclarationSyntax type)
    {
        var network = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
            SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("Network"),
                SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(
                    SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(1))))))));
        var lists = type.AttributeLists;
        if (lists.Count == 0) return type.WithAttributeLists(SyntaxFactory.SingletonList(network.WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)));
        var first = lists[0];
        network = network.WithLeadingTrivia(first.GetLeadingTrivia()).WithTrailingTrivia(SyntaxFactory.Space);
        return type.WithAttributeLists(lists.Replace(first, first.WithLeadingTrivia()).Insert(0, network));
    }

    private static int Value(ExpressionSyntax e) => e switch
    {
        LiteralExpressionSyntax { Token.Value: int v } => v,
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression, Operand: LiteralExpressionSyntax { Token.Value: int v } } => -v,
        _ => 0,
    };
}
