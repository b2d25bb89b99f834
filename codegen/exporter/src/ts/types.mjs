// Turns TypeScript types (as the checker sees them) into the JSON Schema of
// docs/schema-format.md, collecting every named type into `$defs`. One registry per export
// run; `convert` is called for each parameter / return type the API walker finds.
import ts from "typescript";
import { isIntegerName } from "./integers.mjs";
import { isSdkFile } from "./program.mjs";

const STREAMS = new Set([
  "ReadableStream", "AsyncIterable", "AsyncIterableIterator", "AsyncGenerator", "ReadableStreamLike",
]);
const BYTES = new Set(["Uint8Array", "ArrayBuffer", "Buffer", "ArrayBufferLike"]);
const PROMISES = new Set(["Promise", "PromiseLike"]);
const UNKNOWN = Object.freeze({ "x-cortex-kind": "unknown" });
const BYTES_SCHEMA = { type: "string", contentEncoding: "base64", "x-cortex-kind": "bytes" };
const DATE_SCHEMA = { type: "integer", "x-cortex-kind": "date" };
const MAX_DEPTH = 40;

function unknownTs(text) {
  return { "x-cortex-kind": "unknown", "x-cortex-ts": text.replace(/\s+/g, " ").trim() };
}

function capitalize(s) {
  return s.length ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Identifier-safe rendering of a literal for a generic-instantiation name. */
function literalName(value) {
  return capitalize(String(value).replace(/[^A-Za-z0-9]+(.)?/g, (_, c) => (c ? c.toUpperCase() : "")));
}

export class TypeRegistry {
  /**
   * @param checker the program's type checker
   * @param root the SDK checkout root (decides which declarations are "ours")
   * @param exported set of symbols exported from `src/index.ts` (aliases resolved)
   */
  constructor(checker, root, exported) {
    this.checker = checker;
    this.root = root;
    this.exported = exported;
    this.defs = new Map();
    this.defOwner = new Map();
    this.keyToName = new Map();
    this.depth = 0;
  }

  /** `$defs` sorted by name. */
  definitions() {
    const out = {};
    for (const name of [...this.defs.keys()].sort()) out[name] = this.defs.get(name);
    return out;
  }

  isOurs(decl) {
    return Boolean(decl) && isSdkFile(this.root, decl.getSourceFile().fileName);
  }

  isExported(symbol) {
    return this.exported.has(symbol);
  }

  /**
   * Schema for a parameter / return / property type. `ctx.name` is the property or
   * parameter name (integer rule), `ctx.node` the written type node (used when the checker
   * only has an error type, e.g. an unresolved import).
   */
  convert(type, ctx = {}) {
    if (this.depth > MAX_DEPTH) return unknownTs(this.checker.typeToString(type));
    this.depth += 1;
    try {
      return this.convertInner(type, ctx);
    } finally {
      this.depth -= 1;
    }
  }

  convertInner(type, ctx) {
    const f = type.flags;
    if (f & ts.TypeFlags.Any) {
      if (ctx.node && ctx.node.kind !== ts.SyntaxKind.AnyKeyword) return this.convertNode(ctx.node, ctx);
      return { ...UNKNOWN };
    }
    if (f & (ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) return { ...UNKNOWN };
    if (f & (ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Never)) {
      return { type: "null" };
    }
    if (f & ts.TypeFlags.EnumLike && type.symbol) {
      const named = this.namedEnum(type);
      if (named) return named;
    }
    const alias = this.aliasName(type);
    if (alias) return this.ref(alias.name, alias.key, alias.symbol, () => this.structural(type, ctx));
    return this.structural(type, ctx);
  }

  structural(type, ctx) {
    const f = type.flags;
    if (f & ts.TypeFlags.StringLike && !(f & ts.TypeFlags.StringLiteral)) return { type: "string" };
    if (f & ts.TypeFlags.StringLiteral) return { const: type.value };
    if (f & ts.TypeFlags.NumberLiteral) return { const: type.value };
    if (f & ts.TypeFlags.BooleanLiteral) return { const: type.intrinsicName === "true" };
    if (f & ts.TypeFlags.BigIntLike) return { type: "integer" };
    if (f & ts.TypeFlags.NumberLike) {
      if (isIntegerName(ctx.name)) return { type: "integer", "x-cortex-integer": "name" };
      return { type: "number" };
    }
    if (f & ts.TypeFlags.Boolean) return { type: "boolean" };
    if (f & ts.TypeFlags.ESSymbolLike) return { ...UNKNOWN };
    if (f & ts.TypeFlags.Union) return this.union(type, ctx);
    if (f & ts.TypeFlags.Intersection) return this.object(type, ctx);
    if (f & ts.TypeFlags.TypeParameter) {
      const c = this.checker.getBaseConstraintOfType(type);
      if (c && c !== type && !(c.flags & ts.TypeFlags.Unknown)) return this.convert(c, { name: ctx.name });
      return { ...UNKNOWN };
    }
    if (f & ts.TypeFlags.Object) return this.objectLike(type, ctx);
    if (f & (ts.TypeFlags.Index | ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping)) {
      return { type: "string" };
    }
    return unknownTs(this.checker.typeToString(type));
  }

  // ---- named types -------------------------------------------------------------------

  /** Name of an SDK type alias (with generic arguments appended), or null. */
  aliasName(type) {
    const sym = type.aliasSymbol;
    if (!sym) return null;
    const decl = sym.declarations?.[0];
    if (!this.isOurs(decl)) return null;
    const args = type.aliasTypeArguments ?? [];
    return this.withArgs(sym, args);
  }

  withArgs(sym, args) {
    const base = sym.getName();
    const argNames = args.map((a) => this.typeName(a));
    const key = [this.symbolKey(sym), ...args.map((a) => this.checker.typeToString(a))].join("|");
    return { name: base + argNames.join(""), key, symbol: sym };
  }

  symbolKey(sym) {
    const d = sym.declarations?.[0];
    return d ? `${d.getSourceFile().fileName}:${d.pos}` : sym.getName();
  }

  /** Short name of a type argument, used when naming generic instantiations. */
  typeName(t) {
    const f = t.flags;
    if (t.aliasSymbol && this.isOurs(t.aliasSymbol.declarations?.[0])) return this.aliasName(t).name;
    if (f & ts.TypeFlags.StringLiteral || f & ts.TypeFlags.NumberLiteral) return literalName(t.value);
    if (f & ts.TypeFlags.StringLike) return "String";
    if (f & ts.TypeFlags.NumberLike) return "Number";
    if (f & ts.TypeFlags.BooleanLike) return "Boolean";
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return "Unknown";
    if (f & ts.TypeFlags.Union) return t.types.map((m) => this.typeName(m)).join("Or");
    if (this.checker.isArrayType(t)) return `${this.typeName(this.checker.getTypeArguments(t)[0])}Array`;
    const sym = t.symbol;
    if (sym && sym.getName() && !sym.getName().startsWith("__")) {
      const args = t.objectFlags & ts.ObjectFlags.Reference ? this.checker.getTypeArguments(t) : [];
      return sym.getName() + args.map((a) => this.typeName(a)).join("");
    }
    return "Object";
  }

  /**
   * `$ref` to a named definition, building it on first use. `build` returns the schema;
   * recursion is safe because the name is reserved before the body is converted.
   */
  ref(baseName, key, symbol, build) {
    let name = this.keyToName.get(key);
    if (!name) {
      name = baseName;
      let n = 2;
      while (this.defOwner.has(name) && this.defOwner.get(name) !== key) name = `${baseName}${n++}`;
      this.keyToName.set(key, name);
    }
    if (!this.defs.has(name)) {
      this.defOwner.set(name, key);
      this.defs.set(name, {});
      const schema = build();
      const def = { ...schema };
      if (symbol && !this.isExported(symbol)) def["x-cortex-exported"] = false;
      this.defs.set(name, def);
    }
    return { $ref: `#/$defs/${name}` };
  }

  /** A synthetic definition for an anonymous inline object type in a signature. */
  synthetic(name, schema) {
    let final = name;
    let n = 2;
    while (this.defs.has(final)) final = `${name}${n++}`;
    this.defs.set(final, { ...schema, "x-cortex-synthetic": true });
    this.defOwner.set(final, `synthetic:${final}`);
    return { $ref: `#/$defs/${final}` };
  }

  namedEnum(type) {
    let sym = type.symbol;
    if (sym.flags & ts.SymbolFlags.EnumMember) sym = sym.parent ?? sym;
    if (!(sym.flags & ts.SymbolFlags.Enum)) return null;
    const decl = sym.declarations?.[0];
    if (!this.isOurs(decl)) return null;
    const { name, key } = this.withArgs(sym, []);
    return this.ref(name, key, sym, () => {
      const enumType = this.checker.getDeclaredTypeOfSymbol(sym);
      const members = enumType.flags & ts.TypeFlags.Union ? enumType.types : [enumType];
      const values = members.map((m) => m.value).filter((v) => v !== undefined);
      return values.length === 1 ? { const: values[0] } : { enum: values };
    });
  }

  // ---- unions ------------------------------------------------------------------------

  union(type, ctx) {
    let members = type.types;
    const hasNull = members.some((m) => m.flags & ts.TypeFlags.Null);
    members = members.filter(
      (m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)),
    );
    const trues = members.filter((m) => m.flags & ts.TypeFlags.BooleanLiteral);
    let booleanMerged = false;
    if (trues.length === 2) {
      members = members.filter((m) => !(m.flags & ts.TypeFlags.BooleanLiteral));
      booleanMerged = true;
    }
    // Members of one of our enums come flattened into the union: put the enum back.
    const enumRefs = [];
    const byEnum = new Map();
    for (const m of members) {
      const parent = m.flags & ts.TypeFlags.EnumLiteral && m.symbol?.flags & ts.SymbolFlags.EnumMember ? m.symbol.parent : null;
      if (parent && this.isOurs(parent.declarations?.[0])) {
        if (!byEnum.has(parent)) byEnum.set(parent, []);
        byEnum.get(parent).push(m);
      }
    }
    for (const [parent, ms] of byEnum) {
      const declared = this.checker.getDeclaredTypeOfSymbol(parent);
      const all = declared.flags & ts.TypeFlags.Union ? declared.types.length : 1;
      if (ms.length !== all) continue;
      members = members.filter((m) => !ms.includes(m));
      enumRefs.push(this.namedEnum(declared));
    }
    // `Date | number`: a date (epoch milliseconds are accepted as they are).
    const isDate = (m) => m.symbol?.getName() === "Date" && !this.isOurs(m.symbol.declarations?.[0]);
    if (members.some(isDate) && members.every((m) => isDate(m) || m.flags & ts.TypeFlags.NumberLike) && !enumRefs.length) {
      const date = { ...DATE_SCHEMA };
      return hasNull ? { anyOf: [date, { type: "null" }] } : date;
    }
    if (enumRefs.length) {
      const rest = members.length + (booleanMerged ? 1 : 0);
      if (rest === 0 && enumRefs.length === 1) {
        return hasNull ? { anyOf: [enumRefs[0], { type: "null" }] } : enumRefs[0];
      }
    }
    let inner;
    const sub = { name: ctx.name };
    const total = members.length + (booleanMerged ? 1 : 0) + enumRefs.length;
    if (total === 0) inner = { type: "null" };
    else if (total === 1) {
      inner = enumRefs[0] ?? (booleanMerged ? { type: "boolean" } : this.convert(members[0], sub));
    } else if (
      !booleanMerged && enumRefs.length === 0 &&
      members.every((m) => m.flags & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral)) &&
      !members.some((m) => m.flags & ts.TypeFlags.EnumLiteral && this.isOurs(m.symbol?.declarations?.[0]))
    ) {
      inner = { enum: members.map((m) => m.value) };
    } else {
      const parts = [...enumRefs];
      const seen = new Set(parts.map((p) => JSON.stringify(p)));
      for (const m of members) {
        const part = this.convert(m, sub);
        const key = JSON.stringify(part);
        if (!seen.has(key)) {
          seen.add(key);
          parts.push(part);
        }
      }
      if (booleanMerged) parts.push({ type: "boolean" });
      if (parts.length === 1) {
        return hasNull ? { anyOf: [parts[0], { type: "null" }] } : parts[0];
      }
      const objects = members.filter((m) => this.isDataObject(m));
      if (objects.length === members.length && objects.length >= 2 && !booleanMerged) {
        const tag = this.discriminator(members);
        inner = tag
          ? { oneOf: parts, discriminator: { propertyName: tag } }
          : { anyOf: parts, "x-cortex-union": "untagged" };
      } else if (objects.length >= 1) {
        inner = { anyOf: parts, "x-cortex-union": "untagged" };
      } else {
        inner = { anyOf: parts };
      }
    }
    if (!hasNull) return inner;
    if (Object.keys(inner).length === 1 && inner.anyOf) return { anyOf: [...inner.anyOf, { type: "null" }] };
    return { anyOf: [inner, { type: "null" }] };
  }

  /** An object type that becomes a JSON object (not an array, callable, service, date...). */
  isDataObject(t) {
    if (!(t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection))) return false;
    if (this.checker.isArrayType(t) || this.checker.isTupleType(t)) return false;
    if (this.special(t)) return false;
    if (t.getCallSignatures().length > 0 && this.checker.getPropertiesOfType(t).length === 0) return false;
    return !this.isService(t);
  }

  /** The property name that carries a distinct literal in every member, or null. */
  discriminator(members) {
    const first = this.checker.getPropertiesOfType(members[0]).map((p) => p.getName());
    for (const prop of first) {
      const seen = new Set();
      let ok = true;
      for (const m of members) {
        const p = this.checker.getPropertyOfType(m, prop);
        if (!p || p.flags & ts.SymbolFlags.Optional) { ok = false; break; }
        const pt = this.checker.getTypeOfSymbol(p);
        const lits = pt.flags & ts.TypeFlags.Union ? pt.types : [pt];
        if (!lits.every((l) => l.flags & ts.TypeFlags.StringLiteral)) { ok = false; break; }
        for (const l of lits) {
          if (seen.has(l.value)) { ok = false; break; }
          seen.add(l.value);
        }
        if (!ok) break;
      }
      if (ok) return prop;
    }
    return null;
  }

  // ---- objects -----------------------------------------------------------------------

  /** Lib / well-known types that have a fixed representation; null when not special. */
  special(type) {
    const sym = type.symbol ?? type.aliasSymbol;
    if (!sym) return null;
    const decl = sym.declarations?.[0];
    if (this.isOurs(decl)) return null;
    const name = sym.getName();
    const args = () =>
      type.objectFlags & ts.ObjectFlags.Reference ? this.checker.getTypeArguments(type) : [];
    if (name === "Date") return () => ({ ...DATE_SCHEMA });
    if (BYTES.has(name)) return () => ({ ...BYTES_SCHEMA });
    if (PROMISES.has(name)) {
      return (ctx) => {
        const [inner] = args();
        return inner ? this.convert(inner, ctx) : { type: "null" };
      };
    }
    if (STREAMS.has(name)) {
      return () => {
        const [inner] = args();
        return { "x-cortex-kind": "stream", items: inner ? this.convert(inner) : { ...UNKNOWN } };
      };
    }
    if (name === "Map" || name === "ReadonlyMap") {
      return () => {
        const a = args();
        return { type: "object", additionalProperties: a[1] ? this.convert(a[1]) : { ...UNKNOWN } };
      };
    }
    if (name === "Set" || name === "ReadonlySet") {
      return () => {
        const [inner] = args();
        return { type: "array", items: inner ? this.convert(inner) : { ...UNKNOWN }, uniqueItems: true };
      };
    }
    if (name === "RegExp") return () => ({ type: "string" });
    return null;
  }

  /** Object types: arrays, tuples, specials, callables, services, named and inline objects. */
  objectLike(type, ctx) {
    const checker = this.checker;
    if (checker.isTupleType(type)) {
      const items = checker.getTypeArguments(type).map((t) => this.convert(t));
      return { type: "array", prefixItems: items, minItems: items.length, maxItems: items.length };
    }
    if (checker.isArrayType(type)) {
      const [item] = checker.getTypeArguments(type);
      return { type: "array", items: this.convert(item, { name: ctx.name }) };
    }
    const sp = this.special(type);
    if (sp) return sp(ctx);
    const props = checker.getPropertiesOfType(type);
    const calls = type.getCallSignatures();
    if (calls.length > 0 && props.length === 0) return this.callable(calls[calls.length - 1]);
    const sym = type.symbol;
    const decl = sym?.declarations?.[0];
    if (this.isService(type)) {
      return { "x-cortex-kind": "service", "x-cortex-ts": this.serviceName(type) };
    }
    if (sym && decl && sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) {
      if (!this.isOurs(decl)) return unknownTs(checker.typeToString(type));
      const args = type.objectFlags & ts.ObjectFlags.Reference ? checker.getTypeArguments(type) : [];
      const { name, key } = this.withArgs(sym, args);
      return this.ref(name, key, sym, () => this.object(type, ctx));
    }
    return this.object(type, ctx);
  }

  serviceName(type) {
    const sym = type.aliasSymbol ?? type.symbol;
    const name = sym?.getName();
    return name && !name.startsWith("__") ? name : this.checker.typeToString(type);
  }

  /** A class instance, or an object whose members are all methods. */
  isService(type) {
    const sym = type.symbol;
    if (sym && sym.flags & ts.SymbolFlags.Class) return true;
    const props = this.checker.getPropertiesOfType(type);
    if (props.length === 0) return false;
    return props.every((p) => p.flags & ts.SymbolFlags.Method);
  }

  callable(sig) {
    const params = sig.getParameters().map((p) => {
      const decl = p.valueDeclaration;
      const t = this.checker.getTypeOfSymbol(p);
      return this.convert(t, { name: p.getName(), node: decl?.type });
    });
    const ret = sig.getReturnType();
    const isAsync = Boolean(ret.symbol && PROMISES.has(ret.symbol.getName()) && !this.isOurs(ret.symbol.declarations?.[0]));
    return {
      "x-cortex-kind": "callable",
      "x-cortex-params": params,
      "x-cortex-returns": this.convert(ret),
      "x-cortex-async": isAsync,
    };
  }

  /** Inline object schema: declared properties, index signature, required list. */
  object(type, ctx) {
    const checker = this.checker;
    const properties = {};
    const required = [];
    for (const p of checker.getPropertiesOfType(type)) {
      const name = p.getName();
      if (name.startsWith("__@") || name.startsWith("#")) continue;
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      if (decl && ts.getCombinedModifierFlags(decl) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) {
        continue;
      }
      const pt = checker.getTypeOfSymbol(p);
      const node = decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined;
      properties[name] = this.convert(pt, { name, node });
      const optional = Boolean(p.flags & ts.SymbolFlags.Optional) || includesUndefined(pt);
      if (!optional) required.push(name);
    }
    const out = { type: "object", properties, required };
    const index = checker.getIndexInfosOfType(type).find((i) => i.keyType.flags & ts.TypeFlags.String)
      ?? checker.getIndexInfosOfType(type)[0];
    out.additionalProperties = index ? this.convert(index.type) : true;
    if (Object.keys(properties).length === 0 && index) {
      return { type: "object", additionalProperties: out.additionalProperties };
    }
    if (Object.keys(properties).length === 0 && !index && type.getCallSignatures().length === 0) {
      return { type: "object", additionalProperties: true };
    }
    return out;
  }

  // ---- error types: fall back to the written type node ---------------------------------

  convertNode(node, ctx) {
    const text = node.getText();
    if (ts.isParenthesizedTypeNode(node)) return this.convertNode(node.type, ctx);
    if (ts.isUnionTypeNode(node)) {
      const parts = [];
      let hasNull = false;
      for (const m of node.types) {
        if (m.kind === ts.SyntaxKind.UndefinedKeyword) continue;
        if (ts.isLiteralTypeNode(m) && m.literal.kind === ts.SyntaxKind.NullKeyword) { hasNull = true; continue; }
        parts.push(this.fromNode(m, ctx));
      }
      let inner = parts.length === 1 ? parts[0] : { anyOf: parts };
      if (parts.length > 1 && parts.every((p) => p["x-cortex-kind"] === "stream")) {
        inner = parts.find((p) => !p.items["x-cortex-kind"]) ? { anyOf: parts } : parts[0];
        if (parts.every((p) => JSON.stringify(p) === JSON.stringify(parts[0]))) inner = parts[0];
      }
      return hasNull ? { anyOf: [inner, { type: "null" }] } : inner;
    }
    if (ts.isArrayTypeNode(node)) return { type: "array", items: this.fromNode(node.elementType, {}) };
    if (ts.isTypeReferenceNode(node)) {
      const name = node.typeName.getText();
      const last = name.split(".").pop();
      const args = node.typeArguments ?? [];
      if (STREAMS.has(last)) {
        return { "x-cortex-kind": "stream", items: args[0] ? this.fromNode(args[0], {}) : { ...UNKNOWN } };
      }
      if (BYTES.has(last)) return { ...BYTES_SCHEMA };
      if (last === "Date") return { ...DATE_SCHEMA };
      if (PROMISES.has(last)) return args[0] ? this.fromNode(args[0], ctx) : { type: "null" };
      if (last === "Array" && args[0]) return { type: "array", items: this.fromNode(args[0], {}) };
    }
    return unknownTs(text);
  }

  /** Convert a type node, preferring the checker's type when it resolved. */
  fromNode(node, ctx) {
    const t = this.checker.getTypeFromTypeNode(node);
    if (t.flags & ts.TypeFlags.Any && node.kind !== ts.SyntaxKind.AnyKeyword) return this.convertNode(node, ctx);
    return this.convert(t, { ...ctx, node });
  }
}

export function includesUndefined(t) {
  if (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) return true;
  return Boolean(t.flags & ts.TypeFlags.Union && t.types.some((m) => m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
}
