export type { CompiledString, TemplateEngine } from './engine.js';
export { fastTemplateEngine } from './fasttemplate.js';
export { createHandlebarsEngine, type HandlebarsEngineOptions } from './handlebars.js';
export { PULL_REQUEST_SLUG_MAX_LENGTH, sanitizeName, slugify } from './names.js';
export { type CompiledTree, compileTree, type TreeRenderer } from './template-tree.js';
