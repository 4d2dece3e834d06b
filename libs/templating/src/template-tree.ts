import { fieldPath, type ParamSet, RenderError } from '#contracts';
import type { CompiledString, TemplateEngine } from './engine.js';

/** Renders a compiled JSON tree for one parameter set. */
export type TreeRenderer<T = unknown> = (params: ParamSet) => T;

export interface CompiledTree<T = unknown> {
  /** False when no string or key in the tree holds a template: render returns the same value. */
  readonly dynamic: boolean;
  readonly render: TreeRenderer<T>;
}

/**
 * Compiles every string and every object key of a JSON tree once, so rendering it for
 * each parameter set only runs the compiled pieces. Keys are templated too, as Argo CD
 * does (an annotation name can come from a param).
 *
 * Subtrees without templates are frozen and shared between renders, so rendered values
 * must be treated as immutable.
 */
export function compileTree<T = unknown>(value: T, engine: TemplateEngine, path = ''): CompiledTree<T> {
  const node = compileNode(value, engine, path);
  if (node === null) {
    const frozen = deepFreeze(value);
    return { dynamic: false, render: () => frozen };
  }
  return { dynamic: true, render: node as TreeRenderer<T> };
}

type NodeRenderer = (params: ParamSet) => unknown;

/** Returns null for a subtree with nothing to render. */
function compileNode(value: unknown, engine: TemplateEngine, path: string): NodeRenderer | null {
  if (typeof value === 'string') {
    const compiled = engine.compile(value, path);
    return compiled;
  }
  if (Array.isArray(value)) return compileArray(value, engine, path);
  if (value !== null && typeof value === 'object') return compileObject(value as Record<string, unknown>, engine, path);
  return null;
}

function compileArray(items: unknown[], engine: TemplateEngine, path: string): NodeRenderer | null {
  const nodes = items.map((item, i) => compileNode(item, engine, fieldPath(path, i)));
  if (nodes.every((n) => n === null)) return null;
  const parts = nodes.map((node, i) => node ?? constant(deepFreeze(items[i])));
  return (params) => parts.map((part) => part(params));
}

interface EntryRenderer {
  key: string;
  renderKey: CompiledString | null;
  renderValue: NodeRenderer;
  keyPath: string;
}

function compileObject(object: Record<string, unknown>, engine: TemplateEngine, path: string): NodeRenderer | null {
  const entries: EntryRenderer[] = [];
  let dynamic = false;
  for (const [key, child] of Object.entries(object)) {
    const childPath = fieldPath(path, key);
    const renderKey = engine.compile(key, childPath);
    const renderValue = compileNode(child, engine, childPath);
    if (renderKey !== null || renderValue !== null) dynamic = true;
    entries.push({ key, renderKey, renderValue: renderValue ?? constant(deepFreeze(child)), keyPath: childPath });
  }
  if (!dynamic) return null;
  if (!entries.some((entry) => entry.renderKey !== null)) {
    // Plain keys are unique already: nothing can collide, so skip the bookkeeping.
    return (params) => {
      const out: Record<string, unknown> = {};
      for (const entry of entries) out[entry.key] = entry.renderValue(params);
      return out;
    };
  }
  return (params) => {
    const out: Record<string, unknown> = {};
    // Rendered key -> path of the templated key that produced it. Static keys are unique, so
    // any collision involves a templated key, whichever order the two keys come in.
    const templatedKeys = new Map<string, string>();
    for (const entry of entries) {
      const key = entry.renderKey === null ? entry.key : entry.renderKey(params);
      if (Object.hasOwn(out, key)) {
        if (entry.renderKey !== null) {
          throw new RenderError(entry.keyPath, `templated key renders to ${JSON.stringify(key)}, which is already set`);
        }
        const templatedPath = templatedKeys.get(key) ?? entry.keyPath;
        throw new RenderError(templatedPath, `templated key renders to ${JSON.stringify(key)}, which the map also sets as a plain key`);
      }
      if (entry.renderKey !== null) templatedKeys.set(key, entry.keyPath);
      out[key] = entry.renderValue(params);
    }
    return out;
  };
}

const constant =
  (value: unknown): NodeRenderer =>
  () =>
    value;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
