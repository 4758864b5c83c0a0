/** The OCI state a runtime hands its hooks on stdin (runtime-spec "State"): the parts the network hook uses. */
export interface OciState {
  id: string;
  pid: number;
  bundle: string;
}
