import { RenderError } from '#contracts';
import type { CompiledString, TemplateEngine } from './engine.js';

const START = '{{';
const END = '}}';

/**
 * Argo CD's template language for ApplicationSets without `goTemplate`
 * (valyala/fasttemplate with `{{` and `}}`):
 * - a tag's name is trimmed of spaces and looked up as one flat key (`path.basename`);
 * - a tag whose key is missing or whose value is not a string is left verbatim, spaces included;
 * - a `{{` without a following `}}` is an error; a lone `}}` is plain text;
 * - one pass: substituted values are never scanned again.
 */
export const fastTemplateEngine: TemplateEngine = {
  name: 'fasttemplate',
  compile(source: string, path: string): CompiledString | null {
    if (!source.includes(START)) return null;
    const texts: string[] = [];
    const tags: string[] = [];
    let rest = source;
    for (;;) {
      const start = rest.indexOf(START);
      if (start < 0) {
        texts.push(rest);
        break;
      }
      texts.push(rest.slice(0, start));
      rest = rest.slice(start + START.length);
      const end = rest.indexOf(END);
      if (end < 0) {
        throw new RenderError(path, `template ${JSON.stringify(source)} has an unclosed tag "${START}${rest}": missing "${END}"`);
      }
      tags.push(rest.slice(0, end));
      rest = rest.slice(end + END.length);
    }
    const keys = tags.map((tag) => tag.trim());
    const verbatim = tags.map((tag) => `${START}${tag}${END}`);
    return (params) => {
      let out = texts[0] as string;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const value = key.length > 0 ? params[key] : undefined;
        out += typeof value === 'string' ? value : verbatim[i];
        out += texts[i + 1];
      }
      return out;
    };
  },
};
