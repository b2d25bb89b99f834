// Captures how a thin method builds its Convex arguments and shapes the result, as the
// expression trees of docs/schema-format.md (`param`, `const`, `auth`, `helper`, `coalesce`,
// `date`, `object`, `spread`, `array`, `map`, `cond`, `not`, `eq`, `result`). Anything that
// does not fit throws `Unmapped` with a short reason.
import ts from "typescript";
import { unwrap } from "./calls.mjs";

export class Unmapped extends Error {}

const ABSENT = Symbol("absent");
const GLOBAL_HELPERS = new Map([
  ["Date.now", "now"],
  ["JSON.stringify", "jsonStringify"],
  ["JSON.parse", "jsonParse"],
  ["Math.floor", "floor"],
  ["Math.ceil", "ceil"],
  ["Math.round", "round"],
  ["Math.min", "min"],
  ["Math.max", "max"],
  ["String", "toString"],
  ["Number", "toNumber"],
  ["Boolean", "toBoolean"],
]);

/** Short, one-line source text for reasons. */
function short(node) {
  const t = node.getText().replace(/\s+/g, " ");
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

export class Mapper {
  /**
   * @param checker the type checker
   * @param method the method declaration being mapped
   * @param helpers Set collecting helper names used
   * @param isLocalHelper (decl) => true when a called SDK function makes no Convex call
   * @param callGraph resolves a call expression to the SDK declaration it invokes
   */
  constructor(checker, method, helpers, isLocalHelper, callGraph) {
    this.checker = checker;
    this.method = method;
    this.helpers = helpers;
    this.isLocalHelper = isLocalHelper;
    this.callGraph = callGraph;
    this.params = new Map(method.parameters.map((p) => [p, p.name.getText()]));
    this.items = new Map();
    this.resultSymbol = null;
    this.tracing = new Set();
  }

  declOf(id) {
    let sym = this.checker.getSymbolAtLocation(id);
    if (!sym) return null;
    if (sym.flags & ts.SymbolFlags.Alias) return null;
    return sym.valueDeclaration ?? sym.declarations?.[0] ?? null;
  }

  symbolOf(id) {
    return this.checker.getSymbolAtLocation(id) ?? null;
  }

  /** Convex `args`: an object mapping each argument name to an expression. */
  args(node) {
    if (!node) return {};
    const n = this.traceObject(unwrap(node));
    if (!ts.isObjectLiteralExpression(n)) throw new Unmapped(`args are not an object literal: ${short(n)}`);
    return this.objectEntries(n, true);
  }

  traceObject(n) {
    if (ts.isIdentifier(n)) {
      const d = this.declOf(n);
      if (d && ts.isVariableDeclaration(d) && d.initializer && this.isStable(d)) return unwrap(d.initializer);
    }
    return n;
  }

  /** Object literal → {key: expr}; top-level spreads of a typed value expand to its properties. */
  objectEntries(lit, topLevel) {
    const out = {};
    let spread = null;
    for (const p of lit.properties) {
      if (ts.isSpreadAssignment(p)) {
        const inner = unwrap(p.expression);
        if (topLevel || Object.keys(out).length > 0 || spread) {
          const expanded = this.expandSpread(inner);
          for (const [k, v] of Object.entries(expanded)) out[k] = v;
          continue;
        }
        spread = this.expr(inner);
        continue;
      }
      let key;
      let value;
      if (ts.isPropertyAssignment(p)) {
        if (ts.isIdentifier(p.name) || ts.isStringLiteralLike(p.name) || ts.isNumericLiteral(p.name)) key = p.name.text;
        else throw new Unmapped(`computed key ${short(p.name)}`);
        value = this.exprOrAbsent(p.initializer);
      } else if (ts.isShorthandPropertyAssignment(p)) {
        key = p.name.text;
        value = this.shorthand(p);
      } else {
        throw new Unmapped(`object member ${short(p)}`);
      }
      if (value === ABSENT) {
        delete out[key];
        continue;
      }
      out[key] = value;
    }
    if (spread) return { __spread: spread, ...out };
    return out;
  }

  /** `...x` where x has a known object type: one param path per property. */
  expandSpread(node) {
    const base = this.expr(node);
    if (!("param" in base) && !("item" in base)) throw new Unmapped(`spread of ${short(node)}`);
    const type = this.checker.getNonNullableType(this.checker.getTypeAtLocation(node));
    if (type.flags & ts.TypeFlags.Union) throw new Unmapped(`spread of a union: ${short(node)}`);
    const props = this.checker.getPropertiesOfType(type);
    if (props.length === 0) throw new Unmapped(`spread of an open object: ${short(node)}`);
    if (this.checker.getIndexInfosOfType(type).length > 0) throw new Unmapped(`spread of a record: ${short(node)}`);
    const out = {};
    for (const p of props) {
      if (p.flags & ts.SymbolFlags.Method) continue;
      const name = p.getName();
      out[name] = "param" in base ? { param: base.param, path: [...base.path, name] } : { item: [...base.item, name] };
    }
    return out;
  }

  objectExpr(lit) {
    const entries = this.objectEntries(lit, false);
    if (entries.__spread) {
      const { __spread: spread, ...rest } = entries;
      return { spread, object: rest };
    }
    return { object: entries };
  }

  /** `{ x }`: resolve `x` as the variable it names, not the property it creates. */
  shorthand(p) {
    const sym = this.checker.getShorthandAssignmentValueSymbol(p);
    const d = sym?.valueDeclaration ?? sym?.declarations?.[0];
    if (!d) throw new Unmapped(`unresolved name ${p.name.text}`);
    return this.fromDecl(d, p.name, sym);
  }

  exprOrAbsent(node) {
    const n = unwrap(node);
    if (ts.isIdentifier(n) && n.text === "undefined") return ABSENT;
    return this.expr(n);
  }

  /** Translate an expression; throws Unmapped. */
  expr(node) {
    const n = unwrap(node);
    if (ts.isStringLiteralLike(n)) return { const: n.text };
    if (ts.isNumericLiteral(n)) return { const: Number(n.text) };
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(n.operand)) {
      return { const: -Number(n.operand.text) };
    }
    if (n.kind === ts.SyntaxKind.TrueKeyword) return { const: true };
    if (n.kind === ts.SyntaxKind.FalseKeyword) return { const: false };
    if (n.kind === ts.SyntaxKind.NullKeyword) return { const: null };
    if (ts.isIdentifier(n)) return this.identifier(n);
    if (ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n)) return this.access(n);
    if (ts.isObjectLiteralExpression(n)) return this.objectExpr(n);
    if (ts.isArrayLiteralExpression(n)) {
      return {
        array: n.elements.map((e) => {
          if (ts.isSpreadElement(e)) throw new Unmapped(`array spread ${short(e)}`);
          return this.expr(e);
        }),
      };
    }
    if (ts.isConditionalExpression(n)) return this.conditional(n);
    if (ts.isBinaryExpression(n)) return this.binary(n);
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.ExclamationToken) {
      return { not: this.expr(n.operand) };
    }
    if (ts.isCallExpression(n)) return this.call(n);
    if (ts.isAwaitExpression(n)) throw new Unmapped(`awaits ${short(n)}`);
    throw new Unmapped(`expression ${short(n)}`);
  }

  identifier(id) {
    if (id.text === "undefined") throw new Unmapped("undefined inside an expression");
    const d = this.declOf(id);
    if (!d) throw new Unmapped(`unresolved name ${id.text}`);
    return this.fromDecl(d, id, this.symbolOf(id));
  }

  /** Expression for a name whose declaration is `d`. */
  fromDecl(d, id, sym) {
    if (this.params.has(d)) return { param: this.params.get(d), path: [] };
    if (this.items.has(d)) return { item: [...this.items.get(d)] };
    if (this.resultSymbol && sym === this.resultSymbol) return { result: [] };
    if (ts.isVariableDeclaration(d)) {
      if (!d.initializer) throw new Unmapped(`${id.text} has no initializer`);
      if (!this.isStable(d)) throw new Unmapped(`${id.text} is reassigned`);
      if (this.tracing.has(d)) throw new Unmapped(`${id.text} is recursive`);
      if (!this.insideMethod(d)) {
        const init = unwrap(d.initializer);
        if (ts.isStringLiteralLike(init) || ts.isNumericLiteral(init)) return this.expr(init);
        throw new Unmapped(`module value ${id.text}`);
      }
      this.tracing.add(d);
      try {
        return this.expr(d.initializer);
      } finally {
        this.tracing.delete(d);
      }
    }
    if (ts.isBindingElement(d)) return this.binding(d, id);
    if (ts.isEnumMember(d)) {
      const v = this.checker.getConstantValue(d);
      if (v !== undefined) return { const: v };
    }
    throw new Unmapped(`name ${id.text}`);
  }

  /** `const { a, b: c } = x` → path of x plus the property name. */
  binding(el, id) {
    const pattern = el.parent;
    if (!ts.isObjectBindingPattern(pattern) || el.dotDotDotToken) throw new Unmapped(`binding ${id.text}`);
    const decl = pattern.parent;
    const prop = el.propertyName ? el.propertyName.getText() : el.name.getText();
    let base;
    if (ts.isVariableDeclaration(decl) && decl.initializer && this.isStable(decl)) base = this.expr(decl.initializer);
    else if (ts.isParameter(decl) && this.params.has(decl)) base = { param: this.params.get(decl), path: [] };
    else throw new Unmapped(`binding ${id.text}`);
    const out = this.extend(base, [prop], id);
    if (el.initializer) return { coalesce: [out, this.expr(el.initializer)], op: "??" };
    return out;
  }

  insideMethod(node) {
    for (let n = node; n; n = n.parent) if (n === this.method) return true;
    return false;
  }

  /** A `const`, or a `let`/`var` that is never assigned after its declaration. */
  isStable(decl) {
    const list = decl.parent;
    if (ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const) return true;
    if (!ts.isIdentifier(decl.name)) return false;
    const sym = this.checker.getSymbolAtLocation(decl.name);
    let assigned = false;
    const visit = (n) => {
      if (assigned) return;
      if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment
        && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(unwrap(n.left))
        && this.checker.getSymbolAtLocation(unwrap(n.left)) === sym) assigned = true;
      if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && ts.isIdentifier(n.operand)
        && this.checker.getSymbolAtLocation(n.operand) === sym) assigned = true;
      ts.forEachChild(n, visit);
    };
    visit(this.method);
    return !assigned;
  }

  extend(base, path, node) {
    if ("param" in base) return { param: base.param, path: [...base.path, ...path] };
    if ("item" in base) return { item: [...base.item, ...path] };
    if ("result" in base) return { result: [...base.result, ...path] };
    if ("auth" in base && base.auth === null) {
      if (path.length !== 1) throw new Unmapped(`auth path ${short(node)}`);
      return { auth: path[0] };
    }
    throw new Unmapped(`property of a computed value: ${short(node)}`);
  }

  access(n) {
    const path = [];
    let cur = n;
    for (;;) {
      cur = unwrap(cur);
      if (ts.isPropertyAccessExpression(cur)) {
        path.unshift(cur.name.text);
        cur = cur.expression;
      } else if (ts.isElementAccessExpression(cur)) {
        const a = unwrap(cur.argumentExpression);
        if (ts.isStringLiteralLike(a)) path.unshift(a.text);
        else if (ts.isNumericLiteral(a)) path.unshift(Number(a.text));
        else throw new Unmapped(`computed index ${short(cur)}`);
        cur = cur.expression;
      } else break;
    }
    if (cur.kind === ts.SyntaxKind.ThisKeyword) {
      if (path.length === 2 && /auth/i.test(String(path[0]))) return { auth: path[1] };
      throw new Unmapped(`instance state ${short(n)}`);
    }
    if (path.length === 1 && path[0] === "length") throw new Unmapped(`length of ${short(cur)}`);
    return this.extend(this.expr(cur), path, n);
  }

  /**
   * `c ? a : b`. An `undefined` branch is left out (the value is absent on that side);
   * the shapes `x instanceof Date ? x.getTime() : x`, `typeof x === "number" ? x :
   * x.getTime()` and `x ? x.getTime() : undefined` are all `{date: x}`.
   */
  conditional(n) {
    const date = this.dateConditional(n);
    if (date) return date;
    const cond = this.expr(n.condition);
    const yes = this.exprOrAbsent(n.whenTrue);
    const no = this.exprOrAbsent(n.whenFalse);
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    if (yes !== ABSENT && no !== ABSENT && yes.date && same(yes.date, no)) return yes;
    if (yes !== ABSENT && no !== ABSENT && no.date && same(no.date, yes)) return no;
    if (no === ABSENT && yes !== ABSENT && yes.date && same(yes.date, cond)) return yes;
    if (yes === ABSENT && no === ABSENT) throw new Unmapped(`both branches undefined: ${short(n)}`);
    const out = { cond };
    if (yes !== ABSENT) out.then = yes;
    if (no !== ABSENT) out.else = no;
    return out;
  }

  /** Fold arithmetic on numeric literals (`30 * 60 * 1000`), or return undefined. */
  fold(n) {
    const u = unwrap(n);
    if (ts.isNumericLiteral(u)) return Number(u.text);
    if (ts.isPrefixUnaryExpression(u) && u.operator === ts.SyntaxKind.MinusToken) {
      const v = this.fold(u.operand);
      return v === undefined ? undefined : -v;
    }
    if (!ts.isBinaryExpression(u)) return undefined;
    const a = this.fold(u.left);
    const b = this.fold(u.right);
    if (a === undefined || b === undefined) return undefined;
    switch (u.operatorToken.kind) {
      case ts.SyntaxKind.PlusToken: return a + b;
      case ts.SyntaxKind.MinusToken: return a - b;
      case ts.SyntaxKind.AsteriskToken: return a * b;
      case ts.SyntaxKind.SlashToken: return a / b;
      default: return undefined;
    }
  }

  /** `x instanceof Date ? x.getTime() : x` → {date: x}. */
  dateConditional(n) {
    const c = unwrap(n.condition);
    if (ts.isBinaryExpression(c) && ts.isTypeOfExpression(unwrap(c.left)) && ts.isStringLiteralLike(unwrap(c.right))) {
      const x = unwrap(c.left).expression.getText();
      const branches = [unwrap(n.whenTrue), unwrap(n.whenFalse)];
      const isX = (b) => b.getText() === x;
      const isTime = (b) => ts.isCallExpression(b) && ts.isPropertyAccessExpression(unwrap(b.expression))
        && unwrap(b.expression).name.text === "getTime" && unwrap(unwrap(b.expression).expression).getText() === x;
      if ((isX(branches[0]) && isTime(branches[1])) || (isTime(branches[0]) && isX(branches[1]))) {
        return { date: this.expr(unwrap(c.left).expression) };
      }
      return null;
    }
    if (!ts.isBinaryExpression(c) || c.operatorToken.kind !== ts.SyntaxKind.InstanceOfKeyword) return null;
    if (unwrap(c.right).getText() !== "Date") return null;
    return { date: this.expr(c.left) };
  }

  binary(n) {
    const folded = this.fold(n);
    if (folded !== undefined && Number.isFinite(folded)) return { const: folded };
    const op = n.operatorToken.kind;
    if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) {
      const sym = op === ts.SyntaxKind.QuestionQuestionToken ? "??" : "||";
      const parts = [];
      const flatten = (e) => {
        const u = unwrap(e);
        if (ts.isBinaryExpression(u) && u.operatorToken.kind === op) {
          flatten(u.left);
          flatten(u.right);
        } else parts.push(this.expr(u));
      };
      flatten(n);
      return { coalesce: parts, op: sym };
    }
    if (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken) {
      return { eq: [this.expr(n.left), this.expr(n.right)] };
    }
    if (op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) {
      return { not: { eq: [this.expr(n.left), this.expr(n.right)] } };
    }
    throw new Unmapped(`operator ${short(n)}`);
  }

  call(n) {
    const callee = unwrap(n.expression);
    // x.getTime() → date
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "getTime" && n.arguments.length === 0) {
      const target = unwrap(callee.expression);
      if (ts.isNewExpression(target) && target.expression.getText() === "Date" && target.arguments?.length === 1) {
        return { date: this.expr(target.arguments[0]) };
      }
      return { date: this.expr(target) };
    }
    // x.map(item => ...)
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "map" && n.arguments.length === 1) {
      return this.mapCall(callee.expression, unwrap(n.arguments[0]));
    }
    const text = callee.getText();
    if (GLOBAL_HELPERS.has(text)) return this.helper(GLOBAL_HELPERS.get(text), n.arguments);
    // this.helperMethod(...) / importedHelper(...) without Convex calls
    let name = null;
    if (ts.isPropertyAccessExpression(callee) && unwrap(callee.expression).kind === ts.SyntaxKind.ThisKeyword) {
      name = callee.name.text;
    } else if (ts.isIdentifier(callee)) {
      name = callee.text;
    }
    if (name) {
      const decl = this.callGraph.target(n);
      if (decl && this.isLocalHelper(decl)) return this.helper(name, n.arguments);
      if (decl) throw new Unmapped(`calls ${name}, which reaches Convex`);
    }
    throw new Unmapped(`call ${short(n)}`);
  }

  helper(name, args) {
    this.helpers.add(name);
    return { helper: name, args: args.map((a) => this.expr(a)) };
  }

  mapCall(target, fn) {
    if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || fn.parameters.length !== 1) {
      throw new Unmapped(`map callback ${short(fn)}`);
    }
    const p = fn.parameters[0];
    if (!ts.isIdentifier(p.name)) throw new Unmapped(`map callback ${short(fn)}`);
    let body = fn.body;
    if (ts.isBlock(body)) {
      const st = body.statements;
      if (st.length !== 1 || !ts.isReturnStatement(st[0]) || !st[0].expression) {
        throw new Unmapped(`map callback body ${short(fn)}`);
      }
      body = st[0].expression;
    }
    const over = this.expr(target);
    if (this.items.size > 0) throw new Unmapped("nested map");
    this.items.set(p, []);
    try {
      return { map: over, each: this.expr(body) };
    } finally {
      this.items.delete(p);
    }
  }
}

export { ABSENT };
