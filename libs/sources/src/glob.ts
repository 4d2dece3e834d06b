/**
 * The glob dialect of Argo CD's `directory.include` / `directory.exclude`: gobwas/glob
 * compiled without separators, matched against the path relative to `source.path`.
 * Without separators `*` and `?` also match `/`, so `*.yaml` matches `sub/a.yaml`.
 * Syntax: `*`, `**`, `?`, `[abc]`, `[a-z]`, `[!...]`, `{alt1,alt2}` (nestable) and `\`
 * escapes.
 */

export class GlobError extends Error {}

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const escapeClassChar = (text: string): string => text.replace(/[\\\][^-]/g, '\\$&');

export function compileArgoGlob(pattern: string): RegExp {
  const parser = new GlobParser([...pattern]);
  const body = parser.sequence(0);
  if (!parser.done()) throw new GlobError(`unexpected "${parser.peek()}" at ${parser.position()}`);
  return new RegExp(`^${body}$`, 'su');
}

class GlobParser {
  private i = 0;
  constructor(private readonly chars: string[]) {}

  done(): boolean {
    return this.i >= this.chars.length;
  }
  peek(): string | undefined {
    return this.chars[this.i];
  }
  position(): number {
    return this.i;
  }

  /** A sequence up to the end, or up to `,`/`}` inside `depth` levels of `{...}`. */
  sequence(depth: number): string {
    let out = '';
    while (!this.done()) {
      const c = this.peek() as string;
      if (depth > 0 && (c === ',' || c === '}')) break;
      this.i++;
      if (c === '*') out += '.*';
      else if (c === '?') out += '.';
      else if (c === '[') out += this.range();
      else if (c === '{') out += this.alternatives(depth + 1);
      else if (c === '\\') {
        if (this.done()) throw new GlobError('pattern ends with an unfinished escape "\\"');
        out += escapeRegExp(this.chars[this.i++] as string);
      } else out += escapeRegExp(c);
    }
    return out;
  }

  private alternatives(depth: number): string {
    const options = [this.sequence(depth)];
    while (this.peek() === ',') {
      this.i++;
      options.push(this.sequence(depth));
    }
    if (this.peek() !== '}') throw new GlobError('unclosed "{" alternatives');
    this.i++;
    return `(?:${options.join('|')})`;
  }

  /** `[lo-hi]` or `[chars]`, either negated by a leading `!`, as gobwas lexes them. */
  private range(): string {
    let negated = false;
    if (this.peek() === '!') {
      negated = true;
      this.i++;
    }
    const lo = this.chars[this.i];
    if (lo === undefined) throw new GlobError('unclosed "[" range');
    let body: string;
    if (this.chars[this.i + 1] === '-' && this.chars[this.i + 2] !== undefined) {
      const hi = this.chars[this.i + 2] as string;
      if (hi < lo) throw new GlobError(`invalid range "${lo}-${hi}"`);
      body = `${escapeClassChar(lo)}-${escapeClassChar(hi)}`;
      this.i += 3;
    } else {
      body = '';
      while (!this.done() && this.peek() !== ']') {
        let c = this.chars[this.i++] as string;
        if (c === '\\' && !this.done()) c = this.chars[this.i++] as string;
        body += escapeClassChar(c);
      }
      if (body === '') throw new GlobError('empty "[]" range');
    }
    if (this.peek() !== ']') throw new GlobError('unclosed "[" range');
    this.i++;
    return `[${negated ? '^' : ''}${body}]`;
  }
}
