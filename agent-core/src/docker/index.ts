/** Docker discovery: running containers and their published ports, from the Engine API socket. */
export {
  createDockerDiscovery,
  listDockerContainers,
  toContainerView,
  PREFERRED_API_VERSION,
  DEFAULT_DOCKER_SOCKET,
  type DockerDiscovery,
  type DockerDiscoveryOptions,
} from './dockerDiscovery.js';
export { negotiateApiVersion, compareApiVersions } from './engineApi.js';
export type { DockerView, DockerContainerView, DockerPortView } from '../desktop/desktopApi.js';
