import { secretAccounts } from '../../secrets/secretAccounts.js';
import type { KnownSecrets } from '../knownSecrets.js';
import type { LogBook } from '../logBook.js';
import type { UserCalls } from './accountService.js';

/** What an instance's life means for the connections that serve it. */
export interface InstanceConnections {
  /** Its instance is gone: remove every connection of it (stopping those that run). */
  removeOfInstance(instanceId: string): Promise<void>;
  /** Its token changed: restart the running connections of it, which hold the old one. */
  restartOfInstance(instanceId: string): Promise<void>;
}

export interface InstancesServiceDeps {
  account: UserCalls;
  secrets: KnownSecrets;
  connections: InstanceConnections;
  logs: LogBook;
}

/**
 * The user's instances and their custom domains over the Cloud API. Instance tokens go to the
 * SecretStore when the relay hands them out (creation, regeneration) and leave it with their
 * instance.
 */
export class InstancesService {
  private readonly account: UserCalls;
  private readonly deps: Omit<InstancesServiceDeps, 'account'>;

  constructor({ account, ...deps }: InstancesServiceDeps) {
    this.account = account;
    this.deps = deps;
  }

  listInstances() {
    return this.account.call(async (client) => (await client.call('listInstances', {})).instances);
  }

  checkSubdomain(subdomain: string) {
    return this.account.call((client) => client.call('checkSubdomain', { query: { subdomain } }));
  }

  createInstance(input: { name: string; subdomain: string }) {
    return this.account.call(async (client) => {
      const res = await client.call('createInstance', { body: input });
      await this.deps.secrets.set(
        secretAccounts.instanceToken(res.instance.id),
        res.credentials.instance_token,
      );
      this.deps.logs.add(
        'info',
        `Instance ${res.instance.full_domain} created; its token is in the keychain`,
      );
      return { instance: res.instance, instance_token: res.credentials.instance_token };
    });
  }

  updateInstance(id: string, patch: { name?: string; subdomain?: string }) {
    return this.account.call((client) =>
      client.call('updateInstance', { params: { instance_id: id }, body: patch }),
    );
  }

  deleteInstance(id: string) {
    return this.account.call(async (client) => {
      await client.call('deleteInstance', { params: { instance_id: id } });
      await this.deps.connections.removeOfInstance(id);
      await this.deps.secrets.delete(secretAccounts.instanceToken(id));
      return null;
    });
  }

  regenerateInstanceToken(id: string) {
    return this.account.call(async (client) => {
      const res = await client.call('regenerateToken', { params: { instance_id: id } });
      await this.deps.secrets.set(secretAccounts.instanceToken(id), res.instance_token);
      await this.deps.connections.restartOfInstance(id);
      return res;
    });
  }

  listDomains(instanceId: string) {
    return this.account.call(
      async (client) =>
        (await client.call('listDomains', { params: { instance_id: instanceId } })).domains,
    );
  }

  addDomain(instanceId: string, domain: string) {
    return this.account.call((client) =>
      client.call('addDomain', { params: { instance_id: instanceId }, body: { domain } }),
    );
  }

  verifyDomain(instanceId: string, domain: string) {
    return this.account.call((client) =>
      client.call('verifyDomain', { params: { instance_id: instanceId, domain } }),
    );
  }

  removeDomain(instanceId: string, domain: string) {
    return this.account.call(async (client) => {
      await client.call('deleteDomain', { params: { instance_id: instanceId, domain } });
      return null;
    });
  }
}
