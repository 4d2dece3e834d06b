import { SetMetadata } from '@nestjs/common';
import type { Role } from './principal.js';

/** Who may call a route: an API role (or a stronger one), the agent of a cluster, or anyone. */
export type Access = Role | 'agent' | 'public';

export const ACCESS_KEY = 'flotilla:access';

/** Every route must say who may call it; the guard refuses routes that do not. */
export const Allow = (access: Access): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_KEY, access);
