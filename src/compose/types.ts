/**
 * The long-form shapes the compose loader normalises short syntax into. They are part of the engine's `Service`
 * contract (src/engine/service-types.ts, where they are documented); the compose code imports them from here.
 */
export type {
  BlkioConfig,
  DependsOn,
  Deploy,
  DeployResources,
  DeviceMapping,
  EnvFile,
  ExtendsRef,
  ExtraHost,
  FileReference,
  Healthcheck,
  Logging,
  PortMapping,
  ResourceSpec,
  RestartPolicy,
  SecurityOpt,
  ServiceNetwork,
  TmpfsMount,
  Ulimit,
  VolumeMount,
} from '../engine/service-types.js';
