// Interim: replaced by the hand-written contract.
export type { Service } from '../compose/service.js';
