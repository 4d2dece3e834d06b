import anyAscii from 'any-ascii';

const INVALID_DNS_NAME_CHARS = /[^-a-z0-9.]/gu;
const MAX_DNS_NAME_LENGTH = 253;

/**
 * Argo CD's `SanitizeName` (the `nameNormalized` and `basenameNormalized` params):
 * lower case, every character outside `[-a-z0-9.]` becomes `-`, at most 253 characters,
 * no leading or trailing `-` or `.`.
 */
export function sanitizeName(name: string): string {
  let out = name.toLowerCase().replace(INVALID_DNS_NAME_CHARS, '-');
  if (out.length > MAX_DNS_NAME_LENGTH) out = out.slice(0, MAX_DNS_NAME_LENGTH);
  return out.replace(/^[-.]+|[-.]+$/g, '');
}

// Substitutions gosimple/slug applies for English before transliterating.
const SLUG_SUBSTITUTIONS: ReadonlyArray<[RegExp, string]> = [
  [/_/g, '-'], // Argo CD's pull request generator turns underscores into dashes first
  [/["'’]/g, ''],
  [/[‒–—―]/g, '-'],
  [/&/g, 'and'],
  [/@/g, 'at'],
];

/** Default length of the pull request generator's `branch_slug` params. */
export const PULL_REQUEST_SLUG_MAX_LENGTH = 50;

/**
 * The slug Argo CD's pull request generator makes of branch names (gosimple/slug with
 * `_` mapped to `-` and a 50 character limit): transliterated to ASCII, lower case,
 * runs of other characters collapsed into one `-`, and cut at the last `-` that keeps it
 * within `maxLength` (or hard at `maxLength` when it is one long word).
 */
export function slugify(text: string, maxLength = PULL_REQUEST_SLUG_MAX_LENGTH): string {
  let slug = text.trim();
  for (const [pattern, replacement] of SLUG_SUBSTITUTIONS) slug = slug.replace(pattern, replacement);
  slug = anyAscii(slug).toLowerCase();
  slug = slug
    .replace(/[^a-zA-Z0-9_-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  return maxLength > 0 ? smartTruncate(slug, maxLength) : slug;
}

function smartTruncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const cut = text.lastIndexOf('-', maxLength);
  return cut >= 0 ? text.slice(0, cut) : text.slice(0, maxLength);
}
