/**
 * The two glob dialects Argo CD's git generator uses, compiled to RegExps.
 * Both are exact ports of the rules, not approximations, because which directories and
 * files match decides which Applications exist.
 */

export class GlobSyntaxError extends Error {}

const escapeRegExp = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const escapeClassChar = (c: string): string => c.replace(/[\\\][^-]/g, '\\$&');

/**
 * Go's `path.Match`, used for `git.directories[].path`: `*` and `?` never match `/`,
 * `[...]` classes with `^` negation and `lo-hi` ranges, `\` escapes the next character.
 */
export function compileGoPathPattern(pattern: string): RegExp {
  const chars = [...pattern];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= chars.length) throw new GlobSyntaxError('pattern ends with an unfinished escape "\\"');
      out += escapeRegExp(chars[i] as string);
    } else if (c === '[') {
      const parsed = parseGoClass(chars, i + 1);
      out += parsed.regExp;
      i = parsed.end;
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`, 'su');
}

function parseGoClass(chars: string[], start: number): { regExp: string; end: number } {
  let i = start;
  let negated = false;
  if (chars[i] === '^') {
    negated = true;
    i++;
  }
  let body = '';
  let ranges = 0;
  for (;;) {
    if (i >= chars.length) throw new GlobSyntaxError('unclosed character class "["');
    if (chars[i] === ']' && ranges > 0) break;
    const lo = readClassChar(chars, i);
    i = lo.next;
    let hi = lo.char;
    if (chars[i] === '-') {
      const upper = readClassChar(chars, i + 1);
      hi = upper.char;
      i = upper.next;
    }
    // Go accepts a reversed range such as `z-a`: it matches nothing (and `[]`/`[^]` are valid here).
    if ((hi.codePointAt(0) as number) >= (lo.char.codePointAt(0) as number)) {
      body += hi === lo.char ? escapeClassChar(lo.char) : `${escapeClassChar(lo.char)}-${escapeClassChar(hi)}`;
    }
    ranges++;
  }
  return { regExp: `[${negated ? '^' : ''}${body}]`, end: i };
}

function readClassChar(chars: string[], i: number): { char: string; next: number } {
  const c = chars[i];
  if (c === undefined) throw new GlobSyntaxError('unclosed character class "["');
  if (c === '-' || c === ']') throw new GlobSyntaxError(`unescaped "${c}" in character class`);
  if (c === '\\') {
    const escaped = chars[i + 1];
    if (escaped === undefined) throw new GlobSyntaxError('pattern ends with an unfinished escape "\\"');
    return { char: escaped, next: i + 2 };
  }
  return { char: c, next: i + 1 };
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9a-fA-F',
};

const GIT_WILDCARDS = /[*?[\\]/;

/**
 * A git pathspec as `git ls-files -- <pattern>` reads it, used for `git.files[].path`
 * (Argo CD's default globbing): `*` and `?` also match `/`; a pattern without wildcards
 * matches that path or anything below it.
 */
export function compileGitPathspec(pattern: string): (path: string) => boolean {
  const spec = pattern.replace(/^(\.\/)+/, '');
  if (spec === '' || spec === '.') return () => true;
  if (!GIT_WILDCARDS.test(spec)) {
    const dir = spec.endsWith('/') ? spec : `${spec}/`;
    return (path) => path === spec || path.startsWith(dir);
  }
  const source = gitWildmatchToRegExp(spec);
  const regExp = source === null ? null : new RegExp(`^${source}$`, 'su');
  const literalPrefix = spec.endsWith('/') ? spec : `${spec}/`;
  // git compares the whole pathspec literally first, so `a[b]` also names the file `a[b]`.
  return (path) => path === spec || (regExp?.test(path) ?? false) || path.startsWith(literalPrefix);
}

/** Returns null when wildmatch would give up on the pattern (WM_ABORT_ALL): then only the literal rules match. */
function gitWildmatchToRegExp(spec: string): string | null {
  const chars = [...spec];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '\\') {
      i++;
      if (i >= chars.length) throw new GlobSyntaxError('pattern ends with an unfinished escape "\\"');
      out += escapeRegExp(chars[i] as string);
    } else if (c === '[') {
      const parsed = parseGitClass(chars, i + 1);
      if (parsed === null) return null;
      out += parsed.regExp;
      i = parsed.end;
    } else out += escapeRegExp(c);
  }
  return out;
}

/** Returns null when the class is never closed or names an unknown `[:class:]`: wildmatch then aborts. */
function parseGitClass(chars: string[], start: number): { regExp: string; end: number } | null {
  let i = start;
  let negated = false;
  if (chars[i] === '!' || chars[i] === '^') {
    negated = true;
    i++;
  }
  let body = '';
  let first = true;
  while (i < chars.length) {
    const c = chars[i] as string;
    if (c === ']' && !first) return { regExp: `[${negated ? '^' : ''}${body}]`, end: i };
    first = false;
    if (c === '[' && chars[i + 1] === ':') {
      // As wildmatch: up to the first `]`; a `:` before it makes a `[:name:]` class, otherwise `[` is a plain character.
      const close = chars.indexOf(']', i + 2);
      if (close < 0) return null;
      if (close >= i + 3 && chars[close - 1] === ':') {
        const posix = POSIX_CLASSES[chars.slice(i + 2, close - 1).join('')];
        if (posix === undefined) return null;
        body += posix;
        i = close + 1;
        continue;
      }
    }
    let lo = c;
    if (c === '\\' && i + 1 < chars.length) lo = chars[++i] as string;
    if (chars[i + 1] === '-' && chars[i + 2] !== undefined && chars[i + 2] !== ']') {
      let hi = chars[i + 2] as string;
      i += 2;
      if (hi === '\\' && i + 1 < chars.length) hi = chars[++i] as string;
      if ((hi.codePointAt(0) as number) >= (lo.codePointAt(0) as number)) body += `${escapeClassChar(lo)}-${escapeClassChar(hi)}`;
    } else body += escapeClassChar(lo);
    i++;
  }
  return null;
}
