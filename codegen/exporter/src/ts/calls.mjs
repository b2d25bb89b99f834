// Finds Convex calls in SDK code: `<client>.query|mutation|action(api.MOD.FN, ARGS)` sites
// written directly in a function body (arrow functions inside it included), and the Convex
// functions a body reaches transitively through other SDK functions and methods it calls
// (private helpers, other namespace objects, service classes).
import ts from "typescript";
import { isSdkFile } from "./program.mjs";

const KINDS = new Set(["query", "mutation", "action"]);

/** Strip parentheses, `as`, `satisfies`, `!` and `<T>x` around an expression. */
export function unwrap(node) {
  let n = node;
  for (;;) {
    if (!n) return n;
    if (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isNonNullExpression(n)
      || ts.isTypeAssertionExpression(n) || (ts.isSatisfiesExpression && ts.isSatisfiesExpression(n))) {
      n = n.expression;
    } else return n;
  }
}

/** `api.a.b.fn` (or `api["a"]["fn"]`) → ["a", "b", "fn"] without the root, or null. */
function refPath(node) {
  const parts = [];
  let n = unwrap(node);
  while (n) {
    if (ts.isPropertyAccessExpression(n)) {
      parts.unshift(n.name.text);
      n = unwrap(n.expression);
    } else if (ts.isElementAccessExpression(n) && ts.isStringLiteralLike(n.argumentExpression)) {
      parts.unshift(n.argumentExpression.text);
      n = unwrap(n.expression);
    } else if (ts.isIdentifier(n)) {
      return parts.length >= 2 && /api|internal/i.test(n.text) ? parts : null;
    } else return null;
  }
  return null;
}

/** Describe a Convex call site, or null when `node` is not one. */
export function convexCall(node) {
  if (!ts.isCallExpression(node) || node.arguments.length < 1) return null;
  const callee = unwrap(node.expression);
  if (!ts.isPropertyAccessExpression(callee) || !KINDS.has(callee.name.text)) return null;
  const path = refPath(node.arguments[0]);
  if (!path) return null;
  const fn = path[path.length - 1];
  return {
    node,
    kind: callee.name.text,
    function: `${path.slice(0, -1).join("/")}:${fn}`,
    args: node.arguments[1],
  };
}

/** Every Convex call site lexically inside `body`. */
export function directSites(body) {
  const sites = [];
  const visit = (n) => {
    const c = convexCall(n);
    if (c) sites.push(c);
    ts.forEachChild(n, visit);
  };
  if (body) visit(body);
  return sites;
}

/** True when the site runs inside a loop or an iteration callback of `fnNode`. */
export function inLoop(site, fnNode) {
  for (let n = site.node.parent; n && n !== fnNode; n = n.parent) {
    if (ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n)
      || ts.isWhileStatement(n) || ts.isDoStatement(n)) return true;
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isCallExpression(n.parent)) {
      const callee = unwrap(n.parent.expression);
      if (ts.isPropertyAccessExpression(callee)
        && ["map", "forEach", "filter", "reduce", "flatMap", "some", "every", "all"].includes(callee.name.text)) {
        return true;
      }
    }
  }
  return false;
}

/** Reachability of Convex functions through SDK functions, memoised per declaration. */
export class CallGraph {
  constructor(checker, root) {
    this.checker = checker;
    this.root = root;
    this.memo = new Map();
  }

  /** The SDK function-like declaration a call expression invokes, or null. */
  target(call) {
    let callee = unwrap(call.expression);
    let nameNode = callee;
    if (ts.isPropertyAccessExpression(callee)) nameNode = callee.name;
    if (!ts.isIdentifier(nameNode) && !ts.isPrivateIdentifier(nameNode)) return null;
    let sym = this.checker.getSymbolAtLocation(nameNode);
    if (!sym) return null;
    if (sym.flags & ts.SymbolFlags.Alias) {
      try { sym = this.checker.getAliasedSymbol(sym); } catch { return null; }
    }
    for (const d of sym.declarations ?? []) {
      if (!isSdkFile(this.root, d.getSourceFile().fileName)) continue;
      if ((ts.isMethodDeclaration(d) || ts.isFunctionDeclaration(d)) && d.body) return d;
      if ((ts.isPropertyDeclaration(d) || ts.isVariableDeclaration(d)) && d.initializer
        && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) return d.initializer;
    }
    return null;
  }

  /** Other SDK functions called (directly) from `fnNode`'s body. */
  callees(fnNode) {
    const out = [];
    const visit = (n) => {
      if (ts.isCallExpression(n) && !convexCall(n)) {
        const t = this.target(n);
        if (t && t !== fnNode) out.push({ call: n, decl: t });
      }
      ts.forEachChild(n, visit);
    };
    if (fnNode.body) visit(fnNode.body);
    return out;
  }

  /** Sorted set of Convex functions reachable from `fnNode` (its own sites included). */
  reachable(fnNode, stack = new Set()) {
    if (this.memo.has(fnNode)) return this.memo.get(fnNode);
    if (stack.has(fnNode)) return new Set();
    stack.add(fnNode);
    const out = new Set(directSites(fnNode.body).map((s) => s.function));
    for (const { decl } of this.callees(fnNode)) {
      for (const f of this.reachable(decl, stack)) out.add(f);
    }
    stack.delete(fnNode);
    this.memo.set(fnNode, out);
    return out;
  }
}
