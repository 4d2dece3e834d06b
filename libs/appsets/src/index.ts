export { type ClusterChangeResult, IncrementalRenderer, isClusterSeparable } from './incremental.js';
export { applyMergePatch } from './merge-patch.js';
export { parseApplicationSets, zodIssuesToErrors } from './parse.js';
export { applicationWarnings, type RenderOptions, type RenderResult, renderApplicationSet, templateLanguage } from './render.js';
export { type ApplicationSet, applicationSetSchema } from './schema.js';
