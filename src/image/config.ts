/**
 * The parts of an OCI image config (`config` object of application/vnd.oci.image.config.v1+json) that
 * decide how a container runs. Docker combines them with the service: see the process plugins.
 */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  Volumes?: Record<string, object>;
}
