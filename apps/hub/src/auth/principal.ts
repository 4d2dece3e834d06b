/** Who is calling: an admin API token with a role, or the agent of one cluster. */
export type Role = 'admin' | 'editor' | 'viewer';

export interface ApiPrincipal {
  kind: 'api';
  tokenId: string;
  name: string;
  role: Role;
}

export interface AgentPrincipal {
  kind: 'agent';
  clusterId: string;
  clusterName: string;
}

/** Roles in increasing power: a role may do everything the ones before it may. */
const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function hasRole(principal: ApiPrincipal, required: Role): boolean {
  return RANK[principal.role] >= RANK[required];
}

export const actorOf = (p: ApiPrincipal | AgentPrincipal): string => (p.kind === 'api' ? `token:${p.name}` : `agent:${p.clusterName}`);
