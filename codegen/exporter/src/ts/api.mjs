// Walks the client class and its namespace classes and writes the `api.json` structure:
// parameters and return schemas (through the TypeRegistry) and each method's class and
// Convex call mapping.
import path from "node:path";
import ts from "typescript";
import { CallGraph, directSites, inLoop, unwrap } from "./calls.mjs";
import { Mapper, Unmapped } from "./mapping.mjs";
import { includesUndefined } from "./types.mjs";

function hasModifier(node, flag) {
  return Boolean(ts.getCombinedModifierFlags(node) & flag);
}

function isPublicMember(node) {
  if (hasModifier(node, ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  return Boolean(node.name) && !ts.isPrivateIdentifier(node.name);
}

function memberName(node) {
  return node.name && (ts.isIdentifier(node.name) || ts.isStringLiteralLike(node.name)) ? node.name.text : null;
}

function capitalize(s) {
  return s.length ? s[0].toUpperCase() + s.slice(1) : s;
}

/** A literal default value as JSON, or undefined when the initializer is not a literal. */
function literalValue(node) {
  const n = unwrap(node);
  if (!n) return undefined;
  if (ts.isStringLiteralLike(n)) return n.text;
  if (ts.isNumericLiteral(n)) return Number(n.text);
  if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(n.operand)) {
    return -Number(n.operand.text);
  }
  if (n.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (n.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (n.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isArrayLiteralExpression(n)) {
    const items = n.elements.map(literalValue);
    return items.includes(undefined) ? undefined : items;
  }
  if (ts.isObjectLiteralExpression(n)) {
    const out = {};
    for (const p of n.properties) {
      if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteralLike(p.name))) return undefined;
      const v = literalValue(p.initializer);
      if (v === undefined) return undefined;
      out[p.name.text] = v;
    }
    return out;
  }
  return undefined;
}

export class ApiWalker {
  constructor(sdk, registry) {
    this.sdk = sdk;
    this.checker = sdk.checker;
    this.registry = registry;
    this.graph = new CallGraph(sdk.checker, sdk.root);
    this.helpers = new Set();
  }

  /** The client class of `src/index.ts` (`Cortex`, else the first class there). */
  clientClass() {
    const sf = this.sdk.program.getSourceFile(this.sdk.entry);
    if (!sf) return null;
    const classes = sf.statements.filter((s) => ts.isClassDeclaration(s) && s.name);
    return classes.find((c) => c.name.text === "Cortex") ?? classes[0] ?? null;
  }

  /** Public members of the client whose type is a class from `src/<dir>/index.ts`. */
  namespaceMembers(cls) {
    const out = [];
    for (const m of cls.members) {
      if (!ts.isPropertyDeclaration(m) || !isPublicMember(m) || hasModifier(m, ts.ModifierFlags.Static)) continue;
      const name = memberName(m);
      const t = this.checker.getTypeAtLocation(m);
      const sym = t.symbol;
      const decl = sym?.declarations?.find((d) => ts.isClassDeclaration(d));
      if (!name || !decl) continue;
      const rel = path.relative(this.sdk.root, decl.getSourceFile().fileName).split(path.sep);
      if (rel.length !== 3 || rel[0] !== "src" || rel[2] !== "index.ts") continue;
      out.push({ name, cls: decl });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  build() {
    const cls = this.clientClass();
    if (!cls) return { client: { class: null, members: [] }, namespaces: [] };
    const namespaces = this.namespaceMembers(cls).map(({ name, cls: nsClass }) => ({
      name,
      class: nsClass.name.text,
      methods: this.methods(nsClass),
    }));
    return { client: { class: cls.name.text, members: this.clientMembers(cls) }, namespaces };
  }

  clientMembers(cls) {
    const className = cls.name.text;
    const members = [];
    for (const m of cls.members) {
      if (ts.isConstructorDeclaration(m)) {
        if (!m.body || hasModifier(m, ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
        members.push({ name: "constructor", kind: "constructor", params: this.params(m, className, "Constructor") });
        continue;
      }
      if (!isPublicMember(m)) continue;
      const name = memberName(m);
      if (!name) continue;
      const isStatic = hasModifier(m, ts.ModifierFlags.Static);
      if (ts.isMethodDeclaration(m) && m.body) {
        const sig = this.checker.getSignatureFromDeclaration(m);
        const entry = { name, kind: "method" };
        if (isStatic) entry.static = true;
        entry.params = this.params(m, className, capitalize(name));
        entry.returns = this.returns(sig, className, name);
        entry.async = this.isAsync(m, sig);
        members.push(entry);
      } else if (ts.isGetAccessorDeclaration(m)) {
        const sig = this.checker.getSignatureFromDeclaration(m);
        const entry = { name, kind: "getter" };
        if (isStatic) entry.static = true;
        entry.returns = this.returns(sig, className, name);
        members.push(entry);
      }
    }
    return members;
  }

  isAsync(decl, sig) {
    if (hasModifier(decl, ts.ModifierFlags.Async)) return true;
    const ret = sig.getReturnType();
    const name = ret.symbol?.getName();
    return name === "Promise" || name === "PromiseLike";
  }

  params(decl, className, methodPart) {
    return decl.parameters.map((p, i) => {
      const name = ts.isIdentifier(p.name) ? p.name.text : `arg${i}`;
      const type = this.checker.getTypeAtLocation(p);
      const synth = `${className}${methodPart}${capitalize(name)}`;
      const schema = this.hoist(this.registry.convert(type, { name, node: p.type }), synth);
      const optional = Boolean(p.questionToken || p.initializer || p.dotDotDotToken) || includesUndefined(type);
      const entry = { name, type: schema, optional };
      const def = literalValue(p.initializer);
      if (p.initializer && def !== undefined) entry.default = def;
      return entry;
    });
  }

  returns(sig, className, methodName) {
    const ret = sig.getReturnType();
    let schema = this.hoist(this.registry.convert(ret, {}), `${className}${capitalize(methodName)}Result`);
    // A returned `undefined` is a value (None), unlike an optional property.
    const awaited = this.checker.getAwaitedType(ret) ?? ret;
    if (includesUndefined(awaited) && !(awaited.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void))) {
      const nullable = (s) => s.type === "null" || (Array.isArray(s.anyOf) && s.anyOf.some((m) => m.type === "null"));
      if (!nullable(schema)) schema = { anyOf: [schema, { type: "null" }] };
    }
    return schema;
  }

  /** Give an inline object schema (or the inline items of an array) a synthetic name. */
  hoist(schema, name) {
    const inline = (s) => s && s.type === "object" && s.properties;
    if (inline(schema)) return this.registry.synthetic(name, schema);
    if (schema.type === "array" && inline(schema.items)) {
      return { ...schema, items: this.registry.synthetic(`${name}Item`, schema.items) };
    }
    if (Array.isArray(schema.anyOf)) {
      const objs = schema.anyOf.filter(inline);
      if (objs.length === 1) {
        return { ...schema, anyOf: schema.anyOf.map((s) => (inline(s) ? this.registry.synthetic(name, s) : s)) };
      }
    }
    return schema;
  }

  methods(cls) {
    const className = cls.name.text;
    const out = [];
    const seen = new Set();
    for (const m of cls.members) {
      if (!ts.isMethodDeclaration(m) || !m.body || !isPublicMember(m)) continue;
      if (hasModifier(m, ts.ModifierFlags.Static)) continue;
      const name = memberName(m);
      if (!name || seen.has(name)) continue;
      seen.add(name);
      out.push(this.method(m, className, name));
    }
    return out;
  }

  method(m, className, name) {
    const sig = this.checker.getSignatureFromDeclaration(m);
    const entry = {
      name,
      params: this.params(m, className, capitalize(name)),
      returns: this.returns(sig, className, name),
      async: this.isAsync(m, sig),
    };
    Object.assign(entry, this.classify(m));
    return entry;
  }

  /** Class and mapping of one method body. */
  classify(m) {
    const sites = directSites(m.body);
    const reached = new Set(sites.map((s) => s.function));
    let indirect = false;
    for (const { decl } of this.graph.callees(m)) {
      const r = this.graph.reachable(decl);
      if (r.size > 0) indirect = true;
      for (const f of r) reached.add(f);
    }
    if (reached.size === 0) return { class: "local" };
    if (sites.length !== 1 || indirect || inLoop(sites[0], m)) {
      return { class: "orchestration", calls: [...reached].sort() };
    }
    const site = sites[0];
    const cls = this.touchesGraph(m) ? "thin+graph" : "thin";
    const call = { function: site.function, kind: site.kind };
    const used = new Set();
    const mapper = new Mapper(this.checker, m, used, (d) => this.graph.reachable(d).size === 0, this.graph);
    // Any failure while reading a shape we do not know is reported as unmapped, never fatal.
    const reason = (e) => (e instanceof Unmapped ? e.message : `unexpected shape (${e?.message ?? e})`);
    let unmapped = null;
    try {
      call.args = mapper.args(site.args);
    } catch (e) {
      unmapped = `args: ${reason(e)}`;
    }
    if (!unmapped) {
      try {
        const result = this.resultMapping(m, site, mapper);
        if (result !== undefined) call.result = result;
      } catch (e) {
        unmapped = `result: ${reason(e)}`;
      }
    }
    if (!unmapped) for (const h of used) this.helpers.add(h);
    const out = { class: cls, call };
    if (unmapped) out.unmapped = unmapped;
    return out;
  }

  touchesGraph(m) {
    let found = false;
    const visit = (n) => {
      if (found) return;
      if (ts.isPropertyAccessExpression(n) && ["syncToGraph", "graphAdapter"].includes(n.name.text)) found = true;
      if (ts.isCallExpression(n)) {
        const c = unwrap(n.expression);
        const nm = ts.isIdentifier(c) ? c.text : ts.isPropertyAccessExpression(c) ? c.name.text : "";
        if (/Graph/.test(nm)) found = true;
      }
      ts.forEachChild(n, visit);
    };
    visit(m.body);
    return found;
  }

  /**
   * Where the call's value ends up: the variable it is stored in, `"return"` when the method
   * returns it directly, or null when it is discarded.
   */
  carrier(site, m) {
    let n = site.node;
    for (;;) {
      const p = n.parent;
      if (!p || n === m.body) return null;
      if (ts.isAwaitExpression(p) || ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p)) {
        n = p;
        continue;
      }
      if (ts.isArrowFunction(p) && p.body === n) {
        n = this.wrapperCall(p);
        if (!n) return null;
        continue;
      }
      if (ts.isReturnStatement(p)) {
        const fn = ts.findAncestor(p, (a) => ts.isFunctionLike(a));
        if (fn === m) return "return";
        if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) {
          const body = fn.body;
          if (ts.isBlock(body) && body.statements.length === 1) {
            n = this.wrapperCall(fn);
            if (!n) return null;
            continue;
          }
        }
        return null;
      }
      if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isIdentifier(p.name)) {
        return this.checker.getSymbolAtLocation(p.name);
      }
      if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === n
        && ts.isIdentifier(p.left)) {
        return this.checker.getSymbolAtLocation(p.left);
      }
      return null;
    }
  }

  /** The `this.executeWithResilience(() => ..., name)`-style call an arrow is passed to. */
  wrapperCall(fn) {
    const call = fn.parent;
    if (!ts.isCallExpression(call) || call.arguments[0] !== fn) return null;
    return call;
  }

  /** `result` expression for the method's return value, or undefined for identity. */
  resultMapping(m, site, mapper) {
    const carrier = this.carrier(site, m);
    if (carrier === "return") return undefined;
    const returns = [];
    const visit = (n) => {
      if (n !== m.body && ts.isFunctionLike(n)) return;
      if (ts.isReturnStatement(n)) returns.push(n);
      ts.forEachChild(n, visit);
    };
    visit(m.body);
    const throwsAfter = [];
    const findThrows = (n) => {
      if (n !== m.body && ts.isFunctionLike(n)) return;
      if (ts.isCatchClause(n)) return;
      if (ts.isThrowStatement(n) && n.pos > site.node.end) throwsAfter.push(n);
      ts.forEachChild(n, findThrows);
    };
    findThrows(m.body);
    if (throwsAfter.length) throw new Unmapped("raises an error depending on the call's value");
    const values = returns.filter((r) => r.expression);
    if (values.length === 0) return { const: null };
    if (!carrier) throw new Unmapped("the call's value is not kept");
    mapper.resultSymbol = carrier;
    const forms = new Map();
    for (const r of values) {
      if (ts.findAncestor(r, (a) => ts.isCatchClause(a))) throw new Unmapped("returns from a catch clause");
      const e = mapper.expr(r.expression);
      forms.set(JSON.stringify(e), e);
    }
    if (forms.size !== 1) throw new Unmapped("several return paths");
    const [only] = forms.values();
    if (only.result && only.result.length === 0) return undefined;
    return only;
  }
}

