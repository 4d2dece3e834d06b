/**
 * Compiles a Go (RE2) regular expression as ApplicationSet filters write them into a
 * JavaScript RegExp: leading inline flags such as `(?i)` become RegExp flags and
 * `(?P<name>` becomes `(?<name>`. Matching is unanchored, as Go's MatchString.
 */
export function compileGoRegExp(source: string): RegExp {
  let flags = 'u';
  let body = source;
  const inline = /^\(\?([imsU]+)\)/.exec(body);
  if (inline) {
    for (const flag of inline[1] as string) {
      if (flag === 'i' || flag === 'm' || flag === 's') flags += flag;
      else throw new SyntaxError(`flag "${flag}" has no JavaScript equivalent`);
    }
    body = body.slice(inline[0].length);
  }
  return new RegExp(body.replaceAll('(?P<', '(?<'), flags);
}
